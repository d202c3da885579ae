"""`pmkb actions set ID#N [--status S] [--due YYYY-MM-DD] [--owner X]`: close or reschedule a follow-up from the
terminal, changing only the characters of those values in the file (pmkb.core.edit).

Bad values are refused before anything is read for writing (exit 2, nothing written); the file is replaced
atomically, so a reader (mkdocs serve, an editor) sees the old file or the new one, never half of it, and two edits
of one file at once both land (pmkb.runtime.rewrite); the edited file is validated and its findings printed.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date

from pmkb.cli.commands import taxonomy_or_report
from pmkb.cli.project import find_project
from pmkb.core.catalog import is_postmortem
from pmkb.core.diagnostics import format_diagnostics, has_errors
from pmkb.core.edit import Edit, set_item_values
from pmkb.core.fields import ACTION_ITEM
from pmkb.core.model import ACTION_STATUSES
from pmkb.core.suggest import did_you_mean
from pmkb.core.validate import item_label
from pmkb.runtime.rewrite import TEMP_SUFFIX, FileBusy, rewrite_file, temporary_prefix
from pmkb.runtime.tempfiles import remove_left_behind

EXIT_USAGE = 2
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # used with fullmatch


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "set",
        help="change an action item's status, due date or owner",
        description="Change an action item's status, due date or owner, rewriting only those values in the file.",
        epilog="ID#N is what `pmkb actions` prints in its INCIDENT column: the postmortem's id and the item's "
        "number (from 1). Exit status: 0 changed (or nothing to change); 1 changed, and the file has lint errors; "
        "2 a bad value, an unknown item, or an edit that cannot be made safely (nothing written).",
    )
    parser.add_argument("ref", metavar="ID#N", help="the postmortem id and the item's number, e.g. 2019-03-25-x#2")
    parser.add_argument("--status", metavar="S", help=f"one of {', '.join(ACTION_STATUSES)}")
    parser.add_argument("--due", metavar="YYYY-MM-DD", help="the due date")
    parser.add_argument("--owner", metavar="X", help="who owns it: a handle or a team")
    # SUPPRESS: `pmkb actions -f FILE set ...` keeps the FILE given before `set`.
    parser.add_argument("-f", "--config-file", metavar="FILE", default=argparse.SUPPRESS, help="the mkdocs.yml")


def _fail(message: str) -> int:
    print(f"pmkb actions set: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _values(args: argparse.Namespace) -> tuple[dict[str, str], list[str]]:
    """The new values as they will be written, and what is wrong with them."""
    values: dict[str, str] = {}
    problems: list[str] = []
    if args.status is not None:
        if args.status in ACTION_STATUSES:
            values["status"] = args.status
        else:
            hint = did_you_mean(args.status, ACTION_STATUSES)
            problems.append(f"--status '{args.status}' is not one of {', '.join(ACTION_STATUSES)}{hint}")
    if args.due is not None:
        try:
            if not _DATE_RE.fullmatch(args.due):
                raise ValueError
            values["due"] = date.fromisoformat(args.due).isoformat()
        except ValueError:
            problems.append(f"--due '{args.due}' is not a date (YYYY-MM-DD)")
    if args.owner is not None:
        owner = args.owner.strip()
        spec = ACTION_ITEM.child("owner")
        limit = spec.max_length if spec is not None and spec.max_length else 100
        if not owner:
            problems.append("--owner must not be empty")
        elif not owner.isprintable():  # line breaks, control characters: one line of text only
            problems.append("--owner must be one line of printable text")
        elif len(owner) > limit:
            problems.append(f"--owner is {len(owner)} characters long; at most {limit} allowed")
        else:
            values["owner"] = owner
    if not values and not problems:
        problems.append("nothing to change: give --status, --due or --owner")
    return values, problems


def run(args: argparse.Namespace) -> int:
    postmortem_id, hash_sign, number = args.ref.rpartition("#")
    if not hash_sign or not postmortem_id or not number.isdigit() or int(number) < 1:
        return _fail(
            f"'{args.ref}' is not ID#N (a postmortem id, '#', the item's number from 1, as pmkb actions shows)"
        )
    values, problems = _values(args)
    if problems:
        for problem in problems:
            print(f"pmkb actions set: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    project = find_project(args.config_file)
    taxonomy = taxonomy_or_report(project, "actions set")
    if taxonomy is None:
        return 1
    refs, _ = project.sources()
    postmortems = [ref for ref in refs if is_postmortem(ref.src_uri, project.options.pages)]
    matches = [ref for ref in postmortems if ref.id == postmortem_id]
    if not matches:
        hint = did_you_mean(postmortem_id, [ref.id for ref in postmortems])
        return _fail(f"no postmortem has the id '{postmortem_id}'{hint}")
    if len(matches) > 1:
        return _fail(f"the id '{postmortem_id}' is used by {len(matches)} files; fix that first (pmkb lint)")
    ref = matches[0]
    folder = ref.abs_path.parent
    siblings = [temporary_prefix(other.abs_path) for other in refs if other.abs_path.parent == folder]
    left = remove_left_behind(folder, siblings, TEMP_SUFFIX)
    if left:
        print(
            f"pmkb actions set: removed {len(left)} temporary file(s) a killed pmkb left in {folder}", file=sys.stderr
        )
    index = int(number) - 1
    edits: list[Edit] = []

    def edited(raw: bytes) -> bytes | None:
        edits.append(set_item_values(raw, ref.display_path, index, values))
        return edits[-1].raw if edits[-1].changes else None

    try:
        rewrite_file(ref.abs_path, edited)
    except FileBusy as error:
        return _fail(f"nothing written to {ref.display_path}: {error}; try again")
    except OSError as error:
        return _fail(f"cannot change {ref.display_path}: {error.strerror or error}")
    edit = edits[-1]
    if edit.raw is None:
        return _fail(f"cannot change {ref.display_path}: {edit.problem}")
    if not edit.changes:
        print(f"pmkb actions set: {args.ref} already has these values; nothing to change", file=sys.stderr)
        return 0
    from pmkb.core.catalog import check_bytes
    from pmkb.core.source import read_front_matter

    _, loaded, _ = read_front_matter(edit.raw, ref.display_path)
    label = item_label(loaded.value if loaded is not None else None, index)
    for change in edit.changes:
        old = "(none)" if change.old is None else change.old
        print(f"{ref.display_path}:{change.line}: {label}: {change.key} {old} -> {change.new}")
    diagnostics = check_bytes(edit.raw, ref, taxonomy).diagnostics
    if diagnostics:
        print(format_diagnostics(diagnostics, "text"), file=sys.stderr)
    return 1 if has_errors(diagnostics) else 0
