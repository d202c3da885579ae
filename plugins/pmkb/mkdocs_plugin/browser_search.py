"""Browser search, as the plugin drives it: the one seam between MkDocs' build and Pagefind's index.

A build goes through it in MkDocs' order:

- `start` (on_files): a Pagefind service process is started, and the rows of the explorer's metadata index are
  noted (their URLs, to line Pagefind's page ids up with them later);
- `page` (on_page_content, for every page as its Markdown is converted): the site layer says what Pagefind reads
  for it (`pmkb.site.explorer`): a postmortem's document with its filters, an ordinary page's title and body, or
  nothing (drafts, generated listing pages); the document is queued and indexed on another core;
- `write` (on_env, once every page is converted): Pagefind writes `pagefind/` into the site while MkDocs renders
  the pages, and the explorer's row chunks (`search/rows/K.json`: titles, URLs, dates) are written;
- `finish` (on_post_build, after the HTML is written, for `mkdocs build` and every `mkdocs serve` rebuild): wait
  for Pagefind, then write `search/pagefind-ids.json`;
- `cancel` (a failed build, shutdown): stop the service.

Measured at 1,000 postmortems (benchmarks/search_browser.py): Pagefind spends about 4 s of CPU time and 340 MB on
the index, beside MkDocs' Markdown conversion and rendering; the build then waits 0.4-1.3 s for it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pmkb.core.catalog import Catalog
from pmkb.runtime.pagefind import IndexStats, PagefindError, PagefindIndexer
from pmkb.site.explorer import (
    PAGEFIND_FOLDER,
    PAGEFIND_IDS,
    ROWS_FOLDER,
    index_urls,
    is_indexed,
    page_document,
    pagefind_ids,
    pagefind_url,
    postmortem_document,
    row_chunks,
)
from pmkb.site.views import PostmortemView, page_url

# Material's permalink anchors ("¶") in the rendered Markdown are not words of the page.
EXCLUDED_SELECTORS = (".headerlink",)


class BrowserSearch:
    def __init__(self) -> None:
        self.indexer: PagefindIndexer | None = None
        self.catalog: Catalog | None = None
        self.row_urls: list[str] = []
        self.row_files: list[str] = []
        self.directory_urls = True
        self.output: Path | None = None

    def start(self, catalog: Catalog, *, include_drafts: bool, directory_urls: bool) -> None:
        self.cancel()  # a previous build's, if MkDocs never reached on_post_build
        self.catalog = catalog
        self.directory_urls = directory_urls
        listed = list(catalog.listed(include_drafts))
        self.row_urls = index_urls(listed, lambda src: page_url(src, directory_urls))
        self.row_files = row_chunks(listed, lambda src: page_url(src, directory_urls))
        self.indexer = PagefindIndexer(exclude_selectors=EXCLUDED_SELECTORS)

    def page(self, src_uri: str, title: str, html: str, view: object | None, *, is_postmortem: bool) -> None:
        """Queue one converted page: `view` is its pmkb view (None for an author's ordinary page)."""
        if self.indexer is None or self.catalog is None:
            return
        url = pagefind_url(page_url(src_uri, self.directory_urls))
        if isinstance(view, PostmortemView):
            if is_indexed(view.postmortem):
                document = postmortem_document(view.postmortem, self.catalog.taxonomy, self.catalog.today, html)
                self.indexer.add(url, document)
        elif view is None and not is_postmortem:
            self.indexer.add(url, page_document(title, html))

    def write(self, site_dir: str) -> None:
        if self.indexer is not None:
            self.output = Path(site_dir, PAGEFIND_FOLDER)
            self.indexer.write(self.output)
        if self.catalog is not None:
            folder = Path(site_dir, ROWS_FOLDER)
            shutil.rmtree(folder, ignore_errors=True)  # a previous build's chunks (mkdocs serve) may be more
            folder.mkdir(parents=True)
            for number, content in enumerate(self.row_files):
                (folder / f"{number}.json").write_text(content, encoding="utf-8")

    def finish(self, site_dir: str) -> IndexStats | None:
        """Wait for the index; write the explorer's id map. Returns what the index cost."""
        indexer, self.indexer = self.indexer, None
        if indexer is None or self.output is None:
            return None
        ids = indexer.finish()
        target = Path(site_dir, PAGEFIND_IDS)
        os.makedirs(target.parent, exist_ok=True)
        target.write_text(pagefind_ids(self.row_urls, ids), encoding="utf-8")
        return indexer.stats

    def cancel(self) -> None:
        indexer, self.indexer = self.indexer, None
        if indexer is not None:
            indexer.cancel()


__all__ = ["BrowserSearch", "PagefindError"]
