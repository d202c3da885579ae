"""`mkdocs serve` rebuilds: only changed files are re-parsed; errors are reported, shown, and cleared."""

from __future__ import annotations

import logging
import os
import tempfile

import pytest
from conftest import front_matter, render_postmortem
from htmlpage import read_page
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.structure.files import get_files
from pmkb.mkdocs_plugin.plugin import TEMPLATES

PID = "2024-05-02-cache-stampede"


class Server:
    """Drives the plugin the way `mkdocs serve` does: one config and plugin instance, many builds."""

    def __init__(self, kb):
        self.kb = kb
        self.config = load_config(str(kb.config), site_dir=str(kb.root / "site"))
        self.config.plugins.on_startup(command="serve", dirty=False)
        self.plugin = self.config.plugins["pmkb"]
        # MkDocs keeps one plugin instance per process (as serve does), so count from here.
        self.start = self.plugin.checker.parsed if self.plugin.checker else 0

    @property
    def parsed(self) -> int:
        return self.plugin.checker.parsed - self.start

    def rebuild_files(self):
        """The config and files events of one rebuild, as MkDocs calls them."""
        config = self.config.plugins.on_config(self.config)
        return self.config.plugins.on_files(get_files(config), config=config)

    def rebuild_site(self):
        build(self.config, serve_url="http://127.0.0.1:8000/")
        return self.kb.root / "site"


def touch_later(path):
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.fixture
def server(kb):
    for index in range(5):
        kb.add(
            f"2024-05-0{index + 1}-incident-{index}",
            date=f"2024-05-0{index + 1}",
            timeline={
                "started": f"2024-05-0{index + 1}T09:00:00Z",
                "detected": f"2024-05-0{index + 1}T09:05:00Z",
                "resolved": f"2024-05-0{index + 1}T10:00:00Z",
            },
        )
    server = Server(kb)
    yield server
    server.config.plugins.on_shutdown()  # as `mkdocs serve` does when it stops


def test_second_rebuild_reparses_only_the_changed_file(server, kb):
    server.rebuild_files()
    assert server.parsed == 5
    server.rebuild_files()
    assert server.parsed == 5
    path = kb.docs / "2024/2024-05-03-incident-2.md"
    path.write_text(path.read_text().replace("SEV2", "SEV1"))
    touch_later(path)
    server.rebuild_files()
    assert server.parsed == 6


def test_error_is_reported_shown_and_then_cleared(server, kb, caplog):
    path = kb.docs / "2024/2024-05-03-incident-2.md"
    good = path.read_text()
    server.rebuild_site()

    path.write_text(good.replace("severity: SEV2", "severity: SEV7"))
    touch_later(path)
    with caplog.at_level(logging.ERROR):
        site = server.rebuild_site()  # no exception: the server keeps running
    assert any("severity 'SEV7' is not one of" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    banner = read_page(site, "2024/2024-05-03-incident-2/").article.find("div", "pmkb-errors")
    assert banner is not None and "SEV7" in banner.all_text()

    caplog.clear()
    path.write_text(good)
    touch_later(path)
    site = server.rebuild_site()
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert read_page(site, "2024/2024-05-03-incident-2/").article.find("div", "pmkb-errors") is None


def test_serve_shows_drafts_with_a_banner_but_lists_them_nowhere(kb):
    kb.add(PID, status="draft", title="Work in progress", action_items=None)
    server = Server(kb)
    site = server.rebuild_site()
    page = read_page(site, f"2024/{PID}/")
    assert page.article.find("div", "pmkb-draft") is not None
    assert "Work in progress" not in read_page(site, "incidents/").html


def test_taxonomy_file_is_watched_and_a_change_revalidates_everything(kb):
    (kb.root / "taxonomy.yml").write_text(
        "causes:\n  - {slug: capacity, title: Capacity, description: Too little.}\n"
        "  - {slug: monitoring-gap, title: Gap, description: Unseen.}\n"
    )
    kb.set_config({"taxonomy": "taxonomy.yml"})
    kb.write(f"2024/{PID}.md", render_postmortem(front_matter()))
    server = Server(kb)
    server.rebuild_files()
    assert str(kb.root / "taxonomy.yml") in server.config.watch
    assert server.parsed == 1
    (kb.root / "taxonomy.yml").write_text("causes:\n  - {slug: capacity, title: Capacity, description: Too little.}\n")
    server.rebuild_files()
    assert server.parsed == 2  # the taxonomy changed: the file was judged again
    errors = [d for d in server.plugin.errors_by_file.get(f"2024/{PID}.md", [])]
    assert errors and "monitoring-gap" in errors[0].message


def test_packaged_templates_are_on_the_theme_path_after_the_projects_own(server):
    server.rebuild_files()
    dirs = server.config.theme.dirs
    material = next(index for index, folder in enumerate(dirs) if folder.endswith("material/templates"))
    assert dirs.count(str(TEMPLATES)) == 1 and dirs.index(str(TEMPLATES)) > material
    server.rebuild_files()  # on_config runs again on every rebuild: the folder is not added twice
    assert server.config.theme.dirs.count(str(TEMPLATES)) == 1


def test_rebuilds_and_stopping_leave_no_temporary_files(server, monkeypatch, tmp_path):
    # Each rebuild starts late work (a forked child writing the exports into a temporary folder). A rebuild that
    # replaces one never collected, and stopping the server, must leave neither a child's file nor a folder.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    server.rebuild_files()
    server.rebuild_files()
    server.rebuild_site()
    server.rebuild_files()
    server.config.plugins.on_shutdown()
    assert sorted(path.name for path in scratch.iterdir()) == []


def test_a_byte_that_is_not_utf8_shows_the_error_banner_and_the_server_keeps_answering(server, kb, caplog):
    """MkDocs' own read of such a page raises and fails the whole rebuild; pmkb hands it the readable
    rest, so every page still answers and this one says what is wrong."""
    path = kb.docs / "2024/2024-05-03-incident-2.md"
    good = path.read_bytes()
    path.write_bytes(good.replace(b"Something happened", b"Something h\xe4ppened"))
    touch_later(path)
    with caplog.at_level(logging.ERROR):
        site = server.rebuild_site()  # no exception
    banner = read_page(site, "2024/2024-05-03-incident-2/").article.find("div", "pmkb-errors")
    assert banner is not None and "not valid UTF-8: byte 0xe4" in banner.all_text()
    assert read_page(site, "2024/2024-05-01-incident-0/").article is not None  # the others still answer
    path.write_bytes(good)
    touch_later(path)
    site = server.rebuild_site()
    assert read_page(site, "2024/2024-05-03-incident-2/").article.find("div", "pmkb-errors") is None
