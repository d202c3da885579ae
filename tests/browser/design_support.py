"""Fixtures of the design and accessibility browser tests: Debian's Chromium through Playwright, a knowledge base
built into a temp folder and served on 127.0.0.1, and axe-core from the npm registry.

The browser is the session's Chromium of tests/browser/conftest.py (the system's, never a Playwright download).
axe-core is installed by scripts/test into .cache/test-tools (or PMKB_AXE names its axe.min.js). When something
is missing, the tests skip with one line saying what; under CI (CI=true) that is a failure, so CI never passes by
skipping.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import KB, REPO, front_matter  # tests/conftest.py

from browser.conftest import missing_or_skip

AXE = REPO / ".cache" / "test-tools" / "node_modules" / "axe-core" / "axe.min.js"
WIDE, NARROW = 1400, 400

# Every page type of the fixture knowledge base (site-relative URLs).
PAGES = {
    "home": "",
    "incidents": "incidents/",
    "cause": "causes/capacity/",
    "service": "services/checkout/",
    "severities": "severities/",
    "action-items": "action-items/",
    "postmortem": "2024/2024-05-02-cache-stampede/",
    "guide": "guide/",
}


def axe_script() -> str:
    path = Path(os.environ.get("PMKB_AXE", AXE))
    if not path.is_file():
        missing_or_skip(f"axe-core is not installed at {path} (scripts/test installs it with npm)")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def design_browser(browser):
    """The session's Chromium (tests/browser/conftest.py), under the name the design tests import."""
    return browser


@dataclass(frozen=True)
class Served:
    site: Path
    base: str  # http://127.0.0.1:PORT/


class _Server(http.server.ThreadingHTTPServer):
    # Handler threads are joined on close: a thread left running would keep pmkb from forking (pmkb.runtime
    # .forking forks only a single-threaded process) in the tests that run after these in the same process.
    daemon_threads = False
    block_on_close = True


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def fixture_kb(root: Path) -> KB:
    """A small knowledge base that has every page type and every severity, over several quarters."""
    kb = KB(root)
    kb.docs.mkdir(parents=True)
    kb.write("index.md", "# Test KB\n\nWhat our incidents taught us.\n")
    kb.set_config(
        theme={
            "name": "material",
            "palette": [
                {"scheme": "default", "toggle": {"icon": "material/weather-night", "name": "Dark mode"}},
                {"scheme": "slate", "toggle": {"icon": "material/weather-sunny", "name": "Light mode"}},
            ],
        }
    )
    kb.add("2024-05-02-cache-stampede")
    specs = [
        ("2023-02-10-dns-outage", "SEV1", "network", ["dns", "checkout"]),
        ("2023-08-21-bad-deploy", "SEV3", "deployment", ["payments"]),
        ("2024-11-30-disk-full", "SEV4", "capacity", ["storage"]),
        ("2025-06-15-cert-expiry", "SEV2", "expiry", ["checkout", "edge-proxy-with-a-long-name"]),
        ("2026-09-01-queue-backlog", "SEV3", "capacity", ["queue"]),
    ]
    for pid, severity, cause, services in specs:
        day = pid[:10]
        kb.add(
            pid,
            title=f"A long title for {pid} that wraps over more than one line in narrow tables",
            date=day,
            severity=severity,
            cause=cause,
            services=services,
            timeline={
                "started": f"{day}T08:00:00Z",
                "detected": f"{day}T08:40:00Z",
                "mitigated": f"{day}T10:00:00Z",
                "resolved": f"{day}T15:30:00Z",
            },
            action_items=[
                {
                    "title": "Write the runbook for this failure mode and link it from the alert",
                    "owner": "team-sre",
                    "status": "open",
                    "priority": "high",
                    "due": "2025-01-01",
                },
                {"title": "Add a canary", "owner": "team-deploy", "status": "in-progress"},
            ],
        )
    return kb


_BUILT: dict[str, Path] = {}  # built once per session, whichever module asks first


@pytest.fixture(scope="module")
def served_kb(tmp_path_factory) -> Iterator[Served]:
    """The fixture knowledge base, built once per session and served over HTTP on 127.0.0.1."""
    site = _BUILT.get("site")
    if site is None:
        kb = fixture_kb(tmp_path_factory.mktemp("design-kb") / "kb")
        site = _BUILT["site"] = kb.build(strict=False)
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(site, f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def open_page(browser, served: Served, url: str, width: int = WIDE, scheme: str = "default"):
    """A page at `width` in Material's `scheme` (default or slate), loaded and settled. Nothing but 127.0.0.1 is
    fetched (Material's web fonts are cut off, not waited for)."""
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme="dark" if scheme == "slate" else "light"
    )
    context.route(lambda u: not u.startswith("http://127.0.0.1"), lambda route: route.abort())
    # Material keeps the reader's palette choice in localStorage, scoped by the site's base path.
    index = 1 if scheme == "slate" else 0
    context.add_init_script(
        f"localStorage.setItem('/.__palette', JSON.stringify({{index: {index}, color: {{scheme: '{scheme}'}}}}))"
    )
    page = context.new_page()
    page.goto(served.base + url, wait_until="load")
    page.wait_for_function(
        "document.querySelector('.md-typeset__scrollwrap') !== null || document.querySelector('article table') === null"
    )
    return page


__all__ = [
    "PAGES",
    "WIDE",
    "NARROW",
    "Served",
    "axe_script",
    "design_browser",
    "open_page",
    "served_kb",
    "front_matter",
]
