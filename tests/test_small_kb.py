"""A small knowledge base looks finished: one "Action items" section per postmortem (the author's, ending with the
tracked items), and every action item shown with the `id#n` that `pmkb actions set` takes."""

from __future__ import annotations

from htmlpage import read_page
from pmkb.mkdocs_plugin.sections import split_after_section

PID = "2024-05-02-cache-stampede"
URL = f"2024/{PID}/"
BODY = """## Summary

The cache emptied.

## Action items

We agreed on two follow-ups in the review.

### Notes on the follow-ups

Coalescing first.

## Appendix

Graphs.
"""


def toc_titles(page) -> list[str]:
    nav = page.tree.find("nav", "md-nav--secondary")
    return [a.all_text().strip() for a in nav.find_all("a")] if nav else []


def test_tracked_items_end_the_authors_action_items_section(kb):
    kb.add(PID, body=BODY)
    page = read_page(kb.build(strict=True), URL)
    section = page.section("action-items")
    text = section.all_text()
    assert "We agreed on two follow-ups" in text and "Coalescing first." in text
    assert page.rows(section)[0][0].startswith("Add request coalescing")
    assert "Tracked action items" not in page.article.all_text()
    assert "Graphs." not in text  # the author's next section follows, after the table
    assert page.html.index("Add request coalescing") < page.html.index('id="appendix"')
    assert toc_titles(page).count("Action items") == 1 and "Tracked action items" not in toc_titles(page)


def test_without_an_authored_section_the_tracked_items_have_their_own(kb):
    kb.add(PID, body="## Summary\n\nThe cache emptied.\n")
    page = read_page(kb.build(strict=True), URL)
    assert page.rows(page.section("tracked-action-items"))[0][0].startswith("Add request coalescing")
    assert "Tracked action items" in toc_titles(page)


def test_split_after_section():
    html = '<h2 id="a">A</h2><p>x</p><h3 id="b">B</h3><p>y</p><h2 id="c">C</h2><p>z</p>'
    assert split_after_section(html, "a") == (html[: html.index('<h2 id="c"')], html[html.index('<h2 id="c"') :], True)
    assert split_after_section(html, "c") == (html, "", True)
    assert split_after_section(html, "missing") == (html, "", False)
    assert split_after_section('<p>&lt;h2 id="a"&gt;</p>', "a")[2] is False


def test_action_items_page_shows_each_items_id_and_number(kb):
    kb.add(PID)
    page = read_page(kb.build(strict=True), "action-items/")
    item_cells = [row[0] for row in page.rows(page.section("all"))]
    assert item_cells[0] == f"Add request coalescing prevent {PID}#1", item_cells
    result = kb.cli("actions", "set", f"{PID}#1", "--status", "done")
    assert result.returncode == 0, result.stderr  # the name shown is the one the command takes
