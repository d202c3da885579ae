"""`pmkb schema`: a JSON Schema 2020-12 of the front matter that agrees with `pmkb lint` wherever it can judge.

The schema sees front matter the way editors and check-jsonschema do: YAML with timestamps and dates left as the
strings that were written (check-jsonschema turns YAML's timestamp type off; YAML 1.2 has none).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import REPO, dedent, front_matter, render_postmortem
from pmkb.core.catalog import SourceRef, check_bytes
from pmkb.core.fields import POSTMORTEM, Kind
from pmkb.core.schema import front_matter_schema, schema_json
from pmkb.core.source import decode, split_document
from pmkb.core.taxonomy import default_taxonomy
from pmkb.core.template import NewPostmortem
from pmkb.core.template import render_postmortem as render_template

jsonschema = pytest.importorskip("jsonschema")  # in the `test` extra

Validator = jsonschema.Draft202012Validator
HAS_DATE_TIME_FORMAT = "date-time" in Validator.FORMAT_CHECKER.checkers


class EditorLoader(yaml.SafeLoader):
    """Loads YAML like check-jsonschema: timestamps stay the strings that were written."""


EditorLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def instance_of(text: str) -> object:
    document = split_document(decode(text.encode("utf-8"), "x.md")[0], "x.md")
    assert document.front_matter is not None
    return yaml.load(document.front_matter, Loader=EditorLoader)


def lint_errors(text: str, name: str = "fixture") -> list[str]:
    ref = SourceRef(f"misc/{name}.md", Path(f"{name}.md"), f"postmortems/misc/{name}.md")
    check = check_bytes(text.encode("utf-8"), ref, default_taxonomy())
    return [d.as_text() for d in check.diagnostics if d.is_error]


def schema_errors(text: str, formats: bool = False) -> list[str]:
    checker = Validator.FORMAT_CHECKER if formats else None
    validator = Validator(front_matter_schema(default_taxonomy()), format_checker=checker)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance_of(text))]


def item(**overrides) -> dict:
    data = {"title": "Add an alert", "owner": "sre", "status": "open", "priority": "medium"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


DRAFT = {
    "title": "Draft: something broke",
    "date": "2024-04-01",
    "status": "draft",
    "severity": "SEV3",
    "authors": ["Ada"],
    "services": ["api"],
    "cause": "unknown",
    "impact": {"summary": "TBD"},
}
IN_REVIEW_TIMELINE = {"started": "2024-05-02T09:00:00+02:00", "detected": "2024-05-02T09:12:00+02:00"}

# Every one of these passes `pmkb lint` (no errors) and the schema.
VALID: dict[str, dict | str] = {
    "published": front_matter(),
    "published-utc-z": front_matter(
        timeline={
            "started": "2024-05-02T07:00:00Z",
            "detected": "2024-05-02T07:10:00Z",
            "resolved": "2024-05-02T08:00:00Z",
        }
    ),
    "published-fractional-seconds": front_matter(
        timeline={
            "started": "2024-05-02T09:00:00.5+02:00",
            "detected": "2024-05-02T09:10:00.25+02:00",
            "resolved": "2024-05-02T10:00:00+02:00",
        }
    ),
    "published-no-action-items": front_matter(action_items=[], no_action_items="Covered by INC-1's items."),
    "in-review": front_matter(status="in-review", action_items=None, timeline=IN_REVIEW_TIMELINE),
    "draft-minimal": dict(DRAFT),
    "draft-with-timeline-started-only": {
        **DRAFT,
        "date": "2024-05-02",
        "timeline": {"started": "2024-05-02T09:00:00+02:00"},
    },
    "draft-with-empty-keys": dedent(
        """
        ---
        title: Empty keys are absent keys
        date: 2024-04-02
        status: draft
        severity: SEV4
        authors: [Ada]
        services: [api]
        cause: unknown
        contributing:
        trigger:
        detection:
        tags:
        impact:
          summary: TBD
          users_affected:
        timeline:
          started:
          detected:
          resolved:
        action_items:
        related:
        runbooks:
        ---
        """
    ),
    "quoted-dates-and-timestamps": dedent(
        """
        ---
        title: "Quoted: dates are strings to every tool"
        date: "2024-05-02"
        status: in-review
        severity: SEV1
        authors: ["Ada Lovelace", "Grace Hopper"]
        services: [api]
        cause: expiry
        impact: {summary: "Certificates expired.", users_affected: 0, customer_facing: true, data_loss: false}
        timeline: {started: "2024-05-02T09:00:00-07:00", detected: "2024-05-02T09:30:00-07:00"}
        action_items:
          - {title: Renew automatically, owner: sre, status: in-progress, priority: high, due: "2024-06-01"}
        ---
        """
    ),
    "high-priority-done-needs-no-due": front_matter(action_items=[item(priority="high", status="done")]),
    "high-priority-open-with-due": front_matter(action_items=[item(priority="high", due="2099-01-01")]),
    "every-enum-value": front_matter(
        contributing=["software-bug", "deployment", "testing-gap"],
        action_items=[
            item(status=status, type=kind, priority=priority, due="2099-01-01")
            for status, kind, priority in [
                ("open", "prevent", "high"),
                ("in-progress", "mitigate", "medium"),
                ("done", "detect", "low"),
                ("wont-do", "process", "high"),
            ]
        ],
    ),
    "links-and-pages": front_matter(
        action_items=[item(link="http://tracker.example.com/a?b=c#d"), item(link="HTTPS://EXAMPLE.COM")],
        runbooks=["runbooks/deploy.md", "runbooks/a/c.md", "runbooks/x..y.md"],
        related=["valid-published"],  # the end-to-end test has it
    ),
    "moments-never-kept": front_matter(
        timeline={"started": "unknown", "detected": "unknown", "resolved": "2024-05-02T10:00:00+02:00"}
    ),
    "unknown-keys-are-only-warnings": front_matter(sevrity="SEV1", impact={"summary": "x", "extra": 1}),
    "limits-exactly-reached": front_matter(
        title="t" * 200, authors=["a" * 100], impact={"summary": "s" * 1000, "users_affected": 0}
    ),
}

# (fixture, needs the schema's format checks): each fails `pmkb lint` for a reason JSON Schema can express.
INVALID: dict[str, tuple[dict | str, bool]] = {
    # wrong type
    "severity-not-a-string": (front_matter(severity=2), False),
    "authors-not-a-list": (front_matter(authors="Ada"), False),
    "services-not-a-list": (front_matter(services="api"), False),
    "impact-not-a-mapping": (front_matter(impact="bad"), False),
    "users-affected-not-a-number": (front_matter(impact={"summary": "x", "users_affected": "many"}), False),
    "users-affected-a-bool": (front_matter(impact={"summary": "x", "users_affected": True}), False),
    "customer-facing-a-string": (front_matter(impact={"summary": "x", "customer_facing": "true"}), False),
    "title-a-number": (front_matter(title=42), False),
    "tags-not-a-list": (front_matter(tags="redis"), False),
    "action-items-not-a-list": (front_matter(action_items={"title": "x"}), False),
    "action-item-not-a-mapping": (front_matter(action_items=["do it"]), False),
    "date-a-timestamp": (front_matter(date="2024-05-02T09:00:00+02:00"), False),
    "date-not-a-date": (front_matter(date="May 2nd"), False),
    "timestamp-a-date": (front_matter(timeline={**IN_REVIEW_TIMELINE, "resolved": "2024-05-02"}), False),
    "timestamp-not-a-timestamp": (front_matter(timeline={**IN_REVIEW_TIMELINE, "resolved": "soon"}), False),
    "timestamp-unknown-misspelt": (front_matter(timeline={**IN_REVIEW_TIMELINE, "resolved": "Unknown"}), False),
    "front-matter-a-list": ("---\n- a\n- b\n---\n", False),
    # bad enum
    "severity-unknown": (front_matter(severity="SEV9"), False),
    "severity-wrong-case": (front_matter(severity="sev2"), False),
    "cause-unknown": (front_matter(cause="human-error"), False),
    "contributing-unknown": (front_matter(contributing=["capacity", "bogus"]), False),
    "trigger-unknown": (front_matter(trigger="cosmic-ray"), False),
    "detection-unknown": (front_matter(detection="luck"), False),
    "status-unknown": (front_matter(status="done"), False),
    "action-status-unknown": (front_matter(action_items=[item(status="closed")]), False),
    "action-type-unknown": (front_matter(action_items=[item(type="fix")]), False),
    "action-priority-unknown": (front_matter(action_items=[item(priority="urgent")]), False),
    # missing required (always)
    **{f"missing-{key}": (front_matter(**{key: None}), False) for key in ("title", "date", "status", "severity")},
    **{f"missing-{key}": (front_matter(**{key: None}), False) for key in ("authors", "services", "cause", "impact")},
    "missing-impact-summary": (front_matter(impact={"users_affected": 3}), False),
    "missing-action-owner": (front_matter(action_items=[item(owner=None)]), False),
    "missing-action-title": (front_matter(action_items=[item(title=None)]), False),
    "missing-action-status": (front_matter(action_items=[item(status=None)]), False),
    "empty-title": ("---\ntitle:\n" + render_postmortem(front_matter(title=None))[4:], False),
    "blank-title": (front_matter(title="   "), False),
    "empty-author": (front_matter(authors=[""]), False),
    # missing required (unless draft / when published)
    "in-review-without-timeline": (front_matter(status="in-review", timeline=None, action_items=None), False),
    "in-review-without-started": (
        front_matter(status="in-review", timeline={"detected": "2024-05-02T09:12:00+02:00"}),
        False,
    ),
    "status-missing-needs-timeline": (front_matter(status=None, timeline=None), False),
    "published-without-resolved": (front_matter(timeline=IN_REVIEW_TIMELINE), False),
    "published-without-action-items": (front_matter(action_items=None), False),
    "published-empty-action-items-without-reason": (front_matter(action_items=[]), False),
    "high-priority-open-without-due": (front_matter(action_items=[item(priority="high")]), False),
    "high-priority-in-progress-without-due": (
        front_matter(action_items=[item(priority="high", status="in-progress")]),
        False,
    ),
    # min items
    "no-authors": (front_matter(authors=[]), False),
    "no-services": (front_matter(services=[]), False),
    # bad slug
    "service-not-a-slug": (front_matter(services=["Checkout"]), False),
    "service-with-space": (front_matter(services=["check out"]), False),
    "tag-not-a-slug": (front_matter(tags=["thundering_herd"]), False),
    "tag-leading-dash": (front_matter(tags=["-x"]), False),
    # bad URL
    "link-ftp": (front_matter(action_items=[item(link="ftp://example.com/x")]), False),
    "link-no-scheme": (front_matter(action_items=[item(link="example.com/issues/1")]), False),
    "link-with-space": (front_matter(action_items=[item(link="https://exa mple.com/")]), False),
    "link-no-host": (front_matter(action_items=[item(link="https:///path")]), False),
    # bad page path
    "runbook-parent": (front_matter(runbooks=["../secrets.md"]), False),
    "runbook-absolute": (front_matter(runbooks=["/runbooks/x.md"]), False),
    "runbook-not-markdown": (front_matter(runbooks=["runbooks/x.html"]), False),
    "runbook-backslash": (front_matter(runbooks=["runbooks\\x.md"]), False),
    # too long
    "title-too-long": (front_matter(title="t" * 201), False),
    "author-too-long": (front_matter(authors=["a" * 101]), False),
    "summary-too-long": (front_matter(impact={"summary": "s" * 1001}), False),
    "action-title-too-long": (front_matter(action_items=[item(title="t" * 301)]), False),
    # minimum
    "negative-users-affected": (front_matter(impact={"summary": "x", "users_affected": -1}), False),
    # timestamps without an offset
    "started-without-offset": (
        front_matter(timeline={"started": "2024-05-02T09:00:00", "detected": "2024-05-02T09:12:00+02:00"}),
        False,
    ),
    "resolved-without-offset": (
        front_matter(timeline={**IN_REVIEW_TIMELINE, "resolved": "2024-05-02 13:17:00"}),
        False,
    ),
    # only the formats can tell (check-jsonschema checks formats by default)
    "date-not-a-calendar-day": (front_matter(date="2024-02-30"), True),
    "due-not-a-calendar-day": (front_matter(action_items=[item(due="2024-13-01")]), True),
    "timestamp-not-a-real-time": (
        front_matter(timeline={**IN_REVIEW_TIMELINE, "resolved": "2024-05-02T25:00:00+02:00"}),
        True,
    ),
}

# Rejected by `pmkb lint` for reasons JSON Schema cannot express: the schema accepts them (documented limits).
NOT_EXPRESSIBLE: dict[str, dict] = {
    "timeline-out-of-order": front_matter(
        timeline={
            "started": "2024-05-02T09:00:00+02:00",
            "detected": "2024-05-02T08:00:00+02:00",
            "resolved": "2024-05-02T13:17:00+02:00",
        }
    ),
    "date-not-the-day-started": front_matter(date="2024-05-03"),
}


def as_text(fixture: dict | str) -> str:
    return fixture if isinstance(fixture, str) else render_postmortem(fixture)


def seed_postmortems() -> list[Path]:
    return sorted(p for p in (REPO / "postmortems").rglob("*.md") if p.name != "index.md" and "runbooks" not in p.parts)


@pytest.fixture(scope="module")
def schema() -> dict:
    return front_matter_schema(default_taxonomy())


def test_the_schema_is_a_valid_2020_12_schema(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Validator.check_schema(schema)
    assert Validator.META_SCHEMA["$id"] == schema["$schema"]


def test_the_schema_is_generated_from_the_field_declarations(schema):
    assert list(schema["properties"]) == [field.name for field in POSTMORTEM.fields]
    assert schema["required"] == ["title", "date", "status", "severity", "authors", "services", "cause", "impact"]
    assert schema["additionalProperties"] is True
    taxonomy = default_taxonomy()
    assert schema["properties"]["severity"]["enum"] == list(taxonomy.slugs("severities"))
    assert schema["properties"]["cause"]["enum"] == list(taxonomy.slugs("causes"))
    assert schema["properties"]["contributing"]["items"]["enum"] == list(taxonomy.slugs("causes"))
    assert schema["properties"]["trigger"]["enum"] == [*taxonomy.slugs("triggers"), None]
    assert schema["properties"]["detection"]["enum"] == [*taxonomy.slugs("detection"), None]
    for field in POSTMORTEM.fields:
        if field.kind is Kind.TIMESTAMP:
            assert schema["properties"][field.name]["format"] == "date-time"


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_fixtures_pass_lint_and_the_schema(name):
    text = as_text(VALID[name])
    assert lint_errors(text, name) == []
    assert schema_errors(text) == []
    if HAS_DATE_TIME_FORMAT:
        assert schema_errors(text, formats=True) == []


@pytest.mark.parametrize("path", seed_postmortems(), ids=lambda p: p.stem)
def test_the_shipped_postmortems_pass_the_schema(path):
    text = path.read_text("utf-8")
    assert lint_errors(text, path.stem) == []
    assert schema_errors(text, formats=HAS_DATE_TIME_FORMAT) == []


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_fixtures_fail_lint_and_the_schema(name):
    fixture, needs_formats = INVALID[name]
    text = as_text(fixture)
    assert lint_errors(text, name), "pmkb lint accepts it"
    if needs_formats:
        assert schema_errors(text) == []  # a pattern alone cannot tell 2024-02-30 from 2024-02-29
        if not HAS_DATE_TIME_FORMAT and "timestamp" in name:
            pytest.skip("jsonschema cannot check date-time formats here (install rfc3339-validator)")
        assert schema_errors(text, formats=True), "the schema accepts it"
    else:
        assert schema_errors(text), "the schema accepts it"


@pytest.mark.parametrize("name", sorted(NOT_EXPRESSIBLE))
def test_rules_beyond_json_schema_are_left_to_lint(name):
    text = as_text(NOT_EXPRESSIBLE[name])
    assert lint_errors(text, name)
    assert schema_errors(text, formats=HAS_DATE_TIME_FORMAT) == []


def test_pmkb_new_output_passes_the_schema():
    from datetime import date

    taxonomy = default_taxonomy()
    new = NewPostmortem('Schema: check "quotes" & #hashes', date(2024, 5, 2), "SEV1", "expiry", ("api",), ("Ada",))
    text = render_template(new, taxonomy)
    assert lint_errors(text) == []
    assert schema_errors(text, formats=HAS_DATE_TIME_FORMAT) == []


def test_cli_prints_the_schema_with_stable_key_order_and_indent_2(kb):
    result = kb.cli("schema")
    assert result.returncode == 0, result.stderr
    assert result.stdout == schema_json(default_taxonomy())
    assert result.stdout.startswith('{\n  "$schema": "https://json-schema.org/draft/2020-12/schema",\n')
    assert json.loads(result.stdout) == front_matter_schema(default_taxonomy())
    assert kb.cli("schema").stdout == result.stdout  # byte-identical run to run


def test_cli_schema_follows_the_taxonomy_in_force(kb):
    kb.write(
        "../taxonomy.yml",
        "severities:\n  - {slug: P1, title: Page, description: Wake someone up.}\n"
        "  - {slug: P2, title: Ticket, description: Next working day.}\n",
    )
    kb.set_config({"taxonomy": "taxonomy.yml"})
    schema = json.loads(kb.cli("schema").stdout)
    assert schema["properties"]["severity"]["enum"] == ["P1", "P2"]
    assert "P1 = Page: Wake someone up." in schema["properties"]["severity"]["description"]
    assert schema["properties"]["cause"]["enum"] == list(default_taxonomy().slugs("causes"))  # kept


def test_cli_schema_refuses_a_broken_taxonomy(kb):
    kb.set_config({"taxonomy": {"severities": "not a list"}})
    result = kb.cli("schema")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "taxonomy" in result.stderr
    assert "Traceback" not in result.stderr


def test_lint_and_schema_agree_end_to_end(kb):
    """The real commands: every fixture in one knowledge base, `pmkb lint --format json` against `pmkb schema`."""
    fixtures = {name: as_text(data) for name, data in VALID.items()}
    fixtures.update({name: as_text(data) for name, (data, formats) in INVALID.items() if not formats})
    for name, text in fixtures.items():
        kb.write(f"misc/{name}.md", text)
    for page in ("runbooks/deploy.md", "runbooks/a/c.md", "runbooks/x..y.md"):
        kb.write(page, "# A page\n")
    kb.write("misc/valid-published.md", as_text(VALID["published"]))
    lint = kb.cli("lint", "--format", "json")
    assert lint.returncode == 1
    failing = {Path(d["path"]).stem for d in json.loads(lint.stdout) if d["level"] == "error"}
    fixtures["valid-published"] = as_text(VALID["published"])
    validator = Validator(json.loads(kb.cli("schema").stdout))
    rejected = {name for name, text in fixtures.items() if not validator.is_valid(instance_of(text))}
    assert failing == rejected == set(INVALID) - {n for n, (_, formats) in INVALID.items() if formats}
