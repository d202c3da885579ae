"""Browser search benchmark: pmkb's Pagefind explorer against Material's lunr search, on the same corpus.

    python benchmarks/search_browser.py [-n 1000 5000] [--rounds 1] [--work DIR]

For each size: a corpus (benchmarks/corpus.py), builds alternating pmkb (Pagefind) and plain Material (its own
lunr index), then both sites served over HTTP on 127.0.0.1 (no compression: bytes are what the files weigh) and
opened in headless Chromium (Debian's, through Playwright), each measurement in a fresh browser context (cold
cache). Printed: time from navigation start to the first result shown for a common word, a rare word and a
three-letter prefix (pmkb: the explorer at /search/?q=...; Material: the page with ?q=..., which opens its search);
filter-only and text-plus-filter queries in the explorer, from navigation and as a click on a loaded page;
bytes fetched for each query; build times and ratio; Pagefind's CPU time, peak memory and its share of the build.
"""

from __future__ import annotations

import argparse
import collections
import functools
import http.server
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

CHROMIUM = os.environ.get("PMKB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
ENV = {"NO_MKDOCS_2_WARNING": "1", "PMKB_TODAY": corpus.TODAY.isoformat()}
# A result drawn with its title (the explorer draws a row's facts first and its title when it has it).
RESULT = ".pmkb-result:not(.pmkb-result--pending)"
STATS = re.compile(r"Pagefind indexed (\d+) pages \(([\d.]+) s CPU, peak (\d+) MB\); the build waited ([\d.]+) s")


def build(root: Path, variant: str, site: Path) -> dict:
    config = root / (corpus.PLAIN_CONFIG if variant == "plain" else corpus.CONFIG)
    shutil.rmtree(site, ignore_errors=True)
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(config), "-d", str(site)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **ENV},
    )  # fmt: skip
    output = child.communicate()[0].decode(errors="replace")
    seconds = time.perf_counter() - start
    if child.returncode:
        raise SystemExit(f"mkdocs build ({variant}) failed:\n{output[-3000:]}")
    result = {"seconds": seconds}
    found = STATS.search(output)
    if found:
        result.update(pages=int(found[1]), pagefind_cpu=float(found[2]), pagefind_mb=int(found[3]),
                      waited=float(found[4]))  # fmt: skip
    return result


def peak_rss_mb(root: Path, variant: str, site: Path) -> float:
    """Peak RSS of the whole build (the mkdocs process and, for pmkb, Pagefind): GNU time's figure per process."""
    config = root / (corpus.PLAIN_CONFIG if variant == "plain" else corpus.CONFIG)
    shutil.rmtree(site, ignore_errors=True)
    run = subprocess.run(
        ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config), "-d",
         str(site)],
        capture_output=True, text=True, env={**os.environ, **ENV},
    )  # fmt: skip
    return int(run.stderr.strip().splitlines()[-1]) / 1024


def words(root: Path) -> tuple[str, str, str]:
    """A common word (in most postmortems), a rare one (in two or three) and a three-letter prefix."""
    counts: collections.Counter[str] = collections.Counter()
    for path in (root / corpus.DOCS).rglob("*.md"):
        counts.update({w.lower() for w in re.findall(r"[A-Za-z]{5,}", path.read_text(encoding="utf-8"))})
    n = len(list((root / corpus.DOCS).rglob("*.md")))
    common = next(w for w, c in counts.most_common() if c < 0.6 * n)  # frequent, but not in every page
    fewest = min(c for c in counts.values() if c >= 2)  # the generator's vocabulary saturates at 5,000
    candidates = sorted(w for w, c in counts.items() if c == fewest)
    rare = candidates[len(candidates) // 2]
    return common, rare, common[:3]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


FIRST_SEEN = """
new MutationObserver((_, observer) => {
    if (document.querySelector(%s)) {
        window.__pmkbFirstSeen = performance.now();
        observer.disconnect();
    }
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


def timed(browser, url: str, selector: str, *, then=None) -> dict:
    """Seconds from navigation start to `selector` visible, and bytes fetched (all, and search data only)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.route(lambda u: not u.startswith("http://127.0.0.1"), lambda route: route.abort())
    page = context.new_page()
    fetched: list[tuple[str, int]] = []
    page.on("requestfinished", lambda r: fetched.append((r.url, r.sizes()["responseBodySize"])))
    # Timed in the page, from its navigation start to the first mutation that shows `selector`: a wall clock
    # around Playwright's calls adds its own round trips (0.3-0.4 s on a loaded machine).
    page.add_init_script(FIRST_SEEN % json.dumps(selector))
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(selector, timeout=120_000)
    wall = time.perf_counter() - start
    seconds = page.evaluate("window.__pmkbFirstSeen") / 1000
    loaded = page.evaluate("performance.timing.domContentLoadedEventEnd - performance.timing.navigationStart") / 1000
    extra = then(page) if then else {}
    page.wait_for_timeout(300)
    search = sum(size for u, size in fetched if re.search(r"/pagefind/|/search/", u))
    result = {
        "s": round(seconds, 3),
        "wall_s": round(wall, 3),
        "dcl_s": round(loaded, 3),
        "kb": round(sum(s for _, s in fetched) / 1024),
        "search_kb": round(search / 1024),
    }
    result.update(extra)
    context.close()
    return result


def click_filter(page) -> dict:
    """On the loaded explorer: tick a facet value, time until the list is redrawn, and bytes it fetched."""
    fetched: list[int] = []
    page.on("requestfinished", lambda r: fetched.append(r.sizes()["responseBodySize"]))
    page.wait_for_function("document.querySelector('#pmkb-explorer').getAttribute('aria-busy') === 'false'")
    seconds = page.evaluate(
        """() => new Promise(resolve => {
            const app = document.querySelector('#pmkb-explorer');
            const box = document.querySelector('[data-facet-value="severity=SEV2"]');
            const start = performance.now();
            new MutationObserver((_, observer) => {
                if (app.getAttribute('aria-busy') !== 'false') return;
                observer.disconnect();
                resolve((performance.now() - start) / 1000);
            }).observe(app, {attributes: true, subtree: true, childList: true});
            box.click();
        })"""
    )
    page.wait_for_timeout(300)
    return {"click_s": round(seconds, 3), "click_kb": round(sum(fetched) / 1024)}


def bench(n: int, work: Path, rounds: int, browser, reuse: bool = False) -> dict:
    root = work / f"kb-{n}"
    if not (root / corpus.CONFIG).is_file():
        corpus.generate(root, n)
    result: dict = {"n": n, "builds": {"pmkb": [], "plain": []}}
    saved = work / f"builds-{n}.json"
    if reuse and saved.is_file():
        result.update(json.loads(saved.read_text(encoding="utf-8")))
        print(f"  {n}: builds of an earlier run reused: {result['builds']}", flush=True)
    else:
        for _ in range(rounds):
            for variant in ("pmkb", "plain"):
                result["builds"][variant].append(build(root, variant, work / f"site-{n}-{variant}"))
                print(f"  {n}: {variant} build {result['builds'][variant][-1]}", flush=True)
        result["rss_mb"] = {v: round(peak_rss_mb(root, v, work / f"site-{n}-{v}")) for v in ("pmkb", "plain")}
        print(f"  {n}: peak RSS {result['rss_mb']}", flush=True)
        saved.write_text(json.dumps({"builds": result["builds"], "rss_mb": result["rss_mb"]}), encoding="utf-8")
    pm, plain = work / f"site-{n}-pmkb", work / f"site-{n}-plain"
    result["sizes_kb"] = {
        "incidents.json": round((pm / "search/incidents.json").stat().st_size / 1024),
        "pagefind-ids.json": round((pm / "search/pagefind-ids.json").stat().st_size / 1024),
        "pagefind/ (all files)": round(
            sum(p.stat().st_size for p in (pm / "pagefind").rglob("*") if p.is_file()) / 1024
        ),
        "material search_index.json": round((plain / "search/search_index.json").stat().st_size / 1024),
    }
    common, rare, prefix = words(root)
    result["words"] = {"common": common, "rare": rare, "prefix": prefix}
    pm_server, pm_url = serve(pm)
    plain_server, plain_url = serve(plain)
    any_page = next(p for p in sorted(plain.glob("20*/*/index.html"))).parent.relative_to(plain).as_posix() + "/"
    queries = {}
    for label, word in (("common word", common), ("rare word", rare), ("3-letter prefix", prefix)):
        queries[label] = {
            "pmkb": timed(browser, f"{pm_url}search/?q={word}", RESULT),
            "material": timed(browser, f"{plain_url}{any_page}?q={word}", ".md-search-result__item"),
        }
        print(f"  {n}: {label} {word!r}: {queries[label]}", flush=True)
    queries["filter only (cause + severity)"] = {
        "pmkb": timed(browser, f"{pm_url}search/?cause=software-bug&severity=SEV3", RESULT, then=click_filter)
    }
    queries["text + filter"] = {
        "pmkb": timed(browser, f"{pm_url}search/?q={common}&severity=SEV2", RESULT, then=click_filter)
    }
    for label in ("filter only (cause + severity)", "text + filter"):
        print(f"  {n}: {label}: {queries[label]}", flush=True)
    result["queries"] = queries
    pm_server.shutdown()
    plain_server.shutdown()
    return result


def report(results: list[dict]) -> str:
    lines = [
        "| | " + " | ".join(f"{r['n']:,} postmortems" for r in results) + " |",
        "| --- |" + " --- |" * len(results),
    ]

    def row(label: str, cell) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in results) + " |")

    for label in results[0]["queries"]:
        row(
            f"{label}: pmkb, first result (s) / search data (KB)",
            lambda r, label=label: f"{r['queries'][label]['pmkb']['s']} / {r['queries'][label]['pmkb']['search_kb']}",
        )
        row(
            f"{label}: pmkb, the page itself loaded (DOMContentLoaded, s)",
            lambda r, label=label: str(r["queries"][label]["pmkb"].get("dcl_s", "not measured")),
        )
        if "material" in results[0]["queries"][label]:
            row(
                f"{label}: Material, first result (s) / search data (KB)",
                lambda r, label=label: (
                    f"{r['queries'][label]['material']['s']} / {r['queries'][label]['material']['search_kb']}"
                ),
            )
        if "click_s" in results[0]["queries"][label]["pmkb"]:
            row(
                f"{label}: pmkb, one more facet clicked (s) / KB",
                lambda r, label=label: (
                    f"{r['queries'][label]['pmkb']['click_s']} / {r['queries'][label]['pmkb']['click_kb']}"
                ),
            )
    row(
        "build, pmkb with Pagefind (s, median)",
        lambda r: f"{statistics.median(b['seconds'] for b in r['builds']['pmkb']):.1f}",
    )
    row(
        "build, plain Material with lunr (s, median)",
        lambda r: f"{statistics.median(b['seconds'] for b in r['builds']['plain']):.1f}",
    )
    row(
        "ratio pmkb / plain (median of per-round ratios)",
        lambda r: "{:.2f}".format(
            statistics.median(
                a["seconds"] / b["seconds"] for a, b in zip(r["builds"]["pmkb"], r["builds"]["plain"], strict=True)
            )
        ),
    )
    row(
        "Pagefind: CPU (s) / peak memory (MB) / build waited for it (s)",
        lambda r: "{pagefind_cpu} / {pagefind_mb} / {waited}".format(**r["builds"]["pmkb"][-1]),
    )
    row(
        "Pagefind's wait as a share of the build",
        lambda r: f"{r['builds']['pmkb'][-1]['waited'] / r['builds']['pmkb'][-1]['seconds']:.0%}",
    )
    row(
        "peak RSS of the build, pmkb / plain (MB)",
        lambda r: f"{r['rss_mb']['pmkb']} / {r['rss_mb']['plain']}" if r.get("rss_mb") else "not measured",
    )
    for name in results[0]["sizes_kb"]:
        row(f"{name} (KB)", lambda r, name=name: str(r["sizes_kb"][name]))
    row("query words (common, rare, prefix)", lambda r: ", ".join(r["words"].values()))
    return "\n".join(lines)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--rounds", type=int, default=1, help="alternating build rounds per size (default 1)")
    parser.add_argument("--work", type=Path, default=None, help="folder for corpora and sites (default: a temp dir)")
    parser.add_argument("--reuse-builds", action="store_true", help="keep the sites and build figures in --work")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="pmkb-search-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for n in args.n:
            results.append(bench(n, work, args.rounds, browser, args.reuse_builds))
        browser.close()
    (work / "search_browser.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(report(results))


if __name__ == "__main__":
    main()
