"""Every front-matter string is escaped in every page and feed it reaches.

Two knowledge bases with the same shape are built: one whose every free-text field holds HTML and template
syntax, one with plain words. Every page of the hostile site must have exactly the elements and attribute names of
its benign twin (so no element other than the theme's own reaches the DOM), the same inline scripts, and show the
hostile strings as text. Slug fields cannot hold HTML: they are rejected. The search index, the exports and the
sitemap stay valid and carry the strings as data.
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import front_matter
from mkdocs.exceptions import Abort, PluginError
from pmkb.core.catalog import SourceRef, check_bytes
from pmkb.core.taxonomy import default_taxonomy

# At most 89 characters: owners and authors are limited to 100, and every label is "Owner 1 " + PAYLOAD.
PAYLOAD = "<img src=x onerror=alert(1)>\"><script>x()</script></title>'<svg onload=x>{{7*7}}&amp;<!--"
assert len(PAYLOAD) <= 89
LINK_PAYLOAD = "https://example.com/issue?q=\"><script>alert(4)</script>&x='><img/src=x/onerror=alert(5)>"


def knowledge_base(kb, make: callable) -> None:
    """Three postmortems: A (related to B, same cause and service as C), B (no action items), C (earlier)."""
    kb.write("runbooks/deploy.md", "# Deploy\n")

    def timeline(day: str) -> dict:
        return {
            "started": f"{day}T09:00:00Z",
            "detected": f"{day}T09:10:00Z",
            "mitigated": f"{day}T09:30:00Z",
            "resolved": f"{day}T11:00:00Z",
        }

    kb.add(
        "2024-05-02-a",
        date="2024-05-02",
        timeline=timeline("2024-05-02"),
        title=make("Title A"),
        authors=[make("Author A1"), make("Author A2")],
        impact={"summary": make("Summary A"), "users_affected": 10, "customer_facing": True},
        action_items=[
            {
                "title": make("Item A1"),
                "owner": make("Owner 1"),
                "status": "open",
                "priority": "high",
                "due": "2020-01-01",  # overdue: the overdue flag and warning carry the strings too
                "link": make.link,
            },
            {"title": make("Item A2"), "owner": make("Owner 2"), "status": "in-progress", "type": "detect"},
        ],
        related=["2024-04-01-b"],
        runbooks=["runbooks/deploy.md"],
    )
    kb.add(
        "2024-04-01-b",
        date="2024-04-01",
        timeline=timeline("2024-04-01"),
        title=make("Title B"),
        authors=[make("Author B")],
        cause="deployment",
        services=["payments"],
        tags=["release"],
        impact={"summary": make("Summary B")},
        action_items=[],
        no_action_items=make("No items B"),
    )
    kb.add(
        "2023-01-01-c",
        date="2023-01-01",
        timeline=timeline("2023-01-01"),
        title=make("Title C"),
        authors=[make("Author C")],
        impact={"summary": make("Summary C")},
        action_items=[{"title": make("Item C"), "owner": make("Owner 1"), "status": "open"}],
    )


class _Maker:
    def __init__(self, hostile: bool) -> None:
        self.hostile = hostile
        self.link = LINK_PAYLOAD if hostile else "https://example.com/issue?q=plain&x=1"

    def __call__(self, label: str) -> str:
        return f"{label} {PAYLOAD}" if self.hostile else f"{label} plain words"


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> dict[str, Path]:
    from conftest import KB

    built = {}
    for name, hostile in (("benign", False), ("hostile", True)):
        kb = KB(tmp_path_factory.mktemp(name) / "kb")
        kb.docs.mkdir(parents=True)
        kb.write("index.md", "# Test KB\n\nWelcome.\n")
        kb.set_config(plugins=["search", {"pmkb": {}}])  # Material's search too: its index must escape titles
        knowledge_base(kb, _Maker(hostile))
        built[name] = kb.build()
    return built


class Shape(HTMLParser):
    """The element structure of a page: start tags with their attribute names, inline scripts, dangerous bits."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple[str, ...]]] = []
        self.inline_scripts: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.script_sources: list[str] = []
        self._in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(sorted(name for name, _ in attrs))))
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name in ("href", "src") and value and value.strip().lower().startswith(("javascript:", "data:")):
                self.handlers.append((tag, f"{name}={value}"))
        if tag == "script":
            source = dict(attrs).get("src")
            if source:
                self.script_sources.append(source)
            else:
                self._in_script = True
                self.inline_scripts.append("")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_scripts[-1] += data
        else:
            self.text.append(data)


def shape(path: Path) -> Shape:
    parser = Shape()
    parser.feed(path.read_text("utf-8"))
    parser.close()
    return parser


def html_pages(site: Path) -> list[str]:
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html"))


def test_both_sites_have_the_same_pages(sites):
    assert html_pages(sites["hostile"]) == html_pages(sites["benign"])
    assert "2024/2024-05-02-a/index.html" in html_pages(sites["hostile"])


def test_no_element_other_than_the_themes_own_reaches_the_dom(sites):
    checked = 0
    for page in html_pages(sites["hostile"]):
        hostile, benign = shape(sites["hostile"] / page), shape(sites["benign"] / page)
        assert hostile.tags == benign.tags, page
        assert hostile.inline_scripts == benign.inline_scripts, page
        assert hostile.script_sources == benign.script_sources, page
        assert all("assets/javascripts/" in source for source in hostile.script_sources), page
        assert hostile.handlers == [], page
        checked += 1
    assert checked >= 20  # postmortems, home, incidents, action items, every facet index and value page


def _text(site: Path, page: str) -> str:
    return "".join(shape(site / page).text)


@pytest.mark.parametrize(
    "page, labels",
    [
        ("2024/2024-05-02-a/index.html", ["Title A", "Author A1", "Author A2", "Summary A", "Item A1", "Owner 1",
                                          "Item A2", "Owner 2", "Title B", "Title C"]),
        ("2024/2024-04-01-b/index.html", ["Title B", "Author B", "Summary B", "No items B"]),
        ("index.html", ["Title A", "Title B", "Title C"]),
        ("incidents/index.html", ["Title A", "Title B", "Title C"]),
        ("action-items/index.html", ["Item A1", "Item A2", "Item C", "Owner 1", "Owner 2", "Title A", "Title C"]),
        ("causes/capacity/index.html", ["Title A", "Title C", "Item A1", "Owner 1"]),
        ("causes/deployment/index.html", ["Title B"]),
        ("services/checkout/index.html", ["Title A", "Title C"]),
        ("services/payments/index.html", ["Title B"]),
        ("tags/redis/index.html", ["Title A", "Title C"]),
        ("tags/release/index.html", ["Title B"]),
        ("severities/sev2/index.html", ["Title A", "Title B", "Title C"]),
    ],
)  # fmt: skip
def test_hostile_strings_show_as_text(sites, page, labels):
    text = _text(sites["hostile"], page)
    for label in labels:
        assert f"{label} {PAYLOAD}" in text, (page, label)


def test_title_element_and_meta_description_carry_the_text(sites):
    page = (sites["hostile"] / "2024/2024-05-02-a/index.html").read_text("utf-8")
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert html.unescape(title).startswith(f"Title A {PAYLOAD}")
    assert f'content="{html.escape("Summary A " + PAYLOAD)}"' in page


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")


@pytest.mark.parametrize("page", ["2024/2024-05-02-a/index.html", "action-items/index.html"])
def test_action_item_link_is_an_attribute_value_only(sites, page):
    parser = _Links()
    parser.feed((sites["hostile"] / page).read_text("utf-8"))
    assert LINK_PAYLOAD in parser.hrefs


def test_search_index_holds_titles_escaped_for_the_theme(sites):
    index = json.loads((sites["hostile"] / "search/search_index.json").read_text("utf-8"))
    titles = {doc["location"]: doc["title"] for doc in index["docs"]}
    # Material inserts search titles as HTML: they must arrive escaped, and decode to the author's text.
    assert html.unescape(titles["2024/2024-05-02-a/"]) == f"Title A {PAYLOAD}"
    for doc in index["docs"]:
        for value in (doc["title"], doc["text"]):
            assert "<script" not in value and "<img" not in value and "<svg" not in value, doc


def test_exports_are_valid_json_and_round_trip_every_string(sites):
    records = {r["id"]: r for r in json.loads((sites["hostile"] / "postmortems.json").read_text("utf-8"))}
    a = records["2024-05-02-a"]
    assert a["title"] == f"Title A {PAYLOAD}"
    assert a["authors"] == [f"Author A1 {PAYLOAD}", f"Author A2 {PAYLOAD}"]
    assert a["impact"]["summary"] == f"Summary A {PAYLOAD}"
    assert a["action_items"][0]["title"] == f"Item A1 {PAYLOAD}"
    assert a["action_items"][0]["owner"] == f"Owner 1 {PAYLOAD}"
    assert a["action_items"][0]["link"] == LINK_PAYLOAD
    assert records["2024-04-01-b"]["no_action_items"] == f"No items B {PAYLOAD}"
    items = json.loads((sites["hostile"] / "action-items.json").read_text("utf-8"))
    assert {item["incident_title"] for item in items} == {f"Title A {PAYLOAD}", f"Title C {PAYLOAD}"}
    assert {item["owner"] for item in items} == {f"Owner 1 {PAYLOAD}", f"Owner 2 {PAYLOAD}"}


def test_sitemap_is_valid_xml(sites):
    ElementTree.parse(sites["hostile"] / "sitemap.xml")


# -- slug and choice fields cannot carry HTML: they are rejected -----------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("services", ["<script>x</script>"]),
        ("tags", ['"><img src=x>']),
        ("tags", ["a/../../b"]),
        ("contributing", ["<b>capacity</b>"]),
        ("severity", "<i>SEV1</i>"),
        ("cause", "capacity<script>"),
        ("trigger", "</title>"),
        ("detection", "alert'><svg onload=x>"),
        ("status", "<published>"),
    ],
)
def test_slug_and_choice_fields_reject_html(field, value):
    from conftest import render_postmortem

    text = render_postmortem(front_matter(**{field: value}))
    ref = SourceRef("2024/2024-05-02-x.md", Path("/x"), "postmortems/2024/2024-05-02-x.md")
    result = check_bytes(text.encode(), ref, default_taxonomy())
    assert result.postmortem is None
    errors = [d for d in result.diagnostics if d.is_error]
    assert errors and all(d.field.split(".")[0] == field for d in errors), errors


def test_a_build_with_html_in_a_slug_fails(kb):
    kb.add("2024-05-02-x", tags=["<script>alert(1)</script>"])
    with pytest.raises((PluginError, Abort)):
        kb.build()
