"""Byte-exact edits of an action item's values: `pmkb actions set` changes a status, a due date or an owner and
nothing else.

Only the characters of the changed values are rewritten. Comments, quoting, key order, line endings (CRLF too), a
byte order mark and every other byte stay as they were. Values are found at the positions the parser recorded
(`LoadedYaml.value_positions`); YAML's own events give where each value ends and how it is written (plain, quoted,
block or flow). Before anything is returned the edited text is parsed again and must hold exactly the old values
with the new ones in place: an edit that cannot be made safely is refused, never written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import yaml

from pmkb.core.diagnostics import Position
from pmkb.core.source import read_front_matter
from pmkb.core.template import yaml_scalar
from pmkb.core.yaml_positions import LoadedYaml

EDITABLE = ("status", "due", "owner")
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # used with fullmatch


@dataclass(frozen=True, slots=True)
class Change:
    key: str
    old: str | None  # as it was (None: the key was absent or empty)
    new: str
    line: int  # file line of the new value


@dataclass(frozen=True, slots=True)
class Edit:
    """The edited file, or why the edit was refused (then `raw` is None)."""

    raw: bytes | None
    changes: tuple[Change, ...] = ()
    problem: str | None = None


@dataclass(slots=True)
class _Node:
    """A YAML event of the item mapping: where it starts and ends in the text, and its style."""

    start: int  # character index in the front matter text
    end: int
    style: str | None
    value: str | None = None  # scalars only


@dataclass(slots=True)
class _Item:
    flow: bool
    start: int
    end: int  # the closing `}` of a flow mapping; the end of the last value of a block mapping
    keys: dict[str, _Node]
    values: dict[str, _Node | None]  # None: a list or mapping, which is never edited
    first_key_column: int


def set_item_values(raw: bytes, path: str, index: int, new: dict[str, str]) -> Edit:
    """`raw` with action item `index` (0-based) given the values `new` (key -> text of the value)."""
    document, loaded, diagnostics = read_front_matter(raw, path)
    if loaded is None or document is None or document.front_matter is None:
        return Edit(None, problem="its front matter cannot be read (run pmkb lint)")
    items = loaded.value.get("action_items") if isinstance(loaded.value, dict) else None
    if not isinstance(items, list) or not 0 <= index < len(items) or not isinstance(items[index], dict):
        return Edit(None, problem=f"it has no action item {index + 1}")
    item_position = loaded.value_positions.get(f"action_items.{index}")
    first_line = document.front_matter_line
    item = _item_at(document.front_matter, item_position, first_line) if item_position else None
    if item is None:
        return Edit(None, problem="the action item could not be located in the text")

    text = raw.decode("utf-8-sig")  # line endings kept as they are, unlike what MkDocs and the parser see
    bom = raw.startswith(b"\xef\xbb\xbf")
    line_starts = [0] + [match.end() for match in _LINE_BREAK_RE.finditer(text)]
    fm_line_starts = [0] + [match.end() for match in re.finditer("\n", document.front_matter)]

    def to_text(fm_index: int) -> int:
        """A character index of the (newline-normalized) front matter -> the same place in the file's text."""
        line = _line_of(fm_line_starts, fm_index)
        return line_starts[line + first_line - 1] + fm_index - fm_line_starts[line]

    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in `text`
    changes: list[Change] = []
    for key, value in new.items():
        old = items[index].get(key)
        old_text = old.isoformat() if isinstance(old, date) else old
        if old_text == value:
            continue
        node = item.values.get(key) if key in item.keys else None
        if key in item.keys and node is None:
            return Edit(None, problem=f"{key} holds a list or mapping; fix it by hand first")
        if node is not None and node.style in ("|", ">"):
            return Edit(None, problem=f"{key} is written as a block scalar ({node.style}); edit it by hand")
        if node is not None and node.start == node.end:  # `due:` with nothing after it
            colon = document.front_matter.index(":", item.keys[key].end)
            edits.append((to_text(colon + 1), to_text(colon + 1), " " + _render(value, None, key)))
            at = colon
        elif node is not None:
            edits.append((to_text(node.start), to_text(node.end), _render(value, node.style, key)))
            at = node.start
        else:
            insertion = _insertion(document.front_matter, item, key, value)
            if insertion is None:
                return Edit(None, problem=f"cannot add {key} to this item safely; add '{key}: {value}' by hand")
            position, inserted = insertion
            start = to_text(position)
            if inserted.endswith("\n"):  # a new line: in the line ending the file uses there
                ending = _LINE_BREAK_RE.search(text, max(start - 2, 0))
                eol = ending.group(0) if ending else "\n"
                inserted = inserted[:-1] + eol
            edits.append((start, start, inserted))
            at = position
        changes.append(
            Change(key, None if old_text is None else str(old_text), value, _line_of(fm_line_starts, at) + first_line)
        )
    if not edits:
        return Edit(raw, ())
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    result = ("\ufeff" if bom else "").encode("utf-8") + text.encode("utf-8")
    problem = _verify(result, path, loaded, index, new)
    if problem:
        return Edit(None, problem=problem)
    return Edit(result, tuple(sorted(changes, key=lambda change: change.line)))


def _line_of(starts: list[int], index: int) -> int:
    """0-based line holding character `index`, given each line's start."""
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= index:
            low = middle
        else:
            high = middle - 1
    return low


def _render(value: str, style: str | None, key: str = "") -> str:
    """`value` written the way the old value was: single-quoted, double-quoted, or plain (quoted if it must be)."""
    if key == "due" and style is None and _DATE_RE.fullmatch(value):
        return value  # a plain date, as authors write it (yaml_scalar would quote it to keep it a string)
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == '"':
        return yaml.safe_dump(value, default_style='"', allow_unicode=True, width=float("inf")).rstrip("\n")
    return yaml_scalar(value)


def _item_at(front_matter: str, position: tuple[int, int], first_line: int) -> _Item | None:
    """The mapping of events that starts at the parser's recorded `position` (file line and column)."""
    depth = 0
    item: _Item | None = None
    pending_key: _Node | None = None
    key_name = ""
    try:
        for event in yaml.parse(front_matter, Loader=yaml.SafeLoader):
            mark, end_mark = event.start_mark, event.end_mark
            if mark is None or end_mark is None:  # PyYAML's own parser marks every event; never taken
                return None
            here = Position(mark.line + first_line, mark.column + 1)
            if item is None:
                if isinstance(event, yaml.MappingStartEvent) and here == tuple(position):
                    item = _Item(bool(event.flow_style), mark.index, mark.index, {}, {}, mark.column + 1)
                    depth = 1
                continue
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if depth == 1:
                    item.values[key_name] = None
                    pending_key = None
                depth += 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
                if depth == 1:
                    item.end = end_mark.index
                elif depth == 0:
                    if item.flow:
                        item.end = mark.index
                    return item
            elif depth == 1 and isinstance(event, yaml.ScalarEvent):
                node = _Node(mark.index, end_mark.index, event.style, event.value)
                if pending_key is None:
                    pending_key, key_name = node, event.value
                    if not item.keys:
                        item.first_key_column = mark.column + 1
                    item.keys[key_name] = node
                else:
                    item.values[key_name] = node
                    item.end = node.end
                    pending_key = None
            elif depth == 1 and isinstance(event, yaml.AliasEvent):
                return None  # an alias as a value or key: not something to edit in place
    except yaml.YAMLError:
        return None
    return None


def _insertion(front_matter: str, item: _Item, key: str, value: str) -> tuple[int, str] | None:
    """Where and what to insert to add `key: value` to the item, in the item's own style; None if unsafe."""
    if not item.keys:
        return None
    if item.flow:
        # `{title: x, status: open}` -> `{title: x, status: open, due: ...}`: right after the last value.
        last_end = max(node.end for node in (*item.keys.values(), *(v for v in item.values.values() if v)))
        if "\n" in front_matter[last_end : item.end] and front_matter[last_end : item.end].strip():
            return None  # a comment between the last value and `}`: no place that keeps it intact
        return last_end, f", {key}: {_render(value, None, key)}"
    # A block mapping: a new line below the item's last line, indented like its keys.
    end = item.end
    line_start = front_matter.rfind("\n", 0, end) + 1
    if end == line_start:  # the last value ended a line (a block scalar): insert at the start of the next one
        position = end
    else:
        newline = front_matter.find("\n", end)
        if newline < 0:
            return None
        position = newline + 1
    # The column of the first key counts characters after "- " (or after the key's indent): spaces only.
    indent = " " * (item.first_key_column - 1)
    return position, f"{indent}{key}: {_render(value, None, key)}\n"


def _verify(raw: bytes, path: str, before: LoadedYaml, index: int, new: dict[str, str]) -> str | None:
    """None when `raw` holds the old front matter with exactly the new values in the item; else why not."""
    _, loaded, _ = read_front_matter(raw, path)
    if loaded is None:
        return "the edited front matter would not parse; nothing was written"
    expected = _plain(before.value)
    assert isinstance(expected, dict)  # set_item_values found the item in this very mapping
    expected["action_items"][index].update(new)
    if _plain(loaded.value) != expected:
        return "the edit would change more than the given values; nothing was written"
    return None


def _plain(value: object) -> object:
    """Values compared the way they are written: dates as YYYY-MM-DD (a quoted date is the same date)."""
    if isinstance(value, dict):
        return {key: _plain(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_plain(child) for child in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
