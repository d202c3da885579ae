"""The incident explorer (/search/) and what browser search knows of each page.

Three things, decided here and nowhere else (no MkDocs, no Pagefind):

- which pages Pagefind indexes, and the document it reads for each: a postmortem that is not a draft, as its
  title, header card, body and action items, with a Pagefind filter per query facet (`EXPLORER_FACETS`), sort
  keys (date, severity) and meta (title, date, severity, cause); an
  author's ordinary page (a runbook) as its title and body; never a draft, never a generated listing page;
- the explorer's facets (`EXPLORER_FACETS`): what the sidebar, the URL, the query's fields and a result row show,
  described to the browser in the metadata index;
- the metadata index the explorer filters with (`search/incidents.json`): per facet a value list and one small
  code per indexed postmortem, so that filtering and counting without text need no Pagefind and no big file;
  titles, URLs and dates in chunks of rows (`search/rows/K.json`), fetched only for the rows shown;
- the explorer page's view, and the "Search within these incidents" links of facet value pages.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from html import escape
from typing import Any, cast
from urllib.parse import urlencode

from pmkb.core.catalog import newest_first
from pmkb.core.fields import MODELLED, POSTMORTEM, Field, Kind, shown_values
from pmkb.core.model import Postmortem
from pmkb.core.taxonomy import Taxonomy

EXPLORER_SRC = "search/index.md"
EXPLORER_TITLE = "Search incidents"
INCIDENT_INDEX = "search/incidents.json"  # written with the pages (a generated file)
FACET_INDEX = "search/filters.json"  # the facets alone, for the header box on every page
PAGEFIND_IDS = "search/pagefind-ids.json"  # written after Pagefind's index: row i of the index is page ids[i]
PAGEFIND_FOLDER = "pagefind"
# The indexes the browser merges into pagefind/ (a site too big for one: the `search_index_pages` option).
PAGEFIND_PARTS = "search/pagefind-parts.json"
INDEX_VERSION = 3

# The metadata index's columns (`columns` in search/incidents.json) are its facets' (EXPLORER_FACETS): a facet
# column holds positions in the facet's value list (`contributing` in the `cause` list); a count facet's columns,
# one per value, hold counts.
ROW_CHUNK = 100  # rows per search/rows/K.json (16 KB at 5,000): the newest 50 matches are in one or a few of them
ROWS_FOLDER = "search/rows"
# Codes are written in base 91 over printable ASCII without '"' and '\\', so a column is one plain JSON string
# (one character per row for every facet of fewer than 90 values) that the browser reads without parsing numbers.
ALPHABET = "".join(chr(c) for c in range(35, 127) if chr(c) != "\\")
STATUS_TITLES = {"published": "published", "in-review": "in review", "draft": "draft"}

UrlOf = Callable[[str], str]  # src_uri -> site-relative URL


# -- the explorer's facets ---------------------------------------------------------------------------------------

# What a facet's values are (how `facets` in search/incidents.json lists them):
ValueList = Callable[[Sequence[Postmortem], Taxonomy], list[tuple[str, str]]]
# A row's value for a facet: a slug or None (single), a tuple of slugs (many), a tuple of counts (kind "count").
ReadRow = Callable[[Postmortem, date], object]


def taxonomy_values(section: str) -> ValueList:
    """Every value of a taxonomy section, in its order (for severities, most severe first)."""
    return lambda rows, taxonomy: [(e.slug, e.title) for e in taxonomy.section(section)]


def used_values(read: ReadRow) -> ValueList:
    """The values some row has, alphabetically (free words: services, tags)."""

    def values(rows: Sequence[Postmortem], taxonomy: Taxonomy) -> list[tuple[str, str]]:
        # A row's words do not depend on the day (only action items' counts do).
        used = {value for p in rows for value in _as_tuple(read(p, date.min))}
        return [(value, value) for value in sorted(used)]

    return values


def fixed_values(*values: tuple[str, str]) -> ValueList:
    return lambda rows, taxonomy: list(values)


def _years(rows: Sequence[Postmortem], taxonomy: Taxonomy) -> list[tuple[str, str]]:
    return [(y, y) for y in sorted({str(p.date.year) for p in rows}, reverse=True)]


def _as_tuple(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (str(value),)


@dataclass(frozen=True, slots=True)
class ExplorerFacet:
    """One filter of the explorer: its URL parameter, sidebar group, metadata column and query field at once.

    The browser knows a facet only from this description (`filters` in search/incidents.json), so a facet added
    here needs no change to the scripts. `kind` says how a value is matched: "values" (a row has the value),
    "years" (a year, range `2019..2021` or bound `>=2020`, against a year value) or "count" (a row passes value v
    when its count column v is above 0: the action items' "open" and "overdue").
    """

    name: str  # URL parameter, `name:` in a query, Pagefind filter, metadata column
    title: str
    read: ReadRow
    values_from: ValueList
    values: str = ""  # the value list the column's codes point into, when shared (contributing: "cause")
    many: bool = False  # a row has several values (a list column)
    free: bool = False  # values are words any postmortem may add: an unknown one matches nothing, not an error
    kind: str = "values"  # values | years | count
    ranked: bool = False  # values in rank order, first the highest (severity): the chips' colours
    sort_title: str = ""  # offer sorting by the rank under this title
    in_query: bool = True  # `name:value` in a query becomes this filter (and a Pagefind filter on the page)
    result: str = ""  # how a result row shows it: chip | text | list | badge | count, or "" (not at all)

    @property
    def value_list(self) -> str:
        return self.values or self.name

    def description(self) -> dict[str, object]:
        """What the browser reads (`filters` in search/incidents.json): everything but how the build reads rows."""
        return {
            "name": self.name,
            "title": self.title,
            "values": self.value_list,
            "many": self.many,
            "free": self.free,
            "kind": self.kind,
            "ranked": self.ranked,
            "sort": self.sort_title,
            "query": self.in_query,
            "result": self.result,
        }


def _open_and_overdue(p: Postmortem, today: date) -> tuple[int, int]:
    open_items = p.open_action_items
    return len(open_items), sum(item.is_overdue(today) for item in open_items)


def _read(attribute: str) -> ReadRow:
    return lambda p, today: getattr(p, attribute)


def field_facet(spec: Field, **presentation: Any) -> ExplorerFacet:
    """The explorer facet of a declared field: named as `pmkb search` names it (`service` for `services`), its
    values those of its taxonomy section, else its declared choices in their order, else the words in use; one
    value per incident, or many for a list. `presentation` sets the rest (title, ranks, how a result shows it)."""
    item = spec.item if spec.kind is Kind.LIST and spec.item is not None else spec
    choices = ("yes", "no") if spec.kind is Kind.BOOL else item.choices
    read = _read(spec.name) if spec.name in MODELLED else _read_value(spec)
    if item.taxonomy:
        values = taxonomy_values(item.taxonomy)
    elif choices:
        values = fixed_values(*((choice, choice) for choice in choices))
    else:
        values = used_values(read)
    name = spec.query or spec.name
    facet = ExplorerFacet(name, spec.title or name.capitalize(), read, values, many=spec.kind is Kind.LIST)
    return replace(facet, free=not item.taxonomy and not choices, **presentation)


def _read_value(spec: Field) -> ReadRow:
    """A value field's value as the card shows it: its words (a list's), or its one word."""

    def read(p: Postmortem, today: date) -> object:
        value = p.value_of(spec.name)
        if value is None:
            return None
        shown = shown_values(value)  # type: ignore[arg-type]  # a validated value
        return shown if spec.kind is Kind.LIST else shown[0]

    return read


_DECLARED = {spec.query: spec for spec in POSTMORTEM.fields if spec.query}  # by `pmkb search` name

# The explorer's facets, in the order the sidebar shows them, a result row lists them and a URL writes them. A
# repeated URL parameter is OR within its facet; different parameters are AND. The fields' own facets take
# their values from the declarations; the year and the action items are facets of no field.
EXPLORER_FACETS: tuple[ExplorerFacet, ...] = (
    field_facet(_DECLARED["severity"], title="Severity", ranked=True, sort_title="Most severe first", result="chip"),
    field_facet(_DECLARED["cause"], title="Primary cause", result="text"),
    field_facet(_DECLARED["contributing"], title="Contributing cause", values="cause"),
    field_facet(_DECLARED["service"], title="Service", result="list"),
    field_facet(_DECLARED["tag"], title="Tag"),
    ExplorerFacet("year", "Year", lambda p, today: str(p.date.year), _years, kind="years"),
    field_facet(
        _DECLARED["status"],
        title="Status",
        values_from=fixed_values(*((s, STATUS_TITLES[s]) for s in ("published", "in-review"))),
        result="badge",
    ),
    ExplorerFacet(
        "actions",
        "Action items",
        _open_and_overdue,
        fixed_values(("open", "Has open action items"), ("overdue", "Has overdue action items")),
        kind="count",
        in_query=False,
        result="count",
    ),
    field_facet(_DECLARED["trigger"], title="Trigger"),
    field_facet(_DECLARED["detection"], title="Detection"),
)

BUILT_IN_FACETS = frozenset(f.name for f in EXPLORER_FACETS)


def explorer_facets(taxonomy: Taxonomy) -> tuple[ExplorerFacet, ...]:
    """The explorer's facets under `taxonomy`: the built-in ones, then each value field declared with `facet`."""
    return EXPLORER_FACETS + tuple(field_facet(spec) for spec in taxonomy.value_fields if spec.facet)


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
    rows_url: str  # the folder of the row chunks, site-relative with a trailing '/'
    browse: tuple[tuple[str, str], ...]  # (text, site-relative URL): the static pages shown without JavaScript
    fields: tuple[str, ...]  # the query fields that become filters, as the hint shows them (`severity:SEV1..SEV2`)
    example: str  # a query with fields, for the box's placeholder


def is_indexed(postmortem: Postmortem) -> bool:
    """Pagefind and the metadata index hold every postmortem the site lists, drafts never (even when built)."""
    return not postmortem.is_draft


def explorer_view(taxonomy: Taxonomy) -> ExplorerView:
    """The explorer's page; its hint and example name the facets and the values of the taxonomy in force."""
    return ExplorerView(
        EXPLORER_TITLE,
        INCIDENT_INDEX,
        PAGEFIND_IDS,
        ROWS_FOLDER + "/",
        (("root cause", "causes/"), ("severity", "severities/"), ("service", "services/"), ("tag", "tags/")),
        tuple(_hint(f, taxonomy) for f in explorer_facets(taxonomy) if f.in_query),
        _example(taxonomy),
    )


def _hint(f: ExplorerFacet, taxonomy: Taxonomy) -> str:
    """A facet's query field as the hint shows it: a range where its values have an order."""
    if f.kind == "years":
        return f"{f.name}:2019..2021"
    slugs = [slug for slug, _ in f.values_from((), taxonomy)] if f.ranked else []
    return f"{f.name}:{slugs[0]}..{slugs[1]}" if len(slugs) > 1 else f"{f.name}:"


def _example(taxonomy: Taxonomy) -> str:
    causes = taxonomy.slugs("causes")
    cause = "deployment" if "deployment" in causes else causes[0] if causes else ""
    severities = taxonomy.slugs("severities")
    terms = [f"cause:{cause}" if cause else "", f"severity:{severities[0]}" if severities else "", "kernel"]
    return " ".join(term for term in terms if term)


def explorer_link(url_of: UrlOf, text: str, **filters: str) -> ExplorerLink:
    return ExplorerLink(text, url_of(EXPLORER_SRC), urlencode(list(filters.items())))


# -- the metadata index ------------------------------------------------------------------------------------------


def indexed_rows(postmortems: Iterable[Postmortem]) -> list[Postmortem]:
    """The metadata index's rows, in its order: newest first, drafts never. Row i of every search/ file is this i."""
    return newest_first(p for p in postmortems if is_indexed(p))


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the metadata index: row i's value is codes[i*width:(i+1)*width], in base 91 (ALPHABET)."""

    width: int
    codes: str

    def as_json(self) -> dict[str, object]:
        return {"width": self.width, "codes": self.codes}


def encode(values: Sequence[int]) -> Column:
    """Non-negative ints as a fixed-width base-91 string (width 1 below 91)."""
    width = 1
    while len(ALPHABET) ** width <= max(values, default=0):
        width += 1
    digits = []
    for value in values:
        for power in range(width - 1, -1, -1):
            digits.append(ALPHABET[value // len(ALPHABET) ** power % len(ALPHABET)])
    return Column(width, "".join(digits))


def incident_index(postmortems: Iterable[Postmortem], taxonomy: Taxonomy, today, url_of: UrlOf) -> str:
    """`search/incidents.json`: {version, rows, chunk, filters, facets, columns}: what filtering, counting and
    sorting need.

    `filters` describes the facets (`ExplorerFacet.description`, in EXPLORER_FACETS' order): the browser knows no
    other list. `facets` maps a value list to its values as [slug, title] pairs (taxonomy facets in taxonomy
    order, every value; services and tags alphabetically, the values in use; years newest first). `columns` maps
    a column to {width, codes} (`Column`): a facet column holds 1 + the value's position (0: none); a list column
    (a facet with `many`) also has `lengths`, the number of values of each row, its codes those values one after
    another; a count facet has one column per value (`open`, `overdue`) holding counts. Rows are newest first,
    so "newest" is row order. Titles, URLs and dates are not here: they are in `search/rows/K.json`
    (`row_chunks`), fetched only for the rows on screen. At 5,000 postmortems this file is 97 KB, where one JSON
    row per incident was 876 KB.
    """
    rows = indexed_rows(postmortems)
    explorer = explorer_facets(taxonomy)
    facets = {
        f.name: [[slug, title] for slug, title in f.values_from(rows, taxonomy)]
        for f in explorer
        if f.value_list == f.name
    }
    position = {name: {slug: i for i, (slug, _) in enumerate(values)} for name, values in facets.items()}
    columns: dict[str, dict[str, object]] = {}
    for f in explorer:
        values = [f.read(p, today) for p in rows]
        if f.kind == "count":
            for number, (slug, _) in enumerate(facets[f.name]):
                columns[slug] = encode([cast(tuple[int, ...], counts)[number] for counts in values]).as_json()
            continue
        codes = [[position[f.value_list].get(slug, -1) + 1 for slug in _as_tuple(value)] for value in values]
        if f.many:
            columns[f.name] = {
                **encode([code for row in codes for code in row]).as_json(),
                "lengths": encode([len(row) for row in codes]).as_json(),
            }
        else:
            columns[f.name] = encode([row[0] if row else 0 for row in codes]).as_json()
    document = {
        "version": INDEX_VERSION,
        "rows": len(rows),
        "chunk": ROW_CHUNK,
        "filters": [f.description() for f in explorer],
        "facets": facets,
        "columns": columns,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def facet_index(postmortems: Iterable[Postmortem], taxonomy: Taxonomy) -> str:
    """`search/filters.json`: {filters, facets} as in the metadata index, the value lists only of the facets with
    fixed values (taxonomy sections, statuses): what the header box on every page needs to read a query's fields
    (`cause:deployment`) and colour a severity by its rank, in a few kilobytes."""
    rows = indexed_rows(postmortems)
    explorer = explorer_facets(taxonomy)
    facets = {
        f.name: [[slug, title] for slug, title in f.values_from(rows, taxonomy)]
        for f in explorer
        if f.value_list == f.name and not f.free and f.kind == "values"
    }
    document = {"filters": [f.description() for f in explorer], "facets": facets}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def row_chunks(postmortems: Iterable[Postmortem], url_of: UrlOf) -> dict[str, str]:
    """`search/rows/K.json` (name -> content), K = 0, 1, ...: rows K*ROW_CHUNK onwards of the metadata index as
    [url, title, date] (url site-relative), what a result shows beyond its facets."""
    rows = [[url_of(p.src_uri), p.title, p.date.isoformat()] for p in indexed_rows(postmortems)]
    return {
        name: json.dumps(rows[number * ROW_CHUNK : (number + 1) * ROW_CHUNK], ensure_ascii=False, separators=(",", ":"))
        for number, name in enumerate(row_chunk_names(len(rows)))
    }


def row_chunk_names(rows: int) -> list[str]:
    """The names of the row chunks of a metadata index of `rows` rows: known before the chunks are written."""
    return [f"{ROWS_FOLDER}/{number}.json" for number in range(-(-rows // ROW_CHUNK))]


def index_urls(postmortems: Iterable[Postmortem], url_of: UrlOf) -> list[str]:
    """The URLs of the metadata index's rows, in its order (to line Pagefind's page ids up with them)."""
    return [url_of(p.src_uri) for p in indexed_rows(postmortems)]


def pagefind_ids(row_urls: Sequence[str], ids_by_url: dict[str, str]) -> str:
    """`search/pagefind-ids.json`: Pagefind's page id of each row of the metadata index, as {prefix, ids}.

    Row i's id is prefix + the i-th space-separated word of `ids` (empty: Pagefind has no page for it). Pagefind's
    ids share a prefix (`en_`) and are 7 hex digits, 8 where two pages' hashes collide (one at 20,000), so this is
    40 KB at 5,000 rows and 160 KB at 20,000, where a JSON list was 63 KB and 260 KB. Ids holding a space
    (none that Pagefind makes) are written as a list (null: none), which the explorer reads too.
    """
    row_ids = [ids_by_url.get(pagefind_url(url)) for url in row_urls]
    present = [i for i in row_ids if i]
    if not present or any(" " in i for i in present):
        return json.dumps(row_ids, separators=(",", ":"))
    # Every present id keeps at least one character after the prefix, so an empty word always means "none".
    prefix = os.path.commonprefix(present)[: min(len(i) for i in present) - 1]
    ids = " ".join(i[len(prefix) :] if i else "" for i in row_ids)
    return json.dumps({"prefix": prefix, "ids": ids}, separators=(",", ":"))


def pagefind_parts(folders: Iterable[str]) -> str:
    """`search/pagefind-parts.json`: the folders (relative to the site's root, ending with '/') of the indexes that
    the browser merges into the first one, `pagefind/`; an empty list for a site with one index."""
    return json.dumps([folder.rstrip("/") + "/" for folder in folders])


def pagefind_url(url: str) -> str:
    """The URL a page is indexed under: site-relative with a leading '/', which Pagefind's baseUrl prefixes."""
    return "/" + url.lstrip("/")


# -- what Pagefind reads ---------------------------------------------------------------------------------------


def postmortem_document(p: Postmortem, taxonomy: Taxonomy, today, body_html: str) -> str:
    """The document Pagefind indexes for a postmortem: what its page shows, without the site's chrome.

    `body_html` is the rendered Markdown body (trusted HTML, as on the page); every front-matter value is escaped.
    The card's words are searched too, so `deployment` finds an incident whose cause is Deployment and `sev2` one
    of severity SEV2, but as a meta field (`facts`), left out of the page's text: Pagefind searches meta fields
    (1.5 and later) and takes excerpts from the text only, so a match in the card alone shows the title, the
    impact summary and the start of the body, not the card's words. The filters, sort keys and meta are
    attributes with inline values (slugs and dates: no comma or colon needs escaping), except title, cause and
    facts, which Pagefind reads from the elements' text.
    """

    def title_of(section: str, slug: str | None) -> str:
        entry = taxonomy.entry(section, slug) if slug else None
        return entry.title if entry else (slug or "")

    severity = title_of("severities", p.severity)
    filters = [
        (f.name, value)
        for f in explorer_facets(taxonomy)
        if f.in_query
        for value in _as_tuple(f.read(p, today))
        if value
    ]
    # A value field's values are any text, which the inline `name:value` form cannot always hold (a comma, a
    # colon): they are given as the element's text instead, which Pagefind also indexes as words.
    marks = "".join(
        f'<span data-pagefind-filter="{escape(name)}:{escape(value)}"></span>'
        if name in BUILT_IN_FACETS
        else f'<span data-pagefind-filter="{escape(name)}">{escape(value)}</span>'
        for name, value in filters
    )
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
    for spec in taxonomy.value_fields:  # as the header card shows them, so the header box finds `OPS-123` too
        value = p.value_of(spec.name)
        if spec.title and value is not None:
            facts.append(escape(f"{spec.title} {', '.join(shown_values(value))}."))  # type: ignore[arg-type]
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
        f"{body_html}{actions}"
        f'<p data-pagefind-ignore data-pagefind-meta="facts">{" ".join(facts)}</p>'
        "</main></body></html>"
    )


def page_document(title: str, body_html: str) -> str:
    """The document Pagefind indexes for an author's ordinary page (a runbook): title and body."""
    return (
        '<html lang="en"><head><meta charset="utf-8"></head><body><main data-pagefind-body>'
        f'<h1 data-pagefind-meta="title">{escape(title)}</h1>{body_html}</main></body></html>'
    )
