"""The MkDocs adapter: feeds MkDocs' files to the core and the core's pages back to MkDocs.

Events run in MkDocs' order: startup -> config -> files -> (nav) -> page_markdown -> page_context. Everything
that decides *what* a page shows lives in the core and the site layer: `pmkb.site.pages` describes every page as a
record (title, view, template, nav, search); the page events here look a page's record up and hand it to MkDocs.
"""

from __future__ import annotations

import gc
import html
import os
from datetime import date
from functools import partial
from pathlib import Path

from mkdocs.commands.build import _populate_page
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink
from mkdocs.utils import get_relative_url

from pmkb.core.catalog import (
    Catalog,
    FileChecker,
    build_catalog,
    discover,
    is_postmortem,
    reserved_problem,
)
from pmkb.core.custom_fields import with_custom_fields
from pmkb.core.diagnostics import Diagnostic
from pmkb.core.files import dest_path, dropped_in_folder, stem
from pmkb.core.options import Options, normalize_page_dirs
from pmkb.core.source import read_body
from pmkb.core.taxonomy import load_taxonomy
from pmkb.core.text import escaped
from pmkb.core.today import TodayError, today_from_environment
from pmkb.core.yaml_positions import ValueLimitError, value_limit
from pmkb.mkdocs_plugin.browser_search import BrowserSearch, PagefindError
from pmkb.mkdocs_plugin.fragments import ChromeKeys, RenderedFragments, overridden_chrome
from pmkb.mkdocs_plugin.preview import Built, Preview
from pmkb.mkdocs_plugin.sections import split_after_section
from pmkb.runtime.chart_jobs import ChartCache, ChartJob, charts_enabled
from pmkb.runtime.collector import collector_paused
from pmkb.runtime.forking import Deferred
from pmkb.runtime.speedups import SpeedupsError, speedups
from pmkb.runtime.tempfiles import make_temp_folder, remove_temp_folder
from pmkb.site.charts import drawings
from pmkb.site.late_work import ExportSettings, SimilarFinder, SimilarFound, late_work
from pmkb.site.pages import (
    FEED_NAME,
    POSTMORTEM_TEMPLATE,
    PageRecord,
    Site,
    SiteCharts,
    build_site,
    export_names,
    site_charts,
)
from pmkb.site.views import PostmortemView, TocEntry

log = get_plugin_logger(__name__)

MAX_ERRORS_SHOWN = 200


_DEFAULTS = Options()


class _WholeNumber(c.Type):
    """An int that is not a bool: YAML's `true` is an int to Python, and `similar: true` is surely a mistake
    (the command line refuses it too, so lint and build agree)."""

    def run_validation(self, value: object) -> object:
        if isinstance(value, bool):
            raise c.ValidationError(f"Expected a whole number, not {value!r}")
        return super().run_validation(value)


class PostmortemPluginConfig(Config):
    """MkDocs' view of `pmkb.core.options.Options`: same names, defaults and types (a test compares them)."""

    enabled = c.Type(bool, default=_DEFAULTS.enabled)
    taxonomy = c.Optional(c.Type((str, dict)))
    fields = c.Optional(c.Type(dict))
    pages = c.ListOfItems(c.Type(str), default=list(_DEFAULTS.pages))
    drafts = c.Type(bool, default=_DEFAULTS.drafts)
    similar = _WholeNumber(int, default=_DEFAULTS.similar)
    charts = c.Type(bool, default=_DEFAULTS.charts)
    search_index_pages = _WholeNumber(int, default=_DEFAULTS.search_index_pages)


TEMPLATES = Path(__file__).parent / "templates"
# Browser search on every page: the header box, and what the explorer shares with it (in TEMPLATES/assets/).
SEARCH_STYLESHEET = "assets/stylesheets/pmkb-search.css"
SEARCH_SCRIPT = "assets/javascripts/pmkb/search.js"  # an ES module: it imports its neighbours


class PostmortemPlugin(BasePlugin[PostmortemPluginConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.is_serve = False
        self.checker: FileChecker | None = None
        self.site: Site | None = None  # the page registry: every page's record, looked up by the page events
        self.errors_by_file: dict[str, list[Diagnostic]] = {}
        self.taxonomy_diagnostics: list[Diagnostic] = []
        self.display_prefix = ""
        self.chrome_keys: ChromeKeys | None = None
        self.late: Deferred[SimilarFound] | None = None
        self.today = date.today()  # set from the environment in on_config, where an error can be reported
        self.export_folder: str | None = None  # where the exports are written, until MkDocs copies them
        self.browser_search = BrowserSearch()
        self.pagefind_version = ""  # of the binary indexing the current build, for the build log
        self.svgs: dict[str, str] = {}  # chart key -> inline SVG, filled in as the chart jobs are collected
        self.chart_jobs: dict[str, ChartJob] = {}  # "home", "values": drawn while the build goes on
        self.pending_charts: tuple[SiteCharts, Path] | None = None  # made in on_files, started in on_nav
        self.feed_link = ""
        self.dirty = False  # `--dirty`: MkDocs converts only the pages whose file is newer than their HTML
        self.preview: Preview | None = None  # `mkdocs serve`: a save re-renders what it changed
        self.toc_added: dict[str, list[AnchorLink]] = {}  # under the preview: the headings a page's toc was given

    # -- MkDocs events, in the order MkDocs calls them ---------------------------------------------------------

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.is_serve = command == "serve"
        self.dirty = dirty
        if self.preview is not None:
            self.preview.stop()
        self.preview = Preview(self) if self.is_serve else None
        self.browser_search.keep_documents = self.preview is not None

    def on_serve(self, server, *, config: MkDocsConfig, builder):
        """The server's builder becomes the preview's: a saved postmortem re-renders what shows it (see
        pmkb.mkdocs_plugin.preview); anything else is MkDocs' own full build."""
        if self.preview is None or not self.config.enabled:
            return server
        others = [name for name in config.plugins if name != "pmkb"]
        if others:
            # Another plugin may depend on every page of a build (MkDocs' search writes one index of them all).
            log.info(
                f"every save builds the whole site: the preview re-renders pages alone with no plugin but pmkb "
                f"(here also: {', '.join(others)})"
            )
            return server
        server.builder = self.preview.attach(server, builder)
        return server

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if not self.config.enabled:
            # MkDocs keeps plugin instances across builds in one process (`mkdocs serve`, tests): drop what an
            # earlier, enabled build left, so that no page of this build is given pmkb's views or templates.
            self.site, self.errors_by_file, self.chrome_keys = None, {}, None
            return config
        if self.preview is not None:
            self.preview.build_started(config)
        try:
            speedups()
            value_limit()
            self.today = today_from_environment()
        except (SpeedupsError, TodayError, ValueLimitError) as error:
            raise PluginError(f"pmkb: {error}") from None
        _check_theme_and_search(config)
        project_root = Path(config.config_file_path or ".").parent
        taxonomy, self.taxonomy_diagnostics, taxonomy_file = load_taxonomy(
            self.config.taxonomy, project_root, Path(config.config_file_path or "mkdocs.yml").name
        )
        taxonomy, field_diagnostics = with_custom_fields(taxonomy, self.config.fields, config.config_file_path)
        self.taxonomy_diagnostics += field_diagnostics
        if taxonomy_file is not None and str(taxonomy_file) not in config.watch:
            config.watch.append(str(taxonomy_file))  # `mkdocs serve` rebuilds when the taxonomy changes
        if self.checker is None:
            self.checker = FileChecker(taxonomy)
        else:
            self.checker.set_taxonomy(taxonomy)
        # pmkb's templates and stylesheet ship in this package: appended to the theme's search path (as MkDocs'
        # own search plugin does), so a project's custom_dir and the theme itself still come first.
        if str(TEMPLATES) not in config.theme.dirs:
            config.theme.dirs.append(str(TEMPLATES))
        # Pagefind replaces Material's search: the box in the header, and the explorer at /search/.
        if SEARCH_STYLESHEET not in config.extra_css:
            config.extra_css.append(SEARCH_STYLESHEET)
        if SEARCH_SCRIPT not in (str(script) for script in config.extra_javascript):
            script = c.ExtraScriptValue(SEARCH_SCRIPT)
            script.type = "module"
            config.extra_javascript.append(script)
        if not config.site_url:
            # MkDocs then writes a sitemap.xml without a single URL, silently; the feed's links are relative.
            log.info("site_url is not set: sitemap.xml lists no pages and the Atom feed's links are relative")
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        if not self.config.enabled:
            return files
        # No garbage collection while the catalog and views are built: they are hundreds of thousands of new
        # objects that all stay alive, so every collection would walk them for nothing (about a third of this
        # step at 5,000 postmortems).
        with collector_paused():
            files = self._add_postmortems(files, config)
        # The catalog and views stay alive for the whole build. Without this, every collection of the oldest
        # generation (frequent while Markdown is converted) walks them again: measured at 1,000 postmortems, the
        # Markdown step took 8.2 s instead of 5.6 s. Unfrozen after the build so `mkdocs serve` can free them.
        # While frozen, cyclic garbage of any module stays until the build ends (see pmkb.runtime.speedups).
        if speedups().freeze:
            gc.freeze()
        return files

    def _add_postmortems(self, files: Files, config: MkDocsConfig) -> Files:
        """Check every postmortem, report, and add the generated pages and exports to `files`."""
        page_dirs = normalize_page_dirs(self.config.pages)
        self.display_prefix = _display_prefix(config)
        pages, refs, extra = self._exclude_unreadable(files, config, page_dirs)
        catalog = self.check_postmortems(refs, pages, extra, config, page_dirs)
        self._start_late_work(catalog, config)
        charts = site_charts(catalog, include_drafts=self.config.drafts)
        self._prepare_charts(charts, config)
        try:
            binary = self.browser_search.start(
                catalog,
                include_drafts=self.config.drafts,
                directory_urls=config.use_directory_urls,
                site_dir=config.site_dir,
                project_root=Path(config.config_file_path or "mkdocs.yml").parent,
                other_pages=sum(1 for src_uri in pages if not is_postmortem(src_uri, page_dirs)),
                pages_per_index=self.config.search_index_pages,
            )
        except PagefindError as error:
            raise PluginError(f"pmkb: the browser search index cannot be built: {error}") from None
        self.pagefind_version = binary.version
        for skipped in binary.skipped:
            log.info(f"browser search: passed over {skipped}")
        log.info(f"browser search: indexing with {binary.describe()}")
        views: dict[tuple, PostmortemView] | None = {} if self.preview is not None else None  # kept for saves
        self.site = build_site(
            catalog,
            include_drafts=self.config.drafts,
            directory_urls=config.use_directory_urls,
            content_folder=self.display_prefix.rstrip("/") or Path(config.docs_dir).name,
            charts=charts,
            views=views,
        )
        _place_postmortems(files, refs, self.site, page_dirs)
        own_pages = self._add_generated_files(files, catalog, config)
        if self.preview is not None:
            exports = export_names(catalog, include_drafts=self.config.drafts)
            self.preview.built = Built(
                config, files, refs, pages, extra, page_dirs, catalog, own_pages, exports, views=views or {}
            )
        if config.nav is None:
            config.nav = self._default_nav(files, page_dirs)
        return files

    def _exclude_unreadable(
        self, files: Files, config: MkDocsConfig, page_dirs: tuple[str, ...]
    ) -> tuple[dict[str, File], list, list[Diagnostic]]:
        """The pages MkDocs will build, the catalog's references to them, and the problems of the walk.

        Pages the walk cannot read (a bad link or name, a named pipe, below a link to outside the content folder)
        and postmortems at reserved URLs are excluded from the build; the catalog reports them."""
        prefix = self.display_prefix
        # The same walk as `pmkb lint` (so both judge the same files), kept to the pages MkDocs will build.
        pages = {
            file.src_uri: file
            for file in files
            # MkDocs' draft_docs (DRAFT) count: `mkdocs serve` builds them, and `pmkb lint` checks them too
            if file.is_documentation_page()
            and file.abs_src_path is not None
            and file.inclusion is not InclusionLevel.EXCLUDED
        }
        found, link_diagnostics = discover(Path(config.docs_dir), prefix, excluded=lambda relative: False)
        # README.md beside index.md: MkDocs dropped it from `files` already; the catalog still sees it, so that a
        # runbook link to it is reported as `pmkb lint` reports it.
        dropped = dropped_in_folder({ref.src_uri for ref in found} & (pages.keys() | _readmes(found)))
        refs = [ref for ref in found if ref.src_uri in pages or ref.src_uri in dropped]
        extra = list(self.taxonomy_diagnostics)
        # Problems of files MkDocs would publish (pages, and `x.MD` copied as a plain file); paths compared as the
        # diagnostics spell them (a name that is not UTF-8 is escaped there).
        published = {escaped(file.src_uri) for file in files if not file.inclusion.is_excluded()}
        extra.extend(d for d in link_diagnostics if d.path[len(prefix) :] in published)
        known = {ref.src_uri for ref in refs}
        for src_uri, file in pages.items():
            if src_uri not in known:
                file.inclusion = InclusionLevel.EXCLUDED
        for ref in refs:
            if is_postmortem(ref.src_uri, page_dirs) and reserved_problem(ref.src_uri, config.use_directory_urls):
                pages[ref.src_uri].inclusion = InclusionLevel.EXCLUDED  # reported by the catalog; never shadowed
        return pages, refs, extra

    def check_postmortems(
        self,
        refs: list,
        pages: dict[str, File],
        extra: list[Diagnostic],
        config: MkDocsConfig,
        page_dirs: tuple[str, ...],
        saved: set[str] | None = None,
    ) -> Catalog:
        """The catalog of every postmortem, its problems reported (a build fails on an error, serve shows it).
        `saved`: the preview's saved files, whose problems alone are said again (all are shown on their pages)."""
        assert self.checker is not None
        catalog = build_catalog(
            refs,
            checker=self.checker,
            page_dirs=page_dirs,
            today=self.today,
            extra_diagnostics=extra,
            directory_urls=config.use_directory_urls,
            # MkDocs' own draft_docs: served, never built, so never listed or linked
            unbuilt={src_uri for src_uri, file in pages.items() if file.inclusion is InclusionLevel.DRAFT},
            include_drafts=self.config.drafts,
        )
        self._report(catalog.diagnostics, saved)
        return catalog

    def _start_late_work(self, catalog: Catalog, config: MkDocsConfig) -> None:
        """The exports and similar incidents (a second or more on a cold cache at 1,000 postmortems) are made on
        another core while this one builds the views and MkDocs converts the Markdown; on_env collects them,
        before the first page is written."""
        self._drop_late_work()  # a previous build's, never collected (only if MkDocs skipped on_env and on_build_error)
        self.export_folder = make_temp_folder("pmkb-exports-")  # removed even on SIGTERM (pmkb.runtime.tempfiles)
        finder = self.similar_finder(config)
        settings = ExportSettings(
            include_drafts=self.config.drafts,
            directory_urls=config.use_directory_urls,
            site_name=config.site_name,
            site_url=config.site_url or "",
        )
        self.late = Deferred(
            partial(late_work, catalog, export_folder=self.export_folder, settings=settings, find_similar=finder)
        )

    def similar_finder(self, config: MkDocsConfig) -> SimilarFinder | None:
        """Similar incidents of a catalog, or None when the site shows none (option `similar: 0`)."""
        if self.config.similar <= 0:
            return None
        return partial(_find_similar, Path(config.config_file_path or "mkdocs.yml").parent, self.config.similar)

    def _prepare_charts(self, charts: SiteCharts, config: MkDocsConfig) -> None:
        """Specs and text alternatives are made with the pages; drawing them (about 50 ms a chart) starts in
        on_nav: after the fork of the late work (the engine is a process of its own, never forked), and after the
        collector's freeze at the end of on_files (starting a process leaves a little cyclic garbage)."""
        self._stop_charts()
        self.svgs.clear()
        project_root = Path(config.config_file_path or "mkdocs.yml").parent
        self.pending_charts = (
            (charts, project_root / ".cache" / "pmkb" / "charts") if charts_enabled(self.config.charts) else None
        )

    def _add_generated_files(self, files: Files, catalog: Catalog, config: MkDocsConfig) -> dict[str, str]:
        """The pages pmkb generates, and the exports, as MkDocs files. Returns the generated pages an author's
        own file serves: generated source -> the author's."""
        assert self.site is not None and self.export_folder is not None
        # An author's own page where pmkb generates one keeps its text on top: found by where MkDocs writes it,
        # so that `README.md` counts as `index.md` (two files for one URL would replace each other).
        own_pages = {
            dest_path(file.src_uri, config.use_directory_urls): file.src_uri
            for file in files.documentation_pages()
            if not file.inclusion.is_excluded()
        }
        served_by_own: dict[str, str] = {}
        for record in self.site.generated():
            own = own_pages.get(dest_path(record.src_uri, config.use_directory_urls))
            if own is not None:
                self.site.serve_from(record.src_uri, own)
                served_by_own[record.src_uri] = own
                continue
            left_out = files.get_file_from_path(record.src_uri)  # excluded by the author (exclude_docs): ours instead
            if left_out is not None:
                files.remove(left_out)
            inclusion = InclusionLevel.INCLUDED if record.in_nav else InclusionLevel.NOT_IN_NAV
            files.append(File.generated(config, record.src_uri, content="", inclusion=inclusion))
        # Backed by files the late work writes (the exports of 5,000 postmortems are 13 MB that this process never
        # holds); MkDocs copies them after on_env, once that work is collected.
        for name in export_names(catalog, include_drafts=self.config.drafts):
            files.append(File.generated(config, name, abs_src_path=os.path.join(self.export_folder, name)))
        return served_by_own

    def on_nav(self, nav, *, config: MkDocsConfig, files: Files):
        if not self.config.enabled:
            return nav
        if self.preview is not None and self.preview.built is not None:
            self.preview.built.nav = nav
        if self.pending_charts is not None:
            # Two jobs: the home page's few charts are ready early; the facet pages, rendered last, wait for the
            # rest, which the engine draws on the second core while MkDocs converts the Markdown.
            charts, cache_dir = self.pending_charts
            self.pending_charts = None
            cache = ChartCache(cache_dir)
            self.chart_jobs = {
                "home": ChartJob(drawings(charts.home), cache),
                "values": ChartJob(drawings(c for value in charts.by_value.values() for c in value), cache),
            }
        if not speedups().chrome:
            self.chrome_keys = None
            return nav
        replaced = overridden_chrome(config.theme.custom_dir, config.theme.dirs)
        if replaced:
            self.chrome_keys = None
            log.info(
                "the theme's own %s replaces Material's: every page renders its own header, footer and sidebar",
                ", ".join(replaced),
            )
            return nav
        # Every site-relative link Material's chrome holds besides the nav's: the keys must tell them all apart.
        homepage = getattr(nav.homepage, "url", "")
        extra = dict(config.extra or {})
        links = (
            homepage,
            config.theme.get("logo"),
            extra.get("homepage"),
            *(alternate.get("link") for alternate in extra.get("alternate") or () if isinstance(alternate, dict)),
            *(str(script) for script in (*config.extra_javascript, *(extra.get("polyfills") or ()))),
        )
        self.chrome_keys = ChromeKeys(nav, extra_urls=tuple(link for link in links if isinstance(link, str)))
        return nav

    def on_env(self, env, *, config: MkDocsConfig, files: Files):
        if not self.config.enabled:
            return env
        self._collect_late_work()
        if self.dirty:
            self._convert_unchanged_pages(config, files)
        # Every page's Markdown is converted and queued: Pagefind writes its index while MkDocs renders.
        self.browser_search.write()
        # Escape every value in pmkb's own templates (and only there: Material's expect raw HTML strings).
        previous = env.autoescape

        def autoescape(name: str | None) -> bool:
            if name and name.startswith("pmkb/"):
                return True
            return previous(name) if callable(previous) else bool(previous)

        env.autoescape = autoescape
        env.globals["pmkb_fragments"] = RenderedFragments(reuse_rows=speedups().rows)
        env.globals["pmkb_svgs"] = self.svgs
        env.filters["pmkb_split_after_section"] = split_after_section
        if self.preview is not None and self.preview.built is not None:
            self.preview.built.env = env
        return env

    def on_page_read_source(self, *, page: Page, config: MkDocsConfig) -> str | None:
        """A postmortem's Markdown body alone: its front matter was parsed in on_files already.

        MkDocs would parse it a second time (with PyYAML's pure-Python loader, about a third of a millisecond a
        page) only for on_page_markdown to replace that meta with ours. The body is handed over after a blank
        line, which MkDocs reads as "no metadata" (neither a YAML fence nor a MultiMarkdown header), and it is
        split with MkDocs' own rules (pmkb.core.source), so the page gets exactly the Markdown it would have got.
        """
        src_uri = page.file.src_uri
        record = self._record(src_uri)
        has_view = record is not None and record.authored
        broken = src_uri in self.errors_by_file and is_postmortem(src_uri, normalize_page_dirs(self.config.pages))
        if not (has_view or broken) or page.file.abs_src_path is None:
            return None
        try:
            raw = Path(page.file.abs_src_path).read_bytes()
        except OSError:
            return None  # MkDocs reads it again and reports the error its own way
        body = read_body(raw, src_uri)
        if body is None and broken:
            # `mkdocs serve` with a byte that is not UTF-8: MkDocs' own read would raise and fail the whole
            # rebuild (no page would answer); the error banner says what is wrong, over the readable rest.
            body = read_body(raw.decode("utf-8-sig", errors="replace").encode("utf-8"), src_uri)
        return None if body is None else "\n" + body

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        src_uri = page.file.src_uri
        record = self._record(src_uri)
        errors = self.errors_by_file.get(src_uri)
        if (record is not None and record.authored) or (
            errors and is_postmortem(src_uri, normalize_page_dirs(self.config.pages))
        ):
            # Replace the author's meta whole: Material reads keys such as `template`, `hide` or `status`
            # from it and prints `title` unescaped, so only values we set and escaped reach the theme.
            page.meta = {
                "title": html.escape(record.title if record else Path(src_uri).stem),
                "description": html.escape(record.description if record else ""),
                "template": record.template if record else POSTMORTEM_TEMPLATE,
            }
            page.title = page.meta["title"]
        elif record is not None:
            page.meta = {**page.meta, "template": record.template}
            if record.full_width:
                page.meta["hide"] = ["toc"]
            if record.names_page:
                page.meta["title"] = html.escape(record.title)
                page.title = page.meta["title"]
            if not record.indexed:
                page.meta["search"] = {"exclude": True}  # search finds the postmortem, not ten lists of it
        return markdown

    def on_page_context(self, context, *, page: Page, config: MkDocsConfig, nav):
        src_uri = page.file.src_uri
        record = self._record(src_uri)
        if record is not None:
            context["pmkb"] = record.view
            if record.charts:
                self._collect_charts("home" if self.site and record.view is self.site.home else "values")
            # The headings pmkb's templates add (action items, related incidents, dashboard sections) belong in
            # the table of contents as much as the author's own.
            # Material lists the children of a leading h1 as the page's contents: ours go where it looks.
            # An entry that joins the author's own section (their "Action items") is listed under that heading.
            authored = {item.id for item in _toc_items(page.toc.items)}
            extra = [_anchor(entry) for entry in record.toc if not entry.within or entry.within not in authored]
            items = page.toc.items
            target = items[0].children if items and items[0].level == 1 else items
            # The preview renders a page again without converting its Markdown: the headings added last time go.
            added = {id(anchor) for anchor in self.toc_added.pop(src_uri, ())}
            target[:] = [anchor for anchor in target if id(anchor) not in added]
            target.extend(extra)
            if self.preview is not None:
                self.toc_added[src_uri] = extra
        errors = self.errors_by_file.get(src_uri)
        if errors:
            context["pmkb_errors"] = [d.as_text() for d in errors]
        if self.chrome_keys is not None:
            context["pmkb_chrome_key"] = self.chrome_keys.key(page)
        return context

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        src_uri = page.file.src_uri
        record = self._record(src_uri)
        # A postmortem too broken for a record (`mkdocs serve` shows it with its errors) is never indexed.
        if record is not None or not is_postmortem(src_uri, normalize_page_dirs(self.config.pages)):
            self.browser_search.page(src_uri, page.title or "", html, record)
        return html

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        """Every page's head links the Atom feed, so that a reader or a chat tool finds it from any page."""
        link = (
            f'<link rel="alternate" type="application/atom+xml" title="{html.escape(config.site_name)}" '
            f'href="{html.escape(get_relative_url(FEED_NAME, page.url))}">'
        )
        head_end = output.find("</head>")
        return output if head_end < 0 else f"{output[:head_end]}{link}\n{output[head_end:]}"

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        gc.unfreeze()
        if self.preview is not None:
            self.preview.build_finished()
        if self.chart_jobs:
            for name in list(self.chart_jobs):
                self._collect_charts(name)
            jobs = list(self.chart_jobs.values())
            if jobs[0].cache is not None:
                jobs[0].cache.prune(set().union(*(job.names for job in jobs)))
                if jobs[0].cache.notice:  # information: a cache costs time, never a chart or a strict build
                    log.info(jobs[0].cache.notice)
            self.chart_jobs = {}
        self._remove_export_folder()
        try:
            stats = self.browser_search.finish(config.site_dir)
        except PagefindError as error:
            if not self.is_serve:
                raise PluginError(f"pmkb: the browser search index was not written: {error}") from error
            log.error(f"the browser search index was not written: {error}")
            return
        if stats is not None:  # benchmarks/search_browser.py reads this line
            log.info(
                f"browser search: Pagefind {self.pagefind_version} indexed {stats.pages} pages "
                f"({stats.cpu_seconds:.2f} s CPU, "
                f"peak {stats.peak_mb:.0f} MB); the build waited {stats.waited_seconds:.2f} s for it"
            )

    def on_build_error(self, *, error: Exception) -> None:
        gc.unfreeze()
        if self.preview is not None:
            self.preview.build_failed()
        self._drop_late_work()
        self.browser_search.cancel()
        self._stop_charts()

    def on_shutdown(self) -> None:
        if self.preview is not None:
            self.preview.stop()
        self._drop_late_work()
        self.browser_search.cancel()
        self._stop_charts()

    # -- helpers -----------------------------------------------------------------------------------------------

    def _collect_late_work(self) -> None:
        if self.late is None or self.site is None:
            return
        late, self.late = self.late, None
        results = late.result()
        if results.error is not None:  # logged here, not in the child: --strict counts this warning
            log.warning(f"similar incidents left out: {results.error}")
        for note in results.notes:
            log.info(note)
        if results.similar:
            self.site.add_similar(results.similar)
        if self.preview is not None and self.preview.built is not None:
            self.preview.built.similar = results.similar

    def _convert_unchanged_pages(self, config: MkDocsConfig, files: Files) -> None:
        """`--dirty` converts only the pages whose file changed; the browser search index is made from every page,
        so the others are converted too (never rendered or written again): a dirty build's index keeps them all."""
        inclusion = InclusionLevel.is_in_serve if self.is_serve else InclusionLevel.is_included
        for file in files.documentation_pages(inclusion=inclusion):
            if file.page is not None and file.page.content is None:
                _populate_page(file.page, config, files)

    def _record(self, src_uri: str) -> PageRecord | None:
        return self.site.page(src_uri) if self.site is not None else None

    def _collect_charts(self, name: str) -> None:
        """Wait for a chart job, once; a failing engine leaves its pages with their tables (a warning)."""
        job = self.chart_jobs.get(name)
        if job is None:
            return
        try:  # after the first call, result() returns what it has at once
            self.svgs.update(job.result())
        except Exception as error:  # the engine is a separate program: any failure of it is reported, not raised
            log.warning(f"charts left out: {type(error).__name__}: {error}")

    def _stop_charts(self) -> None:
        for job in self.chart_jobs.values():
            job.stop()
        self.chart_jobs = {}

    def _remove_export_folder(self) -> None:
        if self.export_folder is not None:
            remove_temp_folder(self.export_folder)
            self.export_folder = None

    def _drop_late_work(self) -> None:
        """Stop the late work of a build that will not be written (its child is killed), and remove its files."""
        if self.late is not None:
            self.late.cancel()
            self.late = None
        self._remove_export_folder()

    def _report(self, diagnostics, saved: set[str] | None = None) -> None:
        self.errors_by_file = {}
        errors = [d for d in diagnostics if d.is_error]
        prefix = self.display_prefix
        for diagnostic in diagnostics:
            src_uri = diagnostic.path[len(prefix) :] if diagnostic.path.startswith(prefix) else ""
            if diagnostic.is_error:
                self.errors_by_file.setdefault(src_uri, []).append(diagnostic)
            elif saved is not None and src_uri not in saved:
                continue
            elif diagnostic.fails_strict:
                log.warning(diagnostic.as_text())
            else:
                log.info(diagnostic.as_text())  # overdue: shown, but never fails --strict
        if not errors:
            return
        if self.is_serve:
            for diagnostic in errors:
                if saved is None or diagnostic.path[len(prefix) :] in saved:
                    log.error(diagnostic.as_text())
            return
        shown = "\n".join(d.as_text() for d in errors[:MAX_ERRORS_SHOWN])
        more = f"\n... and {len(errors) - MAX_ERRORS_SHOWN} more" if len(errors) > MAX_ERRORS_SHOWN else ""
        raise PluginError(f"{len(errors)} error{'s' * (len(errors) != 1)} in postmortems:\n{shown}{more}")

    def _default_nav(self, files: Files, page_dirs: tuple[str, ...]) -> list:
        """Home, the generated index pages and the ordinary pages: never the postmortems themselves."""
        assert self.site is not None
        nav: list = [{title: src_uri} for title, src_uri in self.site.nav()]
        ordinary: dict[str, list] = {}
        for file in sorted(files.documentation_pages(), key=lambda f: f.src_uri):
            if self.site.page(file.src_uri) is not None or not file.inclusion.is_in_nav():
                continue
            folder = file.src_uri.split("/", 1)[0] if "/" in file.src_uri else ""
            ordinary.setdefault(folder, []).append(file.src_uri)
        for folder, src_uris in ordinary.items():
            if folder:
                nav.append({folder.replace("-", " ").replace("_", " ").capitalize(): src_uris})
            else:
                nav.extend(src_uris)
        return nav


def _place_postmortems(files: Files, refs: list, site: Site, page_dirs: tuple[str, ...]) -> None:
    """Postmortems stay out of the sidebar: with thousands in the nav, every page repeats them all. One too
    broken for a record (its errors) still gets its page, with the errors on it; a draft the site leaves out is
    served, never built."""
    for ref in refs:
        postmortem_file = files.get_file_from_path(ref.src_uri)
        if postmortem_file is None or not is_postmortem(ref.src_uri, page_dirs):
            continue
        if postmortem_file.inclusion is InclusionLevel.DRAFT:
            continue  # draft_docs: MkDocs serves it and never builds it; pmkb's `drafts` does not override that
        record = site.page(ref.src_uri)
        built = record is None or record.built
        postmortem_file.inclusion = InclusionLevel.NOT_IN_NAV if built else InclusionLevel.DRAFT


def _find_similar(project_root: Path, limit: int, catalog: Catalog) -> SimilarFound:
    from pmkb.search.similarity import similar_found  # imported by the builds that show similar incidents only

    return SimilarFound(*similar_found(project_root, catalog, limit))


def _readmes(refs) -> set[str]:
    return {ref.src_uri for ref in refs if stem(ref.src_uri) == "README"}


def _display_prefix(config: MkDocsConfig) -> str:
    root = Path(config.config_file_path or ".").parent.resolve()
    docs = Path(config.docs_dir).resolve()
    try:
        relative = docs.relative_to(root)
    except ValueError:
        return os.fspath(docs) + "/"
    return "" if str(relative) == "." else relative.as_posix() + "/"


def _anchor(entry: TocEntry) -> AnchorLink:
    anchor = AnchorLink(entry.title, entry.id, entry.level)
    anchor.children = [_anchor(child) for child in entry.children]
    return anchor


MATERIAL_SEARCH = ("material/search", "search")


def _check_theme_and_search(config: MkDocsConfig) -> None:
    """pmkb's pages extend Material's templates (another theme fails deep inside Jinja), and pmkb's search
    replaces Material's (both would put a box in the header)."""
    config_name = Path(config.config_file_path or "mkdocs.yml").name
    theme = config.theme.name
    if theme != "material":
        shown = f"theme '{theme}'" if theme else "a theme without a name (custom_dir only)"
        raise PluginError(
            f"pmkb needs the Material theme: set `theme: material` (or `theme: {{name: material}}`) in "
            f"{config_name}; {shown} cannot show pmkb's pages"
        )
    configured = [name for name in MATERIAL_SEARCH if name in config.plugins]
    if configured:
        log.warning(
            "Material's search plugin ('%s') is configured beside pmkb, which brings its own search: the header "
            "shows two search boxes. Remove `search` from plugins in %s",
            configured[0].removeprefix("material/"),
            config_name,
        )


def _toc_items(items) -> list:
    """Every entry of a page's table of contents, nested ones included."""
    return [entry for item in items for entry in (item, *_toc_items(item.children))]
