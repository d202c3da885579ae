"""Shared fixtures of the real-browser tests: Debian's Chromium driven by Playwright, and a built knowledge base
served over HTTP on 127.0.0.1 (optionally under a sub-path).

Playwright cannot download its own browsers here, so the system's Chromium is launched (`executable_path`):
PMKB_CHROMIUM if set, else `chromium` on the PATH (Debian's package; scripts/test installs it when it can).
When Playwright or Chromium is missing, every browser test is skipped with one line naming what is missing;
under CI (CI=true) that is a failure instead, so CI never passes with the browser tests skipped.

The explorer's tests of search run once per Pagefind binary pmkb supports (`pagefind_binary`): the `pagefind[bin]`
wheel's (1.5.2) and the npm registry's newer one, which scripts/test installs into .cache/test-tools/pagefind.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import KB  # tests/conftest.py (this folder is the package `browser`, next to it)
from pmkb.runtime.pagefind import PagefindBinary, PagefindError, find_pagefind

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing() -> str | None:
    """What the browser tests need and this machine lacks, in one line (None: nothing is missing)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package 'playwright' is not installed (pip install -e '.[test]')"
    if chromium_path() is None:
        return "no Chromium: install Debian's 'chromium' package (apt-get install -y chromium) or set PMKB_CHROMIUM"
    return None


def chromium_path() -> str | None:
    explicit = os.environ.get("PMKB_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing_or_skip(what: str | None) -> None:
    """Skip (or, under CI, fail) with one line when `what` (a tool the browser tests need) is missing."""
    if what is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run under CI: {what}", pytrace=False)
    pytest.skip(f"browser tests skipped: {what}")


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session: Playwright's sync API allows one instance at a time."""
    missing_or_skip(_missing())
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# Where scripts/test installs the npm registry's Pagefind (`npm install --prefix`), as a team's project would have it.
NPM_PAGEFIND = Path(__file__).resolve().parents[2] / ".cache" / "test-tools" / "pagefind"


def _pagefind(source: str) -> PagefindBinary | str:
    """The Pagefind binary from `source` ("wheel" or "npm"), or what is missing, in one line."""
    saved = os.environ.pop("PAGEFIND_BINARY_PATH", None)
    try:
        found = find_pagefind(NPM_PAGEFIND if source == "npm" else None)
    except PagefindError as error:
        return str(error)
    finally:
        if saved is not None:
            os.environ["PAGEFIND_BINARY_PATH"] = saved
    if source == "npm" and found.origin != "the project's npm package":
        return f"no Pagefind from the npm registry in {NPM_PAGEFIND} (scripts/test installs it)"
    return found


@pytest.fixture(scope="module", params=["wheel", "npm"], ids=lambda source: f"pagefind-{source}")
def pagefind_binary(request) -> PagefindBinary:
    """Each Pagefind binary pmkb supports, in turn: a fixture site built with it is built (and tested) twice."""
    found = _pagefind(request.param)
    if isinstance(found, str):
        missing_or_skip(found)
        raise AssertionError("unreachable")  # missing_or_skip skips or fails
    return found


class PageErrors(list):
    """Uncaught script errors of a page; a test ends with none."""


@pytest.fixture
def page(browser):
    """A fresh page (own context: no cache, no history) that fails the test on an uncaught script error."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    # The site is served from 127.0.0.1 only: anything else (Material's web fonts) is cut off, not waited for.
    context.route(lambda url: not url.startswith("http://127.0.0.1"), lambda route: route.abort())
    new = context.new_page()
    errors = PageErrors()
    new.on("pageerror", lambda error: errors.append(error))
    yield new
    context.close()
    assert list(errors) == [], f"script errors on the page: {errors}"


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves `directory` under `prefix` (a site hosted at a sub-path); anything else is 404."""

    prefix = "/"

    def translate_path(self, path: str) -> str:
        path = unquote(urlsplit(path).path)
        if not path.startswith(self.prefix):
            return os.path.join(self.directory, "\0missing")
        return super().translate_path("/" + path[len(self.prefix) :])

    def log_message(self, *args) -> None:
        pass


class Served:
    def __init__(self, site: Path, prefix: str = "/") -> None:
        handler = type("Handler", (_Handler,), {"prefix": prefix})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}{prefix}"  # ends with '/'

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def serve() -> Iterator:
    """serve(site_dir, prefix="/") -> base URL of the site, served until the module's tests are done."""
    servers: list[Served] = []

    def start(site: Path, prefix: str = "/") -> str:
        served = Served(site, prefix)
        servers.append(served)
        return served.url

    yield start
    for served in servers:
        served.close()


def build_kb(
    root: Path, fill, *, plugin_options: dict | None = None, pagefind: PagefindBinary | None = None, **config
) -> Path:
    """Write a knowledge base with `fill(kb)`, configured as shipped (Pagefind, not Material's search); build it,
    indexed by the `pagefind` binary (by default, the one a team's build would find)."""
    kb = KB(root)
    kb.docs.mkdir(parents=True)
    kb.write("index.md", "# Test KB\n\nAuthor's welcome text.\n")
    kb.set_config(plugin_options, **config)
    text = kb.config.read_text(encoding="utf-8").replace("- search\n", "")
    kb.config.write_text(text, encoding="utf-8")
    fill(kb)
    if pagefind is None:
        return kb.build(strict=False)
    saved = os.environ.get("PAGEFIND_BINARY_PATH")
    os.environ["PAGEFIND_BINARY_PATH"] = os.fspath(pagefind.path)
    try:
        return kb.build(strict=False)
    finally:
        if saved is None:
            del os.environ["PAGEFIND_BINARY_PATH"]
        else:
            os.environ["PAGEFIND_BINARY_PATH"] = saved
