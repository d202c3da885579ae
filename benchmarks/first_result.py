"""First result in the explorer, over many loads: from navigation and from the page's load event.

    python benchmarks/first_result.py SITE [--loads 8] [--page search/] [--compare SITE2 ...] QUERY [QUERY ...]

SITE is a built pmkb site (for example `benchmarks/search_browser.py --work DIR` leaves
`DIR/site-5000-pmkb-pagefind-1.6.0`).
Each QUERY is the explorer URL's query string without its `?` (`q=interfaces`, `cause=software-bug&severity=SEV3`).
The site is served by Python's `http.server` on 127.0.0.1 (no compression) and each load opens
`SITE/<page>?QUERY` in a fresh headless Chromium context (cold cache); the queries take turns, load after load.
Timed in the page: from navigation start, and from the load event, to the first result drawn with its title.
`search_browser.py` measures each query once beside Material's search; this repeats one query many times, for
medians steady enough to compare with a target. `--compare` adds other builds of the same corpus (another
`search_index_pages`, an edited script): each query is then loaded on every site in turn, in reverse order every
other round, so that the machine's drift falls on all of them alike.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import statistics
import threading
from pathlib import Path

from search_browser import ARGS, CHROMIUM, FIRST_SEEN, RESULT, Quiet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("queries", nargs="+", help="query strings, e.g. q=interfaces")
    parser.add_argument("--loads", type=int, default=8)
    parser.add_argument("--page", default="search/", help="the explorer's path in the site (default search/)")
    parser.add_argument("--compare", type=Path, action="append", default=[], help="another site, loaded in turn")
    args = parser.parse_args()
    sites = [args.site, *args.compare]
    bases = {}
    for site in sites:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        bases[site] = f"http://127.0.0.1:{server.server_port}/{args.page}"
    from playwright.sync_api import sync_playwright

    seen: dict[tuple[Path, str], list[tuple[float, float]]] = {(s, q): [] for s in sites for q in args.queries}
    with sync_playwright() as playwright:
        # Other hosts (Material's web fonts) fail at name resolution: no request interception, whose round trips
        # through Playwright would be timed too (they added about 0.05 s to a first result here).
        rules = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, rules])
        for round_number in range(args.loads):
            for query in args.queries:
                for site in sites if round_number % 2 == 0 else reversed(sites):
                    context = browser.new_context(viewport={"width": 1400, "height": 900})
                    page = context.new_page()
                    page.add_init_script(FIRST_SEEN % json.dumps(RESULT))
                    page.goto(f"{bases[site]}?{query}", wait_until="commit")
                    page.wait_for_selector(RESULT, timeout=120_000)
                    page.wait_for_function("performance.timing.loadEventEnd > 0")
                    first = page.evaluate("window.__pmkbFirstSeen") / 1000
                    load = page.evaluate("performance.timing.loadEventEnd - performance.timing.navigationStart") / 1000
                    seen[(site, query)].append((first, first - load))
                    context.close()
        browser.close()
    named = len(sites) > 1
    print(f"| {'site | ' if named else ''}{args.loads} loads each | from navigation, median (s) "
          "| from the load event, median (range) (s) |")  # fmt: skip
    print(f"| {'--- | ' if named else ''}--- | --- | --- |")
    for (site, query), times in seen.items():
        after = [a for _, a in times]
        print(
            f"| {f'{site.name} | ' if named else ''}`{query}` | {statistics.median(f for f, _ in times):.2f} "
            f"| {statistics.median(after):.2f} ({min(after):.2f}-{max(after):.2f}) |"
        )


if __name__ == "__main__":
    main()
