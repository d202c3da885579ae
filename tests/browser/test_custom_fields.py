"""A knowledge base's own facet field in the explorer: `/search/?region=eu-west-1` and `region:` in the query box
filter by it, from the column the build writes (the scripts know no field by name)."""

from __future__ import annotations

import pytest

from .conftest import build_kb
from .test_explorer import _add, explore

KERNEL = "2022-03-01-kernel-panic"
FIELDS = {
    "region": {"title": "Region", "type": "choice", "values": ["eu-west-1", "us-east-1", "ap-south-1"], "facet": True},
    "jira": {"title": "Ticket", "type": "text", "link": "https://jira.example.org/browse/{value}"},
    "labels": {"title": "<b>Labels</b>", "type": "list", "facet": True},
}
HOSTILE = '<img src=x onerror="window.__pwned = 1">'


def fill(kb) -> None:
    _add(kb, "2024-05-02-cache-stampede", "The cache emptied.", region="eu-west-1", jira="OPS-1")
    _add(kb, "2023-11-20-dns-expiry", "The certificate expired.", region="eu-west-1", cause="expiry")
    _add(kb, "2022-03-01-kernel-panic", "A kernel panic.", region="us-east-1", cause="software-bug")
    _add(kb, "2021-06-10-no-region", "No region given.", cause="software-bug", labels=[HOSTILE, "plain"])


@pytest.fixture(scope="module")
def site(tmp_path_factory, serve) -> str:
    return serve(build_kb(tmp_path_factory.mktemp("fields") / "kb", fill, plugin_options={"fields": FIELDS}))


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?region=eu-west-1", {"2024-05-02-cache-stampede", "2023-11-20-dns-expiry"}),
        ("?region=us-east-1", {KERNEL}),
        (
            "?region=eu-west-1&region=us-east-1",
            {"2024-05-02-cache-stampede", "2023-11-20-dns-expiry", "2022-03-01-kernel-panic"},
        ),
        ("?region=eu-west-1&cause=expiry", {"2023-11-20-dns-expiry"}),
        ("?region=ap-south-1", set()),
        ("?q=region%3Aus-east-1", {KERNEL}),
        ("?q=panic&region=us-east-1", {KERNEL}),  # words and the filter: Pagefind's filter of the page
        ("?q=panic&region=eu-west-1", set()),
        ("?q=certificate%20region%3Aeu-west-1", {"2023-11-20-dns-expiry"}),
    ],
)
def test_a_custom_facet_filters_the_explorer(page, site, query, expected):
    assert explore(page, site, query) == expected


def test_the_sidebar_offers_the_custom_facet_with_its_counts(page, site):
    explore(page, site)
    group = page.locator(".pmkb-facet--region")
    assert group.locator("legend").text_content() == "Region"
    values = group.locator(".pmkb-facet__value").all_inner_texts()
    assert [" ".join(value.split()) for value in values][:2] == ["eu-west-1 2", "us-east-1 1"]


def test_a_free_word_facet_and_its_title_are_shown_as_text_and_never_run(page, site):
    assert explore(page, site, "?labels=plain") == {"2021-06-10-no-region"}
    group = page.locator(".pmkb-facet--labels")
    assert group.locator("legend").text_content() == "<b>Labels</b>"
    assert HOSTILE in " ".join(group.locator(".pmkb-facet__value").all_text_contents())
    assert page.evaluate("window.__pwned") is None
    card = page.goto(f"{site}2021/2021-06-10-no-region/")
    assert card is not None and HOSTILE not in card.text() and "&lt;img src=x" in card.text()
    assert page.evaluate("window.__pwned") is None
