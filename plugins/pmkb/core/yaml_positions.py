"""A safe YAML loader that remembers where every key and value was written.

PyYAML's loaders forget positions, silently keep the last of two duplicate keys, build Python objects from
`!!python/...` tags (unsafe loaders) and crash the interpreter on deeply nested input (the C composer recurses).
This module reads the *event* stream instead, which libyaml produces iteratively, and composes plain values
itself with a bounded depth and a bounded alias expansion.

Most front matter is plain: no tags, anchors or aliases, shallow, no duplicate keys. For such text a fast path
lets libyaml compose the node tree in C (nodes carry their positions) and walks it; anything unusual, and every
error, goes through the event composer, so both paths give the same values, positions and diagnostics.
"""

from __future__ import annotations

import bisect
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from sys import intern
from typing import Protocol

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from pmkb.core.diagnostics import Diagnostic, Level, Position, printable, shown
from pmkb.runtime.speedups import speedups

try:  # The C parser is about 4x faster on front matter; fall back where libyaml is missing.
    from yaml import CSafeLoader as _EventLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _EventLoader  # type: ignore[assignment]

MAX_DEPTH = 32
# The most values one file's front matter may hold, aliases expanded: it bounds the work a file can cause (YAML
# aliases can expand a few lines into millions of values). A file of thousands of action items may need more:
# VALUES_VARIABLE raises it.
MAX_NODES = 20_000
VALUES_VARIABLE = "PMKB_FRONT_MATTER_VALUES"


class ValueLimitError(ValueError):
    """VALUES_VARIABLE is set to something other than a positive whole number."""


def value_limit() -> int:
    """The limit in force: VALUES_VARIABLE if set, else MAX_NODES. Raises ValueLimitError for a bad setting
    (the command line and the plugin check it before anything is parsed)."""
    raw = os.environ.get(VALUES_VARIABLE, "").strip().replace("_", "")
    if not raw:
        return MAX_NODES
    if not raw.isdigit() or int(raw) < 1:
        raise ValueLimitError(f"{VALUES_VARIABLE} must be a whole number of values, such as 100000, not {raw!r}")
    return int(raw)


def _value_limit() -> int:
    try:
        return value_limit()
    except ValueLimitError:
        return MAX_NODES  # said once by the caller that checked it


MAX_KEY_LENGTH = 1024  # YAML's own limit for plain keys; `? key` syntax would otherwise allow any length

_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_STD + name for name in ("str", "int", "float", "bool", "null", "timestamp")}
_SEQUENCE_TAGS = {None, "!", _STD + "seq"}
_MAPPING_TAGS = {None, "!", _STD + "map"}
_YAML_ONLY_BREAKS = ("\x85", "\u2028", "\u2029")
_RESOLVER = Resolver()
_CONSTRUCTOR = SafeConstructor()


_FIRST_LINE = Position(1, 1)


@dataclass(slots=True)
class LoadedYaml:
    """Plain Python values, plus the position of each value and key by dotted path (`action_items.0.owner`).

    Positions are stored as (line, column) tuples, which are made for every key and value of every file and
    cost a tenth of a Position to create; the methods hand out Positions.
    """

    value: object
    value_positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[str, tuple[int, int]] = field(default_factory=dict)

    def position_of(self, path: str, default: Position = _FIRST_LINE) -> Position:
        """The value's position; failing that the key's; failing that the nearest enclosing value's."""
        while True:
            found = self.value_positions.get(path) or self.key_positions.get(path)
            if found is not None:
                return Position(*found)
            if "." not in path:
                found = self.value_positions.get("")
                return default if found is None else Position(*found)
            path = path.rsplit(".", 1)[0]

    def key_position(self, path: str) -> Position | None:
        found = self.key_positions.get(path)
        return None if found is None else Position(*found)


class _Mark(Protocol):
    """A position in the YAML text: yaml.Mark from the Python parser, yaml._yaml.Mark from libyaml's."""

    @property
    def index(self) -> int: ...

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


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


def too_many_values(limit: int) -> str:
    return (
        f"front matter holds more than {limit:,} values (keys, list items and values, counting each alias as what "
        f"it repeats), the most pmkb reads in one file; set {VALUES_VARIABLE} to a larger number to raise it"
    )


class _Composer:
    def __init__(self, first_line: int, text: str = ""):
        self.first_line = first_line
        # YAML also breaks lines at NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR; editors and MkDocs do not. When the
        # text holds one, positions are recomputed from the character index so that lines are counted at "\n" only.
        self.newlines: list[int] | None = None
        if any(char in text for char in _YAML_ONLY_BREAKS):
            self.newlines = [index for index, char in enumerate(text) if char == "\n"]
        self.result = LoadedYaml(value=None)
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[object, int]] = {}
        self.nodes = 0
        self.limit = _value_limit()
        self.documents = 0
        self.finished = False

    def position(self, mark: _Mark | None) -> Position:
        if mark is None:
            return Position(self.first_line, 1)
        if self.newlines is None:
            return Position(mark.line + self.first_line, mark.column + 1)
        line = bisect.bisect_left(self.newlines, mark.index)  # line breaks before the mark
        start = self.newlines[line - 1] + 1 if line else 0
        return Position(line + self.first_line, mark.index - start + 1)

    def current_path(self) -> str:
        if not self.stack:
            return ""
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            return _join(frame.path, len(frame.container))
        return _join(frame.path, frame.pending_key) if frame.pending_key is not None else frame.path

    def count(self, nodes: int, mark: _Mark | None) -> None:
        self.nodes += nodes
        if self.nodes > self.limit:
            raise _Abort(self.position(mark), self.current_path(), too_many_values(self.limit))

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
        if tag == _STD + "merge":
            raise _Abort(position, self.current_path(), "YAML merge keys ('<<') are not supported: write the keys out")
        if tag not in _SCALAR_TAGS:
            raise _Abort(position, self.current_path(), f"YAML tag '{shown(_short_tag(tag))}' is not allowed")
        # The marks only go into a ConstructorError's text. types-PyYAML types a node's marks as yaml.Mark, but
        # nodes composed by libyaml (the C loader this module uses) carry yaml._yaml.Mark, as these events do.
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)  # type: ignore[arg-type]
        kind = tag[len(_STD) :]
        try:
            value = SafeConstructor.yaml_constructors[tag](_CONSTRUCTOR, node)
        except (ValueError, OverflowError, ConstructorError) as error:
            # e.g. 2019-02-30: the resolver calls it a timestamp, the calendar does not.
            message = f"'{shown(event.value)}' is not a valid {kind}: {shown(str(error), 120)}"
            raise _Abort(position, self.current_path(), message) from None
        except (KeyError, IndexError, AttributeError, TypeError):
            # An explicit tag on text that does not fit it (`!!bool maybe`, `!!int ""`, `!!timestamp soon`):
            # PyYAML's constructors trust the resolver to have vetted the text and fail in odd ways.
            raise _Abort(position, self.current_path(), f"'{shown(event.value)}' is not a valid {kind}") from None
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1)
        self.add(value, position)

    def alias(self, event: yaml.AliasEvent) -> None:
        position = self.position(event.start_mark)
        if event.anchor not in self.anchors:
            message = f"alias '*{shown(event.anchor)}' names no anchor defined before it"
            raise _Abort(position, self.current_path(), message)
        value, size = self.anchors[event.anchor]
        self.count(size, event.start_mark)
        self.add(value, position)

    def start_collection(self, event: yaml.CollectionStartEvent) -> None:
        self.count(1, event.start_mark)
        position = self.position(event.start_mark)
        is_mapping = isinstance(event, yaml.MappingStartEvent)
        allowed = _MAPPING_TAGS if is_mapping else _SEQUENCE_TAGS
        tag = event.tag
        if tag is not None and tag not in allowed:  # None (no tag) is allowed
            raise _Abort(position, self.current_path(), f"YAML tag '{shown(_short_tag(tag))}' is not allowed")
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
        if len(name) > MAX_KEY_LENGTH:
            message = f"a mapping key is {len(name)} characters long; at most {MAX_KEY_LENGTH} allowed"
            raise _Abort(position, frame.path, message)
        path = _join(frame.path, name)
        if name in frame.container:
            first = Position(*self.result.key_positions[path])
            raise _Abort(
                position,
                path,
                f"duplicate key '{shown(name)}' (first written at line {first.line}); YAML keeps only one",
            )
        self.result.key_positions[path] = position
        frame.pending_key = name


def _key_text(key: object) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    try:
        return str(key)
    except ValueError:  # an int too long for str() (`0x` and thousands of digits)
        return f"<a number of {key.bit_length()} bits>" if isinstance(key, int) else "<unprintable key>"


# Text the fast path leaves to the event composer: a tag, anchor or alias at the start of a token, a merge key,
# a line break that YAML and editors count differently, or nesting too deep for libyaml's recursive composer
# (it crashes the interpreter near 100,000 levels; a bracket or a leading indicator is at most one level each).
_TAG_ANCHOR_ALIAS = re.compile(r"(?:^|[\s\[\]{},])[!&*]", re.MULTILINE)
_DEEP_LINE = re.compile(r"^[ \t?:-]{1000}", re.MULTILINE)
_FAST_DEPTH_LIMIT = 1000  # libyaml's composer has been seen to survive 10,000 levels and crash at 100,000
_STR, _SEQ, _MAP = _STD + "str", _STD + "seq", _STD + "map"
# Keys and short values (services, tags, owners, statuses) repeat across thousands of files: each is kept once
# (sys.intern) rather than once per file, and only they are worth memoizing tag resolution for.
_SHARED_LENGTH = 48
_TAG_MEMO_SIZE = 10_000


_RESOLVED_FIRST_CHARACTERS = frozenset(key for key in _EventLoader.yaml_implicit_resolvers if key)
assert None not in _EventLoader.yaml_implicit_resolvers  # no resolver applies to every first character


class _PlainLoader(_EventLoader):
    """libyaml's composer with a memo on implicit tag resolution (front matter repeats keys and values a lot)
    and without path resolvers, which pmkb never registers."""

    _tags: dict[tuple[str, tuple[bool, bool]], str] = {}

    def descend_resolver(self, current_node, current_index):
        pass

    def ascend_resolver(self):
        pass

    def resolve(self, kind, value, implicit):
        if kind is not ScalarNode:
            return _SEQ if kind is SequenceNode else _MAP
        # What BaseResolver.resolve concludes without a regex: a quoted scalar, or a plain one whose first
        # character no implicit resolver is registered for, is a string (a third of a composition's time).
        if not implicit[0] or (value and value[0] not in _RESOLVED_FIRST_CHARACTERS):
            return _STR
        key = (value, implicit)
        tag = self._tags.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(self._tags) < _TAG_MEMO_SIZE and len(value) <= _SHARED_LENGTH:
                self._tags[key] = tag
        return tag


_TIMESTAMP = _STD + "timestamp"
# The shapes postmortems use (2024-05-01, 2024-05-01T09:30:00Z, ...T09:30:00+02:00), with every field in range,
# so that the standard library reads exactly what PyYAML's constructor would (a test compares them).
_COMMON_TIMESTAMP = re.compile(
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"(?:T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?)?"
)


def common_timestamp(text: str) -> date | datetime | None:
    """`text` as PyYAML's SafeConstructor reads it, for the common shapes; None for any other text."""
    if not _COMMON_TIMESTAMP.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
    except ValueError:  # 2019-02-30: left to PyYAML, which reports it its own way
        return None


class _NotPlain(Exception):
    """The fast path met something it leaves to the event composer."""


def _load_plain(text: str, first_line: int) -> LoadedYaml | None:
    """The fast path: libyaml composes in C, a short walk converts. None when the text is not plain."""
    if ("!" in text or "&" in text or "*" in text) and _TAG_ANCHOR_ALIAS.search(text):
        return None
    if "<<" in text or any(char in text for char in _YAML_ONLY_BREAKS):
        return None
    if text.count("[") + text.count("{") > _FAST_DEPTH_LIMIT:
        return None
    if len(text) >= _FAST_DEPTH_LIMIT and _DEEP_LINE.search(text):
        return None
    try:
        root = yaml.compose(text, Loader=_PlainLoader)
    except yaml.YAMLError:
        return None  # the event composer reports it, with its position
    if root is None:
        return None
    result = LoadedYaml(value=None)
    try:
        result.value = _PlainConverter(result, first_line).convert(root, "", 0)
    except _NotPlain:
        return None
    return result


class _PlainConverter:
    """Composed nodes to plain values, recording positions into a LoadedYaml.

    A class, not a recursive closure: a closure that calls itself is a reference cycle, which only the garbage
    collector frees, and the build freezes the collector's view after parsing (plugin.on_files), which would
    keep every file's positions alive for the whole build (60 MB at 5,000 postmortems).
    """

    __slots__ = ("values", "keys", "first_line", "budget")

    def __init__(self, result: LoadedYaml, first_line: int):
        self.values, self.keys = result.value_positions, result.key_positions
        self.first_line = first_line
        self.budget = _value_limit()

    def convert(self, node: yaml.Node, path: str, depth: int) -> object:
        self.budget -= 1
        if self.budget < 0:
            raise _NotPlain
        mark = node.start_mark
        self.values[path] = (mark.line + self.first_line, mark.column + 1)
        tag = node.tag
        if tag == _STR and type(node) is ScalarNode:
            value = node.value
            return intern(value) if len(value) <= _SHARED_LENGTH else value
        if depth >= MAX_DEPTH:
            raise _NotPlain
        if type(node) is ScalarNode:
            if tag not in _SCALAR_TAGS:
                raise _NotPlain
            if tag == _TIMESTAMP:
                moment = common_timestamp(node.value)
                if moment is not None:
                    return moment
            try:
                return SafeConstructor.yaml_constructors[tag](_CONSTRUCTOR, node)
            except Exception:
                raise _NotPlain from None
        prefix = path + "." if path else ""
        if type(node) is SequenceNode and tag == _SEQ:
            return [self.convert(item, f"{prefix}{index}", depth + 1) for index, item in enumerate(node.value)]
        if type(node) is not MappingNode or tag != _MAP:
            raise _NotPlain
        mapping: dict[str, object] = {}
        keys = self.keys
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode or key_node.tag != _STR:
                raise _NotPlain
            name = key_node.value
            if name in mapping or len(name) > MAX_KEY_LENGTH:
                raise _NotPlain
            name = intern(name)
            key_mark = key_node.start_mark
            keys[prefix + name] = (key_mark.line + self.first_line, key_mark.column + 1)
            mapping[name] = self.convert(value_node, prefix + name, depth + 1)
        return mapping


def load_yaml(text: str, path: str, first_line: int) -> tuple[LoadedYaml | None, list[Diagnostic]]:
    """Compose `text` (front matter starting at file line `first_line`) into positioned plain values.

    Returns the values, or None with one error diagnostic when the YAML cannot be read.
    """
    plain = _load_plain(text, first_line) if speedups().fast_yaml else None
    if plain is not None:
        return plain, []
    return _load_events(text, path, first_line)


def _load_events(text: str, path: str, first_line: int) -> tuple[LoadedYaml | None, list[Diagnostic]]:
    """The event composer: any YAML, bounded; every error as one diagnostic."""
    composer = _Composer(first_line, text)
    try:
        for event in yaml.parse(text, Loader=_EventLoader):
            composer.feed(event)
    except _Abort as abort:
        return None, [Diagnostic.at(path, abort.position, Level.ERROR, printable(abort.field), abort.message)]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        earlier = _abort_before(text, mark, path, first_line)
        if earlier is not None:
            return None, [earlier]
        problem = error.problem or error.context or "malformed YAML"
        message = f"malformed YAML: {problem}"
        if error.context and error.problem:
            message = f"malformed YAML: {problem} ({error.context})"
        field = printable(composer.current_path())
        return None, [Diagnostic.at(path, composer.position(mark), Level.ERROR, field, message)]
    except yaml.YAMLError as error:  # ReaderError: a control character, for instance
        offset = getattr(error, "position", 0) or 0
        if _EventLoader is not yaml.SafeLoader:  # libyaml counts bytes of the UTF-8 text
            offset = len(text.encode("utf-8")[:offset].decode("utf-8", "ignore"))
        line = first_line + text.count("\n", 0, offset)
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        message = f"malformed YAML: {str(error).splitlines()[0] if str(error) else 'unreadable'}"
        return None, [Diagnostic(path, line, column, Level.ERROR, "", message)]
    return composer.result, []


def _abort_before(text: str, mark: yaml.Mark | None, path: str, first_line: int) -> Diagnostic | None:
    """pmkb's own diagnostic for a problem that comes before libyaml's error, if there is one.

    libyaml scans ahead of the events it has handed out, and some versions stop at limits of their own (PyYAML
    6.0.4's nests at most 1,000 levels) before the composer has seen the 33rd level. PyYAML's pure-Python parser
    has no such limit: it re-reads the text up to libyaml's error, so the author gets the same diagnostic
    whichever libyaml is installed.
    """
    if mark is None or _EventLoader is yaml.SafeLoader:
        return None
    lines = text.split("\n", mark.line + 1)
    end = sum(len(line) + 1 for line in lines[: mark.line]) + mark.column + 1
    composer = _Composer(first_line, text)
    try:
        for event in yaml.parse(text[:end], Loader=yaml.SafeLoader):
            composer.feed(event)
    except _Abort as abort:
        return Diagnostic.at(path, abort.position, Level.ERROR, printable(abort.field), abort.message)
    except yaml.YAMLError:
        return None
    return None
