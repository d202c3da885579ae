"""The files a pull request changes, from git: what `pmkb lint --changed [REF]` reports in full.

Git is asked through its command line (no library): `git` is what CI and authors have. Every failure is a
`GitError` with one line for the user.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# Where GitHub Actions names a pull request's target branch (set for pull_request events only).
BASE_REF_VARIABLE = "GITHUB_BASE_REF"
_DEFAULT_BRANCHES = ("origin/main", "origin/master", "main", "master")


class GitError(Exception):
    """Git cannot answer (no repository, unknown ref): one line, a usage error."""


def _git(cwd: Path, *args: str) -> str | None:
    """git's standard output, or None when it fails."""
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False, encoding="utf-8"
        )
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return None
    return result.stdout if result.returncode == 0 else None


def _is_commit(cwd: Path, ref: str) -> bool:
    return _git(cwd, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}") is not None


def default_base(cwd: Path) -> str:
    """The commit a pull request starts from: the merge base of HEAD with the default branch.

    The default branch is the pull request's target in GitHub Actions (GITHUB_BASE_REF), else what origin/HEAD
    points to, else the first of origin/main, origin/master, main, master that exists.
    """
    candidates: list[str] = []
    target = os.environ.get(BASE_REF_VARIABLE, "").strip()
    if target:
        candidates += [f"origin/{target}", target]
    origin_head = (_git(cwd, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD") or "").strip()
    if origin_head:
        candidates.append(origin_head)
    candidates += _DEFAULT_BRANCHES
    branch = next((candidate for candidate in candidates if _is_commit(cwd, candidate)), None)
    if branch is None:
        raise GitError("cannot tell the default branch (no origin/main, main, ...); name a ref: --changed REF")
    base = _git(cwd, "merge-base", "HEAD", branch)
    if base is None:
        raise GitError(f"HEAD and {branch} have no common commit (a shallow clone? fetch with fetch-depth: 0)")
    return base.strip()


def changed_files(cwd: Path, ref: str | None) -> set[Path]:
    """Absolute paths of the files changed between `ref` (default: `default_base`) and the work tree, untracked
    files included (a new postmortem not yet added is the most changed file of all)."""
    top = _git(cwd, "rev-parse", "--show-toplevel")
    if top is None:
        raise GitError(f"--changed needs a git repository, and {cwd} is not in one")
    root = Path(top.strip())
    if ref is None:
        base = default_base(cwd)
    elif ref.startswith("-") or not _is_commit(cwd, ref):
        raise GitError(f"--changed: '{ref}' is not a commit of this repository")
    else:
        base = ref
    changed = _git(root, "diff", "--name-only", "-z", "--no-ext-diff", base, "--")
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    if changed is None or untracked is None:
        raise GitError(f"git cannot list the files changed since {ref or base}")
    names = [name for name in (changed + untracked).split("\0") if name]
    return {(root / name).resolve() for name in names}
