"""The front-matter fields, declared once.

The validator walks these declarations, and so do the JSON Schema generator, `pmkb new`'s template and the guide:
one source of truth for names, types, allowed values and when a field is required.

A top-level field that `Postmortem` has no attribute for (every field a knowledge base declares under the plugin
option `fields`, and a built-in one declared only here) is kept in `Postmortem.field_values` and read through its
declaration alone: its `title` labels it on the header card, `link` makes its values links, `facet` makes it an
explorer filter, and every such field is exported, indexed for `pmkb search` and searchable as `name:value`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date
from urllib.parse import quote

from pmkb.core.model import ACTION_STATUSES, ACTION_TYPES, PRIORITIES, STATUSES, Postmortem


class Kind(enum.Enum):
    # Members are singletons compared by identity: hash them by identity too, in C (Enum's own __hash__ is
    # Python code, and the validator looks a kind up for every value of every file).
    __hash__ = object.__hash__

    TEXT = "text"
    SLUG = "slug"
    DATE = "date"
    TIMESTAMP = "timestamp"
    BOOL = "bool"
    INT = "int"
    NUMBER = "number"  # a whole or a decimal number
    CHOICE = "choice"
    URL = "url"
    PAGE = "page"  # a Markdown page of the site, by its path under the content folder
    LIST = "list"
    MAPPING = "mapping"


class Required(enum.Enum):
    OPTIONAL = "optional"
    ALWAYS = "always"
    UNLESS_DRAFT = "unless the status is draft"
    WHEN_PUBLISHED = "when the status is published"

    @property
    def label(self) -> str:
        """`required`, `optional`, or `required unless the status is draft` (for templates and the guide)."""
        if self is Required.ALWAYS:
            return "required"
        if self is Required.OPTIONAL:
            return "optional"
        return f"required {self.value}"

    def applies(self, status: object) -> bool:
        if self is Required.ALWAYS:
            return True
        if self is Required.UNLESS_DRAFT:
            return status != "draft"
        if self is Required.WHEN_PUBLISHED:
            return status == "published"
        return False


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: Kind
    description: str
    required: Required = Required.OPTIONAL
    choices: tuple[str, ...] = ()  # fixed allowed values
    taxonomy: str | None = None  # or: allowed values from this taxonomy section
    item: Field | None = None  # for LIST
    fields: tuple[Field, ...] = ()  # for MAPPING
    min_items: int = 0
    max_length: int | None = None
    minimum: int | None = None
    title: str = ""  # how a reader sees the field (header card, explorer); "" for fields read only by code
    pattern: str | None = None  # TEXT: a regular expression the value must contain a match of (anchor it)
    link: str | None = None  # a URL template: `{value}` is replaced by the value, URL-quoted
    facet: bool = False  # an explorer filter, with a URL parameter of the field's name
    query: str | None = None  # the `pmkb search` field that matches its values whole (`service:` for services)
    names: frozenset[str] = field(init=False, repr=False, compare=False)  # of `fields`

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", frozenset(child.name for child in self.fields))

    def child(self, name: str) -> Field | None:
        return next((field for field in self.fields if field.name == name), None)


def _text(name: str, description: str, required: Required = Required.OPTIONAL, max_length: int | None = None):
    return Field(name, Kind.TEXT, description, required, max_length=max_length)


def _timestamp(name: str, description: str, required: Required = Required.OPTIONAL) -> Field:
    return Field(name, Kind.TIMESTAMP, description, required)


ACTION_ITEM = Field(
    "action item",
    Kind.MAPPING,
    "A follow-up that prevents, mitigates or detects a recurrence.",
    fields=(
        _text("title", "What will be done.", Required.ALWAYS, max_length=300),
        Field("owner", Kind.TEXT, "Who owns it: a handle or a team.", Required.ALWAYS, max_length=100, query="owner"),
        Field("status", Kind.CHOICE, "Where it stands.", Required.ALWAYS, choices=ACTION_STATUSES),
        Field("type", Kind.CHOICE, "What it is for.", choices=ACTION_TYPES),
        Field("priority", Kind.CHOICE, "How urgent it is.", choices=PRIORITIES),
        Field("due", Kind.DATE, "Due date; required when priority is high and it is open or in progress."),
        Field("link", Kind.URL, "The tracker issue (http or https)."),
    ),
)

POSTMORTEM = Field(
    "front matter",
    Kind.MAPPING,
    "The front matter of a postmortem.",
    Required.ALWAYS,
    fields=(
        _text("title", "One line saying what happened.", Required.ALWAYS, max_length=200),
        Field("date", Kind.DATE, "The day the incident began (YYYY-MM-DD, in started's offset).", Required.ALWAYS),
        Field("status", Kind.CHOICE, "Where the write-up stands.", Required.ALWAYS, choices=STATUSES, query="status"),
        Field("severity", Kind.CHOICE, "How bad it was.", Required.ALWAYS, taxonomy="severities", query="severity"),
        Field(
            "authors",
            Kind.LIST,
            "Who wrote this.",
            Required.ALWAYS,
            item=_text("author", "An author.", max_length=100),
            min_items=1,
        ),
        Field(
            "services",
            Kind.LIST,
            "Services involved, as slugs.",
            Required.ALWAYS,
            item=Field("service", Kind.SLUG, "A service."),
            min_items=1,
            query="service",
        ),
        Field(
            "cause", Kind.CHOICE, "The primary root-cause category.", Required.ALWAYS, taxonomy="causes", query="cause"
        ),
        Field(
            "contributing",
            Kind.LIST,
            "Further root-cause categories.",
            item=Field("cause", Kind.CHOICE, "A contributing cause.", taxonomy="causes"),
            query="contributing",
        ),
        Field("trigger", Kind.CHOICE, "What set it off.", taxonomy="triggers", query="trigger"),
        Field("detection", Kind.CHOICE, "How we found out.", taxonomy="detection", query="detection"),
        Field("tags", Kind.LIST, "Free tags, as slugs.", item=Field("tag", Kind.SLUG, "A tag."), query="tag"),
        Field(
            "impact",
            Kind.MAPPING,
            "Who and what was affected.",
            Required.ALWAYS,
            fields=(
                _text("summary", "One or two sentences on the impact.", Required.ALWAYS, max_length=1000),
                Field("users_affected", Kind.INT, "How many users were affected.", minimum=0),
                Field("customer_facing", Kind.BOOL, "Did customers notice?"),
                Field("data_loss", Kind.BOOL, "Was data lost?"),
            ),
        ),
        Field(
            "timeline",
            Kind.MAPPING,
            "Key moments, ISO 8601 timestamps with a UTC offset or Z.",
            Required.UNLESS_DRAFT,
            fields=(
                _timestamp("started", "When it began.", Required.UNLESS_DRAFT),
                _timestamp("detected", "When we knew.", Required.UNLESS_DRAFT),
                _timestamp("mitigated", "When the impact stopped growing."),
                _timestamp("resolved", "When it was over.", Required.WHEN_PUBLISHED),
            ),
        ),
        Field("action_items", Kind.LIST, "Follow-ups.", Required.WHEN_PUBLISHED, item=ACTION_ITEM),
        _text("no_action_items", "Why a published postmortem has no action items.", max_length=500),
        Field("related", Kind.LIST, "Ids of related postmortems.", item=_text("id", "A postmortem id.")),
        Field(
            "runbooks",
            Kind.LIST,
            "Pages of the site, by path under postmortems/.",
            item=Field("page", Kind.PAGE, "A page path such as runbooks/x.md."),
        ),
    ),
)

TIMELINE_ORDER = ("started", "detected", "mitigated", "resolved")


MODELLED = frozenset(attribute.name for attribute in dataclass_fields(Postmortem))
"""The front-matter keys that `Postmortem` holds as attributes; every other top-level field is a value field."""


def value_fields(front_matter: Field) -> tuple[Field, ...]:
    """The top-level fields kept in `Postmortem.field_values`, in declaration order (built-in ones first)."""
    return tuple(spec for spec in front_matter.fields if spec.name not in MODELLED)


FieldValue = str | int | float | bool | date | tuple[str, ...]


def shown_values(value: FieldValue) -> tuple[str, ...]:
    """A value as the words a reader sees: each entry of a list, `yes`/`no`, dates as YYYY-MM-DD."""
    if isinstance(value, tuple):
        return value
    if isinstance(value, bool):
        return ("yes" if value else "no",)
    if isinstance(value, date):
        return (value.isoformat(),)
    return (str(value),)


def json_value(value: FieldValue) -> object:
    """A value as JSON holds it: lists as arrays, dates as YYYY-MM-DD."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def link_url(template: str, value: str) -> str:
    """The `link` template with `{value}` replaced by the value, quoted so that it stays one path segment or
    query value (`a b/c` -> `a%20b%2Fc`): a value can never change the link's host, path or query."""
    return template.replace("{value}", quote(value, safe=""))


def keyword_fields(front_matter: Field) -> dict[str, Field]:
    """The `pmkb search` fields that match whole values, by name, each with the declaration of one value (a list's
    item): the built-in fields that name one (`query`), then every value field under its own name."""
    found: dict[str, Field] = {}

    def walk(spec: Field) -> None:
        for child in spec.fields:
            if child.query:
                found[child.query] = child.item if child.kind is Kind.LIST and child.item else child
            if child.kind is Kind.MAPPING:
                walk(child)
            elif child.kind is Kind.LIST and child.item is not None and child.item.kind is Kind.MAPPING:
                walk(child.item)

    walk(front_matter)
    for spec in value_fields(front_matter):
        found[spec.name] = spec.item if spec.kind is Kind.LIST and spec.item else spec
    return found
