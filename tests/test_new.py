"""`pmkb new`: a draft from the template that lints clean, never overwrites, and prints its path; and the
"How to write a postmortem" guide that shows the same template."""

from __future__ import annotations

import itertools
import json
import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from conftest import TODAY
from htmlpage import parse
from pmkb.cli import main as cli
from pmkb.cli.project import find_project
from pmkb.core.fields import POSTMORTEM, Field, Kind, Required
from pmkb.core.taxonomy import default_taxonomy
from pmkb.core.template import (
    PLACEHOLDER_SERVICE,
    NewPostmortem,
    example_postmortem,
    render_postmortem,
    slugify,
    yaml_scalar,
)
from pmkb.site.guide import GUIDE_SRC, GUIDE_TEMPLATE, GUIDE_TITLE, build_guide

BODY_HEADINGS = [
    "## Summary",
    "## Impact",
    "## Timeline",
    "## Root cause",
    "## Resolution",
    "## Lessons learned",
    "### What went well",
    "### What went wrong",
    "### Where we got lucky",
    "## Action items",
]

# Titles that break naive YAML writing: indicators, quotes, YAML 1.1 booleans and numbers, non-ASCII, tabs.
NASTY_TITLES = [
    "Checkout: 40% errors #1",
    "\"Quoted\" and 'single' quotes",
    "- [list] {map} & *alias !tag | pipe > fold @at `tick`",
    "yes",
    "2024",
    "null",
    "Ünïcödé façade outage",
    "日本語のタイトル",
    "  spaced\tout  \n over lines ",
    "---",
    "% percent ... ellipsis",
    "back\\slash and a trailing colon:",
]
OPTIONS = {
    "--severity": ["--severity", "SEV1"],
    "--cause": ["--cause", "deployment"],
    "--service": ["--service", "api", "--service", "db,queue"],
    "--author": ["--author", "Grace Hopper", "--author", "Ada: Lovelace"],
    "--date": ["--date", "2019-03-25"],
}


def new_in_process(kb, monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.chdir(kb.root)
    code = cli.main(["new", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def front_matter_of(path: Path) -> dict:
    text = path.read_text("utf-8")
    return yaml.safe_load(text.split("---\n", 2)[1])


def lint_json(kb, *args: str) -> list[dict]:
    result = kb.cli("lint", "--format", "json", "--strict", *args)
    return json.loads(result.stdout)


# -- the command ---------------------------------------------------------------------------------------------------


def test_writes_a_draft_under_year_folder_and_prints_its_path(kb):
    result = kb.cli("new", "Database failover leaves checkout read-only")
    assert result.returncode == 0, result.stderr
    expected = f"postmortems/{TODAY[:4]}/{TODAY}-database-failover-leaves-checkout-read-only.md"
    assert result.stdout == expected + "\n"
    path = kb.root / expected
    data = front_matter_of(path)
    assert data["status"] == "draft"
    assert data["title"] == "Database failover leaves checkout read-only"
    assert data["date"] == date.fromisoformat(TODAY)  # PMKB_TODAY
    lint = kb.cli("lint", "--strict")
    assert lint.returncode == 0
    assert "0 errors, 0 warnings" in lint.stderr


def test_defaults_are_documented_placeholders(kb, tmp_path):
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Test Author\n")
    env = {"GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1"}
    result = kb.cli("new", "Defaults", env=env)
    assert result.returncode == 0, result.stderr
    data = front_matter_of(kb.root / result.stdout.strip())
    taxonomy = default_taxonomy()
    assert data["severity"] == taxonomy.slugs("severities")[-1] == "SEV4"
    assert data["cause"] == "unknown"
    assert data["services"] == [PLACEHOLDER_SERVICE]
    assert data["authors"] == ["Test Author"]
    assert data["impact"]["summary"].startswith("TODO")
    help_text = kb.cli("new", "--help").stdout
    for documented in ("SEV4", "unknown", PLACEHOLDER_SERVICE, "git config user.name", "$USER", "PMKB_TODAY"):
        assert documented in help_text


def test_author_falls_back_to_user_then_unknown(kb, tmp_path):
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    env = {"GIT_CONFIG_GLOBAL": str(empty), "GIT_CONFIG_NOSYSTEM": "1", "USER": "jdoe"}
    first = kb.cli("new", "From USER", env=env)
    assert front_matter_of(kb.root / first.stdout.strip())["authors"] == ["jdoe"]
    env["USER"] = ""
    second = kb.cli("new", "Nobody", env=env)
    assert front_matter_of(kb.root / second.stdout.strip())["authors"] == ["unknown"]


@pytest.mark.parametrize(
    "combination",
    [combo for size in range(len(OPTIONS) + 1) for combo in itertools.combinations(OPTIONS, size)],
    ids=lambda combo: "+".join(name.strip("-") for name in combo) or "no-options",
)
def test_every_option_combination_lints_clean(kb, monkeypatch, capsys, combination):
    """Each subset of the options, with a title that is hard to write as YAML: no error, no warning (strict)."""
    index = sum(1 << list(OPTIONS).index(name) for name in combination)
    title = f"{NASTY_TITLES[index % len(NASTY_TITLES)]} {index}"
    args = [title, *itertools.chain.from_iterable(OPTIONS[name] for name in combination)]
    code, out, err = new_in_process(kb, monkeypatch, capsys, *args)
    assert code == 0, err
    path = kb.root / out.strip()
    assert path.is_file()
    catalog = find_project(kb.config).catalog()  # what `pmkb lint` reports (the next test runs the real one)
    assert [d.as_text() for d in catalog.diagnostics] == []

    (postmortem,) = catalog.postmortems
    assert postmortem.title == " ".join(title.split())
    assert postmortem.status == "draft"
    assert postmortem.severity == ("SEV1" if "--severity" in combination else "SEV4")
    assert postmortem.cause == ("deployment" if "--cause" in combination else "unknown")
    assert postmortem.services == (("api", "db", "queue") if "--service" in combination else (PLACEHOLDER_SERVICE,))
    if "--author" in combination:
        assert postmortem.authors == ("Grace Hopper", "Ada: Lovelace")
    day = date(2019, 3, 25) if "--date" in combination else date.fromisoformat(TODAY)
    assert postmortem.date == day
    assert path.relative_to(kb.docs).as_posix() == f"{day.year}/{day.isoformat()}-{slugify(title)}.md"


def test_all_combinations_together_pass_the_real_strict_lint(kb, monkeypatch, capsys):
    for index, combo in enumerate(c for size in range(len(OPTIONS) + 1) for c in itertools.combinations(OPTIONS, size)):
        args = [f"{NASTY_TITLES[index % len(NASTY_TITLES)]} {index}"]
        args += itertools.chain.from_iterable(OPTIONS[name] for name in combo)
        assert new_in_process(kb, monkeypatch, capsys, *args)[0] == 0
    result = kb.cli("lint", "--strict")
    assert result.returncode == 0, result.stdout
    assert "0 errors, 0 warnings (32 postmortems checked)" in result.stderr


def test_case_insensitive_taxonomy_values_are_written_canonically(kb):
    result = kb.cli("new", "Case", "--severity", "sev2", "--cause", "Config-Change")
    assert result.returncode == 0, result.stderr
    data = front_matter_of(kb.root / result.stdout.strip())
    assert (data["severity"], data["cause"]) == ("SEV2", "config-change")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--severity", "SEV9"], "--severity 'SEV9' is not one of SEV1, SEV2, SEV3, SEV4"),
        (["--cause", "human-error"], "--cause 'human-error' is not one of software-bug, deployment,"),
        (["--service", "Check Out"], "--service 'Check Out' is not a slug (lowercase a-z, 0-9, -); try 'check-out'"),
        (["--date", "2024-02-30"], "--date '2024-02-30' is not a date (YYYY-MM-DD)"),
        (["--date", "yesterday"], "--date 'yesterday' is not a date (YYYY-MM-DD)"),
        (["--author", "   "], "--author must not be empty"),
        (["--author", "a" * 101], "--author is 101 characters long; at most 100 allowed"),
    ],
)
def test_bad_values_are_usage_errors_and_nothing_is_written(kb, args, message):
    result = kb.cli("new", "Bad values", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pmkb new: error: ")
    assert message in lines[0]
    assert not list(kb.docs.rglob("*-bad-values.md"))


@pytest.mark.parametrize(("title", "message"), [("   ", "must not be empty"), ("x" * 201, "at most 200 allowed")])
def test_bad_titles_are_usage_errors(kb, title, message):
    result = kb.cli("new", title)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_values_are_checked_against_the_taxonomy_in_force(kb):
    kb.set_config(
        {
            "taxonomy": {
                "severities": [
                    {"slug": "P1", "title": "Page", "description": "Wake someone up."},
                    {"slug": "P2", "title": "Ticket", "description": "Next working day."},
                ],
                "causes": [{"slug": "bug", "title": "Bug", "description": "A bug."}],
            }
        }
    )
    refused = kb.cli("new", "Custom", "--severity", "SEV1")
    assert refused.returncode == 2
    assert "--severity 'SEV1' is not one of P1, P2" in refused.stderr
    written = kb.cli("new", "Custom")
    assert written.returncode == 0, written.stderr
    path = kb.root / written.stdout.strip()
    data = front_matter_of(path)
    assert (data["severity"], data["cause"]) == ("P2", "bug")  # the least severe; no 'unknown' cause here
    text = path.read_text("utf-8")
    assert re.search(r"^# How bad it was\..*One of: P1, P2\.$", text, re.MULTILINE)
    assert kb.cli("lint", "--strict").returncode == 0


def test_never_overwrites_an_existing_file(kb):
    first = kb.cli("new", "Same title", "--date", "2024-05-02")
    assert first.returncode == 0
    path = kb.root / first.stdout.strip()
    path.write_text(path.read_text("utf-8") + "\nMy careful notes.\n", encoding="utf-8")
    before = path.read_bytes()
    second = kb.cli("new", "Same title", "--date", "2024-05-02")
    assert second.returncode == 1
    assert second.stdout == ""
    assert "already exists" in second.stderr and "postmortems/2024/2024-05-02-same-title.md" in second.stderr
    assert path.read_bytes() == before


def test_refuses_an_id_that_another_folder_already_uses(kb):
    kb.add("2024-05-02-same-title")  # postmortems/2024/...
    kb.write("archive/2024-05-02-other.md", "x")  # not the same id
    moved = kb.docs / "2024" / "2024-05-02-same-title.md"
    moved.rename(kb.docs / "archive" / moved.name)
    result = kb.cli("new", "Same title", "--date", "2024-05-02")
    assert result.returncode == 1
    assert "the id '2024-05-02-same-title' is already used by postmortems/archive/2024-05-02-same-title.md" in (
        result.stderr
    )
    assert not (kb.docs / "2024" / "2024-05-02-same-title.md").exists()


def test_path_is_printed_relative_to_the_current_folder(kb, tmp_path):
    from conftest import run_pmkb

    result = run_pmkb("new", "From elsewhere", "-f", str(kb.config), cwd=kb.root.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"kb/postmortems/{TODAY[:4]}/{TODAY}-from-elsewhere.md"
    assert (kb.root.parent / result.stdout.strip()).is_file()


def test_no_project_is_a_usage_error(tmp_path):
    from conftest import run_pmkb

    result = run_pmkb("new", "Nowhere", cwd=tmp_path)
    assert result.returncode == 2
    assert "mkdocs.yml" in result.stderr
    assert "Traceback" not in result.stderr


# -- the template --------------------------------------------------------------------------------------------------


def _keys(spec: Field, prefix: str = ""):
    for child in spec.fields:
        yield f"{prefix}{child.name}", child
        if child.kind is Kind.MAPPING:
            yield from _keys(child, f"{prefix}{child.name}.")


@pytest.fixture
def template_text() -> str:
    new = NewPostmortem("Template", date(2024, 5, 2), "SEV2", "capacity", ("api",), ("Ada",))
    return render_postmortem(new, default_taxonomy())


def test_every_field_is_present_and_optional_ones_are_commented_out(template_text):
    front = template_text.split("---\n")[1]
    lines = front.splitlines()
    for name, spec in _keys(POSTMORTEM):
        key = name.rsplit(".", 1)[-1]
        indent = "  " * name.count(".")
        live = [i for i, line in enumerate(lines) if re.match(rf"{indent}{key}:", line)]
        commented = [i for i, line in enumerate(lines) if re.match(rf"{indent}# {key}:", line)]
        if spec.required is Required.OPTIONAL:
            assert commented and not live, name
        else:
            assert live and not commented, name
        comment = lines[(live or commented)[0] - 1]
        assert comment.lstrip().startswith("# "), name
    for item_key in ("title", "owner", "status", "type", "priority", "due", "link"):
        assert re.search(rf"^  #( -|  ) {item_key}:", front, re.MULTILINE), item_key


def test_comments_name_the_allowed_values_from_the_taxonomy(template_text):
    taxonomy = default_taxonomy()
    comments = " ".join(
        line.lstrip("# ").strip() for line in template_text.splitlines() if line.lstrip().startswith("#")
    )
    for section in ("severities", "causes", "triggers", "detection"):
        assert ", ".join(taxonomy.slugs(section)) in comments, section
    for values in (("draft", "in-review", "published"), ("open", "in-progress", "done", "wont-do")):
        assert ", ".join(values) in comments


def test_body_has_the_recommended_headings_in_order(template_text):
    body = template_text.split("---\n", 2)[2]
    headings = [line for line in body.splitlines() if line.startswith("#")]
    assert headings == BODY_HEADINGS
    assert not re.search(r"^# ", body, re.MULTILINE)  # the page template prints the title as the h1


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Database failover: checkout read-only", "database-failover-checkout-read-only"),
        ("Ünïcödé façade — outage!", "unicode-facade-outage"),
        ("日本語のタイトル", "incident"),
        ("---", "incident"),
        ("A" * 80, "a" * 60),
        (
            "Boskos crash loop after a node drain blocks every GCE e2e job overnight in the US",
            "boskos-crash-loop-after-a-node-drain-blocks-every-gce-e2e",
        ),
        ("word " * 12 + "end", "word-word-word-word-word-word-word-word-word-word-word-word"),
    ],
)
def test_slugs(title, slug):
    assert slugify(title) == slug
    assert len(slug) <= 60 and re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug)


@pytest.mark.parametrize("value", [*NASTY_TITLES, "SEV2", "1e3", "0o17", "0x1F", "true", "~", "a, b", "[x]", "é"])
def test_yaml_scalars_read_back_unchanged(value):
    written = yaml_scalar(value)
    assert "\n" not in written
    assert yaml.safe_load(f"key: {written}") == {"key": value}
    assert yaml.safe_load(f"key: [{written}, x]") == {"key": [value, "x"]}


# -- the guide -----------------------------------------------------------------------------------------------------


def test_guide_view_is_generated_from_the_taxonomy_and_the_fields():
    taxonomy = default_taxonomy()
    view = build_guide(taxonomy, date(2026, 11, 21))
    assert view.title == GUIDE_TITLE
    assert [table.section for table in view.taxonomies] == ["severities", "causes", "triggers", "detection"]
    for table in view.taxonomies:
        assert table.entries == taxonomy.section(table.section)
    names = [row.name for row in view.fields]
    expected = [name for name, _ in _keys(POSTMORTEM)]
    assert [n for n in names if "[]" not in n] == expected
    assert "action_items[].owner" in names
    severity = next(row for row in view.fields if row.name == "severity")
    assert severity.allowed == taxonomy.slugs("severities")
    assert view.template == render_postmortem(example_postmortem(taxonomy, date(2026, 11, 21)), taxonomy)
    assert any("pmkb lint --changed --format github" in step.text for step in view.workflow)


def test_guide_template_is_what_pmkb_new_writes_and_lints_clean(kb):
    view = build_guide(default_taxonomy(), date.fromisoformat(TODAY))
    kb.write(f"{TODAY[:4]}/{TODAY}-what-happened-in-one-line.md", view.template)
    assert lint_json(kb) == []


def test_guide_page_renders_the_view_escaped(kb):
    """The plugin generates the guide from the taxonomy in force and renders overrides/pmkb/guide.html."""
    evil = "Breaks <script>alert(1)</script> & more."
    kb.set_config(
        {"taxonomy": {"triggers": [{"slug": "evil", "title": "<b>Evil</b>", "description": evil}]}},
    )
    kb.write(GUIDE_SRC, "Our own words on top.\n")
    site = kb.build(strict=True)
    html = (site / "guide" / "index.html").read_text("utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = parse(html)
    article = page.find("article")
    assert article is not None
    text = article.all_text()
    assert "Our own words on top." in text
    assert f"<h1>{GUIDE_TITLE}</h1>" in html
    for slug in (*default_taxonomy().slugs("severities"), *default_taxonomy().slugs("causes"), "evil"):
        assert f"<code>{slug}</code>" in html, slug
    assert "&lt;!-- Two or three sentences" in html  # the template's own HTML comments are shown, not hidden
    assert 'title: "What happened, in one line"' in text
    for anchor in ("workflow", "template", "severities", "causes", "triggers", "detection", "fields"):
        assert page.find("h2", id=anchor) is not None, anchor
    assert GUIDE_TEMPLATE == "pmkb/guide.html"
