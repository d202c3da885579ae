"""Part of the MkDocs adapter: pieces of HTML that many pages share, rendered once per build and reused.

Templates look a fragment up by a key that holds everything its HTML depends on, render it on a miss and
`remember` it (`overrides/pmkb/base.html` and `macros.html`). Two kinds:

- The sidebar. Material renders the whole nav into every page. A page that is not in the nav (every postmortem,
  every facet value page) has no active entry, so its sidebar differs from another such page's only by its
  relative links: `SidebarKeys.key` is exactly those links, so a reused sidebar is byte-identical to the one
  Material would have rendered.
- Listing rows. An incident appears on about sixteen listings (its year, cause, services, tags...), and its open
  action items on several; each row has links relative to the page (`base_url`): keyed by the row, the options
  of its table, and `base_url`.

tests/test_fragments.py builds sites with and without reuse and requires identical output.
"""

from __future__ import annotations

from markupsafe import Markup
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import normalize_url


class RenderedFragments(dict):
    """Rendered HTML by key, for one build (a new instance for every build, so `mkdocs serve` never reuses)."""

    def remember(self, key: tuple, html: str) -> Markup:
        # Markup: the HTML was rendered (and escaped) by a template; autoescaping must not escape it again.
        self[key] = Markup(html)
        return self[key]


class SidebarKeys:
    def __init__(self, nav: Navigation, extra_urls: tuple[str, ...] = ()) -> None:
        self._in_nav = {id(page) for page in nav.pages}
        self._targets = ("", *extra_urls, *_nav_urls(nav.items))

    def key(self, page: Page) -> tuple[str, ...] | None:
        """The sidebar's relative links as seen from `page`; None for a page in the nav (it renders its own)."""
        if id(page) in self._in_nav:
            return None
        return ("sidebar", *(normalize_url(url, page) for url in self._targets))


def _nav_urls(items) -> list[str]:
    urls: list[str] = []
    for item in items:
        url = getattr(item, "url", None)
        if url is not None:
            urls.append(url)
        children = getattr(item, "children", None)
        if children:
            urls.extend(_nav_urls(children))
    return urls
