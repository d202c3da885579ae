"""A knowledge base's own fields (the plugin option `fields`): declared once in mkdocs.yml, then checked, shown on
the header card, exported, searchable, written by `pmkb new`, described by `pmkb schema` and the guide.

The example is the repository's own knowledge base with `region` and `jira` declared, and three of its
postmortems carrying them, built and linted for real.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import KB, REPO, TODAY, front_matter
from htmlpage import read_page

FIELDS_OPTION = """\
      fields:
        region: {title: Region, type: choice, values: [eu-west-1, us-east-1, ap-south-1], facet: true}
        jira: {title: Ticket, type: text, pattern: '^[A-Z]+-[0-9]+$', link: 'https://jira.example.org/browse/{value}'}
"""
VALUES = (("eu-west-1", "OPS-123"), ("eu-west-1", "OPS-7"), ("us-east-1", "INC-42"))


def _with_fields(root: Path) -> tuple[KB, list[Path]]:
    """The repository's knowledge base in `root`, with the example's fields declared and three postmortems
    carrying them (the oldest three); returns it and those three files."""
    shutil.copytree(REPO / "postmortems", root / "postmortems")
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    marker = "      drafts: false\n"
    assert marker in config
    (root / "mkdocs.yml").write_text(config.replace(marker, marker + FIELDS_OPTION), encoding="utf-8")
    files = sorted((root / "postmortems").glob("20*/*.md"))[:3]
    for path, (region, jira) in zip(files, VALUES, strict=True):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("---\n", f"---\nregion: {region}\njira: {jira}\n", 1), encoding="utf-8")
    return KB(root), files


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple[KB, list[Path], Path]:
    kb, files = _with_fields(tmp_path_factory.mktemp("fields") / "kb")
    return kb, files, kb.build(strict=True)


def _findings(output: str) -> list[tuple[str, int, str, str]]:
    """(path, line, level, message) of each `path:line:col: level: message [field]` line."""
    found = []
    for line in output.splitlines():
        match = re.match(r"(.+?):(\d+):\d+: (error|warning): (.*)", line)
        if match:
            found.append((match.group(1), int(match.group(2)), match.group(3), match.group(4)))
    return found


def test_the_example_lints_clean_and_builds_strict(example):
    kb, _, site = example
    result = kb.cli("lint", "--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [f for f in _findings(result.stdout + result.stderr) if "overdue" not in f[3]]
    assert (site / "index.html").is_file()


def test_the_header_card_shows_region_and_a_ticket_link(example):
    _, files, site = example
    page = read_page(site, f"{files[0].parent.name}/{files[0].stem}/")
    card = page.tree.find("dl", "pmkb-card__facts")
    assert card is not None
    facts = {
        div.find("dt").all_text(): div.find("dd")  # type: ignore[union-attr]
        for div in card.find_all("div", "pmkb-fact")
    }
    assert facts["Region"].all_text() == "eu-west-1"
    region_link = facts["Region"].find("a")
    assert region_link is not None and region_link.attrs["href"].endswith("search/?region=eu-west-1")
    ticket = facts["Ticket"].find("a")
    assert ticket is not None and ticket.attrs["href"] == "https://jira.example.org/browse/OPS-123"
    assert ticket.all_text() == "OPS-123"
    # the built-in facts keep their order; the knowledge base's own come after them, before the durations
    labels = list(facts)
    assert labels.index("Authors") < labels.index("Region") < labels.index("Ticket") < labels.index("Time to resolve")


def test_exports_guide_and_explorer_index_carry_both(example):
    _, files, site = example
    records = {record["id"]: record for record in json.loads((site / "postmortems.json").read_text("utf-8"))}
    assert {(records[p.stem]["region"], records[p.stem]["jira"]) for p in files} == set(VALUES)
    others = [record for pid, record in records.items() if pid not in {p.stem for p in files}]
    assert others and all(r["region"] is None and r["jira"] is None for r in others)
    guide = read_page(site, "guide/")
    rows = {row[0]: row for row in guide.rows() if row}
    assert "region" in rows and "jira" in rows
    assert "eu-west-1" in " ".join(rows["region"]) and "^[A-Z]+-[0-9]+$" in " ".join(rows["jira"])
    index = json.loads((site / "search" / "incidents.json").read_text("utf-8"))
    assert {"name": "region", "title": "Region"}.items() <= next(
        f for f in index["filters"] if f["name"] == "region"
    ).items()
    assert [slug for slug, _ in index["facets"]["region"]] == ["eu-west-1", "us-east-1", "ap-south-1"]


def test_pmkb_search_finds_by_a_custom_field(example):
    kb, files, _ = example
    result = kb.cli("search", "region:us-east-1", "--json")
    assert result.returncode == 0, result.stderr
    assert [hit["id"] for hit in json.loads(result.stdout)] == [files[2].stem]
    both = kb.cli("search", "region:eu-west-1", "--json")
    assert {hit["id"] for hit in json.loads(both.stdout)} == {files[0].stem, files[1].stem}
    assert [hit["id"] for hit in json.loads(kb.cli("search", "jira:inc-42", "--json").stdout)] == [files[2].stem]
    counted = kb.cli("search", "*", "--facets", "--json", "--limit", "0")
    assert json.loads(counted.stdout)["facets"]["region"] == {"eu-west-1": 2, "us-east-1": 1}
    typo = kb.cli("search", "region:eu-wset-1")
    assert typo.returncode != 0
    assert "unknown region 'eu-wset-1'" in typo.stderr and "eu-west-1, us-east-1, ap-south-1" in typo.stderr


def test_pmkb_new_and_schema_carry_both(example, tmp_path):
    kb, _, _ = example
    schema = json.loads(kb.cli("schema").stdout)
    assert schema["properties"]["region"]["enum"] == ["eu-west-1", "us-east-1", "ap-south-1", None]
    assert schema["properties"]["jira"]["pattern"] == "^[A-Z]+-[0-9]+$"
    copy = KB(tmp_path / "kb")
    shutil.copytree(kb.root, copy.root, ignore=shutil.ignore_patterns("site", ".cache"))
    result = copy.cli("new", "A new incident", "--date", TODAY)
    assert result.returncode == 0, result.stderr
    text = (copy.root / result.stdout.strip()).read_text("utf-8")
    assert re.search(r"# Region.*One of: eu-west-1, us-east-1, ap-south-1\.\n# region:\n", text)
    assert re.search(r"# Ticket.*\n?.*matching\s*(#\s*)?\^\[A-Z\]\+-\[0-9\]\+\$\.\n# jira:\n", text)
    assert copy.cli("lint", "--strict").returncode == 0


@pytest.mark.parametrize(
    "line, wrong, expected",
    [
        ("region: eu-west-1", "region: eu-wset-1", "region 'eu-wset-1' is not one of eu-west-1, us-east-1, ap-south-1; "
         "did you mean 'eu-west-1'?"),
        ("jira: OPS-123", "jira: ops 123", "jira 'ops 123' does not match ^[A-Z]+-[0-9]+$"),
        ("region: eu-west-1", "region: [eu-west-1]", "region must be one of eu-west-1, us-east-1, ap-south-1, "
         "got a list"),
    ],
)  # fmt: skip
def test_a_wrong_value_is_an_error_at_its_line(tmp_path, line, wrong, expected):
    kb, files = _with_fields(tmp_path / "kb")
    text = files[0].read_text("utf-8")
    files[0].write_text(text.replace(line, wrong, 1), encoding="utf-8")
    line_number = text.splitlines().index(line) + 1
    result = kb.cli("lint")
    assert result.returncode == 1
    errors = [f for f in _findings(result.stdout) if f[2] == "error"]
    assert errors == [
        (f"postmortems/{files[0].parent.name}/{files[0].name}", line_number, "error", expected + _field(wrong))
    ]


def _field(line: str) -> str:
    return f" [{line.split(':')[0]}]"


@pytest.mark.parametrize(
    "declaration, key, message",
    [
        ("{type: choise, values: [a]}", "type", "type 'choise' is not one of text, choice, list, number, bool, date; "
         "did you mean 'choice'?"),
        ("{type: text, vals: [a]}", "vals", "unknown key 'vals'; did you mean 'values'?"),
        ("{type: choice}", None, "is a choice: give its values"),
        ("{type: text, pattern: '[a-'}", "pattern", "pattern '[a-' is not a regular expression"),
        ("{type: text, pattern: 'a{4294967296}'}", "pattern", "is not a regular expression: the repetition"),
        ("{type: text, link: 'https://x.example/'}", "link", "link must be a URL holding {value}"),
        ("{type: text, link: 'javascript:alert({value})'}", "link", "is not an http(s) URL"),
        ("{type: text, link: 'https://{value}.example/'}", "link", "the value may not be part of the link's host"),
        ("{type: number, facet: true}", "facet", "a number field cannot be a facet"),
        ("{type: text, required: always}", "required", "required 'always' is not one of never, to publish"),
        ("{type: bool, values: [a]}", "values", "only choice and list fields have values"),
    ],
)  # fmt: skip
def test_a_declaration_mistake_is_an_error_at_its_line_in_mkdocs_yml(kb, declaration, key, message):
    kb.config.write_text(
        f"site_name: Test KB\ndocs_dir: postmortems\nplugins:\n  - pmkb:\n      fields:\n        team: {declaration}\n",
        encoding="utf-8",
    )
    result = kb.cli("lint")
    assert result.returncode == 1
    errors = [f for f in _findings(result.stdout) if f[2] == "error"]
    assert len(errors) == 1, result.stdout
    path, line, _, text = errors[0]
    assert (path, line) == ("mkdocs.yml", 6)
    assert "field 'team'" in text and message in text
    assert text.endswith(f"[fields.team.{key}]" if key else "[fields.team]")


@pytest.mark.parametrize(
    "name", ["severity", "services", "owner", "year", "url", "constructor", "Region", "2fa", "a-b"]
)
def test_names_that_clash_or_cannot_be_a_search_field_are_refused(kb, name):
    kb.set_config({"fields": {name: {"type": "text"}}})
    result = kb.cli("lint")
    assert result.returncode == 1
    [(path, _, level, message)] = _findings(result.stdout)
    assert (path, level) == ("mkdocs.yml", "error") and f"'{name}'" in message


def test_a_broken_declaration_fails_the_strict_build(kb):
    from mkdocs.exceptions import Abort, PluginError

    kb.set_config({"fields": {"region": {"type": "choise"}}})
    with pytest.raises((Abort, PluginError, SystemExit)):
        kb.build(strict=True)


@pytest.mark.parametrize(
    "spec, good, bad, expected",
    [
        ({"type": "number"}, 12.5, "twelve", "cost must be a number, got a string"),
        ({"type": "number"}, 3, True, "cost must be a number, got true"),
        ({"type": "bool"}, False, "no", "cost must be true or false, got a string"),
        ({"type": "date"}, "2024-05-02", "soon", "cost must be a date (YYYY-MM-DD), got a string"),
        ({"type": "list", "values": ["a", "b"]}, ["a", "b"], ["a", "c"], "cost.1 'c' is not one of a, b"),
        ({"type": "list"}, ["gold", "eu"], "gold", "cost must be a list of cost values, got a string; write [gold]"),
        ({"type": "text", "required": "to publish"}, "x", None,
         "required key 'cost' is missing (when the status is published)"),
    ],
)  # fmt: skip
def test_each_type_is_checked(kb, spec, good, bad, expected):
    kb.set_config({"fields": {"cost": {"title": "Cost", **spec}}})
    kb.add("2024-05-02-good", cost=good)
    result = kb.cli("lint", "--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    data = front_matter()
    if bad is not None:
        data["cost"] = bad
    kb.add("2024-05-02-bad", data=data)
    result = kb.cli("lint")
    errors = [f[3] for f in _findings(result.stdout) if f[2] == "error"]
    assert len(errors) == 1 and errors[0].startswith(expected), result.stdout


def test_values_are_escaped_in_html_and_json_and_quoted_in_links(kb):
    hostile = '<img src=x onerror=alert(1)> & "quotes" /../?a=b#c'
    kb.set_config({"fields": {"ref": {"title": "Ref", "type": "text", "link": "https://t.example/browse/{value}?x=1"}}})
    kb.add("2024-05-02-hostile", ref=hostile)
    site = kb.build(strict=True)
    html = (site / "2024" / "2024-05-02-hostile" / "index.html").read_text("utf-8")
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quotes&#34; /../?a=b#c" in html
    quoted = "%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%20%26%20%22quotes%22%20%2F..%2F%3Fa%3Db%23c"
    assert f'href="https://t.example/browse/{quoted}?x=1"' in html
    [record] = json.loads((site / "postmortems.json").read_text("utf-8"))
    assert record["ref"] == hostile


def test_a_knowledge_base_without_fields_exports_no_new_keys(kb):
    kb.add("2024-05-02-plain")
    site = kb.build(strict=True)
    [record] = json.loads((site / "postmortems.json").read_text("utf-8"))
    assert list(record)[-1] == "runbooks"
    index = json.loads((site / "search" / "incidents.json").read_text("utf-8"))
    assert [f["name"] for f in index["filters"]][-1] == "detection"


def test_the_option_is_read_where_mkdocs_reads_it(kb):
    """A YAML tag MkDocs runs (`!ENV`) elsewhere in the file does not stop the positions from being found."""
    kb.config.write_text(
        "site_name: !ENV [SITE_NAME, 'Test KB']\ndocs_dir: postmortems\nplugins:\n  - pmkb:\n"
        "      fields:\n        tier:\n          type: choice\n          values: [gold]\n          facet: maybe\n",
        encoding="utf-8",
    )
    result = kb.cli("lint")
    [(path, line, level, message)] = _findings(result.stdout)
    assert (path, line, level) == ("mkdocs.yml", 9, "error") and "facet must be true or false" in message


def test_a_declared_field_no_postmortem_gives_changes_only_the_guide_and_the_export(tmp_path):
    """The machinery for declared fields adds nothing to a page that has none: with a field declared that no
    postmortem gives, every HTML file but the guide (which lists the field) is byte for byte what it was."""
    sites = []
    for name, options in (("plain", {}), ("declared", {"fields": {"tier": {"title": "Tier", "type": "text"}}})):
        kb = KB(tmp_path / name)
        kb.docs.mkdir(parents=True)
        kb.write("index.md", "# KB\n")
        kb.set_config(options)
        kb.add("2024-05-02-one")
        sites.append(kb.build(strict=True))
    plain, declared = (
        {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*.html"))} for site in sites
    )
    assert plain.keys() == declared.keys()
    assert [name for name in plain if plain[name] != declared[name]] == ["guide/index.html"]
    [record] = json.loads((sites[1] / "postmortems.json").read_text("utf-8"))
    assert list(record)[-2:] == ["runbooks", "tier"] and record["tier"] is None
