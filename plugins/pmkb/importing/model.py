"""The values passed between the import steps: small frozen dataclasses, errors as values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum


class Format(Enum):
    HTML = "html"
    MARKDOWN = "markdown"
    TEXT = "text"
    EMAIL = "email"
    MBOX = "mbox"


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a source was not imported: one line for the user, nothing written."""

    source: str
    message: str


@dataclass(frozen=True, slots=True)
class Source:
    """One readable input: its display name, format and decoded text (one message of an mbox is one source)."""

    name: str
    format: Format
    text: str  # decoded; for e-mail, the raw message as read by `email` (which decodes each part itself)
    data: bytes = b""


@dataclass(frozen=True, slots=True)
class Document:
    """A source converted to Markdown, with what its format told us beyond the text."""

    source: Source
    markdown: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    date_hint: date | None = None  # an e-mail's Date header, a page's "last modified"
    links: tuple[tuple[str, str], ...] = ()  # (label, url) of the original and where it lived
    quoted_reply: str = ""  # the text of a reply that quoted the report, kept as a quote in Source
    original: str = ""  # the original text, kept in the Source section (empty: too large or HTML)
    fallback_title: str | None = None  # an e-mail's subject: used when the text has no title of its own
    metadata: dict = field(default_factory=dict)  # the source's own front matter, as it was


@dataclass(frozen=True, slots=True)
class Skipped:
    """A source that is no incident report (a license, a README, an empty template): nothing written."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the Markdown under it, up to the next heading of the same or a higher level."""

    level: int  # 0 for the text before the first heading
    title: str
    body: str
    kind: str = "other"  # a key of sections.CANONICAL, "chat", "appendix" or "other"


@dataclass(frozen=True, slots=True)
class Event:
    """A timestamped line of the document's timeline."""

    when: datetime  # always with a UTC offset
    text: str
    section: str  # the kind of the section it stands in


@dataclass(frozen=True, slots=True)
class Timeline:
    offset_note: str | None  # what the document says about its time zone, or None
    events: tuple[Event, ...] = ()
    started: datetime | None = None
    detected: datetime | None = None
    mitigated: datetime | None = None
    resolved: datetime | None = None
    problems: tuple[str, ...] = ()  # why some timestamps could not be used


@dataclass(frozen=True, slots=True)
class ActionItem:
    title: str
    owner: str | None
    status: str
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Draft:
    """What will be written: a path under the content folder, the file's text, and the summary for the user."""

    kind: str  # "postmortem" or "page"
    title: str
    date: date | None
    relative_path: str  # relative to the folder it is written to
    text: str
    found: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    digest: str = ""  # of the source's bytes: how a second import of the same source is recognised
