"""What each page shows, as plain values for the templates in `overrides/pmkb/`.

Views hold raw strings; the templates escape every one of them (they render inside `{% autoescape true %}`).
URLs here are site-relative (`causes/deployment/`); templates make them page-relative with MkDocs' `url` filter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from pmkb.core.fields import Field, link_url, shown_values
from pmkb.core.files import is_index_page, page_url, stem
from pmkb.core.model import ActionItem, Postmortem, Timeline, human_duration
from pmkb.core.taxonomy import Taxonomy
from pmkb.site.charts import Chart
from pmkb.site.explorer import ExplorerLink, explorer_link
from pmkb.site.facets import CAUSES, SERVICES, SEVERITIES, TAGS, Facet, FacetValue
from pmkb.site.guide import GuideView
from pmkb.site.insights import Headline, format_seconds

SEVERITY_TONES = 4  # severity chips have four colours, most severe first; a longer taxonomy reuses the last

UrlOf = Callable[[str], str]  # src_uri -> site-relative URL


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    url: str | None  # None: shown as text (no page to link to)
    hint: str = ""  # a tooltip, e.g. a taxonomy description
    tone: int = 0  # severities: 1 (most severe) .. SEVERITY_TONES, by taxonomy order, so custom slugs get colours
    external: bool = False  # `url` is an absolute http(s) URL (a field's `link`), not a page of the site


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact of a postmortem's header card: a label and its values (links, or plain text when `url` is None)."""

    label: str
    links: tuple[Link, ...]
    shown_as: str = "links"  # "severity": a coloured chip; "status": a badge; "links": links or plain text;
    # "text": the values' texts, comma-separated
    modifier: str | None = None  # the CSS modifier of the fact (`pmkb-fact--<modifier>`): None for the label in
    # lower case, "" for none


@dataclass(frozen=True, slots=True)
class ActionRow:
    item: ActionItem
    overdue: bool
    postmortem: Postmortem
    incident_url: str

    @property
    def status_label(self) -> str:
        return self.item.status.replace("-", " ")

    @property
    def ref(self) -> str:
        """`<postmortem id>#<n>` (n from 1): the name `pmkb actions` prints and `pmkb actions set` takes."""
        return f"{self.postmortem.id}#{self.item.index + 1}"

    @property
    def key(self) -> tuple[str, int]:
        """What tells this row from every other action item's in a build."""
        return (self.incident_url, self.item.index)


@dataclass(frozen=True, slots=True)
class IncidentRow:
    postmortem: Postmortem
    url: str
    severity: Link
    cause: Link
    services: tuple[Link, ...]
    time_to_resolve: str
    open_items: int
    overdue_items: int
    role: str = "primary"

    @property
    def key(self) -> tuple[str, str]:
        """What tells this row from every other incident row in a build (an incident's rows differ by role)."""
        return (self.url, self.role)


@dataclass(frozen=True, slots=True)
class TimelineMark:
    """One moment of the timeline strip: where it sits on the strip (0..100) and when it was."""

    label: str  # Started, Detected, Mitigated, Resolved
    moment: datetime
    position: float  # percent of the strip
    since_start: str  # "+1h 16m" ("" for the start)

    @property
    def local(self) -> str:
        """The time as the author wrote it, in its own offset: `2019-03-25 23:04 UTC-07:00`."""
        offset = self.moment.strftime("%z")
        zone = "UTC" if offset in ("+0000", "") else f"UTC{offset[:3]}:{offset[3:]}"
        return f"{self.moment:%Y-%m-%d %H:%M} {zone}"


@dataclass(frozen=True, slots=True)
class TimelineSpan:
    """A coloured stretch of the strip between two marks."""

    phase: str  # CSS modifier: undetected, mitigating, resolving
    label: str
    start: float  # percent
    width: float  # percent
    duration: str


@dataclass(frozen=True, slots=True)
class TimelineStrip:
    marks: tuple[TimelineMark, ...]
    spans: tuple[TimelineSpan, ...]
    total: str  # started to the last mark, "9h 26m"


_PHASES = {
    "Detected": ("undetected", "Until detected"),
    "Mitigated": ("mitigating", "Until mitigated"),
    "Resolved": ("resolving", "Until resolved"),
}


def _duration_shown(value: timedelta | None, timeline: Timeline, moment: str) -> str:
    if value is None and timeline.is_unknown("started", moment):
        return "unknown"
    return human_duration(value)


def timeline_strip(postmortem: Postmortem) -> TimelineStrip | None:
    """The timeline's moments to scale, from the front matter (so it is never typed twice). None without a start
    and at least one later moment."""
    t = postmortem.timeline
    moments = [
        (label, m)
        for label, m in (
            ("Started", t.started),
            ("Detected", t.detected),
            ("Mitigated", t.mitigated),
            ("Resolved", t.resolved),
        )
        if m is not None
    ]
    started = t.started
    if started is None or len(moments) < 2:
        return None
    span = (moments[-1][1] - started).total_seconds()

    def at(moment: datetime) -> float:
        return round(100 * (moment - started).total_seconds() / span, 2) if span > 0 else 0.0

    marks = tuple(
        TimelineMark(label, m, at(m), "" if label == "Started" else "+" + human_duration(m - started))
        for label, m in moments
    )
    spans = tuple(
        TimelineSpan(
            *_PHASES[b.label], a.position, round(b.position - a.position, 2), human_duration(b.moment - a.moment)
        )
        for a, b in pairwise(marks)
    )
    return TimelineStrip(marks, spans, human_duration(moments[-1][1] - started))


@dataclass(frozen=True, slots=True)
class PostmortemView:
    postmortem: Postmortem
    facts: tuple[Fact, ...]  # the header card's facts, in order: the front matter's, durations, then impact
    durations: tuple[tuple[str, str], ...]  # (label, "4h 17m")
    action_rows: tuple[ActionRow, ...]
    related: tuple[IncidentRow, ...]
    earlier_same_cause: tuple[IncidentRow, ...]
    similar: tuple[IncidentRow, ...]
    runbooks: tuple[Link, ...]
    is_draft: bool
    status_label: str
    timeline: TimelineStrip | None = None
    tone: int = 0  # the card's colour: its severity's tone


@dataclass(frozen=True, slots=True)
class FacetIndexRow:
    value: FacetValue
    link: Link
    count: int  # as the primary value
    contributing: int
    recent: int  # in the last 12 months
    median_time_to_resolve: str
    latest: date | None  # the newest incident's day
    share: float  # count as a percent of the largest count on the page (the row's bar)
    chip: Link | None = None  # severities: the coloured chip


@dataclass(frozen=True, slots=True)
class FacetIndexView:
    title: str
    description: str
    values: tuple[FacetIndexRow, ...]
    column: str  # heading of the values' column: Cause, Severity, Service, Tag
    show_contributing: bool
    show_description: bool  # taxonomy facets: every value has one; services and tags never do
    is_severity: bool = False


@dataclass(frozen=True, slots=True)
class FacetValueView:
    title: str
    value: FacetValue
    facet_title: str
    index_url: str
    primary: tuple[IncidentRow, ...]
    contributing: tuple[IncidentRow, ...]
    median_time_to_resolve: str
    open_actions: tuple[ActionRow, ...]
    explore: tuple[ExplorerLink, ...] = ()  # "Search within these incidents": the explorer, pre-filtered
    charts: tuple[Chart, ...] = ()
    severity: Link | None = None  # a severity's page shows its chip
    hidden_column: str = ""  # the column every primary row shares (cause on a cause page): hidden by CSS


@dataclass(frozen=True, slots=True)
class YearGroup:
    year: str
    rows: tuple[IncidentRow, ...]


@dataclass(frozen=True, slots=True)
class IncidentsView:
    title: str
    groups: tuple[YearGroup, ...]
    total: int


@dataclass(frozen=True, slots=True)
class OwnerGroup:
    owner: str
    anchor: str
    rows: tuple[ActionRow, ...]
    overdue: int


@dataclass(frozen=True, slots=True)
class ActionItemsView:
    title: str
    rows: tuple[ActionRow, ...]
    owners: tuple[OwnerGroup, ...]
    overdue: int
    today: date

    @property
    def owner_classes(self) -> dict[str, str]:
        """Owner -> the CSS class its rows carry (the same string as its anchor)."""
        return {group.owner: group.anchor for group in self.owners}


@dataclass(frozen=True, slots=True)
class HomeView:
    recent: tuple[IncidentRow, ...]
    by_cause: tuple[tuple[Link, int], ...]
    by_severity: tuple[tuple[Link, int], ...]
    open_items: int
    overdue_items: int
    total: int
    indexes: tuple[Link, ...]
    headlines: tuple[Headline, ...] = ()
    charts: tuple[Chart, ...] = ()
    exports: tuple[Link, ...] = ()


class ViewBuilder:
    """Builds views for one catalog. `url_of` maps a postmortem's src_uri to its URL."""

    def __init__(self, taxonomy: Taxonomy, today: date, url_of: UrlOf, linked_ids: set[str]):
        self.taxonomy = taxonomy
        self.today = today
        self.url_of = url_of
        self.linked_ids = linked_ids  # postmortems that have a page in this build (drafts may not)
        self._rows: dict[tuple[str, str, str], IncidentRow] = {}
        # Links are values: one per facet value, shared by every view that shows it. A dict rather than
        # functools.cache on bound methods, which would be a reference cycle (see plugin.on_files).
        self._links: dict[tuple[str, str], Link] = {}

    def severity_link(self, slug: str) -> Link:
        return self._link(SEVERITIES, slug)

    def cause_link(self, slug: str) -> Link:
        return self._link(CAUSES, slug)

    def service_link(self, slug: str) -> Link:
        return self._link(SERVICES, slug)

    def tag_link(self, slug: str) -> Link:
        return self._link(TAGS, slug)

    def _link(self, facet: Facet, slug: str) -> Link:
        key = (facet.name, slug)
        link = self._links.get(key)
        if link is None:
            link = self._links[key] = self._new_link(facet, slug)
        return link

    def _new_link(self, facet: Facet, slug: str) -> Link:
        entry = self.taxonomy.entry(facet.taxonomy_section, slug) if facet.taxonomy_section else None
        if entry is None:
            return Link(slug, facet.url(slug))
        if facet is SEVERITIES:
            tone = min(self.taxonomy.severity_rank(slug) + 1, SEVERITY_TONES)
            return Link(slug, facet.url(slug), f"{entry.title}: {entry.description}", tone)
        return Link(entry.title, facet.url(slug), entry.description)

    def plain(self, section: str, slug: str | None) -> tuple[Link, ...]:
        if slug is None:
            return ()
        entry = self.taxonomy.entry(section, slug)
        return (Link(entry.title if entry else slug, None, entry.description if entry else ""),)

    def action_row(self, item: ActionItem, postmortem: Postmortem) -> ActionRow:
        return ActionRow(item, item.is_overdue(self.today), postmortem, self.url_of(postmortem.src_uri))

    def incident_row(self, postmortem: Postmortem, role: str = "primary") -> IncidentRow:
        # The same incident appears on many listings (its year, causes, services, tags, severity): build once.
        key = (postmortem.id, postmortem.src_uri, role)
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = self._incident_row(postmortem, role)
        return row

    def _incident_row(self, postmortem: Postmortem, role: str) -> IncidentRow:
        open_items = postmortem.open_action_items
        return IncidentRow(
            postmortem=postmortem,
            url=self.url_of(postmortem.src_uri),
            severity=self.severity_link(postmortem.severity),
            cause=self.cause_link(postmortem.cause),
            services=tuple(map(self.service_link, postmortem.services)),
            time_to_resolve=_duration_shown(postmortem.timeline.time_to_resolve, postmortem.timeline, "resolved"),
            open_items=len(open_items),
            overdue_items=sum(item.is_overdue(self.today) for item in open_items),
            role=role,
        )

    def postmortem(
        self,
        postmortem: Postmortem,
        by_id: dict[str, Postmortem],
        earlier: Sequence[Postmortem] = (),
        similar: Sequence[Postmortem] = (),
        runbook_url: UrlOf | None = None,
    ) -> PostmortemView:
        p = postmortem
        facts = (
            Fact("Severity", (self.severity_link(p.severity),), shown_as="severity"),
            Fact("Status", (Link(p.status.replace("-", " "), None),), shown_as="status"),
            Fact("Date", (Link(p.date.isoformat(), None),)),
            Fact("Services", tuple(map(self.service_link, p.services))),
            Fact("Cause", (self.cause_link(p.cause),)),
            Fact("Contributing", tuple(self.cause_link(c) for c in p.contributing)),
            Fact("Trigger", self.plain("triggers", p.trigger)),
            Fact("Detection", self.plain("detection", p.detection)),
            Fact("Tags", tuple(map(self.tag_link, p.tags))),
            Fact("Authors", tuple(Link(a, None) for a in p.authors)),
            *(self.value_fact(spec, p.value_of(spec.name)) for spec in self.taxonomy.value_fields if spec.title),
        )
        t = p.timeline
        durations = tuple(
            (label, human_duration(value) if value is not None else "unknown")
            for label, value, moment in (
                ("Time to detect", t.time_to_detect, "detected"),
                ("Time to mitigate", t.time_to_mitigate, "mitigated"),
                ("Time to resolve", t.time_to_resolve, "resolved"),
            )
            if value is not None or t.is_unknown("started", moment)  # unknown is shown so, never timed
        )
        impact = p.impact
        yes_no = {True: "yes", False: "no"}
        card = (
            *(fact for fact in facts if fact.links),
            *(Fact(label, (Link(value, None),), "text", "duration") for label, value in durations),
            *(
                Fact(label, (Link(text, None),), "text", "")
                for label, text in (
                    ("Users affected", None if impact.users_affected is None else f"{impact.users_affected:,}"),
                    ("Customer facing", yes_no.get(impact.customer_facing)),  # type: ignore[arg-type]
                    ("Data loss", yes_no.get(impact.data_loss)),  # type: ignore[arg-type]
                )
                if text is not None
            ),
        )
        related = tuple(self.incident_row(by_id[i]) for i in p.related if i in by_id and i in self.linked_ids)
        runbook_url = runbook_url or page_url
        return PostmortemView(
            postmortem=p,
            facts=card,
            durations=durations,
            action_rows=tuple(self.action_row(item, p) for item in p.action_items),
            related=related,
            earlier_same_cause=tuple(self.incident_row(e) for e in earlier),
            similar=tuple(self.incident_row(s) for s in similar),
            runbooks=tuple(Link(_runbook_title(r), runbook_url(r)) for r in p.runbooks),
            is_draft=p.is_draft,
            status_label=p.status.replace("-", " "),
            timeline=timeline_strip(p),
            tone=self.severity_link(p.severity).tone,
        )

    def value_fact(self, spec: Field, value: object) -> Fact:
        """A value field on the header card: its title, and its values as links to its `link`, or for a facet to
        the explorer showing the incidents that share the value; else as text."""
        if value is None:
            return Fact(spec.title, ())
        texts = shown_values(value)  # type: ignore[arg-type]  # validated: a FieldValue
        if spec.link:
            return Fact(spec.title, tuple(Link(t, link_url(spec.link, t), external=True) for t in texts), modifier="")
        if spec.facet:
            explore = (explorer_link(self.url_of, t, **{spec.name: t}) for t in texts)
            return Fact(spec.title, tuple(Link(e.text, e.url + e.href_suffix) for e in explore), modifier="")
        return Fact(spec.title, tuple(Link(t, None) for t in texts), "text", "")

    def facet_index(self, facet: Facet, values: Sequence[FacetValue]) -> FacetIndexView:
        """A facet's index: each value with its count, the last year's, its median time to resolve and its
        newest incident, so the page answers "what happens most, and lately?" before anyone clicks."""
        year_ago = self.today - timedelta(days=365)
        largest = max((value.count for value in values), default=0) or 1
        rows = tuple(
            FacetIndexRow(
                value,
                Link(value.title, value.url, value.description),
                value.count,
                len(value.contributing),
                sum(p.date > year_ago for p in value.primary),
                format_seconds(value.median_time_to_resolve_seconds) if value.count else "",
                max((p.date for p in value.primary), default=None),
                round(100 * value.count / largest, 1),
                self.severity_link(value.slug) if facet is SEVERITIES else None,
            )
            for value in values
        )
        return FacetIndexView(
            facet.title,
            facet.description,
            rows,
            facet.singular.capitalize(),
            show_contributing=any(r.contributing for r in rows),
            show_description=facet.taxonomy_section is not None,
            is_severity=facet is SEVERITIES,
        )

    def facet_value(self, value: FacetValue, facet_title: str, charts: tuple[Chart, ...] = ()) -> FacetValueView:
        seen: set[tuple[str, int]] = set()
        open_actions = []
        for postmortem in value.primary:
            for item in postmortem.open_action_items:
                if (postmortem.id, item.index) not in seen:
                    seen.add((postmortem.id, item.index))
                    open_actions.append(self.action_row(item, postmortem))
        median_seconds = value.median_time_to_resolve_seconds
        # The explorer's parameter is the facet's singular name (cause, severity, service, tag).
        explore = [explorer_link(self.url_of, "Search within these incidents", **{value.facet.singular: value.slug})]
        if value.facet is CAUSES and value.contributing:
            explore.append(explorer_link(self.url_of, "Search where it contributed", contributing=value.slug))
        return FacetValueView(
            title=f"{value.facet.singular.capitalize()}: {value.title}",
            value=value,
            facet_title=value.facet.title,
            index_url=value.facet.url(),
            primary=tuple(self.incident_row(p) for p in value.primary),
            contributing=tuple(self.incident_row(p, "contributing") for p in value.contributing),
            median_time_to_resolve=human_duration(timedelta(seconds=median_seconds)) if median_seconds else "",
            open_actions=tuple(sort_action_rows(open_actions)),
            explore=tuple(explore),
            charts=charts,
            severity=self.severity_link(value.slug) if value.facet is SEVERITIES else None,
            hidden_column={CAUSES: "cause", SEVERITIES: "severity"}.get(value.facet, ""),
        )


def sort_action_rows(rows: Iterable[ActionRow]) -> list[ActionRow]:
    """Overdue first, then by due date (undated last), then priority, then incident and item order."""
    far = date.max
    return sorted(
        rows,
        key=lambda r: (
            not r.overdue,
            r.item.due or far,
            r.item.priority_rank,
            r.postmortem.date,
            r.postmortem.id,
            r.item.index,
        ),
    )


def _runbook_title(path: str) -> str:
    name = stem(path)
    if is_index_page(path):  # a folder's page (index.md, README.md): named after its folder
        name = path.rpartition("/")[0].rpartition("/")[2] or "Home"
    return name.replace("-", " ").replace("_", " ").capitalize()


def count_links(counter: Counter, link_of: Callable[[str], Link], order: Iterable[str]) -> tuple[tuple[Link, int], ...]:
    return tuple((link_of(slug), counter[slug]) for slug in order if counter[slug])


# The id of the template's own "Action items" heading (pmkb.core.template): the tracked items join its section.
AUTHORED_ACTION_ITEMS = "action-items"


@dataclass(frozen=True, slots=True)
class TocEntry:
    title: str
    id: str
    level: int
    children: tuple[TocEntry, ...] = ()
    within: str = ""  # the id of an author's heading whose section this joins when the page has one


def toc_entries(view: object) -> tuple[TocEntry, ...]:
    """The headings a pmkb template adds to a page, for its table of contents (ids as the templates print them)."""
    if isinstance(view, PostmortemView):
        entries = [TocEntry("Tracked action items", "tracked-action-items", 2, within=AUTHORED_ACTION_ITEMS)]
        related = tuple(
            TocEntry(title, anchor, 3)
            for title, anchor, present in (
                ("Related postmortems", "related-postmortems", view.related),
                ("Has this happened before?", "happened-before", view.earlier_same_cause),
                ("Similar incidents", "similar-incidents", view.similar),
                ("Runbooks", "runbooks", view.runbooks),
            )
            if present
        )
        if related:
            entries.append(TocEntry("Related", "related", 2, related))
        return tuple(entries)
    if isinstance(view, HomeView):
        entries = [TocEntry("Insights", "insights", 2)] if view.charts else []
        entries += [TocEntry("Recent postmortems", "recent", 2), TocEntry("Browse", "browse", 2)]
        return tuple(entries)
    if isinstance(view, IncidentsView):
        return tuple(TocEntry(group.year, f"year-{group.year}", 2) for group in view.groups)
    if isinstance(view, ActionItemsView):
        return (TocEntry("By owner", "owners", 2), TocEntry("All open items", "all", 2)) if view.rows else ()
    if isinstance(view, FacetValueView):
        entries = [TocEntry("Trend", "trend", 2)] if view.charts else []
        if view.primary and view.contributing:
            entries.append(TocEntry(f"Primary {view.value.facet.singular}", "primary", 2))
        if view.contributing:
            entries.append(TocEntry(f"Contributing {view.value.facet.singular}", "contributing", 2))
        if view.open_actions:
            entries.append(TocEntry("Open action items", "open-action-items", 2))
        return tuple(entries)
    if isinstance(view, GuideView):
        return (
            TocEntry("Workflow", "workflow", 2),
            TocEntry("The template", "template", 2),
            *(TocEntry(table.title, table.anchor, 2) for table in view.taxonomies),
            TocEntry("Field reference", "fields", 2),
        )
    return ()
