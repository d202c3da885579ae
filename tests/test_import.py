"""`pmkb import`: real documents in, drafts out, read back and linted with the real CLI as a subprocess."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
import yaml

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
needs_seeds = pytest.mark.skipif(
    not SEEDS.is_dir(), reason=f"the seed documents are not part of this repository ({SEEDS} is absent)"
)


def imported(kb, *paths: str | Path, extra: tuple[str, ...] = ()) -> tuple[list[dict], object]:
    result = kb.cli("import", *map(str, paths), *extra, "--json")
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout), result


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
