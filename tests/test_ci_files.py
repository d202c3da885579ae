"""What a team runs outside this repository, run for real: a wheel of the checkout installed by name into a fresh
virtual environment, `pmkb init` in a fresh git repository, every `run:` step of the workflow it writes, its
pre-commit hook; and the lint and build commands of that workflow on fixture knowledge bases.

The virtual environments see this one's dependencies through a folder of links (no downloads), but not this
checkout's pmkb, so what runs is the wheel. pip runs with PIP_NO_INDEX=1: nothing comes from a package index.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import site
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import REPO, TODAY, front_matter

HOOKS = REPO / ".pre-commit-hooks.yaml"
SCAFFOLD_WORKFLOW = REPO / "plugins" / "pmkb" / "cli" / "scaffold" / "postmortems.yml"
VERSION = re.search(r'^version = "([^"]+)"$', (REPO / "pyproject.toml").read_text("utf-8"), re.MULTILINE).group(1)

LINT_GITHUB = "pmkb lint --format github"
LINT_CHANGED = "pmkb lint --changed --format github"
BUILD_STRICT = "mkdocs build --strict"
PIP_INSTALL = f'pip install "pmkb=={VERSION}"'

# GitHub's workflow command for an annotation: ::error file={name},line={line},col={col}::{message}
ANNOTATION_RE = re.compile(r"::(error|warning) file=([^,:\r\n]+),line=(\d+),col=(\d+)::([^\r\n]*)")

# The `if:` conditions the workflow may use, evaluated for an event; any other fails the test (nothing is skipped
# because it is not understood). `succeeded` is whether every earlier step succeeded.
CONDITIONS = {
    None: lambda event, succeeded: succeeded,
    "${{ github.event_name == 'pull_request' }}": lambda event, succeeded: succeeded and event == "pull_request",
    "${{ github.event_name != 'pull_request' }}": lambda event, succeeded: succeeded and event != "pull_request",
    "${{ success() || failure() }}": lambda event, succeeded: True,
}
# The actions the workflow uses, and what stands for each here: the checkout is a `git clone` with its history,
# Python is the virtual environment, the cache starts empty, the Pages upload needs the site folder.
ACTIONS = ("actions/checkout", "actions/setup-python", "actions/cache", "actions/upload-pages-artifact")


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text("utf-8"))


def workflow_triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


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


def git(cwd: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=CI", "-c", "user.email=ci@example.com", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


# -- a wheel of this checkout, and virtual environments without this checkout -------------------------------------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """`pip wheel .` of a copy of the sources (so the work tree gets no build folder); built once for the module."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "LICENSE", "README.md"):
        shutil.copy2(REPO / name, source / name)
    (source / "docs").mkdir()
    shutil.copy2(REPO / "docs" / "package.md", source / "docs" / "package.md")
    shutil.copytree(REPO / "plugins", source / "plugins", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    out = tmp_path_factory.mktemp("wheels")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if (
        built.returncode != 0
        and "satisfies the requirement" in built.stdout + built.stderr
        and not os.environ.get("CI")
    ):
        pytest.skip(f"no package index reachable for the build backend: {built.stderr.strip()[-300:]}")
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (path,) = out.glob("pmkb-*.whl")
    return path


@pytest.fixture(scope="module")
def dependencies(tmp_path_factory) -> Path:
    """A folder of links to everything installed here except pmkb itself."""
    folder = tmp_path_factory.mktemp("dependencies")
    for packages in [*site.getsitepackages(), site.getusersitepackages()]:
        if not Path(packages).is_dir():
            continue
        for entry in Path(packages).iterdir():
            name = entry.name.lower()
            if name.startswith(("pmkb", "__editable__", "_outer_environment")) or (folder / entry.name).exists():
                continue
            (folder / entry.name).symlink_to(entry)
    return folder


@dataclass(frozen=True)
class Venv:
    bindir: Path

    @property
    def python(self) -> Path:
        return self.bindir / "python"

    def env(self, **extra: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
        env.update(PATH=os.pathsep.join([str(self.bindir), env.get("PATH", "")]), PIP_NO_INDEX="1")
        env.pop("VIRTUAL_ENV", None)
        env.update(extra)
        return env

    def run(self, command: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess:
        """A shell command as a workflow step runs it (bash, -e, pipefail), this environment first on PATH."""
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command],
            cwd=cwd,
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )


def fresh_venv(path: Path, dependencies: Path) -> Venv:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, capture_output=True, timeout=300)
    venv = Venv(path / "bin")
    purelib = subprocess.run(
        [str(venv.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "_outer_environment.pth").write_text(f"{dependencies}\n", "utf-8")
    # The dependencies' commands, which pip writes when it installs them (it finds them installed here).
    for command, module in (("mkdocs", "mkdocs"), ("pre-commit", "pre_commit")):
        if (dependencies / module).is_dir():
            script = venv.bindir / command
            script.write_text(f'#!/bin/sh\nexec "{venv.python}" -m {module} "$@"\n', "utf-8")
            script.chmod(0o755)
    return venv


@pytest.fixture(scope="module")
def team(tmp_path_factory, wheel, dependencies):
    """What the README tells a new team to do: pmkb installed by name, a fresh git repository, `pmkb init`, the
    wheel in wheels/ for CI, one commit."""
    root = tmp_path_factory.mktemp("team")
    venv = fresh_venv(root / "venv", dependencies)
    installed = venv.run("pip install pmkb", root, PIP_FIND_LINKS=str(wheel.parent))
    assert installed.returncode == 0, installed.stdout + installed.stderr
    repo = root / "our-postmortems"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    init = venv.run("pmkb init", repo)
    assert init.returncode == 0, init.stderr
    (repo / "wheels").mkdir()
    shutil.copy2(wheel, repo / "wheels" / wheel.name)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pmkb init")
    return venv, repo


# -- the package ----------------------------------------------------------------------------------------------------


def test_wheel_holds_templates_assets_taxonomy_scaffold_and_license(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "pmkb/core/default_taxonomy.yml",
        "pmkb/mkdocs_plugin/templates/pmkb/postmortem.html",
        "pmkb/mkdocs_plugin/templates/assets/stylesheets/pmkb.css",
        "pmkb/mkdocs_plugin/templates/assets/javascripts/pmkb/search.js",
        "pmkb/cli/scaffold/postmortems.yml",
        "pmkb/cli/scaffold/mkdocs.yml",
        f"pmkb-{VERSION}.dist-info/licenses/LICENSE",
    ):
        assert needed in names, needed
    sources = {p.relative_to(REPO / "plugins").as_posix() for p in (REPO / "plugins/pmkb").rglob("*") if p.is_file()}
    shipped = {s for s in sources if "__pycache__" not in s and not s.endswith(".pyc")}
    assert shipped <= names, sorted(shipped - names)  # every file of the package, data included
    metadata = zipfile.ZipFile(wheel).read(f"pmkb-{VERSION}.dist-info/METADATA").decode("utf-8")
    assert "Description-Content-Type: text/markdown" in metadata
    description = metadata.split("\n\n", 1)[1]
    assert "pmkb init" in description
    # A package index shows the description without the repository: no relative links or pictures.
    assert not re.search(r"\]\((?!https?://)[^)]*\)", description), description


def test_readme_install_gives_the_wheel_not_this_checkout(team):
    venv, repo = team
    where = venv.run('python -c "import pmkb; print(pmkb.__file__)"', repo)
    assert Path(where.stdout.strip()).resolve().is_relative_to(venv.bindir.parent.resolve()), where.stdout
    version = venv.run("pmkb --version", repo)
    assert version.stdout.strip() == f"pmkb {VERSION}"


def test_a_new_team_builds_writes_lints_and_keeps_git_clean(team, tmp_path):
    venv, origin = team
    repo = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(repo))
    build = venv.run(BUILD_STRICT, repo)
    assert build.returncode == 0, build.stderr[-3000:]
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    new = venv.run('pmkb new "Queue backlog delays e-mails" --service mailer', repo)
    assert new.returncode == 0, new.stderr
    assert new.stdout.strip() == f"postmortems/{TODAY[:4]}/{TODAY}-queue-backlog-delays-e-mails.md"
    lint = venv.run("pmkb lint --strict", repo)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "0 errors, 0 warnings (2 postmortems checked)" in lint.stderr
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    again = venv.run("pmkb init", repo)
    assert again.returncode == 1 and again.stderr.count("\n") == 1, again.stderr
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts} == before
    config = repo / "mkdocs.yml"
    config.write_text(config.read_text("utf-8").replace("name: material", "name: readthedocs", 1), "utf-8")
    other_theme = venv.run(BUILD_STRICT, repo)
    assert other_theme.returncode == 1 and "Traceback" not in other_theme.stderr
    assert "pmkb needs the Material theme: set `theme: material`" in other_theme.stderr


def test_the_pre_commit_hook_of_init_checks_staged_postmortems(team, tmp_path):
    venv, origin = team
    repo = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(repo))
    (hook,) = load_yaml(repo / ".pre-commit-config.yaml")["repos"][0]["hooks"]
    assert load_yaml(repo / ".pre-commit-config.yaml")["repos"][0]["repo"] == "local"
    assert (hook["id"], hook["entry"], hook["language"]) == ("pmkb-lint", "pmkb lint", "system")
    bad = repo / "postmortems" / "2026" / "2026-11-20-bad.md"
    bad.write_text("---\n" + yaml.safe_dump(front_matter(date="2026-11-20", severity="SEV9")) + "---\n", "utf-8")
    git(repo, "add", "-A")
    staged = git(repo, "diff", "--cached", "--name-only").split()
    files = re.compile(hook["files"])
    assert [name for name in staged if files.search(name)] == ["postmortems/2026/2026-11-20-bad.md"]
    if shutil.which("pre-commit", path=str(venv.bindir)) or shutil.which("pre-commit"):
        result = venv.run("pre-commit run", repo)  # the staged files, as a commit would
    else:
        # What pre-commit runs: the entry followed by the staged files that match `files`.
        result = venv.run(f"{hook['entry']} {' '.join(shlex.quote(n) for n in staged if files.search(n))}", repo)
    assert result.returncode == 1
    assert "severity 'SEV9' is not one of SEV1, SEV2, SEV3, SEV4" in result.stdout


# -- the workflow `pmkb init` writes, every step run in a scratch team repository -------------------------------------


def run_workflow(
    venv: Venv, repo: Path, event: str, env: dict[str, str]
) -> list[tuple[str, subprocess.CompletedProcess]]:
    """Run the `check` job for `event` as GitHub would: each step in order, its `if:` evaluated, its `run:` in bash
    with the step's `env:`. Returns each run step's name and result."""
    workflow = load_yaml(repo / ".github" / "workflows" / "postmortems.yml")
    job = workflow["jobs"]["check"]
    results = []
    succeeded = True
    for step in job["steps"]:
        condition = step.get("if")
        assert condition in CONDITIONS, f"the test cannot evaluate `if: {condition}`: teach it"
        if not CONDITIONS[condition](event, succeeded):
            continue
        if "uses" in step:
            action = step["uses"].split("@")[0]
            assert action in ACTIONS, f"the test does not know what {step['uses']} does: teach it"
            if action == "actions/upload-pages-artifact":
                assert (repo / step["with"]["path"] / "index.html").is_file()
            continue
        result = venv.run(step["run"], repo, **env, **{k: str(v) for k, v in step.get("env", {}).items()})
        results.append((step.get("name", step["run"]), result))
        succeeded = succeeded and result.returncode == 0
    return results


def test_workflow_of_init_on_a_pull_request_and_on_the_default_branch(team, tmp_path, dependencies):
    _, origin = team
    for event in ("pull_request", "push"):
        runner = fresh_venv(tmp_path / f"runner-{event}", dependencies)  # pmkb not installed yet: the steps do it
        repo = tmp_path / event
        git(tmp_path, "clone", "-q", str(origin), str(repo))
        env = {}
        if event == "pull_request":
            git(repo, "switch", "-q", "-c", "postmortem/mailer")
            postmortem = repo / "postmortems" / "2026" / "2026-11-20-mailer.md"
            data = front_matter(date="2026-11-20", status="in-review", sevrity="SEV2")
            data["timeline"] = {"started": "2026-11-20T09:00:00Z", "detected": "2026-11-20T09:05:00Z"}
            postmortem.write_text("---\n" + yaml.safe_dump(data, sort_keys=False) + "---\n\n## Summary\n\nX.\n")
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "a postmortem with a typo")
            env["GITHUB_BASE_REF"] = "main"
        results = run_workflow(runner, repo, event, env)
        names = [name for name, _ in results]
        lint = "Lint the postmortems this pull request changes" if event == "pull_request" else "Lint postmortems"
        expected = ["Install pmkb (with MkDocs and Material)", lint, "Build the site (strict)"]
        if event == "push":
            expected.append("Check that the site has pmkb's pages")
        assert names == expected  # on the pull request, the failed strict build stops the job
        outcome = dict(results)
        install = outcome["Install pmkb (with MkDocs and Material)"]
        assert install.returncode == 0, install.stdout + install.stderr
        assert f"pmkb-{VERSION}" in install.stdout  # from wheels/, by name and version
        if event == "pull_request":
            # The typo is a warning: an annotation on its line, and the strict build fails on it.
            assert outcome[lint].returncode == 0, outcome[lint].stderr
            (annotation,) = outcome[lint].stdout.splitlines()
            assert annotation.startswith("::warning file=postmortems/2026/2026-11-20-mailer.md,line=")
            assert "unknown key 'sevrity'" in annotation
            assert outcome["Build the site (strict)"].returncode == 1
        else:
            for name, result in results:
                assert result.returncode == 0, (name, result.stdout[-2000:] + result.stderr[-2000:])
            assert outcome[lint].stdout == ""


def test_workflow_refuses_a_site_without_pmkbs_pages(team, tmp_path):
    """What a generator that ignores the plugin would leave: pages, but none of pmkb's. The check step fails."""
    venv, origin = team
    workflow = load_yaml(origin / ".github" / "workflows" / "postmortems.yml")
    (check,) = [
        s for s in workflow["jobs"]["check"]["steps"] if s.get("name") == "Check that the site has pmkb's pages"
    ]
    repo = tmp_path / "repo"
    git(tmp_path, "clone", "-q", str(origin), str(repo))
    build = venv.run(BUILD_STRICT, repo)
    assert build.returncode == 0, build.stderr[-2000:]
    assert venv.run(check["run"], repo).returncode == 0
    for page in ("search/index.html", "postmortems.json"):
        saved = (repo / "site" / page).read_bytes()
        (repo / "site" / page).unlink()
        refused = venv.run(check["run"], repo)
        assert refused.returncode == 1
        assert refused.stdout.startswith(f"::error::site/{page} is missing: the site was not built by MkDocs with the")
        (repo / "site" / page).write_bytes(saved)


def test_workflow_of_init_structure():
    """Pull requests are checked, the default branch published; the cache is restored before the build."""
    workflow = load_yaml(SCAFFOLD_WORKFLOW)
    triggers = workflow_triggers(workflow)
    assert "pull_request" in triggers and "push" in triggers
    assert workflow["permissions"] == {"contents": "read"}
    check = workflow["jobs"]["check"]
    assert "default_branch" in check["if"] and "pull_request" in check["if"]
    runs = [step["run"] for step in check["steps"] if step.get("run")]
    assert runs[:4] == ['pip install "pmkb==__VERSION__"', LINT_CHANGED, LINT_GITHUB, BUILD_STRICT]
    assert "pip install ." not in SCAFFOLD_WORKFLOW.read_text("utf-8")
    checkout = next(step for step in check["steps"] if str(step.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # --changed needs the history to find the merge base
    build_step = next(step for step in check["steps"] if step.get("run") == BUILD_STRICT)
    assert "failure()" in build_step["if"]  # the build still runs when lint fails, so both report
    (cache,) = [step for step in check["steps"] if str(step.get("uses", "")).startswith("actions/cache@")]
    assert check["steps"].index(cache) == check["steps"].index(build_step) - 1
    assert cache["with"] == {
        "path": ".cache/pmkb",
        "key": "pmkb-${{ runner.os }}-${{ github.sha }}",
        "restore-keys": "pmkb-${{ runner.os }}-",
    }
    upload = next(step for step in check["steps"] if str(step.get("uses", "")).startswith("actions/upload-pages"))
    assert check["steps"].index(upload) == len(check["steps"]) - 1  # after the check of pmkb's pages
    assert upload["with"]["path"] == "site"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "check" and "pull_request" in deploy["if"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert [step["uses"].split("@")[0] for step in deploy["steps"]] == ["actions/deploy-pages"]


def test_this_repositorys_own_workflows_are_not_a_teams():
    """This repository's CI runs its tests; the refresh of pinned versions needs its scripts. Neither is what a
    team copies, and neither builds this repository as if it were a team's knowledge base."""
    workflows = {path.name: path.read_text("utf-8") for path in (REPO / ".github" / "workflows").glob("*.yml")}
    assert set(workflows) == {"ci.yml", "upstream.yml"}
    assert "./scripts/test" in workflows["ci.yml"]
    assert "./scripts/refresh-constraints" in workflows["upstream.yml"]
    for text in workflows.values():
        assert "pip install ." not in text


# -- lint and build, as the workflow runs them, on fixture knowledge bases --------------------------------------------


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
    kb = tmp_path / "kb"
    kb.mkdir()
    shutil.copy2(REPO / "mkdocs.yml", kb / "mkdocs.yml")
    shutil.copytree(REPO / "postmortems", kb / "postmortems")
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
