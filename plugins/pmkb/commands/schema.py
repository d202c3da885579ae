"""`pmkb schema`: print the JSON Schema (2020-12) of the front matter under the taxonomy in force."""

from __future__ import annotations

import argparse
import sys

from ..diagnostics import format_diagnostics
from ..project import find_project
from ..schema import schema_json


def register(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "The schema is generated from the same field declarations and taxonomy as `pmkb lint`. Save it "
        "(`pmkb schema > postmortem.schema.json`) for editors and check-jsonschema; `pmkb lint` stays the "
        "authority (it also checks the timeline's order, related ids and runbook pages). Exit status: 0, or 1 "
        "when the project's taxonomy has errors (nothing is printed then)."
    )


def run(args: argparse.Namespace) -> int:
    project = find_project(args.config_file)
    taxonomy, diagnostics = project.load_taxonomy()
    if any(d.is_error for d in diagnostics):
        print(format_diagnostics(diagnostics, "text"), file=sys.stderr)
        print("pmkb schema: error: the taxonomy has errors; fix them first", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(schema_json(taxonomy).encode("utf-8"))
    sys.stdout.flush()
    return 0
