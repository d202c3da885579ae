"""`mkdocs serve` with pmkb: a saved postmortem re-renders the pages that show what changed, not the whole site.

MkDocs rebuilds every page on every save, so the wait grows with the knowledge base. The `on_serve` event hands
the plugin the server, whose builder it wraps: on a save, `Preview.rebuild` looks at what changed on disk since the
last full build (the modification time and size of every watched file) and, when the only changes are to existing
postmortems, brings the served site up to date itself:

- the catalog is checked again (the parse cache reads only the saved files), so errors reach the page at once;
- a body edit (the parsed postmortem and every diagnostic as before) re-renders the saved pages alone;
- any other edit makes the page registry again (`pmkb.site.pages.build_site`) and re-renders every page whose
  record differs from the served one: the pages that depend on a value are found by comparing what each page
  shows, never by a list of who shows what. Changed charts are drawn before their pages;
- what no page waits for is made on threads while the site serves: the exports and similar incidents (their
  pages re-rendered when the lists change), and the browser search index, made again whole from every page's
  kept document and swapped in when done (`BrowserSearch.reindex`), so search never loses a page. The thread pokes
  the server, whose next rebuild writes the results.

Everything else (a file added, deleted or renamed, `mkdocs.yml`, the taxonomy or any other watched file, a new
facet value, a postmortem turned draft, a failure) is left to MkDocs' full build.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mkdocs.commands.build import _build_page, _populate_page
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files, InclusionLevel

from pmkb.core.catalog import Catalog, FileChecker, is_postmortem
from pmkb.core.diagnostics import Diagnostic
from pmkb.mkdocs_plugin.browser_search import BrowserSearch, Reindexed
from pmkb.mkdocs_plugin.fragments import RenderedFragments
from pmkb.runtime.chart_jobs import ChartCache, ChartJob, charts_enabled
from pmkb.runtime.collector import collector_paused
from pmkb.runtime.speedups import speedups
from pmkb.site.charts import drawings
from pmkb.site.late_work import SimilarFinder, SimilarFound, SimilarLists
from pmkb.site.pages import Site, build_site, export_files, export_names, site_charts


class PluginState(Protocol):
    """What the preview reads and sets on the plugin (`pmkb.mkdocs_plugin.plugin.PostmortemPlugin`)."""

    config: Any  # the plugin's options
    checker: FileChecker | None
    site: Site | None
    errors_by_file: dict[str, list[Diagnostic]]
    browser_search: BrowserSearch
    svgs: dict[str, str]
    display_prefix: str

    def check_postmortems(
        self,
        refs: list,
        pages: dict[str, File],
        extra: list[Diagnostic],
        config: MkDocsConfig,
        page_dirs: tuple[str, ...],
        saved: set[str] | None = None,
    ) -> Catalog: ...

    def similar_finder(self, config: MkDocsConfig) -> SimilarFinder | None: ...


log = logging.getLogger("mkdocs.plugins.pmkb.preview")

Stamp = tuple[int, int]  # modification time (ns) and size


def stamps(paths: Iterable[str | None]) -> dict[str, Stamp]:
    """Every file below `paths` (files or folders), as MkDocs' watcher sees them; hidden names are skipped, as
    MkDocs leaves them out of the site."""
    found: dict[str, Stamp] = {}

    def stamp(path: str) -> None:
        try:
            status = os.stat(path)
        except OSError:
            return
        found[path] = (status.st_mtime_ns, status.st_size)

    for root in paths:
        if not root:
            continue
        if not os.path.isdir(root):
            stamp(os.path.abspath(root))
            continue
        for folder, folders, names in os.walk(os.path.abspath(root), followlinks=True):
            folders[:] = [name for name in folders if not name.startswith(".")]
            for name in names:
                if not name.startswith("."):
                    stamp(os.path.join(folder, name))
    return found


@dataclass
class Built:
    """What the last full build left, which a partial one reuses."""

    config: MkDocsConfig
    files: Files
    refs: list
    pages: dict[str, File]
    extra: list[Diagnostic]
    page_dirs: tuple[str, ...]
    catalog: Catalog
    own_pages: dict[str, str]  # a generated page's source -> the author's file that serves it
    exports: list[str]  # the names of the exports, files MkDocs copies
    nav: Any = None
    env: Any = None
    similar: SimilarLists = field(default_factory=dict)
    stamps: dict[str, Stamp] | None = None  # set once the build is written: what it was made from
    views: dict[tuple, Any] = field(default_factory=dict)  # postmortem views by what each is made from


class Worker:
    """One thread, one job at a time; a job submitted while another waits replaces it (only the newest matters).
    Each result is handed to `done` (which pokes the server)."""

    def __init__(self, name: str, done: Callable[[], None]) -> None:
        self._done = done
        self._condition = threading.Condition()
        self._job: Callable[[], object] | None = None
        self._results: list[object] = []
        self._stopped = False
        self._busy = False
        # Started by the first job: a process with a thread of its own never forks (pmkb.runtime.forking), and
        # the first build of `mkdocs serve` forks its parsing and late work.
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def submit(self, job: Callable[[], object]) -> None:
        with self._condition:
            self._job = job
            self._condition.notify_all()
        if not self._thread.is_alive():
            self._thread.start()

    def take(self) -> list[object]:
        with self._condition:
            results, self._results = self._results, []
            return results

    def idle(self) -> bool:
        with self._condition:
            return self._job is None and not self._busy

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._job = None
            self._condition.notify_all()

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._job is not None or self._stopped)
                if self._stopped:
                    return
                job, self._job = self._job, None
                self._busy = True
            try:
                result: object = job()  # type: ignore[misc]
            except Exception as error:  # reported by the next rebuild, which falls back to a full build
                result = error
            with self._condition:
                self._busy = False
                if self._stopped:
                    return
                self._results.append(result)
            self._done()


class SavedFragments(RenderedFragments):
    """Rendered rows and chrome kept from save to save. A full build remembers a row by the row it stands for,
    which a save may change; here a row is remembered by what it shows (rows are frozen values), so a listing
    renders again only its changed rows. The chrome depends on the nav and the config, which a save never
    changes."""

    def row_key(self, row) -> object:
        return row


@dataclass(frozen=True)
class ValuesMade:
    """What the values thread made for the catalog of one generation."""

    generation: int
    exports: dict[str, str] | None  # None: the exports did not change
    similar: SimilarFound | None  # None: the site shows no similar incidents


class Preview:
    """The served site kept up to date by re-rendering what a save changed (see the module's docstring)."""

    def __init__(self, plugin: PluginState) -> None:
        self.plugin = plugin
        self.server: Any = None
        self.built: Built | None = None
        self.starting: dict[str, Stamp] | None = None
        self.generation = 0  # bumped by every change applied, and by every full build
        self.builds = 0  # full builds: a search index made before the last one is never swapped in
        self.reindexed = 0  # search indexes made again: each in a folder of its own
        self.exports_due = False  # a value changed since the exports were written
        self.poked = False  # a thread asked for a rebuild
        self.values = Worker("pmkb-preview-values", self._poke)
        self.search = Worker("pmkb-preview-search", self._poke)

    # -- the full build, as the plugin's events see it ----------------------------------------------------------

    def build_started(self, config: MkDocsConfig) -> None:
        """Stamps taken before MkDocs reads a file: a save during the build is seen by the next rebuild."""
        gc.unfreeze()  # the previous build's objects, frozen by build_finished, may be garbage now
        self.built = None
        self.generation += 1
        self.builds += 1
        self.exports_due = False
        self.starting = stamps(self.watched(config))

    def build_finished(self) -> None:
        if self.built is not None and self.built.nav is not None and self.built.env is not None:
            self.built.stamps = self.starting
        # What the build made stays alive until the next full build: frozen, the collections that saves cause
        # never walk it (at 1,000 postmortems they took a third of a front-matter save).
        gc.collect()
        gc.freeze()

    def build_failed(self) -> None:
        self.built = None

    @staticmethod
    def watched(config: MkDocsConfig) -> list[str | None]:
        return [config.docs_dir, config.config_file_path, *config.watch]

    # -- a save -------------------------------------------------------------------------------------------------

    def attach(self, server: Any, builder: Callable[..., None]) -> Callable[..., None]:
        """The builder `mkdocs serve` calls on every change: this preview's, falling back to MkDocs' own."""
        self.server = server

        def rebuild(config: MkDocsConfig | None = None) -> None:
            if config is None and self.rebuild():
                return
            builder(config)

        return rebuild

    def rebuild(self) -> bool:
        """Bring the served site up to date; False when it takes a full build."""
        built = self.built
        if built is None or built.stamps is None or built.nav is None or built.env is None:
            return False
        try:
            with collector_paused():
                return self._rebuild(built)
        except Exception as error:  # whatever went wrong, MkDocs' own build makes the site right
            log.info(f"pmkb: the preview builds the whole site again ({type(error).__name__}: {error})")
            return False

    def _rebuild(self, built: Built) -> bool:
        assert built.stamps is not None
        poked, self.poked = self.poked, False
        now = stamps(self.watched(built.config))
        if now.keys() != built.stamps.keys():
            return False  # a file added, deleted or renamed
        changed = [path for path, stamp in now.items() if built.stamps[path] != stamp]
        results = self.values.take(), self.search.take()
        if not changed and not any(results):
            # Asked by a thread whose result an earlier rebuild took: nothing to do. Otherwise something MkDocs
            # watches and this preview does not changed (the theme, with --watch-theme).
            return poked
        src_uris = self._postmortems(built, changed)
        if src_uris is None:
            return False
        if src_uris:
            built.stamps = now
            if not self._saved(built, src_uris):
                return False
        if not self._collected(built, *results):
            return False
        self._start_search(built)
        return True

    def _postmortems(self, built: Built, changed: list[str]) -> set[str] | None:
        """The source URIs of the changed files, if every one is a postmortem page of the served site."""
        docs = os.path.abspath(built.config.docs_dir)
        known = {ref.src_uri for ref in built.refs}
        src_uris = set()
        for path in changed:
            if not path.startswith(docs + os.sep):
                return None
            src_uri = Path(os.path.relpath(path, docs)).as_posix()
            if not is_postmortem(src_uri, built.page_dirs):
                return None
            file = built.files.get_file_from_path(src_uri)
            if src_uri not in known or file is None or file.page is None or src_uri in built.own_pages.values():
                return None
            src_uris.add(src_uri)
        return src_uris

    def _saved(self, built: Built, src_uris: set[str]) -> bool:
        """Postmortems saved: check them, re-render what shows them, and start what no page waits for."""
        plugin = self.plugin
        previous, served = built.catalog, plugin.site
        previous_errors = plugin.errors_by_file
        # A body edit: each saved file parses to what it did (values, positions, problems), so the catalog and
        # every page but the saved ones are as served. Checked file by file, without the catalog's walk of all.
        assert plugin.checker is not None
        saved = [ref for ref in built.refs if ref.src_uri in src_uris]
        before = [plugin.checker.cached(ref) for ref in saved]
        after = plugin.checker.check_all(saved)
        if all(old is not None and old == new for old, new in zip(before, after, strict=True)):
            self.generation += 1  # similar incidents read the bodies
            self._render(built, src_uris, src_uris)
            self._start_values(built, built.catalog)
            return True
        catalog = plugin.check_postmortems(
            built.refs, built.pages, built.extra, built.config, built.page_dirs, saved=src_uris
        )
        built.catalog = catalog
        self.generation += 1
        errors_changed = {
            src_uri
            for src_uri in previous_errors.keys() | plugin.errors_by_file.keys()
            if [d.as_text() for d in previous_errors.get(src_uri, ())]
            != [d.as_text() for d in plugin.errors_by_file.get(src_uri, ())]
        }
        values_changed = previous.postmortems != catalog.postmortems
        render = src_uris | errors_changed
        if values_changed:
            site = self._site(built, catalog)
            if served is None or not self._same_pages(built, served, site, catalog):
                return False
            render |= _differing(served, site)
            plugin.site = site
        plugin.browser_search.catalog = catalog
        self._render(built, render, src_uris)
        self.exports_due = self.exports_due or values_changed
        self._start_values(built, catalog)
        return True

    def _collected(self, built: Built, values: list[object], search: list[object]) -> bool:
        """Write what the threads made, when it is still about the served site."""
        plugin = self.plugin
        for result in values:
            if isinstance(result, Exception):
                raise result
            assert isinstance(result, ValuesMade)
            if result.generation != self.generation:
                continue  # made for a catalog since replaced: a newer job is on its way
            if result.exports is not None:
                for name, content in result.exports.items():
                    target = Path(built.config.site_dir, name)
                    data = content.encode("utf-8")
                    if not target.exists() or target.read_bytes() != data:
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(data)
                # the explorer's rows and their search ids change together
                plugin.browser_search.follow(built.catalog, built.config.site_dir)
                self.exports_due = False
            if result.similar is not None:
                if result.similar.error is not None:
                    log.warning(f"similar incidents left out: {result.similar.error}")
                if result.similar.similar != built.similar and plugin.site is not None:
                    built.similar = result.similar.similar
                    site = self._site(built, built.catalog)
                    if not self._same_pages(built, plugin.site, site, built.catalog):
                        return False
                    render = _differing(plugin.site, site)
                    plugin.site = site
                    self._render(built, render)
        for result in search:
            if isinstance(result, Exception):
                log.warning(f"the browser search index was not made again: {result}")
                continue
            assert isinstance(result, tuple)
            generation, reindexed = result
            assert isinstance(reindexed, Reindexed)
            if generation == self.builds and reindexed.generation > plugin.browser_search.served_generation:
                plugin.browser_search.swap(reindexed, built.config.site_dir)
                log.info(f"pmkb: browser search: the index of {len(reindexed.ids)} pages is up to date")
            else:
                shutil.rmtree(reindexed.folder, ignore_errors=True)
        return True

    # -- steps --------------------------------------------------------------------------------------------------

    def _site(self, built: Built, catalog: Catalog) -> Site:
        plugin = self.plugin
        charts = site_charts(catalog, include_drafts=plugin.config.drafts)
        site = build_site(
            catalog,
            include_drafts=plugin.config.drafts,
            directory_urls=built.config.use_directory_urls,
            content_folder=plugin.display_prefix.rstrip("/") or Path(built.config.docs_dir).name,
            charts=charts,
            views=built.views,
        )
        for generated, own in built.own_pages.items():
            site.serve_from(generated, own)
        site.add_similar(built.similar)
        return site

    def _same_pages(self, built: Built, served: Site, site: Site, catalog: Catalog) -> bool:
        """Whether the new registry has the served site's pages and files: a page or an export that comes or goes
        (a new facet value, a postmortem turned draft) changes the nav or MkDocs' files, which a full build makes."""
        if [r.src_uri for r in served.generated()] != [r.src_uri for r in site.generated()]:
            return False
        # A postmortem with no record (too broken for one) is built, with its errors.
        for src_uri in {r.src_uri for r in served.postmortems()} | {r.src_uri for r in site.postmortems()}:
            old, new = served.page(src_uri), site.page(src_uri)
            if (old is None or old.built) != (new is None or new.built):
                return False
        return export_names(catalog, include_drafts=self.plugin.config.drafts) == built.exports

    def _render(self, built: Built, src_uris: set[str], converted: Collection[str] = ()) -> None:
        """Write these pages again, as MkDocs' build does, with the charts they show drawn first; `converted`: the
        saved files, whose Markdown is converted again."""
        plugin = self.plugin
        site = plugin.site
        if site is not None and charts_enabled(plugin.config.charts):
            charts = [chart for src_uri in src_uris if (record := site.page(src_uri)) for chart in record.charts]
            if charts:
                cache = Path(built.config.config_file_path or "mkdocs.yml").parent / ".cache" / "pmkb" / "charts"
                try:
                    plugin.svgs.update(ChartJob(drawings(charts), ChartCache(cache)).result())
                except Exception as error:  # the engine is a separate program: its failure costs the chart only
                    log.warning(f"charts left out: {type(error).__name__}: {error}")
        config, files = built.config, built.files
        if not isinstance(built.env.globals.get("pmkb_fragments"), SavedFragments):
            built.env.globals["pmkb_fragments"] = SavedFragments(reuse_rows=speedups().rows)
        doc_files = files.documentation_pages(inclusion=InclusionLevel.is_in_serve)
        for src_uri in sorted(src_uris):
            file = files.get_file_from_path(src_uri)
            if file is None or file.page is None or not file.inclusion.is_in_serve():
                continue
            # Another postmortem's page that shows a changed value (a similar incident's title) keeps its converted
            # Markdown: only its template is rendered again. A saved file, or a page pmkb writes, is converted.
            if src_uri in converted or file.page.content is None or file.inclusion.is_excluded() or file.generated_by:
                plugin.browser_search.forget(src_uri)
                _populate_page(file.page, config, files)
            _build_page(file.page, config, doc_files, built.nav, built.env, excluded=file.inclusion.is_excluded())
        log.info(f"pmkb: {len(src_uris)} page{'s' * (len(src_uris) != 1)} rendered again")

    def _start_values(self, built: Built, catalog: Catalog) -> None:
        """Exports (when a value changed since they were last written) and similar incidents, on a thread."""
        plugin = self.plugin
        exports = self.exports_due
        generation = self.generation
        config = built.config
        finder = plugin.similar_finder(config)

        def make() -> ValuesMade:
            made = (
                export_files(
                    catalog,
                    include_drafts=plugin.config.drafts,
                    directory_urls=config.use_directory_urls,
                    site_name=config.site_name,
                    site_url=config.site_url or "",
                )
                if exports
                else None
            )
            return ValuesMade(generation, made, finder(catalog) if finder is not None else None)

        if exports or finder is not None:
            self.values.submit(make)

    def _start_search(self, built: Built) -> None:
        search = self.plugin.browser_search
        if not search.stale() or not self.search.idle():
            return
        # The documents are read here, on the thread that changes them; the index is made on the other.
        self.reindexed += 1
        builds, folder = self.builds, self.scratch(built.config, self.reindexed)
        documents, generation = search.kept()
        log.info(f"pmkb: browser search: the index of {len(documents)} pages is being made again")
        self.search.submit(lambda: (builds, search.reindex(folder, documents, generation)))

    @staticmethod
    def scratch(config: MkDocsConfig, number: int | str) -> Path:
        """Where the search index is made again: beside the site (one rename away), never served."""
        site = Path(config.site_dir).resolve()
        return site.with_name(f"{site.name}.pmkb-search-{number}")

    def idle(self) -> bool:
        """Nothing left to make on a thread (for tests and benchmarks)."""
        return self.values.idle() and self.search.idle()

    def _poke(self) -> None:
        """Ask the server for a rebuild, as its watcher does on a change: the rebuild writes the threads' work."""
        server = self.server
        condition = getattr(server, "_rebuild_cond", None)
        if condition is None:
            return
        self.poked = True
        with condition:
            server._want_rebuild = True
            condition.notify_all()

    def stop(self) -> None:
        self.values.stop()
        self.search.stop()
        if self.built is not None:
            for folder in self.scratch(self.built.config, "*").parent.glob(self.scratch(self.built.config, "*").name):
                shutil.rmtree(folder, ignore_errors=True)


def _differing(served: Site, site: Site) -> set[str]:
    """The pages whose record (title, view: everything the page shows of the postmortems) is not the served one."""
    changed = {src_uri for src_uri, record in site.records.items() if served.records.get(src_uri) != record}
    return changed | (served.records.keys() - site.records.keys())
