"""Tools that only read never write; `pmkb new` never overwrites; an interrupted build or
search-index update leaves nothing half-written that the next run trips on.

The knowledge base used here holds odd files on purpose (CRLF, a BOM, Latin-1 bytes, a broken front matter, a
file name with spaces): a tool that "normalised" any of them on the way would be caught by the byte comparison.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import KB, front_matter, render_postmortem
from mkdocs.exceptions import Abort, PluginError
from pmkb.mkdocs_plugin.plugin import PostmortemPlugin
from test_reproducible import is_compared


def has_command(name: str) -> bool:
    return importlib.util.find_spec(f"pmkb.cli.commands.{name}") is not None


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under `folder`: kind, bytes (files), link target (symlinks), mode and modification time."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        if path.is_symlink():
            entry = ("link", os.readlink(path))
        elif path.is_dir():
            entry = ("dir",)
        else:
            entry = ("file", path.read_bytes())
        found[str(path.relative_to(folder))] = (*entry, info.st_mode, info.st_mtime_ns)
    return found


def on_day(day: str, **overrides) -> str:
    timeline = {"started": f"{day}T10:00:00Z", "detected": f"{day}T10:05:00Z", "resolved": f"{day}T12:00:00Z"}
    return render_postmortem(front_matter(date=day, timeline=timeline, **overrides))


def fill(kb: KB) -> None:
    kb.write("runbooks/deploy.md", "# Deploy\n")
    kb.add("2024-05-02-cache-stampede", runbooks=["runbooks/deploy.md"])
    overdue = [{"title": "Overdue thing", "owner": "sre", "status": "open", "due": "2020-01-01"}]
    kb.write("2024/2024-05-03-overdue.md", on_day("2024-05-03", action_items=overdue))
    kb.write("2024/2024-05-04-crlf.md", on_day("2024-05-04").replace("\n", "\r\n"))
    kb.write("2024/2024-05-02-bom.md", b"\xef\xbb\xbf" + render_postmortem(front_matter()).encode())
    kb.write("2024/2024-05-02-with space.md", render_postmortem(front_matter()))
    kb.write("2024/2024-05-05-latin1.md", on_day("2024-05-05").encode().replace(b"Ada", b"Ad\xe9"))
    kb.write("2024/2024-05-06-broken.md", "---\ntitle: [unclosed\n---\n")
    kb.write("2024/.hidden-notes.md", render_postmortem(front_matter()))  # MkDocs leaves dot files out
    os.symlink("2024-05-02-cache-stampede.md", kb.docs / "2024" / "link-inside.md")


READ_ONLY = [
    ("lint",),
    ("lint", "--format", "json"),
    ("lint", "--strict", "--format", "github"),
    ("lint", "postmortems/2024"),
    ("actions",),
    ("actions", "--json"),
    ("actions", "--overdue"),
    ("schema",),
    ("search", "cache"),
    ("search", "cause:capacity", "--json"),
    ("search", "title:((("),
]


@pytest.mark.parametrize("args", READ_ONLY, ids=" ".join)
def test_read_only_command_never_writes_to_the_content_folder(kb, args):
    if not has_command(args[0]):
        pytest.skip(f"pmkb {args[0]} is not available in this checkout")
    fill(kb)
    before = snapshot(kb.docs)
    result = kb.cli(*args)
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1, 2), result.stderr
    assert snapshot(kb.docs) == before


def test_mkdocs_build_never_writes_to_the_content_folder(kb):
    fill(kb)
    kb.write("2024/2024-05-05-latin1.md", on_day("2024-05-05"))  # a build needs a valid KB
    kb.write("2024/2024-05-06-broken.md", on_day("2024-05-06"))
    before = snapshot(kb.docs)
    kb.build()
    assert snapshot(kb.docs) == before
    kb.write("2024/2024-05-06-broken.md", "---\ntitle: [unclosed\n---\n")
    before = snapshot(kb.docs)
    with pytest.raises((PluginError, Abort)):
        kb.build(strict=True)
    assert snapshot(kb.docs) == before


# -- pmkb new never overwrites -----------------------------------------------------------------------------------

needs_new = pytest.mark.skipif(not has_command("new"), reason="pmkb new is not available in this checkout")


@needs_new
def test_new_never_overwrites_a_file(kb):
    first = kb.cli("new", "Cache stampede takes down checkout")
    assert first.returncode == 0, first.stderr
    path = kb.root / first.stdout.strip()
    assert path.is_file() and kb.docs in path.parents
    path.write_text("my own words\n", encoding="utf-8")
    before = snapshot(kb.docs)
    again = kb.cli("new", "Cache stampede takes down checkout")
    assert "Traceback" not in again.stderr
    assert path.read_text(encoding="utf-8") == "my own words\n"
    if again.returncode == 0:  # written elsewhere: only a new file appeared
        after = snapshot(kb.docs)
        assert {k: v for k, v in after.items() if k in before} == before
    else:
        assert snapshot(kb.docs) == before


@needs_new
def test_new_never_writes_through_a_symlink(kb, tmp_path):
    first = kb.cli("new", "Disk full")
    assert first.returncode == 0, first.stderr
    path = kb.root / first.stdout.strip()
    path.unlink()
    target = tmp_path / "outside" / "victim.md"
    target.parent.mkdir()
    os.symlink(target, path)  # dangling: a naive open(path, "w") would create the file outside the KB
    result = kb.cli("new", "Disk full")
    assert "Traceback" not in result.stderr
    assert not target.exists()
    assert path.is_symlink()


@needs_new
def test_new_refuses_an_id_used_in_another_folder(kb):
    first = kb.cli("new", "Paging storm")
    assert first.returncode == 0, first.stderr
    path = kb.root / first.stdout.strip()
    moved = kb.docs / "archive" / path.name
    moved.parent.mkdir()
    path.rename(moved)
    before = snapshot(kb.docs)
    again = kb.cli("new", "Paging storm")
    assert again.returncode != 0
    assert "Traceback" not in again.stderr
    assert snapshot(kb.docs) == before


# -- interrupted runs ----------------------------------------------------------------------------------------------


def site_files(site: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(site)): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file() and is_compared(p.relative_to(site).as_posix())  # sitemaps, Pagefind's filter files aside
    }


def test_interrupted_build_leaves_nothing_the_next_build_trips_on(kb, tmp_path, monkeypatch):
    fill(kb)
    kb.write("2024/2024-05-05-latin1.md", on_day("2024-05-05"))
    kb.write("2024/2024-05-06-broken.md", on_day("2024-05-06"))
    reference = site_files(kb.build(site_dir=tmp_path / "reference"))

    original = PostmortemPlugin.on_page_context
    calls = []

    def interrupting(self, context, **kwargs):
        calls.append(1)
        if len(calls) == 6:  # some pages are written, most are not
            raise KeyboardInterrupt
        return original(self, context, **kwargs)

    monkeypatch.setattr(PostmortemPlugin, "on_page_context", interrupting)
    with pytest.raises(KeyboardInterrupt):
        kb.build()
    partial = site_files(kb.root / "site")
    assert 0 < len(partial) < len(reference)
    monkeypatch.setattr(PostmortemPlugin, "on_page_context", original)

    assert site_files(kb.build()) == reference
    assert kb.cli("lint").returncode == 0  # the half-written site is not content: lint does not trip on it


@pytest.mark.skipif(not has_command("search"), reason="pmkb search is not available in this checkout")
def test_killed_search_index_update_is_recovered(kb, tmp_path):
    fill(kb)
    kb.write("2024/2024-05-05-latin1.md", on_day("2024-05-05"))
    kb.write("2024/2024-05-06-broken.md", on_day("2024-05-06"))
    for index in range(30):  # enough postmortems that indexing takes a moment
        day = f"2021-{1 + index // 28:02d}-{1 + index % 28:02d}"
        kb.add(
            f"{day}-incident-{index}",
            date=day,
            timeline={"started": f"{day}T10:00:00Z", "detected": f"{day}T10:05:00Z", "resolved": f"{day}T12:00:00Z"},
            body="## Summary\n\n" + "The cache stampede spread to the database. " * 200,
        )
    clean = tmp_path / "clean"
    shutil.copytree(kb.root, clean, symlinks=True)
    expected = subprocess.run(
        [sys.executable, "-m", "pmkb", "search", "cache", "--json"],
        cwd=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert expected.returncode in (0, 1), expected.stderr

    for delay in (0.05, 0.3, 0.8):
        process = subprocess.Popen(
            [sys.executable, "-m", "pmkb", "search", "cache", "--json"],
            cwd=kb.root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        after = kb.cli("search", "cache", "--json")
        assert "Traceback" not in after.stderr, (delay, after.stderr)
        assert after.returncode == expected.returncode, (delay, after.stderr)
        assert after.stdout == expected.stdout, delay
