"""Checking one postmortem's front matter against the field declarations and the taxonomy.

Rules that need the whole knowledge base (duplicate ids, `related`, `runbooks`) or today's date (overdue items)
live in `catalog.py`; everything here depends only on the file and the taxonomy, so its result can be cached by
file content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from pmkb.core.diagnostics import Diagnostic, Level, Position, has_errors, printable, shown, type_name
from pmkb.core.fields import TIMELINE_ORDER, Field, Kind, Required
from pmkb.core.files import is_markdown
from pmkb.core.model import OPEN_STATUSES, UNKNOWN_MOMENT, ActionItem, Impact, Postmortem, Timeline
from pmkb.core.suggest import did_you_mean
from pmkb.core.taxonomy import SLUG_RE, Taxonomy
from pmkb.core.text import text_problem, unsafe_character
from pmkb.core.yaml_positions import LoadedYaml

_INVALID = object()
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # used with fullmatch: `$` would allow a final newline
_FILE_DATE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_SAFE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # used with fullmatch
_MAX_INT = 2**63 - 1  # what JSON consumers and databases can hold; beyond it str() may even refuse the number
_ITEM_PATH_RE = re.compile(r"action_items\.([0-9]+)(?:\.(.+))?")  # used with fullmatch
_ITEMS = "action_items"
_INF = float("inf")


@dataclass(frozen=True, slots=True)
class Reference:
    """One valid entry of `related` or `runbooks`, kept for the rules that need the whole knowledge base."""

    field: str  # `related.2`
    value: str
    position: Position


@dataclass(frozen=True, slots=True)
class DueItem:
    """An action item whose status and due date are valid: enough for the overdue rule, whatever else is wrong."""

    field: str  # `action_items.0.due`
    index: int
    title: str | None  # the raw title, if it is text: the label is made only for the few items that are overdue
    owner: str
    status: str
    due: date
    position: Position

    @property
    def label(self) -> str:
        """`action item 1, "Add request coalescing"`."""
        return item_label({_ITEMS: [None] * self.index + [{"title": self.title}]}, self.index)


@dataclass(slots=True)
class FileCheck:
    """What validating one file yields: the postmortem (None when it has errors) and its diagnostics.

    `references` and `dues` are the valid parts that knowledge-base-wide rules check (related, runbooks, overdue
    items). They are kept for files with errors too, so one lint run reports everything that can be known.
    """

    postmortem: Postmortem | None
    diagnostics: list[Diagnostic]
    references: tuple[Reference, ...] = ()
    dues: tuple[DueItem, ...] = ()


def _show_exact(value: str) -> str:
    """A slug or keyword quoted in a message, invisible characters spelled out (`'abc\\n' is not a slug`)."""
    return shown(printable(value))


class _Checker:
    def __init__(self, loaded: LoadedYaml, path: str, taxonomy: Taxonomy, status: object):
        self.loaded = loaded
        self.path = path
        self.taxonomy = taxonomy
        self.status = status
        self.diagnostics: list[Diagnostic] = []

    def label(self, where: str) -> str:
        """How a message names the value at `where`: an action item by its number and title, so the author finds
        it at once (`action item 2, "Alert on Boskos health": status ...`); other paths as they are."""
        prefix, local = self.split_label(where)
        return f"{prefix}{local}" if local else prefix.removesuffix(": ")

    def split_label(self, where: str) -> tuple[str, str]:
        """(`action item 2, "Title": `, `status`) for `action_items.1.status`; ("", where) for other paths."""
        match = _ITEM_PATH_RE.fullmatch(where)
        if match is None:
            return "", where
        return item_label(self.loaded.value, int(match.group(1))) + ": ", match.group(2) or ""

    def report(self, level: Level, where: str, message: str, position: Position | None = None) -> None:
        position = position or self.loaded.position_of(where)
        self.diagnostics.append(Diagnostic.at(self.path, position, level, where, message))

    def error(self, where: str, message: str) -> object:
        self.report(Level.ERROR, where, message)
        return _INVALID

    def check(self, spec: Field, value: object, where: str) -> object:
        return _CHECKS[spec.kind](self, spec, value, where)

    def wrong_type(self, where: str, expected: str, value: object) -> object:
        return self.error(where, f"{self.label(where)} must be {expected}, got {type_name(value)}")

    def check_mapping(self, spec: Field, value: object, where: str) -> object:
        if not isinstance(value, dict):
            if not where:  # the whole front matter: field "" like every other file-level diagnostic
                return self.error("", f"front matter must be a mapping of fields, got {type_name(value)}")
            return self.wrong_type(where, "a mapping of fields", value)
        result: dict[str, object] = {}
        for child in spec.fields:
            child_value = value.get(child.name)
            child_path = f"{where}.{child.name}" if where else child.name
            if child_value is not None:
                result[child.name] = self.check(child, child_value, child_path)
            elif child.required.applies(self.status):  # missing, or present and empty (null)
                when = "" if child.required is Required.ALWAYS else f" ({child.required.value})"
                state = "is empty" if child.name in value else "is missing"
                position = self.loaded.position_of(child_path if child.name in value else where)
                prefix, local = self.split_label(child_path)
                self.report(Level.ERROR, child_path, f"{prefix}required key '{local}' {state}{when}", position)
                result[child.name] = _INVALID
        for key in value:
            if key not in spec.names:
                known = [child.name for child in spec.fields]
                key_path = f"{where}.{key}" if where else key
                hint = did_you_mean(key, known) or f"; known keys: {', '.join(known)}"
                position = self.loaded.key_position(key_path) or self.loaded.position_of(key_path)
                prefix = self.split_label(key_path)[0] if where else ""
                message = f"{prefix}unknown key '{_show_exact(key)}'{hint}"
                self.report(Level.WARNING, printable(key_path), message, position)
        return result

    def check_list(self, spec: Field, value: object, where: str) -> object:
        assert spec.item is not None
        if not isinstance(value, list):
            hint = f"; write [{shown(value)}]" if isinstance(value, str) else ""
            return self.error(where, f"{where} must be a list of {spec.item.name} values, got {type_name(value)}{hint}")
        if len(value) < spec.min_items:
            return self.error(where, f"{where} must list at least {spec.min_items} {spec.item.name}")
        # Entries keep their own verdicts (_INVALID where wrong): the rules that read the others still run.
        return [self.check(spec.item, item, f"{where}.{index}") for index, item in enumerate(value)]

    def check_text(self, spec: Field, value: object, where: str) -> object:
        if not isinstance(value, str):
            return self.wrong_type(where, "text", value)
        if not value.strip():
            return self.error(where, f"{self.label(where)} must not be empty")
        problem = text_problem(value.strip())
        if problem is not None:  # one line a reader can see: no line break, control or invisible-only text
            return self.error(where, problem.message(self.label(where)))
        if spec.max_length is not None and len(value) > spec.max_length:
            message = f"{self.label(where)} is {len(value)} characters long; at most {spec.max_length} allowed"
            return self.error(where, message)
        if spec.pattern is not None and re.search(spec.pattern, value.strip()) is None:
            return self.error(where, f"{self.label(where)} '{shown(value.strip())}' does not match {spec.pattern}")
        return value.strip()

    def check_slug(self, spec: Field, value: object, where: str) -> object:
        if not isinstance(value, str):
            return self.wrong_type(where, f"a {spec.name} slug", value)
        if not SLUG_RE.fullmatch(value):  # not match: `$` also matches before a final newline
            suggestion = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
            hint = f"; try '{shown(suggestion)}'" if suggestion and SLUG_RE.fullmatch(suggestion) else ""
            return self.error(where, f"{spec.name} '{_show_exact(value)}' is not a slug (lowercase a-z, 0-9, -){hint}")
        return value

    def check_choice(self, spec: Field, value: object, where: str) -> object:
        allowed = self.taxonomy.slugs(spec.taxonomy) if spec.taxonomy else spec.choices
        if isinstance(value, str) and value in allowed:
            return value
        name = self.label(where)  # only now: labels are made for findings, not for the many valid values
        if not isinstance(value, str):
            return self.error(where, f"{name} must be one of {', '.join(allowed)}, got {type_name(value)}")
        hint = did_you_mean(value, allowed)
        return self.error(where, f"{name} '{_show_exact(value)}' is not one of {', '.join(allowed)}{hint}")

    def check_date(self, spec: Field, value: object, where: str) -> object:
        if isinstance(value, datetime):
            return self.error(where, f"{self.label(where)} must be a date (YYYY-MM-DD), got a timestamp")
        if isinstance(value, date):
            return value
        if isinstance(value, str) and _DATE_RE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                return self.error(where, f"{self.label(where)} '{value}' is not a real calendar date")
        return self.wrong_type(where, "a date (YYYY-MM-DD)", value)

    def check_timestamp(self, spec: Field, value: object, where: str) -> object:
        if value == UNKNOWN_MOMENT:
            return value  # an archive that never recorded it says so; it is left out of every duration
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return self.error(where, f"{where} '{shown(value)}' is not an ISO 8601 timestamp")
        if not isinstance(value, datetime):
            if isinstance(value, date):
                return self.error(
                    where,
                    f"{where} must be a timestamp with a UTC offset (e.g. {value.isoformat()}T09:30:00Z), got a date",
                )
            return self.wrong_type(where, "an ISO 8601 timestamp with a UTC offset", value)
        if value.tzinfo is None or value.utcoffset() is None:
            return self.error(
                where, f"{where} has no UTC offset: add one, e.g. {value.isoformat()}Z or {value.isoformat()}-07:00"
            )
        return value

    def check_bool(self, spec: Field, value: object, where: str) -> object:
        return value if isinstance(value, bool) else self.wrong_type(where, "true or false", value)

    def check_int(self, spec: Field, value: object, where: str) -> object:
        if not isinstance(value, int) or isinstance(value, bool):
            return self.wrong_type(where, "a whole number", value)
        if spec.minimum is not None and value < spec.minimum:
            return self.error(where, f"{where} must be at least {spec.minimum}, got {shown(value)}")
        if value > _MAX_INT:
            return self.error(where, f"{where} is too large: at most {_MAX_INT}")
        return value

    def check_number(self, spec: Field, value: object, where: str) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value in (_INF, -_INF):
            return self.wrong_type(where, "a number", value)
        if isinstance(value, int) and abs(value) > _MAX_INT:
            return self.error(where, f"{where} is too large: at most {_MAX_INT}")
        return value

    def check_url(self, spec: Field, value: object, where: str) -> object:
        if not isinstance(value, str):
            return self.wrong_type(where, "an http(s) URL", value)
        try:
            unsafe = re.search(r"[\s\x00-\x1f\x7f]", value) or unsafe_character(value)  # C1, bidi, surrogates
            parts = urlsplit(value) if not unsafe else None
        except ValueError:  # e.g. "http://[::1": an unclosed IPv6 address
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            return self.error(where, f"{self.label(where)} '{shown(value)}' is not an http(s) URL")
        return value

    def check_page(self, spec: Field, value: object, where: str) -> object:
        if not isinstance(value, str):
            return self.wrong_type(where, "a page path such as runbooks/deploy.md", value)
        segments = value.split("/")
        if value.startswith("/") or "\\" in value or ".." in segments or not is_markdown(value):
            return self.error(
                where,
                f"{where} '{shown(value)}' must be a .md path under the content folder, without '..' or a leading '/'",
            )
        return value


_CHECKS = {kind: getattr(_Checker, f"check_{kind.value}") for kind in Kind}


def item_label(data: object, index: int) -> str:
    """`action item 2, "Alert on Boskos health"` (1-based, as `pmkb actions` numbers items); without the title
    when the item has none that can be shown."""
    label = f"action item {index + 1}"
    items = data.get(_ITEMS) if isinstance(data, dict) else None
    item = items[index] if isinstance(items, list) and index < len(items) else None
    title = item.get("title") if isinstance(item, dict) else None
    if isinstance(title, str) and title.strip():
        label += f', "{shown(" ".join(title.split()))}"'
    return label


def validate_front_matter(
    loaded: LoadedYaml, *, path: str, src_uri: str, file_id: str, taxonomy: Taxonomy
) -> FileCheck:
    """Every rule that needs only this file and the taxonomy. Never raises on any input the YAML loader produced.

    Each rule runs on whatever parts of the file are valid: an invalid value only silences the rules that read it.
    """
    data = loaded.value if isinstance(loaded.value, dict) else {}
    checker = _Checker(loaded, path, taxonomy, data.get("status"))
    values = checker.check(taxonomy.front_matter, loaded.value, "")
    references: tuple[Reference, ...] = ()
    dues: tuple[DueItem, ...] = ()
    if isinstance(values, dict):
        _check_relations(checker, values, file_id)
        references = tuple(
            Reference(f"{key}.{index}", value, loaded.position_of(f"{key}.{index}"))
            for key in ("related", "runbooks")
            if isinstance(values.get(key), list)
            for index, value in enumerate(values[key])
            if isinstance(value, str)
        )
        dues = _due_items(checker, values)
    if not _SAFE_ID_RE.fullmatch(file_id):
        checker.report(
            Level.WARNING,
            "id",
            f"file name '{shown(file_id)}' has spaces or non-ASCII characters; its URL will be "
            "percent-encoded: name it like YYYY-MM-DD-what-happened.md",
            Position(1, 1),
        )
    if has_errors(checker.diagnostics) or not isinstance(values, dict):
        return FileCheck(None, checker.diagnostics, references, dues)
    postmortem = _build(values, file_id, src_uri, path, taxonomy.value_fields)
    return FileCheck(postmortem, checker.diagnostics, references, dues)


def _due_items(checker: _Checker, values: dict[str, object]) -> tuple[DueItem, ...]:
    """The action items whose status and due date are valid (the overdue rule needs nothing else)."""
    items = values.get(_ITEMS)
    if not isinstance(items, list):
        return ()
    found = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        status, due, owner = item.get("status"), item.get("due"), item.get("owner")
        if isinstance(status, str) and isinstance(due, date):
            where = f"{_ITEMS}.{index}.due"
            owner_text = owner if isinstance(owner, str) else "no owner"
            raw = checker.loaded.value[_ITEMS][index]  # type: ignore[index]  # the checked list came from it
            title = raw.get("title") if isinstance(raw, dict) else None
            title = title if isinstance(title, str) else None
            found.append(DueItem(where, index, title, owner_text, status, due, checker.loaded.position_of(where)))
    return tuple(found)


def _check_relations(checker: _Checker, values: dict[str, object], file_id: str) -> None:
    """Rules between fields of one file: timeline order, date vs started, file name date, items, due dates."""
    timeline = values.get("timeline")
    if isinstance(timeline, dict):
        previous: tuple[str, datetime] | None = None
        for name in TIMELINE_ORDER:
            moment = timeline.get(name)
            if not isinstance(moment, datetime):
                continue
            if previous is not None and moment < previous[1]:
                checker.error(
                    f"timeline.{name}",
                    f"timeline.{name} ({moment.isoformat()}) is before timeline.{previous[0]} "
                    f"({previous[1].isoformat()}); the order is {' <= '.join(TIMELINE_ORDER)}",
                )
            previous = (name, moment)
        started, day = timeline.get("started"), values.get("date")
        if isinstance(started, datetime) and isinstance(day, date) and started.date() != day:
            checker.error(
                "date",
                f"date {day.isoformat()} is not the day of timeline.started "
                f"({started.isoformat()}, which is {started.date().isoformat()} in its own offset)",
            )
    day = values.get("date")
    file_date = _FILE_DATE_RE.match(file_id)
    if file_date and isinstance(day, date):
        if file_date.group(1) != day.isoformat():
            checker.report(
                Level.WARNING,
                "date",
                f"file name starts with {file_date.group(1)} but date is "
                f"{day.isoformat()}; rename the file or fix the date",
            )
    items = values.get(_ITEMS)
    if values.get("status") == "published" and isinstance(items, list) and not items:
        no_items = values.get("no_action_items")
        if not no_items:  # an invalid reason has its own diagnostic already
            checker.error(
                _ITEMS,
                "a published postmortem needs action items, or 'no_action_items: <reason>' saying why there are none",
            )
    if isinstance(items, list):
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            # Read only valid values: an item whose own status is wrong cannot say whether it needs a date.
            if item.get("priority") == "high" and item.get("status") in OPEN_STATUSES and item.get("due") is None:
                where = f"{_ITEMS}.{index}.due"
                prefix = checker.split_label(where)[0]
                checker.report(
                    Level.ERROR,
                    where,
                    f"{prefix}due is required: the item is high priority and {item['status']}",
                    checker.loaded.position_of(where),
                )


def _build(values: dict, file_id: str, src_uri: str, path: str, value_fields: tuple[Field, ...]) -> Postmortem:
    impact = values["impact"]
    timeline = values.get("timeline") or {}
    return Postmortem(
        id=file_id,
        src_uri=src_uri,
        path=path,
        title=values["title"],
        date=values["date"],
        status=values["status"],
        severity=values["severity"],
        authors=tuple(values["authors"]),
        services=tuple(dict.fromkeys(values["services"])),
        cause=values["cause"],
        impact=Impact(**impact),
        timeline=Timeline(
            **{name: None if moment == UNKNOWN_MOMENT else moment for name, moment in timeline.items()},
            unknown=frozenset(name for name, moment in timeline.items() if moment == UNKNOWN_MOMENT),
        ),
        contributing=tuple(c for c in dict.fromkeys(values.get("contributing") or ()) if c != values["cause"]),
        trigger=values.get("trigger"),
        detection=values.get("detection"),
        tags=tuple(dict.fromkeys(values.get("tags") or ())),
        action_items=tuple(
            ActionItem(index=index, **item) for index, item in enumerate(values.get("action_items") or ())
        ),
        no_action_items=values.get("no_action_items"),
        related=tuple(dict.fromkeys(values.get("related") or ())),  # each page linked once: repeats are dropped
        runbooks=tuple(dict.fromkeys(values.get("runbooks") or ())),
        field_values=tuple(
            (spec.name, tuple(dict.fromkeys(value)) if isinstance(value, list) else value)
            for spec in value_fields
            if (value := values.get(spec.name)) is not None and value != []
        ),
    )
