"""Vega-Lite to SVG in a process of its own: `python -m pmkb.runtime.chart_engine` reads a JSON array of specs on
stdin and writes a JSON array of SVG strings on stdout.

Why a fresh process: vl-convert runs a JavaScript engine on threads of its own, which Python does not see. A process
that has used it and then forks (pmkb's late work, pmkb.runtime.forking) hands the child an engine whose threads
did not survive the fork, and the child's first chart waits forever. Started afresh, the engine costs about half a
second, once per build, and only when a chart is missing from the cache.
"""

from __future__ import annotations

import json
import subprocess
import sys


def render_specs(specs: list[dict], timeout: float = 600) -> list[str]:
    """The SVG of each spec, in order, from a new process (raises RuntimeError with its stderr on failure)."""
    done = subprocess.run(
        [sys.executable, "-m", "pmkb.runtime.chart_engine"],
        input=json.dumps(specs),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"the chart engine failed: {last}")
    svgs = json.loads(done.stdout)
    if len(svgs) != len(specs):
        raise RuntimeError("the chart engine returned the wrong number of charts")
    return svgs


def main() -> int:
    import vl_convert

    specs = json.load(sys.stdin)
    json.dump([vl_convert.vegalite_to_svg(spec) for spec in specs], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
