"""The published site in a real browser: no sideways scrolling at 400 px, distinct severity colours, charts with
accessible names, dark mode applied (issue 16). Fixtures: design_support.py."""

from __future__ import annotations

import pytest

from browser.design_support import NARROW, PAGES, WIDE, design_browser, open_page, served_kb  # noqa: F401

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_no_page_scrolls_sideways_at_400px(design_browser, served_kb, name):  # noqa: F811
    page = open_page(design_browser, served_kb, PAGES[name], width=NARROW)
    try:
        assert page.evaluate(OVERFLOW) <= 0, f"{name} is wider than the 400 px window"
    finally:
        page.context.close()


def test_severity_chips_have_four_distinct_colours_everywhere(design_browser, served_kb):  # noqa: F811
    page = open_page(design_browser, served_kb, "severities/")
    try:
        colours = page.evaluate(
            "[...document.querySelectorAll('article .pmkb-sev')].map(e => [e.textContent.trim(),"
            " getComputedStyle(e).backgroundColor, getComputedStyle(e).color])"
        )
    finally:
        page.context.close()
    by_slug = {slug: (background, ink) for slug, background, ink in colours}
    assert set(by_slug) == {"SEV1", "SEV2", "SEV3", "SEV4"}
    assert len({background for background, _ in by_slug.values()}) == 4
    # The same chip looks the same on every page it appears on.
    assert all(by_slug[slug] == (background, ink) for slug, background, ink in colours)


def test_home_charts_are_drawn_with_accessible_names(design_browser, served_kb):  # noqa: F811
    page = open_page(design_browser, served_kb, "")
    try:
        charts = page.evaluate(
            "[...document.querySelectorAll('figure.pmkb-chart')].map(f => {"
            " const svg = f.querySelector('svg'); return [svg && svg.getAttribute('role'),"
            " svg && svg.getAttribute('aria-label'), svg ? svg.getBoundingClientRect().width : 0,"
            " f.querySelectorAll('table tbody tr').length]; })"
        )
    finally:
        page.context.close()
    assert len(charts) >= 5
    for role, label, width, rows in charts:
        assert role == "img" and label and width > 100 and rows > 0


def test_dark_mode_applies_to_pmkb_pages_and_charts(design_browser, served_kb):  # noqa: F811
    colours = {}
    for scheme in ("default", "slate"):
        page = open_page(design_browser, served_kb, "", scheme=scheme)
        try:
            colours[scheme] = page.evaluate(
                "[document.body.getAttribute('data-md-color-scheme'),"
                " getComputedStyle(document.body).backgroundColor,"
                " getComputedStyle(document.querySelector('.pmkb-chart svg text')).fill,"
                " getComputedStyle(document.querySelector('.pmkb-stat')).backgroundColor]"
            )
        finally:
            page.context.close()
    assert colours["default"][0] == "default" and colours["slate"][0] == "slate"
    assert colours["default"][1] != colours["slate"][1]
    assert colours["default"][2] != colours["slate"][2]  # chart text follows the palette
    assert colours["default"][3] != colours["slate"][3]


def test_postmortem_timeline_strip_and_toc(design_browser, served_kb):  # noqa: F811
    page = open_page(design_browser, served_kb, PAGES["postmortem"], width=WIDE)
    try:
        spans = page.locator(".pmkb-strip__span").count()
        moments = page.locator(".pmkb-moments li").all_inner_texts()
        toc = page.locator(".md-sidebar--secondary .md-nav__link").all_inner_texts()
    finally:
        page.context.close()
    assert spans == 3 and [m.split()[0] for m in moments] == ["Started", "Detected", "Mitigated", "Resolved"]
    assert "Tracked action items" in [t.strip() for t in toc]
