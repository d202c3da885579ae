"""The incident explorer (/search/) and the header search box, in a real browser.

One fixture knowledge base, built once; each test asserts the exact set of incidents shown.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import build_kb

HOSTILE_TITLE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> in a title'


def _timeline(day: str) -> dict:
    return {
        "started": f"{day}T09:00:00+00:00",
        "detected": f"{day}T09:10:00+00:00",
        "resolved": f"{day}T11:00:00+00:00",
    }


def _add(kb, pid: str, body: str, **fields) -> None:
    day = pid[:10]
    fields = {"date": day, "timeline": _timeline(day), **fields}
    kb.add(pid, body=f"## Summary\n\n{body}\n", **fields)


def fill(kb) -> None:
    _add(
        kb,
        "2024-05-02-cache-stampede",
        "A thundering herd emptied the redis cache.",
        title="Cache stampede",
        severity="SEV2",
        cause="capacity",
        contributing=["monitoring-gap"],
        services=["checkout", "cache"],
        tags=["redis"],
    )
    _add(
        kb,
        "2023-11-20-dns-expiry",
        "The certificate expired at midnight.",
        title="Certificate expiry",
        severity="SEV1",
        cause="expiry",
        contributing=[],
        services=["dns"],
        tags=["certificates"],
    )
    _add(
        kb,
        "2022-03-01-kernel-panic",
        "A kernel panic followed the rollout.",
        title="Kernel panic after rollout",
        severity="SEV3",
        cause="deployment",
        contributing=["expiry"],
        services=["checkout"],
        tags=["linux"],
    )
    _add(
        kb,
        "2021-06-10-network-partition",
        "The kernel routing table lost a route.",
        title="Network partition",
        severity="SEV1",
        cause="network",
        contributing=["deployment"],
        services=["dns", "edge"],
        tags=[],
        status="in-review",
    )
    _add(
        kb,
        "2024-01-15-hostile-title",
        "Nothing to see.",
        title=HOSTILE_TITLE,
        severity="SEV4",
        cause="software-bug",
        contributing=[],
        services=["web"],
        tags=[],
    )
    _add(
        kb,
        "2024-02-01-secret-draft",
        "A kernel secret nobody may read yet.",
        title="Secret draft",
        status="draft",
    )
    kb.write("runbooks/restart.md", "# Restarting the cache\n\nHow to restart the redis cache safely.\n")


SEV1_OR_SEV2 = {"2023-11-20-dns-expiry", "2021-06-10-network-partition", "2024-05-02-cache-stampede"}
ALL = {
    "2024-05-02-cache-stampede",
    "2023-11-20-dns-expiry",
    "2022-03-01-kernel-panic",
    "2021-06-10-network-partition",
    "2024-01-15-hostile-title",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory, serve, pagefind_binary) -> str:
    """The fixture knowledge base, built (and every test using it run) once per Pagefind binary."""
    root = tmp_path_factory.mktemp("explorer") / "kb"
    return serve(build_kb(root, fill, plugin_options={"pages": ["runbooks"]}, pagefind=pagefind_binary))


def shown(page) -> set[str]:
    """Ids of the incidents the explorer lists (all of them: it shows up to 50 at once)."""
    page.wait_for_function("document.querySelector('#pmkb-explorer')?.getAttribute('aria-busy') === 'false'")
    hrefs = page.eval_on_selector_all(".pmkb-result__title", "links => links.map(a => a.href)")
    return {urlsplit(href).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html") for href in hrefs}


def explore(page, site: str, query: str = "") -> set[str]:
    page.goto(f"{site}search/{query}")
    return shown(page)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", ALL),
        ("?q=kernel", {"2022-03-01-kernel-panic", "2021-06-10-network-partition"}),
        ("?q=thundering+herd", {"2024-05-02-cache-stampede"}),
        ("?cause=expiry", {"2023-11-20-dns-expiry"}),  # the primary cause only
        ("?contributing=expiry", {"2022-03-01-kernel-panic"}),
        ("?severity=SEV1", {"2023-11-20-dns-expiry", "2021-06-10-network-partition"}),
        ("?severity=sev1", {"2023-11-20-dns-expiry", "2021-06-10-network-partition"}),  # any case
        ("?service=checkout", {"2024-05-02-cache-stampede", "2022-03-01-kernel-panic"}),
        ("?tag=redis", {"2024-05-02-cache-stampede"}),
        ("?year=2024", {"2024-05-02-cache-stampede", "2024-01-15-hostile-title"}),
        ("?year=2022..2023", {"2023-11-20-dns-expiry", "2022-03-01-kernel-panic"}),
        ("?status=in-review", {"2021-06-10-network-partition"}),
        # OR within a facet, AND across facets
        (
            "?severity=SEV1&severity=SEV2",
            {"2023-11-20-dns-expiry", "2021-06-10-network-partition", "2024-05-02-cache-stampede"},
        ),
        ("?cause=expiry&cause=network", {"2023-11-20-dns-expiry", "2021-06-10-network-partition"}),
        ("?severity=SEV1&service=edge", {"2021-06-10-network-partition"}),
        ("?severity=SEV1&severity=SEV3&service=checkout", {"2022-03-01-kernel-panic"}),
        # text and facets
        ("?q=kernel&severity=SEV1", {"2021-06-10-network-partition"}),
        ("?q=kernel&cause=deployment", {"2022-03-01-kernel-panic"}),
        # the terminal's field syntax in the text
        ("?q=cause:deployment+kernel", {"2022-03-01-kernel-panic"}),
        (
            "?q=severity:SEV1..SEV2",
            {"2023-11-20-dns-expiry", "2021-06-10-network-partition", "2024-05-02-cache-stampede"},
        ),
        ("?q=contributing:expiry", {"2022-03-01-kernel-panic"}),
        ("?q=year:>=2024", {"2024-05-02-cache-stampede", "2024-01-15-hostile-title"}),
        # nothing
        ("?q=zzzqqqxxx", set()),
        ("?cause=hardware", set()),
    ],
)
def test_explorer_shows_exactly_the_matching_incidents(page, site, query, expected):
    assert explore(page, site, query) == expected


def test_no_results_says_so(page, site):
    assert explore(page, site, "?q=zzzqqqxxx") == set()
    assert "Nothing found for \u201czzzqqqxxx\u201d" in page.inner_text(".pmkb-explorer__summary")


def test_field_syntax_becomes_filters_in_the_url_and_the_boxes(page, site):
    explore(page, site, "?q=cause:deployment+kernel")
    assert page.input_value(".pmkb-explorer__q") == "kernel"
    params = re.findall(r"[?&](\w+)=([^&]*)", page.url)
    assert ("cause", "deployment") in params and ("q", "kernel") in params
    assert page.is_checked('[data-facet-value="cause=deployment"]')


def test_typing_and_clicking_update_the_url_and_reload_and_back_restore_them(page, site):
    assert explore(page, site) == ALL
    page.fill(".pmkb-explorer__q", "kernel")
    page.press(".pmkb-explorer__q", "Enter")
    page.wait_for_url(re.compile(r"q=kernel"))
    assert shown(page) == {"2022-03-01-kernel-panic", "2021-06-10-network-partition"}
    page.check('[data-facet-value="severity=SEV1"]')
    page.wait_for_url(re.compile(r"severity=SEV1"))
    assert shown(page) == {"2021-06-10-network-partition"}
    page.reload()
    assert shown(page) == {"2021-06-10-network-partition"}
    assert page.input_value(".pmkb-explorer__q") == "kernel"
    page.go_back()
    page.wait_for_url(re.compile(r"q=kernel$"))
    assert shown(page) == {"2022-03-01-kernel-panic", "2021-06-10-network-partition"}
    assert not page.is_checked('[data-facet-value="severity=SEV1"]')


def test_counts_are_live_and_or_within_a_facet(page, site):
    explore(page, site, "?severity=SEV1")

    def count(value: str) -> str:
        return page.inner_text(f'label[for="{page.get_attribute(f"[data-facet-value={value!r}]", "id")}"] .pmkb-count')

    assert count("severity=SEV2") == "1"  # what ticking it would add (OR within the facet)
    assert count("service=dns") == "2"  # among the SEV1 incidents (AND across facets)
    assert count("cause=network") == "1"


def test_sorting(page, site):
    explore(page, site, "?sort=oldest")
    first = page.eval_on_selector(".pmkb-result__title", "a => a.href")
    assert "2021-06-10-network-partition" in first
    explore(page, site, "?sort=severity&severity=SEV1&severity=SEV4")
    titles = page.eval_on_selector_all(".pmkb-result__title", "links => links.map(a => a.href)")
    assert "2023-11-20-dns-expiry" in titles[0] and "2024-01-15-hostile-title" in titles[-1]


def test_drafts_are_never_shown_or_indexed(page, site):
    assert "2024-02-01-secret-draft" not in explore(page, site, "?q=secret")
    page.focus(".pmkb-hsearch__input")
    page.keyboard.type("secret")
    page.wait_for_selector(".pmkb-hsearch__status:has-text('Nothing found')")


def test_html_in_a_title_is_shown_as_text_and_never_runs(page, site):
    explore(page, site, "?severity=SEV4")
    assert page.inner_text(".pmkb-result__title") == HOSTILE_TITLE
    page.focus(".pmkb-hsearch__input")
    page.keyboard.type("nothing to see")
    page.wait_for_selector(".pmkb-hsearch__title")
    assert page.inner_text(".pmkb-hsearch__title") == HOSTILE_TITLE
    assert page.evaluate("window.__pwned") is None
    assert page.query_selector(".pmkb-result img, .pmkb-hsearch img, .pmkb-result script") is None


def test_header_box_works_with_the_keyboard_alone(page, site):
    page.goto(f"{site}runbooks/restart/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.classList.contains('pmkb-hsearch__input')")
    page.keyboard.type("certificate")
    page.wait_for_selector(".pmkb-hsearch__result .pmkb-excerpt mark")
    results = page.locator(".pmkb-hsearch__result:not(#pmkb-hsearch-result-all)")
    assert results.count() == 1
    facts = page.inner_text(".pmkb-hsearch__facts")
    assert "2023-11-20" in facts and "SEV1" in facts and "Expiry" in facts
    page.keyboard.press("Escape")
    assert page.is_hidden(".pmkb-hsearch__panel")
    page.keyboard.press("ArrowDown")  # opens again, on the first result
    assert page.get_attribute("#pmkb-hsearch-result-0", "aria-selected") == "true"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"2023-11-20-dns-expiry/$"))


def test_header_box_enter_without_a_choice_opens_the_explorer(page, site):
    page.goto(site)
    page.focus(".pmkb-hsearch__input")
    page.keyboard.type("redis")
    page.wait_for_selector(".pmkb-hsearch__result")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"search/\?q=redis"))
    assert shown(page) == {"2024-05-02-cache-stampede"}


def test_runbooks_are_found_by_the_header_box(page, site):
    page.goto(site)
    page.focus(".pmkb-hsearch__input")
    page.keyboard.type("restart")
    page.wait_for_selector(".pmkb-hsearch__title:has-text('Restarting the cache')")


def test_facet_pages_link_to_the_explorer_pre_filtered(page, site):
    page.goto(f"{site}causes/expiry/")
    page.click("text=Search within these incidents")
    page.wait_for_url(re.compile(r"search/\?cause=expiry"))
    assert shown(page) == {"2023-11-20-dns-expiry"}
    page.goto(f"{site}causes/expiry/")
    page.click("text=Search where it contributed")
    assert shown(page) == {"2022-03-01-kernel-panic"}


def test_without_javascript_the_page_says_so_and_links_the_static_pages(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}search/")
    text = page.inner_text("article")
    assert "needs JavaScript" in text
    links = page.eval_on_selector_all(
        "article noscript a, article a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert any("causes/" in link for link in links)
    context.close()


def test_every_script_and_stylesheet_comes_from_the_site(page, site):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    explore(page, site, "?q=kernel")
    own = [url for url in requested if url.startswith(site)]
    scripts = [url for url in requested if re.search(r"\.(js|css|wasm|pagefind|pf_\w+)(\?|$)", url)]
    assert scripts and all(url in own for url in scripts)


def _fill_small(kb) -> None:
    _add(
        kb,
        "2023-11-20-dns-expiry",
        "The certificate expired at midnight.",
        title="Certificate expiry",
        severity="SEV1",
        cause="expiry",
        contributing=[],
        services=["dns"],
        tags=["certificates"],
    )
    _add(
        kb,
        "2022-03-01-kernel-panic",
        "A kernel panic followed the rollout.",
        title="Kernel panic",
        severity="SEV3",
        cause="deployment",
        contributing=[],
        services=["checkout"],
        tags=[],
    )


def test_file_urls_under_a_sub_path(page, tmp_path: Path, serve):
    built = build_kb(tmp_path / "kb", _fill_small, use_directory_urls=False, site_url="http://127.0.0.1/team/kb/")
    base = serve(built, "/team/kb/")
    page.goto(f"{base}search/index.html?q=kernel")
    assert shown(page) == {"2022-03-01-kernel-panic"}
    page.click(".pmkb-result__title")
    page.wait_for_url(re.compile(r"/team/kb/2022/2022-03-01-kernel-panic\.html$"))
    page.focus(".pmkb-hsearch__input")
    page.keyboard.type("certificate")
    page.wait_for_selector(".pmkb-hsearch__result .pmkb-excerpt")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/team/kb/2023/2023-11-20-dns-expiry\.html$"))


def _requests_during(page, action) -> list[str]:
    """The URLs the page requested while `action()` ran (it ends with the explorer idle)."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    action()
    return requested


def test_a_text_query_needs_no_row_chunks_and_the_small_index_only(page, site):
    requested = _requests_during(page, lambda: explore(page, site, "?q=kernel"))
    assert shown(page) == {"2022-03-01-kernel-panic", "2021-06-10-network-partition"}
    # Titles, links and dates come from Pagefind's fragments of the matches, which carry the excerpts anyway.
    assert not [url for url in requested if "/search/rows/" in url]
    assert [url for url in requested if url.endswith("/search/incidents.json")]
    assert page.inner_text(".pmkb-result__date") in {"2022-03-01", "2021-06-10"}


def test_filtering_without_text_never_loads_pagefind(page, site):
    requested = _requests_during(page, lambda: explore(page, site, "?severity=SEV1"))
    assert not [url for url in requested if "/pagefind/" in url]
    assert [url for url in requested if url.endswith("/search/rows/0.json")]
    assert page.locator(".pmkb-result--pending").count() == 0


def _fill_many(kb) -> None:
    for day in range(1, 71):
        month, mday = divmod(day - 1, 28)
        _add(
            kb,
            f"2024-{month + 1:02d}-{mday + 1:02d}-incident-{day:02d}",
            f"Incident number {day} of many.",
            title=f"Incident {day:02d}",
            severity="SEV2",
            cause="capacity",
            contributing=[],
            services=["checkout"],
            tags=[],
        )


@pytest.fixture(scope="module")
def many(tmp_path_factory, serve) -> str:
    return serve(build_kb(tmp_path_factory.mktemp("many") / "kb", _fill_many))


def test_rows_beyond_the_first_screen_are_filled_as_they_scroll_in_and_show_more_adds_the_rest(page, many):
    page.goto(f"{many}search/")
    page.wait_for_function("document.querySelector('#pmkb-explorer')?.getAttribute('aria-busy') === 'false'")
    assert page.locator(".pmkb-result").count() == 50
    assert page.inner_text(".pmkb-result__title") == "Incident 70"  # newest first
    page.locator(".pmkb-result").nth(49).scroll_into_view_if_needed()
    page.wait_for_function("document.querySelectorAll('.pmkb-result--pending').length === 0")
    titles = page.eval_on_selector_all(".pmkb-result__title", "links => links.map(a => a.textContent)")
    assert titles == [f"Incident {day:02d}" for day in range(70, 20, -1)]
    page.click(".pmkb-explorer__more")
    page.wait_for_function("document.activeElement.textContent === 'Incident 20'")
    assert page.locator(".pmkb-result").count() == 70
    assert page.is_hidden(".pmkb-explorer__more")


@pytest.fixture(scope="module")
def split(tmp_path_factory, serve, pagefind_binary) -> tuple[Path, str]:
    """The same knowledge base with at most 2 pages per Pagefind index: several indexes, merged in the browser."""
    options = {"pages": ["runbooks"], "search_index_pages": 2}
    built = build_kb(tmp_path_factory.mktemp("split") / "kb", fill, plugin_options=options, pagefind=pagefind_binary)
    return built, serve(built)


def test_a_site_split_into_several_indexes_writes_each_and_lists_the_others(split):
    built, _ = split
    parts = json.loads((built / "search/pagefind-parts.json").read_text(encoding="utf-8"))
    # 6 pages are indexed (5 incidents and a runbook; not the draft, the home page or the generated pages): 3 parts.
    assert parts == ["pagefind/part-2/", "pagefind/part-3/"]
    assert all((built / part / "pagefind-entry.json").is_file() for part in ["pagefind/", *parts])
    # Every incident of the explorer's index has its Pagefind page id, whichever index it is in.
    ids = json.loads((built / "search/pagefind-ids.json").read_text(encoding="utf-8"))["ids"].split(" ")
    assert len(ids) == len(ALL) and all(ids)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?q=kernel", {"2022-03-01-kernel-panic", "2021-06-10-network-partition"}),
        ("?q=thundering+herd", {"2024-05-02-cache-stampede"}),
        ("?q=kernel&severity=SEV1", {"2021-06-10-network-partition"}),
        ("?q=zzzqqqxxx", set()),
    ],
)
def test_text_queries_find_matches_in_every_index_of_a_split_site(page, split, query, expected):
    assert explore(page, split[1], query) == expected


def test_the_header_box_searches_every_index_of_a_split_site(page, split):
    page.goto(split[1])
    page.focus(".pmkb-hsearch__input")
    page.keyboard.type("restart")
    page.wait_for_selector(".pmkb-hsearch__title:has-text('Restarting the cache')")
    page.fill(".pmkb-hsearch__input", "certificate")
    page.wait_for_selector(".pmkb-hsearch__title:has-text('Certificate expiry')")
