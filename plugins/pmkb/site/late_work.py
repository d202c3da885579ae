"""What no page needs until pages are rendered: the exports and the feed, and similar incidents.

A build starts this work as soon as its catalog is known and collects it just before the first page is written,
so a build runs it on the second core (`pmkb.runtime.forking.Deferred`) while Markdown is converted. It writes
files and returns plain values, because a forked child can only hand back what pickles.

Similar incidents come from the search layer, which this layer does not import: the adapter hands a finder in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pmkb.core.catalog import Catalog
from pmkb.site.pages import export_files

SimilarLists = dict[str, tuple[str, ...]]  # postmortem id -> ids of its similar incidents, best first


@dataclass(frozen=True)
class SimilarFound:
    """What a finder of similar incidents returns: the lists, or why there are none; and notes said once."""

    similar: SimilarLists
    error: str | None = None
    notes: tuple[str, ...] = ()  # information, never a warning (a damaged cache that was rebuilt)


SimilarFinder = Callable[[Catalog], SimilarFound]


@dataclass(frozen=True)
class ExportSettings:
    include_drafts: bool
    directory_urls: bool
    site_name: str
    site_url: str


def write_exports(catalog: Catalog, folder: str | Path, settings: ExportSettings) -> None:
    """Every export (`pmkb.site.pages.export_files`) written into `folder`, from where the site generator copies
    them: the exports of 5,000 postmortems are 13 MB that the building process never holds."""
    exported = export_files(
        catalog,
        include_drafts=settings.include_drafts,
        directory_urls=settings.directory_urls,
        site_name=settings.site_name,
        site_url=settings.site_url,
    )
    for name, content in exported.items():
        target = Path(folder, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8"))


def late_work(
    catalog: Catalog, *, export_folder: str, settings: ExportSettings, find_similar: SimilarFinder | None
) -> SimilarFound:
    """The exports, written into `export_folder`, then similar incidents (`find_similar`: None when the site
    shows none)."""
    write_exports(catalog, export_folder, settings)
    return SimilarFound({}) if find_similar is None else find_similar(catalog)
