"""The query language's shared cases (tests/query_cases.json) against `pmkb search`'s parser (search/query.py).

tests/js/query.test.mjs holds the browser's parser to the same table, so the terminal and the browser read a
query alike: which words a result must contain, which fields filter, which are only searched as text, and which
terms are left out. A parsed query's tree is read the way the browser reads a query: no OR, no groups.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pmkb.core.taxonomy import default_taxonomy
from pmkb.search.query import BoolNode, EveryNode, KeywordNode, RangeNode, TextNode, parse_query
from pmkb.site.explorer import EXPLORER_FACETS

TABLE = json.loads((Path(__file__).parent / "query_cases.json").read_text(encoding="utf-8"))
TAXONOMY = default_taxonomy()


def _bound(value: object) -> str:
    return "" if value is None else str(value)


def as_the_browser_reads(tree) -> dict[str, list]:
    out: dict[str, list] = {"words": [], "filters": [], "other": [], "excluded": []}
    severities = [slug.lower() for slug in TAXONOMY.slugs("severities")]

    def walk(node, negated: bool) -> None:
        if isinstance(node, BoolNode):
            for child in node.children:
                walk(child, negated or node.op == "not")
            return
        if isinstance(node, EveryNode):
            term = "*"
        elif isinstance(node, TextNode):
            term = f'"{node.text}"' if node.phrase else node.text + ("*" if node.prefix else "")
        elif isinstance(node, KeywordNode):
            term = f"{node.field}:{node.value}" + ("*" if node.prefix else "")
        else:
            assert isinstance(node, RangeNode) and node.field in ("year", "severity_rank"), node
            if node.field == "year":
                value = str(node.low) if node.low == node.high else f"{_bound(node.low)}..{_bound(node.high)}"
                term = f"year:{value}"
            else:
                low = "" if node.low is None else severities[node.low]  # type: ignore[index]
                high = "" if node.high is None else severities[node.high]  # type: ignore[index]
                term = f"severity:{low}..{high}"
        if negated:
            out["excluded"].append(term)
        elif isinstance(node, (TextNode, EveryNode)):
            out["words"].append(term)
        elif term.split(":", 1)[0] in TABLE["filter_fields"]:
            out["filters"].append(term.split(":", 1))
        else:
            out["other"].append(term)

    walk(tree, False)
    return out


def test_the_table_names_the_explorer_facets_a_query_may_name():
    assert TABLE["filter_fields"] == [f.name for f in EXPLORER_FACETS if f.in_query]


@pytest.mark.parametrize("case", TABLE["cases"], ids=[case["query"] for case in TABLE["cases"]])
def test_pmkb_search_reads_each_query_as_the_table_says(case):
    parsed = parse_query(case["query"], TAXONOMY)
    expected = {
        "words": case["words"],
        "filters": case["filters"],
        "other": case.get("other", []),
        "excluded": case.get("excluded", []),
    }
    assert as_the_browser_reads(parsed.tree) == expected
