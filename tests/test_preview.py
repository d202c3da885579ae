"""`mkdocs serve` with pmkb re-renders what a save changed, and the served site equals a clean build.

Each test runs the real `mkdocs serve` in a child process on a free loopback port, scripts edits on the files,
waits (bounded) for each to show, then compares the site the server wrote with a clean serve-mode build of the
final files, page by page; the browser search index is compared by the pages it holds.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config
from pmkb.runtime.pagefind import FRAGMENT_SIGNATURE

START_TIMEOUT = 180.0  # a first build on a machine shared by several test runs
EDIT_TIMEOUT = 90.0
SETTLE_TIMEOUT = 120.0
NOT_COMPARED = {"sitemap.xml", "sitemap.xml.gz"}  # they carry the build date


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.read()
    except urllib.error.HTTPError:
        return None
    except OSError:
        return None


class Serve:
    """`mkdocs serve` in a child process; its temporary site folder is created under `scratch`."""

    def __init__(self, root: Path, scratch: Path, *extra: str) -> None:
        self.root, self.scratch = root, scratch
        scratch.mkdir(exist_ok=True)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = root.parent / f"serve-{self.port}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        env = {**os.environ, "TMPDIR": str(scratch), "NO_MKDOCS_2_WARNING": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{self.port}", *extra],
            cwd=root,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        self._wait(lambda: "Serving on" in self.log() and _get(self.url) is not None, START_TIMEOUT, "start")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def _wait(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"mkdocs serve exited during {what}:\n{self.log()[-4000:]}")
            if condition():
                return
            time.sleep(0.1)
        raise AssertionError(f"mkdocs serve: {what} not seen after {timeout:.0f} s:\n{self.log()[-4000:]}")

    @property
    def site(self) -> Path:
        folders = [p for p in self.scratch.glob("mkdocs_*") if p.is_dir() and "." not in p.name]
        assert len(folders) == 1, folders
        return folders[0]

    def shows(self, path: str, needle: str, *, present: bool = True) -> None:
        def seen() -> bool:
            body = _get(self.url + path)
            return body is not None and (needle.encode() in body) == present

        self._wait(seen, EDIT_TIMEOUT, f"{needle!r} {'on' if present else 'gone from'} /{path}")

    def settled_like(self, clean: Path) -> None:
        """Wait until the served site equals `clean` (the preview finishes on threads), then assert it does."""
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while time.monotonic() < deadline and differences(self.site, clean):
            time.sleep(0.5)
        assert differences(self.site, clean) == [], self.log()[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self._log.close()


def search_pages(site: Path) -> dict[str, tuple[str, str]]:
    """The browser search index, as the pages it holds: URL -> (title, text), over every part."""
    pages: dict[str, tuple[str, str]] = {}
    for fragment in (site / "pagefind").rglob("*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes())
        assert data.startswith(FRAGMENT_SIGNATURE)
        page = json.loads(data[len(FRAGMENT_SIGNATURE) :])
        assert page["url"] not in pages, f"{page['url']} indexed twice"
        pages[page["url"]] = (page["meta"].get("title", ""), page["content"])
    return pages


def row_pages(site: Path) -> list[str | None]:
    """The explorer's rows as the URL of the search page each one's id names in the served index."""
    mapping = json.loads((site / "search/pagefind-ids.json").read_text())
    by_id = {}
    for fragment in (site / "pagefind").rglob("*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes())
        by_id[fragment.name.removesuffix(".pf_fragment")] = json.loads(data[len(FRAGMENT_SIGNATURE) :])["url"]
    if isinstance(mapping, dict):
        ids = [mapping["prefix"] + word if word else None for word in mapping["ids"].split(" ")]
    else:
        ids = mapping
    return [by_id.get(i) if i else None for i in ids]


def differences(served: Path, clean: Path) -> list[str]:
    """Every file that differs (the search index compared by its pages), as short descriptions."""

    def files(site: Path) -> set[str]:
        return {
            p.relative_to(site).as_posix()
            for p in site.rglob("*")
            if p.is_file() and not p.relative_to(site).as_posix().startswith("pagefind/") and p.name not in NOT_COMPARED
        }

    found: list[str] = []
    ours, theirs = files(served), files(clean)
    found += [f"only served: {name}" for name in sorted(ours - theirs)]
    found += [f"only in the clean build: {name}" for name in sorted(theirs - ours)]
    for name in sorted(ours & theirs):
        if name == "search/pagefind-ids.json":
            continue  # ids are Pagefind's; compared as the pages they name below
        if (served / name).read_bytes() != (clean / name).read_bytes():
            found.append(f"differs: {name}")
    try:
        if search_pages(served) != search_pages(clean):
            found.append("the search index holds other pages")
        if row_pages(served) != row_pages(clean):
            found.append("the explorer's rows name other search pages")
    except (OSError, ValueError, AssertionError) as error:
        found.append(f"search index unreadable: {error}")
    return found


def clean_build(root: Path, serve_url: str, site: Path) -> Path:
    """A full build of the files as they are, the way `mkdocs serve` builds (its URL, drafts shown)."""
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(site))
    config.site_url = serve_url
    config.plugins.on_startup(command="serve", dirty=False)
    try:
        build(config, serve_url=serve_url)
    finally:
        config.plugins.on_shutdown()
    return site


def timeline(day: str) -> dict:
    return {"started": f"{day}T09:00:00Z", "detected": f"{day}T09:05:00Z", "resolved": f"{day}T10:00:00Z"}


@pytest.fixture
def served_kb(kb):
    config = {"site_name": "Test KB", "docs_dir": "postmortems", "theme": {"name": "material"}, "plugins": ["pmkb"]}
    kb.config.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    kb.write("runbooks/cache.md", "# Runbooks\n\nWhat to do when the cache stampedes.\n")
    for index in range(6):
        day = f"2024-05-0{index + 1}"
        kb.add(
            f"{day}-incident-{index}",
            date=day,
            title=f"Incident number {index}",
            services=["checkout" if index % 2 else "payments"],
            timeline=timeline(day),
        )
    return kb


def path_of(kb, pid: str) -> Path:
    return kb.docs / pid[:4] / f"{pid}.md"


def test_edits_of_every_kind_leave_the_served_site_equal_to_a_clean_build(served_kb, tmp_path):
    kb = served_kb
    server = Serve(kb.root, tmp_path / "scratch")
    try:
        first = path_of(kb, "2024-05-02-incident-1")
        page = "2024/2024-05-02-incident-1/"
        # a body edit
        first.write_text(first.read_text() + "\nThe pager stayed silent for an hour.\n")
        server.shows(page, "The pager stayed silent")
        # a front-matter edit: the page and the listings that show the title
        first.write_text(first.read_text().replace("title: Incident number 1", "title: Checkout queue overflow"))
        server.shows(page, "Checkout queue overflow")
        server.shows("incidents/", "Checkout queue overflow")
        # a value that moves the postmortem from one facet page to another
        first.write_text(first.read_text().replace("- checkout", "- payments"))
        server.shows("services/payments/", "Checkout queue overflow")
        # invalid YAML shows the error on the page at once, and goes when fixed
        good = first.read_text()
        first.write_text(good.replace("severity: SEV2", "severity: [SEV2"))
        server.shows(page, "pmkb-errors")
        first.write_text(good)
        server.shows(page, "pmkb-errors", present=False)
        # a file added, one deleted, one renamed: full builds
        added = kb.add(
            "2024-05-09-incident-new", date="2024-05-09", title="Freshly added", timeline=timeline("2024-05-09")
        )
        server.shows("incidents/", "Freshly added")
        path_of(kb, "2024-05-03-incident-2").unlink()
        server.shows("incidents/", "Incident number 2", present=False)
        added.rename(added.with_name("2024-05-09-incident-renamed.md"))
        server.shows("2024/2024-05-09-incident-renamed/", "Freshly added")
        # 20 saves 0.1 s apart, each a different title and body
        last = path_of(kb, "2024-05-05-incident-4")
        original = last.read_text()
        for save in range(20):
            text = original.replace("title: Incident number 4", f"title: Rapid save {save}")
            last.write_text(text + f"\nSave number {save}.\n")
            time.sleep(0.1)
        server.shows("2024/2024-05-05-incident-4/", "Save number 19.")
        server.shows("incidents/", "Rapid save 19")
        server.settled_like(clean_build(kb.root, server.url, tmp_path / "clean"))
        assert "rendered again" in server.log()  # the edits above were the preview's, not full builds
    finally:
        server.stop()


def test_a_front_matter_edit_rewrites_the_pages_that_show_what_changed_and_no_other(served_kb, tmp_path):
    kb = served_kb
    server = Serve(kb.root, tmp_path / "scratch")
    try:
        site = server.site
        pages = sorted(site.rglob("*.html"))
        before = {page: (page.stat().st_mtime_ns, page.read_bytes()) for page in pages}
        first = path_of(kb, "2024-05-02-incident-1")
        first.write_text(first.read_text().replace("title: Incident number 1", "title: Renamed incident"))
        server.shows("incidents/", "Renamed incident")
        server.settled_like(clean_build(kb.root, server.url, tmp_path / "clean"))
        rewritten = {page for page in pages if page.stat().st_mtime_ns != before[page][0]}
        changed = {page for page in pages if page.read_bytes() != before[page][1]}
        # Every page that shows the title is written again; a page whose view holds it without printing it (a
        # facet index's rows) may be too; a page that holds nothing of it is not.
        assert changed <= rewritten
        names = {page.relative_to(site).as_posix() for page in rewritten}
        assert {"2024/2024-05-02-incident-1/index.html", "incidents/index.html"} <= names
        assert not names & {"guide/index.html", "runbooks/cache/index.html", "search/index.html", "404.html"}
        assert len(rewritten) < len(pages) / 2
    finally:
        server.stop()


def test_the_served_search_index_keeps_every_page_through_edits(served_kb, tmp_path):
    kb = served_kb
    server = Serve(kb.root, tmp_path / "scratch")
    try:
        pages = set(search_pages(server.site))
        assert len(pages) == 7  # six postmortems and the runbooks page
        first = path_of(kb, "2024-05-02-incident-1")
        first.write_text(first.read_text() + "\nA quasar-shaped anomaly.\n")
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while time.monotonic() < deadline:
            held = search_pages(server.site)
            if any("quasar" in text for _, text in held.values()):
                break
            assert set(held) == pages  # never fewer pages, while the index is made again
            time.sleep(0.2)
        held = search_pages(server.site)
        assert set(held) == pages and any("quasar" in text for _, text in held.values())
    finally:
        server.stop()


def test_dirty_serve_keeps_every_page_in_the_search_index(served_kb, tmp_path):
    kb = served_kb
    server = Serve(kb.root, tmp_path / "scratch", "--dirty")
    try:
        assert len(search_pages(server.site)) == 7
        kb.add("2024-05-09-incident-new", date="2024-05-09", title="Freshly added", timeline=timeline("2024-05-09"))
        server.shows("incidents/", "Freshly added")  # a file added: MkDocs' dirty build
        # Pagefind's own count: the fragments of an earlier index in the folder would not show a shrunk index
        server._wait(lambda: "indexed 8 pages" in server.log(), SETTLE_TIMEOUT, "a whole dirty index")
        assert len(search_pages(server.site)) == 8
        assert "indexed 1 pages" not in server.log() and "indexed 2 pages" not in server.log()
    finally:
        server.stop()


def test_dirty_build_keeps_every_page_in_the_search_index(served_kb):
    kb = served_kb
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = [sys.executable, "-m", "mkdocs", "build", "-q"]
    subprocess.run(run, cwd=kb.root, env=env, check=True, timeout=300, capture_output=True)
    assert len(search_pages(kb.root / "site")) == 7
    first = path_of(kb, "2024-05-02-incident-1")
    time.sleep(0.05)
    first.write_text(first.read_text() + "\nA dirty-build change.\n")
    subprocess.run([*run, "--dirty"], cwd=kb.root, env=env, check=True, timeout=300, capture_output=True)
    held = search_pages(kb.root / "site")
    assert len(held) == 7
    assert any("dirty-build change" in text for _, text in held.values())
    assert len([row for row in row_pages(kb.root / "site") if row]) == 6


def test_another_plugin_keeps_mkdocs_full_builds(served_kb, tmp_path):
    kb = served_kb
    config = yaml.safe_load(kb.config.read_text())
    config["plugins"] = ["search", "pmkb"]
    kb.config.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    server = Serve(kb.root, tmp_path / "scratch")
    try:
        first = path_of(kb, "2024-05-02-incident-1")
        first.write_text(first.read_text() + "\nA sentence for MkDocs' own search.\n")
        server.shows("2024/2024-05-02-incident-1/", "for MkDocs")
        assert "every save builds the whole site" in server.log()
        assert "rendered again" not in server.log()
    finally:
        server.stop()


class HeldJobs:
    """Stands in for a preview thread: keeps the jobs submitted, runs the last one when told."""

    def __init__(self) -> None:
        self.job = None
        self.results: list = []

    def submit(self, job) -> None:
        self.job = job

    def run(self) -> None:
        job, self.job = self.job, None
        self.results.append(job())

    def take(self) -> list:
        results, self.results = self.results, []
        return results

    def idle(self) -> bool:
        return self.job is None

    def stop(self) -> None:
        pass


def test_exports_owed_by_a_front_matter_save_survive_a_body_save_that_follows(served_kb, tmp_path):
    kb = served_kb
    site = tmp_path / "served"
    url = "http://127.0.0.1:8000/"
    config = load_config(str(kb.config), site_dir=str(site))
    config.site_url = url
    config.plugins.on_startup(command="serve", dirty=False)
    try:
        build(config, serve_url=url)
        preview = config.plugins["pmkb"].preview
        held = HeldJobs()
        preview.values.stop()
        preview.values = held
        first = path_of(kb, "2024-05-02-incident-1")
        first.write_text(first.read_text().replace("title: Incident number 1", "title: Owed to the exports"))
        touch = first.stat()
        assert preview.rebuild()  # the title: pages now, exports on the thread (held)
        first.write_text(first.read_text() + "\nA body line.\n")
        os.utime(first, ns=(touch.st_atime_ns, touch.st_mtime_ns + 1_000_000_000))
        assert preview.rebuild()  # a body save replaces the waiting job before it ran
        held.run()
        assert preview.rebuild()  # the thread's result is written
        assert b"Owed to the exports" in (site / "postmortems.json").read_bytes()
        clean = clean_build(kb.root, url, tmp_path / "clean")
        for name in ("postmortems.json", "feed.xml", "search/incidents.json"):
            assert (site / name).read_bytes() == (clean / name).read_bytes(), name
    finally:
        config.plugins.on_shutdown()
