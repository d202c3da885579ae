"""The explorer's search files (search/incidents.json, search/rows/K.json, search/pagefind-ids.json) on the site
layer's fixture catalog (no MkDocs build); the metadata index read back by the explorer's own decoder, in Node."""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path

import pytest
from node import JS_TESTS, run_node
from pmkb.core.taxonomy import default_taxonomy
from pmkb.site.explorer import (
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


def decoded(document: str) -> dict:
    """What the explorer's own decoder (pmkb/metadata.js, run by Node) reads from a metadata index."""
    return json.loads(run_node(JS_TESTS / "decode_index.mjs", stdin=document))


@pytest.mark.parametrize("values", [[0, 1, 2, 90], [91, 0, 8280], [8281, 5], []])
def test_columns_round_trip_at_every_width(values):
    column = encode(values)
    document = {
        "rows": len(values),
        "chunk": ROW_CHUNK,
        "filters": [],
        "facets": {},
        "columns": {"n": column.as_json()},
    }
    assert json.loads(run_node(JS_TESTS / "decode_column.mjs", stdin=json.dumps(document))) == values
    assert '"' not in column.codes and "\\" not in column.codes


def test_metadata_index_holds_every_facet_of_every_listed_postmortem_newest_first(catalog):  # noqa: F811
    listed = list(catalog.listed(False))
    written = incident_index(listed, catalog.taxonomy, TODAY, url_of)
    document = decoded(written)
    assert document["rows"] == 4 and DRAFT not in [p.id for p in indexed_rows(listed)]
    assert [p.id for p in indexed_rows(listed)] == [ROUTER, STAMPEDE, DNS, QUOTA]
    facets = document["facets"]
    assert facets["severity"] == ["SEV3", "SEV2", "SEV1", "SEV2"]
    assert facets["cause"] == ["network", "capacity", "capacity", "capacity"]
    assert facets["contributing"][0] == ["capacity"]
    assert facets["service"] == [["checkout"], ["cache", "checkout"], ["checkout"], ["cache"]]
    assert facets["tag"] == [["bgp"], ["redis", "thundering-herd"], ["redis"], []]
    assert facets["year"] == ["2024", "2024", "2023", "2022"]
    assert facets["status"] == ["published"] * 4
    assert facets["trigger"][3] is None  # QUOTA has none
    # Open action items, and those of them past due on the catalog's today (2026-11-21).
    assert document["counts"] == {"open": [1, 2, 1, 0], "overdue": [1, 1, 0, 0]}
    document = json.loads(written)
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


def test_the_browser_modules_name_no_facet():
    """The scripts read the facets from the site's data: no facet's name is written in them (as a string, a
    property of the index or of a page's meta, or a class name), so a facet added to EXPLORER_FACETS needs no
    change there."""
    scripts = Path(__file__).parents[1] / "plugins/pmkb/mkdocs_plugin/templates/assets/javascripts/pmkb"
    assert len(list(scripts.glob("*.js"))) >= 8
    for script in sorted(scripts.glob("*.js")):
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", script.read_text(encoding="utf-8"), flags=re.S)
        for f in EXPLORER_FACETS:
            for value in (
                f.name,
                *(slug for slug, _ in (f.values_from((), default_taxonomy()) if f.kind == "count" else ())),
            ):
                name = re.escape(value)
                named = re.search(
                    rf"[\"'`]{name}[\"'`]|(?:meta|columns|facets|filters|facet)\.{name}\b|pmkb-result__{name}\b", code
                )
                assert named is None, f"{script.name} names the facet value {value!r}: {named.group(0)!r}"
