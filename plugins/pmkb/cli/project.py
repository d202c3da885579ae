"""Finding a knowledge base from its `mkdocs.yml`, without importing MkDocs.

The command line must start fast and must not depend on MkDocs' config machinery, so it reads only what it
needs from `mkdocs.yml` with a YAML loader that tolerates MkDocs' custom tags (`!ENV`, `!!python/name:`)
without executing them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from pmkb.core.catalog import (
    Catalog,
    FileChecker,
    SourceRef,
    build_catalog,
    discover,
    is_hidden,
)
from pmkb.core.diagnostics import Diagnostic
from pmkb.core.options import Options, OptionsError, options_from_mapping
from pmkb.core.taxonomy import Taxonomy, load_taxonomy
from pmkb.core.today import today_from_environment

PLUGIN_NAME = "pmkb"


class ProjectError(Exception):
    """The project cannot be found or read: a usage problem, reported in one line."""


class _TolerantLoader(yaml.SafeLoader):
    """Reads mkdocs.yml: every custom tag becomes None instead of running code or failing."""


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)
_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


@dataclass(frozen=True)
class Project:
    config_file: Path
    docs_dir: Path
    options: Options
    excluded: Callable[[str], bool] = is_hidden  # mkdocs.yml's exclude_docs, as MkDocs applies it

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
        return taxonomy, diagnostics

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
        )


def find_project(config_file: str | os.PathLike | None = None) -> Project:
    path = Path(config_file) if config_file else Path.cwd() / "mkdocs.yml"
    if not path.is_file():
        where = f"'{path}'" if config_file else "the current folder (use -f FILE)"
        raise ProjectError(f"no mkdocs.yml found in {where}" if not config_file else f"config file {where} not found")
    try:
        config = yaml.load(path.read_text("utf-8-sig"), Loader=_TolerantLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ProjectError(f"cannot read {path.name}: {first}") from None
    if not isinstance(config, dict):
        raise ProjectError(f"{path.name} is not a mapping of settings")
    docs_dir = path.parent / str(config.get("docs_dir") or "docs")
    raw_options: object = {}  # as written; options_from_mapping checks it
    for plugin in config.get("plugins") or []:
        if isinstance(plugin, dict) and PLUGIN_NAME in plugin:
            raw_options = plugin[PLUGIN_NAME] or {}
    if isinstance(config.get("plugins"), dict):
        raw_options = config["plugins"].get(PLUGIN_NAME) or {}
    if not docs_dir.is_dir():
        raise ProjectError(f"content folder '{docs_dir}' does not exist")
    try:
        options = options_from_mapping(raw_options)
    except OptionsError as error:
        raise ProjectError(f"{path.name}: {error}") from None
    excluded: Callable[[str], bool] = is_hidden
    exclude_docs = config.get("exclude_docs")
    if isinstance(exclude_docs, str) and exclude_docs.strip():
        excluded = _exclude_docs_matcher(exclude_docs)
    return Project(path.resolve(), docs_dir.resolve(), options, excluded)


def _exclude_docs_matcher(patterns: str) -> Callable[[str], bool]:
    """MkDocs' `exclude_docs` (gitignore patterns, added to its defaults), matched the way MkDocs matches them."""
    try:
        from pathspec.gitignore import GitIgnoreSpec  # installed with MkDocs, which uses it for this option
    except ImportError:  # pragma: no cover - MkDocs always brings pathspec
        return is_hidden
    spec = GitIgnoreSpec.from_lines(patterns.splitlines())
    return lambda relative: is_hidden(relative) or spec.match_file(relative)
