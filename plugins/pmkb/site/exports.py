"""Machine-readable exports: `/postmortems.json`, `/action-items.json` and the Atom feed `/feed.xml`.

Key order is fixed and output is sorted, so two builds of the same input give byte-identical files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

from pmkb.core.fields import Field, json_value
from pmkb.core.model import ActionItem, Postmortem
from pmkb.core.taxonomy import Taxonomy

FEED_ENTRIES = 50  # a feed is for what is new: readers keep what they saw, and the file stays small


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


def postmortem_record(p: Postmortem, url: str, value_fields: Sequence[Field] = ()) -> dict[str, object]:
    """A postmortem as JSON: the built-in fields, then each value field (null when the postmortem has none)."""
    t = p.timeline
    record: dict[str, object] = {
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
    for spec in value_fields:
        value = p.value_of(spec.name)
        record[spec.name] = None if value is None else json_value(value)  # type: ignore[arg-type]
    return record


def _dump(records: list[dict[str, object]]) -> str:
    # One record a line: diffable, and compact enough for the C encoder (json's `indent` forces pure Python).
    return (
        "[\n"
        + ",\n".join(json.dumps(record, ensure_ascii=False, separators=(",", ":")) for record in records)
        + "\n]\n"
    )


def postmortems_json(
    postmortems: Iterable[Postmortem], url_of: Callable[[str], str], value_fields: Sequence[Field] = ()
) -> str:
    """Every listed postmortem, newest first, with the value fields of `value_fields` (`Taxonomy.value_fields`)."""
    return _dump([postmortem_record(p, url_of(p.src_uri), value_fields) for p in postmortems])


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


def atom_feed(
    published: Iterable[Postmortem],
    url_of: Callable[[str], str],
    taxonomy: Taxonomy,
    *,
    site_name: str,
    site_url: str,
    feed_name: str,
) -> str:
    """An Atom 1.0 feed (RFC 4287) of the newest published postmortems, built with feedgen, which escapes
    every value as XML text.

    Entries link to their pages: absolute with `site_url`, else relative to the feed, which sits at the site's
    root (Atom resolves relative references against the feed's own address). Ids must be permanent IRIs: the
    page's address with `site_url`, else a `tag:` URI made of the postmortem's date and id, which never change.
    Every date comes from the postmortems, never from the clock, so the feed is reproducible.
    """
    from feedgen.feed import FeedGenerator

    entries = sorted(published, key=lambda p: (p.date, p.id), reverse=True)[:FEED_ENTRIES]
    base = site_url.rstrip("/") + "/" if site_url else ""
    generator = FeedGenerator()
    generator.id(base + feed_name if base else f"tag:pmkb,2024:{site_name}")
    generator.title(site_name)
    generator.subtitle(f"New postmortems of {site_name}")
    generator.link(href=base or "./", rel="alternate")
    generator.link(href=base + feed_name if base else feed_name, rel="self")
    generator.generator("pmkb")
    updated = [_updated(p) for p in entries]
    generator.updated(max(updated) if updated else datetime(1970, 1, 1, tzinfo=UTC))
    # feedgen prepends: add the oldest first so that the file lists the newest first.
    for p, when in reversed(list(zip(entries, updated, strict=True))):
        severity = taxonomy.entry("severities", p.severity)
        cause = taxonomy.entry("causes", p.cause)
        url = base + url_of(p.src_uri)
        entry = generator.add_entry()
        entry.id(url if base else f"tag:pmkb,{p.date.isoformat()}:{p.id}")
        entry.title(f"[{p.severity}] {p.title}")
        entry.link(href=url, rel="alternate")
        entry.published(_started(p))
        entry.updated(when)
        for author in p.authors:
            entry.author(name=author)
        entry.category(term=p.severity, label=severity.title if severity else p.severity)
        entry.category(term=p.cause, label=cause.title if cause else p.cause)
        summary = (
            f"{p.severity} ({severity.title if severity else p.severity}), cause: {cause.title if cause else p.cause}, "
            f"services: {', '.join(p.services)}, {p.date.isoformat()}. {p.impact.summary}"
        )
        entry.summary(summary)
    return generator.atom_str(pretty=True).decode("utf-8")


def _started(p: Postmortem) -> datetime:
    if p.timeline.started is not None:
        return p.timeline.started
    return datetime(p.date.year, p.date.month, p.date.day, tzinfo=UTC)


def _updated(p: Postmortem) -> datetime:
    """When the incident was last known to change: resolved, else the latest moment of its timeline."""
    t = p.timeline
    moments = [m for m in (t.resolved, t.mitigated, t.detected, t.started) if m is not None]
    return max(moments) if moments else _started(p)
