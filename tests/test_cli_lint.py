"""`pmkb lint` as a user runs it: a subprocess, its output and its exit code."""

from __future__ import annotations

import json

import pytest
from conftest import REPO, front_matter, run_pmkb

PID = "2024-05-02-cache-stampede"


def test_clean_kb_exits_0(kb):
    kb.add(PID)
    result = kb.cli("lint")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "0 errors, 0 warnings" in result.stderr


def test_errors_exit_1_in_text_format(kb):
    kb.add(PID, severity="SEV9")
    result = kb.cli("lint")
    assert result.returncode == 1
    line = result.stdout.strip()
    assert line.startswith(f"postmortems/2024/{PID}.md:")
    assert line.endswith("error: severity 'SEV9' is not one of SEV1, SEV2, SEV3, SEV4 [severity]")
    assert "Traceback" not in result.stderr


def test_github_format_is_a_workflow_annotation(kb):
    kb.add(PID, severity="SEV9", tags=["ok"], sevrity=1)
    result = kb.cli("lint", "--format", "github")
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith(f"::warning file=postmortems/2024/{PID}.md,line=") for line in lines)
    assert all(line.startswith(("::error file=", "::warning file=")) for line in lines)
    assert any(
        line.startswith(f"::error file=postmortems/2024/{PID}.md,line=") and ",col=11::severity 'SEV9'" in line
        for line in lines
    )


def test_json_format_is_one_array_of_records(kb):
    kb.add(PID, severity="SEV9")
    result = kb.cli("lint", "--format", "json")
    assert result.returncode == 1
    records = json.loads(result.stdout)
    assert records == [
        {
            "path": f"postmortems/2024/{PID}.md",
            "line": records[0]["line"],
            "column": 11,
            "level": "error",
            "field": "severity",
            "message": "severity 'SEV9' is not one of SEV1, SEV2, SEV3, SEV4",
        }
    ]


def test_json_format_prints_an_empty_array_when_clean(kb):
    kb.add(PID)
    result = kb.cli("lint", "--format", "json")
    assert (result.returncode, json.loads(result.stdout)) == (0, [])


def test_warnings_fail_only_with_strict(kb):
    data = front_matter()
    data["sevrity"] = "x"
    kb.add(PID, data)
    assert kb.cli("lint").returncode == 0
    strict = kb.cli("lint", "--strict")
    assert strict.returncode == 1
    assert "warning: unknown key 'sevrity'" in strict.stdout


def test_overdue_items_are_reported_but_never_fail_strict(kb):
    kb.add(PID, action_items=[{"title": "Fix", "owner": "sre", "status": "open", "due": "2020-01-01"}])
    result = kb.cli("lint", "--strict")
    assert result.returncode == 0
    assert 'warning: overdue: action item 1, "Fix" (sre, open) was due 2020-01-01' in result.stdout


def test_paths_limit_the_report_to_those_files(kb):
    kb.add("2024-05-02-a", severity="SEV9")
    kb.add("2024-05-02-b", severity="SEV8")
    result = kb.cli("lint", "postmortems/2024/2024-05-02-b.md")
    assert result.returncode == 1
    assert "2024-05-02-b.md" in result.stdout and "2024-05-02-a.md" not in result.stdout
    folder = kb.cli("lint", "postmortems/2024")
    assert folder.stdout.count("error:") == 2


def test_missing_path_is_a_usage_error(kb):
    result = kb.cli("lint", "postmortems/nope.md")
    assert result.returncode == 2
    assert "no such file or folder: postmortems/nope.md" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_mkdocs_yml_is_a_usage_error(tmp_path):
    result = run_pmkb("lint", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "pmkb lint: error: no mkdocs.yml found in the current folder (use -f FILE)"


def test_config_file_option(kb, tmp_path):
    kb.add(PID, severity="SEV9")
    result = run_pmkb("lint", "-f", str(kb.config), cwd=tmp_path)
    assert result.returncode == 1 and "SEV9" in result.stdout


def test_bad_option_is_a_usage_error(kb):
    result = kb.cli("lint", "--format", "xml")
    assert result.returncode == 2 and "invalid choice" in result.stderr


@pytest.mark.parametrize("fmt", ["text", "github", "json"])
def test_the_shipped_knowledge_base_lints_clean(fmt):
    result = run_pmkb("lint", "--strict", "--format", fmt, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout.replace('"level": "warning"', "")
