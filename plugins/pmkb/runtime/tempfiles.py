"""Temporary folders and files that go away even when the process is interrupted, terminated or killed.

A build writes its exports (megabytes at a few thousand postmortems) to a temporary folder until MkDocs copies
them. `finally` and MkDocs' `on_shutdown` remove it on errors and on Ctrl-C, but SIGTERM and SIGHUP end a
Python process without running either: a CI job cancelled mid-build would leave the folder behind. So every
folder made here is also removed at exit and on those signals, after which the signal does what it would
have done (the process still ends by it, with the same status).

Nothing runs when a process is killed (SIGKILL, the out-of-memory killer, a power cut), so every temporary name
made here carries its maker's process id, and the next process to make one with the same prefix removes those
left behind: only names of this pattern, owned by this user, of processes that are gone, and a minute old (a
process on another machine sharing the folder has long finished a write by then). Names without a process id,
as earlier versions made them (the prefix and eight random characters), go when a day old.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
_folders: dict[str, int] = {}  # path -> the pid that made it (a forked child must not remove its parent's)
_lock = threading.RLock()  # re-entrant: the signal handler runs in the main thread, which may hold it
_installed = False
DEAD_SECONDS = 60  # a temporary name of a process that is gone, this old, is left behind
STALE_SECONDS = 24 * 3600  # a temporary name without a process id this old is left behind


def make_temp_folder(prefix: str) -> str:
    """A new temporary folder, removed by `remove_temp_folder`, at exit, or on SIGTERM / SIGHUP; the folders of
    this prefix that killed processes left behind go first."""
    folder = tempfile.gettempdir()
    remove_left_behind(folder, prefix)
    path = tempfile.mkdtemp(prefix=temp_prefix(prefix), dir=folder)
    with _lock:
        _folders[path] = os.getpid()
    _install()
    return path


def remove_temp_folder(path: str) -> None:
    with _lock:
        _folders.pop(path, None)
    shutil.rmtree(path, ignore_errors=True)


def _remove_all() -> None:
    pid = os.getpid()
    with _lock:
        mine = [path for path, owner in _folders.items() if owner == pid]
        for path in mine:
            del _folders[path]
    for path in mine:
        shutil.rmtree(path, ignore_errors=True)


def _install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    atexit.register(_remove_all)
    for signum in _SIGNALS:
        try:
            if signal.getsignal(signum) is signal.SIG_DFL:  # never replace a handler someone else installed
                signal.signal(signum, _on_signal)
        except ValueError:  # not the main thread (a `mkdocs serve` rebuild): atexit still removes them
            _installed = False


def _on_signal(signum: int, frame: object) -> None:
    _remove_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)  # end as the signal would have ended us


def temp_prefix(prefix: str) -> str:
    """The start of a temporary name made by this process: `prefix`, then its process id."""
    return f"{prefix}{os.getpid()}-"


def remove_left_behind(folder: str | Path, prefixes: str | Iterable[str], suffix: str = "") -> list[str]:
    """Remove the temporary files and folders in `folder` named by `temp_prefix(prefix)` for one of `prefixes`
    (and ending in `suffix`) that killed processes left behind; returns their names. Nothing else is touched."""
    prefixes = [prefixes] if isinstance(prefixes, str) else list(prefixes)
    if not prefixes:
        return []
    starts = "|".join(re.escape(prefix) for prefix in prefixes)
    pattern = re.compile(rf"(?:{starts})(?:(\d+)-[a-z0-9_]+|[a-z0-9_]{{8}}){re.escape(suffix)}")
    removed: list[str] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if info.st_uid != os.getuid() or entry.is_symlink():
                continue  # another user's, or not made by mkdtemp / mkstemp
            age = now - info.st_mtime
            pid = match.group(1)
            if age < (STALE_SECONDS if pid is None else DEAD_SECONDS) or (pid is not None and _running(int(pid))):
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed.append(entry.name)
        except OSError:
            continue  # gone meanwhile (another process cleaning up too), or not ours to remove
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # another user's process: assume it is the one
    return True
