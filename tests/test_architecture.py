"""The layers stay as ARCHITECTURE.md draws them: an import contract (import-linter, in pyproject.toml) fails the
suite when the core or the site layer imports MkDocs, whoosh or argparse, when a lower layer imports a higher
one, or when modules of a sub-package import each other in a cycle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_core_and_site_layers_load_without_any_site_generator():
    # Not only declared: importing every core and site module pulls in none of them.
    code = (
        "import importlib, pkgutil, sys, pmkb.core, pmkb.site\n"
        "for package in (pmkb.core, pmkb.site):\n"
        "    for module in pkgutil.iter_modules(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(module.name)\n"
        "print(sorted(name for name in ('mkdocs', 'material', 'whoosh', 'argparse', 'jinja2') if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_every_kind_of_view_has_its_one_template_in_the_package():
    """The page registry names a template per kind of view; the plugin ships each, and nothing else chooses one."""
    from pmkb.mkdocs_plugin.plugin import TEMPLATES as TEMPLATE_DIR
    from pmkb.site.pages import TEMPLATES

    shipped = {path.relative_to(TEMPLATE_DIR).as_posix() for path in TEMPLATE_DIR.glob("pmkb/*.html")}
    frames = {"pmkb/base.html", "pmkb/generated.html", "pmkb/macros.html"}
    assert set(TEMPLATES.values()) == shipped - frames
    assert len(set(TEMPLATES.values())) == len(TEMPLATES)
    plugin_source = (TEMPLATE_DIR.parent / "plugin.py").read_text("utf-8")
    assert ".html" not in plugin_source  # the adapter looks templates up, never names one


def test_architecture_md_maps_every_module_and_script():
    """ARCHITECTURE.md names every module of every layer (as `name`) and every browser script, so that a reader
    finds where each thing lives; a new module without its line fails here."""
    text = (REPO / "ARCHITECTURE.md").read_text("utf-8")
    package = REPO / "plugins" / "pmkb"
    missing = [
        path.relative_to(package).as_posix()
        for path in sorted(package.glob("*/**/*.py"))
        if path.stem != "__init__" and f"`{path.stem}`" not in text
    ]
    missing += [
        path.name for path in sorted(package.glob("mkdocs_plugin/templates/assets/**/*.js")) if path.name not in text
    ]
    assert missing == [], f"ARCHITECTURE.md does not map {', '.join(missing)}"
    for feature in ("A field", "A facet", "A page", "A chart", "A command"):
        assert f"**{feature}" in text, f"ARCHITECTURE.md has no 'where a new X goes' entry for {feature.lower()}"
