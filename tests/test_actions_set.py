"""`pmkb actions set ID#N ...` and the weekly review formats, through the real command line.

Every edit is checked byte for byte: the expected file is the original with exactly the changed characters replaced.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import ACTION_ITEM_KEYS, dedent

PID = "2024-05-02-boskos"
PATH = f"postmortems/2024/{PID}.md"

HEAD = dedent(
    """
    ---
    # Written by hand; the comments must survive.
    title: Boskos crash loop   # the title
    date: 2024-05-02
    status: published
    severity: SEV2
    authors: [Ada]
    services: [boskos]
    cause: deployment
    impact:
      summary: Jobs failed for 9h.
    timeline:
      started: 2024-05-02T09:00:00Z
      detected: 2024-05-02T09:10:00Z
      resolved: 2024-05-02T10:00:00Z
    """
)
BODY = "---\n\n## Summary\n\nWritten.\n"

BLOCK = HEAD + dedent(
    """
    action_items:
      # first: block style, plain values, a comment after one
      - title: Fix the StatefulSet rollout
        owner: katharine      # on leave until June
        status: open
        priority: high
        due: 2024-06-01
      - title: 'Alert on Boskos health'
        owner: "sig-testing"
        status: 'open'
        due: '2024-06-15'
      - title: Write the runbook
        owner: sre
        status: in-progress
    """
)
FLOW = HEAD + dedent(
    """
    action_items:
      - {title: Fix the rollout, owner: katharine, status: open}
      - {title: "Alert, loudly", owner: 'sig-testing', status: "open", due: 2024-06-15}
    """
)


def write(kb, front: str, crlf: bool = False, bom: bool = False) -> bytes:
    text = front + BODY
    if crlf:
        text = text.replace("\n", "\r\n")
    raw = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    kb.write(f"2024/{PID}.md", raw)
    return raw


def replaced(raw: bytes, *pairs: tuple[str, str]) -> bytes:
    """`raw` with each old text replaced once by the new one (each old text must occur exactly once)."""
    for old, new in pairs:
        assert raw.count(old.encode()) == 1, old
        raw = raw.replace(old.encode(), new.encode())
    return raw


def set_(kb, ref: str, *args: str):
    result = kb.cli("actions", "set", ref, *args)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def current(kb) -> bytes:
    return (kb.root / PATH).read_bytes()


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_block_style_plain_values_keep_comments(kb, crlf):
    raw = write(kb, BLOCK, crlf)
    result = set_(kb, f"{PID}#1", "--status", "done", "--owner", "team-boskos", "--due", "2024-07-01")
    assert result.returncode == 0, result.stderr
    assert current(kb) == replaced(
        raw,
        ("owner: katharine      # on leave", "owner: team-boskos      # on leave"),
        (
            "status: open\r\n    priority" if crlf else "status: open\n    priority",
            ("status: done\r\n    priority" if crlf else "status: done\n    priority"),
        ),
        ("due: 2024-06-01", "due: 2024-07-01"),
    )
    lines = result.stdout.splitlines()
    assert lines == [
        f'{PATH}:19: action item 1, "Fix the StatefulSet rollout": owner katharine -> team-boskos',
        f'{PATH}:20: action item 1, "Fix the StatefulSet rollout": status open -> done',
        f'{PATH}:22: action item 1, "Fix the StatefulSet rollout": due 2024-06-01 -> 2024-07-01',
    ]


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_quoted_values_stay_quoted_the_same_way(kb, crlf):
    raw = write(kb, BLOCK, crlf, bom=True)
    result = set_(kb, f"{PID}#2", "--status", "wont-do", "--owner", "it's sre", "--due", "2024-08-01")
    assert result.returncode == 0, result.stderr
    assert current(kb) == replaced(
        raw,
        ('owner: "sig-testing"', 'owner: "it\'s sre"'),
        ("status: 'open'", "status: 'wont-do'"),
        ("due: '2024-06-15'", "due: '2024-08-01'"),
    )


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_adding_a_due_date_to_a_block_item_adds_a_line_in_its_style(kb, crlf):
    raw = write(kb, BLOCK, crlf)
    eol = "\r\n" if crlf else "\n"
    result = set_(kb, f"{PID}#3", "--due", "2024-09-30")
    assert result.returncode == 0, result.stderr
    assert current(kb) == replaced(
        raw, (f"status: in-progress{eol}", f"status: in-progress{eol}    due: 2024-09-30{eol}")
    )
    assert result.stdout.strip() == f'{PATH}:30: action item 3, "Write the runbook": due (none) -> 2024-09-30'


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_flow_style_items_are_edited_and_extended_in_flow_style(kb, crlf):
    raw = write(kb, FLOW, crlf)
    assert set_(kb, f"{PID}#1", "--due", "2024-09-30", "--status", "in-progress").returncode == 0
    assert set_(kb, f"{PID}#2", "--status", "done", "--owner", "a, b: c").returncode == 0
    assert current(kb) == replaced(
        raw,
        ("owner: katharine, status: open}", "owner: katharine, status: in-progress, due: 2024-09-30}"),
        ("owner: 'sig-testing', status: \"open\"", "owner: 'a, b: c', status: \"done\""),
    )


def test_the_edited_file_is_validated_and_listed_again(kb):
    write(kb, BLOCK)
    before = kb.cli("actions").stdout
    assert f"{PID}#3" in before and "Write the runbook" in before
    assert set_(kb, f"{PID}#3", "--status", "done").returncode == 0
    after = kb.cli("actions")
    assert "Write the runbook" not in after.stdout
    assert kb.cli("lint", "--strict").returncode == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--status", "closed"], "--status 'closed' is not one of open, in-progress, done, wont-do"),
        (["--status", "Done"], "did you mean 'done'?"),
        (["--due", "2024-02-30"], "--due '2024-02-30' is not a date (YYYY-MM-DD)"),
        (["--due", "2024-06-01T00:00:00Z"], "is not a date"),
        (["--due", "2024-06-01\n"], "is not a date"),
        (["--owner", "sre\nstatus: done"], "--owner must be one line of printable text"),
        (["--owner", "sre\x1b[31m"], "--owner must be one line of printable text"),
        (["--owner", "  "], "--owner must not be empty"),
        (["--owner", "x" * 101], "--owner is 101 characters long; at most 100 allowed"),
        ([], "nothing to change"),
    ],
)
def test_hostile_or_bad_values_are_refused_and_nothing_is_written(kb, args, message):
    raw = write(kb, BLOCK)
    result = set_(kb, f"{PID}#1", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert current(kb) == raw


@pytest.mark.parametrize(
    "ref, message",
    [
        (f"{PID}#4", "it has no action item 4"),
        (f"{PID}#0", "is not ID#N"),
        (f"{PID}", "is not ID#N"),
        ("2024-05-02-bosko#1", "no postmortem has the id '2024-05-02-bosko'; did you mean '2024-05-02-boskos'?"),
    ],
)
def test_unknown_items_are_refused(kb, ref, message):
    raw = write(kb, BLOCK)
    result = set_(kb, ref, "--status", "done")
    assert result.returncode == 2
    assert message in result.stderr
    assert current(kb) == raw


def test_values_that_yaml_would_misread_are_quoted(kb):
    raw = write(kb, BLOCK)
    for owner in ("yes", "1e3", "- x", "# not a comment", "[a]", "{a: b}", "&anchor", "*alias", "!!python/name:x", "'"):
        result = set_(kb, f"{PID}#3", "--owner", owner)
        assert result.returncode == 0, (owner, result.stderr)
        result = kb.cli("actions", "--format", "json")
        items = [item for group in json.loads(result.stdout) for item in group["items"]]
        assert [item["owner"] for item in items if item["ref"] == f"{PID}#3"] == [owner]
    assert kb.cli("lint").returncode == 0
    assert current(kb).replace(b'owner: "\'"', b"owner: sre") == raw


def test_a_block_scalar_is_left_alone(kb):
    raw = write(kb, BLOCK.replace("    owner: sre\n", "    owner: |\n      sre\n"))
    result = set_(kb, f"{PID}#3", "--owner", "ops")
    assert result.returncode == 2
    assert "block scalar" in result.stderr
    assert current(kb) == raw


# -- listing: numbers, owners, review formats -------------------------------------------------------------------


def test_actions_prints_the_number_that_set_takes_and_matches_one_of_several_owners(kb):
    write(kb, BLOCK.replace("owner: sre", "owner: aborrero, dcaro"))
    result = kb.cli("actions", "--owner", "DCaro")
    assert result.returncode == 0, result.stderr
    (row,) = result.stdout.splitlines()[1:]
    assert f"{PID}#3" in row and "Write the runbook" in row
    assert kb.cli("actions", "--owner", "aborrero, dcaro").returncode == 0
    miss = kb.cli("actions", "--owner", "dcar")
    assert miss.returncode == 1
    assert miss.stderr.strip().endswith("did you mean 'dcaro'?")


def test_weekly_review_formats_group_by_owner_with_age_and_days_overdue(kb):
    write(kb, BLOCK)
    today = {"PMKB_TODAY": "2024-06-20"}
    as_json = json.loads(kb.cli("actions", "--format", "json", env=today).stdout)
    assert [group["owner"] for group in as_json] == ["katharine", "sig-testing", "sre"]
    first = as_json[0]["items"][0]
    assert (first["ref"], first["age_days"], first["days_overdue"], first["due"]) == (f"{PID}#1", 49, 19, "2024-06-01")
    assert as_json[2]["items"][0]["days_overdue"] == 0
    assert (as_json[0]["open"], as_json[0]["overdue"]) == (1, 1)

    markdown = kb.cli("actions", "--format", "markdown", env=today).stdout
    assert markdown.startswith("# Open action items, 2024-06-20\n\n3 open, 2 overdue.\n")
    assert "## katharine (1 open, 1 overdue)" in markdown
    assert f"| {PID}\\#1 | Fix the StatefulSet rollout | open | high | 2024-06-01 | 49 | 19 |" in markdown

    rows = list(csv.DictReader(io.StringIO(kb.cli("actions", "--format", "csv", env=today).stdout)))
    assert [(row["owner"], row["ref"], row["days_overdue"]) for row in rows] == [
        ("katharine", f"{PID}#1", "19"),
        ("sig-testing", f"{PID}#2", "5"),
        ("sre", f"{PID}#3", "0"),
    ]
    # --json keeps its records exactly as before (the /action-items.json shape).
    records = json.loads(kb.cli("actions", "--json", env=today).stdout)
    assert list(records[0]) == ACTION_ITEM_KEYS


def test_csv_cells_never_start_a_spreadsheet_formula(kb):
    write(kb, BLOCK.replace("Write the runbook", "'=HYPERLINK(\"http://x\")'"))
    rows = list(csv.DictReader(io.StringIO(kb.cli("actions", "--format", "csv").stdout)))
    assert [row["title"] for row in rows if row["ref"] == f"{PID}#3"] == ['\'=HYPERLINK("http://x")']
