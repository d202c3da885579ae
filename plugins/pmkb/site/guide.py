"""The "How to write a postmortem" page, generated from the taxonomy in force so that it is never stale.

`build_guide(taxonomy, today)` returns a `GuideView`, which the template `pmkb/guide.html` shows: the taxonomy
tables, a reference of every front-matter field (walked from `Taxonomy.front_matter`, like the validator and the
JSON Schema), the template `pmkb new` writes (rendered by the same function) and the pull-request workflow.
Views hold raw strings; the template escapes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pmkb.core.fields import Field, Kind
from pmkb.core.taxonomy import Taxonomy, TaxonomyEntry
from pmkb.core.template import (
    PLACEHOLDER_SERVICE,
    default_cause,
    default_severity,
    example_postmortem,
    render_postmortem,
    value_hint,
)

GUIDE_SRC = "guide/index.md"
GUIDE_TITLE = "How to write a postmortem"
GUIDE_TEMPLATE = "pmkb/guide.html"

_SECTIONS = (
    # (taxonomy section, heading, anchor, front-matter key(s), what it is for)
    ("severities", "Severities", "severities", "severity", "How bad it was, most severe first."),
    (
        "causes",
        "Root-cause categories",
        "causes",
        "cause, contributing",
        "The primary root cause (cause) and any further ones (contributing). A root cause is a gap in a system "
        "or a process, never a person.",
    ),
    ("triggers", "Triggers", "triggers", "trigger", "What set the incident off."),
    ("detection", "Detection methods", "detection", "detection", "How we found out."),
)


@dataclass(frozen=True, slots=True)
class TaxonomyTable:
    section: str  # the taxonomy section: severities, causes, triggers, detection
    title: str  # its heading
    anchor: str  # its HTML id
    keys: str  # the front-matter key(s) that take its slugs
    intro: str
    entries: tuple[TaxonomyEntry, ...]  # slug, title, description


@dataclass(frozen=True, slots=True)
class FieldRow:
    name: str  # dotted path, `impact.summary`, `action_items[].owner`
    depth: int  # 0 for top-level keys
    required: str  # "required", "optional", "required unless the status is draft", ...
    description: str
    value: str  # what the value looks like: type and limits
    allowed: tuple[str, ...]  # allowed values, for taxonomy and enum fields


@dataclass(frozen=True, slots=True)
class WorkflowStep:
    title: str
    text: str
    command: str = ""  # a shell command to show, if any


@dataclass(frozen=True, slots=True)
class GuideView:
    title: str
    taxonomies: tuple[TaxonomyTable, ...]
    fields: tuple[FieldRow, ...]
    template: str  # the Markdown file `pmkb new` writes with its defaults
    template_command: str  # the command that writes it
    workflow: tuple[WorkflowStep, ...]
    defaults: tuple[tuple[str, str], ...]  # (option, default) of `pmkb new`


def _allowed(spec: Field, taxonomy: Taxonomy) -> tuple[str, ...]:
    item = spec.item if spec.kind is Kind.LIST and spec.item is not None else spec
    if item.kind is not Kind.CHOICE:
        return ()
    return taxonomy.slugs(item.taxonomy) if item.taxonomy else item.choices


def field_rows(taxonomy: Taxonomy, spec: Field | None = None, prefix: str = "", depth: int = 0) -> list[FieldRow]:
    """Every key of the front matter, parents before their children, in declaration order (the knowledge base's
    own fields after the built-in ones)."""
    spec = spec or taxonomy.front_matter
    rows: list[FieldRow] = []
    for child in spec.fields:
        name = f"{prefix}{child.name}"
        value = value_hint(child, taxonomy)
        allowed = _allowed(child, taxonomy)
        if allowed:  # the table lists them in their own column
            value = "A list of:" if child.kind is Kind.LIST else "One of:"
        rows.append(FieldRow(name, depth, child.required.label, child.description, value, allowed))
        if child.kind is Kind.MAPPING:
            rows.extend(field_rows(taxonomy, child, f"{name}.", depth + 1))
        elif child.kind is Kind.LIST and child.item is not None and child.item.kind is Kind.MAPPING:
            rows.extend(field_rows(taxonomy, child.item, f"{name}[].", depth + 1))
    return rows


def example_severity(taxonomy: Taxonomy) -> str:
    """A severity for examples: the second most severe (an example of the worst reads alarming), or the only one."""
    severities = taxonomy.slugs("severities")
    return severities[1] if len(severities) > 1 else severities[0]


def example_cause(taxonomy: Taxonomy) -> str:
    causes = taxonomy.slugs("causes")
    return "config-change" if "config-change" in causes else causes[0]


def workflow_steps(taxonomy: Taxonomy, docs_dir: str = "postmortems") -> tuple[WorkflowStep, ...]:
    return (
        WorkflowStep(
            "Start a draft",
            f"Write the draft from the template. It goes to {docs_dir}/YYYY/YYYY-MM-DD-<slug>.md with status: draft; "
            "give what you already know as options (see pmkb new --help).",
            f'pmkb new "Checkout fails for EU users after a config push" --severity {example_severity(taxonomy)} '
            f"--cause {example_cause(taxonomy)} --service checkout",
        ),
        WorkflowStep(
            "Write it up",
            "Fill in the summary, the timeline (timestamps with their UTC offset), the root cause and the lessons. "
            "Preview the page as you go: mkdocs serve shows drafts, with a banner.",
            "mkdocs serve",
        ),
        WorkflowStep(
            "Check it",
            "Fix every error and warning; each one names the line, the field and the allowed values (with the "
            "nearest one when a value is mistyped). Before publishing, nothing pmkb new left to fill in may remain: "
            "TODO texts, the unknown-service and unknown placeholders, empty sections of the template (delete a "
            "section that does not apply).",
            "pmkb lint --strict",
        ),
        WorkflowStep(
            "Open a pull request",
            "Set status: in-review (the timeline's started and detected are then required) and open a pull "
            "request. CI runs pmkb lint --changed --format github, so the problems of your files show on their lines "
            "first, and a strict "
            "build. Reviewers look for a blameless account and action items that prevent, mitigate or detect a "
            "recurrence.",
            "git switch -c postmortem/checkout-eu && git add postmortems && git commit -m 'Postmortem: ...'",
        ),
        WorkflowStep(
            "Publish",
            "When the review is done, set status: published: timeline.resolved and action_items become required "
            "(or no_action_items with the reason). Merging to the default branch publishes the site.",
        ),
        WorkflowStep(
            "Follow up",
            "Keep each action item's status current; the action-items page and pmkb actions list what is still "
            "open, overdue first, each as <id>#<n>. pmkb actions set <id>#<n> --status done closes one without "
            "touching anything else in the file; pmkb actions --format markdown prints the weekly review by owner.",
            "pmkb actions --owner my-team",
        ),
    )


def build_guide(taxonomy: Taxonomy, today: date, docs_dir: str = "postmortems") -> GuideView:
    """The guide's view under `taxonomy`. `today` dates the example template (PMKB_TODAY keeps builds stable)."""
    example = example_postmortem(taxonomy, today)
    tables = tuple(
        TaxonomyTable(section, title, anchor, keys, intro, taxonomy.section(section))
        for section, title, anchor, keys, intro in _SECTIONS
    )
    defaults = (
        ("--severity", f"{default_severity(taxonomy)} (the least severe)"),
        ("--cause", default_cause(taxonomy)),
        ("--service", PLACEHOLDER_SERVICE),
        ("--author", "git config user.name, else $USER"),
        ("--date", "today"),
    )
    return GuideView(
        title=GUIDE_TITLE,
        taxonomies=tables,
        fields=tuple(field_rows(taxonomy)),
        template=render_postmortem(example, taxonomy),
        template_command=f'pmkb new "{example.title}"',
        workflow=workflow_steps(taxonomy, docs_dir),
        defaults=defaults,
    )
