"""`pmkb lint [PATH...] [--changed [REF]] [--strict] [--format text|github|json]`.

With --changed (a pull request's view), files changed since REF are reported in full; for the others only errors
(a change can break another file, e.g. by deleting a postmortem it relates to), and their warnings, overdue action
items of years-old incidents above all, become one summary line. Cross-file rules always see the whole knowledge
base.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pmkb.cli.project import ProjectError, find_project
from pmkb.core.diagnostics import Diagnostic, format_diagnostics, sort_diagnostics


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to report on (default: all)")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too (except overdue action items)")
    parser.add_argument("--format", choices=("text", "github", "json"), default="text", help="output format")
    parser.add_argument(
        "--changed",
        nargs="?",
        const="",
        metavar="REF",
        help="report in full only files changed since the git REF (default: the merge base with the default "
        "branch); other files: errors only, their warnings summed up in one line",
    )


def _selected(paths: list[str], project_root: Path):
    """A predicate on diagnostic paths: inside one of the given files or folders."""
    targets = []
    for given in paths:
        path = Path(given)
        try:
            if not path.exists():
                raise ProjectError(f"no such file or folder: {given}")
            targets.append(path.resolve())
        except OSError as error:  # a name longer than the system allows
            raise ProjectError(f"cannot use {given[:60]}{'...' * (len(given) > 60)}: {error.strerror}") from None

    def wanted(display_path: str) -> bool:
        resolved = (project_root / display_path).resolve()
        return any(resolved == t or t in resolved.parents for t in targets)

    return wanted


def run(args: argparse.Namespace) -> int:
    project = find_project(args.config_file)
    changed: set[Path] | None = None
    if args.changed is not None:
        from pmkb.cli.git import GitError, changed_files

        try:
            changed = changed_files(project.root, args.changed or None)
        except GitError as error:
            raise ProjectError(str(error)) from None
    catalog = project.catalog()
    diagnostics = list(catalog.diagnostics)
    if args.paths:
        wanted = _selected(args.paths, project.root)
        diagnostics = [d for d in diagnostics if wanted(d.path)]
    held_back: list[Diagnostic] = []
    groups = [diagnostics]
    if changed is not None:
        groups, held_back = _split_by_change(diagnostics, changed, project.root)
        diagnostics = [d for group in groups for d in group]
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    output = _format_groups(groups, args.format)
    if output or args.format == "json":
        print(output)
    if held_back:
        overdue = sum(d.time_dependent for d in held_back)
        files = len({d.path for d in held_back})
        what = f"{len(held_back)} warning{'s' * (len(held_back) != 1)}"
        if overdue:
            what += f" ({overdue} overdue action item{'s' * (overdue != 1)}, see pmkb actions --overdue)"
        print(f"pmkb lint: {what} in {files} unchanged file{'s' * (files != 1)} not shown", file=sys.stderr)
    if args.format != "json":
        checked = len(catalog.ids) if not args.paths else "selected"
        summary = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        print(f"pmkb lint: {summary} ({checked} postmortems checked)", file=sys.stderr)
    # Overdue items are shown but never fail --strict: a check must not break because time passed.
    failed = errors > 0 or (args.strict and any(d.fails_strict for d in diagnostics))
    return 1 if failed else 0


def _split_by_change(
    diagnostics: list[Diagnostic], changed: set[Path], root: Path
) -> tuple[list[list[Diagnostic]], list[Diagnostic]]:
    """([changed files' findings, other files' errors], other files' warnings).

    The author's own findings come first: GitHub shows only the first ten annotations of each kind per step.
    """
    mine: list[Diagnostic] = []
    others: list[Diagnostic] = []
    held_back: list[Diagnostic] = []
    for diagnostic in diagnostics:
        if (root / diagnostic.path).resolve() in changed:
            mine.append(diagnostic)
        elif diagnostic.is_error:
            others.append(diagnostic)
        else:
            held_back.append(diagnostic)
    return [mine, others], held_back


def _format_groups(groups: list[list[Diagnostic]], output_format: str) -> str:
    """Each group in compiler order, the groups in the order given (one JSON array for all)."""
    if output_format == "json":
        return json.dumps(
            [d.as_dict() for group in groups for d in sort_diagnostics(group)], indent=2, ensure_ascii=False
        )
    return "\n".join(text for group in groups if (text := format_diagnostics(group, output_format)))
