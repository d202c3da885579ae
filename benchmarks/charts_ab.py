"""What charts cost a build: `mkdocs build` of a generated knowledge base with charts off and with charts on from an
empty chart cache, alternating, a few rounds.

    python benchmarks/corpus.py /tmp/kb5k-charts -n 5000
    flock /tmp/pmkb-bench.lock python benchmarks/charts_ab.py /tmp/kb5k-charts --rounds 3
    flock /tmp/pmkb-bench.lock python benchmarks/charts_ab.py /tmp/kb5k-charts --compare /tmp/old/plugins

One untimed build first warms the similar-incidents cache (every timed build then finds it warm). Each round then
builds with `PMKB_CHARTS=0`, then with charts on and `.cache/pmkb/charts` removed, and with each `--compare` once
more, with charts on from an empty cache and the given `plugins` folder of another checkout put first on
PYTHONPATH (so that versions of the chart code are compared in the same rounds). Wall time, and CPU time
including every child process (the chart engine, Pagefind, the forked late work), come from `os.wait4`. The load
average before and after is printed: the figures mean little on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402  (a sibling script, not a package)

ENV = {"PMKB_TODAY": corpus.TODAY.isoformat(), "NO_MKDOCS_2_WARNING": "1"}


@dataclass(frozen=True, slots=True)
class Timing:
    wall: float
    cpu: float  # user + system, the build and all its children
    others: float | None = None  # CPU seconds the rest of the machine used meanwhile (Linux), a measure of noise


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    charts: bool
    pythonpath: str | None = None


def busy_seconds() -> float | None:
    """CPU seconds the whole machine has been busy since boot, from /proc/stat; None elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(f) for f in stat.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wait_for_quiet(limit: float, cores: float = 0.1) -> None:
    """Start a build only once the rest of the machine has used under `cores` for two seconds (or after `limit`)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = busy_seconds()
        if before is None:
            return
        time.sleep(2)
        after = busy_seconds()
        if after is not None and (after - before) / 2 < cores:
            return


def build(kb: Path, site: Path, variant: Variant) -> Timing:
    env = {**os.environ, **ENV, "PMKB_CHARTS": "1" if variant.charts else "0"}
    if variant.pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (variant.pythonpath, env.get("PYTHONPATH")) if p)
    if variant.charts:
        shutil.rmtree(kb / ".cache" / "pmkb" / "charts", ignore_errors=True)
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(kb / "mkdocs.yml"), "-d", str(site)]
    busy_before = busy_seconds()
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    busy_after = busy_seconds()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{variant.name}: the build failed\n{errors.decode(errors='replace')[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    others = None if busy_before is None or busy_after is None else max(0.0, busy_after - busy_before - cpu)
    return Timing(wall, cpu, others)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kb", type=Path, help="a knowledge base written by benchmarks/corpus.py")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120,
        metavar="SECONDS",
        help="before each build, wait up to this long for the rest of the machine to go idle (default 120)",
    )
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="PLUGINS",
        help="the plugins folder of another checkout, also built with charts on from an empty cache (repeatable)",
    )
    args = parser.parse_args()
    variants = [Variant("charts off", False), Variant("charts on", True)]
    variants += [Variant(f"charts on ({folder})", True, str(Path(folder).resolve())) for folder in args.compare]
    with tempfile.TemporaryDirectory(prefix="pmkb-charts-ab-") as work:
        site = Path(work) / "site"
        print(f"before: {uptime()}", flush=True)
        build(args.kb, site, variants[0])  # warms the similar-incidents cache
        timings: dict[str, list[Timing]] = {v.name: [] for v in variants}
        for round_number in range(1, args.rounds + 1):
            for variant in variants:
                wait_for_quiet(args.quiet_wait)
                timing = build(args.kb, site, variant)
                timings[variant.name].append(timing)
                print(f"round {round_number}, {variant.name}: {cell(timing)}", flush=True)
        print(f"after: {uptime()}")
    print()
    print(table(variants, timings, args.rounds))
    return 0


def cell(timing: Timing) -> str:
    others = "" if timing.others is None else f" ({timing.others:.1f})"
    return f"{timing.wall:.1f} / {timing.cpu:.1f}{others}"


def table(variants: list[Variant], timings: dict[str, list[Timing]], rounds: int) -> str:
    """Markdown: a row per round and the medians; ratios are wall times over charts off's."""
    off = timings[variants[0].name]
    lines = [
        "| round | " + " | ".join(f"{v.name}: wall / CPU (others) (s)" for v in variants) + " | ratios (wall) |",
        "| --- " * (len(variants) + 2) + "|",
    ]
    for i in range(rounds):
        cells = [cell(timings[v.name][i]) for v in variants]
        ratios = [f"{timings[v.name][i].wall / off[i].wall:.3f}" for v in variants[1:]]
        lines.append(f"| {i + 1} | " + " | ".join(cells) + " | " + ", ".join(ratios) + " |")
    medians = {
        name: Timing(statistics.median(t.wall for t in runs), statistics.median(t.cpu for t in runs))
        for name, runs in timings.items()
    }
    by_rounds = [statistics.median(timings[v.name][i].wall / off[i].wall for i in range(rounds)) for v in variants[1:]]
    by_medians = [medians[v.name].wall / medians[variants[0].name].wall for v in variants[1:]]
    ratios = [f"{r:.3f} (medians {m:.3f})" for r, m in zip(by_rounds, by_medians, strict=True)]
    lines.append("| median | " + " | ".join(cell(medians[v.name]) for v in variants) + " | " + ", ".join(ratios) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
