"""Part of the MkDocs adapter: pieces of HTML that many pages share, rendered once per build and reused.

Templates look a fragment up by a key that holds everything its HTML depends on, render it on a miss and
`remember` it (`templates/pmkb/base.html` and `macros.html`). Two kinds:

- Material's page chrome: the sidebar, the header, the footer and the config script. Material renders them into
  every page. A page that is not in the nav (every postmortem, every facet value page) has no active entry and
  no previous or next page, so its chrome differs from another such page's only by its relative links and, in
  the header, by its title. `ChromeKeys.key` is exactly those links; the header is kept with a hole where the
  title goes (`RenderedFragments.titled`). A reused piece is byte-identical to the one Material would render.
- Listing rows. An incident appears on about sixteen listings (its year, cause, services, tags...), and its open
  action items on several. A row's links are relative to the page: it is rendered once, with a hole where the
  page's path to the site root (`base_url`) goes, and kept by the row and the options of its table
  (`RenderedFragments.rows`).

Both are speed tricks (`chrome` and `rows` in pmkb.runtime.speedups); tests/test_fragments.py builds sites with
and without them and requires identical output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from markupsafe import Markup, escape
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import normalize_url

# Where the header's title goes while it is rendered for reuse: a string no title or theme text contains.
TITLE_HOLE = "\x00pmkb-title\x00"

# Where a listing row's links start while it is rendered for reuse: filled with each page's `base_url`.
BASE_HOLE = "\x00pmkb-base\x00"

# Material's own files are under assets/: a page there could reach them by shorter relative links than its
# depth alone says, which the keys below do not list. No reuse for such a page.
THEME_ASSETS = "assets/"


class RenderedFragments(dict):
    """Rendered HTML by key, for one build (a new instance for every build, so `mkdocs serve` never reuses).

    With `reuse_rows` false (speed trick `rows` off), every row is rendered for its page."""

    def __init__(self, reuse_rows: bool = True) -> None:
        super().__init__()
        self.reuse_rows = reuse_rows

    def remember(self, key: tuple, html: str) -> Markup:
        # Markup: the HTML was rendered (and escaped) by a template; autoescaping must not escape it again.
        self[key] = Markup(html)
        return self[key]

    def rows(self, table: tuple | None, rows: Iterable, base_url: str, render: Callable[..., str], *options) -> Markup:
        """The HTML of a listing's rows: `render(row, *options, base)`, once per build for each row of each kind
        of `table` (which holds the options, or is None for a table no other page shows), and `base_url` filled
        in. Each row has a `key` that tells it from every other row; a row's HTML depends on nothing else."""
        base = str(escape(base_url))  # as `{{ base_url }}` prints it
        if table is None or not self.reuse_rows:
            return Markup("".join([render(row, *options, base) for row in rows]))
        html = []
        for row in rows:
            key = (*table, self.row_key(row))
            piece = self.get(key)
            html.append(piece if piece is not None else self.remember(key, render(row, *options, BASE_HOLE)))
        return Markup("".join(html).replace(BASE_HOLE, base))

    def row_key(self, row) -> object:
        """What a row's HTML is remembered by: within one build, the row it stands for."""
        return row.key

    def reused(self, name: str, chrome_key: tuple | None, render: Callable[[], str]) -> Markup:
        """The HTML `render` (Material's block, through `super`) gives: rendered once per key, or every time
        for a page without a key (its chrome is its own)."""
        if not chrome_key:
            return Markup(render())
        html = self.get((name, chrome_key))
        return html if html is not None else self.remember((name, chrome_key), render())

    def titled(self, chrome_key: tuple | None, page: Page, render: Callable[[], str]) -> Markup:
        """Material's header for `page`: rendered once per key with a hole for the title, which is filled in.

        The header prints `page.meta.title or page.title`, unescaped: so does this. A header that does not
        print the hole exactly once (another theme version, say) is rendered for every page, as Material would.
        """
        if not chrome_key:
            return Markup(render())
        parts = self.get(("header", chrome_key))
        if parts is None:
            parts = self[("header", chrome_key)] = _split_at_title(page, render)
        if not parts:
            return Markup(render())
        before, after = parts
        title = page.meta.get("title") if page.meta else None
        return Markup(f"{before}{title or page.title}{after}")


_NO_TITLE = object()  # a page whose `title` is MkDocs' property, not an attribute of its own


def _split_at_title(page: Page, render: Callable[[], str]) -> tuple[str, str] | tuple[()]:
    meta, own_title = page.meta, page.__dict__.get("title", _NO_TITLE)
    page.meta, page.title = {**(meta or {}), "title": TITLE_HOLE}, TITLE_HOLE
    try:
        parts = str(render()).split(TITLE_HOLE)
    finally:
        page.meta = meta
        if own_title is _NO_TITLE:
            del page.__dict__["title"]  # back to Page.title, the property that reads meta and the Markdown
        else:
            page.title = own_title
    return (parts[0], parts[1]) if len(parts) == 2 else ()


class ChromeKeys:
    def __init__(self, nav: Navigation, extra_urls: tuple[str, ...] = ()) -> None:
        self._in_nav = {id(page) for page in nav.pages}
        self._targets = ("", *extra_urls, *_nav_urls(nav.items))

    def key(self, page: Page) -> tuple[str, ...] | None:
        """The chrome's relative links as seen from `page`; None for a page whose chrome is its own (in the nav)."""
        if id(page) in self._in_nav or page.url.startswith(THEME_ASSETS):
            return None
        return tuple(normalize_url(url, page) for url in self._targets)


def overridden_chrome(custom_dir: str | None, theme_dirs: list[str]) -> list[str]:
    """Material's templates that the project's `custom_dir` replaces (`main.html`, `base.html`, `partials/`).

    A replaced piece may print more of the page than its key tells apart (a date in the header, say): with any
    of them, every page renders its own chrome, as Material does.
    """
    if not custom_dir or not Path(custom_dir).is_dir():
        return []
    theirs = [Path(folder) for folder in theme_dirs if folder != custom_dir]
    replaced = []
    for path in sorted(Path(custom_dir).rglob("*.html")):
        name = path.relative_to(custom_dir).as_posix()
        if (name in ("main.html", "base.html") or name.startswith("partials/")) and any(
            (folder / name).is_file() for folder in theirs
        ):
            replaced.append(name)
    return replaced


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
