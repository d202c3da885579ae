"""Browser search, as the plugin drives it: the one seam between MkDocs' build and Pagefind's index.

A build goes through it in MkDocs' order:

- `start` (on_files): a Pagefind service process is started, and the rows of the explorer's metadata index are
  noted (their URLs, to line Pagefind's page ids up with them later). A site of more pages than the
  `search_index_pages` option gets several indexes, each written as soon as it is full
  (`pmkb.runtime.pagefind.SplitIndexer`), so Pagefind's memory stays that of one;
- `page` (on_page_content, for every page as its Markdown is converted): the page's record says whether it is
  indexed, and the site layer what Pagefind reads for it (`pmkb.site.explorer`): a postmortem's document with its
  filters, or an author's ordinary page's title and body; the document is queued and indexed on another core;
- `write` (on_env, once every page is converted): Pagefind writes `pagefind/` (its last part) into the site
  while MkDocs renders the pages (the explorer's metadata index and row chunks are exports:
  `pmkb.site.pages.export_files`);
- `finish` (on_post_build, after the HTML is written, for `mkdocs build` and every `mkdocs serve` rebuild): wait
  for Pagefind, then write `search/pagefind-ids.json` and `search/pagefind-parts.json` (the indexes the browser
  merges into the first);
- `cancel` (a failed build, shutdown): stop the service.

Measured at 1,000 postmortems (benchmarks/search_browser.py): Pagefind spends about 4 s of CPU time and 340 MB on
the index, beside MkDocs' Markdown conversion and rendering; the build then waits 0.4-1.3 s for it.
"""

from __future__ import annotations

import os
from pathlib import Path

from pmkb.core.catalog import Catalog
from pmkb.runtime.pagefind import IndexStats, PagefindError, SplitIndexer, os_error_text, part_sizes
from pmkb.site.explorer import (
    PAGEFIND_FOLDER,
    PAGEFIND_IDS,
    PAGEFIND_PARTS,
    index_urls,
    page_document,
    pagefind_ids,
    pagefind_parts,
    pagefind_url,
    postmortem_document,
)
from pmkb.site.pages import PageRecord
from pmkb.site.views import PostmortemView, page_url

# Material's permalink anchors ("¶") in the rendered Markdown are not words of the page.
EXCLUDED_SELECTORS = (".headerlink",)


class BrowserSearch:
    def __init__(self) -> None:
        self.indexer: SplitIndexer | None = None
        self.catalog: Catalog | None = None
        self.row_urls: list[str] = []
        self.directory_urls = True

    def start(
        self,
        catalog: Catalog,
        *,
        include_drafts: bool,
        directory_urls: bool,
        site_dir: str,
        other_pages: int,
        pages_per_index: int,
    ) -> None:
        """`other_pages`: how many of the author's ordinary pages there are (indexed beside the postmortems: the
        parts are balanced by their sum); `pages_per_index`: the `search_index_pages` option (0: one index)."""
        self.cancel()  # a previous build's, if MkDocs never reached on_post_build
        self.catalog = catalog
        self.directory_urls = directory_urls
        self.row_urls = index_urls(catalog.listed(include_drafts), lambda src: page_url(src, directory_urls))
        _, per_part = part_sizes(len(self.row_urls) + other_pages, pages_per_index)
        self.indexer = SplitIndexer(Path(site_dir, PAGEFIND_FOLDER), per_part, exclude_selectors=EXCLUDED_SELECTORS)

    def page(self, src_uri: str, title: str, html: str, record: PageRecord | None) -> None:
        """Queue one converted page: `record` is its record in pmkb's registry, None for an author's ordinary page
        (or a postmortem too broken to have one, which is never indexed)."""
        if self.indexer is None or self.catalog is None:
            return
        url = pagefind_url(page_url(src_uri, self.directory_urls))
        if record is None:
            self.indexer.add(url, page_document(title, html))
        elif record.indexed and isinstance(record.view, PostmortemView):
            document = postmortem_document(record.view.postmortem, self.catalog.taxonomy, self.catalog.today, html)
            self.indexer.add(url, document)

    def write(self) -> None:
        if self.indexer is not None:
            self.indexer.write()

    def finish(self, site_dir: str) -> IndexStats | None:
        """Wait for the indexes; write the explorer's id map and the list of indexes to merge. Returns what the
        indexes cost."""
        indexer, self.indexer = self.indexer, None
        if indexer is None:
            return None
        ids = indexer.finish()
        extra = [folder.relative_to(site_dir).as_posix() for folder in indexer.extra_folders()]
        for name, text in ((PAGEFIND_IDS, pagefind_ids(self.row_urls, ids)), (PAGEFIND_PARTS, pagefind_parts(extra))):
            target = Path(site_dir, name)
            try:
                os.makedirs(target.parent, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            except OSError as error:
                raise PagefindError(f"cannot write {name}: {os_error_text(error, target)}") from None
        return indexer.stats

    def cancel(self) -> None:
        indexer, self.indexer = self.indexer, None
        if indexer is not None:
            indexer.cancel()


__all__ = ["BrowserSearch", "PagefindError"]
