#!/usr/bin/env python3
"""Screenshots of every pmkb page type with headless Chromium, for the README and for design review.

    .venv/bin/python scripts/screenshots.py                 # README pictures -> docs/images/
    .venv/bin/python scripts/screenshots.py --all --out /tmp/shots   # every page type, 1400 and 400 px, light/dark

The site shown is a generated knowledge base (benchmarks/corpus.py, 150 postmortems, fixed seed) built with this
checkout's pmkb, with "today" frozen (PMKB_TODAY), so re-running the script gives the same pictures for the same
code. It drives Debian's /usr/bin/chromium (or $PMKB_CHROMIUM) through Playwright; Playwright's own browser
downloads are never used.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TODAY = "2026-11-21"
CHROMIUM = os.environ.get("PMKB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDE, NARROW = 1400, 400


@dataclass(frozen=True)
class Shot:
    name: str
    path: str  # site-relative URL
    full_page: bool = True


PAGE_TYPES = (
    Shot("home", ""),
    Shot("incidents", "incidents/"),
    Shot("cause", "causes/config-change/"),
    Shot("service", "services/checkout/"),
    Shot("severities", "severities/"),
    Shot("action-items", "action-items/"),
    Shot("postmortem", None),  # filled in: the newest postmortem with a full timeline
    Shot("guide", "guide/"),
)
README_SHOTS = ("home", "postmortem", "action-items", "search")


def build(workdir: Path, n: int) -> Path:
    env = {**os.environ, "PMKB_TODAY": TODAY, "NO_MKDOCS_2_WARNING": "1"}
    corpus = workdir / "kb"
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "corpus.py"), str(corpus), "-n", str(n)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    site = workdir / "site"
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(site)], cwd=corpus, check=True, env=env)
    return site


def newest_postmortem(site: Path) -> str:
    import json

    records = json.loads((site / "postmortems.json").read_text(encoding="utf-8"))
    for record in records:
        if record["timeline"]["mitigated"] and record["action_items"]:
            return record["url"]
    return records[0]["url"]


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def shoot(base: str, shots: list[tuple[Shot, int, str]], out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for shot, width, scheme in shots:
                page = browser.new_page(viewport={"width": width, "height": 900 if width > 600 else 860})
                # Material keeps the chosen palette in localStorage; set it before the page's scripts run.
                palette = {"index": 1 if scheme == "slate" else 0, "color": {"scheme": scheme}}
                page.add_init_script(
                    f"localStorage.setItem('/.__palette', JSON.stringify({palette!r}).replace(/'/g, '\"'))"
                )
                response = page.goto(base + shot.path, wait_until="networkidle")
                if response is None or not response.ok:
                    page.close()
                    continue
                page.emulate_media(color_scheme="dark" if scheme == "slate" else "light")
                target = out / f"{shot.name}-{width}-{'dark' if scheme == 'slate' else 'light'}.png"
                page.screenshot(path=str(target), full_page=shot.full_page)
                written.append(target)
                page.close()
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    parser.add_argument("--all", action="store_true", help="every page type at 1400 and 400 px, light and dark")
    parser.add_argument("-n", type=int, default=150, help="postmortems in the generated knowledge base")
    parser.add_argument("--site", type=Path, help="an already built site to photograph instead")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pmkb-shots-") as workdir:
        site = args.site or build(Path(workdir), args.n)
        postmortem = newest_postmortem(site)
        types = {s.name: (s if s.path is not None else Shot(s.name, postmortem)) for s in PAGE_TYPES}
        if (site / "search" / "index.html").is_file():  # the search explorer's page, where it is built
            types["search"] = Shot("search", "search/", full_page=False)
        if args.all:
            shots = [(s, w, c) for s in types.values() for w in (WIDE, NARROW) for c in ("default", "slate")]
        else:
            # The README's pictures show the first screen of each page: whole pages would weigh megabytes.
            first = {name: Shot(shot.name, shot.path, full_page=False) for name, shot in types.items()}
            shots = [(first[name], WIDE, "default") for name in README_SHOTS if name in first]
            shots.append((first["home"], WIDE, "slate"))
            shots.append((first["postmortem"], NARROW, "default"))
        server, base = serve(site)
        try:
            written = shoot(base, shots, args.out)
        finally:
            server.shutdown()
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
