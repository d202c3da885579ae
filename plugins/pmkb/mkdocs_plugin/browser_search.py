"""Browser search, as the plugin drives it: the one seam between MkDocs' build and Pagefind's index.

A build goes through it in MkDocs' order:

- `start` (on_files): the Pagefind binary is chosen (the project's npm package or PAGEFIND_BINARY_PATH, else the
  `pagefind[bin]` wheel: `pmkb.runtime.pagefind.find_pagefind`), a Pagefind service process is started, and the rows
  of the explorer's metadata index are noted (their URLs, to line Pagefind's page ids up with them later). A site of
  more pages than the `search_index_pages` option gets several indexes, each written as soon as it is full
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

Under `mkdocs serve` it also keeps every page's document (`keep_documents`), so that a save which re-renders a
few pages can have the whole index made again from them on another thread (`reindex`), while the site keeps
serving the previous one, and then put in its place (`swap`): the preview never loses a page from search.

Measured at 1,000 postmortems (benchmarks/search_browser.py): Pagefind spends about 4 s of CPU time and 340 MB on
the index, beside MkDocs' Markdown conversion and rendering; the build then waits 0.4-1.3 s for it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pmkb.core.catalog import Catalog
from pmkb.runtime.pagefind import (
    IndexStats,
    PagefindBinary,
    PagefindError,
    SplitIndexer,
    find_pagefind,
    os_error_text,
    part_sizes,
)
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


@dataclass(frozen=True)
class Reindexed:
    """An index made again from kept documents, in a folder beside the site, waiting to be swapped in."""

    folder: Path
    extra_folders: tuple[str, ...]  # relative to `folder`: the parts merged into the first
    ids: dict[str, str]  # Pagefind URL -> Pagefind page id
    generation: int  # of the documents it was made from


class BrowserSearch:
    def __init__(self) -> None:
        self.indexer: SplitIndexer | None = None
        self.catalog: Catalog | None = None
        self.row_urls: list[str] = []
        self.directory_urls = True
        self.keep_documents = False  # `mkdocs serve`: every page's document stays, for `reindex`
        self.documents: dict[str, str] = {}  # Pagefind URL -> document, in the order the build indexed them
        self.generation = 0  # bumped whenever a kept document changes
        self.served_generation = 0  # of the documents the site's index was made from
        self.served_ids: dict[str, str] = {}  # the site's index: Pagefind URL -> page id
        self.pages_per_part = 0
        self.binary: PagefindBinary | None = None  # the build's, which `reindex` uses too

    def start(
        self,
        catalog: Catalog,
        *,
        include_drafts: bool,
        directory_urls: bool,
        site_dir: str,
        project_root: Path,
        other_pages: int,
        pages_per_index: int,
    ) -> PagefindBinary:
        """`other_pages`: how many of the author's ordinary pages there are (indexed beside the postmortems: the
        parts are balanced by their sum); `pages_per_index`: the `search_index_pages` option (0: one index).
        Returns the Pagefind binary that indexes the site; raises PagefindError when none can."""
        self.cancel()  # a previous build's, if MkDocs never reached on_post_build
        binary = find_pagefind(project_root)
        self.catalog = catalog
        self.directory_urls = directory_urls
        self.include_drafts = include_drafts
        self.row_urls = index_urls(catalog.listed(include_drafts), lambda src: page_url(src, directory_urls))
        _, per_part = part_sizes(len(self.row_urls) + other_pages, pages_per_index)
        self.pages_per_part = per_part
        self.documents = {}
        self.generation = self.served_generation = 0
        # Pagefind adds its files to the folder: a `--dirty` build (whose folder MkDocs keeps) would serve the
        # last index's pages beside this one's.
        shutil.rmtree(Path(site_dir, PAGEFIND_FOLDER), ignore_errors=True)
        self.binary = binary
        folder = Path(site_dir, PAGEFIND_FOLDER)
        self.indexer = SplitIndexer(folder, per_part, binary, exclude_selectors=EXCLUDED_SELECTORS)
        return binary

    def page(self, src_uri: str, title: str, html: str, record: PageRecord | None) -> None:
        """Queue one converted page: `record` is its record in pmkb's registry, None for an author's ordinary page
        (or a postmortem too broken to have one, which is never indexed)."""
        if self.catalog is None or (self.indexer is None and not self.keep_documents):
            return
        url = pagefind_url(page_url(src_uri, self.directory_urls))
        if record is None:
            document = page_document(title, html)
        elif record.indexed and isinstance(record.view, PostmortemView):
            document = postmortem_document(record.view.postmortem, self.catalog.taxonomy, self.catalog.today, html)
        else:
            return
        if self.indexer is not None:
            self.indexer.add(url, document)
        if self.keep_documents and self.documents.get(url) != document:
            self.documents[url] = document
            self.generation += self.indexer is None  # a page rendered again after the build

    def forget(self, src_uri: str) -> None:
        """A page about to be rendered again: its document goes, and comes back if the page is still indexed."""
        if self.documents.pop(pagefind_url(page_url(src_uri, self.directory_urls)), None) is not None:
            self.generation += 1

    def follow(self, catalog: Catalog, site_dir: str) -> None:
        """The explorer's rows were written again for `catalog` (a saved postmortem): they may be in another
        order, so their ids are written again from the index the site serves."""
        row_urls = index_urls(catalog.listed(self.include_drafts), lambda src: page_url(src, self.directory_urls))
        if row_urls != self.row_urls:
            self.row_urls = row_urls
            _write(site_dir, PAGEFIND_IDS, pagefind_ids(self.row_urls, self.served_ids))

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
            _write(site_dir, name, text)
        self.served_ids = ids
        return indexer.stats

    def stale(self) -> bool:
        """Whether a kept document changed since the site's index was made."""
        return self.generation != self.served_generation

    def kept(self) -> tuple[list[tuple[str, str]], int]:
        """The kept documents and their generation, for `reindex`."""
        return list(self.documents.items()), self.generation

    def reindex(self, folder: Path, documents: list[tuple[str, str]], generation: int) -> Reindexed:
        """The whole index made again from `kept()` documents into `folder` (beside the site: nothing is served
        from there). Runs on a thread of its own while the site serves the previous index."""
        shutil.rmtree(folder, ignore_errors=True)
        if self.binary is None:
            raise PagefindError("reindex() before start()")
        indexer = SplitIndexer(folder, self.pages_per_part, self.binary, exclude_selectors=EXCLUDED_SELECTORS)
        try:
            for url, document in documents:
                indexer.add(url, document)
            indexer.write()
            ids = indexer.finish()
        except BaseException:
            indexer.cancel()
            raise
        extra = tuple(part.relative_to(folder).as_posix() for part in indexer.extra_folders())
        return Reindexed(folder, extra, ids, generation)

    def swap(self, reindexed: Reindexed, site_dir: str) -> None:
        """Put a reindexed folder where the site's index is, and write its ids; one rename on the same disk."""
        served = Path(site_dir, PAGEFIND_FOLDER)
        old = reindexed.folder.with_name(reindexed.folder.name + "-old")
        shutil.rmtree(old, ignore_errors=True)
        if served.exists():
            os.replace(served, old)
        try:
            os.replace(reindexed.folder, served)
        except OSError:
            if old.exists():  # the site keeps the index it had
                os.replace(old, served)
            raise
        shutil.rmtree(old, ignore_errors=True)
        extra = [f"{PAGEFIND_FOLDER.rstrip('/')}/{part}" for part in reindexed.extra_folders]
        _write(site_dir, PAGEFIND_PARTS, pagefind_parts(extra))
        _write(site_dir, PAGEFIND_IDS, pagefind_ids(self.row_urls, reindexed.ids))
        self.served_ids = reindexed.ids
        self.served_generation = reindexed.generation

    def cancel(self) -> None:
        indexer, self.indexer = self.indexer, None
        if indexer is not None:
            indexer.cancel()


def _write(site_dir: str, name: str, text: str) -> None:
    target = Path(site_dir, name)
    try:
        os.makedirs(target.parent, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise PagefindError(f"cannot write {name}: {os_error_text(error, target)}") from None


__all__ = ["BrowserSearch", "PagefindBinary", "PagefindError"]
