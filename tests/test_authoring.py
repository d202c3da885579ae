"""The authoring loop: every finding in one run, the publish gate, "did you mean", items by title.

All through the real command line (`pmkb lint --format json`) on fixture files whose positions are read off the text.
"""

from __future__ import annotations

import json

from conftest import dedent, front_matter, render_postmortem
from pmkb.core.template import (
    BODY_SECTIONS,
    PLACEHOLDER_CAUSE,
    PLACEHOLDER_SERVICE,
    PLACEHOLDER_SUMMARY,
)

EVERY_MISTAKE = dedent(
    """
    ---
    title: Boskos crash loop blocks every GCE e2e job
    date: 2019-03-25
    status: published
    severity: SEV9
    authors: [Katharine Berry]
    services: [boskos, Prow]
    cause: config
    trigger: infra-change
    detection: alert
    sevrity: SEV2
    impact:
      summary: "TODO: who was affected, how, and for how long."
      users_affected: -1
    timeline:
      started: 2019-03-25T23:04:00-07:00
      detected: 2019-03-25T22:00:00-07:00
      resolved: 2019-03-26T08:10:00
    action_items:
      - title: Fix the StatefulSet rollout
        owner: katharine
        status: finished
        priority: high
      - title: Alert on Boskos health
        owner: sig-testing
        status: open
        priority: high
      - title: Document the landing procedure
        owner: sig-testing
        status: in-progress
        due: 2020-01-01
        link: ftp://example.com/x
    related: [2019-02-05-branch-protection-outag]
    runbooks: [runbooks/landing-team-procedure.md]
    ---

    ## Summary

    Boskos crash-looped for nine hours.

    ## Root cause

    <!-- Why it happened, as a chain of causes. -->

    ## Resolution

    Rolled the StatefulSet by hand.
    """
)

FILE = "postmortems/2019/2019-03-24-boskos.md"


def position(text: str, needle: str, after: str = "") -> tuple[int, int]:
    """1-based line and column of `needle` in `text` (after the first `after`)."""
    index = text.index(needle, text.index(after) if after else 0)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def lint_json(kb, *args: str) -> tuple[int, list[dict]]:
    result = kb.cli("lint", "--format", "json", *args)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def test_one_run_reports_every_mistake_at_its_position(kb):
    kb.write("2019/2019-03-24-boskos.md", EVERY_MISTAKE)
    kb.add(
        "2019-02-05-branch-protection-outage",
        date="2019-02-05",
        timeline={
            "started": "2019-02-05T10:00:00Z",
            "detected": "2019-02-05T10:05:00Z",
            "resolved": "2019-02-05T11:00:00Z",
        },
    )
    kb.write(
        "archive/2019-03-24-boskos.md",
        render_postmortem(
            front_matter(
                date="2019-03-24",
                timeline={
                    "started": "2019-03-24T10:00:00Z",
                    "detected": "2019-03-24T10:05:00Z",
                    "resolved": "2019-03-24T11:00:00Z",
                },
            )
        ),
    )
    kb.write("runbooks/landing-team-procedures.md", "# Landing team procedures\n")
    text = "---\n" + EVERY_MISTAKE.split("---\n", 1)[1]
    code, found = lint_json(kb)
    assert code == 1
    mine = [d for d in found if d["path"] == FILE]
    got = {(d["field"], d["level"], d["line"], d["column"]): d["message"] for d in mine}

    def expect(field: str, level: str, needle: str, phrase: str, after: str = "", column: int | None = None):
        line, col = position(text, needle, after)
        key = (field, level, line, column or col)
        assert key in got, (key, sorted(got))
        assert phrase in got[key], (phrase, got[key])
        return key

    expected = [
        expect("id", "error", "---", "duplicate id '2019-03-24-boskos': also used by postmortems/archive/", column=1),
        expect("severity", "error", "SEV9", "severity 'SEV9' is not one of SEV1, SEV2, SEV3, SEV4"),
        expect("date", "warning", "2019-03-25", "file name starts with 2019-03-24 but date is 2019-03-25"),
        expect("services.1", "error", "Prow", "service 'Prow' is not a slug"),
        expect("cause", "error", "config", "cause 'config' is not one of", after="cause:"),
        expect("trigger", "error", "infra-change", "did you mean 'infrastructure-change'?"),
        expect("sevrity", "warning", "sevrity", "unknown key 'sevrity'; did you mean 'severity'?"),
        expect("impact.summary", "error", '"TODO', f"still the placeholder '{PLACEHOLDER_SUMMARY}'"),
        expect("impact.users_affected", "error", "-1", "impact.users_affected must be at least 0"),
        expect(
            "timeline.detected", "error", "2019-03-25T22", "timeline.detected (2019-03-25T22:00:00-07:00) is before"
        ),
        expect("timeline.resolved", "error", "2019-03-26T08", "timeline.resolved has no UTC offset"),
        expect(
            "action_items.0.status",
            "error",
            "finished",
            "action item 1, \"Fix the StatefulSet rollout\": status 'finished' is not one of",
        ),
        # Item 2's due-date rule, although item 1 has an error of its own.
        expect(
            "action_items.1.due",
            "error",
            "- title: Alert",
            'action item 2, "Alert on Boskos health": due is required: the item is high priority and open',
            column=5,
        ),
        expect("action_items.2.link", "error", "ftp://", 'action item 3, "Document the landing procedure": link'),
        expect(
            "action_items.2.due",
            "warning",
            "2020-01-01",
            'overdue: action item 3, "Document the landing procedure" (sig-testing, in-progress) was due 2020-01-01',
        ),
        expect(
            "related.0",
            "error",
            "2019-02-05-branch",
            "related '2019-02-05-branch-protection-outag' names no postmortem in the knowledge base; "
            "did you mean '2019-02-05-branch-protection-outage'?",
        ),
        expect(
            "runbooks.0",
            "error",
            "runbooks/landing",
            "did you mean 'runbooks/landing-team-procedures.md'?",
        ),
        expect("body", "error", "## Root cause", 'section "Root cause" is empty: Why it happened'),
    ]
    assert "did you mean 'config-change'?" in got[expected[4]]
    # Nothing else: the same finding is not reported twice.
    assert sorted(got) == sorted(expected)
    # The JSON field keeps its 0-based path; the text names the item by number and title.
    text_run = kb.cli("lint", FILE)
    assert 'action item 2, "Alert on Boskos health": due is required' in text_run.stdout
    assert "[action_items.1.due]" in text_run.stdout


def test_did_you_mean_for_enums_taxonomy_lists_and_close_cases(kb):
    items = [{"title": "Rotate keys", "owner": "sre", "status": "inprogress", "type": "prevents"}]
    kb.add("2024-05-02-x", contributing=["monitoring"], detection="users", action_items=items, status="Published")
    code, found = lint_json(kb)
    assert code == 1
    messages = {d["field"]: d["message"] for d in found}
    assert messages["status"].endswith("did you mean 'published'?")
    assert messages["contributing.0"].endswith("did you mean 'monitoring-gap'?")
    assert messages["action_items.0.status"].endswith("did you mean 'in-progress'?")
    assert messages["action_items.0.type"].endswith("did you mean 'prevent'?")
    assert "did you mean" not in messages.get("detection", "did you mean")  # 'users' is close to nothing


# -- the publish gate ----------------------------------------------------------------------------------------------


def new_draft(kb, *args: str) -> tuple[str, str]:
    result = kb.cli("new", "Checkout fails for EU users", "--date", "2024-05-02", *args)
    assert result.returncode == 0, result.stderr
    path = result.stdout.strip()
    return path, (kb.root / path).read_text("utf-8")


def set_status(kb, path: str, status: str) -> str:
    text = (kb.root / path).read_text("utf-8").replace("status: draft\n", f"status: {status}\n", 1)
    (kb.root / path).write_text(text, "utf-8")
    return text


def test_a_fresh_draft_lints_clean(kb):
    path, _ = new_draft(kb)
    assert lint_json(kb, "--strict") == (0, [])


def test_publishing_a_fresh_draft_reports_every_placeholder_at_its_line(kb):
    path, _ = new_draft(kb)
    text = set_status(kb, path, "published")
    code, found = lint_json(kb)
    assert code == 1
    gate = {(d["field"], d["line"]): d for d in found if "placeholder" in d["message"] or d["field"] == "body"}
    assert all(d["level"] == "error" for d in gate.values())
    line_of = {needle: position(text, needle)[0] for needle in (PLACEHOLDER_SERVICE, "cause: ", "summary: ")}
    service = gate[("services.0", line_of[PLACEHOLDER_SERVICE])]
    assert service["message"].startswith(f"service '{PLACEHOLDER_SERVICE}' is the placeholder pmkb new writes: name")
    assert gate[("cause", line_of["cause: "])]["message"].startswith(f"cause '{PLACEHOLDER_CAUSE}' is the placeholder")
    summary = gate[("impact.summary", line_of["summary: "])]["message"]
    assert summary == (
        f"impact.summary is still the placeholder '{PLACEHOLDER_SUMMARY}': write one or two sentences on the impact"
    )
    # Every section of the template is empty in a fresh draft: each reported at its heading, with what to write.
    body = [d for d in found if d["field"] == "body"]
    leaf_headings = [
        heading
        for index, (heading, _) in enumerate(BODY_SECTIONS)
        if index + 1 == len(BODY_SECTIONS) or len(BODY_SECTIONS[index + 1][0].split()[0]) <= len(heading.split()[0])
    ]
    assert [(d["line"], d["column"]) for d in body] == [(position(text, h + "\n")[0], 1) for h in leaf_headings]
    summary_hint = dict(BODY_SECTIONS)["## Summary"].rstrip(".")
    assert body[0]["message"].startswith(f'section "Summary" is empty: {summary_hint}. Or delete the heading')
    # The rules that were there before still apply: published needs the timeline and action items.
    assert {"timeline.started", "timeline.detected", "timeline.resolved", "action_items"} <= {d["field"] for d in found}


def test_in_review_placeholders_are_warnings_and_fail_only_strict(kb):
    path, text = new_draft(kb, "--service", "checkout", "--cause", "config-change")
    text = set_status(kb, path, "in-review").replace(
        "timeline:\n", "timeline:\n  started: 2024-05-02T09:00:00Z\n  detected: 2024-05-02T09:10:00Z\n", 1
    )
    text = text.replace("  started:\n", "", 1).replace("  detected:\n", "", 1)
    (kb.root / path).write_text(text, "utf-8")
    code, found = lint_json(kb)
    assert code == 0, found
    assert {d["level"] for d in found} == {"warning"}
    assert {d["field"] for d in found} == {"impact.summary", "body"}
    assert all("(to fill in before publishing)" in d["message"] for d in found)
    assert kb.cli("lint", "--strict").returncode == 1


def test_a_finished_postmortem_passes_the_gate(kb):
    body = "".join(f"{heading}\n\nWritten.\n\n" for heading, _ in BODY_SECTIONS)
    kb.add("2024-05-02-done", body=body)
    assert lint_json(kb, "--strict") == (0, [])


def test_no_action_items_needs_a_reason(kb):
    kb.add("2024-05-02-none", action_items=[], no_action_items="none")
    kb.add(
        "2024-05-03-todo",
        date="2024-05-03",
        action_items=[],
        no_action_items="TODO: why",
        timeline={
            "started": "2024-05-03T09:00:00Z",
            "detected": "2024-05-03T09:10:00Z",
            "resolved": "2024-05-03T10:00:00Z",
        },
    )
    kb.add(
        "2024-05-04-real",
        date="2024-05-04",
        action_items=[],
        no_action_items="A one-off vendor outage.",
        timeline={
            "started": "2024-05-04T09:00:00Z",
            "detected": "2024-05-04T09:10:00Z",
            "resolved": "2024-05-04T10:00:00Z",
        },
    )
    code, found = lint_json(kb)
    assert code == 1
    by_file = {d["path"].rsplit("/", 1)[1]: d for d in found}
    assert set(by_file) == {"2024-05-02-none.md", "2024-05-03-todo.md"}
    assert by_file["2024-05-02-none.md"]["message"].startswith("no_action_items 'none' gives no reason: say why")
    assert by_file["2024-05-03-todo.md"]["message"].startswith("no_action_items is still the placeholder 'TODO: why'")


def test_headings_in_code_blocks_and_sections_deleted_are_fine(kb):
    body = "## Summary\n\nWritten.\n\n```markdown\n## Impact\n```\n\n## Lessons learned\n\n### What went well\n\nA.\n"
    kb.add("2024-05-02-x", body=body)
    assert lint_json(kb, "--strict") == (0, [])
