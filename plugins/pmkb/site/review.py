"""The weekly review of open action items: grouped by owner, each item's age and days overdue, as Markdown (to paste
into a meeting document), CSV (a spreadsheet) or JSON.

An item has no creation date of its own, so its age counts from the day of its incident: how long the follow-up
has existed at most, which is what a review asks ("why is this still open?").
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date

from pmkb.site.views import ActionRow

FORMATS = ("markdown", "csv", "json")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula


@dataclass(frozen=True, slots=True)
class ReviewItem:
    ref: str  # `2019-03-25-boskos#3`: what `pmkb actions set` takes
    row: ActionRow
    age_days: int
    days_overdue: int


def item_ref(row: ActionRow) -> str:
    return row.ref


def _one_line(text: str) -> str:
    return " ".join(text.split())


def review_items(rows: list[ActionRow], today: date) -> list[tuple[str, list[ReviewItem]]]:
    """(owner, items) groups, owners in alphabetical order (ignoring case), items in the order given."""
    groups: dict[str, list[ReviewItem]] = {}
    for row in rows:
        due = row.item.due
        overdue = (today - due).days if row.overdue and due is not None else 0
        item = ReviewItem(item_ref(row), row, max((today - row.postmortem.date).days, 0), overdue)
        groups.setdefault(_one_line(row.item.owner), []).append(item)
    return sorted(groups.items(), key=lambda group: (group[0].casefold(), group[0]))


def render_review(rows: list[ActionRow], today: date, output_format: str) -> str:
    groups = review_items(rows, today)
    if output_format == "json":
        return json.dumps([_json_group(owner, items) for owner, items in groups], indent=2, ensure_ascii=False)
    if output_format == "csv":
        return _csv(groups)
    return _markdown(groups, today, len(rows), sum(row.overdue for row in rows))


def _record(item: ReviewItem) -> dict[str, object]:
    row = item.row
    return {
        "ref": item.ref,
        "incident": row.postmortem.id,
        "incident_title": row.postmortem.title,
        "url": row.incident_url,
        "title": row.item.title,
        "owner": row.item.owner,
        "status": row.item.status,
        "priority": row.item.priority,
        "due": row.item.due.isoformat() if row.item.due else None,
        "age_days": item.age_days,
        "days_overdue": item.days_overdue,
        "link": row.item.link,
    }


def _json_group(owner: str, items: list[ReviewItem]) -> dict[str, object]:
    return {
        "owner": owner,
        "open": len(items),
        "overdue": sum(item.days_overdue > 0 for item in items),
        "items": [_record(item) for item in items],
    }


def _csv(groups: list[tuple[str, list[ReviewItem]]]) -> str:
    out = io.StringIO()
    columns = ["owner", "ref", "title", "status", "priority", "due", "age_days", "days_overdue", "incident_title"]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for owner, items in groups:
        for item in items:
            record = _record(item)
            record["owner"] = owner
            writer.writerow([_cell(record[column]) for column in columns])
    return out.getvalue().rstrip("\n")


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: a leading formula character is neutralised with a quote."""
    text = "" if value is None else _one_line(str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def _markdown(groups: list[tuple[str, list[ReviewItem]]], today: date, total: int, overdue: int) -> str:
    lines = [f"# Open action items, {today.isoformat()}", "", f"{total} open, {overdue} overdue."]
    for owner, items in groups:
        late = sum(item.days_overdue > 0 for item in items)
        lines += ["", f"## {_md(owner)} ({len(items)} open, {late} overdue)", ""]
        lines.append("| Item | Action | Status | Priority | Due | Age (days) | Overdue (days) |")
        lines.append("|---|---|---|---|---|---|---|")
        for item in items:
            row = item.row
            title = _md(row.item.title)
            if row.item.link:
                title = f"[{title}](<{row.item.link.replace('>', '%3E')}>)"
            lines.append(
                f"| {_md(item.ref)} | {title} | {row.item.status} | {row.item.priority or '-'} | "
                f"{row.item.due.isoformat() if row.item.due else '-'} | {item.age_days} | "
                f"{item.days_overdue or '-'} |"
            )
    return "\n".join(lines)


def _md(text: str) -> str:
    """Text in a Markdown table cell or heading: one line; characters Markdown would read escaped."""
    text = _one_line(text)
    for char in "\\`*_[]<>|#":
        text = text.replace(char, "\\" + char)
    return text
