"""`pmkb import PATH... [--into FOLDER] [--json]`: existing incident reports -> draft postmortems.

The work is in `pmkb.importing`; this module reads the options, writes each draft (never over a file, never a
report already imported) and prints what was written and what is left to fill.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pmkb.cli.commands import taxonomy_or_report
from pmkb.cli.commands.new import default_author
from pmkb.cli.project import Project, find_project, today_from_environment
from pmkb.core.catalog import SourceRef, check_bytes
from pmkb.core.diagnostics import format_diagnostics
from pmkb.importing import reading, writing
from pmkb.importing.documents import documents
from pmkb.importing.draft import Settings, build
from pmkb.importing.model import Draft, Failure


def register(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "Reads HTML (wiki pages, Confluence and Google Docs exports), Markdown, plain text and e-mail (.eml, .mbox,\n"
        "or a reply quoting a report). Each incident report becomes a draft at <content folder>/YYYY/YYYY-MM-DD-\n"
        "<slug>.md (or FOLDER/YYYY-MM-DD-<slug>.md with --into); a procedure becomes a page under the first `pages`\n"
        "folder. Severity, cause and services the source does not state get the placeholders of `pmkb new`.\n"
        "Exit status: 0 every source imported; 1 a source could not be read, was already imported or its file\n"
        "exists (the others are still imported); 2 a usage error."
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (every file in them) to import")
    parser.add_argument("--into", metavar="FOLDER", help="write the drafts in this folder instead of <content>/YYYY/")
    parser.add_argument("--json", action="store_true", help="print one JSON record per source")


def run(args: argparse.Namespace) -> int:
    project = find_project(args.config_file)
    taxonomy = taxonomy_or_report(project, "import")
    if taxonomy is None:
        return 1
    into = Path(args.into).resolve() if args.into else None
    if into is not None and into.exists() and not into.is_dir():
        print(f"pmkb import: error: --into {args.into} is not a folder", file=sys.stderr)
        return 2
    settings = Settings(
        taxonomy=taxonomy,
        default_author=default_author(project.root),
        today=today_from_environment(),
        pages_folder=project.options.pages[0] if project.options.pages else "runbooks",
    )
    seen = writing.already_imported([project.docs_dir, *([into] if into else [])])
    records: list[dict] = []
    for entry in reading.expand(args.paths):
        if isinstance(entry, Failure):
            records.append(_failure(entry))
            continue
        name, path = entry
        source = reading.read(name, path)
        if isinstance(source, Failure):
            records.append(_failure(source))
            continue
        for document in documents(source):
            if isinstance(document, Failure):
                records.append(_failure(document))
                continue
            try:
                draft = build(document, settings)
            except RecursionError:
                draft = Failure(document.source.name, "nested too deeply to convert")
            if isinstance(draft, Failure):
                records.append(_failure(draft))
                continue
            records.append(_write(project, taxonomy, draft, document.source.name, into, seen))
    _report(records, args.json)
    return 1 if any(record["error"] for record in records) else 0


def _write(project: Project, taxonomy, draft: Draft, name: str, into: Path | None, seen: dict) -> dict:
    if draft.kind == "page":
        target = project.docs_dir / draft.relative_path
    elif into is not None:
        target = into / draft.relative_path.split("/", 1)[-1]
    else:
        target = project.docs_dir / draft.relative_path
    record = {
        "source": name,
        "kind": draft.kind,
        "path": None,
        "error": None,
        "found": list(draft.found),
        "left": list(draft.left),
        "notes": list(draft.notes),
    }
    if draft.kind == "postmortem":
        earlier = seen.get(writing.key(draft.title, draft.date))
        if earlier is not None:
            record["error"] = f"already imported as {_shown(earlier)} (same title and date); nothing written"
            return record
        # The promise of `pmkb new` holds here too: the draft lints clean, checked before the file exists.
        src_uri = _src_uri(project, target)
        check = check_bytes(draft.text.encode("utf-8"), SourceRef(src_uri, target, _shown(target)), taxonomy)
        if check.diagnostics:
            print(format_diagnostics(check.diagnostics, "text"), file=sys.stderr)
            record["error"] = "the draft does not lint clean (a bug in pmkb import); nothing written"
            return record
    problem = writing.write_new(target, draft.text)
    if problem == "exists":
        record["error"] = f"{_shown(target)} already exists; it was not changed"
    elif problem:
        record["error"] = problem
    else:
        record["path"] = _shown(target)
        if draft.kind == "postmortem":
            seen[writing.key(draft.title, draft.date)] = target
    return record


def _src_uri(project: Project, target: Path) -> str:
    try:
        return target.resolve().relative_to(project.docs_dir).as_posix()
    except ValueError:
        return target.name


def _failure(failure: Failure) -> dict:
    return {
        "source": failure.source,
        "kind": None,
        "path": None,
        "error": failure.message,
        "found": [],
        "left": [],
        "notes": [],
    }


def _report(records: list[dict], as_json: bool) -> None:
    if as_json:
        print(json.dumps(records, indent=2))
    for record in records:
        if record["error"]:
            print(f"pmkb import: error: {record['source']}: {record['error']}", file=sys.stderr)
        elif not as_json:
            print(record["path"])
            if record["kind"] == "page":
                print(f"  a procedure, not an incident: written as a page ({record['source']})")
                continue
            print(f"  from:  {record['source']}")
            print(f"  found: {', '.join(record['found']) or 'nothing'}")
            print(f"  left:  {', '.join(record['left']) or 'nothing'}")
            for note in record["notes"]:
                print(f"  note:  {note}")


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
