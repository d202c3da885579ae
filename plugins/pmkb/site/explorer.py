"""The incident explorer (/search/) and what browser search knows of each page.

Three things, decided here and nowhere else (no MkDocs, no Pagefind):

- which pages Pagefind indexes, and the document it reads for each: a postmortem that is not a draft, as its
  title, header card, body and action items, with Pagefind filters (cause, contributing, severity, service, tag,
  year, status, trigger, detection), sort keys (date, severity) and meta (title, date, severity, cause); an
  author's ordinary page (a runbook) as its title and body; never a draft, never a generated listing page;
- the metadata index the explorer filters with (`search/incidents.json`): every indexed postmortem as one compact
  row whose values are positions in per-facet value lists, so that filtering without text needs no Pagefind;
- the explorer page's view, and the "Search within these incidents" links of facet value pages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from pmkb.core.catalog import newest_first
from pmkb.core.model import Postmortem
from pmkb.core.taxonomy import Taxonomy

EXPLORER_SRC = "search/index.md"
EXPLORER_TITLE = "Search incidents"
INCIDENT_INDEX = "search/incidents.json"  # written with the pages (a generated file)
PAGEFIND_IDS = "search/pagefind-ids.json"  # written after Pagefind's index: row i of the index is page ids[i]
PAGEFIND_FOLDER = "pagefind"
INDEX_VERSION = 1

# The explorer's URL parameters that are facets, in the order a URL lists them. A repeated parameter is OR
# within its facet; different parameters are AND (pmkb-explorer.js).
EXPLORER_PARAMETERS = (
    "cause",
    "contributing",
    "severity",
    "service",
    "tag",
    "year",
    "status",
    "trigger",
    "detection",
    "actions",
)
# The metadata index's row layout (`columns` in the file).
COLUMNS = (
    "url",
    "title",
    "date",
    "severity",
    "cause",
    "contributing",
    "service",
    "tag",
    "status",
    "trigger",
    "detection",
    "open",
    "overdue",
)
STATUS_TITLES = {"published": "published", "in-review": "in review", "draft": "draft"}

UrlOf = Callable[[str], str]  # src_uri -> site-relative URL


@dataclass(frozen=True, slots=True)
class ExplorerLink:
    """A link to the explorer with its filters: `url` site-relative (the template makes it page-relative)."""

    text: str
    url: str
    query: str  # without '?'

    @property
    def href_suffix(self) -> str:
        return f"?{self.query}" if self.query else ""


@dataclass(frozen=True, slots=True)
class ExplorerView:
    title: str
    index_url: str  # site-relative
    ids_url: str
    browse: tuple[tuple[str, str], ...]  # (text, site-relative URL): the static pages shown without JavaScript
    kind: str = "explorer"


def is_indexed(postmortem: Postmortem) -> bool:
    """Pagefind and the metadata index hold every postmortem the site lists, drafts never (even when built)."""
    return not postmortem.is_draft


def explorer_view() -> ExplorerView:
    return ExplorerView(
        EXPLORER_TITLE,
        INCIDENT_INDEX,
        PAGEFIND_IDS,
        (("root cause", "causes/"), ("severity", "severities/"), ("service", "services/"), ("tag", "tags/")),
    )


def explorer_link(url_of: UrlOf, text: str, **filters: str) -> ExplorerLink:
    return ExplorerLink(text, url_of(EXPLORER_SRC), urlencode(list(filters.items())))


# -- the metadata index ------------------------------------------------------------------------------------------


def incident_index(postmortems: Iterable[Postmortem], taxonomy: Taxonomy, today, url_of: UrlOf) -> str:
    """`search/incidents.json`: {version, facets, columns, incidents}.

    `facets` maps a facet to its values as [slug, title] pairs (taxonomy facets in taxonomy order, every value;
    services and tags alphabetically, the values in use); a row holds positions in those lists (-1: none;
    `contributing` indexes `cause`). Rows are newest first; `url` is site-relative. Compact on purpose: at
    5,000 postmortems the explorer loads this file instead of Pagefind's filter index.
    """
    rows = newest_first(p for p in postmortems if is_indexed(p))
    facets: dict[str, list[list[str]]] = {
        "severity": [[e.slug, e.title] for e in taxonomy.section("severities")],
        "cause": [[e.slug, e.title] for e in taxonomy.section("causes")],
        "service": [[s, s] for s in sorted({s for p in rows for s in p.services})],
        "tag": [[t, t] for t in sorted({t for p in rows for t in p.tags})],
        "status": [[s, STATUS_TITLES[s]] for s in ("published", "in-review")],
        "trigger": [[e.slug, e.title] for e in taxonomy.section("triggers")],
        "detection": [[e.slug, e.title] for e in taxonomy.section("detection")],
    }
    position = {name: {slug: i for i, (slug, _) in enumerate(values)} for name, values in facets.items()}

    def at(name: str, slug: str | None) -> int:
        return -1 if slug is None else position[name].get(slug, -1)

    incidents = []
    for p in rows:
        open_items = p.open_action_items
        incidents.append(
            [
                url_of(p.src_uri),
                p.title,
                p.date.isoformat(),
                at("severity", p.severity),
                at("cause", p.cause),
                [at("cause", c) for c in p.contributing],
                [at("service", s) for s in p.services],
                [at("tag", t) for t in p.tags],
                at("status", p.status),
                at("trigger", p.trigger),
                at("detection", p.detection),
                len(open_items),
                sum(item.is_overdue(today) for item in open_items),
            ]
        )
    document = {"version": INDEX_VERSION, "facets": facets, "columns": list(COLUMNS), "incidents": incidents}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def index_urls(postmortems: Iterable[Postmortem], url_of: UrlOf) -> list[str]:
    """The URLs of the metadata index's rows, in its order (to line Pagefind's page ids up with them)."""
    return [url_of(p.src_uri) for p in newest_first(p for p in postmortems if is_indexed(p))]


def pagefind_ids(row_urls: Sequence[str], ids_by_url: dict[str, str]) -> str:
    """`search/pagefind-ids.json`: Pagefind's page id of each row of the metadata index (null if it has none)."""
    return json.dumps([ids_by_url.get(pagefind_url(url)) for url in row_urls], separators=(",", ":"))


def pagefind_url(url: str) -> str:
    """The URL a page is indexed under: site-relative with a leading '/', which Pagefind's baseUrl prefixes."""
    return "/" + url.lstrip("/")


# -- what Pagefind reads ---------------------------------------------------------------------------------------


def postmortem_document(p: Postmortem, taxonomy: Taxonomy, today, body_html: str) -> str:
    """The document Pagefind indexes for a postmortem: what its page shows, without the site's chrome.

    `body_html` is the rendered Markdown body (trusted HTML, as on the page); every front-matter value is escaped.
    The card's words are indexed too, so `deployment` finds an incident whose cause is Deployment and `sev2` one
    of severity SEV2; the filters, sort keys and meta are attributes with inline values (slugs and dates: no
    comma or colon needs escaping), except title and cause, which Pagefind reads from the elements' text.
    """

    def title_of(section: str, slug: str | None) -> str:
        entry = taxonomy.entry(section, slug) if slug else None
        return entry.title if entry else (slug or "")

    severity = title_of("severities", p.severity)
    filters = [
        ("cause", p.cause),
        *(("contributing", c) for c in p.contributing),
        ("severity", p.severity),
        *(("service", s) for s in p.services),
        *(("tag", t) for t in p.tags),
        ("year", str(p.date.year)),
        ("status", p.status),
        *((name, value) for name, value in (("trigger", p.trigger), ("detection", p.detection)) if value),
    ]
    marks = "".join(f'<span data-pagefind-filter="{escape(name)}:{escape(value)}"></span>' for name, value in filters)
    rank = taxonomy.severity_rank(p.severity)
    facts = [
        escape(f"Severity {p.severity} ({severity}). Status {STATUS_TITLES.get(p.status, p.status)}."),
        f'Cause <span data-pagefind-meta="cause">{escape(title_of("causes", p.cause))}</span>.',
    ]
    if p.contributing:
        facts.append(escape("Contributing " + ", ".join(title_of("causes", c) for c in p.contributing) + "."))
    facts.append(escape("Services " + ", ".join(p.services) + "."))
    if p.tags:
        facts.append(escape("Tags " + ", ".join(p.tags) + "."))
    if p.trigger:
        facts.append(escape(f"Trigger {title_of('triggers', p.trigger)}."))
    if p.detection:
        facts.append(escape(f"Detection {title_of('detection', p.detection)}."))
    items = []
    for item in p.action_items:
        state = "overdue" if item.is_overdue(today) else item.status.replace("-", " ")
        items.append(f"<li>{escape(item.title)} ({escape(item.owner)}, {escape(state)})</li>")
    actions = f"<h2>Action items</h2><ul>{''.join(items)}</ul>" if items else ""
    return (
        '<html lang="en"><head><meta charset="utf-8"></head><body><main data-pagefind-body>'
        f'<h1 data-pagefind-meta="title">{escape(p.title)}</h1>'
        f'<span data-pagefind-meta="date:{p.date.isoformat()}" data-pagefind-sort="date:{p.date.isoformat()}"></span>'
        f'<span data-pagefind-meta="severity:{escape(p.severity)}" data-pagefind-sort="severity:{rank}"></span>'
        f"{marks}"
        f"<p>{escape(p.impact.summary)}</p>"
        f"<p>{' '.join(facts)}</p>"
        f"{body_html}{actions}"
        "</main></body></html>"
    )


def page_document(title: str, body_html: str) -> str:
    """The document Pagefind indexes for an author's ordinary page (a runbook): title and body."""
    return (
        '<html lang="en"><head><meta charset="utf-8"></head><body><main data-pagefind-body>'
        f'<h1 data-pagefind-meta="title">{escape(title)}</h1>{body_html}</main></body></html>'
    )
