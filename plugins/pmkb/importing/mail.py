"""E-mail: `.eml` messages, `.mbox` folders of messages, and replies whose quoted text is the report.

The standard library's `email` package parses headers and MIME parts (each part decoded with its own charset).
A reply that quotes a report ("On <date>, <name> wrote: > ...") yields the quoted report as the document, its
author as an author, and the reply itself as a quote in the Source section. Mailing-list archives often flatten
a message onto one line with ` > ` where the line breaks were; that shape is recognised too.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

from .model import Failure, Source

_ATTRIBUTION_RE = re.compile(
    r"On\s+(?P<when>[^\n]{6,80}?),?\s+(?P<who>[^,\n<>]{2,80}?)(?:\s+<[^>\n]+>)?\s+wrote:", re.IGNORECASE
)
_MONTH_DATE_RE = re.compile(r"([A-Z][a-z]{2,8})\.? (\d{1,2}),? (\d{4})")
_SUBJECT_PREFIX_RE = re.compile(r"^\s*(?:(?:re|fwd?|aw|tr)\s*:\s*|\[[^\]]{1,60}\]\s*)+", re.IGNORECASE)
_FLAT_QUOTE_RE = re.compile(r"(?:(?<=\s)|^)>(?=\s|$) ?")


@dataclass(frozen=True, slots=True)
class Quoted:
    """A reply split into its own words and the report it quotes."""

    reply: str
    report: str
    author: str | None
    when: date | None


@dataclass(frozen=True, slots=True)
class Message:
    subject: str | None
    author: str | None
    when: date | None
    message_id: str | None
    body: str
    html: bool


def split_quoted(text: str) -> Quoted | None:
    """The quoted report of a reply, when the quote is most of the text; else None."""
    attribution = _attribution(text)
    lines = text.split("\n")
    quoted_lines = [line for line in lines if line.lstrip().startswith(">")]
    if len(quoted_lines) >= 3:
        report = "\n".join(_unquote_line(line) for line in lines if line.lstrip().startswith(">"))
        reply_lines = [line for line in lines if not line.lstrip().startswith(">")]
        reply = "\n".join(reply_lines)
        if attribution:
            reply = reply.replace(attribution.group(0), "")
    elif attribution and _FLAT_QUOTE_RE.search(text[attribution.end() :]):
        flat = text[attribution.end() :]
        report = "\n".join(piece.rstrip() for piece in _FLAT_QUOTE_RE.split(flat)).strip("\n")
        reply = text[: attribution.start()]
    else:
        return None
    if len(report.strip()) < 2 * len(reply.strip()) or len(report.strip()) < 200:
        return None  # a reply with a little context quoted: the reply is the document
    author = attribution.group("who").strip().strip('"') if attribution else None
    return Quoted(
        reply.strip(), report.strip("\n"), author, _month_date(attribution.group("when")) if attribution else None
    )


def _attribution(text: str) -> re.Match[str] | None:
    """The "On <date>, <name> wrote:" line. The pattern is tried only where "wrote:" stands: searched from every
    "On" of a long report, its two lazy runs cost seconds a document."""
    at = text.lower().find("wrote:")
    while at != -1:
        start = max(0, at - 200)
        match = _ATTRIBUTION_RE.search(text, start, at + len("wrote:"))
        if match:
            return match
        at = text.lower().find("wrote:", at + 1)
    return None


def _unquote_line(line: str) -> str:
    stripped = line.lstrip()[1:]
    return stripped[1:] if stripped.startswith(" ") else stripped


def _month_date(text: str) -> date | None:
    match = _MONTH_DATE_RE.search(text)
    if not match:
        return None
    for pattern in ("%b %d %Y", "%B %d %Y"):
        try:
            return datetime.strptime(
                f"{match.group(1)[:3] if pattern == '%b %d %Y' else match.group(1)} {match.group(2)} {match.group(3)}",
                pattern,
            ).date()
        except ValueError:
            continue
    return None


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox file (mboxrd: `>From ` unescaped)."""
    messages: list[list[bytes]] = []
    for line in data.splitlines(keepends=True):
        if line.startswith(b"From ") and (not messages or not messages[-1] or messages[-1][-1].strip() == b""):
            messages.append([])
            continue
        if not messages:
            messages.append([])
        messages[-1].append(re.sub(rb"^>(>*From )", rb"\1", line))
    return [b"".join(lines) for lines in messages if b"".join(lines).strip()]


def parse(source: Source, data: bytes) -> Message | Failure:
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        subject = _header(message, "subject")
        sender = _header(message, "from")
        author = None
        if sender:
            name, address = getaddresses([sender])[0]
            author = name or address or None
        when = None
        if message["date"]:
            try:
                when = parsedate_to_datetime(str(message["date"])).date()
            except (TypeError, ValueError, IndexError):
                when = None
        part = message.get_body(preferencelist=("plain", "html"))
        if part is None:
            return Failure(source.name, "the message has no text or HTML body")
        body = part.get_content()
        if not isinstance(body, str) or not body.strip():
            return Failure(source.name, "the message body is empty")
        return Message(
            subject=_SUBJECT_PREFIX_RE.sub("", subject).strip() or None if subject else None,
            author=author,
            when=when,
            message_id=_header(message, "message-id"),
            body=body,
            html=part.get_content_type() == "text/html",
        )
    except (LookupError, UnicodeError) as error:
        return Failure(source.name, f"cannot decode the message: {error}")
    except (ValueError, TypeError, IndexError, AssertionError, email.errors.MessageError) as error:
        return Failure(source.name, f"not a readable e-mail message: {error or type(error).__name__}")


def _header(message: EmailMessage, name: str) -> str | None:
    value = message.get(name)
    return " ".join(str(value).split()) if value else None
