"""The site layer on its own: facets, views, pages and exports built from a real catalog, with no MkDocs build.

A handful of postmortems are written to a temp folder and read by the core (discover -> FileChecker ->
build_catalog), as `pmkb lint` and the plugin read them; everything after that is plain values, asserted here.
"Today" is fixed (2026-11-21, the suite's PMKB_TODAY) and passed explicitly, so no test depends on the clock.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from conftest import KB, front_matter, render_postmortem
from pmkb.core.catalog import DEFAULT_PAGE_DIRS, RESERVED_NAMES, Catalog, FileChecker, build_catalog, discover
from pmkb.core.taxonomy import default_taxonomy
from pmkb.site.explorer import PAGEFIND_FOLDER, ROW_CHUNK, row_chunk_names
from pmkb.site.exports import action_items_json, postmortems_json
from pmkb.site.facets import CAUSES, SERVICES, SEVERITIES, TAGS, YEARS, facet_values
from pmkb.site.guide import GuideView
from pmkb.site.pages import EXPORT_NAMES, TEMPLATES, PageRecord, build_site, export_files, export_names
from pmkb.site.views import (
    ActionItemsView,
    FacetIndexView,
    FacetValueView,
    HomeView,
    IncidentsView,
    Link,
    PostmortemView,
    ViewBuilder,
    page_url,
)

TODAY = date(2026, 11, 21)

# The fixture knowledge base, oldest first. Ids say what each one is for.
STAMPEDE = "2024-05-02-cache-stampede"  # capacity on cache + checkout; contributing monitoring-gap; 4h 17m
DNS = "2023-11-20-dns-outage"  # capacity on checkout; SEV1; 2h
QUOTA = "2022-03-01-quota-exhausted"  # capacity on cache; SEV2; 1h; no trigger, no mitigation, no users count
ROUTER = "2024-08-15-router-flap"  # network on checkout; related: STAMPEDE and the draft; 30m
DRAFT = "2025-01-10-draft-capacity"  # a draft: listed nowhere unless drafts are built
BROKEN = "2024-02-02-broken"  # no severity: not in the catalog's postmortems, but its id exists


def timeline(day: str, resolve_minutes: int, mitigated: bool = False) -> dict:
    hours, minutes = divmod(resolve_minutes, 60)
    result = {"started": f"{day}T09:00:00Z", "detected": f"{day}T09:05:00Z"}
    if mitigated:
        result["mitigated"] = f"{day}T09:20:00Z"
    result["resolved"] = f"{day}T{9 + hours:02d}:{minutes:02d}:00Z"
    return result


def item(title: str, owner: str, status: str = "open", **extra) -> dict:
    return {"title": title, "owner": owner, "status": status, **extra}


def write_fixture(kb: KB) -> None:
    kb.write("runbooks/cache-failover.md", "# Cache failover\n")
    kb.add(
        STAMPEDE,
        title='Cache <stampede> & "retries" take down checkout — café',
        services=["cache", "checkout"],
        runbooks=["runbooks/cache-failover.md"],
        action_items=[
            item("Add request coalescing", "team-checkout", priority="high", due="2026-01-01", type="prevent"),
            item("Alert on cache hit ratio", "sre", status="done", type="detect", priority="medium"),
            item("Load-test the cache", "SRE", status="in-progress", due="2027-03-01"),
        ],
    )
    kb.add(
        DNS,
        date="2023-11-20",
        severity="SEV1",
        services=["checkout"],
        contributing=None,
        tags=["redis"],
        timeline=timeline("2023-11-20", 120),
        action_items=[item("Cap DNS retries", "sre", status="in-progress", due="2027-01-01")],
    )
    kb.add(
        QUOTA,
        date="2022-03-01",
        services=["cache"],
        contributing=None,
        trigger=None,
        tags=None,
        impact={"summary": "Writes failed."},
        timeline=timeline("2022-03-01", 60),
        action_items=[],
        no_action_items="The quota was raised for good.",
    )
    kb.add(
        ROUTER,
        date="2024-08-15",
        severity="SEV3",
        services=["checkout"],
        cause="network",
        contributing=["capacity"],
        tags=["bgp"],
        timeline=timeline("2024-08-15", 30, mitigated=True),
        related=[STAMPEDE, DRAFT],
        action_items=[item("Dampen route flaps", "netops", priority="low", due="2026-06-30")],
    )
    kb.add(DRAFT, status="draft", date="2025-01-10", services=["checkout"], timeline=timeline("2025-01-10", 10))
    kb.write(
        f"2024/{BROKEN}.md",
        render_postmortem(front_matter(severity=None, date="2024-02-02", timeline=timeline("2024-02-02", 60))),
    )


def make_catalog(kb: KB, today: date = TODAY) -> Catalog:
    refs, diagnostics = discover(kb.docs, "postmortems/")
    assert not diagnostics
    return build_catalog(refs, checker=FileChecker(default_taxonomy()), page_dirs=DEFAULT_PAGE_DIRS, today=today)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Catalog:
    kb = KB(tmp_path_factory.mktemp("site-layer") / "kb")
    kb.docs.mkdir(parents=True)
    write_fixture(kb)
    return make_catalog(kb)


def ids(postmortems) -> list[str]:
    return [p.id for p in postmortems]


def row_ids(rows) -> list[str]:
    return [row.postmortem.id for row in rows]


def values_by_slug(facet, catalog: Catalog, include_drafts: bool = False) -> dict:
    return {value.slug: value for value in facet_values(facet, catalog.listed(include_drafts), catalog.taxonomy)}


# -- the catalog the rest is built from ------------------------------------------------------------------------


def test_catalog_holds_the_valid_postmortems_newest_first(catalog: Catalog) -> None:
    assert ids(catalog.postmortems) == [DRAFT, ROUTER, STAMPEDE, DNS, QUOTA]
    assert ids(catalog.listed()) == [ROUTER, STAMPEDE, DNS, QUOTA]
    assert ids(catalog.listed(include_drafts=True)) == [DRAFT, ROUTER, STAMPEDE, DNS, QUOTA]
    assert BROKEN in catalog.ids
    errors = [(d.path, d.field) for d in catalog.diagnostics if d.is_error]
    assert errors == [(f"postmortems/2024/{BROKEN}.md", "severity")]


# -- facets -----------------------------------------------------------------------------------------------------


def test_cause_facet_lists_every_taxonomy_cause_with_primary_and_contributing_incidents(catalog: Catalog) -> None:
    causes = values_by_slug(CAUSES, catalog)
    assert list(causes) == list(catalog.taxonomy.slugs("causes"))  # every cause, used or not, in taxonomy order
    capacity = causes["capacity"]
    assert ids(capacity.primary) == [STAMPEDE, DNS, QUOTA]  # newest first
    assert ids(capacity.contributing) == [ROUTER]
    assert capacity.count == 3  # primary only
    assert (capacity.title, capacity.url) == ("Capacity", "causes/capacity/")
    assert ids(causes["network"].primary) == [ROUTER]
    assert (causes["monitoring-gap"].count, ids(causes["monitoring-gap"].contributing)) == (0, [STAMPEDE])
    assert causes["hardware"].entries == ()


def test_severity_facet_keeps_taxonomy_order_and_lower_case_urls(catalog: Catalog) -> None:
    severities = values_by_slug(SEVERITIES, catalog)
    assert list(severities) == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert {slug: ids(value.primary) for slug, value in severities.items()} == {
        "SEV1": [DNS],
        "SEV2": [STAMPEDE, QUOTA],
        "SEV3": [ROUTER],
        "SEV4": [],
    }
    assert severities["SEV1"].url == "severities/sev1/"
    assert severities["SEV1"].title == "Critical"


def test_free_facets_list_only_values_in_use_alphabetically(catalog: Catalog) -> None:
    services = values_by_slug(SERVICES, catalog)
    assert list(services) == ["cache", "checkout"]
    assert ids(services["checkout"].primary) == [ROUTER, STAMPEDE, DNS]
    assert ids(services["cache"].primary) == [STAMPEDE, QUOTA]
    tags = values_by_slug(TAGS, catalog)
    assert list(tags) == ["bgp", "redis", "thundering-herd"]
    assert ids(tags["redis"].primary) == [STAMPEDE, DNS]
    assert tags["bgp"].url == "tags/bgp/"


def test_year_facet_is_newest_year_first(catalog: Catalog) -> None:
    years = values_by_slug(YEARS, catalog)
    assert list(years) == ["2024", "2023", "2022"]
    assert ids(years["2024"].primary) == [ROUTER, STAMPEDE]
    with_drafts = values_by_slug(YEARS, catalog, include_drafts=True)
    assert list(with_drafts) == ["2025", "2024", "2023", "2022"]


def test_median_time_to_resolve_counts_primary_incidents_only(catalog: Catalog) -> None:
    causes = values_by_slug(CAUSES, catalog)
    # capacity: 4h 17m, 2h, 1h -> 2h; ROUTER (30m) only contributed and does not count
    assert causes["capacity"].median_time_to_resolve_seconds == 7200
    assert causes["monitoring-gap"].median_time_to_resolve_seconds is None  # no primary incident
    # an even count takes the mean of the middle two: (4h 17m + 2h) / 2
    assert values_by_slug(TAGS, catalog)["redis"].median_time_to_resolve_seconds == (15420 + 7200) / 2


# -- views ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(catalog: Catalog):
    return build_site(catalog)


def test_postmortem_view_header_card(site, catalog: Catalog) -> None:
    view = postmortem_view(site, f"2024/{STAMPEDE}.md")
    facts = {fact.label: fact.links for fact in view.facts}
    assert list(facts) == [
        "Severity",
        "Status",
        "Date",
        "Services",
        "Cause",
        "Contributing",
        "Trigger",
        "Detection",
        "Tags",
        "Authors",
        "Time to detect",
        "Time to mitigate",
        "Time to resolve",
        "Users affected",
        "Customer facing",
        "Data loss",
    ]
    assert facts["Users affected"][0].text == "1,200"
    assert view.tone == facts["Severity"][0].tone == 2
    severity = facts["Severity"][0]
    assert (severity.text, severity.url) == ("SEV2", "severities/sev2/")
    assert severity.hint.startswith("Major: ")
    assert facts["Cause"] == (
        Link("Capacity", "causes/capacity/", catalog.taxonomy.entry("causes", "capacity").description),
    )
    assert [(link.text, link.url) for link in facts["Services"]] == [  # in the author's order
        ("cache", "services/cache/"),
        ("checkout", "services/checkout/"),
    ]
    assert [(link.text, link.url) for link in facts["Tags"]] == [
        ("redis", "tags/redis/"),
        ("thundering-herd", "tags/thundering-herd/"),
    ]
    assert facts["Trigger"][0].url is None  # triggers and detection have no pages
    assert facts["Status"] == (Link("published", None),)
    assert view.durations == (("Time to detect", "12m"), ("Time to mitigate", "1h 30m"), ("Time to resolve", "4h 17m"))
    assert view.runbooks == (Link("Cache failover", "runbooks/cache-failover/"),)
    assert (view.is_draft, view.status_label) == (False, "published")


def test_postmortem_view_leaves_out_facts_and_durations_it_does_not_have(site) -> None:
    view = postmortem_view(site, f"2022/{QUOTA}.md")
    labels = [fact.label for fact in view.facts]
    assert "Trigger" not in labels and "Tags" not in labels and "Contributing" not in labels
    assert [label for label, _ in view.durations] == ["Time to detect", "Time to resolve"]
    assert view.action_rows == ()


def test_action_rows_flag_overdue_items_against_the_catalogs_today(catalog: Catalog, tmp_path: Path) -> None:
    view = postmortem_view(build_site(catalog), f"2024/{STAMPEDE}.md")
    assert [(row.item.title, row.overdue) for row in view.action_rows] == [
        ("Add request coalescing", True),  # open, due 2026-01-01 < 2026-11-21
        ("Alert on cache hit ratio", False),  # done: never overdue
        ("Load-test the cache", False),  # due later
    ]
    assert view.action_rows[2].status_label == "in progress"
    assert view.action_rows[0].incident_url == f"2024/{STAMPEDE}/"
    # The same files on the day the first item is due: not overdue yet (due *before* today only).
    kb = KB(tmp_path / "kb")
    kb.docs.mkdir(parents=True)
    write_fixture(kb)
    on_due_day = postmortem_view(build_site(make_catalog(kb, today=date(2026, 1, 1))), f"2024/{STAMPEDE}.md")
    assert [row.overdue for row in on_due_day.action_rows] == [False, False, False]
    assert not any(d.field.endswith(".due") for d in make_catalog(kb, today=date(2026, 1, 1)).diagnostics)


def test_related_incidents_skip_unlisted_drafts(site) -> None:
    view = postmortem_view(site, f"2024/{ROUTER}.md")
    assert row_ids(view.related) == [STAMPEDE]  # the draft has no page in this build
    assert view.related[0].url == f"2024/{STAMPEDE}/"
    assert view.earlier_same_cause == ()  # no earlier network incident


def test_related_incidents_include_drafts_when_drafts_are_built(catalog: Catalog) -> None:
    view = postmortem_view(build_site(catalog, include_drafts=True), f"2024/{ROUTER}.md")
    assert row_ids(view.related) == [STAMPEDE, DRAFT]


def test_earlier_same_cause_on_a_shared_service_newest_first(site) -> None:
    stampede = postmortem_view(site, f"2024/{STAMPEDE}.md")
    # QUOTA shares cache, DNS shares checkout: newest first whatever the order of the services.
    # ROUTER is later and has another cause; the draft is not listed.
    assert row_ids(stampede.earlier_same_cause) == [DNS, QUOTA]
    assert row_ids(postmortem_view(site, f"2022/{QUOTA}.md").earlier_same_cause) == []
    assert row_ids(postmortem_view(site, f"2023/{DNS}.md").earlier_same_cause) == []


def test_similar_incidents_are_added_afterwards_by_id(catalog: Catalog) -> None:
    site = build_site(catalog)
    assert postmortem_view(site, f"2023/{DNS}.md").similar == ()
    site.add_similar({DNS: [QUOTA, "no-such-id", STAMPEDE]})
    assert row_ids(postmortem_view(site, f"2023/{DNS}.md").similar) == [QUOTA, STAMPEDE]


def test_drafts_get_a_view_with_a_draft_flag(site) -> None:
    view = postmortem_view(site, f"2025/{DRAFT}.md")
    assert (view.is_draft, view.status_label) == (True, "draft")


def page(site, src_uri: str) -> PageRecord:
    record = site.page(src_uri)
    assert record is not None, src_uri
    return record


def postmortem_view(site, src_uri: str) -> PostmortemView:
    view = page(site, src_uri).view
    assert isinstance(view, PostmortemView)
    return view


def test_incidents_listing_groups_by_year_newest_first(site) -> None:
    view = page(site, "incidents/index.md").view
    assert isinstance(view, IncidentsView)
    assert view.total == 4
    assert [(group.year, row_ids(group.rows)) for group in view.groups] == [
        ("2024", [ROUTER, STAMPEDE]),
        ("2023", [DNS]),
        ("2022", [QUOTA]),
    ]
    row = view.groups[0].rows[1]
    assert (row.url, row.time_to_resolve, row.open_items, row.overdue_items) == (f"2024/{STAMPEDE}/", "4h 17m", 2, 1)
    assert (row.severity.text, row.cause.text, [s.text for s in row.services]) == (
        "SEV2",
        "Capacity",
        ["cache", "checkout"],
    )


def test_action_items_listing_overdue_first_then_by_due_date_with_owner_sections(site) -> None:
    view = page(site, "action-items/index.md").view
    assert isinstance(view, ActionItemsView)
    assert [(row.item.title, row.overdue) for row in view.rows] == [
        ("Add request coalescing", True),  # overdue, due 2026-01-01
        ("Dampen route flaps", True),  # overdue, due 2026-06-30
        ("Cap DNS retries", False),  # due 2027-01-01
        ("Load-test the cache", False),  # due 2027-03-01
    ]  # the done item is not listed
    assert (view.overdue, view.today) == (2, TODAY)
    # Owners sorted ignoring case; 'SRE' and 'sre' are different owners, each with its own anchor.
    assert [(group.owner, len(group.rows), group.overdue) for group in view.owners] == [
        ("netops", 1, 1),
        ("sre", 1, 0),
        ("SRE", 1, 0),
        ("team-checkout", 1, 1),
    ]
    anchors = [group.anchor for group in view.owners]
    assert len(set(anchors)) == len(anchors)
    assert anchors[0] == "owner-0-netops"


def test_facet_value_view(site) -> None:
    view = page(site, "causes/capacity/index.md").view
    assert isinstance(view, FacetValueView)
    assert (view.title, view.facet_title, view.index_url) == ("Cause: Capacity", "Root causes", "causes/")
    assert row_ids(view.primary) == [STAMPEDE, DNS, QUOTA]
    assert row_ids(view.contributing) == [ROUTER]
    assert {row.role for row in view.contributing} == {"contributing"}
    assert view.median_time_to_resolve == "2h"
    # open items of the primary incidents only, sorted like the action-items page
    assert [row.item.title for row in view.open_actions] == [
        "Add request coalescing",
        "Cap DNS retries",
        "Load-test the cache",
    ]


def test_facet_index_view_counts_primary_and_contributing(site) -> None:
    view = page(site, "causes/index.md").view
    assert isinstance(view, FacetIndexView)
    counts = {row.value.slug: (row.count, row.contributing) for row in view.values}
    assert counts["capacity"] == (3, 1)
    assert counts["monitoring-gap"] == (0, 1)
    assert counts["unknown"] == (0, 0)
    assert view.show_contributing
    services = page(site, "services/index.md").view
    assert [(row.link.text, row.link.url, row.count) for row in services.values] == [
        ("cache", "services/cache/", 2),
        ("checkout", "services/checkout/", 3),
    ]
    assert not services.show_contributing


def test_home_view_counts(site) -> None:
    home = site.home
    assert row_ids(home.recent) == [ROUTER, STAMPEDE, DNS, QUOTA]
    assert [(link.text, count) for link, count in home.by_cause] == [("Capacity", 3), ("Network", 1)]
    assert [(link.text, count) for link, count in home.by_severity] == [("SEV1", 1), ("SEV2", 2), ("SEV3", 1)]
    assert (home.total, home.open_items, home.overdue_items) == (4, 4, 2)
    assert [link.url for link in home.indexes] == [
        "incidents/",
        "action-items/",
        "causes/",
        "severities/",
        "services/",
        "tags/",
        "search/",
        "guide/",
    ]


def test_view_builder_links_unknown_slugs_as_plain_text_links(catalog: Catalog) -> None:
    builder = ViewBuilder(catalog.taxonomy, TODAY, page_url, set())
    assert builder.cause_link("not-in-taxonomy") == Link("not-in-taxonomy", "causes/not-in-taxonomy/")
    assert builder.plain("triggers", None) == ()
    assert builder.plain("triggers", "latent")[0].text == "Latent"


# -- pages ------------------------------------------------------------------------------------------------------


def test_every_generated_page_with_its_url_and_title(site, catalog: Catalog) -> None:
    taxonomy = catalog.taxonomy
    expected = {
        "incidents/": "All incidents",
        "action-items/": "Open action items",
        "causes/": "Root causes",
        "severities/": "Severities",
        "services/": "Services",
        "services/cache/": "Service: cache",
        "services/checkout/": "Service: checkout",
        "tags/": "Tags",
        "tags/bgp/": "Tag: bgp",
        "tags/redis/": "Tag: redis",
        "tags/thundering-herd/": "Tag: thundering-herd",
        "search/": "Search incidents",
        "guide/": "How to write a postmortem",
    }
    expected.update({f"causes/{e.slug}/": f"Cause: {e.title}" for e in taxonomy.causes})
    expected.update({f"severities/{e.slug.lower()}/": f"Severity: {e.title}" for e in taxonomy.severities})
    listings = [p for p in site.generated() if p.view is not site.home]
    actual = {page_url(p.src_uri): p.title for p in listings}
    assert actual == expected
    assert len(listings) == len(expected)  # no page twice
    assert all(p.src_uri.endswith("/index.md") for p in listings)
    assert [p.view.title for p in listings if hasattr(p.view, "title")] == [p.title for p in listings]


def test_nav_holds_the_index_pages_only(site) -> None:
    assert site.nav() == [
        ("Home", "index.md"),
        ("All incidents", "incidents/index.md"),
        ("Open action items", "action-items/index.md"),
        ("Search incidents", "search/index.md"),
        ("Root causes", "causes/index.md"),
        ("Severities", "severities/index.md"),
        ("Services", "services/index.md"),
        ("Tags", "tags/index.md"),
        ("How to write a postmortem", "guide/index.md"),
    ]
    assert isinstance(page(site, "guide/index.md").view, GuideView)


def test_every_page_is_one_record_with_the_template_of_its_kind_of_view(site, catalog: Catalog) -> None:
    records = list(site.records.values())
    assert len({r.src_uri for r in records}) == len(records) == len(site.records)
    assert [r.src_uri for r in site.postmortems()] == [p.src_uri for p in catalog.postmortems]
    for record in records:
        assert record.template == TEMPLATES[type(record.view)]
        assert record.authored == isinstance(record.view, PostmortemView)
    assert len({TEMPLATES[type(r.view)] for r in records}) == len({type(r.view) for r in records})
    home = page(site, "index.md")
    assert (home.view, home.template, home.in_nav, home.names_page) == (site.home, "pmkb/home.html", True, False)
    assert home.charts == site.home.charts and isinstance(home.view, HomeView)
    # The explorer and the action items' six columns take the table of contents' width.
    assert sorted(r.src_uri for r in records if r.full_width) == ["action-items/index.md", "search/index.md"]
    # Only published postmortems go to the browser's search index; no listing does.
    assert {r.src_uri for r in records if r.indexed} == {p.src_uri for p in catalog.postmortems if not p.is_draft}
    assert page(site, f"2025/{DRAFT}.md").built is False
    assert page(build_site(catalog, include_drafts=True), f"2025/{DRAFT}.md").built is True
    assert page(site, f"2024/{STAMPEDE}.md").title == postmortem_view(site, f"2024/{STAMPEDE}.md").postmortem.title


def test_an_authors_own_file_serves_a_generated_page_under_its_own_name(site) -> None:
    site.serve_from("index.md", "README.md")
    site.serve_from("incidents/index.md", "incidents/README.md")
    assert site.page("index.md") is None and page(site, "README.md").view is site.home
    assert page(site, "incidents/README.md").template == "pmkb/incidents.html"
    assert site.nav()[:2] == [("Home", "README.md"), ("All incidents", "incidents/README.md")]
    site.add_similar({DNS: [QUOTA]})  # the registry stays one: later changes reach every lookup
    assert row_ids(postmortem_view(site, f"2023/{DNS}.md").similar) == [QUOTA]


def test_every_generated_url_is_reserved_so_no_postmortem_can_collide(site) -> None:
    tops = {p.src_uri.split("/", 1)[0] for p in site.generated() if "/" in p.src_uri}
    exports = {name.split("/", 1)[0] for name in EXPORT_NAMES}
    assert tops | exports | {PAGEFIND_FOLDER} == set(RESERVED_NAMES)


def test_the_export_names_are_known_before_the_exports_are_made(catalog: Catalog) -> None:
    for drafts in (False, True):
        names = export_names(catalog, include_drafts=drafts)
        assert names == list(export_files(catalog, include_drafts=drafts))
        assert names[: len(EXPORT_NAMES)] == list(EXPORT_NAMES) and names[-1] == "search/rows/0.json"


def test_row_chunks_split_the_rows_without_a_gap_or_an_empty_chunk() -> None:
    assert row_chunk_names(0) == []
    assert row_chunk_names(ROW_CHUNK) == ["search/rows/0.json"]
    assert row_chunk_names(ROW_CHUNK + 1) == ["search/rows/0.json", "search/rows/1.json"]


def test_pages_of_drafts_and_values_only_drafts_use(catalog: Catalog) -> None:
    without = {p.src_uri for p in build_site(catalog).generated()}
    with_drafts = build_site(catalog, include_drafts=True)
    assert without == {p.src_uri for p in with_drafts.generated()}  # the draft uses no value the others do not
    incidents = page(with_drafts, "incidents/index.md").view
    assert (incidents.total, incidents.groups[0].year) == (5, "2025")


@pytest.mark.parametrize(
    ("src_uri", "directory_urls", "url"),
    [
        ("2024/2024-05-02-x.md", True, "2024/2024-05-02-x/"),
        ("2024/2024-05-02-x.md", False, "2024/2024-05-02-x.html"),
        ("index.md", True, ""),
        ("index.md", False, "index.html"),
        ("causes/capacity/index.md", True, "causes/capacity/"),
        ("causes/capacity/index.md", False, "causes/capacity/index.html"),
        ("2024/a#b c.md", True, "2024/a%23b%20c/"),
    ],
)
def test_page_url_is_mkdocs_url(src_uri: str, directory_urls: bool, url: str) -> None:
    assert page_url(src_uri, directory_urls) == url


# -- exports ----------------------------------------------------------------------------------------------------

POSTMORTEM_KEYS = [
    "id",
    "url",
    "path",
    "title",
    "date",
    "status",
    "severity",
    "authors",
    "services",
    "cause",
    "contributing",
    "trigger",
    "detection",
    "tags",
    "impact",
    "timeline",
    "durations",
    "action_items",
    "no_action_items",
    "related",
    "runbooks",
]
ACTION_ITEM_KEYS = ["title", "owner", "status", "type", "priority", "due", "link"]
ACTION_RECORD_KEYS = ["incident", "incident_title", "url", "index", *ACTION_ITEM_KEYS, "overdue"]


def test_postmortems_export_records(catalog: Catalog) -> None:
    files = export_files(catalog)
    assert list(files) == [
        "postmortems.json",
        "action-items.json",
        "search/incidents.json",
        "search/filters.json",
        "feed.xml",
        "search/rows/0.json",
    ]
    records = json.loads(files["postmortems.json"])
    assert [r["id"] for r in records] == [ROUTER, STAMPEDE, DNS, QUOTA]  # newest first, no draft
    for record in records:
        assert list(record) == POSTMORTEM_KEYS
        assert list(record["impact"]) == ["summary", "users_affected", "customer_facing", "data_loss"]
        assert list(record["timeline"]) == ["started", "detected", "mitigated", "resolved"]
        assert list(record["durations"]) == [
            "time_to_detect_seconds",
            "time_to_mitigate_seconds",
            "time_to_resolve_seconds",
        ]
        for action in record["action_items"]:
            assert list(action) == ACTION_ITEM_KEYS
    stampede = records[1]
    assert stampede["url"] == f"2024/{STAMPEDE}/"
    assert stampede["path"] == f"2024/{STAMPEDE}.md"  # under the content folder
    assert stampede["timeline"]["started"] == "2024-05-02T09:00:00+02:00"  # its own offset kept
    assert stampede["durations"] == {
        "time_to_detect_seconds": 720,
        "time_to_mitigate_seconds": 5400,
        "time_to_resolve_seconds": 15420,
    }
    assert stampede["runbooks"] == ["runbooks/cache-failover.md"]
    assert stampede["action_items"][1] == {
        "title": "Alert on cache hit ratio",
        "owner": "sre",
        "status": "done",
        "type": "detect",
        "priority": "medium",
        "due": None,
        "link": None,
    }


def test_postmortems_export_writes_null_for_missing_optional_values(catalog: Catalog) -> None:
    quota = next(r for r in json.loads(export_files(catalog)["postmortems.json"]) if r["id"] == QUOTA)
    assert quota["trigger"] is None
    assert quota["tags"] == [] and quota["contributing"] == [] and quota["related"] == []
    assert quota["impact"] == {
        "summary": "Writes failed.",
        "users_affected": None,
        "customer_facing": None,
        "data_loss": None,
    }
    assert quota["timeline"]["mitigated"] is None
    assert quota["durations"]["time_to_mitigate_seconds"] is None
    assert quota["durations"]["time_to_resolve_seconds"] == 3600
    assert (quota["action_items"], quota["no_action_items"]) == ([], "The quota was raised for good.")


def test_exports_leave_escaping_to_consumers(catalog: Catalog) -> None:
    text = export_files(catalog)["postmortems.json"]
    title = 'Cache <stampede> & "retries" take down checkout — café'
    assert json.loads(text)[1]["title"] == title
    # JSON-escaped quotes only: no HTML entities, no \u escapes of non-ASCII text or of < and &.
    assert 'Cache <stampede> & \\"retries\\" take down checkout — café' in text
    assert "&lt;" not in text and "&amp;" not in text and "\\u" not in text


def test_exports_are_one_record_a_line_and_identical_for_identical_input(catalog: Catalog) -> None:
    text = export_files(catalog)["postmortems.json"]
    lines = text.split("\n")
    assert lines[0] == "[" and lines[-2:] == ["]", ""]
    assert len(lines) == 4 + 3  # four records
    assert export_files(catalog) == export_files(catalog)


def test_action_items_export_has_every_status_and_an_overdue_flag(catalog: Catalog) -> None:
    records = json.loads(export_files(catalog)["action-items.json"])
    assert all(list(record) == ACTION_RECORD_KEYS for record in records)
    assert [(r["incident"], r["index"], r["status"], r["overdue"]) for r in records] == [
        (ROUTER, 0, "open", True),
        (STAMPEDE, 0, "open", True),
        (STAMPEDE, 1, "done", False),
        (STAMPEDE, 2, "in-progress", False),
        (DNS, 0, "in-progress", False),
    ]
    assert records[1]["incident_title"] == 'Cache <stampede> & "retries" take down checkout — café'
    assert records[1]["url"] == f"2024/{STAMPEDE}/"
    assert records[1]["due"] == "2026-01-01"


def test_exports_follow_drafts_and_directory_urls(catalog: Catalog) -> None:
    files = export_files(catalog, include_drafts=True, directory_urls=False)
    records = json.loads(files["postmortems.json"])
    assert records[0]["id"] == DRAFT
    assert records[0]["url"] == f"2025/{DRAFT}.html"
    assert files["postmortems.json"] == postmortems_json(catalog.listed(True), lambda s: page_url(s, False))
    assert files["action-items.json"] == action_items_json(catalog.listed(True), lambda s: page_url(s, False), TODAY)


# -- layering ---------------------------------------------------------------------------------------------------

IMPORT_ALL = """
import importlib, pkgutil, sys
import pmkb.core, pmkb.site
names = []
for package in (pmkb.core, pmkb.site):
    for module in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
        names.append(module.name)
print(",".join(names))
print(",".join(sorted(name for name in ("mkdocs", "material", "whoosh", "argparse") if name in sys.modules)))
"""


def test_core_and_site_import_no_site_generator_search_engine_or_argparse() -> None:
    result = subprocess.run([sys.executable, "-c", IMPORT_ALL], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    imported, forbidden = result.stdout.split("\n")[:2]
    # The walk really imported the layers (a renamed package would make this test pass vacuously).
    for name in ("pmkb.core.catalog", "pmkb.core.validate", "pmkb.site.pages", "pmkb.site.views", "pmkb.site.exports"):
        assert name in imported.split(",")
    assert forbidden == "", f"pmkb.core/pmkb.site imported {forbidden}"
