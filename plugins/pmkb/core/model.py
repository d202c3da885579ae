"""The postmortem, as validated values. Nothing here knows about files, YAML or MkDocs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

OPEN_STATUSES = ("open", "in-progress")
ACTION_STATUSES = ("open", "in-progress", "done", "wont-do")
ACTION_TYPES = ("prevent", "mitigate", "detect", "process")
PRIORITIES = ("high", "medium", "low")
STATUSES = ("draft", "in-review", "published")


@dataclass(frozen=True, slots=True)
class ActionItem:
    index: int
    title: str
    owner: str
    status: str
    type: str | None = None
    priority: str | None = None
    due: date | None = None
    link: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due is not None and self.due < today

    @property
    def priority_rank(self) -> int:
        return PRIORITIES.index(self.priority) if self.priority in PRIORITIES else len(PRIORITIES)


@dataclass(frozen=True, slots=True)
class Impact:
    summary: str
    users_affected: int | None = None
    customer_facing: bool | None = None
    data_loss: bool | None = None


UNKNOWN_MOMENT = "unknown"  # a moment the record never kept (`detected: unknown`): shown as unknown, never timed


@dataclass(frozen=True, slots=True)
class Timeline:
    started: datetime | None = None
    detected: datetime | None = None
    mitigated: datetime | None = None
    resolved: datetime | None = None
    unknown: frozenset[str] = frozenset()  # the moments written as `unknown`

    def is_unknown(self, *names: str) -> bool:
        return any(name in self.unknown for name in names)

    def _since_start(self, moment: datetime | None) -> timedelta | None:
        if self.started is None or moment is None:
            return None
        return moment - self.started

    @property
    def time_to_detect(self) -> timedelta | None:
        return self._since_start(self.detected)

    @property
    def time_to_mitigate(self) -> timedelta | None:
        return self._since_start(self.mitigated)

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self._since_start(self.resolved)


@dataclass(frozen=True, slots=True)
class Postmortem:
    id: str
    src_uri: str  # path under the content folder, with forward slashes
    path: str  # path shown in diagnostics, relative to the project folder
    title: str
    date: date
    status: str
    severity: str
    authors: tuple[str, ...]
    services: tuple[str, ...]
    cause: str
    impact: Impact
    timeline: Timeline
    contributing: tuple[str, ...] = ()
    trigger: str | None = None
    detection: str | None = None
    tags: tuple[str, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    no_action_items: str | None = None
    related: tuple[str, ...] = ()
    runbooks: tuple[str, ...] = ()
    # The values of the top-level fields this class has no attribute for (`pmkb.core.fields.value_fields`): a
    # knowledge base's own fields and built-in ones read through their declaration, as (name, value) pairs in
    # declaration order, absent ones left out. Lists are tuples, so a postmortem stays hashable.
    field_values: tuple[tuple[str, object], ...] = ()

    def value_of(self, name: str) -> object | None:
        """The value of the value field `name`, or None if the postmortem does not give it."""
        return next((value for key, value in self.field_values if key == name), None)

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def open_action_items(self) -> tuple[ActionItem, ...]:
        return tuple(item for item in self.action_items if item.is_open)

    @property
    def owners(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(item.owner for item in self.action_items))


def human_duration(delta: timedelta | None) -> str:
    """`4h 17m`, `2d 3h`, `45m`, `30s`: two units at most, the way people say it."""
    if delta is None:
        return ""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"
