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


SEVERITIES = [
    {"slug": f"P{rank}", "title": title, "description": f"{title} incidents."}
    for rank, title in enumerate(["Page", "Urgent", "Soon", "Whenever"])
]


def fill_custom(kb) -> None:
    for pid, severity, word in (("2024-05-02-one", "P0", "alpha"), ("2023-11-20-two", "P1", "bravo")):
        _add(kb, pid, f"The {word} rollout.", title=f"Incident {word}", severity=severity, tags=[])


@pytest.fixture(scope="module")
def custom(tmp_path_factory, serve) -> str:
    options = {"taxonomy": {"severities": SEVERITIES}}
    return serve(build_kb(tmp_path_factory.mktemp("custom") / "kb", fill_custom, plugin_options=options))


GREY = {"rgb(69, 90, 100)", "rgb(84, 110, 122)"}  # the neutral chip's colours (pmkb-search.css, pmkb.css)


def test_custom_severities_give_the_hint_and_the_chips_their_colours_by_rank(page, custom):
    """Severities P0..P3: the hint names them, and chips are coloured by rank in the explorer's results and
    sidebar and in the header box, as on the static pages (P0 like the built-in SEV1, P1 like SEV2)."""
    page.goto(f"{custom}search/")
    shown(page)
    assert "severity:P0..P1" in page.inner_text(".pmkb-explorer__hint")
    assert "SEV" not in page.inner_text(".pmkb-explorer__hint") + page.get_attribute(".pmkb-explorer__q", "placeholder")
    chip = "el => [el.className, getComputedStyle(el).backgroundColor]"
    results = page.eval_on_selector_all(".pmkb-result .pmkb-sev", f"els => els.map({chip})")
    assert [name for name, _ in results] == ["pmkb-sev pmkb-sev--1", "pmkb-sev pmkb-sev--2"]
    assert not {color for _, color in results} & GREY and len({color for _, color in results}) == 2
    sidebar = page.eval_on_selector_all(".pmkb-facet--severity .pmkb-sev", f"els => els.map({chip})")
    assert [name for name, _ in sidebar][:2] == ["pmkb-sev pmkb-sev--1", "pmkb-sev pmkb-sev--2"]
    page.focus(".pmkb-hsearch__input")
    page.keyboard.type("bravo")
    page.wait_for_selector(".pmkb-hsearch__result .pmkb-sev")
    name, color = page.eval_on_selector(".pmkb-hsearch__result .pmkb-sev", chip)
    assert name == "pmkb-sev pmkb-sev--2" and color == results[1][1]


def test_a_small_knowledge_base_folds_unused_values_and_hides_empty_facets(page, custom):
    page.goto(f"{custom}search/")
    shown(page)
    titles = page.eval_on_selector_all(".pmkb-facet__title", "els => els.map(el => el.textContent)")
    assert "Tag" not in titles  # no incident has a tag
    causes = page.locator(".pmkb-facet--cause .pmkb-facet__value")
    empty = page.locator(".pmkb-facet--cause .pmkb-facet__value--empty")
    assert causes.count() - empty.count() == 1 and empty.count() == 3  # capacity, then three unused
    page.click(".pmkb-facet--cause .pmkb-facet__more")
    assert page.locator(".pmkb-facet--cause .pmkb-facet__value").count() == 14  # every built-in cause
