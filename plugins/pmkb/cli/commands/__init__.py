"""One module per `pmkb` subcommand: `register(parser)` adds its options, `run(args)` returns the exit code."""

from __future__ import annotations

import sys

from pmkb.cli.project import Project
from pmkb.core.diagnostics import format_diagnostics, has_errors
from pmkb.core.taxonomy import Taxonomy


def taxonomy_or_report(project: Project, command: str) -> Taxonomy | None:
    """The taxonomy in force, or None after printing its errors (commands that need it then exit 1)."""
    taxonomy, diagnostics = project.load_taxonomy()
    if has_errors(diagnostics):
        print(format_diagnostics(diagnostics, "text"), file=sys.stderr)
        print(f"pmkb {command}: error: the taxonomy has errors; fix them first", file=sys.stderr)
        return None
    return taxonomy
