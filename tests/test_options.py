"""Options are declared once (pmkb.core.options) and read the same way by the plugin and the command line; every
speed trick can be switched off by name (pmkb.runtime.speedups)."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, front_matter, render_postmortem
from pmkb.core.options import Options, option_docs
from pmkb.mkdocs_plugin.plugin import PostmortemPluginConfig
from pmkb.runtime.speedups import Speedups, SpeedupsError, speedups
from test_reproducible import is_compared


def test_the_plugins_config_has_exactly_the_declared_options_and_defaults():
    config = PostmortemPluginConfig()
    config.load_dict({})
    errors, _warnings = config.validate()
    assert not errors
    declared = {option.name: option.default for option in dataclasses.fields(Options)}
    assert set(config.keys()) == set(declared) == set(option_docs())
    for name, default in declared.items():
        assert config[name] == (list(default) if isinstance(default, tuple) else default), name


@pytest.mark.parametrize(
    "options, message",
    [
        ({"pages": [42]}, "option 'pages' must be a list of folder names"),
        ({"pages": "runbooks"}, "option 'pages' must be a list of folder names"),
        ({"drafts": "false"}, "option 'drafts' must be true or false, not 'false'"),
        ({"enabled": 1}, "option 'enabled' must be true or false"),
        ({"similar": "5"}, "option 'similar' must be a whole number"),
        ({"similar": True}, "option 'similar' must be a whole number"),
        ({"search_index_pages": "5000"}, "option 'search_index_pages' must be a whole number"),
        ({"pages": ["runbooks", None]}, "option 'pages' must be a list of folder names"),
        ({"taxonomy": 3}, "option 'taxonomy' must be a file name or a mapping"),
    ],
)
def test_an_option_of_the_wrong_type_is_one_line_for_the_cli_and_an_error_for_the_build(kb, options, message):
    kb.add("2024-05-02-cache")
    kb.set_config(options)
    result = kb.cli("lint")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"pmkb lint: error: mkdocs.yml: {message}")
    build = subprocess.run(
        [str(Path(sys.executable).with_name("mkdocs")), "build", "-q"], cwd=kb.root, capture_output=True, text=True
    )
    assert build.returncode != 0  # MkDocs refuses the same option: both sides agree the config is wrong


def test_enabled_false_leaves_the_site_to_mkdocs_alone(kb):
    kb.add("2024-05-02-cache")
    kb.set_config({"enabled": False})
    site = kb.build()
    assert (site / "2024/2024-05-02-cache/index.html").is_file()  # an ordinary Markdown page
    assert not (site / "incidents").exists() and not (site / "postmortems.json").exists()
    kb.set_config({"enabled": True})
    site = kb.build(site_dir=kb.root / "site-on")
    assert (site / "incidents/index.html").is_file() and (site / "postmortems.json").is_file()


def test_speedups_are_on_by_default_and_switch_off_by_name(monkeypatch):
    monkeypatch.delenv("PMKB_SPEEDUPS", raising=False)
    monkeypatch.delenv("PMKB_WORKERS", raising=False)
    assert speedups() == Speedups()
    monkeypatch.setenv("PMKB_SPEEDUPS", "-chrome, -fast-yaml")
    assert speedups() == Speedups(chrome=False, fast_yaml=False)
    monkeypatch.setenv("PMKB_SPEEDUPS", "none")
    assert not any(dataclasses.astuple(speedups()))
    monkeypatch.setenv("PMKB_SPEEDUPS", "none,rows")
    assert speedups() == Speedups(fork=False, freeze=False, fast_yaml=False, chrome=False, rows=True)
    monkeypatch.setenv("PMKB_SPEEDUPS", "")
    monkeypatch.setenv("PMKB_WORKERS", "1")
    assert speedups() == Speedups(fork=False)
    monkeypatch.setenv("PMKB_SPEEDUPS", "-turbo")
    with pytest.raises(SpeedupsError, match="no speed trick named 'turbo'"):
        speedups()


def compared(site, path) -> bool:
    return path.is_file() and path.suffix != ".gz" and is_compared(path.relative_to(site).as_posix())


def test_a_site_built_with_every_speedup_off_is_the_same_site(kb, monkeypatch):
    for index, day in enumerate(("2024-05-02", "2023-01-01", "2022-07-09")):
        data = front_matter(
            date=day,
            timeline={"started": f"{day}T09:00:00Z", "detected": f"{day}T09:10:00Z", "resolved": f"{day}T11:00:00Z"},
        )
        kb.write(f"{day[:4]}/{day}-incident-{index}.md", render_postmortem(data))
    fast = kb.build(site_dir=kb.root / "fast")
    monkeypatch.setenv("PMKB_SPEEDUPS", "none")
    slow = kb.build(site_dir=kb.root / "slow")
    # Pagefind's filter files aside: their bytes differ between any two builds (tests/test_reproducible.py).
    fast_files = {p.relative_to(fast): p.read_bytes() for p in fast.rglob("*") if compared(fast, p)}
    slow_files = {p.relative_to(slow): p.read_bytes() for p in slow.rglob("*") if compared(slow, p)}
    assert fast_files.keys() == slow_files.keys()
    different = [str(path) for path in fast_files if fast_files[path] != slow_files[path]]
    assert different == []


def test_an_unknown_speedup_is_one_line_for_the_cli(kb):
    kb.add("2024-05-02-cache")
    result = kb.cli("lint", env={"PMKB_SPEEDUPS": "-turbo"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "pmkb lint: error: PMKB_SPEEDUPS: no speed trick named 'turbo' (known: fork, freeze, fast-yaml, chrome, rows)"
    ]


@pytest.mark.skipif(
    shutil.which("properdocs", path=str(Path(sys.executable).parent)) is None, reason="needs properdocs"
)
def test_properdocs_builds_the_knowledge_base_as_mkdocs_does(tmp_path):
    # ProperDocs, the maintained MkDocs 1.x fork, finds the plugin through its own entry-point group.
    sites = {}
    for tool in ("mkdocs", "properdocs"):
        project = tmp_path / tool
        project.mkdir()
        shutil.copy2(REPO / "mkdocs.yml", project / "mkdocs.yml")
        shutil.copytree(REPO / "postmortems", project / "postmortems")
        result = subprocess.run(
            [str(Path(sys.executable).with_name(tool)), "build", "--strict", "-q"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        sites[tool] = project / "site"
    names = {tool: sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")) for tool, site in sites.items()}
    assert names["mkdocs"] == names["properdocs"] and "incidents/index.html" in names["properdocs"]
    page = "2019/2019-03-25-boskos-crash-loop-blocks-gce-e2e-jobs/index.html"
    assert 'class="pmkb-card' in (sites["properdocs"] / page).read_text()
    assert (sites["properdocs"] / "postmortems.json").read_bytes() == (
        sites["mkdocs"] / "postmortems.json"
    ).read_bytes()
