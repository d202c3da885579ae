"""The published site in a real browser: no sideways scrolling at 400 px, distinct severity colours, charts with
accessible names, dark mode applied. Fixtures: design_support.py."""

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


# Every chart's SVG at 400 px: its figure's id, its rendered width, and the smallest of its texts as rendered (the
# font size vl-convert drew it at, times the factor the page scales the SVG by).
CHART_TEXT = """[...document.querySelectorAll('figure.pmkb-chart svg')].map(svg => {
  const box = svg.getBoundingClientRect(), scale = box.width / svg.width.baseVal.value;
  const sizes = [...svg.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')) * scale);
  return [svg.closest('figure').id, box.width, box.top, Math.min(...sizes)];
})"""


@pytest.mark.parametrize("name", ["home", "cause"])
def test_charts_are_readable_at_400px(design_browser, served_kb, name):  # noqa: F811
    """No chart is drawn for a desktop and shrunk on a phone: its text stays at 10 px or more (vl-convert draws it
    at 11 and 12), every chart (every panel of a chart in panels) is at least 250 px wide, and the page does not
    scroll sideways."""
    page = open_page(design_browser, served_kb, PAGES[name], width=NARROW)
    try:
        charts = page.evaluate(CHART_TEXT)
        width = page.evaluate("document.documentElement.scrollWidth")
    finally:
        page.context.close()
    assert charts and width <= NARROW
    for figure, drawn, _, smallest in charts:
        assert smallest >= 10, f"{figure}: text shrunk to {smallest:.1f} px at {NARROW} px"
        assert drawn >= 250, f"{figure}: {drawn:.0f} px wide at {NARROW} px"


def test_the_home_duration_panels_sit_side_by_side_on_a_wide_screen_and_stack_on_a_phone(
    design_browser,  # noqa: F811
    served_kb,  # noqa: F811
):
    tops = {}
    for width in (WIDE, NARROW):
        page = open_page(design_browser, served_kb, "", width=width)
        try:
            tops[width] = [top for figure, _, top, _ in page.evaluate(CHART_TEXT) if figure == "chart-home-durations"]
        finally:
            page.context.close()
    assert len(tops[WIDE]) == len(tops[NARROW]) == 2
    assert tops[WIDE][0] == tops[WIDE][1] and tops[NARROW][1] > tops[NARROW][0]
