"""`pmkb schema`: print the JSON Schema (2020-12) of the front matter under the taxonomy in force."""

from __future__ import annotations

import argparse
import sys

from pmkb.cli.commands import taxonomy_or_report
from pmkb.cli.project import find_project
from pmkb.core.schema import schema_json


def register(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "The schema is generated from the same field declarations and taxonomy as `pmkb lint`. Save it "
        "(`pmkb schema > postmortem.schema.json`) for editors and check-jsonschema; `pmkb lint` stays the "
        "authority (it also checks the timeline's order, related ids and runbook pages). Exit status: 0, or 1 "
        "when the project's taxonomy has errors (nothing is printed then)."
    )


def run(args: argparse.Namespace) -> int:
    project = find_project(args.config_file)
    taxonomy = taxonomy_or_report(project, "schema")
    if taxonomy is None:
        return 1
    sys.stdout.buffer.write(schema_json(taxonomy).encode("utf-8"))
    sys.stdout.flush()
    return 0
