"""Temporary folders that go away even when the process is interrupted or terminated.

A build writes its exports (megabytes at a few thousand postmortems) to a temporary folder until MkDocs copies
them. `finally` and MkDocs' `on_shutdown` remove it on errors and on Ctrl-C, but SIGTERM and SIGHUP end a
Python process without running either: a CI job cancelled mid-build would leave the folder behind. So every
folder made here is also removed at exit and on those signals, after which the signal does what it would
have done (the process still ends by it, with the same status).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
import threading

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
_folders: dict[str, int] = {}  # path -> the pid that made it (a forked child must not remove its parent's)
_lock = threading.RLock()  # re-entrant: the signal handler runs in the main thread, which may hold it
_installed = False


def make_temp_folder(prefix: str) -> str:
    """A new temporary folder, removed by `remove_temp_folder`, at exit, or on SIGTERM / SIGHUP."""
    path = tempfile.mkdtemp(prefix=prefix)
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
