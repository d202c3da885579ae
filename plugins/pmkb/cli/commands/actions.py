"""`pmkb actions [--owner X] [--overdue] [--json | --format table|markdown|csv|json]`: open action items across
the knowledge base, and `pmkb actions set ID#N [--status S] [--due YYYY-MM-DD] [--owner X]` to update one.

The same items, in the same order, as the site's /action-items/ page: open or in-progress items of the postmortems
the site lists (drafts only when the plugin option `drafts` is on), overdue first, then by due date. Each is
numbered `<postmortem id>#<n>` (n from 1, its place in the postmortem's action_items), the name `set` takes.
"""

from __future__ import annotations

import argparse
import json
import sys

from pmkb.cli.project import find_project
from pmkb.core.diagnostics import terminal_line
from pmkb.core.suggest import did_you_mean
from pmkb.site.exports import action_item_record
from pmkb.site.review import FORMATS, item_ref, render_review
from pmkb.site.views import ActionRow, page_url, sort_action_rows

COLUMNS = ("DUE", "OWNER", "PRIORITY", "STATUS", "INCIDENT", "ITEM")  # INCIDENT is `id#n`, the item's number
EXIT_NONE = 1  # nothing matched, like grep


def register(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "Overdue items come first, then by due date (undated last), then priority. 'Today' is PMKB_TODAY when set. "
        "Exit status: 0 when items are listed, 1 when none match (one line on stderr; --json still prints []), "
        "2 on usage errors. Postmortems with lint errors are left out (a note on stderr says how many)."
    )
    parser.add_argument(
        "--owner",
        metavar="X",
        help="only items owned by X (case-insensitive; a whole owner, or one name of 'a, b')",
    )
    parser.add_argument("--overdue", action="store_true", help="only overdue items")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print a JSON array (the /action-items.json records)")
    output.add_argument(
        "--format",
        choices=("table", *FORMATS),
        default="table",
        help="table (default), or a weekly review grouped by owner with age and days overdue: markdown, csv, json",
    )
    commands = parser.add_subparsers(dest="action", metavar="set")
    from pmkb.cli.commands import actions_set  # the edit's own module: a listing never imports it otherwise

    actions_set.register(commands)


def record(row: ActionRow) -> dict[str, object]:
    """One item as in /action-items.json: incident, incident_title, url, index, the item's fields, overdue."""
    result: dict[str, object] = {
        "incident": row.postmortem.id,
        "incident_title": row.postmortem.title,
        "url": row.incident_url,
        "index": row.item.index,
    }
    result.update(action_item_record(row.item))
    result["overdue"] = row.overdue
    return result


def run(args: argparse.Namespace) -> int:
    if getattr(args, "action", None) == "set":
        from pmkb.cli.commands import actions_set

        return actions_set.run(args)
    project = find_project(args.config_file)
    catalog = project.catalog()
    today = catalog.today
    rows = [
        ActionRow(item, item.is_overdue(today), postmortem, page_url(postmortem.src_uri, project.directory_urls))
        for postmortem in catalog.listed(project.options.drafts)
        for item in postmortem.open_action_items
    ]
    all_rows = rows
    if args.owner is not None:
        wanted = _folded(args.owner)
        rows = [row for row in rows if wanted in owner_names(row.item.owner)]
    if args.overdue:
        rows = [row for row in rows if row.overdue]
    rows = sort_action_rows(rows)

    invalid = len(catalog.ids) - len(catalog.postmortems)
    if invalid > 0:
        which = (
            f"{invalid} postmortems have lint errors and are" if invalid != 1 else "1 postmortem has lint errors and is"
        )
        print(f"pmkb actions: note: {which} left out (see pmkb lint)", file=sys.stderr)

    if args.json:
        records = [record(row) for row in rows]
        print(json.dumps(records, indent=2, ensure_ascii=False))
    elif args.format != "table":
        if rows or args.format == "json":
            print(render_review(rows, today, args.format))
    elif rows:
        print(_table(rows))
    if not rows:
        hint = ""
        if args.owner is not None:
            names = {name for row in all_rows for name in _owner_parts(row.item.owner)}
            hint = did_you_mean(args.owner, sorted(names))
        print(f"pmkb actions: no {_what(args)} (as of {today.isoformat()}){hint}", file=sys.stderr)
        return EXIT_NONE
    if not args.json:
        overdue = sum(row.overdue for row in rows)
        print(
            f"pmkb actions: {len(rows)} {_what(args, len(rows))}, {overdue} overdue (as of {today.isoformat()})",
            file=sys.stderr,
        )
    return 0


def _what(args: argparse.Namespace, count: int = 0) -> str:
    """`open action items`, `overdue action items owned by 'sre'`."""
    kind = "overdue" if args.overdue else "open"
    owner = f" owned by '{args.owner}'" if args.owner is not None else ""
    return f"{kind} action item{'s' * (count != 1)}{owner}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _folded(text: str) -> str:
    return _one_line(text).casefold()


def _owner_parts(owner: str) -> list[str]:
    """`aborrero, dcaro` -> the whole owner and each name: an item with several owners belongs to each."""
    parts = [_one_line(part) for part in owner.split(",")]
    return [_one_line(owner), *(part for part in parts if part)]


def owner_names(owner: str) -> set[str]:
    return {name.casefold() for name in _owner_parts(owner)}


def _table(rows: list[ActionRow]) -> str:
    cells = [
        (
            row.item.due.isoformat() + (" overdue" if row.overdue else "") if row.item.due else "-",
            terminal_line(_one_line(row.item.owner)),  # validated text already; printed content is made safe anyway
            row.item.priority or "-",
            row.item.status,
            item_ref(row),
            terminal_line(_one_line(row.item.title)),
        )
        for row in rows
    ]
    widths = [max(len(column), *(len(cell[index]) for cell in cells)) for index, column in enumerate(COLUMNS)]

    def line(values) -> str:
        return "  ".join(value.ljust(width) for value, width in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(COLUMNS), *(line(cell) for cell in cells)])
