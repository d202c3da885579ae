"""Only true matches, in the explorer and the header box: a result holds every query word, the last as a prefix.

Pagefind alone falls back, for a word no indexed word starts with, to the longest indexed word the query word
starts with (`azzz` finds every page holding the word "a"), and drops such a word from a query of several. The
knowledge base here has a one-letter "a" on most pages and a "b" only in bold text.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from .conftest import build_kb


def _add(kb, pid: str, body: str, **fields) -> None:
    day = pid[:10]
    timeline = {
        "started": f"{day}T09:00:00+00:00",
        "detected": f"{day}T09:10:00+00:00",
        "resolved": f"{day}T11:00:00+00:00",
    }
    kb.add(pid, body=f"## Summary\n\n{body}\n", **{"date": day, "timeline": timeline, **fields})


def fill(kb) -> None:
    _add(
        kb,
        "2024-05-02-cache-stampede",
        "A thundering herd emptied a cache.",
        title="Cache stampede",
        services=["cache"],
        cause="hardware",
        impact={"summary": "Checkout failed for a fifth of users.", "customer_facing": True},
    )
    _add(
        kb, "2023-11-20-dns-expiry", "A certificate expired at midnight.", title="Certificate expiry", services=["dns"]
    )
    _add(kb, "2022-03-01-kernel-panic", "A kernel panic followed the rollout.", title="Kernel panic", services=["web"])
    _add(
        kb,
        "2021-06-10-bold",
        "The <b>b</b> flag was wrong in the interface list.",
        title="Wrong flag",
        services=["web"],
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory, serve) -> str:
    return serve(build_kb(tmp_path_factory.mktemp("matches") / "kb", fill))


def shown(page) -> set[str]:
    page.wait_for_function("document.querySelector('#pmkb-explorer')?.getAttribute('aria-busy') === 'false'")
    hrefs = page.eval_on_selector_all(".pmkb-result__title", "links => links.map(a => a.href)")
    return {urlsplit(href).path.rstrip("/").rsplit("/", 1)[-1] for href in hrefs}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("azzz", set()),  # Pagefind alone: every page with the word "a"
        ("bzzz", set()),  # Pagefind alone: the page whose only "b" is bold
        ("kernel zzzz", set()),  # Pagefind alone: the kernel page, the unknown word dropped
        ("zzzz kernel", set()),
        ("kernel", {"2022-03-01-kernel-panic"}),
        ("kernel pan", {"2022-03-01-kernel-panic"}),  # the last word as a prefix
        ("inter", {"2021-06-10-bold"}),
        ("certificate midnight", {"2023-11-20-dns-expiry"}),
        ("certificate kernel", set()),
    ],
)
def test_the_explorer_lists_only_pages_holding_every_word(page, site, query, expected):
    page.goto(f"{site}search/?q={query.replace(' ', '+')}")
    assert shown(page) == expected
    if not expected:
        assert page.inner_text(".pmkb-explorer__summary") == f"Nothing found for \u201c{query}\u201d."


@pytest.mark.parametrize("query", ["azzz", "kernel zzzz"])
def test_the_header_box_says_nothing_found_rather_than_a_wrong_match(page, site, query):
    page.goto(site)
    page.focus(".pmkb-hsearch__input")
    page.keyboard.type(query)
    page.wait_for_selector(f".pmkb-hsearch__status:has-text('Nothing found for \u201c{query}\u201d')")
    assert page.locator(".pmkb-hsearch__result:not(#pmkb-hsearch-result-all)").count() == 0


def test_the_header_box_shows_a_page_with_every_word(page, site):
    page.goto(site)
    page.focus(".pmkb-hsearch__input")
    page.keyboard.type("kernel pan")
    page.wait_for_selector(".pmkb-hsearch__status:has-text('1 result')")
    assert page.inner_text(".pmkb-hsearch__title") == "Kernel panic"


def test_a_match_in_the_header_card_alone_shows_the_summary_not_the_card(page, site):
    """`hardware` is only the cause's title (the card): the excerpt is the title, the impact summary and the body's
    start, not the card's words (severity, status, services) that Pagefind used to excerpt."""
    page.goto(f"{site}search/?q=hardware")
    assert shown(page) == {"2024-05-02-cache-stampede"}
    excerpt = page.inner_text(".pmkb-result .pmkb-excerpt")
    assert "Checkout failed for a fifth of users." in excerpt
    assert "Severity" not in excerpt and "Services" not in excerpt
    page.goto(site)
    page.focus(".pmkb-hsearch__input")
    page.keyboard.type("hardware")
    page.wait_for_selector(".pmkb-hsearch__status:has-text('1 result')")
    assert "Checkout failed for a fifth of users." in page.inner_text(".pmkb-hsearch__result .pmkb-excerpt")
