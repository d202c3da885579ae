"""Pagefind's own search call, timed in the page: what a text query costs once Pagefind and its index chunks are in.

    python benchmarks/pagefind_search.py SITE WORD [WORD ...]

SITE is a built pmkb site. The explorer page is opened in headless Chromium, Pagefind is loaded the way the page
loads it (with the site's other indexes merged, if it has several), and for each WORD in turn: its index chunks are
preloaded, then `search(WORD)` is timed the first time, the first result's data (its fragment) is timed, and the
same search is timed again (Chromium compiles Pagefind's WebAssembly in tiers, so the second call is the steady
cost). Prints one row a word: matches, first search, first fragment and second search, in ms.

Why: the explorer's first result waits for this call. Pagefind 1.5.2 scores a result page by scanning every
matching (word, page) entry of the query, for each result page, so the call grows with matches times entries: a
three-letter prefix that matches most pages costs far more than a rare word. Splitting the index
(`search_index_pages`) divides that product by the number of parts, which this script shows part by part.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import threading
from pathlib import Path

from search_browser import ARGS, CHROMIUM, Quiet

TIMED = """async (words) => {
  const pagefind = await window.pmkbSearch.loadPagefind();
  const rows = [];
  for (const word of words) {
    await pagefind.preload(word);
    let start = performance.now();
    const found = await pagefind.search(word);
    const first = performance.now() - start;
    start = performance.now();
    if (found.results.length) await found.results[0].data();
    const fragment = performance.now() - start;
    start = performance.now();
    await pagefind.search(word);
    rows.push([word, found.results.length, first, fragment, performance.now() - start]);
  }
  return rows;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("words", nargs="+")
    parser.add_argument("--page", default="search/", help="the explorer's path in the site (default search/)")
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(args.site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        rules = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, rules])
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.server_port}/{args.page}", wait_until="load")
        rows = page.evaluate(TIMED, args.words)
        browser.close()
    server.shutdown()
    print("| word | matches | first search (ms) | first fragment (ms) | second search (ms) |")
    print("| --- | --- | --- | --- | --- |")
    for word, matches, first, fragment, second in rows:
        print(f"| `{word}` | {matches:,} | {first:.0f} | {fragment:.0f} | {second:.0f} |")


if __name__ == "__main__":
    main()
