"""HTML pages (wiki pages, Confluence and Google Docs exports) -> Markdown, with html-to-markdown.

html-to-markdown (Rust core) drops `<script>`, `<style>` and every attribute but links and images, converts
tables, lists and `<pre>` blocks, and walks the DOM without recursion up to a depth limit: deeper nodes are
skipped with a warning, which we turn into a refusal rather than import a page with its content missing.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

import html_to_markdown

from .markdown import split_front_matter
from .model import Document, Failure, Source

# Chrome of exported pages that is not the report: Confluence's breadcrumbs, page metadata, footer and
# attachment lists; generic navigation.
_EXCLUDED = [
    "#breadcrumb-section",
    "#breadcrumbs",
    ".page-metadata",
    "#footer",
    "#footer-logo",
    ".pageSection.group",
    "#attachments",
    "nav",
    "header",
    "footer",
]
_CONFLUENCE_AUTHOR_RE = re.compile(r"Created by\s*(?:<[^>]+>\s*)*([^<,]+?)\s*(?:<[^>]+>\s*)*,", re.IGNORECASE)
_CONFLUENCE_MODIFIED_RE = re.compile(r"last (?:modified|updated) (?:by [^<]*?)?on\s*([A-Z][a-z]{2} \d{1,2}, \d{4})")
_GDOCS_TITLE_RE = re.compile(r'<p[^>]*class="[^"]*\btitle\b[^"]*"[^>]*>(.*?)</p>', re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"<[^>]+>")
_GOOGLE_REDIRECT_RE = re.compile(r"\(https://www\.google\.com/url\?([^)\s]+)\)")


def convert(source: Source) -> Document | Failure:
    text = source.text
    options = html_to_markdown.ConversionOptions(
        extract_metadata=True,
        exclude_selectors=_EXCLUDED,
        autolinks=True,
        skip_images=False,
        escape_asterisks=False,
    )
    try:
        result = html_to_markdown.convert(text, options)
    except RecursionError:
        return Failure(source.name, "HTML nested too deeply to convert")
    except Exception as error:  # the binding raises its own exception types; none may escape as a traceback
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        return Failure(source.name, f"cannot convert this HTML: {first}")
    for warning in result.warnings or ():
        if "depth" in str(getattr(warning, "kind", "")).lower():
            return Failure(source.name, f"HTML nested too deeply to convert ({warning.message}); nothing imported")
    _, markdown = split_front_matter(result.content or "")  # None when the binding produced no text
    markdown = _GOOGLE_REDIRECT_RE.sub(lambda match: f"({_unwrap_google(match.group(1))})", markdown)
    document = result.metadata.document if result.metadata else None
    title = _title(text, document.title if document else None)
    authors: list[str] = []
    if document and document.author:
        authors.append(document.author.strip())
    confluence = _CONFLUENCE_AUTHOR_RE.search(text)
    if confluence:
        authors.append(" ".join(confluence.group(1).split()))
    links = []
    if document and document.canonical_url:
        links.append(("original page", document.canonical_url))
    elif document and document.open_graph.get("url"):
        links.append(("original page", document.open_graph["url"]))
    return Document(
        source=source,
        markdown=markdown,
        title=title,
        authors=tuple(dict.fromkeys(author for author in authors if author)),
        date_hint=_modified(text),
        links=tuple(links),
    )


def _title(text: str, title: str | None) -> str | None:
    docs_title = _GDOCS_TITLE_RE.search(text)  # Google Docs marks its Title paragraph with the class "title"
    if docs_title:
        found = " ".join(_TAG_RE.sub("", docs_title.group(1)).split())
        if found:
            return _unescape(found)
    if not title:
        return None
    title = re.sub(r"\s+-\s+Google Docs$", "", title.strip())
    if " : " in title:  # Confluence: "Space name : Page title"
        title = title.split(" : ", 1)[1]
    return title.strip() or None


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _modified(text: str) -> date | None:
    match = _CONFLUENCE_MODIFIED_RE.search(text)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%b %d, %Y").date()
    except ValueError:
        return None


def _unwrap_google(query: str) -> str:
    """Google Docs exports wrap every link in https://www.google.com/url?q=<target>&sa=...: keep the target."""
    target = parse_qs(query.replace("&amp;", "&")).get("q", [""])[0]
    parts = urlsplit(target)
    return target if parts.scheme in ("http", "https") and parts.netloc else f"https://www.google.com/url?{query}"
