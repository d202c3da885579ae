"""A `Source` -> the `Document`(s) in it, whatever its format; converters never raise past this point."""

from __future__ import annotations

from dataclasses import replace

from . import html, mail, plaintext
from .markdown import plain_headings, setext_to_atx, split_front_matter, strip_gutter
from .model import Document, Failure, Format, Source
from .sanitize import sanitize

ORIGINAL_LIMIT = 64 * 1024  # the original text is kept in the draft up to this size


def documents(source: Source) -> list[Document | Failure]:
    try:
        if source.format is Format.MBOX:
            messages = mail.split_mbox(source.data)
            if not messages:
                return [Failure(source.name, "the mbox file has no messages")]
            return [
                _one(_message(Source(f"{source.name}#{index}", Format.EMAIL, "", data)))
                for index, data in enumerate(messages, 1)
            ]
        if source.format is Format.EMAIL:
            return [_one(_message(source))]
        if source.format is Format.HTML:
            return [_one(html.convert(source))]
        return [_one(_text(source))]
    except RecursionError:
        return [Failure(source.name, "nested too deeply to convert")]


def _one(result: Document | Failure) -> Document | Failure:
    if isinstance(result, Failure):
        return result
    markdown = sanitize(result.markdown)
    if not markdown.strip():
        return Failure(result.source.name, "no text left after conversion")
    return replace(result, markdown=markdown)


def _text(source: Source, front_matter_allowed: bool = True) -> Document:
    """Markdown or plain text, which may be a reply quoting the report."""
    text = source.text.replace("\r\n", "\n")
    original = text if len(text) <= ORIGINAL_LIMIT else ""
    text, header = strip_gutter(text)
    links: tuple[tuple[str, str], ...] = ((f"copied from {header}", ""),) if header else ()
    quoted = mail.split_quoted(text)
    authors: tuple[str, ...] = ()
    date_hint = None
    reply = ""
    if quoted:
        text, reply = quoted.report, quoted.reply
        authors = (quoted.author,) if quoted.author else ()
        date_hint = quoted.when
    metadata, text = split_front_matter(text) if front_matter_allowed else ({}, text)
    if source.format is Format.MARKDOWN:
        markdown = plain_headings(setext_to_atx(text))
    else:
        markdown = plaintext.to_markdown(text)
    title = metadata.get("title") if isinstance(metadata.get("title"), str) else None
    extra = tuple(str(value) for key in ("author", "authors") for value in _as_list(metadata.get(key)))
    return Document(source, markdown, title, authors + extra, date_hint, links, reply, original, metadata=metadata)


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value] if isinstance(value, str) else []


def _message(source: Source) -> Document | Failure:
    message = mail.parse(source, source.data)
    if isinstance(message, Failure):
        return message
    inner = Source(source.name, Format.HTML if message.html else Format.TEXT, message.body)
    document = html.convert(inner) if message.html else _text(inner, front_matter_allowed=False)
    if isinstance(document, Failure):
        return document
    links = list(document.links)
    if message.message_id:
        links.append((f"e-mail {message.message_id}", ""))
    authors = (
        document.authors
        if document.quoted_reply
        else (*((message.author,) if message.author else ()), *document.authors)
    )
    return replace(
        document,
        source=source,
        fallback_title=message.subject,
        authors=authors,
        date_hint=document.date_hint or message.when,
        links=tuple(links),
        original=message.body if len(message.body) <= ORIGINAL_LIMIT else "",
    )
