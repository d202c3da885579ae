"""`pmkb taxonomy`: print the taxonomy in force (built-in, replaced or extended by the project) as YAML."""

from __future__ import annotations

import argparse
import sys

import yaml

from pmkb.cli.commands import taxonomy_or_report
from pmkb.cli.project import find_project
from pmkb.core.taxonomy import SECTIONS, Taxonomy


def register(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "The output has the shape of a taxonomy file (severities most severe first, causes, triggers, detection: "
        "each a list of slug, title, description), so it can be saved and edited. To add to a built-in section "
        "without copying it, list the new entries under `extend:` in the taxonomy file. Exit status: 0, or 1 "
        "when the project's taxonomy has errors (nothing is printed then)."
    )


def run(args: argparse.Namespace) -> int:
    project = find_project(args.config_file)
    taxonomy = taxonomy_or_report(project, "taxonomy")
    if taxonomy is None:
        return 1
    source = project.options.taxonomy
    origin = "the built-in taxonomy"
    if isinstance(source, str):
        origin += f" with {source}"
    elif source:
        origin += f" with the inline taxonomy of {project.config_file.name}"
    header = f"# The taxonomy in force: {origin}.\n"
    sys.stdout.buffer.write((header + taxonomy_yaml(taxonomy)).encode("utf-8"))
    sys.stdout.flush()
    return 0


def taxonomy_yaml(taxonomy: Taxonomy) -> str:
    data = {
        name: [{"slug": e.slug, "title": e.title, "description": e.description} for e in taxonomy.section(name)]
        for name in SECTIONS
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
