"""Diagnostics: the one value every check produces, and its three printed forms.

Errors are values until an edge (the MkDocs plugin, the command line) decides what to do with them.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from pmkb.core.text import LINE_BREAKS, escaped


def printable(text: str) -> str:
    """Invisible characters (a line break in a file name or key) spelled out, so output stays one line."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def shown(value: object, limit: int = 60) -> str:
    """A value quoted in a message: on one line and at most `limit` characters."""
    try:
        text = str(value)
    except ValueError:  # an int with more digits than Python will print
        text = "<a very large number>"
    if any(char in LINE_BREAKS for char in text):
        text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def type_name(value: object) -> str:
    """What a YAML value is, as messages say it: `a list`, `a number`, `empty`."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, datetime):
        return "a timestamp"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class Level(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Position(NamedTuple):
    """1-based line and column in the file (not in the front matter).

    A named tuple rather than a frozen dataclass: one is made for every key and value of every file, and a
    tuple is several times cheaper to create.
    """

    line: int
    column: int


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    path: str
    line: int
    column: int
    level: Level
    field: str
    message: str
    # True for findings that appear because time passed (overdue items): reported, but never allowed to fail a
    # strict build or lint, since "a build must not break because time passed".
    time_dependent: bool = dataclasses.field(default=False, compare=False)  # the attribute `field` hides field()

    @property
    def fails_strict(self) -> bool:
        return not self.time_dependent

    def __post_init__(self) -> None:
        # One line, always, and nothing a terminal or a CI log would act on: a diagnostic quotes file content
        # (values, keys, file names), and an escape sequence or a bidirectional override in it must be shown,
        # not obeyed. Line breaks in a message join its lines; any other unsafe character is spelled out.
        message = self.message
        if any(char in LINE_BREAKS for char in message):
            message = " ".join(message.split())
        object.__setattr__(self, "message", escaped(message))
        for name in ("path", "field"):
            object.__setattr__(self, name, escaped(getattr(self, name)))

    @classmethod
    def at(
        cls, path: str, position: Position, level: Level, field: str, message: str, time_dependent: bool = False
    ) -> Diagnostic:
        return cls(path, position.line, position.column, level, field, message, time_dependent)

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR

    def as_text(self) -> str:
        suffix = f" [{self.field}]" if self.field else ""
        return command_safe(f"{self.path}:{self.line}:{self.column}: {self.level.value}: {self.message}{suffix}")

    def as_github(self) -> str:
        # GitHub workflow commands: properties are escaped differently from the message.
        kind = "error" if self.is_error else "warning"
        suffix = f" [{self.field}]" if self.field else ""
        props = f"file={_gh_property(self.path)},line={self.line},col={self.column}"
        return f"::{kind} {props}::{_gh_message(self.message + suffix)}"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "level": self.level.value,
            "field": self.field,
            "message": self.message,
        }


def command_safe(line: str) -> str:
    """A printed line that GitHub Actions will not read as a workflow command (`::error ...`, `::add-mask::`).

    Only a line that starts with `::` is one; a path or an id can (a file named `::warning::x.md` in a content
    folder at the project root), so its first colon is spelled out.
    """
    return "\\x3a" + line[1:] if line.startswith("::") else line


def terminal_line(text: str) -> str:
    """Content (a title, an id, a snippet of a body) made safe to print as part of one line of output."""
    if any(char in LINE_BREAKS for char in text):
        text = "".join(" " if char in LINE_BREAKS else char for char in text)
    return escaped(text)


def _gh_message(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_message(text).replace(":", "%3A").replace(",", "%2C")


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Compiler order: by path, then line, then column; errors before warnings at one place."""
    return sorted(diagnostics, key=lambda d: (d.path, d.line, d.column, d.level is not Level.ERROR, d.field))


def format_diagnostics(diagnostics: Iterable[Diagnostic], output_format: str) -> str:
    ordered = sort_diagnostics(diagnostics)
    if output_format == "json":
        return json.dumps([d.as_dict() for d in ordered], indent=2, ensure_ascii=False)
    render = Diagnostic.as_github if output_format == "github" else Diagnostic.as_text
    return "\n".join(render(d) for d in ordered)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)
