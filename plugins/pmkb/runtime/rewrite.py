"""Rewriting a file in place without losing a concurrent writer's change.

`pmkb actions set` reads a postmortem, changes a few characters and replaces the file. Two of them on one file at
once (two items closed from two terminals, a script looping over items in parallel) would each replace the file
with their own read of it, and one change would be lost. So a rewrite holds an exclusive lock on the file
(`flock`) from reading it to replacing it, and the second rewrite, once it has the lock, reads what the first one
wrote. A writer that takes no lock (an editor saving) is caught by comparing the file just before replacing it;
the change is then made again on what is there now.

The file is replaced atomically (a temporary file in the same folder, flushed, renamed over it), so a reader sees
the old file or the new one. The temporary file's name carries the process id (pmkb.runtime.tempfiles), so that
one left by a killed process is recognised and removed later.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from pmkb.runtime.tempfiles import temp_prefix

try:
    import fcntl
except ImportError:  # no flock: the comparison before replacing still catches most concurrent writers
    fcntl = None  # type: ignore[assignment]

WAIT_SECONDS = 10.0  # for another rewrite of the same file to finish; an edit takes milliseconds
TEMP_SUFFIX = ".tmp"


class FileBusy(Exception):
    """The file kept changing, or stayed locked, for WAIT_SECONDS: nothing was written."""


def temporary_prefix(path: Path) -> str:
    """What the temporary files of rewrites of `path` start with, before the process id."""
    return f".{path.name}."


def rewrite_file(path: Path, change: Callable[[bytes], bytes | None], *, wait: float = WAIT_SECONDS) -> bytes | None:
    """Replace `path` by `change(its bytes)` unless that returns None; returns what was written, or None.

    `change` may run more than once, each time on the file as it is then. Raises OSError when the file cannot be
    read or replaced, and FileBusy when it could not be read unchanged for `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        with open(path, "rb") as handle:
            _lock(handle, deadline)
            before = os.fstat(handle.fileno())
            if not _same(path, before, contents=False):
                _pause(deadline)
                continue  # replaced while this process waited for the lock: lock the file that is there now
            new = change(handle.read())
            if new is None:
                return None
            if not _same(path, before, contents=True):
                _pause(deadline)
                continue  # written meanwhile by something that takes no lock: change what is there now
            _replace(path, new, before.st_mode & 0o7777)
            return new


def _lock(handle: IO[bytes], deadline: float) -> None:
    if fcntl is None:
        return
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            _pause(deadline)


def _pause(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise FileBusy("another program kept changing it")
    time.sleep(0.01)


def _same(path: Path, before: os.stat_result, *, contents: bool) -> bool:
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return False
    if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
        return False
    return not contents or (now.st_size, now.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def _replace(path: Path, data: bytes, mode: int) -> None:
    handle, temporary = tempfile.mkstemp(
        prefix=temp_prefix(temporary_prefix(path)), suffix=TEMP_SUFFIX, dir=path.parent
    )
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
