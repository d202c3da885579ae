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
from pmkb.importing.draft import UNDATED, Settings, build
from pmkb.importing.model import Draft, Failure, Skipped


def register(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "Reads HTML (wiki pages, Confluence and Google Docs exports), Markdown (with its own front matter, if any),\n"
        "plain text and e-mail (.eml, .mbox, or a reply quoting a report). Each incident report becomes a draft at\n"
        "<content folder>/YYYY/YYYY-MM-DD-<slug>.md (FOLDER/YYYY-MM-DD-<slug>.md with --into). A report whose date\n"
        "cannot be read is never dated: its draft goes to undated/<slug>.md beside the content folder (FOLDER/\n"
        "undated/ with --into), with `date` left to fill. A procedure becomes a page under the first `pages`\n"
        "folder. A file that is no incident report (a license, a README, an empty template) is skipped with one\n"
        "line, unless --force. A source imported before (its fingerprint is recorded in the draft) is not imported\n"
        "again. Severity, cause and services the source does not state get the placeholders of `pmkb new`.\n"
        "--json prints JSON Lines: one JSON object per source, as each is done.\n"
        "Exit status: 0 every source imported or skipped; 1 a source could not be read, was already imported or\n"
        "its file exists (the others are still imported); 2 a usage error."
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (every file in them) to import")
    parser.add_argument("--into", metavar="FOLDER", help="write the drafts in this folder instead of <content>/YYYY/")
    parser.add_argument(
        "--force",
        action="store_true",
        help="import files that look like no incident report (a license, README or template)",
    )
    parser.add_argument(
        "--archive",
        action="store_true",
        help="a historical archive: write `unknown` for timeline moments a source does not state",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON record per source (JSON Lines)")


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
        force=args.force,
        archive=args.archive,
    )
    undated = (into or project.root) / UNDATED
    seen = writing.already_imported([project.docs_dir, undated, *([into] if into else [])])
    failed = False
    for entry in reading.expand(args.paths):
        if isinstance(entry, Failure):
            failed |= _report(_failure(entry), args.json)
            continue
        name, path = entry
        # A file name that is not UTF-8 is read through `path`; the draft names it with U+FFFD where it is not.
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        source = reading.read(name, path)
        if isinstance(source, Failure):
            failed |= _report(_failure(source), args.json)
            continue
        for document in documents(source):
            if isinstance(document, Failure):
                failed |= _report(_failure(document), args.json)
                continue
            try:
                draft = build(document, settings)
            except RecursionError:
                draft = Failure(document.source.name, "nested too deeply to convert")
            if isinstance(draft, Failure):
                record = _failure(draft)
            elif isinstance(draft, Skipped):
                record = {**_failure(Failure(draft.source, "")), "error": None, "skipped": draft.reason}
            else:
                record = _write(project, taxonomy, draft, document.source.name, into, seen)
            failed |= _report(record, args.json)
    return 1 if failed else 0


def _target(project: Project, draft: Draft, into: Path | None) -> Path:
    if draft.kind == "page":
        return project.docs_dir / draft.relative_path
    if draft.date is None:  # undated/<slug>.md: outside the content folder, unless --into puts it elsewhere
        return (into or project.root) / draft.relative_path
    if into is not None:
        return into / draft.relative_path.split("/", 1)[-1]
    return project.docs_dir / draft.relative_path


def _write(project: Project, taxonomy, draft: Draft, name: str, into: Path | None, seen: dict) -> dict:
    target = _target(project, draft, into)
    record = {
        "source": name,
        "kind": draft.kind,
        "path": None,
        "error": None,
        "skipped": None,
        "found": list(draft.found),
        "left": list(draft.left),
        "notes": list(draft.notes),
    }
    if draft.kind == "postmortem":
        earlier = seen.get(draft.digest)
        if earlier is not None:
            record["error"] = f"already imported as {_shown(earlier)} (the same source); nothing written"
            return record
        # The promise of `pmkb new` holds here too: the draft lints clean, checked before the file exists. An
        # undated draft lacks only its date, which lint names until someone fills it in.
        src_uri = _src_uri(project, target)
        check = check_bytes(draft.text.encode("utf-8"), SourceRef(src_uri, target, _shown(target)), taxonomy)
        diagnostics = [d for d in check.diagnostics if not (draft.date is None and d.field == "date")]
        if diagnostics:
            print(format_diagnostics(diagnostics, "text"), file=sys.stderr)
            record["error"] = "the draft does not lint clean (a bug in pmkb import); nothing written"
            return record
        target = _free_name(target, seen)
    problem = writing.write_new(target, draft.text)
    if problem == "exists":
        record["error"] = f"{_shown(target)} already exists; it was not changed"
    elif problem:
        record["error"] = problem
    else:
        record["path"] = _shown(target)
        if draft.kind == "postmortem":
            seen[draft.digest] = target
    return record


def _free_name(target: Path, seen: dict) -> Path:
    """Another report's draft at this name (two reports may share a title): the next free `-2`, `-3` name. A file
    that is no imported draft keeps its name taken, and the import says so."""
    drafts = set(seen.values())
    candidate, number = target, 1
    while candidate in drafts:
        number += 1
        candidate = target.with_name(f"{target.stem}-{number}{target.suffix}")
    return candidate


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
        "skipped": None,
        "found": [],
        "left": [],
        "notes": [],
    }


def _report(record: dict, as_json: bool) -> bool:
    """Print one source's outcome as soon as it is known; True when it failed."""
    if as_json:
        print(json.dumps(record), flush=True)
    if record["error"]:
        print(f"pmkb import: error: {record['source']}: {record['error']}", file=sys.stderr)
    elif record.get("skipped"):
        print(
            f"pmkb import: skipped: {record['source']}: not an incident report: {record['skipped']} "
            "(--force imports it anyway)",
            file=sys.stderr,
        )
    elif not as_json:
        print(record["path"])
        if record["kind"] == "page":
            print(f"  a procedure, not an incident: written as a page ({record['source']})")
        else:
            print(f"  from:  {record['source']}")
            print(f"  found: {', '.join(record['found']) or 'nothing'}")
            print(f"  left:  {', '.join(record['left']) or 'nothing'}")
            for note in record["notes"]:
                print(f"  note:  {note}")
    return bool(record["error"])


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
