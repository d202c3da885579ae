"""The source's own front matter, mapped onto ours; what has no home is kept word for word for the Source section.

Public incident collections and team archives carry their facts in front matter of their own: `title`, `date`,
`start_time`/`end_time`, `summary`/`description`, `company`/`product`/`service(s)`/`component`,
`keywords`/`tags`/`categories`, `severity`/`priority`, `author(s)`, `url`/`link`/`source`. Each maps to the field
that means the same; a value that does not fit (a severity the taxonomy does not know, a date that is no date)
stays with the keys that have no home, so nothing the source said is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from pmkb.core.taxonomy import SLUG_RE
from pmkb.core.template import slugify

_TITLE_KEYS = ("title", "name", "headline")
_DATE_KEYS = ("date", "incident_date", "day")
_START_KEYS = ("start_time", "started", "start", "started_at", "begin", "impact_start")
_END_KEYS = ("end_time", "resolved", "end", "ended", "ended_at", "resolved_at", "impact_end")
_SUMMARY_KEYS = ("summary", "description", "impact", "abstract", "excerpt")
_SERVICE_KEYS = ("product", "products", "service", "services", "component", "components", "system", "systems")
_TAG_KEYS = ("keywords", "tags", "categories", "category", "labels")
_SEVERITY_KEYS = ("severity", "sev", "priority", "impact_level")
_AUTHOR_KEYS = ("author", "authors", "owner", "owners", "written_by")
_LINK_KEYS = ("url", "link", "source", "permalink", "archive_url", "canonical_url")
_COMPANY_KEYS = ("company", "organization", "organisation", "vendor")
MAX_TAGS = 15
MAX_SERVICES = 10


@dataclass(frozen=True, slots=True)
class Foreign:
    """What the source's front matter says, in our terms."""

    title: str | None = None
    day: date | None = None
    started: datetime | None = None
    resolved: datetime | None = None
    summary: str | None = None
    services: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    severity: str | None = None
    authors: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    kept: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # keys with no home: (key, value as text)


def read(metadata: dict, severities: tuple[str, ...]) -> Foreign:
    if not metadata:
        return Foreign()
    used: set[str] = set()
    kept: list[tuple[str, str]] = []

    def take(keys: tuple[str, ...]) -> list[tuple[str, object]]:
        found = []
        for key in metadata:
            if str(key).lower() in keys and metadata[key] not in (None, "", []):
                used.add(key)
                found.append((str(key), metadata[key]))
        return found

    title = next((_text(value) for _, value in take(_TITLE_KEYS) if _text(value)), None)
    day = None
    for key, value in take(_DATE_KEYS):
        day = day or _day(value)
        if _day(value) is None:
            kept.append((key, _shown(value)))
    started = resolved = None
    for key, value in take(_START_KEYS):
        started = started or _moment(value)
        if _moment(value) is None:
            kept.append((key, _shown(value)))
    for key, value in take(_END_KEYS):
        resolved = resolved or _moment(value)
        if _moment(value) is None:
            kept.append((key, _shown(value)))
    summary = next((_text(value) for _, value in take(_SUMMARY_KEYS) if _text(value)), None)
    services = [slugify(name) for _, value in take(_SERVICE_KEYS) for name in _names(value)]
    companies = [slugify(name) for _, value in take(_COMPANY_KEYS) for name in _names(value)]
    tags = [slugify(name) for _, value in take(_TAG_KEYS) for name in _names(value)]
    severity = None
    for key, value in take(_SEVERITY_KEYS):
        severity = severity or _severity(value, severities)
        if _severity(value, severities) is None:
            kept.append((key, _shown(value)))
    authors = [name for _, value in take(_AUTHOR_KEYS) for name in _names(value)]
    links = [(key, url) for key, value in take(_LINK_KEYS) for url in _names(value) if _is_url(url)]
    links_used = {key for key, _ in links}
    for key, value in metadata.items():
        if key not in used or (str(key).lower() in _LINK_KEYS and key not in links_used):
            kept.append((str(key), _shown(value)))
    # The company is a tag when a product names the service (`company: Amazon, product: SimpleDB`), else the
    # service itself: a report that names only "Cloudflare" is about Cloudflare's service.
    services = services or companies
    if services is not companies:
        tags = companies + tags
    return Foreign(
        title=title,
        day=day or (started.date() if started else None),
        started=started,
        resolved=resolved if resolved and (started is None or resolved >= started) else None,
        summary=summary,
        services=_slugs(services, MAX_SERVICES),
        tags=_slugs(tags, MAX_TAGS),
        severity=severity,
        authors=tuple(dict.fromkeys(" ".join(name.split()) for name in authors if name.strip())),
        links=tuple(links),
        kept=tuple(kept),
    )


def _text(value: object) -> str | None:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = " ".join(str(value).split())
        return text or None
    return None


def _shown(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_shown(item)}" for key, item in value.items())
    return " ".join(str(value).split())


def _names(value: object) -> list[str]:
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    text = _text(value)
    if not text:
        return []
    return [part.strip() for part in re.split(r"\s*[,;]\s*", text) if part.strip()]


def _slugs(names: list[str], limit: int) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name in names if name and SLUG_RE.fullmatch(name)))[:limit]


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _moment(value: object) -> datetime | None:
    """A timestamp with its offset. One without an offset, or a date alone, is no moment: its zone would be a guess."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None and value.utcoffset() is not None else None


def _severity(value: object, severities: tuple[str, ...]) -> str | None:
    text = _text(value)
    if not text:
        return None
    for slug in severities:
        if slug.lower() == text.lower():
            return slug
    digits = re.fullmatch(r"(?:sev(?:erity)?|p)?\s*[-:]?\s*(\d)", text, re.I)
    if digits:
        by_number = {re.sub(r"\D", "", slug): slug for slug in severities if re.sub(r"\D", "", slug)}
        return by_number.get(digits.group(1))
    return None


def _is_url(text: str) -> bool:
    return bool(re.fullmatch(r"https?://\S+", text))
