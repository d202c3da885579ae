"""The one-line errors a new team meets first: another theme than Material, Material's search beside pmkb."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def mkdocs(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )


def minimal_kb(root: Path, config: str) -> Path:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Home\n", "utf-8")
    (root / "mkdocs.yml").write_text(config, "utf-8")
    return root


def test_another_theme_is_one_line_naming_material(tmp_path):
    for theme in ("readthedocs", "mkdocs"):
        root = minimal_kb(tmp_path / theme, f"site_name: X\ntheme: {theme}\nplugins: [pmkb]\n")
        result = mkdocs("build", cwd=root)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr and "TemplateNotFound" not in result.stderr
        (line,) = [line for line in result.stderr.splitlines() if "pmkb" in line]
        assert "pmkb needs the Material theme: set `theme: material`" in line
        assert f"theme '{theme}'" in line


def test_material_search_beside_pmkb_is_a_warning_that_fails_strict(tmp_path):
    root = minimal_kb(tmp_path / "kb", "site_name: X\ntheme: material\nplugins: [search, pmkb]\n")
    result = mkdocs("build", "--strict", cwd=root)
    assert result.returncode == 1
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("WARNING")]
    assert "Material's search plugin ('search') is configured beside pmkb" in line
    assert "Remove `search` from plugins in mkdocs.yml" in line
