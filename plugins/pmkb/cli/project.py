"""Finding a knowledge base from its `mkdocs.yml`, without importing MkDocs.

The command line must start fast and must not depend on MkDocs' config machinery, so it reads only what it
needs from `mkdocs.yml`, as MkDocs reads it (`pmkb.cli.mkdocs_config`: INHERIT, `!ENV`, `mkdocs.yaml`), and never
runs what a tag names.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pmkb.cli.mkdocs_config import ConfigError, load, locate
from pmkb.core.catalog import (
    Catalog,
    FileChecker,
    SourceRef,
    build_catalog,
    discover,
    is_hidden,
)
from pmkb.core.custom_fields import with_custom_fields
from pmkb.core.diagnostics import Diagnostic
from pmkb.core.options import Options, OptionsError, options_from_mapping
from pmkb.core.taxonomy import Taxonomy, load_taxonomy
from pmkb.core.today import today_from_environment

PLUGIN_NAME = "pmkb"


class ProjectError(Exception):
    """The project cannot be found or read: a usage problem, reported in one line."""


@dataclass(frozen=True)
class Project:
    config_file: Path
    docs_dir: Path
    options: Options
    excluded: Callable[[str], bool] = is_hidden  # mkdocs.yml's exclude_docs, as MkDocs applies it
    drafted: Callable[[str], bool] = lambda relative: False  # mkdocs.yml's draft_docs: served, never built
    directory_urls: bool = True  # mkdocs.yml's use_directory_urls: where each page is written

    @property
    def root(self) -> Path:
        return self.config_file.parent

    @property
    def display_prefix(self) -> str:
        """How content paths are shown: relative to the folder holding mkdocs.yml."""
        try:
            relative = self.docs_dir.resolve().relative_to(self.root.resolve())
        except ValueError:
            return str(self.docs_dir) + "/"
        return "" if str(relative) == "." else relative.as_posix() + "/"

    def load_taxonomy(self) -> tuple[Taxonomy, list[Diagnostic]]:
        taxonomy, diagnostics, _ = load_taxonomy(self.options.taxonomy, self.root, self.config_file.name)
        taxonomy, field_diagnostics = with_custom_fields(taxonomy, self.options.fields, self.config_file, PLUGIN_NAME)
        return taxonomy, diagnostics + field_diagnostics

    def sources(self) -> tuple[list[SourceRef], list[Diagnostic]]:
        return discover(self.docs_dir, self.display_prefix, self.excluded)

    def catalog(self, today: date | None = None) -> Catalog:
        taxonomy, taxonomy_diagnostics = self.load_taxonomy()
        refs, discovery_diagnostics = self.sources()
        return build_catalog(
            refs,
            checker=FileChecker(taxonomy),
            page_dirs=self.options.pages,
            today=today or today_from_environment(),
            extra_diagnostics=[*taxonomy_diagnostics, *discovery_diagnostics],
            directory_urls=self.directory_urls,
            unbuilt={ref.src_uri for ref in refs if self.drafted(ref.src_uri)},
            include_drafts=self.options.drafts,
        )


def find_project(config_file: str | os.PathLike | None = None) -> Project:
    try:
        path = locate(config_file)
        config = load(path)
    except ConfigError as error:
        raise ProjectError(str(error)) from None
    docs_dir_name = config.get("docs_dir", "docs")
    if not isinstance(docs_dir_name, str) or not docs_dir_name:
        raise ProjectError(f"{path.name}: docs_dir must be a folder name, not {docs_dir_name!r}")
    docs_dir = path.parent / docs_dir_name  # relative to the file read first, as MkDocs resolves it
    raw_options: object = {}  # as written; options_from_mapping checks it
    plugins = config.get("plugins")
    for plugin in plugins if isinstance(plugins, list) else []:
        if isinstance(plugin, dict) and PLUGIN_NAME in plugin:
            raw_options = plugin[PLUGIN_NAME] or {}
    if isinstance(plugins, dict):
        raw_options = plugins.get(PLUGIN_NAME) or {}
    try:
        if not docs_dir.is_dir():
            raise ProjectError(f"content folder '{docs_dir}' does not exist (docs_dir in {path.name})")
    except OSError as error:
        raise ProjectError(f"content folder '{docs_dir}' cannot be read: {error.strerror or error}") from None
    try:
        options = options_from_mapping(raw_options)
    except OptionsError as error:
        raise ProjectError(f"{path.name}: {error}") from None
    directory_urls = config.get("use_directory_urls", True)
    if not isinstance(directory_urls, bool):
        raise ProjectError(f"{path.name}: use_directory_urls must be true or false, not {directory_urls!r}")
    excluded: Callable[[str], bool] = is_hidden
    exclude_docs = _patterns(config, "exclude_docs", path)
    if exclude_docs:
        excluded = _exclude_docs_matcher(exclude_docs)
    draft_docs = _patterns(config, "draft_docs", path)
    drafted = _gitignore_matcher(draft_docs) if draft_docs else Project.drafted
    return Project(path.resolve(), docs_dir.resolve(), options, excluded, drafted, directory_urls)


def _patterns(config: dict, name: str, path: Path) -> str | None:
    """A gitignore-style setting (`exclude_docs`, `draft_docs`): MkDocs accepts only a string (or nothing)."""
    value = config.get(name)
    if value is not None and not isinstance(value, str):
        raise ProjectError(f"{path.name}: {name} must be a multi-line string of patterns, not {type(value).__name__}")
    return value if value and value.strip() else None


def _gitignore_matcher(patterns: str) -> Callable[[str], bool]:
    from pathspec.gitignore import GitIgnoreSpec  # installed with MkDocs, which uses it for these options

    return GitIgnoreSpec.from_lines(patterns.splitlines()).match_file


def _exclude_docs_matcher(patterns: str) -> Callable[[str], bool]:
    """MkDocs' `exclude_docs` (gitignore patterns, added to its defaults), matched the way MkDocs matches them."""
    try:
        from pathspec.gitignore import GitIgnoreSpec  # installed with MkDocs, which uses it for this option
    except ImportError:  # pragma: no cover - MkDocs always brings pathspec
        return is_hidden
    spec = GitIgnoreSpec.from_lines(patterns.splitlines())
    return lambda relative: is_hidden(relative) or spec.match_file(relative)
