"""Work on the second core: forked processes, for the parts of a build or lint that need no shared state.

A fork inherits the imported modules and the data already built (the catalog), so starting one costs
milliseconds and nothing is pickled on the way in. Forking is skipped where it is unsafe or useless: one core,
a process that runs threads (`mkdocs serve`'s watcher and server), a platform without fork, or
`PMKB_WORKERS=1`. Callers then do the work in-process, with the same result.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import tempfile
import threading
from collections.abc import Callable
from typing import IO, Any, Generic, TypeVar

from pmkb.runtime.speedups import speedups

T = TypeVar("T")


def can_fork() -> bool:
    if (os.cpu_count() or 1) < 2 or not speedups().fork or not hasattr(os, "fork"):
        return False
    return threading.active_count() == 1


class Deferred(Generic[T]):
    """The value of `work()`, computed in a forked child while the caller goes on; `result()` waits for it.

    Without fork, `work()` runs in `result()` instead. An exception raised by `work()` in the child is raised
    again by `result()` (it must pickle); if the child dies without an answer, `work()` runs in-process.
    """

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        self._pid: int | None = None
        self._answer: IO[bytes] | None = None  # the child's answer: a file with no name
        # The value in a 1-tuple once known (a work() may return None, so None cannot mean "not yet").
        self._outcome: tuple[T] | None = None
        self._cancelled = False
        if can_fork():
            self._start()

    def _start(self) -> None:
        # The answer goes through a temporary file that has no name (unlinked at once, O_TMPFILE where the
        # system has it): however the parent or the child ends (Ctrl-C, SIGTERM, SIGKILL, out of memory),
        # nothing is left in the temp folder. Both hold the descriptor; the parent reads from offset 0.
        answer = tempfile.TemporaryFile(prefix="pmkb-", suffix=".pickle")
        try:
            pid = os.fork()
        except OSError:
            answer.close()
            return
        if pid == 0:  # the child: never returns into the caller's code
            code = 1
            # Collections in the child skip all it inherited (walking it found nothing to free, slowly), and
            # run even if the parent had paused them.
            gc.freeze()
            gc.enable()
            try:
                try:
                    payload = pickle.dumps((True, self._work()), protocol=pickle.HIGHEST_PROTOCOL)
                except Exception as error:  # handed to the parent, which raises it from result()
                    payload = pickle.dumps((False, error), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(os.dup(answer.fileno()), "wb") as out:
                    out.write(payload)
                code = 0
            finally:
                os._exit(code)  # no atexit handlers, no flushing the parent's buffers twice
        self._pid, self._answer = pid, answer

    def result(self) -> T:
        if self._outcome is None:
            if self._cancelled:  # there is no value: returning None would pass for one
                raise RuntimeError("the work was cancelled")
            self._outcome = (self._collect(),)
        return self._outcome[0]

    def cancel(self) -> None:
        """Stop waiting for the child (a build that failed): it is killed and its file removed."""
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except OSError:
                pass
            self._reap()
        self._cancelled = True

    def _collect(self) -> T:
        if self._pid is None:
            return self._work()
        code, payload = self._reap()
        # What the child pickled: (True, the value of work()) or (False, the exception it raised).
        answer: tuple[bool, Any] | None = None
        if code == 0 and payload:
            try:
                answer = pickle.loads(payload)
            except Exception:
                answer = None
        if answer is None:  # the child died (killed, out of memory) or its answer is unreadable: work here
            return self._work()
        ok, value = answer
        if not ok:
            raise value
        return value

    def _reap(self) -> tuple[int | None, bytes | None]:
        """Wait for the child; its exit code and answer. The answer's file is closed (it has no name)."""
        assert self._pid is not None and self._answer is not None
        try:
            _, wait_status = os.waitpid(self._pid, 0)
            code: int | None = os.waitstatus_to_exitcode(wait_status)
        except ChildProcessError:
            code = None
        except BaseException:  # interrupted while waiting (Ctrl-C): the child's work is no longer wanted
            with contextlib.suppress(OSError):
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
            self._answer.close()
            self._pid = self._answer = None
            raise
        try:
            self._answer.seek(0)
            payload: bytes | None = self._answer.read()
        except OSError:
            payload = None
        self._answer.close()
        self._pid = self._answer = None
        return code, payload
