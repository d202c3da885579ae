"""Build, lint and search benchmarks: pmkb against plain Material for MkDocs on the same Markdown.

    python benchmarks/run.py                      # N = 1,000 and 5,000, 3 runs of each build
    python benchmarks/run.py --sizes 500 --repeat 2

For each N it generates (or reuses) a knowledge base of N postmortems and one of N/4 (`benchmarks/corpus.py`),
then measures, each in its own process:

- `mkdocs build` with pmkb (a) and with plain Material (b: pmkb removed, the nav reduced to the home page),
  alternating a/b, `--repeat` runs each: median wall time, their ratio, peak RSS of each. If the pmkb build
  leaves a cache in `<root>/.cache/pmkb`, cold builds (cache removed first) and warm builds are measured apart;
- the average HTML size of a postmortem page at N and at N/4;
- `pmkb lint` of the corpus, whole process;
- `pmkb search`, when the command exists: cold index build, incremental update after one file changed, warm query.

It prints a table and writes `benchmarks/results.md` with the machine's description and each target's PASS/MISS.
Nothing here asserts a time: timings belong in this report, not in the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402  (a sibling script, not a package)

REPO = Path(__file__).resolve().parents[1]
HERE = REPO / "benchmarks"
ENV = {"PMKB_TODAY": corpus.TODAY.isoformat(), "NO_MKDOCS_2_WARNING": "1"}
QUERY = "replication lag"
FIELD_QUERY = "timeout cause:network"

# The build-time targets, on the project's 2-core machine. BUILD_RATIO_MAX was set when both builds ran Material's
# lunr search; pmkb has since replaced it with Pagefind, and the whole build including the search index has its
# own target, SEARCH_BUILD_RATIO_MAX of plain Material with its own search. Both are reported.
BUILD_RATIO_MAX = 1.15
SEARCH_BUILD_RATIO_MAX = 1.25
GROWTH_PER_5X_MAX = 5.5  # build time from N to 5N; scaled linearly for other pairs of sizes
PAGE_SIZE_TOLERANCE = 0.10
RSS_RATIO_MAX = 1.3
LINT_SECONDS_MAX = 3.0
LINT_TARGET_N = 5000
TARGET_HEADER = ["target", "wall time", "result", "CPU time", "result (CPU)"]


@dataclass
class Run:
    seconds: float  # wall time
    rss_mb: float  # the child's own peak RSS
    returncode: int
    cpu: float = 0.0  # user + system CPU time of the child
    load: float = 0.0  # 1-minute load average when it started
    code: str = ""  # fingerprint of pmkb's code and templates when it started


@dataclass
class SizeResult:
    n: int
    cache: bool = False  # the pmkb build leaves <root>/.cache/pmkb behind
    builds: dict[str, list[Run]] = field(default_factory=dict)  # variant -> runs
    page_kb: dict[str, float] = field(default_factory=dict)  # "pmkb", "pmkb@N/4", "plain" -> KB
    site: dict[str, dict] = field(default_factory=dict)  # variant -> pages, MB, search_index KB
    lint: list[Run] = field(default_factory=list)
    lint_summary: str = ""
    search: dict[str, object] = field(default_factory=dict)  # label -> seconds, list of seconds, or a note

    def median(self, variant: str) -> float:
        return statistics.median(r.seconds for r in self.builds[variant])

    def cpu(self, variant: str) -> float:
        return statistics.median(r.cpu for r in self.builds[variant])

    def rss(self, variant: str) -> float:
        return statistics.median(r.rss_mb for r in self.builds[variant])

    def paired_ratio(self, variant: str) -> float:
        """The median over rounds of variant/plain within the round: builds one or two apart, so a slow stretch
        of the machine that lasts a few minutes weighs on both sides of each ratio."""
        pairs = zip(self.builds[variant], self.builds["plain"], strict=True)
        return statistics.median(run.seconds / plain.seconds for run, plain in pairs)


# -- measuring one process -----------------------------------------------------------------------------------


def measure(cmd: list[str], *, log: Path, cwd: Path | None = None) -> Run:
    """Wall time and peak RSS of one child process (its own rusage via wait4, so runs never mix)."""
    env = {**os.environ, **ENV}
    load = os.getloadavg()[0]
    code = code_fingerprint()
    with log.open("ab") as out:
        out.write(("\n$ " + " ".join(cmd) + "\n").encode())
        out.flush()
        start = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, usage.ru_maxrss / 1024, child.returncode, cpu, load, code)


# The code measured: the working tree, or (by default) a snapshot of it taken when the run starts, so that edits
# made while a long run goes on do not mix versions. Children import pmkb from CODE["pythonpath"] when it is set.
CODE: dict[str, Path | None] = {"pmkb": REPO / "plugins" / "pmkb", "pythonpath": None}


def code_fingerprint(pmkb: Path | None = None) -> str:
    """A hash of pmkb's sources and templates, so a report can tell when they changed in the middle of a run."""
    digest = hashlib.sha256()
    folder = pmkb or CODE["pmkb"]
    assert folder is not None
    for pattern in ("*.py", "*.html"):
        for path in sorted(folder.rglob(pattern)):
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def snapshot(work: Path, fingerprint: str | None = None) -> str:
    """Copy pmkb's package and templates under `work/code/<fingerprint>/` and measure that copy from now on.

    With `fingerprint`, use that earlier snapshot instead (to profile the very code a benchmark measured).
    """
    if fingerprint is not None and not (work / "code" / fingerprint / "pmkb").is_dir():
        raise SystemExit(f"no snapshot {fingerprint} under {work / 'code'}")
    fingerprint = fingerprint or code_fingerprint(REPO / "plugins" / "pmkb")
    target = work / "code" / fingerprint
    if not (target / "pmkb").is_dir():
        shutil.rmtree(target, ignore_errors=True)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
        shutil.copytree(REPO / "plugins" / "pmkb", target / "pmkb", ignore=ignore)
    CODE.update(pmkb=target / "pmkb", pythonpath=target)
    ENV["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH", "")]))
    sys.path.insert(0, str(target))  # for the in-process search figures
    return fingerprint  # ru_maxrss is in KiB on Linux


def mkdocs_build(root: Path, variant: str, site: Path, log: Path) -> Run:
    config = root / (corpus.PLAIN_CONFIG if variant == "plain" else corpus.CONFIG)
    if variant == "pmkb-cold":
        shutil.rmtree(root / ".cache" / "pmkb", ignore_errors=True)
    shutil.rmtree(site, ignore_errors=True)
    run = measure([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config), "-d", str(site)], log=log)
    if run.returncode != 0:
        raise SystemExit(f"mkdocs build ({variant}) failed with exit code {run.returncode}: see {log}")
    return run


def postmortem_pages(root: Path, site: Path) -> list[Path]:
    """The built HTML of every postmortem of the corpus (directory URLs: YYYY/<id>/index.html)."""
    docs = root / corpus.DOCS
    pages = []
    for md in docs.glob("[0-9][0-9][0-9][0-9]/*.md"):
        html = site / md.parent.name / md.stem / "index.html"
        if html.is_file():
            pages.append(html)
    return pages


def average_kb(paths: list[Path]) -> float:
    return statistics.fmean(p.stat().st_size for p in paths) / 1024 if paths else float("nan")


def site_facts(site: Path) -> dict:
    """Pages and size of a built site, and its search index: Material's `search/search_index.json`, or pmkb's
    Pagefind folder (every index) with the explorer's own files under `search/`."""
    files = [p for p in site.rglob("*") if p.is_file()]
    lunr = site / "search" / "search_index.json"
    if lunr.is_file():
        index_bytes = lunr.stat().st_size
    else:
        index_bytes = sum(p.stat().st_size for p in files if p.relative_to(site).parts[0] in ("pagefind", "search"))
    return {
        "html_pages": sum(p.suffix == ".html" for p in files),
        "mb": round(sum(p.stat().st_size for p in files) / 1e6, 1),
        "search_index_mb": round(index_bytes / 1e6, 1),
    }


# -- the benchmark -------------------------------------------------------------------------------------------


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def prepare(work: Path, n: int, seed: int) -> Path:
    root = work / f"kb-{n}"
    started = time.perf_counter()
    if corpus.ensure(root, n, seed):
        say(f"generated {n} postmortems in {time.perf_counter() - started:.1f} s -> {root}")
    return root


SMALL_N = 2_500


def rounds(n: int, args: argparse.Namespace) -> int:
    return args.repeat if n >= SMALL_N else max(args.repeat, args.small_repeat)


def bench_size(n: int, args: argparse.Namespace, log: Path) -> SizeResult:
    work: Path = args.work
    result = SizeResult(n)
    quarter = max(1, n // 4)
    small, root = prepare(work, quarter, args.seed), prepare(work, n, args.seed)

    # N/4: the page size at a quarter of the corpus; also warms the OS caches and bytecode before timing.
    shutil.rmtree(small / ".cache" / "pmkb", ignore_errors=True)
    say(f"N/4 = {quarter}: one pmkb and one plain build (warm-up, page size)")
    small_site = work / "sites" / f"pmkb-{quarter}"
    mkdocs_build(small, "pmkb", small_site, log)
    mkdocs_build(small, "plain", work / "sites" / f"plain-{quarter}", log)
    result.page_kb["pmkb@N/4"] = average_kb(postmortem_pages(small, small_site))
    result.cache = (small / ".cache" / "pmkb").exists()

    variants = ["pmkb-cold", "pmkb-warm", "plain"] if result.cache else ["pmkb", "plain"]
    shutil.rmtree(root / ".cache" / "pmkb", ignore_errors=True)
    for variant in variants:
        result.builds[variant] = []
    for round_ in range(rounds(n, args)):
        order = variants if round_ % 2 == 0 else variants[::-1]
        for variant in order:
            run = mkdocs_build(root, variant, work / "sites" / f"{variant}-{n}", log)
            result.builds[variant].append(run)
            say(
                f"N = {n}: build {variant} #{round_ + 1}: {run.seconds:.2f} s wall, {run.cpu:.2f} s CPU, "
                f"{run.rss_mb:.0f} MB (load {run.load:.2f})"
            )

    main_variant = "pmkb-cold" if result.cache else "pmkb"
    pmkb_site, plain_site = work / "sites" / f"{main_variant}-{n}", work / "sites" / f"plain-{n}"
    result.page_kb["pmkb"] = average_kb(postmortem_pages(root, pmkb_site))
    result.page_kb["plain"] = average_kb(postmortem_pages(root, plain_site))
    result.site = {"pmkb": site_facts(pmkb_site), "plain": site_facts(plain_site)}

    lint = [sys.executable, "-m", "pmkb", "lint", "-f", str(root / corpus.CONFIG)]
    for _ in range(args.lint_repeat):
        run = measure(lint, log=log)
        if run.returncode != 0:
            raise SystemExit(f"pmkb lint found errors in the generated corpus (exit {run.returncode}): see {log}")
        result.lint.append(run)
    result.lint_summary = _last_line(log, "pmkb lint:")
    say(f"N = {n}: pmkb lint median {statistics.median(r.seconds for r in result.lint):.2f} s ({result.lint_summary})")

    result.search = bench_search(root, log, args) if not args.no_search else {"note": "skipped (--no-search)"}
    return result


def _last_line(log: Path, prefix: str) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.startswith(prefix)]
    return lines[-1].removeprefix(prefix).strip() if lines else ""


# -- search --------------------------------------------------------------------------------------------------


def search_available() -> bool:
    try:
        return importlib.util.find_spec("pmkb.cli.commands.search") is not None
    except ModuleNotFoundError:
        return False


def bench_search(root: Path, log: Path, args: argparse.Namespace) -> dict[str, object]:
    if not search_available():
        return {"note": "n/a (pmkb search not available)"}
    config = str(root / corpus.CONFIG)

    def search(query: str) -> Run:
        run = measure([sys.executable, "-m", "pmkb", "search", "-f", config, query, "--limit", "10"], log=log)
        if run.returncode not in (0, 1):
            raise SystemExit(f"pmkb search failed with exit code {run.returncode}: see {log}")
        return run

    figures: dict[str, object] = {}
    shutil.rmtree(root / ".cache" / "pmkb", ignore_errors=True)
    figures["cold index build + query (s)"] = search(QUERY).seconds

    # Incremental: one postmortem changes (a sentence appended), then one search; the file is put back after.
    target = sorted((root / corpus.DOCS).glob("[0-9]*/*.md"))[-1]
    original = target.read_bytes()
    try:
        target.write_bytes(original + b"\nA late note on the quorum loss in zelvarkri was added by the reviewer.\n")
        figures["incremental update + query (s)"] = search("zelvarkri").seconds
    finally:
        target.write_bytes(original)
    search(QUERY)  # re-index the restored file, untimed

    warm = [search(QUERY).seconds for _ in range(args.search_repeat)]
    fields = [search(FIELD_QUERY).seconds for _ in range(args.search_repeat)]
    figures["warm query, whole process (s)"] = statistics.median(warm)
    figures["warm field query, whole process (s)"] = statistics.median(fields)
    in_process = in_process_query_ms(root)
    if in_process is not None:
        figures["query in-process, median (ms)"] = in_process
    say(f"search: {figures}")
    return figures


def in_process_query_ms(root: Path) -> float | None:
    """Median in-process query time (sync check + query + snippets) through `pmkb.search.index.SearchIndex`."""
    try:
        from pmkb.cli.project import find_project
        from pmkb.search.index import SearchIndex
    except ImportError:
        return None
    try:
        index = SearchIndex.for_project(find_project(root / corpus.CONFIG))
        index.search(QUERY, limit=10)  # opens whoosh and the index, untimed
        times = []
        for _ in range(20):
            started = time.perf_counter()
            index.search(QUERY, limit=10)
            times.append((time.perf_counter() - started) * 1000)
    except (AttributeError, TypeError):
        return None  # an API this script does not know (yet): leave the row out rather than guess
    return statistics.median(times)


# -- the report ----------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kib = int(
            next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1]
        )
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("--no-optional-locks", "status", "--porcelain", "--untracked-files=no")
    return {
        "CPUs (usable)": str(len(os.sched_getaffinity(0))),
        "CPU model": cpu,
        "memory": memory,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "mkdocs": version("mkdocs"),
        "mkdocs-material": version("mkdocs-material"),
        "pmkb": f"{version('pmkb')} (commit {commit}{', with local changes' if dirty else ''})",
        "whoosh": version("whoosh-reloaded"),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def _n(n: int) -> str:
    return f"{n:,}"


def _status(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def tables(results: list[SizeResult]) -> tuple[list[list[str]], list[list[str]]]:
    """(figures: metric + one column per N, targets: target, measured and PASS/MISS by wall and by CPU time)."""
    figures: list[list[str]] = []

    def row(label: str, cell) -> None:
        figures.append([label, *(cell(r) for r in results)])

    cached = any(r.cache for r in results)
    pmkb_variants = ["pmkb-cold", "pmkb-warm"] if cached else ["pmkb"]
    main = pmkb_variants[0]
    for variant in pmkb_variants:
        row(f"build {variant}, median s", lambda r, v=variant: f"{r.median(v):.2f} (n={len(r.builds[v])})")
    row("build plain Material, median s", lambda r: f"{r.median('plain'):.2f} (n={len(r.builds['plain'])})")
    for variant in pmkb_variants:
        row(f"build ratio {variant}/plain", lambda r, v=variant: f"{r.median(v) / r.median('plain'):.3f}")
    for variant in pmkb_variants:
        row(f"build ratio {variant}/plain, median of per-round ratios", lambda r, v=variant: f"{r.paired_ratio(v):.3f}")
    for variant in pmkb_variants:
        row(
            f"build ratio {variant}/plain, fastest runs",
            lambda r, v=variant: (
                f"{min(x.seconds for x in r.builds[v]) / min(x.seconds for x in r.builds['plain']):.3f}"
            ),
        )
    for variant in [*pmkb_variants, "plain"]:
        row(f"build CPU time {variant}, median s", lambda r, v=variant: f"{r.cpu(v):.2f}")
    for variant in pmkb_variants:
        row(f"build CPU ratio {variant}/plain", lambda r, v=variant: f"{r.cpu(v) / r.cpu('plain'):.3f}")
    row(
        "build runs pmkb | plain, s",
        lambda r: (
            " ".join(f"{x.seconds:.1f}" for x in r.builds[main])
            + " | "
            + " ".join(f"{x.seconds:.1f}" for x in r.builds["plain"])
        ),
    )
    for variant in [*pmkb_variants, "plain"]:
        row(f"peak RSS {variant}, MB", lambda r, v=variant: f"{r.rss(v):.0f}")
    row("peak RSS ratio pmkb/plain", lambda r: f"{r.rss(main) / r.rss('plain'):.3f}")
    row("postmortem page HTML at N, KB", lambda r: f"{r.page_kb['pmkb']:.1f}")
    row("postmortem page HTML at N/4, KB", lambda r: f"{r.page_kb['pmkb@N/4']:.1f}")
    row("page size ratio N : N/4", lambda r: f"{r.page_kb['pmkb'] / r.page_kb['pmkb@N/4']:.3f}")
    row("plain page HTML at N, KB (reference)", lambda r: f"{r.page_kb['plain']:.1f}")
    row(
        "site: HTML pages / MB, pmkb",
        lambda r: f"{r.site['pmkb']['html_pages']:,} / {r.site['pmkb']['mb']}",
    )
    row(
        "site: HTML pages / MB, plain",
        lambda r: f"{r.site['plain']['html_pages']:,} / {r.site['plain']['mb']}",
    )
    row(
        "search index MB: pmkb (pagefind/ and search/) | plain (search_index.json)",
        lambda r: f"{r.site['pmkb']['search_index_mb']} | {r.site['plain']['search_index_mb']}",
    )
    row("pmkb lint, whole process, median s", lambda r: f"{statistics.median(x.seconds for x in r.lint):.2f}")
    row("pmkb lint CPU time, median s", lambda r: f"{statistics.median(x.cpu for x in r.lint):.2f}")
    row("pmkb lint peak RSS, MB", lambda r: f"{statistics.median(x.rss_mb for x in r.lint):.0f}")
    row("pmkb lint findings", lambda r: r.lint_summary or "?")
    labels = list(dict.fromkeys(k for r in results for k in r.search))
    for label in labels:
        row(f"search: {label}" if label != "note" else "search", lambda r, k=label: _cell(r.search.get(k)))

    targets: list[list[str]] = []

    def target(label: str, wall: str, wall_ok: bool, cpu: str = "-", cpu_ok: bool | None = None) -> None:
        """One row: the target, the wall-time figure and verdict, and the CPU-time ones where they apply."""
        targets.append([label, wall, _status(wall_ok), cpu, _status(cpu_ok) if cpu != "-" else "-"])

    for limit, what in ((BUILD_RATIO_MAX, "build"), (SEARCH_BUILD_RATIO_MAX, "search index included")):
        for r in results:
            wall, cpu = r.median(main) / r.median("plain"), r.cpu(main) / r.cpu("plain")
            label = f"build time pmkb/plain <= {limit} at {_n(r.n)} ({what})"
            target(label, f"{wall:.3f}", wall <= limit, f"{cpu:.3f}", cpu <= limit)
    if len(results) >= 2:
        first, last = results[0], results[-1]
        allowed = GROWTH_PER_5X_MAX * (last.n / first.n) / 5
        wall, cpu = last.median(main) / first.median(main), last.cpu(main) / first.cpu(main)
        plain_wall, plain_cpu = last.median("plain") / first.median("plain"), last.cpu("plain") / first.cpu("plain")
        target(
            f"pmkb build time growth {_n(first.n)} -> {_n(last.n)} <= {allowed:.2f}x",
            f"{wall:.2f}x (plain {plain_wall:.2f}x)",
            wall <= allowed,
            f"{cpu:.2f}x (plain {plain_cpu:.2f}x)",
            cpu <= allowed,
        )
    for r in results:
        change = r.page_kb["pmkb"] / r.page_kb["pmkb@N/4"] - 1
        label = f"postmortem page size at {_n(r.n)} vs {_n(max(1, r.n // 4))} within {PAGE_SIZE_TOLERANCE:.0%}"
        target(label, f"{change:+.1%}", abs(change) <= PAGE_SIZE_TOLERANCE)
    for r in results:
        ratio = r.rss(main) / r.rss("plain")
        target(f"peak RSS pmkb/plain <= {RSS_RATIO_MAX} at {_n(r.n)}", f"{ratio:.3f}", ratio <= RSS_RATIO_MAX)
    for r in results:
        if r.n == LINT_TARGET_N:
            wall = statistics.median(x.seconds for x in r.lint)
            cpu = statistics.median(x.cpu for x in r.lint)
            label = f"pmkb lint of {_n(r.n)} files <= {LINT_SECONDS_MAX:.0f} s"
            target(label, f"{wall:.2f} s", wall <= LINT_SECONDS_MAX, f"{cpu:.2f} s", cpu <= LINT_SECONDS_MAX)
    return figures, targets


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return str(value)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def report(results: list[SizeResult], args: argparse.Namespace, facts: dict[str, str], load: tuple[str, str]) -> str:
    figures, targets = tables(results)
    header = ["metric", *(f"N = {_n(r.n)}" for r in results)]
    command = "python benchmarks/run.py " + " ".join(sys.argv[1:])
    versions = {run.code for r in results for runs in [*r.builds.values(), r.lint] for run in runs}
    where = "a snapshot of the working tree taken at the start" if CODE["pythonpath"] else "the working tree"
    code_note = (
        f"Measured code: {where}; the same pmkb code and templates in every run (fingerprint {next(iter(versions))})."
        if len(versions) == 1
        else f"**Warning: pmkb's code or templates changed during this run ({len(versions)} versions measured: "
        f"{', '.join(sorted(versions))}); compare runs with care** (per-run fingerprints in "
        "`benchmarks/.work/results.json`)."
    )
    cached = any(r.cache for r in results)
    cache_note = (
        "The pmkb build leaves a cache in `<root>/.cache/pmkb`: *cold* builds remove it first (a fresh CI clone), "
        "*warm* builds keep it (a second local build). Targets use the cold figures."
        if cached
        else "The pmkb build leaves no cache behind (no `<root>/.cache/pmkb`), so every build is a cold build."
    )
    return "\n".join(
        [
            "# Benchmark results",
            "",
            f"Written by `{command.strip()}`. Reproduce with `python benchmarks/run.py` (see benchmarks/README.md).",
            "",
            "## Machine",
            "",
            markdown_table(["", ""], [[k, v] for k, v in facts.items()]),
            "",
            f"Load average (1, 5, 15 min) at start: {load[0]}; at end: {load[1]}. Plain Material builds "
            "on one core; pmkb also uses the second (Pagefind, the chart engine, forked work), so another process "
            "on the machine slows pmkb more than plain Material. Variants alternate so that both see the same drift. "
            + code_note,
            "",
            "## Method",
            "",
            f"- Corpus: `benchmarks/corpus.py`, seed {args.seed}; postmortems of ~4.6 KB Markdown bodies (~5.8 KB "
            "files), 1-4 action items, 60 services, 150 tags, all 14 causes, 2014-2026, `PMKB_TODAY="
            f"{corpus.TODAY.isoformat()}` (so some action items are overdue: lint warnings, not errors).",
            "- pmkb: Material and the `pmkb` plugin, whose Pagefind index replaces Material's search and which "
            "draws its charts. Plain: the same files and theme, plugins `search` only (its lunr index), "
            "`nav: [index.md]`, `validation.nav.omitted_files: ignore`.",
            f"- Each build is its own `python -m mkdocs build -q` process. {args.repeat} rounds (at least "
            f"{args.small_repeat} below N = {SMALL_N:,}); in each the "
            "variants run back to back, in reverse order every other round. Wall time; CPU time (user + system) of "
            "the process and the children it forks; peak RSS of the process or of any child (`os.wait4` rusage). "
            "Medians, and the median of per-round ratios, which a slow stretch of the machine distorts less.",
            "- Targets are defined on wall time. pmkb does part of its work on a second core, so the CPU-time "
            "ratio (what a busy machine pays) is higher than the wall-time ratio. This VM's speed drifts: the same "
            "build can take 30% longer a few minutes later, in CPU time too.",
            "- Page size: mean size of every postmortem's `index.html`, at N and in a separate N/4 corpus. "
            + cache_note,
            f"- Lint: `python -m pmkb lint -f <root>/mkdocs.yml`, whole process, median of {args.lint_repeat}.",
            f"- Search (when `pmkb search` exists): cold = `.cache/pmkb` removed, then `pmkb search {QUERY!r}`; "
            "incremental = one postmortem changed, then one search; warm = median of "
            f"{args.search_repeat} whole-process queries (`{QUERY}` and `{FIELD_QUERY}`).",
            "",
            "## Figures",
            "",
            markdown_table(header, figures),
            "",
            "## Targets",
            "",
            markdown_table(TARGET_HEADER, targets),
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark pmkb against plain Material for MkDocs.")
    parser.add_argument("--sizes", default="1000,5000", help="comma-separated corpus sizes (default: 1000,5000)")
    parser.add_argument("--repeat", type=int, default=3, help="builds of each variant per size (default: 3)")
    parser.add_argument(
        "--small-repeat",
        type=int,
        default=8,
        help=f"at least this many builds of each variant below N = {SMALL_N:,}, where builds are short and the "
        "machine's drift weighs more (default: 8)",
    )
    parser.add_argument("--lint-repeat", type=int, default=5, help="pmkb lint runs per size (default: 5)")
    parser.add_argument("--search-repeat", type=int, default=5, help="warm search runs per query (default: 5)")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default: 0)")
    parser.add_argument("--no-search", action="store_true", help="skip the pmkb search figures")
    parser.add_argument(
        "--live", action="store_true", help="measure the working tree as it is at each run (default: a snapshot)"
    )
    parser.add_argument(
        "--work", type=Path, default=HERE / ".work", help="corpora, sites and logs (default: benchmarks/.work)"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results.md", help="report (default: benchmarks/results.md)")
    args = parser.parse_args(argv)
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error(f"--sizes must be comma-separated whole numbers, got {args.sizes!r}")
    if not sizes or min(sizes) < 4 or args.repeat < 1 or args.lint_repeat < 1 or args.search_repeat < 1:
        parser.error("sizes must be >= 4 and every repeat count >= 1")

    args.work.mkdir(parents=True, exist_ok=True)
    if not args.live:
        say(f"measuring a snapshot of pmkb's code and templates: {args.work / 'code' / snapshot(args.work)}")
    log = args.work / "run.log"
    log.write_text("")
    load_start = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    facts = machine()
    say(f"logging the children's output to {log}")
    results = [bench_size(n, args, log) for n in sizes]
    load_end = ", ".join(f"{x:.2f}" for x in os.getloadavg())

    figures, targets = tables(results)
    print(text_table(["metric", *(f"N = {_n(r.n)}" for r in results)], figures))
    print()
    print(text_table(TARGET_HEADER, targets))
    args.out.write_text(report(results, args, facts, (load_start, load_end)), encoding="utf-8")
    (args.work / "results.json").write_text(
        json.dumps({"machine": facts, "results": [asdict(r) for r in results]}, indent=1), encoding="utf-8"
    )
    say(f"wrote {args.out} and {args.work / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
