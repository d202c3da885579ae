"""Profile one `mkdocs build` of a generated corpus, with pmkb and plain, and show where pmkb's time goes.

    python benchmarks/profile_build.py            # N = 1,000
    python benchmarks/profile_build.py -n 5000 --top 40

First times one build of each variant by phase, without a profiler (plugin events, and per kind of page the
Markdown and the HTML steps). Then builds in-process under cProfile (about 2x slower than a real build: compare
shares, not seconds) and prints:
self time by package for both variants (what pmkb adds, package by package), pmkb's functions by cumulative
time (code and templates under plugins/pmkb/), and the heaviest functions overall.
The raw profiles are saved as `<work>/profile-<variant>-<N>.prof` (open with `python -m pstats` or snakeviz).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import time
from collections import defaultdict
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402  (a sibling script, not a package)
import run as bench  # noqa: E402

REPO = corpus.REPO
PMKB_DIR = str(REPO / "plugins" / "pmkb") + os.sep
TEMPLATES_DIR = str(REPO / "plugins" / "pmkb" / "mkdocs_plugin" / "templates") + os.sep
PACKAGES = (
    "mkdocs_material",
    "material",
    "mkdocs",
    "jinja2",
    "markupsafe",
    "markdown",
    "pymdownx",
    "yaml",
    "frontmatter",
    "babel",
    "regex",
    "json",
    "html",
    "re",
    "lxml",
)


def package_of(filename: str) -> str:
    if filename.startswith(PMKB_DIR):
        return "pmkb (plugins/pmkb)"
    if filename.startswith(TEMPLATES_DIR):
        return "pmkb templates"
    if filename.startswith(("<", "~")):  # "~": builtins such as str.join; "<frozen ...>": import machinery
        return "builtins / C"
    if "/site-packages/" in filename:
        top = filename.split("/site-packages/", 1)[1].split("/", 1)[0]
        return top.removesuffix(".py")
    parts = Path(filename).parts
    if "lib" in parts:  # the standard library: lib/python3.11/<module>
        rest = parts[parts.index("lib") + 2 :]
        return f"stdlib {rest[0].removesuffix('.py')}" if rest else "stdlib"
    return "other"


def profile(config_file: Path, site: Path) -> tuple[pstats.Stats, float]:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    config = load_config(str(config_file), site_dir=str(site))
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()
    profiler.disable()
    return pstats.Stats(profiler), time.perf_counter() - started


PER_PAGE_EVENTS = ("page_", "pre_template", "template_context", "post_template")


def resident_mb() -> tuple[float, float]:
    """This process's resident memory now and at its peak so far (Linux), in MB."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            fields[name] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def phases(config_file: Path, site: Path) -> dict[str, object]:
    """One build without a profiler, timed by phase: each plugin's events, and per kind of page the Markdown
    step (`_populate_page`: read, page_markdown, convert) and the HTML step (`_build_page`: page_context, the
    template, post_page (the search plugin indexing the HTML), write). Seconds of wall time.

    Under "memory": resident memory and the peak so far after each build-wide event and between the steps
    (the forked children pmkb may start are not counted; they end before their parent's peak)."""
    from mkdocs.commands import build as mkdocs_build
    from mkdocs.config import load_config

    timings: dict[str, float] = defaultdict(float)
    pages: dict[str, int] = defaultdict(int)
    memory: list[tuple[str, float, float]] = []

    def remember(label: str) -> None:
        memory.append((label, *resident_mb()))

    def kind(page) -> str:
        src = page.file.src_uri
        if src[:4].isdigit() and "/" in src:
            return "postmortem pages"
        if src == "index.md" or "/" not in src or src.startswith("runbooks/"):
            return "home and other pages"
        return "generated listing pages"

    def timed(label: str, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timings[label] += time.perf_counter() - started

        return wrapper

    originals = (mkdocs_build._populate_page, mkdocs_build._build_page)
    rendered: list[None] = []

    def populate(page, *args, **kwargs):
        if not pages:
            remember("Markdown step starts")
        pages[kind(page)] += 1
        return timed(f"markdown step: {kind(page)}", originals[0])(page, *args, **kwargs)

    def render(page, *args, **kwargs):
        if not rendered:
            remember("HTML step starts")
        rendered.append(None)
        return timed(f"HTML step: {kind(page)}", originals[1])(page, *args, **kwargs)

    config = load_config(str(config_file), site_dir=str(site))
    for event, methods in config.plugins.events.items():
        for index, method in enumerate(methods):
            module = type(getattr(method, "__self__", None)).__module__  # material.plugins.search.plugin
            owner = module.split(".")[-2] if module.endswith(".plugin") and "." in module else module
            methods[index] = timed(f"event {event}: {owner}", method)
            if not event.startswith(PER_PAGE_EVENTS):
                methods[index] = _then(methods[index], partial(remember, f"after {event}: {owner}"))
    mkdocs_build._populate_page, mkdocs_build._build_page = populate, render
    started = time.perf_counter()
    try:
        config.plugins.on_startup(command="build", dirty=False)
        mkdocs_build.build(config)
        config.plugins.on_shutdown()
    finally:
        mkdocs_build._populate_page, mkdocs_build._build_page = originals
    timings["total build"] = time.perf_counter() - started
    remember("end")
    return {
        **{k: v for k, v in timings.items() if v >= 0.005},
        **{f"pages: {k}": n for k, n in pages.items()},
        "memory": memory,
    }


def _then(function, after):
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            after()

    return wrapper


def profile_lint(config_file: Path) -> tuple[pstats.Stats, float]:
    import contextlib
    import io

    from pmkb.cli.main import main as pmkb_main

    profiler = cProfile.Profile()
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        profiler.enable()
        pmkb_main(["lint", "-f", str(config_file)])
        profiler.disable()
    return pstats.Stats(profiler), time.perf_counter() - started


def self_time_by_package(stats: pstats.Stats) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        totals[package_of(filename)] += tottime
    return totals


def where(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    for prefix, shown in ((PMKB_DIR, "pmkb/"), (TEMPLATES_DIR, "pmkb/mkdocs_plugin/templates/")):
        if filename.startswith(prefix):
            return f"{shown}{filename[len(prefix) :]}:{line} {name}"
    if "/site-packages/" in filename:
        filename = filename.split("/site-packages/", 1)[1]
    return f"{filename}:{line} {name}"


def top(stats: pstats.Stats, keep, sort_index: int, count: int) -> list[tuple[str, int, float, float]]:
    rows = []
    for key, (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if keep(key[0]):
            rows.append((where(key), ncalls, tottime, cumtime))
    rows.sort(key=lambda row: row[sort_index], reverse=True)
    return rows[:count]


def growth(pmkb: pstats.Stats, plain: pstats.Stats, count: int) -> list[tuple[str, int, float, float]]:
    """Functions whose cumulative time grows most from the plain build to the pmkb build (calls, self, cum)."""
    a, b = pmkb.stats, plain.stats  # type: ignore[attr-defined]
    empty = (0, 0, 0.0, 0.0, {})
    rows = []
    for key in set(a) | set(b):
        mine, theirs = a.get(key, empty), b.get(key, empty)
        rows.append((where(key), mine[1] - theirs[1], mine[2] - theirs[2], mine[3] - theirs[3]))
    rows.sort(key=lambda row: row[3], reverse=True)
    return rows[:count]


def print_rows(title: str, rows, total: float) -> None:
    print(f"\n{title}")
    print(f"{'cumulative s':>12} {'share':>6} {'self s':>8} {'calls':>9}  function")
    for name, ncalls, tottime, cumtime in rows:
        print(f"{cumtime:12.2f} {cumtime / total:6.1%} {tottime:8.2f} {ncalls:9d}  {name}")


def run_child(args: argparse.Namespace, mode: str, variant: str) -> dict:
    """Each build in a fresh process: MkDocs keeps plugin instances (and pmkb its parse cache) within one."""
    command = [sys.executable, __file__, "-n", str(args.n), "--work", str(args.work), "--child", mode, variant]
    done = subprocess.run(command, stdout=subprocess.PIPE, check=True, text=True, env={**os.environ, **bench.ENV})
    return json.loads(done.stdout.strip().splitlines()[-1])


def child(root: Path, work: Path, n: int, mode: str, variant: str) -> int:
    import shutil

    config = root / (corpus.CONFIG if variant == "pmkb" else corpus.PLAIN_CONFIG)
    shutil.rmtree(work / "sites" / f"{mode}-{variant}-{n}", ignore_errors=True)  # not MkDocs' cleaning, untimed
    if mode == "phases":
        print(json.dumps(phases(config, work / "sites" / f"phases-{variant}-{n}")))
    else:
        stats, seconds = profile(config, work / "sites" / f"{mode}-{variant}-{n}")
        stats.dump_stats(str(work / f"profile-{variant}-{n}.prof"))
        print(json.dumps({"seconds": seconds}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile pmkb's mkdocs build against plain Material.")
    parser.add_argument("-n", type=int, default=1000, help="corpus size (default: 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--top", type=int, default=25, help="rows per list (default: 25)")
    parser.add_argument("--variant", choices=("both", "pmkb", "plain"), default="both")
    parser.add_argument("--lint", action="store_true", help="profile `pmkb lint` of the corpus instead of builds")
    parser.add_argument("--phases-only", action="store_true", help="only time the build phases (no cProfile)")
    parser.add_argument("--work", type=Path, default=REPO / "benchmarks" / ".work")
    parser.add_argument("--code", metavar="FINGERPRINT", help="profile an earlier snapshot (see results.md)")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "VARIANT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    os.environ.setdefault("PMKB_TODAY", corpus.TODAY.isoformat())
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    root = args.work / f"kb-{args.n}"
    if args.child:
        return child(root, args.work, args.n, *args.child)
    fingerprint = bench.snapshot(args.work, args.code)  # the same code for every child, whatever is edited meanwhile
    global PMKB_DIR, TEMPLATES_DIR
    PMKB_DIR = f"{bench.CODE['pmkb']}{os.sep}"
    TEMPLATES_DIR = f"{bench.CODE['pmkb']}{os.sep}mkdocs_plugin{os.sep}templates{os.sep}"
    print(f"pmkb code: snapshot {fingerprint}", file=sys.stderr)
    corpus.ensure(root, args.n, args.seed)
    if args.lint:
        stats, seconds = profile_lint(root / corpus.CONFIG)
        stats.dump_stats(str(args.work / f"profile-lint-{args.n}.prof"))
        print(f"pmkb lint of {args.n:,} postmortems: {seconds:.2f} s under the profiler")
        print_rows(
            "pmkb's functions by cumulative time", top(stats, lambda f: f.startswith(PMKB_DIR), 3, args.top), seconds
        )
        print_rows("heaviest functions overall by self time", top(stats, lambda f: True, 2, args.top), seconds)
        return 0
    variants = ("pmkb", "plain") if args.variant == "both" else (args.variant,)
    timed: dict[str, dict[str, float]] = {}
    for variant in variants:
        timed[variant] = run_child(args, "phases", variant)
    memory = {variant: timed[variant].pop("memory") for variant in variants}
    print(f"Phases of one build without a profiler, N = {args.n:,} (wall s; events include nested work)")
    labels = sorted({k for t in timed.values() for k in t}, key=lambda k: (k.startswith("pages"), k))
    print(f"{'phase':<52}" + "".join(f"{v:>10}" for v in variants))
    for label in labels:
        cells = [timed[v].get(label) for v in variants]
        shown = [
            f"{'-':>10}" if c is None else f"{c:10.0f}" if label.startswith("pages") else f"{c:10.2f}" for c in cells
        ]
        print(f"{label:<52}" + "".join(shown))
    print(f"\nMemory of the build process, MB: resident now / peak so far, N = {args.n:,}")
    for variant in variants:
        print(f"  {variant}")
        for label, now, peak in memory[variant]:
            print(f"    {label:<48}{now:8.0f}{peak:8.0f}")
    if args.phases_only:
        return 0

    by_package: dict[str, dict[str, float]] = {}
    wall: dict[str, float] = {}
    profiles: dict[str, pstats.Stats] = {}
    for variant in variants:
        seconds = run_child(args, "profile", variant)["seconds"]
        stats = pstats.Stats(str(args.work / f"profile-{variant}-{args.n}.prof"))
        by_package[variant] = self_time_by_package(stats)
        wall[variant] = seconds
        print(f"{variant}: {seconds:.1f} s under the profiler", file=sys.stderr)
        profiles[variant] = stats

    print(f"\nSelf time by package, N = {args.n:,} (under cProfile)")
    header = "".join(f"{v:>10}" for v in variants) + ("      diff" if len(variants) == 2 else "")
    print(f"{'package':<34}{header}")
    names = sorted(
        {name for totals in by_package.values() for name in totals}, key=lambda k: -by_package[variants[0]].get(k, 0)
    )
    for name in names:
        values = [by_package[v].get(name, 0.0) for v in variants]
        if max(values) < 0.05:
            continue
        diff = f"{values[0] - values[1]:+10.2f}" if len(values) == 2 else ""
        print(f"{name:<34}" + "".join(f"{x:10.2f}" for x in values) + diff)
    print(f"{'total (wall, profiled)':<34}" + "".join(f"{wall[v]:10.2f}" for v in variants))

    pmkb_stats = profiles.get("pmkb")
    if pmkb_stats is not None:
        total = wall["pmkb"]
        mine = top(pmkb_stats, lambda f: f.startswith(PMKB_DIR), 3, args.top)
        print_rows("pmkb's own functions (plugins/pmkb/) by cumulative time", mine, total)
        templates = top(pmkb_stats, lambda f: f.startswith(TEMPLATES_DIR), 3, 10)
        print_rows("pmkb's templates by cumulative time", templates, total)
        everything = top(pmkb_stats, lambda f: True, 2, args.top)
        print_rows("heaviest functions overall by self time (pmkb build)", everything, total)
        if "plain" in profiles:
            extra = growth(pmkb_stats, profiles["plain"], args.top)
            print_rows(
                "what pmkb adds: cumulative time, pmkb build minus plain build (calls, self: differences)", extra, total
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
