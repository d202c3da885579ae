"""Reading built pages in tests: the article's links, table rows and text, with the standard library only."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element] = field(default_factory=list)
    parts: list[str | Element] = field(default_factory=list)  # text and children, in document order

    def find_all(self, tag: str, cls: str | None = None) -> list[Element]:
        found = []
        for child in self.children:
            if child.tag == tag and (cls is None or cls in child.attrs.get("class", "").split()):
                found.append(child)
            found.extend(child.find_all(tag, cls))
        return found

    def find(self, tag: str, cls: str | None = None, id: str | None = None) -> Element | None:
        for element in self.find_all(tag, cls):
            if id is None or element.attrs.get("id") == id:
                return element
        return None

    def all_text(self) -> str:
        pieces = [part if isinstance(part, str) else part.all_text() for part in self.parts]
        return " ".join(" ".join(pieces).split())


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        self.stack[-1].parts.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        self.stack[-1].parts.append(data)


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


@dataclass
class Page:
    path: Path
    html: str
    tree: Element

    @property
    def article(self) -> Element:
        article = self.tree.find("article")
        assert article is not None, f"no <article> in {self.path}"
        return article

    def links(self, within: Element | None = None) -> list[tuple[str, str]]:
        """(href, text) of every link in the article (or in `within`)."""
        return [(a.attrs.get("href", ""), a.all_text()) for a in (within or self.article).find_all("a")]

    def rows(self, within: Element | None = None) -> list[list[str]]:
        return [
            [cell.all_text() for cell in tr.find_all("td")]
            for tr in (within or self.article).find_all("tr")
            if tr.find_all("td")
        ]

    def section(self, heading_id: str) -> Element:
        """A synthetic element holding everything after the heading with this id up to the next heading."""
        siblings = None
        for element in [self.article, *self.article.find_all("div"), *self.article.find_all("section")]:
            ids = [c.attrs.get("id") for c in element.children]
            if heading_id in ids:
                siblings = element.children
                break
        assert siblings is not None, f"no heading #{heading_id} in {self.path}"
        start = [c.attrs.get("id") for c in siblings].index(heading_id)
        level = siblings[start].tag
        collected = []
        for child in siblings[start + 1 :]:
            if child.tag in ("h1", "h2", "h3") and child.tag <= level:
                break
            collected.append(child)
        return Element("section", {}, children=collected, parts=list(collected))


def read_page(site: Path, url: str) -> Page:
    path = site / url.strip("/") / "index.html" if not url.endswith(".html") else site / url
    html = path.read_text(encoding="utf-8")
    return Page(path, html, parse(html))


def resolve(site: Path, page_url: str, href: str) -> Path | None:
    """The built file a relative link from `page_url` lands on, or None for external links."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith("#"):
        return None
    target = urljoin("/" + page_url.strip("/") + "/", parts.path)
    path = site / target.lstrip("/")
    return path / "index.html" if target.endswith("/") else path
