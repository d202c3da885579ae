"""Vega-Lite to SVG in a process of its own: `python -m pmkb.runtime.chart_engine` reads batches of specs and
writes their SVGs, one line each way per batch: in, the path of a JSON file holding an array of specs (the engine
removes it once read); out, a JSON array of SVG strings (None for a spec it could not draw). It ends when its
stdin closes.

Why a process of its own: vl-convert runs a JavaScript engine on threads Python does not see. A process that has
used it and then forks (pmkb's late work, pmkb.runtime.forking) hands the child an engine whose threads did not
survive the fork, and the child's first chart waits forever. Started afresh, the engine costs about half a
second of CPU before its first chart; it runs on the second core while the build goes on, and is waited for only
by the first page that shows a chart (`EngineRun.svgs`).

One engine serves every batch handed to it before it ends (the plugin's two chart jobs, the home page's and the
facet pages', started back to back): a second process would pay that half second again.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from typing import IO

from pmkb.runtime.tempfiles import make_temp_folder, remove_temp_folder

Svgs = list[str | None]
_CAN_WAIT_ON_PIPES = os.name == "posix"  # select() on Windows takes sockets only


class EngineError(RuntimeError):
    pass


class _Engine:
    """One engine process and the batches sent to it, answered in the order they were sent."""

    def __init__(self) -> None:
        # Specs go through files, not the pipe: writing hundreds of kilobytes into a pipe would block the build
        # until the engine, busy drawing an earlier batch, reads them. The folder goes even on SIGTERM.
        self.folder = make_temp_folder("pmkb-charts-")
        # The engine's messages go to a file: a full stderr pipe, never read while waiting for stdout, would
        # stall it.
        self.errors: IO[bytes] = tempfile.TemporaryFile()
        self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-m", "pmkb.runtime.chart_engine"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
        )
        self.output = bytearray()  # read from the engine, not yet a whole line
        self.failure: EngineError | None = None
        self.sent = 0
        self.read = 0
        self.answers: dict[int, Svgs] = {}  # read, not yet taken
        self.waiting: set[int] = set()  # sent, neither taken nor abandoned

    @property
    def running(self) -> bool:
        return self.process is not None

    def send(self, specs: list[dict]) -> int:
        assert self.process is not None and self.process.stdin is not None
        index, self.sent = self.sent, self.sent + 1
        self.waiting.add(index)
        descriptor, path = tempfile.mkstemp(suffix=".json", dir=self.folder)
        with open(descriptor, "w", encoding="utf-8") as specs_file:
            json.dump(specs, specs_file)
        try:
            self.process.stdin.write(path.encode("utf-8") + b"\n")
            self.process.stdin.flush()
        except OSError:
            pass  # the engine has ended already: `answer` says why
        return index

    def answer(self, index: int, timeout: float) -> Svgs:
        deadline = time.monotonic() + timeout
        while index not in self.answers:
            if self.failure is not None:
                raise self.failure
            if self.process is None:
                raise EngineError("the chart engine was stopped")
            line = self._line(self.process, deadline)
            if line is None:
                self.failure = self._failure(self.process)
                continue
            self.answers[self.read] = json.loads(line)
            self.read += 1
        self.waiting.discard(index)
        svgs = self.answers.pop(index)
        if not self.waiting:
            self._end(kill=False)
        return svgs

    def abandon(self, index: int) -> None:
        self.waiting.discard(index)
        self.answers.pop(index, None)
        if not self.waiting:
            self._end(kill=True)

    def _line(self, process: subprocess.Popen[bytes], deadline: float) -> bytes | None:
        """The engine's next line; None once it has closed its output. Raw reads, so that `select` sees every
        byte not yet read (a buffered reader may hold a whole answer that select cannot know about)."""
        assert process.stdout is not None
        descriptor = process.stdout.fileno()
        while b"\n" not in self.output:
            if _CAN_WAIT_ON_PIPES:
                ready, _, _ = select.select([descriptor], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    self._end(kill=True)
                    self.failure = EngineError("the chart engine took too long")
                    raise self.failure
            chunk = os.read(descriptor, 1 << 16)
            if not chunk:
                return None
            self.output += chunk
        end = self.output.index(b"\n")
        line = bytes(self.output[:end])
        del self.output[: end + 1]
        return line

    def _failure(self, process: subprocess.Popen[bytes]) -> EngineError:
        """The engine closed its output early: its exit status and last message."""
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.errors.seek(0)
        last = (self.errors.read().decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        self._end(kill=True)
        return EngineError(f"the chart engine failed (exit status {process.returncode}): {last}")

    def _end(self, *, kill: bool) -> None:
        """Without kill, the engine ends on its own once its stdin closes."""
        process, self.process = self.process, None
        if process is not None:
            assert process.stdin is not None and process.stdout is not None
            if kill:
                process.kill()
            try:
                process.stdin.close()
            except OSError:
                pass
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()
            self.errors.close()
        remove_temp_folder(self.folder)
        if _shared is self:
            _set_shared(None)


_shared: _Engine | None = None  # the engine new batches join while it runs


def _set_shared(engine: _Engine | None) -> None:
    global _shared
    _shared = engine


class EngineRun:
    """One batch of `specs`, drawn by the engine process started for it or by the one already running;
    `svgs()` waits for it."""

    def __init__(self, specs: list[dict]) -> None:
        self.count = len(specs)
        engine = _shared
        if engine is None or not engine.running:
            engine = _Engine()
            _set_shared(engine)
        self._engine: _Engine | None = engine
        self._index = engine.send(specs)

    def svgs(self, timeout: float = 600) -> Svgs:
        """The SVG of each spec, in order, None where the engine could not draw it (EngineError, a RuntimeError,
        with the engine's last line when the engine itself failed)."""
        if self._engine is None:
            raise EngineError("the chart engine was stopped")
        engine, self._engine = self._engine, None
        svgs = engine.answer(self._index, timeout)
        if len(svgs) != self.count:
            raise EngineError("the chart engine returned the wrong number of charts")
        return svgs

    def stop(self) -> None:
        """This batch is not wanted any more; the engine is stopped when no other batch waits for it."""
        if self._engine is not None:
            engine, self._engine = self._engine, None
            engine.abandon(self._index)


def main() -> int:
    import vl_convert

    for line in sys.stdin:
        path = line.rstrip("\n")
        with open(path, encoding="utf-8") as specs_file:
            specs = json.load(specs_file)
        os.unlink(path)
        svgs: Svgs = []
        for spec in specs:
            # One chart the engine cannot draw (text it cannot measure, say) costs that chart, not the others:
            # its page shows the data table instead.
            try:
                svgs.append(vl_convert.vegalite_to_svg(spec))
            except Exception:
                svgs.append(None)
        sys.stdout.write(json.dumps(svgs) + "\n")
        sys.stdout.flush()
    os._exit(0)  # the engine's threads need no orderly shutdown


if __name__ == "__main__":
    sys.exit(main())
