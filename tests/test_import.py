"""`pmkb import`: real documents in, drafts out, read back and linted with the real CLI as a subprocess."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from conftest import front_matter

# The seeds sit beside the main checkout; a worktree elsewhere names them with PMKB_SEEDS.
SEEDS = Path(os.environ.get("PMKB_SEEDS") or Path(__file__).resolve().parents[1].parent / "shared" / "seeds")
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
needs_seeds = pytest.mark.skipif(
    not SEEDS.is_dir(), reason=f"the seed documents are not part of this repository ({SEEDS} is absent)"
)


def imported(kb, *paths: str | Path, extra: tuple[str, ...] = ()) -> tuple[list[dict], object]:
    result = kb.cli("import", *map(str, paths), *extra, "--json")
    assert "Traceback" not in result.stderr, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()], result


def read_back(kb, record: dict) -> tuple[dict, str]:
    text = (kb.root / record["path"]).read_text("utf-8")
    _, head, body = text.split("---\n", 2)
    return yaml.safe_load(head), body


def stamp(value) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def assert_lints_clean_and_publish_gate_names_only_left(kb, record: dict) -> None:
    """The draft lints clean (--strict); moved to published, lint names only fields the import listed as left."""
    result = kb.cli("lint", "--strict", "--format", "json", record["path"])
    assert json.loads(result.stdout) == [] and result.returncode == 0, result.stdout
    path = kb.root / record["path"]
    original = path.read_text("utf-8")
    path.write_text(original.replace("\nstatus: draft\n", "\nstatus: published\n"), "utf-8")
    try:
        findings = json.loads(kb.cli("lint", "--format", "json", record["path"]).stdout)
    finally:
        path.write_text(original, "utf-8")
    left = set(record["left"])
    lines = original.split("\n")
    for finding in findings:
        field = finding["field"]
        if field == "body":
            # The publish gate also names each template section the import left with only its hint.
            assert lines[finding["line"] - 1].startswith("#"), finding
            continue
        # An entry of a list left to fill is named by its own path (services.0 of services).
        assert any(field == name or field.startswith(name + ".") for name in left), (field, record["left"])


@needs_seeds
def test_wiki_page_seed_utc_events_and_recommendation(kb):
    source = SEEDS / "000_274eaa8f18dba8d5.txt"
    [record], result = imported(kb, source)
    assert result.returncode == 0 and record["kind"] == "postmortem"
    assert record["path"] == "postmortems/2012/2012-07-19-oneiric-kernel-regression-kills-ec2-instances.md"
    data, body = read_back(kb, record)
    assert data["status"] == "draft" and str(data["date"]) == "2012-07-19"
    assert data["authors"] == ["Pete Graner"]  # "Owner: Pete Graner"
    # "All times are in UTC."; the first event is the bug report, the removal of the package mitigates, the
    # backport release is the last resolution.
    assert {k: stamp(v) for k, v in data["timeline"].items()} == {
        "started": "2012-07-19T16:24:00+00:00",
        "detected": "2012-07-19T16:24:00+00:00",
        "mitigated": "2012-07-19T16:57:00+00:00",
        "resolved": "2012-07-21T03:02:00+00:00",
    }
    text = source.read_text("utf-8")
    for line in (
        "2012-07-19 16:24 - https://bugs.launchpad.net",
        "2012-07-19 16:57 - Adam Removing packages",
        "2012-07-21 03:02 - Adam releases lts-backport-oneiric",
    ):
        assert line in text
    [item] = data["action_items"]
    assert item["title"].startswith("Every QA kernel test should test to see if the test is running on the correct")
    assert item["status"] == "open" and item["owner"] == "unassigned" and "action_items.0.owner" in record["left"]
    assert (data["severity"], data["cause"], data["services"]) == ("SEV4", "unknown", ["unknown-service"])
    assert {"severity", "cause", "services"} <= set(record["left"])
    assert "## Timeline" in body and "## Source" in body
    assert_lints_clean_and_publish_gate_names_only_left(kb, record)


@needs_seeds
def test_markdown_seed_with_gutter_pdt_and_chat_logs(kb):
    [record], result = imported(kb, SEEDS / "002_79fa7beb59f77a9a.txt")
    assert result.returncode == 0
    data, body = read_back(kb, record)
    # "All times in PDT (UTC-7)": [03-26 23:04] (outage starts) stands before [03-26 02:50] on the same stated
    # day, and the title says March 26th: the start was the evening before.
    assert str(data["date"]) == "2019-03-25" and data["title"] == "Boskos Outage"
    assert {k: stamp(v) for k, v in data["timeline"].items()} == {
        "started": "2019-03-25T23:04:00-07:00",
        "detected": "2019-03-26T02:50:00-07:00",
        "mitigated": "2019-03-26T08:10:00-07:00",
        "resolved": "2019-03-26T08:10:00-07:00",
    }
    links = [item["link"] for item in data["action_items"]]
    assert links == [f"https://github.com/kubernetes/test-infra/issues/{n}" for n in (11956, 11957, 11953)]
    assert data["action_items"][1]["title"] == "Automate Boskos deploys"
    assert data["impact"]["summary"].startswith("All jobs depending on boskos failed")
    assert not re.search(r"^\s*\d+  ", body.split("## Source")[0], re.M), "the line-number gutter is gone"
    chat = body.split("### #testing-ops chat log", 1)[1]
    assert chat.lstrip().startswith("```") and "Boskos seems to have gone down" in chat
    assert_lints_clean_and_publish_gate_names_only_left(kb, record)


@needs_seeds
def test_terse_phabricator_seed(kb):
    [record], _ = imported(kb, SEEDS / "003_8a0090fd7cfc9455.txt")
    data, body = read_back(kb, record)
    assert data["title"] == "Severe network disruption in Cloud VPS & Toolforge"
    assert {k: stamp(v) for k, v in data["timeline"].items()} == {
        "started": "2021-11-02T11:35:00+00:00",
        "detected": "2021-11-02T11:40:00+00:00",
        "mitigated": "2021-11-02T13:20:00+00:00",
        "resolved": "2021-11-02T13:20:00+00:00",
    }
    first, second = data["action_items"]
    assert first["status"] == "open" and first["owner"] == "unassigned"
    assert second["owner"] == "aborrero, dcaro"  # "@aborrero & @dcaro have some ideas for this"
    timeline = body.split("## Timeline", 1)[1].split("\n## ", 1)[0]
    assert "11:35 - reboot cloudgw1001" in timeline  # the event list moved under Timeline
    assert_lints_clean_and_publish_gate_names_only_left(kb, record)


@needs_seeds
def test_mail_reply_seed_quoting_the_report(kb):
    [record], _ = imported(kb, SEEDS / "004_0f3a974808a91cf4.txt")
    data, body = read_back(kb, record)
    assert str(data["date"]) == "2017-07-28"  # "July 28, 2017 Incident Report", not the reply's date
    assert data["authors"][0] == "Christophe Demarey"
    assert all(value is None for value in data["timeline"].values())  # the report gives no times
    statuses = {item["title"]: item["status"] for item in data["action_items"]}
    deactivated = next(title for title in statuses if "has been deactivated" in title)
    assert statuses[deactivated] == "done"
    assert any(
        status == "in-progress" and "evaluating the cost to backup" in title for title, status in statuses.items()
    )
    assert "> Kudos for providing a good incident report" in body  # the reply, kept as a quote
    assert "## Root cause" in body and "synchronization of one project led to the deletion" in body
    assert_lints_clean_and_publish_gate_names_only_left(kb, record)


@needs_seeds
def test_runbook_seed_becomes_a_page(kb):
    [record], result = imported(kb, SEEDS / "001_bcdcae1feb142e98.txt")
    assert result.returncode == 0 and record["kind"] == "page"
    assert record["path"].startswith("postmortems/runbooks/")
    data, body = read_back(kb, record)
    assert data == {"title": "Procedures"} and "## Emergency Procedures" in body
    assert "&lt;SNAPSHOT_PPA>" in body  # shown as text, not swallowed as an HTML tag
    assert kb.cli("lint", "--strict").returncode == 0


def test_confluence_export(kb):
    [record], _ = imported(kb, FIXTURES / "confluence-export.html")
    data, body = read_back(kb, record)
    assert data["title"] == "Checkout API returns 500s after cache config push"  # no "SRE : " space prefix
    assert data["authors"] == ["Priya Raman"] and str(data["date"]) == "2023-03-02"
    assert {k: stamp(v) for k, v in data["timeline"].items()} == {
        "started": "2023-03-02T14:02:00+01:00",  # "All times are in CET (UTC+1)", table rows
        "detected": "2023-03-02T14:06:00+01:00",
        "mitigated": "2023-03-02T14:31:00+01:00",
        "resolved": "2023-03-02T14:40:00+01:00",
    }
    assert data["action_items"][0] == {
        "title": "Reject ttl: 0 in the cache config schema PLAT-1234",
        "owner": "team-platform",
        "status": "open",
        "link": "https://jira.example.com/browse/PLAT-1234",
    }
    assert data["action_items"][1]["status"] == "done"
    assert "```\ncache:\n  sessions:\n    ttl: 0\n```" in body
    assert "| 2023-03-02 14:02 |" in body  # the table stays a table
    for forbidden in ("<script", "onmouseover", "document.write", "breadcrumbs", "Document generated by"):
        assert forbidden not in body
    assert "&lt;script>alert(1)&lt;/script>" in body
    assert_lints_clean_and_publish_gate_names_only_left(kb, record)


def test_google_docs_export(kb):
    [record], _ = imported(kb, FIXTURES / "google-docs-export.html")
    data, body = read_back(kb, record)
    assert data["title"] == "Search latency incident"
    assert stamp(data["timeline"]["started"]) == "2024-05-14T09:20:00+00:00"
    assert stamp(data["timeline"]["resolved"]) == "2024-05-14T10:05:00+00:00"
    [item] = data["action_items"]
    assert item["link"] == "https://github.com/example/search/issues/42"  # google.com/url?q= unwrapped
    assert item["owner"] == "mlee"
    assert "google.com/url" not in body and "| p99 latency | 4.3 s |" in body
    assert_lints_clean_and_publish_gate_names_only_left(kb, record)


def test_eml_reply(kb):
    [record], _ = imported(kb, FIXTURES / "reply-with-report.eml")
    data, body = read_back(kb, record)
    assert data["title"] == "Object storage outage" and data["authors"] == ["Élodie Martin"]
    assert {k: stamp(v) for k, v in data["timeline"].items()} == {
        "started": "2023-10-09T14:03:00+02:00",
        "detected": "2023-10-09T14:09:00+02:00",
        "mitigated": "2023-10-09T14:44:00+02:00",
        "resolved": "2023-10-09T14:44:00+02:00",
    }
    assert [item["link"] for item in data["action_items"]] == [
        "https://tracker.example.org/issues/311",
        "https://tracker.example.org/issues/312",
    ]
    assert data["action_items"][0]["owner"] == "storage-team"
    assert "> Thanks, forwarding to the storage team." in body
    assert_lints_clean_and_publish_gate_names_only_left(kb, record)


def test_mbox_imports_each_message_and_into_folder(kb, tmp_path):
    eml = (FIXTURES / "reply-with-report.eml").read_bytes()
    other = eml.replace(b"object storage unavailable", b"DNS").replace(b"2023-10-09", b"2023-11-20")
    other = other.replace(b"Object storage outage", b"Resolver outage")
    mbox = tmp_path / "list.mbox"
    mbox.write_bytes(
        b"From dana@example.org Tue Oct 10 09:15:00 2023\n" + eml + b"\nFrom x@y Mon Nov 20 1:00:00 2023\n" + other
    )
    records, result = imported(kb, mbox, extra=("--into", "postmortems/imported"))
    assert result.returncode == 0, result.stderr
    assert [r["path"] for r in records] == [
        "postmortems/imported/2023-10-09-object-storage-outage.md",
        "postmortems/imported/2023-11-20-resolver-outage.md",
    ]


def test_never_overwrites_and_detects_a_second_import(kb, tmp_path):
    eml = FIXTURES / "reply-with-report.eml"
    [first], _ = imported(kb, eml)
    written = (kb.root / first["path"]).read_bytes()
    records, result = imported(kb, eml, FIXTURES / "google-docs-export.html")
    assert result.returncode == 1
    assert "already imported as postmortems/2023/2023-10-09-object-storage-outage.md" in records[0]["error"]
    assert records[1]["path"] and records[1]["error"] is None  # the other source still imported
    assert (kb.root / first["path"]).read_bytes() == written
    # The same file name taken by another postmortem: exit 1, file untouched.
    target = kb.root / "postmortems/2023/2023-03-02-checkout-api-returns-500s-after-cache-config-push.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("mine\n", "utf-8")
    result = kb.cli("import", str(FIXTURES / "confluence-export.html"))
    assert result.returncode == 1 and "already exists; it was not changed" in result.stderr
    assert target.read_text("utf-8") == "mine\n"
    assert not list(kb.docs.rglob(".pmkb-import-*")), "no temporary file left behind"


BAD_INPUTS = {
    "empty.txt": (b"", "the file is empty"),
    "blank.md": (b"\n  \n", "the file is empty"),
    "binary.txt": (b"abc\x00\x01\x02def" * 10, "binary file"),
    "report.pdf": (b"%PDF-1.4\n...", "a PDF file"),
    "latin1.txt": ("Incident r\u00e9sum\u00e9\n".encode("latin-1"), "undecodable byte 0xe9"),
    "huge.html": (b"<html><body><p>" + b"word " * 1_200_000 + b"</p></body></html>", "too large"),
    "nested.html": (
        b"<html><body>" + b"<div>" * 100_000 + b"x" + b"</div>" * 100_000 + b"</body></html>",
        "nested too deeply",
    ),
}


def test_bad_input_one_line_each_nothing_written(kb, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    for name, (data, _) in BAD_INPUTS.items():
        (folder / name).write_bytes(data)
    before = sorted(kb.docs.rglob("*"))
    result = kb.cli("import", str(folder), str(tmp_path / "missing.html"))
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().split("\n")
    assert len(lines) == len(BAD_INPUTS) + 1
    for name, (_, message) in BAD_INPUTS.items():
        [line] = [line for line in lines if f"/{name}:" in line]
        assert line.startswith("pmkb import: error: ") and message in line, line
    assert "missing.html: no such file or folder" in lines[-1]
    assert sorted(kb.docs.rglob("*")) == before


def test_script_in_markdown_source_is_not_carried(kb, tmp_path):
    source = tmp_path / "post.md"
    source.write_text(
        "---\ntitle: Queue backlog\nauthor: Sam Lee\n---\n# Queue backlog\n\nAll times in UTC.\n\n## Timeline\n\n"
        "- 2024-02-01 10:00 - consumers stall (incident starts)\n- 2024-02-01 10:30 - alert fires\n\n"
        '<script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3))\n',
        "utf-8",
    )
    [record], _ = imported(kb, source)
    data, body = read_back(kb, record)
    assert data["authors"] == ["Sam Lee"] and stamp(data["timeline"]["started"]) == "2024-02-01T10:00:00+00:00"
    before_source = body.split("## Source")[0]
    assert "<script" not in before_source and "<img" not in before_source and "javascript:" not in before_source


# Real-shaped archives (tests/fixtures/import/archive, our own words in the shapes met in public archives). The
# facts each document must yield, written down before the importer was changed for them.
ARCHIVE = FIXTURES / "archive"
ARCHIVE_FACTS = {
    "queue-backlog-table-utc.md": {  # "All times in UTC." above a table of full date-times
        "title": "Queue backlog stalls order exports",
        "date": "2023-05-02",
        "timeline": {
            "started": "2023-05-02T13:40:00+00:00",  # the first row; the `20xx-MM-DD HH:mm` row is no event
            "detected": "2023-05-02T14:07:00+00:00",
            "mitigated": "2023-05-02T14:35:00+00:00",
            "resolved": "2023-05-03T09:00:00+00:00",  # "Incident closed", the last row saying it was over
        },
        "action_items": 3,
    },
    "node-drain-cet-header.md": {  # a `Date and Time in CET` header
        "title": "Worker nodes drained during office hours",
        "date": "2020-02-11",
        "timeline": {
            "started": "2020-02-11T12:00:00+01:00",
            "detected": "2020-02-11T12:06:00+01:00",
            "mitigated": None,
            "resolved": "2020-02-11T12:55:00+01:00",  # "Verified all systems operational"
        },
        "action_items": 3,
    },
    "dns-times-under-date-headings.md": {  # times under a date heading, past midnight
        "title": "Resolver cache poisoned by a bad forwarder",
        "date": "2024-03-05",
        "timeline": {
            "started": "2024-03-05T22:40:00+00:00",
            "detected": "2024-03-05T23:15:00+00:00",
            "mitigated": "2024-03-06T00:20:00+00:00",
            "resolved": "2024-03-06T01:05:00+00:00",
        },
        "action_items": 3,  # a `- [ ]` task list under a plain-line "Action Items"
    },
    "payments-latency-confluence.html": {  # a Confluence export: an HTML table of action items
        "title": "Payment API latency incident",
        "date": "2024-09-12",
        "timeline": {
            "started": "2024-09-12T09:41:00+02:00",
            "detected": "2024-09-12T09:58:00+02:00",
            "mitigated": "2024-09-12T10:20:00+02:00",
            "resolved": "2024-09-12T10:35:00+02:00",
        },
        "action_items": 3,
    },
    "dns-resolver-mailing-list.eml": {  # a mailing-list post: setext headings, a numbered list of follow-ups
        "title": "Internal DNS resolvers returned SERVFAIL",
        "date": "2025-03-03",
        "timeline": {
            "started": "2025-03-03T13:02:00+00:00",
            "detected": "2025-03-03T13:09:00+00:00",
            "mitigated": None,
            "resolved": "2025-03-03T13:49:00+00:00",
        },
        "action_items": 3,
    },
    "collection-entry.md": {  # a public incident collection's own front matter
        "title": "Object store 503s in eu-west",
        "date": "2022-06-21",
        "timeline": {
            "started": "2022-06-21T06:27:00+00:00",
            "detected": None,
            "mitigated": None,
            "resolved": "2022-06-21T07:42:00+00:00",
        },
        "action_items": 0,
    },
}


@pytest.mark.parametrize("name", sorted(ARCHIVE_FACTS))
def test_archive_document_yields_its_facts(kb, name):
    expected = ARCHIVE_FACTS[name]
    [record], result = imported(kb, ARCHIVE / name)
    assert result.returncode == 0 and record["kind"] == "postmortem", result.stderr
    data, body = read_back(kb, record)
    assert data["title"] == expected["title"]
    assert str(data["date"]) == expected["date"]
    assert {k: stamp(v) if v else None for k, v in data["timeline"].items()} == expected["timeline"]
    assert len(data["action_items"] or []) == expected["action_items"]
    assert record["path"].startswith(f"postmortems/{expected['date'][:4]}/{expected['date']}-")
    assert not re.search(r"^\s*[-=]{3,}\s*$", body.split("## Source")[0], re.M), "no setext underline left"
    assert_lints_clean_and_publish_gate_names_only_left(kb, record)


def test_action_item_tables_give_owner_status_and_link(kb):
    [record], _ = imported(kb, ARCHIVE / "node-drain-cet-header.md")
    data, body = read_back(kb, record)
    assert data["action_items"] == [
        {
            "title": "Run the rollover job in the night window",
            "owner": "Dana Smith",
            "status": "done",
            "link": "https://tracker.example.org/browse/OPS-12",
        },
        {
            "title": "Limit drains to one node at a time and wait for readiness",  # `<br>` in the cell
            "owner": "Kai Meyer",
            "status": "in-progress",
            "link": "https://tracker.example.org/browse/OPS-13",
        },
        {"title": "Announce rollovers in the team channel", "owner": "unassigned", "status": "open"},
    ]
    assert "action_items.2.owner" in record["left"]
    assert "one node at a time<br>and wait" in body and "&lt;br>" not in body  # the table's line break kept
    [record], _ = imported(kb, ARCHIVE / "payments-latency-confluence.html")
    data, _ = read_back(kb, record)
    assert [(i["owner"], i["status"], i.get("link")) for i in data["action_items"]] == [
        ("Ines Duarte", "in-progress", "https://jira.example.com/browse/PAY-311"),
        ("Tomasz Wolny", "done", "https://jira.example.com/browse/PAY-312"),
        ("Platform team", "open", "https://jira.example.com/browse/PLAT-90"),
    ]
    assert data["services"] == ["payments-api", "checkout"] and data["severity"] == "SEV2"


def test_plain_line_heading_task_list_and_mail_follow_ups(kb):
    [record], _ = imported(kb, ARCHIVE / "dns-times-under-date-headings.md")
    data, _ = read_back(kb, record)
    assert [(i["title"], i["status"]) for i in data["action_items"]] == [
        ("Validate forwarder changes against a list of internal names", "open"),
        ("Flush caches automatically after a forwarder change", "done"),
        ("Document the rollback of forwarder changes", "open"),
    ]
    [record], _ = imported(kb, ARCHIVE / "dns-resolver-mailing-list.eml")
    data, body = read_back(kb, record)
    assert [(i["owner"], i["status"]) for i in data["action_items"]] == [
        ("Arjun", "open"),
        ("Lena", "open"),
        ("Arjun", "open"),
    ]
    assert data["authors"] == ["Arjun Mehta"]  # the sender; "Arjun" signing is the same person
    assert "\\#" not in body and "## Summary" in body


def test_source_front_matter_is_mapped_and_nothing_is_lost(kb):
    [record], _ = imported(kb, ARCHIVE / "collection-entry.md")
    data, body = read_back(kb, record)
    assert data["title"] == "Object store 503s in eu-west"  # no empty "()" left by the title's cleaning
    assert data["impact"]["summary"].startswith("A load-balancer rule pushed to every edge site")
    assert data["services"] == ["object-store"] and data["severity"] == "SEV2"
    assert data["tags"] == ["example-cloud", "cloud", "object-storage", "load-balancer"]
    assert data["authors"] == ["Jo Park"]  # a name, without the table cell's pipes
    source = body.split("## Source", 1)[1]
    assert "- url: <https://status.example.com/incidents/abc123>\n" in source  # no stray ")"
    assert "- `uuid`: 5b0e2c1a-0000-4000-8000-000000000001" in source  # a key with no home is kept
    assert "- `source_fetched_at`: 2026-01-04T19:51:05+00:00" in source
    assert {"timeline.started", "timeline.resolved", "impact.summary", "services"} <= set(record["found"])


def test_a_date_that_cannot_be_found_is_never_invented(kb):
    result = kb.cli("import", str(ARCHIVE / "undated-collection-entry.md"), "--json", env={"PMKB_TODAY": "2026-12-07"})
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0 and record["error"] is None, result.stderr
    assert record["path"].startswith("undated/") and "date" in record["left"]  # no year folder implied
    data, _ = read_back(kb, record)
    assert data["date"] is None and "2026" not in (kb.root / record["path"]).read_text("utf-8").split("---")[1]
    assert "Left to fill: date," in (kb.root / record["path"]).read_text("utf-8")
    assert not list(kb.docs.rglob("*.md"))[1:], "nothing under the content folder but its home page"
    # Moved into the knowledge base without a date, lint names the date: it is never published undated.
    target = kb.docs / "2026" / "search.md"
    target.parent.mkdir()
    target.write_text((kb.root / record["path"]).read_text("utf-8"), "utf-8")
    lint = json.loads(kb.cli("lint", "--format", "json").stdout)
    assert any(finding["field"] == "date" and finding["level"] == "error" for finding in lint), lint


def test_non_reports_are_skipped_with_one_line_each_unless_forced(kb):
    names = ["LICENSE", "PMyyyy-nnn-template.md", "process/README.md"]
    records, result = imported(kb, *(ARCHIVE / name for name in names))
    assert result.returncode == 0
    assert [(r["path"], r["skipped"]) for r in records] == [
        (None, "a license text"),
        (None, "an empty postmortem template (its sections hold no content)"),
        (None, "a README about the repository, not an incident"),
    ]
    lines = result.stderr.strip().split("\n")
    assert len(lines) == 3 and all("not an incident report: " in line for line in lines)
    assert not [p for p in kb.docs.rglob("*.md") if p.name != "index.md"] and not (kb.root / "undated").exists()
    forced, result = imported(kb, ARCHIVE / "LICENSE", extra=("--force",))
    assert forced[0]["path"] and forced[0]["skipped"] is None


def test_reimport_is_found_by_source_and_reports_may_share_a_title(kb):
    records, result = imported(kb, ARCHIVE / "undated-twin.md", ARCHIVE / "undated-twin-2.md")
    assert result.returncode == 0, result.stderr
    assert sorted(r["path"] for r in records) == ["undated/search-was-down-2.md", "undated/search-was-down.md"]
    again, result = imported(kb, ARCHIVE / "undated-twin-2.md")
    assert result.returncode == 1 and "already imported as undated/search-was-down" in again[0]["error"]
    assert "(the same source)" in again[0]["error"]


def test_json_is_json_lines_one_record_per_source(kb):
    result = kb.cli("import", str(ARCHIVE), "--json")
    lines = result.stdout.strip().split("\n")
    records = [json.loads(line) for line in lines]
    assert len(records) == len([p for p in ARCHIVE.rglob("*") if p.is_file()])
    assert {tuple(sorted(record)) for record in records} == {
        ("error", "found", "kind", "left", "notes", "path", "skipped", "source")
    }
    help_text = kb.cli("import", "--help").stdout
    assert "JSON Lines" in help_text
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    assert "JSON Lines" in readme.split("pmkb import", 1)[1]


def test_archive_flag_writes_unknown_for_unstated_moments(kb):
    [record], _ = imported(kb, ARCHIVE / "collection-entry.md", extra=("--archive",))
    data, _ = read_back(kb, record)
    assert data["timeline"]["detected"] == "unknown" and data["timeline"]["mitigated"] == "unknown"
    assert stamp(data["timeline"]["started"]) == "2022-06-21T06:27:00+00:00"
    assert "timeline.detected" not in record["left"]
    assert kb.cli("lint", "--strict", record["path"]).returncode == 0


def test_an_archive_of_200_without_detection_times_is_published_honestly(kb):
    """History imported with --archive: `detected: unknown` (and for some `started: unknown`) is valid, the
    archive shows in the explorer's index, facet pages and charts, and unknown durations are shown as unknown and
    left out of every statistic."""
    services = ("billing", "search", "auth")
    for index in range(200):
        day = f"{2010 + index % 10}-0{1 + index % 9}-1{index % 9}"
        started = "unknown" if index % 4 == 0 else f"{day}T10:00:00+00:00"
        timeline = {"started": started, "detected": "unknown", "resolved": f"{day}T12:30:00+00:00"}
        kb.add(
            f"{day}-archived-{index:03d}",
            front_matter(
                title=f"Archived incident {index}", date=day, services=[services[index % 3]], timeline=timeline
            ),
        )
    lint = kb.cli("lint", "--format", "json")
    assert lint.returncode == 0 and json.loads(lint.stdout) == [], lint.stdout[:2000]
    site = kb.build()
    unknown_start = (site / "2010/2010-01-10-archived-000/index.html").read_text("utf-8")
    for label in ("Time to detect", "Time to resolve"):
        assert f"{label}</dt><dd>unknown</dd>" in unknown_start
    known_start = (site / "2011/2011-02-11-archived-001/index.html").read_text("utf-8")
    assert "Time to detect</dt><dd>unknown</dd>" in known_start
    assert "Time to resolve</dt><dd>2h 30m</dd>" in known_start
    billing = (site / "services/billing/index.html").read_text("utf-8")
    assert len(set(re.findall(r"Archived incident \d+", billing))) == 67  # every billing incident on its facet page
    assert "median time to resolve 2h 30m" in billing  # from the known ones only
    index = json.loads((site / "search/incidents.json").read_text("utf-8"))
    assert index["rows"] == 200  # every one is in the explorer
    home = (site / "index.html").read_text("utf-8")
    # Only the 150 with a known start are timed; nothing is timed to detect.
    assert re.search(r"<strong>2h 30m</strong>\s*<span>median time to resolve</span>", home)
    assert re.search(r"<strong>—</strong>\s*<span>median time to detect</span>", home)
    assert 'aria-label="Time to resolve, by cause.' in home
    exported = {entry["id"]: entry for entry in json.loads((site / "postmortems.json").read_text("utf-8"))}
    assert exported["2010-01-10-archived-000"]["durations"]["time_to_resolve_seconds"] is None
    assert exported["2011-02-11-archived-001"]["durations"]["time_to_resolve_seconds"] == 9000
    assert exported["2011-02-11-archived-001"]["timeline"]["detected"] is None


def test_unknown_is_the_only_word_a_moment_accepts(kb):
    timeline = {"started": "2024-05-02T09:00:00Z", "detected": "someday", "resolved": "2024-05-02T10:00:00Z"}
    kb.add("2024-05-02-x", front_matter(timeline=timeline))
    findings = json.loads(kb.cli("lint", "--format", "json").stdout)
    assert [f["field"] for f in findings if f["level"] == "error"] == ["timeline.detected"]


def test_a_short_real_report_with_empty_sections_is_still_a_report(kb, tmp_path):
    source = tmp_path / "db-failover.md"
    source.write_text(
        "# Database failover took ten minutes\n\n## Summary\n\nOn 2024-02-03 the primary database failed over and "
        "writes were refused for ten minutes.\n\n## Impact\n\n## Timeline\n\n## Action items\n",
        "utf-8",
    )
    [record], result = imported(kb, source)
    assert result.returncode == 0 and record["skipped"] is None and record["path"], result.stderr


def test_a_file_name_that_is_not_utf8_is_imported_and_the_rest_of_the_folder_too(kb, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    source = (FIXTURES / "confluence-export.html").read_bytes()
    (folder / "a-first.html").write_bytes(source)
    with open(os.fsencode(folder) + b"/b-bad\xffname.html", "wb") as bad:
        bad.write(source.replace(b"<title>", b"<title>Other "))
    (folder / "c-last.html").write_bytes(source.replace(b"<title>", b"<title>Third "))
    records, result = imported(kb, folder)
    assert result.returncode == 0, result.stderr
    assert len(records) == 3 and all(record.get("path") for record in records), records
    assert any("b-bad\ufffdname.html" in json.dumps(record, ensure_ascii=False) for record in records)
