"""`pmkb lint --changed [REF]` inside a temporary git repository with two commits."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

OLD_TIMELINE = {
    "started": "2019-03-25T09:00:00Z",
    "detected": "2019-03-25T09:10:00Z",
    "resolved": "2019-03-25T10:00:00Z",
}
OVERDUE = [{"title": "Old follow-up", "owner": "sre", "status": "open", "due": "2019-05-01"}]


def git(cwd: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(kb, monkeypatch):
    """main: two old postmortems (one with an overdue item); branch `pm`: a second commit that adds one."""
    monkeypatch.delenv("GITHUB_BASE_REF", raising=False)
    kb.add("2019-03-25-old", date="2019-03-25", timeline=OLD_TIMELINE, action_items=OVERDUE)
    kb.add(
        "2019-03-26-other", date="2019-03-26", timeline={k: v.replace("25T", "26T") for k, v in OLD_TIMELINE.items()}
    )
    git(kb.root, "init", "-q", "-b", "main")
    git(kb.root, "add", "-A")
    git(kb.root, "commit", "-q", "-m", "first")
    git(kb.root, "switch", "-q", "-c", "pm")
    kb.add("2024-05-02-new", related=["2019-03-25-old", "2019-03-25-olld"], sevrity="SEV2")
    git(kb.root, "add", "-A")
    git(kb.root, "commit", "-q", "-m", "second")
    return kb


def lint(kb, *args: str):
    result = kb.cli("lint", *args)
    assert "Traceback" not in result.stderr
    return result


def test_changed_files_in_full_others_as_one_summary_line(repo):
    result = lint(repo, "--changed")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    new = "postmortems/2024/2024-05-02-new.md"
    assert [line.split(": ", 2)[1] for line in lines] == ["error", "warning"]
    assert all(line.startswith(new + ":") for line in lines)
    # Cross-file rules see the whole knowledge base: the existing id is fine, the typo is caught and corrected.
    assert (
        "related '2019-03-25-olld' names no postmortem in the knowledge base; did you mean '2019-03-25-old'?"
        in (lines[0])
    )
    assert "unknown key 'sevrity'" in lines[1]
    stderr = result.stderr.splitlines()
    assert stderr == [
        "pmkb lint: 1 warning (1 overdue action item, see pmkb actions --overdue) in 1 unchanged file not shown",
        "pmkb lint: 1 error, 1 warning (3 postmortems checked)",
    ]
    # Without --changed, everything as before.
    assert "Old follow-up" in lint(repo).stdout


def test_an_explicit_ref_and_uncommitted_and_untracked_files(repo):
    # Nothing changed since the last commit: only errors are shown (the knowledge base must stay valid), no warning.
    committed = lint(repo, "--changed", "HEAD")
    assert [line.split(": ")[1] for line in committed.stdout.splitlines()] == ["error"]
    repo.add(
        "2024-05-03-draft",
        date="2024-05-03",
        tags=["Bad Tag"],
        sevrity="SEV2",
        timeline={
            "started": "2024-05-03T09:00:00Z",
            "detected": "2024-05-03T09:10:00Z",
            "resolved": "2024-05-03T10:00:00Z",
        },
    )  # untracked
    result = lint(repo, "--changed", "HEAD", "--format", "json")
    assert result.returncode == 1
    found = [(d["path"].rsplit("/", 1)[1], d["level"]) for d in json.loads(result.stdout)]
    assert found == [
        ("2024-05-03-draft.md", "error"),
        ("2024-05-03-draft.md", "warning"),
        ("2024-05-02-new.md", "error"),
    ]
    assert lint(repo, "--changed", "main").stdout.count("2024-05-02-new.md") == 2


def test_errors_a_change_causes_in_untouched_files_are_reported_after_the_authors_own(repo):
    """Deleting a postmortem that another relates to breaks the other file, which the change did not touch."""
    git(repo.root, "switch", "-q", "main")
    repo.add(
        "2019-03-25-old", date="2019-03-25", timeline=OLD_TIMELINE, action_items=OVERDUE, related=["2019-03-26-other"]
    )
    git(repo.root, "commit", "-q", "-am", "relate old to other")
    git(repo.root, "switch", "-q", "pm")
    git(repo.root, "merge", "-q", "--no-edit", "main")
    (repo.docs / "2019" / "2019-03-26-other.md").unlink()
    result = lint(repo, "--changed", "--format", "github")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [line.split(" file=")[1].split(",")[0] for line in lines] == [
        "postmortems/2024/2024-05-02-new.md",  # the author's own first, in full
        "postmortems/2024/2024-05-02-new.md",
        "postmortems/2019/2019-03-25-old.md",  # then the error the change caused elsewhere
    ]
    assert "related '2019-03-26-other' names no postmortem" in lines[2]
    assert "1 overdue action item" in result.stderr


def test_outside_a_git_repository_one_line_exit_2(kb):
    kb.add("2024-05-02-fine")
    result = lint(kb, "--changed")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"pmkb lint: error: --changed needs a git repository, and {kb.root.resolve()} is not in one"
    ]


def test_an_unknown_ref_is_one_line_exit_2(repo):
    result = lint(repo, "--changed", "no-such-branch")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "pmkb lint: error: --changed: 'no-such-branch' is not a commit of this repository"
    ]
    hostile = lint(repo, "--changed=--output=/tmp/x")
    assert hostile.returncode == 2 and "is not a commit" in hostile.stderr
