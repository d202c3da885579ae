"""Which Pagefind binary indexes a site: PAGEFIND_BINARY_PATH, the project's npm package, the PATH, the wheel; and
the build log says which version it was."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pmkb.runtime import pagefind
from pmkb.runtime.pagefind import PagefindError, find_pagefind

NPM_PAGEFIND = Path(__file__).resolve().parents[1] / ".cache" / "test-tools" / "pagefind"  # scripts/test


def _fake(path: Path, version: str) -> Path:
    """A stand-in binary that answers `--version` as Pagefind `version` would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho 'pagefind {version}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _npm_binary(project: Path, version: str, name: str = "pagefind_extended") -> Path:
    return _fake(project / "node_modules" / "@pagefind" / pagefind._npm_platform() / "bin" / name, version)


@pytest.fixture(autouse=True)
def no_outside_choice(monkeypatch, tmp_path: Path):
    """Neither the caller's PAGEFIND_BINARY_PATH nor a Pagefind on the caller's PATH decides these tests."""
    monkeypatch.delenv("PAGEFIND_BINARY_PATH", raising=False)
    (tmp_path / "path").mkdir()
    monkeypatch.setenv("PATH", f"{tmp_path / 'path'}{os.pathsep}/usr/bin{os.pathsep}/bin")


pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the stand-in binaries are shell scripts")


def test_without_anything_else_the_wheel_indexes(tmp_path: Path):
    found = find_pagefind(tmp_path)
    assert found.origin == "the pagefind[bin] wheel"
    assert found.version == "1.5.2"  # constraints.txt pins the wheel


def test_the_projects_npm_package_comes_before_the_path_and_the_wheel(tmp_path: Path):
    project = tmp_path / "repo"
    native = _npm_binary(project, "1.6.0")
    _fake(tmp_path / "path" / "pagefind", "1.7.0")
    found = find_pagefind(project / "docs")  # mkdocs.yml in a sub-folder: node_modules is looked for upwards
    assert (found.path, found.version, found.origin) == (native.resolve(), "1.6.0", "the project's npm package")
    assert "Pagefind 1.6.0 (the project's npm package: " in found.describe()


def test_npms_wrapper_script_is_used_when_the_native_binary_is_not_where_expected(tmp_path: Path):
    wrapper = _fake(tmp_path / "node_modules" / ".bin" / "pagefind", "1.6.0")
    found = find_pagefind(tmp_path)
    assert (found.path, found.origin) == (wrapper, "the project's npm package")


def test_a_pagefind_on_the_path_comes_before_the_wheel(tmp_path: Path):
    on_path = _fake(tmp_path / "path" / "pagefind", "1.6.0")
    found = find_pagefind(tmp_path)
    assert (found.path, found.version, found.origin) == (on_path, "1.6.0", "the PATH")


def test_an_old_or_broken_binary_is_passed_over_with_a_note(tmp_path: Path):
    _npm_binary(tmp_path, "0.12.0")
    broken = tmp_path / "path" / "pagefind_extended"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    found = find_pagefind(tmp_path)
    assert found.origin == "the pagefind[bin] wheel"
    assert [note.split(" (")[1] for note in found.skipped] == [
        "the project's npm package) is Pagefind 0.12.0, older than 1.5.0",
        "the PATH) did not run",
    ]


def test_pagefind_binary_path_wins_and_must_be_a_working_pagefind(tmp_path: Path, monkeypatch):
    _npm_binary(tmp_path, "1.6.0")
    chosen = _fake(tmp_path / "mine" / "pagefind", "1.6.1")
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(chosen))
    assert (find_pagefind(tmp_path).path, find_pagefind(tmp_path).origin) == (chosen, "PAGEFIND_BINARY_PATH")

    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "missing"))
    with pytest.raises(PagefindError, match=r"^PAGEFIND_BINARY_PATH=\S+/missing is not a Pagefind binary that runs$"):
        find_pagefind(tmp_path)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(_fake(tmp_path / "old" / "pagefind", "1.4.0")))
    with pytest.raises(PagefindError, match=r"is Pagefind 1\.4\.0; pmkb needs 1\.5\.0\+$"):
        find_pagefind(tmp_path)


def _mkdocs_build(kb, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(kb.config), "-d", str(kb.root / "site")],
        cwd=kb.root,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def _log_lines(build: subprocess.CompletedProcess) -> list[str]:
    return [line for line in build.stderr.splitlines() if "browser search:" in line]


def test_the_build_log_says_which_pagefind_indexed_the_site(kb):
    kb.add("2024-05-02-cache")
    kb.set_config()
    build = _mkdocs_build(kb)
    assert build.returncode == 0, build.stderr
    indexing, indexed = _log_lines(build)
    assert "indexing with Pagefind 1.5.2 (the pagefind[bin] wheel: " in indexing
    assert "browser search: Pagefind 1.5.2 indexed 1 pages" in indexed


def test_a_project_with_pagefind_from_npm_is_indexed_by_it(kb):
    native = NPM_PAGEFIND / "node_modules" / "@pagefind" / pagefind._npm_platform() / "bin" / "pagefind_extended"
    if not native.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"no Pagefind from the npm registry in {NPM_PAGEFIND} (scripts/test installs it)")
        pytest.skip(f"no Pagefind from the npm registry in {NPM_PAGEFIND} (scripts/test installs it)")
    kb.add("2024-05-02-cache")
    kb.set_config()
    # What `npm install pagefind` leaves in a team's repository, next to mkdocs.yml.
    linked = kb.root / "node_modules" / "@pagefind" / pagefind._npm_platform() / "bin" / "pagefind_extended"
    linked.parent.mkdir(parents=True)
    linked.symlink_to(native)
    build = _mkdocs_build(kb)
    assert build.returncode == 0, build.stderr
    indexing, indexed = _log_lines(build)
    assert "indexing with Pagefind 1.6.0 (the project's npm package: " in indexing
    assert "browser search: Pagefind 1.6.0 indexed 1 pages" in indexed
    assert (kb.root / "site" / "pagefind" / "pagefind-entry.json").is_file()


def test_a_bad_pagefind_binary_path_fails_the_build_in_one_line(kb):
    kb.add("2024-05-02-cache")
    kb.set_config()
    build = _mkdocs_build(kb, {"PAGEFIND_BINARY_PATH": str(kb.root / "nowhere")})
    assert build.returncode != 0
    assert "Traceback" not in build.stderr
    [error] = [line for line in build.stderr.splitlines() if "ERROR" in line]
    assert error.endswith(
        f"pmkb: the browser search index cannot be built: PAGEFIND_BINARY_PATH={kb.root / 'nowhere'} "
        "is not a Pagefind binary that runs"
    )
