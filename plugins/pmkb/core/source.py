"""Reading a Markdown file the way MkDocs reads it: bytes -> text -> front matter + body.

A front matter is ours exactly when MkDocs would read it. MkDocs opens files as UTF-8 with an optional BOM in
text mode (universal newlines) and matches `mkdocs.utils.meta.YAML_RE`; python-frontmatter's default handler
accepts more (`----` fences, a leading blank line) and fewer (`...` terminators), so we give it MkDocs' rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from frontmatter.default_handlers import YAMLHandler

from pmkb.core.diagnostics import Diagnostic, Level, Position, type_name
from pmkb.core.text import YAML_ONLY_LINE_BREAKS, code_point
from pmkb.core.yaml_positions import load_yaml

# Copied from mkdocs/utils/meta.py (MkDocs 1.6) so the core does not import MkDocs; a test keeps them equal.
MKDOCS_YAML_RE = re.compile(r"^-{3}[ \t]*\n(.*?\n)(?:\.{3}|-{3})[ \t]*\n", re.UNICODE | re.DOTALL)


class MkDocsYAMLHandler(YAMLHandler):
    """A python-frontmatter handler that finds front matter exactly where MkDocs does."""

    FM_BOUNDARY = MKDOCS_YAML_RE

    def detect(self, text: str) -> bool:
        return MKDOCS_YAML_RE.match(text) is not None

    def split(self, text: str) -> tuple[str, str]:
        match = MKDOCS_YAML_RE.match(text)
        if match is None:
            return "", text
        return match.group(1), text[match.end() :].lstrip("\n")

    def load(self, fm: str, **kwargs: object) -> dict[str, Any]:
        # A mapping, as the handler interface promises; like MkDocs' meta.get_data, {} for YAML that cannot be
        # read or is not a mapping (a list, a bare value).
        loaded, _ = load_yaml(fm, "<front matter>", 2)
        return loaded.value if loaded is not None and isinstance(loaded.value, dict) else {}


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """A decoded Markdown file split as MkDocs splits it."""

    path: str
    front_matter: str | None
    body: str
    front_matter_line: int  # file line of the first YAML line
    body_line: int = 1  # file line of the body's first line (MkDocs drops the blank lines before it)

    @property
    def has_front_matter(self) -> bool:
        return self.front_matter is not None


_HANDLER = MkDocsYAMLHandler()


def decode(raw: bytes, path: str) -> tuple[str | None, list[Diagnostic]]:
    """Decode like MkDocs (`utf-8-sig`, strict, universal newlines); a bad byte is an error at its position."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # `error.object` is the input after the BOM; everything before the bad byte decoded. Count lines and
        # columns in characters, as everywhere else.
        data, offset = error.object, error.start
        before = _normalize_newlines(data[:offset].decode("utf-8"))
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        message = f"file is not valid UTF-8: byte 0x{data[offset]:02x} cannot be decoded (MkDocs would fail too)"
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            message = "file is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8"
        return None, [Diagnostic(path, line, column, Level.ERROR, "", message)]
    return _normalize_newlines(text), []


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def split_document(text: str, path: str) -> SourceDocument:
    if not _HANDLER.detect(text):
        return SourceDocument(path, None, text, 2)
    front_matter, body = _HANDLER.split(text)
    body_line = text.count("\n", 0, len(text) - len(body)) + 1
    return SourceDocument(path, front_matter, body, 2, body_line)


def body_of(raw: bytes, path: str) -> str:
    """The Markdown body of a file as MkDocs renders it ("" when the file cannot be decoded)."""
    return read_body(raw, path) or ""


def read_body(raw: bytes, path: str) -> str | None:
    """The Markdown body of a file as MkDocs renders it; None when the file cannot be decoded."""
    text, _ = decode(raw, path)
    return split_document(text, path).body if text is not None else None


def explain_missing_front_matter(text: str, path: str) -> Diagnostic:
    """Why MkDocs would not see a front matter here, as one diagnostic at 1:1."""
    first_line = text.split("\n", 1)[0]
    if not text.strip():
        message = "file is empty: a postmortem starts with a '---' front matter"
    elif text.startswith(("\n", " \n", "\t\n")) and MKDOCS_YAML_RE.match(text.lstrip(" \t\n")):
        message = "front matter must start on line 1: MkDocs ignores it after a blank line"
    elif re.match(r"-{3}[ \t]*\n(?:-{3}|\.{3})[ \t]*(?:\n|$)", text):
        message = "front matter is empty: MkDocs needs at least one line between the '---' fences"
    elif re.fullmatch(r"-{4,}[ \t]*", first_line):
        message = f"front matter must open with exactly '---', not '{first_line.strip()}'"
    elif re.fullmatch(r"-{3}[ \t]*", first_line):
        message = "front matter is not closed: add a line '---' (or '...') after it, followed by a line break"
    else:
        message = "no front matter: a postmortem starts with a '---' line, its YAML fields, and a closing '---'"
    return Diagnostic(path, 1, 1, Level.ERROR, "", message)


def read_front_matter(raw: bytes, path: str):
    """bytes -> (SourceDocument | None, LoadedYaml | None, diagnostics). Never raises on bad input."""
    text, diagnostics = decode(raw, path)
    if text is None:
        return None, None, diagnostics
    document = split_document(text, path)
    if document.front_matter is None:
        return document, None, [explain_missing_front_matter(text, path)]
    odd_break = _yaml_only_line_break(document, path)
    if odd_break is not None:
        return document, None, [odd_break]
    loaded, diagnostics = load_yaml(document.front_matter, path, document.front_matter_line)
    if loaded is not None and not isinstance(loaded.value, dict):
        kind = type_name(loaded.value)
        position = loaded.position_of("", default=Position(document.front_matter_line, 1))
        diagnostics = [
            Diagnostic.at(path, position, Level.ERROR, "", f"front matter is {kind}, not a mapping of fields")
        ]
        loaded = None
    return document, loaded, diagnostics


def _yaml_only_line_break(document: SourceDocument, path: str) -> Diagnostic | None:
    """A raw NEL, LS or PS in the front matter: YAML 1.1 starts a new line there, MkDocs and editors do not.

    Left to the YAML parser, it gives a puzzling message at a line that is off by one; said here, it is one
    diagnostic at the character itself.
    """
    text = document.front_matter or ""
    if text.isascii() or not any(char in text for char in YAML_ONLY_LINE_BREAKS):
        return None
    index = min(text.index(char) for char in YAML_ONLY_LINE_BREAKS if char in text)
    line = document.front_matter_line + text.count("\n", 0, index)
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    message = (
        f"front matter holds a raw {code_point(text[index])}, which YAML reads as a line break and MkDocs does "
        "not: delete it"
    )
    return Diagnostic(path, line, column, Level.ERROR, "", message)
