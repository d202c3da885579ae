"""The explorer's search files (search/incidents.json, search/rows/K.json, search/pagefind-ids.json), read back the
way pmkb-explorer.js reads them, on the site layer's fixture catalog (no MkDocs build)."""

from __future__ import annotations

import json
from functools import partial

import pytest
from pmkb.site.explorer import (
    ALPHABET,
    EXPLORER_FACETS,
    ROW_CHUNK,
    encode,
    incident_index,
    indexed_rows,
    pagefind_ids,
    row_chunks,
)
from pmkb.site.facets import FACETS
from pmkb.site.views import page_url
from test_site_layer import DNS, DRAFT, QUOTA, ROUTER, STAMPEDE, TODAY, catalog  # noqa: F401  (a fixture)

url_of = partial(page_url, directory_urls=True)


def decode(column: dict) -> list[int]:
    """As decodeInts in pmkb-explorer.js."""
    width, codes = column["width"], column["codes"]
    out = []
    for at in range(0, len(codes), width):
        value = 0
        for digit in codes[at : at + width]:
            value = value * len(ALPHABET) + ALPHABET.index(digit)
        out.append(value)
    return out


def values_of(document: dict, name: str, facet: str) -> list:
    """Each row's slug (single-valued columns) or slugs (list columns) of facet `facet`, as the explorer sees them."""
    column = document["columns"][name]
    table = [slug for slug, _ in document["facets"][facet]]
    codes = decode(column)
    if "lengths" not in column:
        return [table[code - 1] if code else None for code in codes]
    out, at = [], 0
    for length in decode(column["lengths"]):
        out.append([table[code - 1] for code in codes[at : at + length]])
        at += length
    return out


@pytest.mark.parametrize("values", [[0, 1, 2, 90], [91, 0, 8280], [8281, 5], []])
def test_columns_round_trip_at_every_width(values):
    column = encode(values)
    assert decode(column.as_json()) == values
    assert '"' not in column.codes and "\\" not in column.codes


def test_metadata_index_holds_every_facet_of_every_listed_postmortem_newest_first(catalog):  # noqa: F811
    listed = list(catalog.listed(False))
    document = json.loads(incident_index(listed, catalog.taxonomy, TODAY, url_of))
    assert document["rows"] == 4 and DRAFT not in [p.id for p in indexed_rows(listed)]
    assert [p.id for p in indexed_rows(listed)] == [ROUTER, STAMPEDE, DNS, QUOTA]
    assert values_of(document, "severity", "severity") == ["SEV3", "SEV2", "SEV1", "SEV2"]
    assert values_of(document, "cause", "cause") == ["network", "capacity", "capacity", "capacity"]
    assert values_of(document, "contributing", "cause")[0] == ["capacity"]
    assert values_of(document, "service", "service") == [["checkout"], ["cache", "checkout"], ["checkout"], ["cache"]]
    assert values_of(document, "tag", "tag") == [["bgp"], ["redis", "thundering-herd"], ["redis"], []]
    assert values_of(document, "year", "year") == ["2024", "2024", "2023", "2022"]
    assert values_of(document, "status", "status") == ["published"] * 4
    assert values_of(document, "trigger", "trigger")[3] is None  # QUOTA has none
    # Open action items, and those of them past due on the catalog's today (2026-11-21).
    assert decode(document["columns"]["open"]) == [1, 2, 1, 0]
    assert decode(document["columns"]["overdue"]) == [1, 1, 0, 0]
    # Titles and URLs are not in it: they are in the row chunks.
    assert "cache-stampede" not in json.dumps(document)


def test_row_chunks_hold_url_title_and_date_in_index_order(catalog):  # noqa: F811
    listed = list(catalog.listed(False))
    written = row_chunks(listed, url_of)
    assert list(written) == ["search/rows/0.json"]
    chunks = [json.loads(chunk) for chunk in written.values()]
    assert len(chunks[0]) <= ROW_CHUNK
    assert [row[0] for row in chunks[0]] == [url_of(p.src_uri) for p in indexed_rows(listed)]
    assert chunks[0][1][1] == 'Cache <stampede> & "retries" take down checkout — café'  # text, as written
    assert chunks[0][2][2] == "2023-11-20"


def test_pagefind_ids_are_one_string_of_words_after_their_common_prefix():
    urls = ["2024/a/", "2023/b/", "2022/c/", "2021/d/"]
    ids = {"/2024/a/": "en_1234567", "/2022/c/": "en_89abcde", "/2021/d/": "en_89abcde0"}  # a collision's 8 digits
    written = json.loads(pagefind_ids(urls, ids))
    words = written["ids"].split(" ")
    assert [written["prefix"] + word if word else None for word in words] == [
        "en_1234567",
        None,
        "en_89abcde",
        "en_89abcde0",
    ]
    # One id alone keeps a character after the prefix: an empty word is never a present id.
    alone = json.loads(pagefind_ids(urls[:1], {"/2024/a/": "en_1234567"}))
    assert alone["ids"] and alone["prefix"] + alone["ids"] == "en_1234567"
    # Ids with a space stay a list.
    assert json.loads(pagefind_ids(urls[:2], {"/2024/a/": "x 1", "/2023/b/": "y"})) == ["x 1", "y"]


def test_the_index_describes_every_facet_so_the_browser_needs_no_list_of_its_own(catalog):  # noqa: F811
    listed = list(catalog.listed(False))
    document = json.loads(incident_index(listed, catalog.taxonomy, TODAY, url_of))
    assert [f["name"] for f in document["filters"]] == [f.name for f in EXPLORER_FACETS]
    for described in document["filters"]:
        assert described["values"] in document["facets"]
        if described["kind"] == "count":
            assert all(slug in document["columns"] for slug, _ in document["facets"][described["values"]])
        else:
            assert described["name"] in document["columns"]
    assert [f["name"] for f in document["filters"] if f["sort"]] == ["severity"]
    # A static facet page's "Search within these incidents" link names the facet by its singular: one of these.
    assert {facet.singular for facet in FACETS} <= {f.name for f in EXPLORER_FACETS}
