"""The publish gate: what `pmkb new` left for the author to fill in must be filled in before publishing.

A draft may keep its placeholders (that is what a draft is). Under review they are warnings, so the reviewer sees
them; once `status: published` they are errors. The placeholders are the ones `pmkb.core.template` writes (read
from there, never copied), plus the template's body sections left empty. Each finding is at its own line and says
what to write there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pmkb.core.diagnostics import Diagnostic, Level, Position, shown
from pmkb.core.fields import Field, Kind
from pmkb.core.taxonomy import Taxonomy
from pmkb.core.template import (
    BODY_SECTIONS,
    NOT_A_REASON,
    PLACEHOLDER_AUTHOR,
    PLACEHOLDER_CAUSE,
    PLACEHOLDER_SERVICE,
    TODO_MARKER,
    default_cause,
)
from pmkb.core.validate import item_label
from pmkb.core.yaml_positions import LoadedYaml

GATED = {"published": Level.ERROR, "in-review": Level.WARNING}
_WHEN = {"published": "", "in-review": " (to fill in before publishing)"}
BODY_FIELD = "body"

_TODO_RE = re.compile(rf"{re.escape(TODO_MARKER)}\b")  # used with match, on the stripped text
_HEADING_RE = re.compile(r" {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*")  # an ATX heading; used with fullmatch
_FENCE_RE = re.compile(r" {0,3}(`{3,}|~{3,})")
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
# A line that may open a heading or a fence. Matched from its line break, a literal the regex engine searches for
# quickly; `^` with MULTILINE is tried at every character (three times slower on a typical body).
_CANDIDATE_RE = re.compile(r"\n {0,3}(?:#|```|~~~)")


@dataclass(frozen=True, slots=True)
class _Section:
    level: int
    title: str
    hint: str


def _template_sections() -> dict[tuple[int, str], _Section]:
    sections = {}
    for heading, hint in BODY_SECTIONS:
        marks, _, title = heading.partition(" ")
        sections[(len(marks), title.casefold())] = _Section(len(marks), title, hint)
    return sections


_SECTIONS = _template_sections()


def publish_gate(
    loaded: LoadedYaml,
    body: str | None,
    body_line: int,
    *,
    path: str,
    taxonomy: Taxonomy,
    front_matter: str | None = None,
) -> list[Diagnostic]:
    """The gate's findings for one file: none for drafts (or an invalid status, which has its own error)."""
    data = loaded.value
    if not isinstance(data, dict):
        return []
    status = data.get("status")
    level = GATED.get(status) if isinstance(status, str) else None  # any other value is an error of its own
    if level is None:
        return []
    when = _WHEN[data["status"]]
    found: list[Diagnostic] = []

    def report(where: str, message: str, position: Position | None = None) -> None:
        found.append(Diagnostic.at(path, position or loaded.position_of(where), level, where, message))

    # Every text value is walked only when the marker is in the text at all (this runs for every file of a build).
    texts = _text_values(data, taxonomy.front_matter, "") if front_matter is None or TODO_MARKER in front_matter else ()
    for where, spec, value in texts:
        if _TODO_RE.match(value.strip()):
            name = _label(data, where)
            report(where, f"{name} is still the placeholder '{shown(value)}'{when}: {_what_to_write(spec)}")
    for index, service in _entries(data, "services"):
        if service == PLACEHOLDER_SERVICE:
            report(
                f"services.{index}",
                f"service '{service}' is the placeholder pmkb new writes{when}: name the services involved, as slugs",
            )
    for index, author in _entries(data, "authors"):
        if author == PLACEHOLDER_AUTHOR:
            report(
                f"authors.{index}",
                f"author '{author}' is the placeholder pmkb new writes when it finds no name{when}: "
                "write who wrote this",
            )
    # Only when pmkb new writes that very cause: a taxonomy without it makes pmkb new fall back to a real cause.
    if default_cause(taxonomy) == PLACEHOLDER_CAUSE and data.get("cause") == PLACEHOLDER_CAUSE:
        causes = ", ".join(slug for slug in taxonomy.slugs("causes") if slug != PLACEHOLDER_CAUSE)
        report(
            "cause",
            f"cause '{PLACEHOLDER_CAUSE}' is the placeholder pmkb new writes{when}: name the primary root-cause "
            f"category ({causes})",
        )
    reason = data.get("no_action_items")
    if isinstance(reason, str) and not _TODO_RE.match(reason.strip()) and _folded(reason) in NOT_A_REASON:
        report(
            "no_action_items",
            f"no_action_items '{shown(reason)}' gives no reason{when}: say why this incident needs no follow-up",
        )
    if body is not None:
        for section, line in _empty_sections(body, body_line):
            what = section.hint.rstrip(".") if section.hint else "Write it"
            report(
                BODY_FIELD,
                f'section "{section.title}" is empty{when}: {what}. Or delete the heading if it does not apply',
                Position(line, 1),
            )
    return found


def _label(data: dict, where: str) -> str:
    """`action item 2, "Title": owner` for a path inside an action item; other paths as they are."""
    parts = where.split(".")
    if parts[0] == "action_items" and len(parts) >= 2 and parts[1].isdigit():
        rest = ".".join(parts[2:])
        return item_label(data, int(parts[1])) + (f": {rest}" if rest else "")
    return where


def _folded(text: str) -> str:
    return " ".join(text.split()).strip(" .!").casefold()


def _what_to_write(spec: Field) -> str:
    description = spec.description.rstrip(".")
    return "write " + description[0].lower() + description[1:]


def _entries(data: dict, key: str) -> Iterator[tuple[int, str]]:
    values = data.get(key)
    if isinstance(values, list):
        for index, value in enumerate(values):
            if isinstance(value, str):
                yield index, value


def _text_values(value: object, spec: Field, where: str) -> Iterator[tuple[str, Field, str]]:
    """Every text value of the front matter that the declarations call text, with its path and declaration."""
    if spec.kind is Kind.TEXT and isinstance(value, str):
        yield where, spec, value
    elif spec.kind is Kind.MAPPING and isinstance(value, dict):
        for child in spec.fields:
            if child.name in value:
                yield from _text_values(value[child.name], child, f"{where}.{child.name}" if where else child.name)
    elif spec.kind is Kind.LIST and spec.item is not None and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _text_values(item, spec.item, f"{where}.{index}")


def _empty_sections(body: str, first_line: int) -> list[tuple[_Section, int]]:
    """The template's sections present in `body` with nothing written under them, and their file lines.

    A section with subsections is judged by its subsections (Lessons learned by What went well, ...). Headings
    inside fenced code blocks are code, not headings.
    """
    headings: list[tuple[int, int, int, str]] = []  # (start of the line, end of the line, level, title)
    fence: str | None = None
    # Only lines that may open a heading or a fence are looked at (a body is mostly prose: this runs on every build).
    body = "\n" + body  # so that the first line starts after a line break too; offsets shift by one
    first_line -= 1
    for match in _CANDIDATE_RE.finditer(body):
        start = match.start() + 1
        end = body.find("\n", start)
        end = len(body) if end < 0 else end
        line = body[start:end]
        opening = _FENCE_RE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        heading = _HEADING_RE.fullmatch(line)
        if heading:
            headings.append((start, end, len(heading.group(1)), heading.group(2)))
    empty = []
    for position, (start, end, level, title) in enumerate(headings):
        section = _SECTIONS.get((level, title.strip().casefold()))
        if section is None:
            continue
        following = headings[position + 1] if position + 1 < len(headings) else None
        if following is not None and following[2] > level:
            continue  # it has subsections, which are judged themselves
        content = body[end : following[0] if following is not None else len(body)].strip()
        if not content or (content.startswith("<!--") and not _COMMENT_RE.sub("", content).strip()):
            empty.append((section, first_line + body.count("\n", 0, start)))
    return empty
