"""pmkb's tables at 400 px: none scrolls inside the page (a cut-off status badge read as "op"), and the action
items show the `id#n` that `pmkb actions set` takes. Fixtures: design_support.py."""

from __future__ import annotations

import pytest

from browser.design_support import NARROW, PAGES, WIDE, design_browser, open_page, served_kb  # noqa: F401

# Each pmkb table's overflow: how far its table reaches past the box that shows it, and badges cut off.
TABLE_OVERFLOW = """[...document.querySelectorAll('.pmkb-table table')].map(table => {
  const shown = (table.closest('.md-typeset__scrollwrap') || table.parentElement).getBoundingClientRect();
  const cut = [...table.querySelectorAll('.pmkb-badge, .pmkb-sev')]
    .filter(b => b.offsetParent !== null && b.getBoundingClientRect().right > shown.right + 0.5).length;
  return [table.closest('.pmkb-table').className, table.getBoundingClientRect().right - shown.right, cut];
})"""


@pytest.mark.parametrize("name", ["action-items", "postmortem", "home", "incidents", "cause", "service"])
def test_no_table_scrolls_sideways_at_400px(design_browser, served_kb, name):  # noqa: F811
    page = open_page(design_browser, served_kb, PAGES[name], width=NARROW)
    try:
        tables = page.evaluate(TABLE_OVERFLOW)
    finally:
        page.context.close()
    assert tables, f"no pmkb table on {name}"
    for table, overflow, cut in tables:
        assert overflow <= 0.5 and cut == 0, f"{name}: {table} reaches {overflow:.0f} px past its box, {cut} cut"


def test_action_items_show_the_name_pmkb_actions_set_takes(design_browser, served_kb):  # noqa: F811
    for width in (WIDE, NARROW):
        page = open_page(design_browser, served_kb, PAGES["action-items"], width=width)
        try:
            refs = page.locator("#all ~ .pmkb-actions .pmkb-ref, .pmkb-actions .pmkb-ref").all_inner_texts()
            visible = page.locator(".pmkb-actions .pmkb-ref").first.is_visible()
        finally:
            page.context.close()
        assert "2024-05-02-cache-stampede#1" in refs and visible
