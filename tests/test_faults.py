"""Faults that must never cost a build, a chart or an edit: a damaged or blocked cache, a killed process, two
writers at once, a full disk. Each test damages a real knowledge base the way a bad copy, a crash or an operator
would, then runs the real build or command line."""

from __future__ import annotations

import errno
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import KB


def charted(kb: KB) -> KB:
    """A knowledge base whose home page and facet pages show charts."""
    for day in ("2024-05-02", "2024-08-14", "2025-01-20"):
        timeline = {"started": f"{day}T10:00:00Z", "detected": f"{day}T10:05:00Z", "resolved": f"{day}T12:00:00Z"}
        kb.add(f"{day}-incident", date=day, title=f"Incident of {day}", timeline=timeline)
    return kb


def home_svgs(site: Path) -> list[str]:
    html = (site / "index.html").read_text(encoding="utf-8")
    assert html.count("<svg") == html.count("</svg>"), "unbalanced SVG on the home page"
    return [part.split("</svg>")[0] for part in html.split("<svg ")[1:] if 'class="pmkb-svg"' in part.split(">")[0]]


def chart_cache(kb: KB) -> Path:
    return kb.root / ".cache" / "pmkb" / "charts"


def pmkb_notices(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "pmkb" in r.name and "chart" in r.getMessage()]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: b"\xff\xfe" + data[2:], id="not-utf-8"),
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data + data, id="two-svgs"),
    ],
)
def test_a_damaged_cached_chart_is_drawn_again(kb, caplog, damage):
    charted(kb)
    first = home_svgs(kb.build(strict=True))
    assert len(first) >= 3
    cached = sorted(chart_cache(kb).glob("*.svg"))
    for path in cached:
        path.write_bytes(damage(path.read_bytes()))
    caplog.clear()
    with caplog.at_level(logging.INFO):
        again = home_svgs(kb.build(strict=True))
    assert again == first
    notices = pmkb_notices(caplog)
    assert len(notices) == 1 and "damaged" in notices[0], notices
    for path in cached:  # healed: the next build reads them
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<svg ") and text.endswith("</svg>")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert home_svgs(kb.build(strict=True)) == first
    assert pmkb_notices(caplog) == []


@pytest.mark.parametrize("blocked", [".cache", ".cache/pmkb", ".cache/pmkb/charts"])
def test_a_chart_cache_that_cannot_be_written_costs_the_cache_never_the_charts(kb, caplog, blocked):
    charted(kb)
    expected = home_svgs(kb.build(site_dir=kb.root / "reference"))
    import shutil

    shutil.rmtree(kb.root / ".cache")
    target = kb.root / blocked
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("not a folder\n")
    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert home_svgs(kb.build(strict=True)) == expected
        notices = pmkb_notices(caplog)
        assert len(notices) == 1 and "not cached" in notices[0], notices
    assert target.read_text() == "not a folder\n"  # an operator's file is never removed


# -- two writers, killed writers --------------------------------------------------------------------------------


def pmkb_process(kb: KB, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pmkb", *args],
        cwd=kb.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_two_concurrent_actions_set_on_one_file_keep_both_edits(kb):
    """Twenty rounds of two `pmkb actions set` started together on two items of one file: both edits land every
    time (or, allowed but not seen, one fails loudly and the file holds the other)."""
    items = [
        {"title": "First", "owner": "sre", "status": "open"},
        {"title": "Second", "owner": "sre", "status": "open"},
    ]
    path = kb.add("2024-05-02-race", action_items=items)
    for round_number in range(20):
        owners = (f"first-{round_number}", f"second-{round_number}")
        processes = [
            pmkb_process(kb, "actions", "set", f"2024-05-02-race#{n + 1}", "--owner", owner)
            for n, owner in enumerate(owners)
        ]
        results = [(p.wait(timeout=120), *p.communicate()) for p in processes]
        for _code, _, err in results:
            assert "Traceback" not in err, err
        front = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])
        got = [item["owner"] for item in front["action_items"]]
        for n, (code, _, err) in enumerate(results):
            if code == 0:
                assert got[n] == owners[n], f"round {round_number}: edit {n + 1} lost: {got} ({err})"
            else:
                assert code == 2 and "nothing written" in err, err


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def aged(path: Path, seconds: float) -> Path:
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))
    return path


def test_a_killed_actions_set_leaves_no_temporary_copy_for_long(kb):
    path = kb.add("2024-05-02-killed")
    kb.add("2024-05-03-neighbour", date="2024-05-03", timeline=None)
    folder = path.parent
    gone = dead_pid()
    left = {
        f".{path.name}.{gone}-k7x2m9qa.tmp": 120,  # a killed `actions set` of this file
        f".2024-05-03-neighbour.md.{gone}-p0q1r2s3.tmp": 120,  # of another file in the folder
        f".{path.name}.ab12cd34.tmp": 2 * 24 * 3600,  # an earlier version's name, days old
    }
    kept = {
        f".{path.name}.{gone}-fresh000.tmp": 0,  # seconds old: maybe another machine's, still writing
        f".{path.name}.{os.getpid()}-alive000.tmp": 120,  # its process runs
        f".{path.name}.notes.tmp": 3 * 24 * 3600,  # not a name pmkb makes
        ".draft.md.ab12cd34.tmp": 3 * 24 * 3600,  # no such postmortem here: not ours to judge
    }
    for name, age in {**left, **kept}.items():
        (folder / name).write_bytes(b"---\ntitle: a copy\n")
        (folder / name).chmod(0o600)
        aged(folder / name, age)
    result = kb.cli("actions", "set", "2024-05-02-killed#1", "--status", "done")
    assert result.returncode == 0, result.stderr
    assert "removed 3 temporary file" in result.stderr
    assert sorted(p.name for p in folder.glob(".*.tmp")) == sorted(kept)


def test_a_killed_build_leaves_no_exports_folder_for_long(kb, tmp_path):
    """A build killed with SIGKILL leaves its exports folder; the next build removes it, and nobody else's."""
    charted(kb)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {"TMPDIR": str(temp), "PMKB_CHARTS": "0"}
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(tmp_path / "site")]
    build = subprocess.Popen(
        command, cwd=kb.root, env={**os.environ, **env}, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while not list(temp.glob("pmkb-exports-*")) and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(build.pid, signal.SIGKILL)  # the build and the processes it forked, as a cancelled CI job
    build.wait()
    left = list(temp.glob("pmkb-exports-*"))
    assert left, "the build was not killed while its exports folder existed"
    for folder in left:
        aged(folder, 120)
    others = [temp / "pmkb-exports-notes", temp / "someone-elses-folder"]
    for other in others:
        other.mkdir()
        aged(other, 3 * 24 * 3600)
    subprocess.run(command, cwd=kb.root, env={**os.environ, **env}, check=True, capture_output=True, timeout=300)
    assert sorted(temp.iterdir()) == sorted(others)


# -- the search cache ---------------------------------------------------------------------------------------------


def _file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("in the way\n")


def _folder(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "inside").write_text("in the way\n")


def _dangling(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(path.parent / "nowhere")


SEARCH_BLOCKS = {
    "search-folder-a-file": (".cache/pmkb/search", _file),
    "pmkb-folder-a-file": (".cache/pmkb", _file),
    "search-folder-a-dangling-link": (".cache/pmkb/search", _dangling),
    "manifest-a-folder": (".cache/pmkb/search/manifest.json", _folder),
    "manifest-a-dangling-link": (".cache/pmkb/search/manifest.json", _dangling),
    "lock-a-folder": (".cache/pmkb/search/update.lock", _folder),
    "manifest-garbage": (".cache/pmkb/search/manifest.json", lambda path: path.write_bytes(b"\xff{[")),
}


@pytest.mark.parametrize("where,block", SEARCH_BLOCKS.values(), ids=SEARCH_BLOCKS.keys())
def test_search_rebuild_recovers_from_any_cache_state(kb, where, block):
    kb.add("2024-05-02-cache-stampede")
    assert kb.cli("search", "stampede").returncode == 0  # an index exists, then is damaged
    target = kb.root / where
    if target.is_dir() and not target.is_symlink():
        import shutil

        shutil.rmtree(target)
    elif target.exists() or target.is_symlink():
        target.unlink()
    block(target)
    rebuilt = kb.cli("search", "--rebuild", "stampede")
    assert rebuilt.returncode == 0 and "cache-stampede" in rebuilt.stdout, rebuilt.stderr
    assert "Traceback" not in rebuilt.stderr
    again = kb.cli("search", "stampede")
    assert again.returncode == 0 and "cache-stampede" in again.stdout, again.stderr


def test_search_rebuild_names_a_file_it_will_not_remove(kb):
    """`.cache` is not pmkb's alone: a file there is named, not removed."""
    kb.add("2024-05-02-cache-stampede")
    _file(kb.root / ".cache")
    result = kb.cli("search", "--rebuild", "stampede")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and ".cache" in result.stderr, result.stderr
    assert (kb.root / ".cache").read_text() == "in the way\n"


# -- a full disk --------------------------------------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path):
    """Mount a 16 KiB tmpfs at a folder (root only); yields a function that mounts one at a path."""
    mounted: list[Path] = []

    def mount(at: Path) -> Path:
        at.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(at)], capture_output=True, text=True
        )
        if result.returncode != 0:
            pytest.skip(
                f"cannot mount a small tmpfs here ({result.stderr.strip() or 'not root'}); "
                "test_settle_names_a_full_disk covers the same seam"
            )
        mounted.append(at)
        return at

    yield mount
    for at in mounted:
        subprocess.run(["umount", "-l", str(at)], check=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root; test_settle_names_a_full_disk runs instead")
def test_pagefind_on_a_full_disk_is_one_line_naming_it_at_once(kb, tmp_path, tiny_disk):
    charted(kb)
    site = tmp_path / "site"
    tiny_disk(site / "pagefind")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(site)],
        cwd=kb.root,
        capture_output=True,
        text=True,
        env={**os.environ, "PMKB_CHARTS": "0"},
        timeout=300,
    )
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert f"no space left on the disk holding {site / 'pagefind'}" in result.stderr, result.stderr
    assert "incomplete" not in result.stderr
    assert elapsed < 45, f"the build waited {elapsed:.0f} s for a disk that stays full"


def test_settle_names_a_full_disk(tmp_path, monkeypatch):
    """The seam the tmpfs test goes through, with the disk's free space made zero: no 60 s wait."""
    from pmkb.runtime import pagefind

    output = tmp_path / "pagefind"
    (output / "fragment").mkdir(parents=True)
    (output / "pagefind-entry.json").write_bytes(b"")  # what a write that hit ENOSPC leaves
    monkeypatch.setattr(pagefind, "free_bytes", lambda path: 0)
    started = time.monotonic()
    with pytest.raises(pagefind.PagefindError, match=f"no space left on the disk holding {output}"):
        pagefind.settle(output)
    assert time.monotonic() - started < 5


def test_a_full_disk_writing_pagefind_ids_is_one_line(kb, monkeypatch, caplog):
    from mkdocs.exceptions import Abort

    charted(kb)
    write_text = Path.write_text

    def full(self, *args, **kwargs):
        if self.name == "pagefind-ids.json":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    monkeypatch.setenv("PMKB_CHARTS", "0")
    with pytest.raises(Abort, match="BuildError"):  # MkDocs' own words for a plugin's error, after its line
        kb.build()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and len(errors[0].splitlines()) == 1, errors
    assert "search/pagefind-ids.json" in errors[0] and "no space left on the disk holding" in errors[0], errors


# -- files that are not what their front matter says ---------------------------------------------------------------


def test_a_readme_with_postmortem_front_matter_is_warned_at_its_first_key(kb):
    from mkdocs.exceptions import Abort

    kb.add("2024-05-02-cache-stampede")
    kb.write("2024/README.md", "---\n# notes\ntitle: Year 2024\nseverity: SEV9\ncause: capacity\n---\n\n# 2024\n")
    kb.write("2023/index.md", "---\ntitle: Year 2023\ntags: [quiet]\n---\n\n# 2023\n")  # an ordinary index page
    result = kb.cli("lint")
    lines = [line for line in result.stdout.splitlines() + result.stderr.splitlines() if "README" in line]
    assert len(lines) == 1, result.stdout + result.stderr
    assert lines[0].startswith("postmortems/2024/README.md:3:1: warning:"), lines
    assert "not a postmortem" in lines[0] and "severity, cause" in lines[0] and "not checked" in lines[0]
    assert "2023/index.md" not in result.stdout + result.stderr
    kb.build()  # built as the folder's page, as MkDocs does
    with pytest.raises(Abort):
        kb.build(strict=True)


def test_a_postmortem_named_404_never_replaces_the_not_found_page(kb):
    from mkdocs.exceptions import Abort

    kb.write("404.md", (kb.add("2024-05-02-cache-stampede")).read_text(encoding="utf-8"))
    kb.set_config(use_directory_urls=False)
    result = kb.cli("lint")
    assert result.returncode == 1
    assert "postmortems/404.md:1:1: error:" in result.stdout and "404.html" in result.stdout, result.stdout
    with pytest.raises(Abort):
        kb.build()
    site = kb.root / "site"
    assert not (site / "404.html").exists() or "Cache stampede" not in (site / "404.html").read_text()
    kb.set_config()  # with directory URLs it is /404/, beside the theme's 404.html
    built = kb.build(strict=True)
    assert "Cache stampede" in (built / "404" / "index.html").read_text()
    assert "Cache stampede" not in (built / "404.html").read_text()


# -- a large legitimate file ----------------------------------------------------------------------------------------


def test_a_file_past_the_value_limit_is_told_the_limit_and_how_to_raise_it(kb, monkeypatch):
    items = [{"title": f"Follow-up {n}", "owner": "sre", "status": "done", "type": "prevent"} for n in range(4000)]
    kb.add("2024-05-02-many-items", action_items=items)
    result = kb.cli("lint")
    assert result.returncode == 1
    (line,) = [line for line in result.stdout.splitlines() if "error:" in line]
    assert "more than 20,000 values" in line and "PMKB_FRONT_MATTER_VALUES" in line, line
    assert "bomb" not in line and "attack" not in line
    raised = kb.cli("lint", env={"PMKB_FRONT_MATTER_VALUES": "100000"})
    assert raised.returncode == 0, raised.stdout + raised.stderr
    monkeypatch.setenv("PMKB_FRONT_MATTER_VALUES", "100000")
    site = kb.build(strict=True)
    assert "Follow-up 3999" in (site / "2024" / "2024-05-02-many-items" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", ["lots", "-5", "0", "1e6"])
def test_a_bad_value_limit_is_one_line(kb, setting):
    result = kb.cli("lint", env={"PMKB_FRONT_MATTER_VALUES": setting})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "PMKB_FRONT_MATTER_VALUES" in result.stderr, result.stderr
