"""From a catalog to the site: the page registry (every page, postmortems included, as one kind of record with its
view and template) and the exports.

Everything here is linear in the number of postmortems and action items, and knows nothing of MkDocs.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from pmkb.core.catalog import Catalog, chronological_key, newest_first
from pmkb.core.model import Postmortem
from pmkb.site import exports
from pmkb.site.charts import Chart, home_charts, trend_charts
from pmkb.site.explorer import (
    EXPLORER_SRC,
    EXPLORER_TITLE,
    FACET_INDEX,
    INCIDENT_INDEX,
    ExplorerView,
    explorer_view,
    facet_index,
    incident_index,
    indexed_rows,
    is_indexed,
    row_chunk_names,
    row_chunks,
)
from pmkb.site.facets import CAUSES, PAGED_FACETS, SERVICES, SEVERITIES, YEARS, Facet, facet_values
from pmkb.site.guide import GUIDE_SRC, GUIDE_TITLE, GuideView, build_guide
from pmkb.site.insights import HomeInsights, home_insights, trend
from pmkb.site.views import (
    ActionItemsView,
    FacetIndexView,
    FacetValueView,
    HomeView,
    IncidentsView,
    Link,
    OwnerGroup,
    PostmortemView,
    TocEntry,
    ViewBuilder,
    YearGroup,
    count_links,
    page_url,
    sort_action_rows,
    toc_entries,
)

HOME_SRC = "index.md"
INCIDENTS_SRC = "incidents/index.md"
ACTION_ITEMS_SRC = "action-items/index.md"
INCIDENTS_TITLE = "All incidents"
ACTION_ITEMS_TITLE = "Open action items"
RECENT_ON_HOME = 10
EARLIER_LIMIT = 5
CHARTED_FACETS = (CAUSES, SEVERITIES, SERVICES)  # tags are too many and too thin for a chart each


PageView = (
    PostmortemView
    | HomeView
    | IncidentsView
    | ActionItemsView
    | FacetIndexView
    | FacetValueView
    | GuideView
    | ExplorerView
)

# One template per kind of view. The names are the site generator's to resolve (the MkDocs adapter ships them).
TEMPLATES: dict[type, str] = {
    PostmortemView: "pmkb/postmortem.html",
    HomeView: "pmkb/home.html",
    IncidentsView: "pmkb/incidents.html",
    ActionItemsView: "pmkb/action-items.html",
    FacetIndexView: "pmkb/facet-index.html",
    FacetValueView: "pmkb/facet-value.html",
    GuideView: "pmkb/guide.html",
    ExplorerView: "pmkb/explorer.html",
}
POSTMORTEM_TEMPLATE = TEMPLATES[PostmortemView]  # also for a postmortem too broken to have a view (its errors)


@dataclass(frozen=True, slots=True)
class PageRecord:
    """One page of the site as pmkb describes it, whatever writes it: every postmortem, the home page, every
    listing, the guide and the explorer are records of one registry (`Site`)."""

    src_uri: str
    title: str  # the page's title and its nav entry
    view: PageView
    template: str
    in_nav: bool = False
    indexed: bool = False  # in the browser search index (a postmortem's record: published ones only)
    authored: bool = False  # the author's own Markdown file (a postmortem); otherwise pmkb generates the page
    built: bool = True  # False: a draft that the published site leaves out (option `drafts: false`)
    names_page: bool = True  # False: the title names the nav entry only, the page keeps the site's name (home)
    full_width: bool = False  # no table of contents beside it: the explorer needs the width
    description: str = ""  # a line about the page, for its head (a postmortem's impact summary)

    @property
    def charts(self) -> tuple[Chart, ...]:
        """The charts the page shows, to be drawn before it is rendered."""
        return self.view.charts if isinstance(self.view, HomeView | FacetValueView) else ()

    @property
    def toc(self) -> tuple[TocEntry, ...]:
        """The headings the template adds to the page, for its table of contents."""
        return toc_entries(self.view)


def page_record(src_uri: str, title: str, view: PageView, **facts) -> PageRecord:
    return PageRecord(src_uri, title, view, TEMPLATES[type(view)], **facts)


@dataclass(frozen=True)
class SiteCharts:
    """Every chart of a build: specs and text alternatives, made with the pages; drawn later (runtime.chart_jobs)."""

    home_insights: HomeInsights
    home: tuple[Chart, ...]
    by_value: dict[str, tuple[Chart, ...]]  # facet value URL -> its charts

    def all(self) -> list[Chart]:
        return [*self.home, *(chart for charts in self.by_value.values() for chart in charts)]


def site_charts(catalog: Catalog, *, include_drafts: bool = False) -> SiteCharts:
    """The charts of the site `build_site` makes for the same arguments.

    A step of its own so that the plugin can hand them to the second core before the pages are built.
    """
    listed = catalog.listed(include_drafts)
    insights = home_insights(listed, catalog.taxonomy, catalog.today)
    by_value: dict[str, tuple[Chart, ...]] = {}
    for facet in CHARTED_FACETS:
        for value in facet_values(facet, listed, catalog.taxonomy):
            if value.count:
                key = f"{facet.name}-{value.slug.lower()}"
                by_value[value.url] = trend_charts(
                    key, value.title, trend(value.slug, value.title, value.primary, catalog.today)
                )
    return SiteCharts(insights, home_charts(insights, catalog.taxonomy.slugs("severities")), by_value)


@dataclass
class Site:
    """The page registry: every page pmkb describes, by source URI, home first, in nav order."""

    records: dict[str, PageRecord]
    home: HomeView
    builder: ViewBuilder = field(repr=False)  # makes the rows of similar incidents added later

    def page(self, src_uri: str) -> PageRecord | None:
        return self.records.get(src_uri)

    def generated(self) -> list[PageRecord]:
        """The pages pmkb writes (everything but the postmortems, which are the authors' files)."""
        return [record for record in self.records.values() if not record.authored]

    def postmortems(self) -> list[PageRecord]:
        return [record for record in self.records.values() if record.authored]

    def serve_from(self, src_uri: str, own_src_uri: str) -> None:
        """An author's own file serves a page pmkb generates (its text above pmkb's): `README.md` as the home
        page, or an `incidents/index.md` with an introduction."""
        if src_uri == own_src_uri or src_uri not in self.records:
            return
        moved = replace(self.records[src_uri], src_uri=own_src_uri)
        self.records = {
            (own_src_uri if key == src_uri else key): (moved if key == src_uri else record)
            for key, record in self.records.items()
        }

    def add_similar(self, similar: Mapping[str, Sequence[str]]) -> None:
        """Give each postmortem's view its similar incidents: `similar` maps a postmortem id to the ids of its
        similar ones (ids without a view here, such as unlisted drafts, are skipped).

        A step of its own because they are known last: the plugin computes them on another core while MkDocs
        converts the Markdown, and adds them before the first page is rendered.
        """
        records = self.postmortems()
        by_id = {record.view.postmortem.id: record.view.postmortem for record in records}  # type: ignore[union-attr]
        row = self.builder.incident_row
        linked = self.builder.linked_ids  # only pages the build writes: a cached list may name one left out since
        for record in records:
            view = record.view
            assert isinstance(view, PostmortemView)
            found = [by_id[i] for i in similar.get(view.postmortem.id, ()) if i in by_id and i in linked]
            if found:
                self.records[record.src_uri] = replace(record, view=replace(view, similar=tuple(row(p) for p in found)))

    def nav(self) -> list[tuple[str, str]]:
        """(title, src_uri) of the pages the sidebar holds: home and the index pages, never every postmortem."""
        return [(record.title, record.src_uri) for record in self.records.values() if record.in_nav]


def facet_src(facet: Facet, slug: str | None = None) -> str:
    return f"{facet.url(slug)}index.md"


def build_site(
    catalog: Catalog,
    *,
    include_drafts: bool = False,
    directory_urls: bool = True,
    content_folder: str = "postmortems",
    charts: SiteCharts | None = None,
    views: dict[tuple, PostmortemView] | None = None,
) -> Site:
    """All pages and exports for the postmortems a published site lists.

    `include_drafts` lists drafts too (plugin option `drafts: true`). Similar incidents are added afterwards
    (`Site.add_similar`). `charts`: from `site_charts` for the same arguments (made here when not given). `views`:
    postmortem views kept from an earlier call with the same settings (`mkdocs serve` after a save), by what each
    is made from; views made here are added to it.
    """
    listed = list(catalog.listed(include_drafts))
    charts = charts if charts is not None else site_charts(catalog, include_drafts=include_drafts)

    urls: dict[str, str] = {}

    def url_of(src_uri: str) -> str:
        url = urls.get(src_uri)
        if url is None:
            url = urls[src_uri] = page_url(src_uri, directory_urls)
        return url

    builder = ViewBuilder(catalog.taxonomy, catalog.today, url_of, {p.id for p in listed})
    by_id = catalog.by_id()
    earlier = _earlier_same_cause(listed)
    postmortem_views: dict[str, PostmortemView] = {}
    for p in catalog.postmortems:
        before = earlier.get(p.id, ())
        # Everything a postmortem's view is made from, for `views`: the same key, the same view.
        key = (p, tuple((i, by_id.get(i), i in builder.linked_ids) for i in p.related), before)
        view = views.get(key) if views is not None else None
        if view is None:
            view = builder.postmortem(p, by_id, earlier=before, runbook_url=url_of)
            if views is not None:
                views[key] = view
        postmortem_views[p.src_uri] = view

    home = _home_view(builder, listed, catalog, charts)
    records = [
        page_record(HOME_SRC, "Home", home, in_nav=True, names_page=False),
        page_record(INCIDENTS_SRC, INCIDENTS_TITLE, _incidents_view(builder, listed), in_nav=True),
        # Six columns and each item's id#n: the table needs the width of the table of contents more than its two links.
        page_record(
            ACTION_ITEMS_SRC, ACTION_ITEMS_TITLE, _action_items_view(builder, listed), in_nav=True, full_width=True
        ),
        page_record(EXPLORER_SRC, EXPLORER_TITLE, explorer_view(catalog.taxonomy), in_nav=True, full_width=True),
    ]
    for facet in PAGED_FACETS:
        values = facet_values(facet, listed, catalog.taxonomy)
        records.append(page_record(facet_src(facet), facet.title, builder.facet_index(facet, values), in_nav=True))
        records.extend(
            page_record(
                facet_src(facet, value.slug),
                f"{facet.singular.capitalize()}: {value.title}",
                builder.facet_value(value, facet.title, charts.by_value.get(value.url, ())),
            )
            for value in values
        )
    guide = build_guide(catalog.taxonomy, catalog.today, content_folder)
    records.append(page_record(GUIDE_SRC, GUIDE_TITLE, guide, in_nav=True))
    records.extend(
        page_record(
            src_uri,
            view.postmortem.title,
            view,
            authored=True,
            indexed=is_indexed(view.postmortem),
            built=include_drafts or not view.is_draft,
            description=view.postmortem.impact.summary,
        )
        for src_uri, view in postmortem_views.items()
    )
    return Site({record.src_uri: record for record in records}, home, builder)


FEED_NAME = "feed.xml"
# And the explorer's row chunks.
EXPORT_NAMES = ("postmortems.json", "action-items.json", INCIDENT_INDEX, FACET_INDEX, FEED_NAME)


def export_names(catalog: Catalog, *, include_drafts: bool = False) -> list[str]:
    """The names `export_files` returns for the same arguments, without making the files (the site generator
    must know every file before the exports are made on another core)."""
    return [*EXPORT_NAMES, *row_chunk_names(len(indexed_rows(catalog.listed(include_drafts))))]


def export_files(
    catalog: Catalog,
    *,
    include_drafts: bool = False,
    directory_urls: bool = True,
    site_name: str = "Postmortems",
    site_url: str = "",
) -> dict[str, str]:
    """The exported files, name -> content, of the postmortems the site lists (see `build_site`), and the Atom
    feed of the published ones.

    Apart from the pages because nothing else waits for them: the plugin makes them on another core.
    """
    listed = list(catalog.listed(include_drafts))
    url_of = partial(page_url, directory_urls=directory_urls)
    return {
        "postmortems.json": exports.postmortems_json(listed, url_of, catalog.taxonomy.value_fields),
        "action-items.json": exports.action_items_json(listed, url_of, catalog.today),
        # The explorer's metadata index and its rows' titles: written with the exports (on another core), never a
        # draft.
        INCIDENT_INDEX: incident_index(listed, catalog.taxonomy, catalog.today, url_of),
        FACET_INDEX: facet_index(listed, catalog.taxonomy),
        FEED_NAME: exports.atom_feed(
            [p for p in listed if p.status == "published"],
            url_of,
            catalog.taxonomy,
            site_name=site_name,
            site_url=site_url,
            feed_name=FEED_NAME,
        ),
        **row_chunks(listed, url_of),
    }


def _earlier_same_cause(postmortems: Sequence[Postmortem]) -> dict[str, tuple[Postmortem, ...]]:
    """ "Has this happened before?": earlier postmortems with the same primary cause and a shared service.

    Buckets are kept in time order and searched with bisect, so one cause on one service across thousands of
    incidents stays n log n rather than quadratic.
    """
    buckets: dict[tuple[str, str], list[tuple[tuple, Postmortem]]] = {}
    for p in postmortems:
        for service in p.services:
            buckets.setdefault((p.cause, service), []).append((chronological_key(p), p))
    for bucket in buckets.values():
        bucket.sort(key=lambda entry: entry[0])
    result: dict[str, tuple[Postmortem, ...]] = {}
    for p in postmortems:
        key = chronological_key(p)
        found: dict[str, Postmortem] = {}
        for service in p.services:
            bucket = buckets[(p.cause, service)]
            end = bisect_left(bucket, key, key=lambda entry: entry[0])
            for _, other in bucket[max(0, end - EARLIER_LIMIT - len(p.related)) : end]:
                if other.id not in p.related:
                    found[other.id] = other
        if found:
            result[p.id] = tuple(newest_first(found.values())[:EARLIER_LIMIT])
    return result


def _incidents_view(builder: ViewBuilder, listed: Sequence[Postmortem]) -> IncidentsView:
    groups = tuple(
        YearGroup(value.slug, tuple(builder.incident_row(p) for p in value.primary))
        for value in facet_values(YEARS, listed, builder.taxonomy)
    )
    return IncidentsView(INCIDENTS_TITLE, groups, len(listed))


def _action_items_view(builder: ViewBuilder, listed: Sequence[Postmortem]) -> ActionItemsView:
    rows = sort_action_rows(builder.action_row(item, p) for p in listed for item in p.open_action_items)
    by_owner: dict[str, list] = {}
    for row in rows:
        by_owner.setdefault(row.item.owner, []).append(row)
    owners = tuple(
        OwnerGroup(owner, _anchor(owner, index), tuple(owner_rows), sum(r.overdue for r in owner_rows))
        for index, (owner, owner_rows) in enumerate(sorted(by_owner.items(), key=lambda kv: kv[0].lower()))
    )
    return ActionItemsView(ACTION_ITEMS_TITLE, tuple(rows), owners, sum(r.overdue for r in rows), builder.today)


def _anchor(owner: str, index: int) -> str:
    cleaned = "".join(c if c.isascii() and c.isalnum() else "-" for c in owner.lower()).strip("-")
    return f"owner-{index}-{cleaned[:40]}" if cleaned else f"owner-{index}"


def _home_view(builder: ViewBuilder, listed: Sequence[Postmortem], catalog: Catalog, charts: SiteCharts) -> HomeView:
    taxonomy = catalog.taxonomy
    open_items = [item for p in listed for item in p.open_action_items]
    return HomeView(
        recent=tuple(builder.incident_row(p) for p in listed[:RECENT_ON_HOME]),
        by_cause=count_links(Counter(p.cause for p in listed), builder.cause_link, taxonomy.slugs("causes")),
        by_severity=count_links(
            Counter(p.severity for p in listed), builder.severity_link, taxonomy.slugs("severities")
        ),
        open_items=len(open_items),
        overdue_items=sum(item.is_overdue(catalog.today) for item in open_items),
        total=len(listed),
        headlines=charts.home_insights.headlines,
        charts=charts.home,
        indexes=(
            Link(INCIDENTS_TITLE, INCIDENTS_SRC[: -len("index.md")]),
            Link(ACTION_ITEMS_TITLE, ACTION_ITEMS_SRC[: -len("index.md")]),
            *(Link(facet.title, facet.url()) for facet in PAGED_FACETS),
            Link(EXPLORER_TITLE, EXPLORER_SRC[: -len("index.md")]),
            Link(GUIDE_TITLE, GUIDE_SRC[: -len("index.md")]),
        ),
        exports=(
            Link("Atom feed", FEED_NAME, "New postmortems, for a feed reader or a chat channel"),
            Link("postmortems.json", "postmortems.json", "Every postmortem's front matter, as JSON"),
            Link("action-items.json", "action-items.json", "Every action item, with its incident, as JSON"),
        ),
    )
