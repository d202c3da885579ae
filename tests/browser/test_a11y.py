"""axe-core (the npm package, installed by scripts/test) on the main page types: no serious or critical violation,
in the light and the dark scheme; and the owner filter works from the keyboard."""

from __future__ import annotations

import pytest

from browser.design_support import PAGES, axe_script, design_browser, open_page, served_kb  # noqa: F401

AXE_PAGES = ("home", "incidents", "cause", "action-items", "postmortem", "guide")


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_script()


def _violations(page, axe: str) -> list[str]:
    page.add_script_tag(content=axe)
    results = page.evaluate(
        # Material's search dialog is left out: the search explorer (branch `explorer`) replaces it and owns its
        # accessibility; everything else on the page is checked.
        "async () => (await axe.run({exclude: [['.md-search']]}, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"
    )
    return results


@pytest.mark.parametrize("scheme", ["default", "slate"])
@pytest.mark.parametrize("name", AXE_PAGES)
def test_no_serious_or_critical_axe_violation(design_browser, served_kb, axe, name, scheme):  # noqa: F811
    page = open_page(design_browser, served_kb, PAGES[name], scheme=scheme)
    try:
        assert _violations(page, axe) == []
    finally:
        page.context.close()


def test_search_page_when_there_is_one(design_browser, served_kb, axe):  # noqa: F811
    if not (served_kb.site / "search" / "index.html").is_file():
        pytest.skip("no /search/ page in this build (the explorer adds it)")
    page = open_page(design_browser, served_kb, "search/")
    try:
        assert _violations(page, axe) == []
    finally:
        page.context.close()


def test_owner_filter_works_with_the_keyboard(design_browser, served_kb):  # noqa: F811
    page = open_page(design_browser, served_kb, "action-items/")
    try:
        owner = page.locator(".pmkb-owner-filter a[href^='#owner-']").first
        owner.focus()
        page.keyboard.press("Enter")
        page.wait_for_function("location.hash.startsWith('#owner-')")
        visible = page.evaluate(
            "[...document.querySelectorAll('tr.pmkb-action')].filter(r => r.offsetParent !== null)"
            ".map(r => r.querySelector('.pmkb-owner').textContent)"
        )
        chosen = owner.evaluate("a => getComputedStyle(a).fontWeight")
    finally:
        page.context.close()
    assert visible and len(set(visible)) == 1
    assert int(chosen) >= 700  # the chosen owner is marked
