"""The Atom feed (/feed.xml) and the charts as built pages carry them: valid, escaped, linked from every page."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from htmlpage import read_page

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = '<script>alert("x")</script> & </title>'


def test_feed_lists_published_postmortems_newest_first_escaped_and_is_linked_from_every_page(kb):
    kb.add("2024-05-02-cache-stampede", title=HOSTILE, impact={"summary": "Checkout <b>failed</b> & more"})
    kb.add(
        "2024-06-01-later",
        date="2024-06-01",
        timeline={
            "started": "2024-06-01T09:00:00Z",
            "detected": "2024-06-01T09:10:00Z",
            "resolved": "2024-06-01T11:00:00Z",
        },
    )
    kb.add(
        "2024-07-01-review",
        date="2024-07-01",
        status="in-review",
        timeline={"started": "2024-07-01T09:00:00Z", "detected": "2024-07-01T09:10:00Z"},
    )
    site = kb.build(strict=False)
    feed = ET.parse(site / "feed.xml").getroot()  # well-formed XML, or this raises
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None
    entries = feed.findall(f"{ATOM}entry")
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert titles == ["[SEV2] Cache stampede takes down checkout", f"[SEV2] {HOSTILE}"]  # newest first
    assert len(entries) == 2  # in review: not in the feed
    summary = entries[1].find(f"{ATOM}summary").text
    assert "Checkout <b>failed</b> & more" in summary and "Capacity" in summary and "SEV2" in summary
    raw = (site / "feed.xml").read_text(encoding="utf-8")
    assert "<script>" not in raw and "&lt;script&gt;" in raw
    # Every page's head names the feed, relative to the page.
    for url, href in (("", "feed.xml"), ("incidents/", "../feed.xml"), ("2024/2024-06-01-later/", "../../feed.xml")):
        html = read_page(site, url).html
        head = html[: html.index("</head>")]
        assert f'type="application/atom+xml" title="Test KB" href="{href}"' in head


def test_charts_escape_front_matter_values_and_name_themselves(kb):
    hostile_owner = '<script>alert(1)</script>"&'
    kb.add(
        "2024-05-02-cache-stampede",
        action_items=[{"title": "x", "owner": hostile_owner, "status": "open", "priority": "low", "due": "2024-06-01"}],
    )
    site = kb.build(strict=False)
    page = read_page(site, "")
    article = page.html[page.html.index("<article") :]
    assert "<script>alert(1)" not in article
    svgs = page.article.find_all("svg", "pmkb-svg")
    assert len(svgs) >= 4
    assert all(svg.attrs.get("role") == "img" and svg.attrs.get("aria-label") for svg in svgs)
    # Every chart has its data as a table next to it; a chart in panels (the durations) draws one SVG a panel.
    figures = page.article.find_all("figure", "pmkb-chart")
    assert all(figure.find("table") and figure.find_all("svg", "pmkb-svg") for figure in figures)
    assert sum(len(figure.find_all("svg", "pmkb-svg")) for figure in figures) == len(svgs)
    cause = read_page(site, "causes/capacity/")
    assert len(cause.article.find_all("svg", "pmkb-svg")) == 2


def test_charts_can_be_switched_off_and_tables_remain(kb, monkeypatch):
    monkeypatch.setenv("PMKB_CHARTS", "0")
    kb.add("2024-05-02-cache-stampede")
    page = read_page(kb.build(strict=True), "")
    assert not page.article.find_all("svg", "pmkb-svg")
    figures = page.article.find_all("figure", "pmkb-chart")
    assert figures and all(f.find("details").attrs.get("open") is not None for f in figures)
