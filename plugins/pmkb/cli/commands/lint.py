"""`pmkb lint [PATH...] [--strict] [--format text|github|json]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pmkb.cli.project import ProjectError, find_project
from pmkb.core.diagnostics import format_diagnostics


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to report on (default: all)")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too (except overdue action items)")
    parser.add_argument("--format", choices=("text", "github", "json"), default="text", help="output format")


def _selected(paths: list[str], project_root: Path):
    """A predicate on diagnostic paths: inside one of the given files or folders."""
    targets = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise ProjectError(f"no such file or folder: {given}")
        targets.append(path.resolve())

    def wanted(display_path: str) -> bool:
        resolved = (project_root / display_path).resolve()
        return any(resolved == t or t in resolved.parents for t in targets)

    return wanted


def run(args: argparse.Namespace) -> int:
    project = find_project(args.config_file)
    catalog = project.catalog()
    diagnostics = list(catalog.diagnostics)
    if args.paths:
        wanted = _selected(args.paths, project.root)
        diagnostics = [d for d in diagnostics if wanted(d.path)]
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    output = format_diagnostics(diagnostics, args.format)
    if output or args.format == "json":
        print(output)
    if args.format != "json":
        checked = len(catalog.ids) if not args.paths else "selected"
        summary = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        print(f"pmkb lint: {summary} ({checked} postmortems checked)", file=sys.stderr)
    # Overdue items are shown but never fail --strict: a check must not break because time passed.
    failed = errors > 0 or (args.strict and any(d.fails_strict for d in diagnostics))
    return 1 if failed else 0
