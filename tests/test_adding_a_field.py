"""Adding a built-in optional field with a facet takes its declaration in `core/fields.py` and nothing else in the
code (besides docs/reference.md and a test): shown by adding one, `team`, to a copy of the package and building.

The copy is imported ahead of the installed package (PYTHONPATH), for `mkdocs build` and `pmkb` alike.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import KB, REPO, front_matter
from htmlpage import read_page

DECLARATION = """\
        Field(
            "team",
            Kind.CHOICE,
            "The team that ran the incident.",
            choices=("payments", "platform"),
            title="Team",
            facet=True,
        ),
"""
END_OF_POSTMORTEM = "    ),\n)\n\nTIMELINE_ORDER"


def _package_with_team(root: Path) -> Path:
    """A copy of the `pmkb` package whose POSTMORTEM declares `team`; returns the folder to put on PYTHONPATH."""
    plugins = root / "plugins"
    shutil.copytree(REPO / "plugins", plugins, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    fields = plugins / "pmkb" / "core" / "fields.py"
    text = fields.read_text("utf-8")
    assert text.count(END_OF_POSTMORTEM) == 1
    fields.write_text(text.replace(END_OF_POSTMORTEM, DECLARATION + END_OF_POSTMORTEM), "utf-8")
    return plugins


def _run(plugins: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(plugins), "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_a_new_built_in_facet_field_needs_only_its_declaration(tmp_path):
    plugins = _package_with_team(tmp_path)
    kb = KB(tmp_path / "kb")
    kb.docs.mkdir(parents=True)
    kb.write("index.md", "# KB\n")
    kb.set_config()
    for pid, team in (
        ("2024-05-02-payments", "payments"),
        ("2024-05-03-platform", "platform"),
        ("2024-05-04-other", None),
    ):
        day = pid[:10]
        timeline = {name: moment.replace("2024-05-02", day) for name, moment in front_matter()["timeline"].items()}
        kb.add(pid, data=front_matter(title=pid[11:], date=day, timeline=timeline, team=team))

    imported = _run(plugins, kb.root, "-c", "import pmkb, sys; sys.stdout.write(pmkb.__file__)")
    assert imported.stdout.startswith(str(plugins)), imported.stderr
    lint = _run(plugins, kb.root, "-m", "pmkb", "lint", "--strict")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    mistyped = _run(plugins, kb.root, "-m", "pmkb", "search", "team:paymnts")
    assert "unknown team 'paymnts'" in mistyped.stderr and "payments, platform" in mistyped.stderr
    search = _run(plugins, kb.root, "-m", "pmkb", "search", "team:payments", "--json")
    assert [hit["id"] for hit in json.loads(search.stdout)] == ["2024-05-02-payments"], search.stderr
    build = _run(plugins, kb.root, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site"))
    assert build.returncode == 0, build.stderr
    site = tmp_path / "site"

    card = read_page(site, "2024/2024-05-02-payments/").tree.find("dl", "pmkb-card__facts")
    assert card is not None
    facts = {div.find("dt").all_text(): div for div in card.find_all("div", "pmkb-fact")}  # type: ignore[union-attr]
    team = facts["Team"].find("a")
    assert team is not None and team.all_text() == "payments" and team.attrs["href"].endswith("search/?team=payments")
    records = {r["id"]: r for r in json.loads((site / "postmortems.json").read_text("utf-8"))}
    assert {pid: r["team"] for pid, r in records.items()} == {
        "2024-05-02-payments": "payments",
        "2024-05-03-platform": "platform",
        "2024-05-04-other": None,
    }
    index = json.loads((site / "search" / "incidents.json").read_text("utf-8"))
    assert "team" in [f["name"] for f in index["filters"]]
    assert index["facets"]["team"] == [["payments", "payments"], ["platform", "platform"]]
    guide = read_page(site, "guide/")
    assert any(row and row[0] == "team" for row in guide.rows())
    schema = _run(plugins, kb.root, "-m", "pmkb", "schema")
    assert json.loads(schema.stdout)["properties"]["team"]["enum"] == ["payments", "platform", None]
