"""Browser search benchmark: pmkb's Pagefind explorer against Material's lunr search, on the same corpus.

    python benchmarks/search_browser.py [-n 1000 5000] [--rounds 1] [--work DIR] [--index-pages N]

For each size: a corpus (benchmarks/corpus.py), builds alternating pmkb (Pagefind) and plain Material (its own
lunr index), then both sites served over HTTP on 127.0.0.1 (no compression: bytes are what the files weigh) and
opened in headless Chromium (Debian's, through Playwright), each measurement in a fresh browser context (cold
cache). Printed: time from navigation start to the first result shown for a common word, a rare word and a
three-letter prefix (pmkb: the explorer at /search/?q=...; Material: the page with ?q=..., which opens its search);
filter-only and text-plus-filter queries in the explorer, from navigation and as a click on a loaded page;
bytes fetched for each query; build times and ratio; Pagefind's CPU time, peak memory and its share of the build.
First results are timed from the navigation's start and, beside it, from the page's load event (the page itself
loaded: its HTML, stylesheets, Material's bundle and the explorer's small index).

The Pagefind binary is the one a build of the corpus finds: `PAGEFIND_BINARY_PATH=... search_browser.py` measures
another (pmkb's sites are named by its version: `site-5000-pmkb-pagefind-1.6.0`).

`--index-pages N` builds pmkb with the `search_index_pages: N` option (several Pagefind indexes of at most N pages,
merged in the browser; 0: one index), into sites of their own, so that one corpus can be measured both ways.
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
from pmkb.runtime.pagefind import find_pagefind  # noqa: E402

CHROMIUM = os.environ.get("PMKB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
ENV = {"NO_MKDOCS_2_WARNING": "1", "PMKB_TODAY": corpus.TODAY.isoformat()}
# A result drawn with its title (the explorer draws a row's facts first and its title when it has it).
RESULT = ".pmkb-result:not(.pmkb-result--pending)"
STATS = re.compile(
    r"Pagefind (?:\S+ )?indexed (\d+) pages \(([\d.]+) s CPU, peak (\d+) MB\); the build waited ([\d.]+) s"
)


INDEX_PAGES: int | None = None  # --index-pages


def pmkb_config(root: Path) -> Path:
    """The corpus's pmkb configuration, with `search_index_pages` set when --index-pages is given."""
    if INDEX_PAGES is None:
        return root / corpus.CONFIG
    import yaml

    config = yaml.safe_load((root / corpus.CONFIG).read_text(encoding="utf-8"))
    config["plugins"][0]["pmkb"]["search_index_pages"] = INDEX_PAGES
    variant = root / f"mkdocs-index-pages-{INDEX_PAGES}.yml"
    variant.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return variant


def build(root: Path, variant: str, site: Path) -> dict:
    """One timed build; its peak memory is GNU time's: the largest single process (mkdocs or, for pmkb, Pagefind)."""
    config = root / corpus.PLAIN_CONFIG if variant == "plain" else pmkb_config(root)
    shutil.rmtree(site, ignore_errors=True)
    peak = site.with_name(site.name + ".peak-kb")
    start = time.perf_counter()
    child = subprocess.Popen(
        ["/usr/bin/time", "-f", "%M", "-o", str(peak), sys.executable, "-m", "mkdocs", "build", "-f", str(config),
         "-d", str(site)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **ENV},
    )  # fmt: skip
    output = child.communicate()[0].decode(errors="replace")
    seconds = time.perf_counter() - start
    if child.returncode:
        raise SystemExit(f"mkdocs build ({variant}) failed:\n{output[-3000:]}")
    result = {"seconds": seconds, "peak_mb": round(int(peak.read_text().split()[-1]) / 1024)}
    found = STATS.search(output)
    if found:
        result.update(pages=int(found[1]), pagefind_cpu=float(found[2]), pagefind_mb=int(found[3]),
                      waited=float(found[4]))  # fmt: skip
    return result


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
    page.wait_for_function("performance.timing.loadEventEnd > 0")
    load = page.evaluate("performance.timing.loadEventEnd - performance.timing.navigationStart") / 1000
    extra = then(page) if then else {}
    page.wait_for_timeout(300)
    search = sum(size for u, size in fetched if re.search(r"/pagefind/|/search/", u))
    result = {
        "s": round(seconds, 3),
        "wall_s": round(wall, 3),
        "dcl_s": round(loaded, 3),
        "after_load_s": round(seconds - load, 3),  # negative: shown before the load event
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


def bench(n: int, work: Path, rounds: int, browser, reuse: bool = False, plain_too: bool = True) -> dict:
    root = work / f"kb-{n}"
    if not (root / corpus.CONFIG).is_file():
        corpus.generate(root, n)
    variants = ("pmkb", "plain") if plain_too else ("pmkb",)
    pmkb_name = "pmkb" if INDEX_PAGES is None else f"pmkb-index-pages-{INDEX_PAGES}"
    pmkb_name += f"-pagefind-{find_pagefind(root).version}"  # the same corpus indexed by each Pagefind, side by side
    sites = {"pmkb": work / f"site-{n}-{pmkb_name}", "plain": work / f"site-{n}-plain"}
    result: dict = {"n": n, "builds": {v: [] for v in variants}}
    saved = work / f"builds-{n}-{pmkb_name}.json"
    if reuse and saved.is_file():
        result.update(json.loads(saved.read_text(encoding="utf-8")))
        print(f"  {n}: builds of an earlier run reused: {result['builds']}", flush=True)
    else:
        for _ in range(rounds):
            for variant in variants:
                result["builds"][variant].append(build(root, variant, sites[variant]))
                print(f"  {n}: {variant} build {result['builds'][variant][-1]}", flush=True)
        result["rss_mb"] = {v: max(b["peak_mb"] for b in result["builds"][v]) for v in variants}
        saved.write_text(json.dumps({"builds": result["builds"], "rss_mb": result["rss_mb"]}), encoding="utf-8")
    pm, plain = sites["pmkb"], sites["plain"]
    result["sizes_kb"] = {
        "incidents.json": round((pm / "search/incidents.json").stat().st_size / 1024),
        "pagefind-ids.json": round((pm / "search/pagefind-ids.json").stat().st_size / 1024),
        "pagefind/ (all files)": round(
            sum(p.stat().st_size for p in (pm / "pagefind").rglob("*") if p.is_file()) / 1024
        ),
        "Pagefind indexes": 1 + len(json.loads((pm / "search/pagefind-parts.json").read_text(encoding="utf-8"))),
    }
    if plain_too:
        result["sizes_kb"]["material search_index.json"] = round(
            (plain / "search/search_index.json").stat().st_size / 1024
        )
    common, rare, prefix = words(root)
    result["words"] = {"common": common, "rare": rare, "prefix": prefix}
    pm_server, pm_url = serve(pm)
    plain_server, plain_url = serve(plain) if plain_too else (None, "")
    queries = {}
    for label, word in (("common word", common), ("rare word", rare), ("3-letter prefix", prefix)):
        queries[label] = {"pmkb": timed(browser, f"{pm_url}search/?q={word}", RESULT)}
        if plain_too:
            any_page = next(p for p in sorted(plain.glob("20*/*/index.html"))).parent.relative_to(plain)
            queries[label]["material"] = timed(
                browser, f"{plain_url}{any_page.as_posix()}/?q={word}", ".md-search-result__item"
            )
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
    if plain_server is not None:
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
        row(
            f"{label}: pmkb, first result after the page's load event (s)",
            lambda r, label=label: str(r["queries"][label]["pmkb"].get("after_load_s", "not measured")),
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
    if "plain" in results[0]["builds"]:
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
        "peak memory of the largest process of the build, pmkb / plain (MB)",
        lambda r: " / ".join(str(r["rss_mb"].get(v, "not built")) for v in ("pmkb", "plain")),
    )
    for name in results[0]["sizes_kb"]:
        unit = "" if name == "Pagefind indexes" else " (KB)"
        row(f"{name}{unit}", lambda r, name=name: str(r["sizes_kb"].get(name, "not built")))
    row("query words (common, rare, prefix)", lambda r: ", ".join(r["words"].values()))
    return "\n".join(lines)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--rounds", type=int, default=1, help="alternating build rounds per size (default 1)")
    parser.add_argument("--work", type=Path, default=None, help="folder for corpora and sites (default: a temp dir)")
    parser.add_argument("--reuse-builds", action="store_true", help="keep the sites and build figures in --work")
    parser.add_argument("--index-pages", type=int, default=None, help="pmkb option search_index_pages")
    parser.add_argument("--no-plain", action="store_true", help="pmkb only: no plain Material build or search")
    args = parser.parse_args()
    global INDEX_PAGES
    INDEX_PAGES = args.index_pages
    # Absolute: MkDocs reads a relative site_dir (-d) from the config file's folder, not the working directory.
    work = (args.work or Path(tempfile.mkdtemp(prefix="pmkb-search-bench-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for n in args.n:
            results.append(bench(n, work, args.rounds, browser, args.reuse_builds, not args.no_plain))
        browser.close()
    (work / "search_browser.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(report(results))


if __name__ == "__main__":
    main()
