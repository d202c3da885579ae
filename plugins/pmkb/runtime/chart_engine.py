"""Vega-Lite to SVG in a process of its own: `python -m pmkb.runtime.chart_engine` reads a JSON array of specs on
stdin and writes a JSON array of SVG strings on stdout.

Why a process of its own: vl-convert runs a JavaScript engine on threads Python does not see. A process that has
used it and then forks (pmkb's late work, pmkb.runtime.forking) hands the child an engine whose threads did not
survive the fork, and the child's first chart waits forever. Started afresh, the engine costs about half a
second; it runs on the second core while the build goes on, and is waited for only by the first page that shows
a chart (`EngineRun.svgs`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile


class EngineRun:
    """One engine process drawing `specs`, started at once; `svgs()` waits for it."""

    def __init__(self, specs: list[dict]) -> None:
        self.count = len(specs)
        # Specs go through a file, not a pipe: writing hundreds of kilobytes into a pipe would block this process
        # until the engine has read them.
        with tempfile.TemporaryFile("w+", encoding="utf-8") as specs_file:
            json.dump(specs, specs_file)
            specs_file.seek(0)
            self.process: subprocess.Popen | None = subprocess.Popen(
                [sys.executable, "-m", "pmkb.runtime.chart_engine"],
                stdin=specs_file,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

    def svgs(self, timeout: float = 600) -> list[str | None]:
        """The SVG of each spec, in order, None where the engine could not draw it (RuntimeError with the
        engine's last line when the engine itself failed)."""
        if self.process is None:
            raise RuntimeError("the chart engine was stopped")
        out, err = self.process.communicate(timeout=timeout)
        code, self.process = self.process.returncode, None
        if code != 0:
            raise RuntimeError(f"the chart engine failed: {(err.strip().splitlines() or ['no message'])[-1]}")
        svgs = json.loads(out)
        if len(svgs) != self.count:
            raise RuntimeError("the chart engine returned the wrong number of charts")
        return svgs

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.communicate()
            self.process = None


def main() -> int:
    import vl_convert

    specs = json.load(sys.stdin)
    svgs: list[str | None] = []
    for spec in specs:
        # One chart the engine cannot draw (text it cannot measure, say) costs that chart, not the others: its
        # page shows the data table instead.
        try:
            svgs.append(vl_convert.vegalite_to_svg(spec))
        except Exception:
            svgs.append(None)
    json.dump(svgs, sys.stdout)
    sys.stdout.flush()
    os._exit(0)  # the engine's threads need no orderly shutdown


if __name__ == "__main__":
    sys.exit(main())
