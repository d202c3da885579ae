"""The CI workflow and the pre-commit hook: their structure, and every command in them, run for real.

The workflow cannot run here, so each shell command in it must be one that these tests execute: `pip install .`
(into a throwaway virtual environment), `pmkb lint --format github` and `mkdocs build --strict` (on fixture
knowledge bases and on this repository's own content).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, front_matter

WORKFLOW = REPO / ".github" / "workflows" / "postmortems.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"

PIP_INSTALL = "pip install ."
LINT_GITHUB = "pmkb lint --format github"
LINT_CHANGED = "pmkb lint --changed --format github"
BUILD_STRICT = "mkdocs build --strict"
# Every `run:` command of the workflow must be one of these, and each of these is executed below.
TESTED_COMMANDS = (PIP_INSTALL, LINT_CHANGED, LINT_GITHUB, BUILD_STRICT)

# GitHub's workflow command for an annotation: ::error file={name},line={line},col={col}::{message}
ANNOTATION_RE = re.compile(r"::(error|warning) file=([^,:\r\n]+),line=(\d+),col=(\d+)::([^\r\n]*)")


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text("utf-8"))


def workflow_triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def workflow_run_commands(workflow: dict) -> list[str]:
    commands = []
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            for line in str(step.get("run", "")).splitlines():
                if line.strip() and not line.strip().startswith("#"):
                    commands.append(line.strip())
    return commands


def run_command(command: str, cwd: Path, *, path_first: Path | None = None) -> subprocess.CompletedProcess:
    """Run a workflow command as CI would: its words as written, found on PATH (this interpreter's first)."""
    env = dict(os.environ)
    bins = [str(path_first)] if path_first else []
    bins.append(str(Path(sys.executable).parent))
    env["PATH"] = os.pathsep.join([*bins, env.get("PATH", "")])
    argv = shlex.split(command)
    executable = shutil.which(argv[0], path=env["PATH"])
    assert executable, f"{argv[0]} is not installed"
    return subprocess.run(
        [executable, *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def copy_site_sources(destination: Path) -> Path:
    """This repository's knowledge base (what CI builds on the default branch), copied so a build leaves no trace."""
    destination.mkdir(parents=True)
    shutil.copy2(REPO / "mkdocs.yml", destination / "mkdocs.yml")
    shutil.copytree(REPO / "postmortems", destination / "postmortems")
    return destination


# -- the workflow ----------------------------------------------------------------------------------------------------


def test_every_workflow_command_is_one_the_tests_run():
    commands = workflow_run_commands(load_yaml(WORKFLOW))
    assert commands, "the workflow runs nothing"
    untested = [command for command in commands if command not in TESTED_COMMANDS]
    assert untested == [], f"add a test that runs these, then list them in TESTED_COMMANDS: {untested}"
    assert set(commands) == set(TESTED_COMMANDS)


def test_workflow_checks_pull_requests_and_publishes_the_default_branch():
    workflow = load_yaml(WORKFLOW)
    triggers = workflow_triggers(workflow)
    assert "pull_request" in triggers and "push" in triggers
    assert workflow["permissions"] == {"contents": "read"}

    check = workflow["jobs"]["check"]
    assert "default_branch" in check["if"] and "pull_request" in check["if"]
    runs = [step.get("run") for step in check["steps"] if step.get("run")]
    # Install, lint (annotations: a pull request's own files in full, everything on the default branch), then build.
    assert runs == [PIP_INSTALL, LINT_CHANGED, LINT_GITHUB, BUILD_STRICT]
    lint_pr, lint_all = (next(step for step in check["steps"] if step.get("run") == run) for run in runs[1:3])
    assert lint_pr["if"] == "${{ github.event_name == 'pull_request' }}"
    assert lint_all["if"] == "${{ github.event_name != 'pull_request' }}"
    checkout = next(step for step in check["steps"] if str(step.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # --changed needs the history to find the merge base
    build_step = next(step for step in check["steps"] if step.get("run") == BUILD_STRICT)
    assert "failure()" in build_step["if"]  # the build still runs when lint fails, so both report
    # pmkb's cache is restored before the build, from the newest earlier commit's (tests/test_reproducible.py shows
    # that any earlier cache gives the same site as none).
    (cache,) = [step for step in check["steps"] if str(step.get("uses", "")).startswith("actions/cache@")]
    assert check["steps"].index(cache) == check["steps"].index(build_step) - 1
    assert cache["if"] == build_step["if"]
    assert cache["with"]["path"] == ".cache/pmkb"
    assert cache["with"]["key"] == "pmkb-${{ runner.os }}-${{ github.sha }}"
    assert cache["with"]["restore-keys"] == "pmkb-${{ runner.os }}-"
    upload = next(step for step in check["steps"] if str(step.get("uses", "")).startswith("actions/upload-pages"))
    assert upload["with"]["path"] == (load_yaml(REPO / "mkdocs.yml").get("site_dir") or "site")
    assert "pull_request" in upload["if"]

    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "check"
    assert "pull_request" in deploy["if"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert [step["uses"].split("@")[0] for step in deploy["steps"]] == ["actions/deploy-pages"]
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"


def test_pip_install_dot_installs_a_working_pmkb(tmp_path):
    """`pip install .` into a throwaway virtual environment that sees this one's dependencies (no downloads for
    them), from a copy of the sources so the work tree gets no build folders."""
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy2(REPO / "pyproject.toml", source / "pyproject.toml")
    readme = REPO / "README.md"
    (source / "README.md").write_text(readme.read_text("utf-8") if readme.exists() else "# pmkb\n", "utf-8")
    shutil.copytree(REPO / "plugins", source / "plugins", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    outer = [p for p in [*site.getsitepackages(), site.getusersitepackages()] if Path(p).is_dir()]
    Path(purelib, "_outer_environment.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in outer) + "\n", "utf-8"
    )

    installed = run_command(PIP_INSTALL, source, path_first=bindir)
    if installed.returncode != 0 and "satisfies the requirement" in installed.stdout + installed.stderr:
        pytest.skip(f"no package index reachable for the build backend: {installed.stderr.strip()[-300:]}")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    where = subprocess.run(
        [str(python), "-c", "import pmkb; print(pmkb.__file__)"], capture_output=True, text=True, check=True
    ).stdout
    assert Path(where).resolve().is_relative_to(venv.resolve()), where  # the installed copy, not the work tree

    kb = copy_site_sources(tmp_path / "kb")
    lint = run_command(LINT_GITHUB, kb, path_first=bindir)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "postmortems checked" in lint.stderr  # the installed package found its built-in taxonomy


def test_lint_github_format_on_this_repository():
    result = run_command(LINT_GITHUB, REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    for line in result.stdout.splitlines():
        assert ANNOTATION_RE.fullmatch(line), line


def test_lint_github_format_matches_githubs_annotation_syntax_exactly(kb):
    data = front_matter(severity="SEV9", services=["50%-off"])
    data["sevrity"] = "SEV2"
    kb.add("2024-05-02-bad", data)
    kb.write("2024/2024-05-02-comma,colon:name.md", "no front matter here\n")
    result = run_command(LINT_GITHUB, kb.root)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    for line in lines:
        assert ANNOTATION_RE.fullmatch(line), line
    path = "postmortems/2024/2024-05-02-bad.md"
    assert (
        f"::error file={path},line=5,col=11::severity 'SEV9' is not one of SEV1, SEV2, SEV3, SEV4 [severity]" in lines
    )
    assert (
        f"::error file={path},line=9,col=3::service '50%25-off' is not a slug (lowercase a-z, 0-9, -); "
        "try '50-off' [services.0]"
    ) in lines
    (unknown,) = [line for line in lines if line.startswith(f"::warning file={path},")]
    assert re.fullmatch(
        rf"::warning file={path},line=\d+,col=1::unknown key 'sevrity'; did you mean 'severity'\? \[sevrity\]", unknown
    )
    # Property values escape ',' and ':' (and '%'), so the file name cannot end the properties early.
    odd = "postmortems/2024/2024-05-02-comma%2Ccolon%3Aname.md"
    assert any(line.startswith(f"::error file={odd},line=1,col=1::") for line in lines), lines
    assert "pmkb lint:" in result.stderr  # the summary is not an annotation


def git(cwd: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=CI", "-c", "user.email=ci@example.com", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_lint_changed_in_a_pull_request_checkout(kb, monkeypatch):
    """What CI runs on a pull request: the target branch (GITHUB_BASE_REF) is main, HEAD is the branch."""
    kb.add(
        "2019-03-25-old",
        date="2019-03-25",
        timeline={
            "started": "2019-03-25T09:00:00Z",
            "detected": "2019-03-25T09:10:00Z",
            "resolved": "2019-03-25T10:00:00Z",
        },
        action_items=[{"title": "Old follow-up", "owner": "sre", "status": "open", "due": "2019-05-01"}],
    )
    git(kb.root, "init", "-q", "-b", "main")
    git(kb.root, "add", "-A")
    git(kb.root, "commit", "-q", "-m", "the knowledge base")
    git(kb.root, "switch", "-q", "-c", "postmortem/new")
    kb.add("2024-05-02-new", severity="SEV9")
    git(kb.root, "add", "-A")
    git(kb.root, "commit", "-q", "-m", "a new postmortem")
    monkeypatch.setenv("GITHUB_BASE_REF", "main")
    result = run_command(LINT_CHANGED, kb.root)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and ANNOTATION_RE.fullmatch(lines[0])
    assert lines[0].startswith("::error file=postmortems/2024/2024-05-02-new.md,line=")
    assert (
        "1 warning (1 overdue action item, see pmkb actions --overdue) in 1 unchanged file not shown" in result.stderr
    )


def test_lint_changed_outside_a_git_repository_is_one_line(kb):
    kb.add("2024-05-02-fine")
    result = run_command(LINT_CHANGED, kb.root)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0
    assert "needs a git repository" in result.stderr


def test_lint_github_format_is_empty_when_clean(kb):
    kb.add("2024-05-02-fine")
    result = run_command(LINT_GITHUB, kb.root)
    assert result.returncode == 0
    assert result.stdout == ""


def test_strict_build_of_this_repository(tmp_path):
    kb = copy_site_sources(tmp_path / "kb")
    result = run_command(BUILD_STRICT, kb)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (kb / "site" / "index.html").is_file()
    assert (kb / "site" / "action-items.json").is_file()


def test_strict_build_fails_on_an_invalid_postmortem(kb):
    kb.add("2024-05-02-bad", severity="SEV9")
    result = run_command(BUILD_STRICT, kb.root)
    assert result.returncode == 1
    assert "severity 'SEV9' is not one of" in result.stderr


def test_strict_build_fails_on_a_warning(kb):
    kb.add("2024-05-02-typo", sevrity="SEV2")
    result = run_command(BUILD_STRICT, kb.root)
    assert result.returncode == 1
    assert "unknown key 'sevrity'" in result.stderr


# -- the pre-commit hook ---------------------------------------------------------------------------------------------


def test_pre_commit_hook_definition():
    hooks = load_yaml(HOOKS)
    assert isinstance(hooks, list)
    (hook,) = [h for h in hooks if h["id"] == "pmkb-lint"]
    assert hook["language"] == "python"
    assert hook["entry"] == "pmkb lint"
    assert hook["pass_filenames"] is True
    for key in ("id", "name", "entry", "language"):  # what pre-commit requires
        assert isinstance(hook[key], str) and hook[key]
    files = re.compile(hook["files"])  # pre-commit matches with Python's re.search on the repo-relative path
    assert files.search("postmortems/2024/2024-05-02-cache-stampede.md")
    assert files.search("postmortems/runbooks/deploy.md")  # passed, and pmkb lint knows it is a page
    assert not files.search("docs/2024/x.md")
    assert not files.search("postmortems/2024/notes.txt")
    assert not files.search("other/postmortems/x.md")
    pyproject = (REPO / "pyproject.toml").read_text("utf-8")
    assert re.search(r'^pmkb = "pmkb\.cli\.main:main"$', pyproject, re.MULTILINE)  # the entry's console script


def test_pre_commit_entry_with_filenames(kb):
    """What pre-commit runs: the entry followed by the staged files that match `files`."""
    hook = next(h for h in load_yaml(HOOKS) if h["id"] == "pmkb-lint")
    good = kb.add("2024-05-02-good")
    bad = kb.add("2024-05-03-bad", date="2024-05-03", severity="SEV9")
    kb.write("runbooks/deploy.md", "# Deploy\n")
    files = re.compile(hook["files"])
    staged = [p.relative_to(kb.root).as_posix() for p in (good, kb.docs / "runbooks" / "deploy.md")]
    assert all(files.search(name) for name in staged)

    ok = run_command(f"{hook['entry']} {' '.join(staged)}", kb.root)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    failing = run_command(f"{hook['entry']} {bad.relative_to(kb.root).as_posix()}", kb.root)
    assert failing.returncode == 1
    assert "severity 'SEV9'" in failing.stdout
