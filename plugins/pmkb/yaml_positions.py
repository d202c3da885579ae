"""A safe YAML loader that remembers where every key and value was written.

PyYAML's loaders forget positions, silently keep the last of two duplicate keys, build Python objects from
`!!python/...` tags (unsafe loaders) and crash the interpreter on deeply nested input (the C composer recurses).
This module reads the *event* stream instead, which libyaml produces iteratively, and composes plain values
itself with a bounded depth and a bounded alias expansion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from .diagnostics import Diagnostic, Level, Position

try:  # The C parser is about 4x faster on front matter; fall back where libyaml is missing.
    from yaml import CSafeLoader as _EventLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _EventLoader  # type: ignore[assignment]

MAX_DEPTH = 32
MAX_NODES = 20_000  # after alias expansion: bounds the work an alias bomb can cause

_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_STD + name for name in ("str", "int", "float", "bool", "null", "timestamp")}
_SEQUENCE_TAGS = {None, "!", _STD + "seq"}
_MAPPING_TAGS = {None, "!", _STD + "map"}
_RESOLVER = Resolver()
_CONSTRUCTOR = SafeConstructor()


@dataclass(slots=True)
class LoadedYaml:
    """Plain Python values, plus the position of each value and key by dotted path (`action_items.0.owner`)."""

    value: object
    value_positions: dict[str, Position] = field(default_factory=dict)
    key_positions: dict[str, Position] = field(default_factory=dict)

    def position_of(self, path: str) -> Position:
        """The value's position; failing that the key's; failing that the nearest enclosing value's."""
        while True:
            if path in self.value_positions:
                return self.value_positions[path]
            if path in self.key_positions:
                return self.key_positions[path]
            if "." not in path:
                return self.value_positions.get("", Position(1, 1))
            path = path.rsplit(".", 1)[0]


class _Abort(Exception):
    """Stops composing: the document cannot be read any further."""

    def __init__(self, position: Position, field: str, message: str):
        super().__init__(message)
        self.position = position
        self.field = field
        self.message = message


@dataclass(slots=True)
class _Frame:
    container: dict | list
    path: str
    anchor: str | None
    nodes_at_start: int
    pending_key: str | None = None


def _join(parent: str, child: str | int) -> str:
    return f"{parent}.{child}" if parent else str(child)


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_STD) :] if tag.startswith(_STD) else tag


class _Composer:
    def __init__(self, first_line: int):
        self.first_line = first_line
        self.result = LoadedYaml(value=None)
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[object, int]] = {}
        self.nodes = 0
        self.documents = 0
        self.finished = False

    def position(self, mark: yaml.Mark | None) -> Position:
        if mark is None:
            return Position(self.first_line, 1)
        return Position(mark.line + self.first_line, mark.column + 1)

    def current_path(self) -> str:
        if not self.stack:
            return ""
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            return _join(frame.path, len(frame.container))
        return _join(frame.path, frame.pending_key) if frame.pending_key is not None else frame.path

    def count(self, nodes: int, mark: yaml.Mark) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            raise _Abort(
                self.position(mark),
                self.current_path(),
                f"front matter expands to more than {MAX_NODES} values (an alias bomb?)",
            )

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise _Abort(self.position(event.start_mark), "", "front matter holds more than one YAML document")
        elif isinstance(event, yaml.ScalarEvent):
            self.scalar(event)
        elif isinstance(event, yaml.AliasEvent):
            self.alias(event)
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            self.start_collection(event)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            self.end_collection()

    def scalar(self, event: yaml.ScalarEvent) -> None:
        self.count(1, event.start_mark)
        tag = event.tag
        if tag is None or tag == "!":
            tag = _RESOLVER.resolve(ScalarNode, event.value, event.implicit)
        position = self.position(event.start_mark)
        if tag not in _SCALAR_TAGS:
            raise _Abort(position, self.current_path(), f"YAML tag '{_short_tag(tag)}' is not allowed")
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            value = SafeConstructor.yaml_constructors[tag](_CONSTRUCTOR, node)
        except (ValueError, OverflowError, ConstructorError) as error:
            # e.g. 2019-02-30: the resolver calls it a timestamp, the calendar does not.
            message = f"'{event.value}' is not a valid {tag[len(_STD) :]}: {error}"
            raise _Abort(position, self.current_path(), message) from None
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1)
        self.add(value, position)

    def alias(self, event: yaml.AliasEvent) -> None:
        position = self.position(event.start_mark)
        if event.anchor not in self.anchors:
            raise _Abort(position, self.current_path(), f"alias '*{event.anchor}' names no anchor defined before it")
        value, size = self.anchors[event.anchor]
        self.count(size, event.start_mark)
        self.add(value, position)

    def start_collection(self, event: yaml.CollectionStartEvent) -> None:
        self.count(1, event.start_mark)
        position = self.position(event.start_mark)
        is_mapping = isinstance(event, yaml.MappingStartEvent)
        allowed = _MAPPING_TAGS if is_mapping else _SEQUENCE_TAGS
        if event.tag not in allowed:
            raise _Abort(position, self.current_path(), f"YAML tag '{_short_tag(event.tag)}' is not allowed")
        if len(self.stack) >= MAX_DEPTH:
            raise _Abort(position, self.current_path(), f"front matter is nested deeper than {MAX_DEPTH} levels")
        if self.stack and isinstance(self.stack[-1].container, dict) and self.stack[-1].pending_key is None:
            raise _Abort(position, self.current_path(), "a mapping key must be a plain value, not a list or mapping")
        path = self.current_path()
        if path or not self.stack:
            self.result.value_positions[path] = position
        self.stack.append(_Frame({} if is_mapping else [], path, event.anchor, self.nodes))

    def end_collection(self) -> None:
        frame = self.stack.pop()
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (frame.container, self.nodes - frame.nodes_at_start + 1)
        self.add(frame.container, None)

    def add(self, value: object, position: Position | None) -> None:
        if not self.stack:
            self.result.value = value
            if position is not None:
                self.result.value_positions[""] = position
            return
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            if position is not None:
                self.result.value_positions[_join(frame.path, len(frame.container))] = position
            frame.container.append(value)
        elif frame.pending_key is None:
            self.add_key(frame, value, position)
        else:
            if position is not None:
                self.result.value_positions[_join(frame.path, frame.pending_key)] = position
            frame.container[frame.pending_key] = value
            frame.pending_key = None

    def add_key(self, frame: _Frame, key: object, position: Position | None) -> None:
        assert position is not None  # collections as keys are refused in start_collection
        name = key if isinstance(key, str) else _key_text(key)
        path = _join(frame.path, name)
        if name in frame.container:
            first = self.result.key_positions[path]
            raise _Abort(
                position, path, f"duplicate key '{name}' (first written at line {first.line}); YAML keeps only one"
            )
        self.result.key_positions[path] = position
        frame.pending_key = name


def _key_text(key: object) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def load_yaml(text: str, path: str, first_line: int) -> tuple[LoadedYaml | None, list[Diagnostic]]:
    """Compose `text` (front matter starting at file line `first_line`) into positioned plain values.

    Returns the values, or None with one error diagnostic when the YAML cannot be read.
    """
    composer = _Composer(first_line)
    try:
        for event in yaml.parse(text, Loader=_EventLoader):
            composer.feed(event)
    except _Abort as abort:
        return None, [Diagnostic.at(path, abort.position, Level.ERROR, abort.field, abort.message)]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "malformed YAML"
        message = f"malformed YAML: {problem}"
        if error.context and error.problem:
            message = f"malformed YAML: {problem} ({error.context})"
        return None, [Diagnostic.at(path, composer.position(mark), Level.ERROR, composer.current_path(), message)]
    except yaml.YAMLError as error:  # ReaderError: a control character, for instance
        line = first_line + text.count("\n", 0, getattr(error, "position", 0) or 0)
        message = f"malformed YAML: {str(error).splitlines()[0] if str(error) else 'unreadable'}"
        return None, [Diagnostic(path, line, 1, Level.ERROR, "", message)]
    return composer.result, []
