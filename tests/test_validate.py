"""Every per-file validation rule, valid and invalid side, with the position it reports."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import dedent, front_matter, render_postmortem
from pmkb.cli.project import find_project

PID = "2024-05-02-cache-stampede"
PATH = f"postmortems/2024/{PID}.md"


def diagnostics(kb, today=date(2026, 11, 21)):
    return list(find_project(kb.config).catalog(today=today).diagnostics)


def only(kb, **filters):
    found = [d for d in diagnostics(kb) if all(getattr(d, k) == v for k, v in filters.items())]
    return found


def test_valid_postmortem_has_no_diagnostics(kb):
    kb.add(PID)
    assert diagnostics(kb) == []


def test_spec_example_position_and_message(kb):
    kb.write(
        "2019/2019-03-25-boskos-outage.md",
        dedent(
            """
            ---
            title: Boskos crash loop blocks every GCE e2e job
            date: 2019-03-25
            status: published
            severity: SEV9
            authors: [Katharine Berry]
            services: [boskos, prow]
            cause: deployment
            impact:
              summary: Jobs needing a GCP project failed for ~9h.
            timeline:
              started: 2019-03-25T23:04:00-07:00
              detected: 2019-03-26T02:50:00-07:00
              resolved: 2019-03-26T08:10:00-07:00
            action_items: []
            no_action_items: covered elsewhere
            ---
            Body
            """
        ),
    )
    (d,) = diagnostics(kb)
    assert d.as_text() == (
        "postmortems/2019/2019-03-25-boskos-outage.md:5:11: error: severity 'SEV9' is not one of "
        "SEV1, SEV2, SEV3, SEV4 [severity]"
    )


def test_unknown_key_is_a_warning_naming_the_closest_known_key(kb):
    data = front_matter()
    data["sevrity"] = "SEV2"
    kb.add(PID, data)
    (d,) = diagnostics(kb)
    assert (d.level, d.field) == ("warning", "sevrity")
    assert "did you mean 'severity'" in d.message
    assert d.column == 1


def test_unknown_nested_key_is_a_warning_too(kb):
    kb.add(PID, impact={"summary": "x", "usres_affected": 3})
    (d,) = diagnostics(kb)
    assert (d.level, d.field) == ("warning", "impact.usres_affected")
    assert "users_affected" in d.message


@pytest.mark.parametrize(
    "missing", ["title", "date", "status", "severity", "authors", "services", "cause", "impact", "timeline"]
)
def test_missing_required_key_is_an_error(kb, missing):
    kb.add(PID, **{missing: None})
    found = only(kb, field=missing)
    assert found and found[0].level == "error"
    assert f"required key '{missing}' is missing" in found[0].message


def test_missing_nested_required_key_points_at_its_parent(kb):
    path = kb.add(PID, impact={"users_affected": 3})
    (d,) = only(kb, field="impact.summary")
    lines = path.read_text().splitlines()
    assert lines[d.line - 1].strip().startswith("users_affected")


@pytest.mark.parametrize(
    "field, value, phrase",
    [
        ("title", 42, "title must be text, got a number"),
        ("title", ["a", "b"], "title must be text, got a list"),
        ("title", "x" * 201, "at most 200"),
        ("services", "checkout", "services must be a list of service values, got a string; write [checkout]"),
        ("services", [], "at least 1"),
        ("services", ["Check Out"], "is not a slug"),
        ("tags", [1], "must be a tag slug, got a number"),
        ("authors", "Ada", "must be a list"),
        ("status", "done", "is not one of draft, in-review, published"),
        ("cause", "human-error", "is not one of software-bug, deployment"),
        ("cause", "Deployment", "did you mean 'deployment'"),
        ("contributing", ["nope"], "contributing.0 'nope' is not one of"),
        ("trigger", "bad", "is not one of code-deploy"),
        ("detection", "pager", "is not one of alert, user-report"),
        ("date", "2024/05/02", "must be a date"),
        ("related", "x", "must be a list"),
        ("runbooks", ["../etc/passwd.md"], "without '..'"),
        ("runbooks", ["/abs.md"], "without '..' or a leading '/'"),
    ],
)
def test_wrong_types_and_values_are_errors_at_the_value(kb, field, value, phrase):
    path = kb.add(PID, **{field: value})
    found = [d for d in diagnostics(kb) if d.field.split(".")[0] == field and d.is_error]
    assert found, diagnostics(kb)
    assert phrase in found[0].message
    line = path.read_text().splitlines()[found[0].line - 1]
    assert field in line or line.lstrip().startswith("-")


def test_impact_fields_are_typed(kb):
    kb.add(PID, impact={"summary": "x", "users_affected": -1, "customer_facing": "yes", "data_loss": 0})
    fields = {d.field: d.message for d in diagnostics(kb)}
    assert "at least 0" in fields["impact.users_affected"]
    assert "true or false" in fields["impact.customer_facing"]
    assert "true or false" in fields["impact.data_loss"]


def test_timestamp_without_offset_is_an_error(kb):
    timeline = dict(front_matter()["timeline"], detected="2024-05-02T09:12:00")
    kb.add(PID, timeline=timeline)
    (d,) = only(kb, field="timeline.detected")
    assert "no UTC offset" in d.message and d.is_error


def test_date_where_timestamp_belongs_is_an_error(kb):
    timeline = dict(front_matter()["timeline"], resolved="2024-05-02")
    kb.add(PID, timeline=timeline)
    (d,) = only(kb, field="timeline.resolved")
    assert "got a date" in d.message


def test_impossible_timestamp_is_an_error(kb):
    timeline = dict(front_matter()["timeline"], resolved="2024-02-30T10:00:00Z")
    kb.add(PID, timeline=timeline)
    (d,) = [d for d in diagnostics(kb) if d.is_error]
    assert d.field == "timeline.resolved" and "not a valid timestamp" in d.message


@pytest.mark.parametrize(
    "timeline, field",
    [
        ({"detected": "2024-05-02T08:59:00+02:00"}, "timeline.detected"),
        ({"mitigated": "2024-05-02T09:11:00+02:00"}, "timeline.mitigated"),
        ({"resolved": "2024-05-02T10:29:00+02:00"}, "timeline.resolved"),
    ],
)
def test_timeline_must_be_in_order(kb, timeline, field):
    kb.add(PID, timeline={**front_matter()["timeline"], **timeline})
    (d,) = only(kb, level="error")
    assert d.field == field and "is before" in d.message


def test_timeline_order_compares_instants_not_wall_clocks(kb):
    # 09:30+03:00 is 06:30Z, before 09:00+02:00 (07:00Z).
    kb.add(PID, timeline={**front_matter()["timeline"], "detected": "2024-05-02T09:30:00+03:00"})
    (d,) = only(kb, level="error")
    assert d.field == "timeline.detected"


def test_date_must_be_the_day_of_started_in_its_own_offset(kb):
    # 23:30-07:00 on May 1st is May 2nd in UTC: the date is May 1st.
    timeline = {
        "started": "2024-05-01T23:30:00-07:00",
        "detected": "2024-05-01T23:40:00-07:00",
        "resolved": "2024-05-02T03:00:00-07:00",
    }
    kb.add("2024-05-01-late-night", date="2024-05-01", timeline=timeline)
    assert diagnostics(kb) == []
    kb.add("2024-05-02-late-night", date="2024-05-02", timeline=timeline)
    (d,) = only(kb, level="error")
    assert d.field == "date" and "is not the day of timeline.started" in d.message


def test_file_name_date_differing_from_date_is_a_warning(kb):
    kb.add("2024-05-03-cache-stampede")
    (d,) = diagnostics(kb)
    assert (d.level, d.field) == ("warning", "date")
    assert "file name starts with 2024-05-03" in d.message


def test_file_name_without_a_date_is_fine(kb):
    kb.add("cache-stampede")
    assert diagnostics(kb) == []


def test_duplicate_id_is_an_error_on_both_files(kb):
    kb.write(f"2024/{PID}.md", render_postmortem(front_matter()))
    kb.write(f"archive/{PID}.md", render_postmortem(front_matter()))
    found = only(kb, field="id")
    assert sorted(d.path for d in found) == [f"postmortems/2024/{PID}.md", f"postmortems/archive/{PID}.md"]
    assert all(d.is_error and "duplicate id" in d.message for d in found)


def test_related_must_name_an_existing_postmortem(kb):
    kb.add(
        "2024-01-01-older",
        date="2024-01-01",
        timeline={
            "started": "2024-01-01T09:00:00Z",
            "detected": "2024-01-01T09:10:00Z",
            "resolved": "2024-01-01T10:00:00Z",
        },
    )
    kb.add(PID, related=["2024-01-01-older"])
    assert diagnostics(kb) == []
    path = kb.add(PID, related=["2024-01-01-older", "2023-09-09-missing"])
    (d,) = diagnostics(kb)
    assert (d.field, d.level) == ("related.1", "error") and "names no postmortem" in d.message
    assert "2023-09-09-missing" in path.read_text().splitlines()[d.line - 1]


def test_runbooks_must_name_an_existing_page(kb):
    kb.write("runbooks/cache.md", "# Cache runbook\n")
    kb.add(PID, runbooks=["runbooks/cache.md"])
    assert diagnostics(kb) == []
    kb.add(PID, runbooks=["runbooks/cache.md", "runbooks/missing.md"])
    (d,) = diagnostics(kb)
    assert (d.field, d.level) == ("runbooks.1", "error")


def test_runbook_pages_are_not_validated_as_postmortems(kb):
    kb.write("runbooks/plain.md", "# No front matter here\n")
    kb.write("2024/index.md", "# Year index\n")
    assert diagnostics(kb) == []


def test_overdue_action_item_is_a_warning_that_never_fails_strict(kb):
    items = [{"title": "Fix it", "owner": "sre", "status": "open", "priority": "high", "due": "2025-01-01"}]
    kb.add(PID, action_items=items)
    (d,) = diagnostics(kb)
    assert (d.level, d.field) == ("warning", "action_items.0.due")
    assert d.message.startswith("overdue:") and not d.fails_strict
    # The same item, judged on a day before its due date, is fine.
    assert list(find_project(kb.config).catalog(today=date(2024, 12, 1)).diagnostics) == []


@pytest.mark.parametrize("status", ["done", "wont-do"])
def test_closed_items_are_never_overdue(kb, status):
    kb.add(PID, action_items=[{"title": "Fix", "owner": "sre", "status": status, "due": "2020-01-01"}])
    assert diagnostics(kb) == []


def test_high_priority_open_item_needs_a_due_date(kb):
    kb.add(PID, action_items=[{"title": "Fix", "owner": "sre", "status": "open", "priority": "high"}])
    (d,) = diagnostics(kb)
    assert (d.field, d.level) == ("action_items.0.due", "error")


@pytest.mark.parametrize(
    "item, field, phrase",
    [
        ({"owner": "sre", "status": "open"}, "action_items.0.title", "is missing"),
        ({"title": "x", "status": "open"}, "action_items.0.owner", "is missing"),
        ({"title": "x", "owner": "sre", "status": "closed"}, "action_items.0.status", "is not one of"),
        ({"title": "x", "owner": "sre", "status": "open", "type": "fix"}, "action_items.0.type", "is not one of"),
        (
            {"title": "x", "owner": "sre", "status": "open", "link": "javascript:alert(1)"},
            "action_items.0.link",
            "is not an http(s) URL",
        ),
        ({"title": "x", "owner": "sre", "status": "open", "link": "ftp://x/y"}, "action_items.0.link", "http(s)"),
    ],
)
def test_action_item_fields(kb, item, field, phrase):
    kb.add(PID, action_items=[item])
    found = only(kb, field=field)
    assert found and phrase in found[0].message


def test_published_needs_action_items_or_a_reason(kb):
    kb.add(PID, action_items=[])
    (d,) = diagnostics(kb)
    assert d.field == "action_items" and "no_action_items" in d.message
    kb.add(PID, action_items=[], no_action_items="The vendor fixed it; nothing for us to do.")
    assert diagnostics(kb) == []
    kb.add(PID, action_items=None)
    (d,) = diagnostics(kb)
    assert d.field == "action_items" and "when the status is published" in d.message


def test_drafts_may_omit_the_timeline_and_action_items(kb):
    kb.add(PID, status="draft", timeline=None, action_items=None)
    assert diagnostics(kb) == []


def test_in_review_needs_started_and_detected_but_not_resolved(kb):
    timeline = {"started": "2024-05-02T09:00:00+02:00", "detected": "2024-05-02T09:12:00+02:00"}
    kb.add(PID, status="in-review", timeline=timeline, action_items=None)
    assert diagnostics(kb) == []
    kb.add(PID, status="in-review", timeline={"started": "2024-05-02T09:00:00+02:00"})
    (d,) = diagnostics(kb)
    assert d.field == "timeline.detected" and "unless the status is draft" in d.message


def test_malformed_yaml_is_one_error_at_its_position(kb):
    kb.write(f"2024/{PID}.md", "---\ntitle: x\nservices: [a, b\ncause: deployment\n---\n")
    (d,) = diagnostics(kb)
    assert d.is_error and d.message.startswith("malformed YAML") and d.line >= 3


def test_duplicate_keys_are_an_error_at_the_second_key(kb):
    text = render_postmortem(front_matter()).replace("severity: SEV2\n", "severity: SEV2\nseverity: SEV1\n", 1)
    kb.write(f"2024/{PID}.md", text)
    (d,) = diagnostics(kb)
    assert d.is_error and "duplicate key 'severity'" in d.message
    assert text.splitlines()[d.line - 1] == "severity: SEV1"


def test_python_tags_never_construct_objects(kb):
    text = render_postmortem(front_matter()).replace(
        "title: Cache stampede takes down checkout", "title: !!python/object/apply:os.system ['touch /tmp/pwned']"
    )
    kb.write(f"2024/{PID}.md", text)
    (d,) = diagnostics(kb)
    assert d.is_error and "!!python/object/apply:os.system" in d.message and d.line == 2


def test_all_diagnostics_of_all_files_sorted_by_path_and_line(kb):
    kb.add("2024-05-02-b", severity="SEV9", cause="nope")
    kb.add("2024-05-02-a", title=1)
    found = diagnostics(kb)
    assert [d.path for d in found] == sorted(d.path for d in found)
    assert len(found) == 3
    b = [d for d in found if d.path.endswith("-b.md")]
    assert [d.line for d in b] == sorted(d.line for d in b)


def test_taxonomy_can_be_replaced_from_a_file(kb):
    (kb.root / "taxonomy.yml").write_text(
        dedent(
            """
            causes:
              - {slug: gremlins, title: Gremlins, description: Small creatures in the machine.}
            """
        )
    )
    kb.set_config({"taxonomy": "taxonomy.yml"})
    kb.add(PID, cause="gremlins", contributing=[])
    assert diagnostics(kb) == []
    kb.add(PID, cause="capacity", contributing=[])
    (d,) = diagnostics(kb)
    assert d.message == "cause 'capacity' is not one of gremlins"


def test_taxonomy_can_be_replaced_inline(kb):
    severities = [
        {"slug": "P1", "title": "Page", "description": "Wakes someone up."},
        {"slug": "P2", "title": "Ticket", "description": "Next business day."},
    ]
    kb.set_config({"taxonomy": {"severities": severities}})
    kb.add(PID, severity="P2")
    assert diagnostics(kb) == []


def test_broken_taxonomy_is_reported_with_its_position(kb):
    (kb.root / "taxonomy.yml").write_text("causes:\n  - {slug: Bad Slug, title: x, description: y}\n")
    kb.set_config({"taxonomy": "taxonomy.yml"})
    found = [d for d in diagnostics(kb) if d.path == "taxonomy.yml"]
    assert found and found[0].line == 2 and "must match" in found[0].message


def test_same_day_postmortems_with_and_without_a_start_time_sort_without_error(kb):
    kb.add("2024-05-02-draft", status="draft", timeline=None, action_items=None)
    kb.add(PID)
    catalog = find_project(kb.config).catalog(today=date(2026, 11, 21))
    assert [p.id for p in catalog.postmortems] == [PID, "2024-05-02-draft"]
