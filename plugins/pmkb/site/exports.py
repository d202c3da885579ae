"""Machine-readable exports: `/postmortems.json` and `/action-items.json`.

Key order is fixed and output is sorted, so two builds of the same input give byte-identical files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from pmkb.core.model import ActionItem, Postmortem


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _seconds(value: timedelta | None) -> int | None:
    return int(value.total_seconds()) if value is not None else None


def action_item_record(item: ActionItem) -> dict[str, object]:
    return {
        "title": item.title,
        "owner": item.owner,
        "status": item.status,
        "type": item.type,
        "priority": item.priority,
        "due": _iso(item.due),
        "link": item.link,
    }


def postmortem_record(p: Postmortem, url: str) -> dict[str, object]:
    t = p.timeline
    return {
        "id": p.id,
        "url": url,
        "path": p.src_uri,
        "title": p.title,
        "date": p.date.isoformat(),
        "status": p.status,
        "severity": p.severity,
        "authors": list(p.authors),
        "services": list(p.services),
        "cause": p.cause,
        "contributing": list(p.contributing),
        "trigger": p.trigger,
        "detection": p.detection,
        "tags": list(p.tags),
        "impact": {
            "summary": p.impact.summary,
            "users_affected": p.impact.users_affected,
            "customer_facing": p.impact.customer_facing,
            "data_loss": p.impact.data_loss,
        },
        "timeline": {
            "started": _iso(t.started),
            "detected": _iso(t.detected),
            "mitigated": _iso(t.mitigated),
            "resolved": _iso(t.resolved),
        },
        "durations": {
            "time_to_detect_seconds": _seconds(t.time_to_detect),
            "time_to_mitigate_seconds": _seconds(t.time_to_mitigate),
            "time_to_resolve_seconds": _seconds(t.time_to_resolve),
        },
        "action_items": [action_item_record(item) for item in p.action_items],
        "no_action_items": p.no_action_items,
        "related": list(p.related),
        "runbooks": list(p.runbooks),
    }


def _dump(records: list[dict[str, object]]) -> str:
    # One record a line: diffable, and compact enough for the C encoder (json's `indent` forces pure Python).
    return (
        "[\n"
        + ",\n".join(json.dumps(record, ensure_ascii=False, separators=(",", ":")) for record in records)
        + "\n]\n"
    )


def postmortems_json(postmortems: Iterable[Postmortem], url_of: Callable[[str], str]) -> str:
    """Every listed postmortem, newest first."""
    return _dump([postmortem_record(p, url_of(p.src_uri)) for p in postmortems])


def action_items_json(postmortems: Iterable[Postmortem], url_of: Callable[[str], str], today: date) -> str:
    """Every action item of every listed postmortem (all statuses), with its incident and an overdue flag."""
    records = []
    for p in postmortems:
        for item in p.action_items:
            record = {"incident": p.id, "incident_title": p.title, "url": url_of(p.src_uri), "index": item.index}
            record.update(action_item_record(item))
            record["overdue"] = item.is_overdue(today)
            records.append(record)
    return _dump(records)
