"""`pmkb init`: a new team's repository that builds strict, lints clean, ignores what a build writes and is never
overwritten."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import run_pmkb
from pmkb.core.options import Options, options_from_mapping

SCAFFOLD = {
    "mkdocs.yml",
    "postmortems/index.md",
    "postmortems/2026/2026-11-14-example-checkout-errors-after-a-feature-flag-change.md",
    ".gitignore",
    ".github/workflows/postmortems.yml",
    ".pre-commit-config.yaml",
    "README.md",
}


def mkdocs(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )


def git(cwd: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=CI", "-c", "user.email=ci@example.com", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


def files_under(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def test_init_writes_a_knowledge_base_that_builds_strict_lints_clean_and_leaves_git_clean(tmp_path):
    repo = tmp_path / "team"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    result = run_pmkb("init", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert set(files_under(repo)) == SCAFFOLD
    assert all(f"  {name}" in result.stdout.splitlines() for name in SCAFFOLD)

    lint = run_pmkb("lint", "--strict", cwd=repo)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "0 errors, 0 warnings (1 postmortems checked)" in lint.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pmkb init")
    build = mkdocs("build", "--strict", cwd=repo)
    assert build.returncode == 0, build.stderr[-3000:]
    site = repo / "site"
    for page in ("index.html", "search/index.html", "action-items/index.html", "postmortems.json", "guide/index.html"):
        assert (site / page).is_file(), page
    example = site / "2026/2026-11-14-example-checkout-errors-after-a-feature-flag-change/index.html"
    assert "Example: checkout errors after a feature-flag change" in example.read_text("utf-8")
    # No request to a font CDN: Material's default would add one to every page.
    assert "fonts.googleapis.com" not in (site / "index.html").read_text("utf-8")
    assert (repo / ".cache" / "pmkb").is_dir()
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_init_never_overwrites_and_writes_nothing_when_one_file_exists(tmp_path):
    repo = tmp_path / "team"
    assert run_pmkb("init", str(repo), cwd=tmp_path).returncode == 0
    (repo / "README.md").unlink()
    (repo / "mkdocs.yml").write_text("site_name: Ours\n", "utf-8")
    before = files_under(repo)
    again = run_pmkb("init", str(repo), cwd=tmp_path)
    assert again.returncode == 1
    assert again.stdout == ""
    assert again.stderr.count("\n") == 1, again.stderr
    assert "mkdocs.yml already exists (and 5 more); nothing was written (--force replaces them)" in again.stderr
    assert files_under(repo) == before  # README.md not written back, mkdocs.yml untouched

    forced = run_pmkb("init", str(repo), "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert set(files_under(repo)) == SCAFFOLD
    assert "pmkb:" in (repo / "mkdocs.yml").read_text("utf-8")


def test_init_into_an_existing_mkdocs_yml_only_is_refused(tmp_path):
    (tmp_path / "mkdocs.yml").write_text("site_name: Docs\n", "utf-8")
    result = run_pmkb("init", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("pmkb init: error: mkdocs.yml already exists; nothing was written")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mkdocs.yml"]


def test_init_name_and_content_dir(tmp_path):
    name = 'Ops: "incidents" & #lessons'
    result = run_pmkb("init", "kb", "--name", name, "--content-dir", "docs/postmortems/", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    repo = tmp_path / "kb"
    config = yaml.safe_load((repo / "mkdocs.yml").read_text("utf-8"))
    assert config["site_name"] == name
    assert config["docs_dir"] == "docs/postmortems"
    assert (repo / "docs/postmortems/index.md").read_text("utf-8").startswith(f"# {name}\n")
    hooks = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text("utf-8"))
    (hook,) = hooks["repos"][0]["hooks"]
    files = re.compile(hook["files"])
    assert files.search("docs/postmortems/2026/2026-11-14-x.md")
    assert not files.search("postmortems/2026/2026-11-14-x.md")
    lint = run_pmkb("lint", "--strict", cwd=repo)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_init_refuses_bad_options_and_writes_nothing(tmp_path):
    for args, message in (
        (["--content-dir", "../outside"], "--content-dir must be a folder inside the repository"),
        (["--content-dir", "/abs"], None),
        (["--name", "   "], "--name must be one line"),
    ):
        result = run_pmkb("init", "kb", *args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        if message:
            assert message in result.stderr
        assert not (tmp_path / "kb").exists()
    (tmp_path / "file").write_text("x", "utf-8")
    result = run_pmkb("init", "file", cwd=tmp_path)
    assert result.returncode == 2 and "is not a folder" in result.stderr
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / ".github").write_text("not a folder", "utf-8")
    result = run_pmkb("init", "kb", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "kb/.github is a file where a folder must go; nothing was written" in result.stderr
    assert [p.name for p in (tmp_path / "kb").iterdir()] == [".github"]


def test_every_plugin_option_is_described_and_commented_at_its_default(tmp_path):
    assert run_pmkb("init", cwd=tmp_path).returncode == 0
    text = (tmp_path / "mkdocs.yml").read_text("utf-8")
    commented = {}
    for option in dataclasses.fields(Options):
        match = re.search(rf"^      # {option.name}:(.*)$", text, re.MULTILINE)
        assert match, f"option {option.name} is not in mkdocs.yml"
        commented[option.name] = yaml.safe_load(match.group(1).strip())
        first_words = " ".join(option.metadata["doc"].split()[:4])
        assert first_words in " ".join(text.split()), option.name
    commented.pop("taxonomy")  # a file name to write, not the default
    assert commented.pop("fields") is None  # an example to copy follows it, not the default
    assert options_from_mapping(commented) == Options()
    config = yaml.safe_load(text)
    assert config["plugins"] == [{"pmkb": None}]  # every option left at its default
    assert config["theme"]["name"] == "material" and config["theme"]["font"] is False


def test_the_commented_fields_example_works_once_uncommented(tmp_path):
    assert run_pmkb("init", cwd=tmp_path).returncode == 0
    config = tmp_path / "mkdocs.yml"
    lines = config.read_text("utf-8").splitlines()
    start = lines.index("      # fields:")
    block = [start] + [i for i in range(start + 1, len(lines)) if lines[i].startswith("      #   ")]
    assert len(block) == 3, lines[start : start + 4]
    for i in block:
        lines[i] = lines[i].replace("      # ", "      ", 1)
    config.write_text("\n".join(lines) + "\n", "utf-8")
    example = next((tmp_path / "postmortems").rglob("*example*.md"))
    text = example.read_text("utf-8")
    example.write_text(text.replace("\nstatus:", "\nregion: eu-west-1\nticket: OPS-7\nstatus:", 1), "utf-8")

    lint = run_pmkb("lint", "--strict", cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    build = mkdocs("build", "--strict", cwd=tmp_path)
    assert build.returncode == 0, build.stderr[-3000:]
    page = next((tmp_path / "site").rglob("*example*/index.html")).read_text("utf-8")
    assert "https://tracker.example.org/browse/OPS-7" in page and "eu-west-1" in page


def test_missing_content_folder_is_one_line(tmp_path):
    assert run_pmkb("init", cwd=tmp_path).returncode == 0
    (tmp_path / "mkdocs.yml").write_text(
        (tmp_path / "mkdocs.yml").read_text("utf-8").replace("docs_dir: postmortems", "docs_dir: elsewhere"), "utf-8"
    )
    lint = run_pmkb("lint", cwd=tmp_path)
    assert lint.returncode == 2
    assert lint.stderr.count("\n") == 1 and "content folder" in lint.stderr and "elsewhere" in lint.stderr
    build = mkdocs("build", cwd=tmp_path)
    assert build.returncode == 1 and "Traceback" not in build.stderr
    assert "elsewhere' isn't an existing directory" in build.stderr


def test_init_with_taxonomy_writes_a_file_to_extend_in_force(tmp_path):
    result = run_pmkb("init", "--taxonomy", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "  taxonomy.yml" in result.stdout.splitlines()
    assert re.search(r"^      taxonomy: taxonomy\.yml$", (tmp_path / "mkdocs.yml").read_text("utf-8"), re.MULTILINE)
    assert yaml.safe_load((tmp_path / "taxonomy.yml").read_text("utf-8")) == {"extend": {}}
    (tmp_path / "taxonomy.yml").write_text(
        (tmp_path / "taxonomy.yml")
        .read_text("utf-8")
        .replace(
            "extend: {}",
            "extend:\n  causes:\n    - {slug: certificate-expiry, title: Certificate expiry, description: Ran out.}",
        ),
        "utf-8",
    )
    printed = yaml.safe_load(run_pmkb("taxonomy", cwd=tmp_path).stdout)
    assert printed["causes"][-1]["slug"] == "certificate-expiry"
    assert run_pmkb("lint", "--strict", cwd=tmp_path).returncode == 0
