"""`pmkb actions [--owner X] [--overdue] [--json]`: the open action items of the knowledge base, from a terminal."""

from __future__ import annotations

import json

import pytest
from conftest import ACTION_ITEM_KEYS, REPO, run_pmkb

COLUMNS = ["DUE", "OWNER", "PRIORITY", "STATUS", "INCIDENT", "ITEM"]


def item(title: str, owner: str, status: str = "open", **extra) -> dict:
    return {"title": title, "owner": owner, "status": status, **extra}


@pytest.fixture
def actions_kb(kb):
    """Today is 2026-11-21 (PMKB_TODAY, set by conftest)."""
    kb.add(
        "2024-05-02-checkout",
        action_items=[
            item("Coalesce cache requests", "team-checkout", priority="high", due="2026-11-01", type="prevent"),
            item("Alert on hit ratio", "sre", "done", priority="medium"),
            item("Write the runbook", "SRE", "in-progress"),
            item("Load test", "sre", priority="low", due="2026-12-15", link="https://example.com/issues/2"),
        ],
    )
    kb.add(
        "2025-01-10-dns",
        date="2025-01-10",
        timeline={
            "started": "2025-01-10T10:00:00Z",
            "detected": "2025-01-10T10:05:00Z",
            "resolved": "2025-01-10T11:00:00Z",
        },
        action_items=[
            item("Lower DNS TTLs", "sre", priority="high", due="2026-06-30"),
            item("Drop the old resolver", "net", "wont-do"),
            item("Add a DNS canary", "sre-team", priority="medium", due="2026-12-01"),
        ],
    )
    kb.add(
        "2025-02-01-draft",
        date="2025-02-01",
        status="draft",
        timeline=None,
        action_items=[item("Draft item", "sre", due="2020-01-01")],
    )
    return kb


def test_open_items_overdue_first_then_by_due_date_in_a_table(actions_kb):
    result = actions_kb.cli("actions")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == COLUMNS
    rows = [line.split("  ") for line in lines[1:]]
    titles = [row[-1].strip() for row in rows]
    assert titles == [
        "Lower DNS TTLs",  # overdue since 2026-06-30
        "Coalesce cache requests",  # overdue since 2026-11-01
        "Add a DNS canary",  # due 2026-12-01
        "Load test",  # due 2026-12-15
        "Write the runbook",  # no due date
    ]
    assert lines[1].startswith("2026-06-30 overdue")
    assert "2025-01-10-dns" in lines[1]
    assert lines[5].startswith("-")  # undated
    assert "Draft item" not in result.stdout  # drafts are not listed, as on the site
    assert "done" not in result.stdout and "wont-do" not in result.stdout
    assert result.stderr.strip() == "pmkb actions: 5 open action items, 2 overdue (as of 2026-11-21)"


def test_columns_line_up(actions_kb):
    lines = actions_kb.cli("actions").stdout.splitlines()
    starts = [lines[0].index(column) for column in COLUMNS]
    for line in lines[1:]:
        for start in starts[1:]:
            assert line[start - 2 : start] == "  ", line


def test_owner_is_a_case_insensitive_exact_match(actions_kb):
    result = actions_kb.cli("actions", "--owner", "SRE")
    assert result.returncode == 0
    titles = {line.split("  ")[-1].strip() for line in result.stdout.splitlines()[1:]}
    assert titles == {"Lower DNS TTLs", "Load test", "Write the runbook"}  # not sre-team's canary


def test_overdue_only(actions_kb):
    result = actions_kb.cli("actions", "--overdue", "--json")
    assert result.returncode == 0
    assert [r["title"] for r in json.loads(result.stdout)] == ["Lower DNS TTLs", "Coalesce cache requests"]


def test_owner_and_overdue_combine(actions_kb):
    result = actions_kb.cli("actions", "--overdue", "--owner", "team-checkout", "--json")
    assert [r["title"] for r in json.loads(result.stdout)] == ["Coalesce cache requests"]


def test_json_records_have_the_action_items_json_shape(actions_kb):
    result = actions_kb.cli("actions", "--json")
    assert result.returncode == 0
    records = json.loads(result.stdout)
    assert list(records[0]) == ACTION_ITEM_KEYS
    assert records[0] == {
        "incident": "2025-01-10-dns",
        "incident_title": "Cache stampede takes down checkout",
        "url": "2025/2025-01-10-dns/",
        "index": 0,
        "title": "Lower DNS TTLs",
        "owner": "sre",
        "status": "open",
        "type": None,
        "priority": "high",
        "due": "2026-06-30",
        "link": None,
        "overdue": True,
    }
    assert result.stdout.startswith("[\n  {\n")  # indented, stable


def test_json_matches_the_sites_action_items_export(actions_kb):
    """The same records as /action-items.json, restricted to open and in-progress items."""
    site = actions_kb.build()
    exported = json.loads((site / "action-items.json").read_text("utf-8"))
    listed = json.loads(actions_kb.cli("actions", "--json").stdout)

    def key(record):
        return (record["incident"], record["index"])

    open_exported = [r for r in exported if r["status"] in ("open", "in-progress")]
    assert sorted(listed, key=key) == sorted(open_exported, key=key)


def test_nothing_matching_exits_1_with_one_line(actions_kb):
    result = actions_kb.cli("actions", "--owner", "nobody")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "pmkb actions: no open action items owned by 'nobody' (as of 2026-11-21)"
    ]
    as_json = actions_kb.cli("actions", "--owner", "nobody", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout) == []


def test_today_comes_from_pmkb_today(actions_kb):
    result = actions_kb.cli("actions", "--overdue", "--json", env={"PMKB_TODAY": "2026-07-01"})
    assert [r["title"] for r in json.loads(result.stdout)] == ["Lower DNS TTLs"]
    earlier = actions_kb.cli("actions", "--overdue", env={"PMKB_TODAY": "2026-01-01"})
    assert earlier.returncode == 1
    assert "as of 2026-01-01" in earlier.stderr


def test_bad_pmkb_today_is_a_usage_error(actions_kb):
    result = actions_kb.cli("actions", env={"PMKB_TODAY": "soon"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["pmkb actions: error: PMKB_TODAY='soon' is not a date (YYYY-MM-DD)"]


def test_drafts_are_listed_when_the_site_builds_them(actions_kb):
    actions_kb.set_config({"drafts": True})
    result = actions_kb.cli("actions", "--json")
    assert "Draft item" in [r["title"] for r in json.loads(result.stdout)]


def test_postmortems_with_errors_are_left_out_with_a_note(actions_kb):
    actions_kb.add("2025-03-01-broken", severity="SEV9", date="2025-03-01")
    result = actions_kb.cli("actions")
    assert result.returncode == 0
    assert "pmkb actions: note: 1 postmortem has lint errors and is left out (see pmkb lint)" in result.stderr
    assert "2025-03-01-broken" not in result.stdout


def test_the_shipped_knowledge_base():
    result = run_pmkb("actions", "--json", cwd=REPO)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert records and all(r["status"] in ("open", "in-progress") for r in records)
    overdue = [r["overdue"] for r in records]
    assert overdue == sorted(overdue, reverse=True)  # overdue first
