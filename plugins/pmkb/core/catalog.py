"""The catalog: every postmortem of a knowledge base, validated, plus the rules that span files.

Parsing and per-file validation are cached by (mtime, size) so that `mkdocs serve` re-reads only what changed.
"""

from __future__ import annotations

import os
import posixpath
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path, PurePosixPath

from pmkb.core.diagnostics import Diagnostic, Level, sort_diagnostics
from pmkb.core.model import Postmortem
from pmkb.core.options import DEFAULT_PAGE_DIRS
from pmkb.core.source import read_front_matter
from pmkb.core.taxonomy import Taxonomy
from pmkb.core.validate import FileCheck, validate_front_matter
from pmkb.runtime.collector import collector_paused
from pmkb.runtime.forking import Deferred, can_fork

INDEX_NAMES = ("index.md", "README.md")


@dataclass(frozen=True, slots=True)
class SourceRef:
    """One Markdown file of the content folder."""

    src_uri: str  # relative to the content folder, forward slashes
    abs_path: Path
    display_path: str  # relative to the project folder, for diagnostics

    @property
    def id(self) -> str:
        """The file name without `.md` (as PurePosixPath.stem, with string operations: this is hot)."""
        return posixpath.splitext(self.src_uri.rsplit("/", 1)[-1])[0]


def is_postmortem(src_uri: str, page_dirs: tuple[str, ...] = DEFAULT_PAGE_DIRS) -> bool:
    """Every Markdown file is a postmortem except index pages and files under the `pages` folders."""
    # Strings, not PurePosixPath (this runs for every file of a lint, build or search), with the same results.
    name = src_uri.rpartition("/")[2]
    if name in ("", "."):  # a trailing '/' or '/.': the name is the last other component
        name = next((part for part in reversed(src_uri.split("/")) if part not in ("", ".")), "")
    if len(name) < 4 or name[-3:].lower() != ".md" or name in INDEX_NAMES:  # '.md' alone has no suffix
        return False
    return not any(src_uri == d or src_uri.startswith(d + "/") for d in page_dirs)


# Where pmkb writes generated pages and exports: a postmortem there would be silently replaced or would collide.
RESERVED_NAMES = frozenset(
    {"incidents", "action-items", "guide", "causes", "severities", "services", "tags"}
    | {"search", "pagefind"}  # the explorer and its metadata index; Pagefind's index
    | {"postmortems.json", "action-items.json", "feed.xml"}
)


def is_hidden(relative: str) -> bool:
    """MkDocs' default `exclude_docs`: dot files and folders, and a top-level templates/ folder."""
    # Strings, not PurePosixPath (this runs for every file and folder of a lint, build or search), with the same
    # results: empty and '.' components do not count, and a leading '/' is a root, not a component.
    if (relative.startswith(".") or "/." in relative) and any(
        part.startswith(".") and part != "." for part in relative.split("/")
    ):
        return True
    first = relative.partition("/")[0]
    if first in ("", ".") and not relative.startswith("/"):
        first = next((part for part in relative.split("/") if part not in ("", ".")), "")
    return first == "templates"


def link_problem(path: str, root: str) -> str | None:
    """Why a symbolic link (or a file below one) may not be published from the content folder `root`."""
    try:
        real = os.path.realpath(path, strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a link loop on some Python versions
        return "file is a broken symbolic link or a link loop"
    if real != root and not real.startswith(root + os.sep):
        return (
            "file is a link to outside the content folder; copy it in instead (a build must not publish files "
            "from elsewhere)"
        )
    return None


def reserved_problem(src_uri: str) -> str | None:
    parts = PurePosixPath(src_uri).parts
    top = parts[0] if len(parts) > 1 else PurePosixPath(src_uri).stem
    if top in RESERVED_NAMES:
        return f"'{top}' is where pmkb writes its generated pages; move or rename this postmortem"
    return None


def discover(
    docs_dir: Path, display_prefix: str, excluded: Callable[[str], bool] = is_hidden
) -> tuple[list[SourceRef], list[Diagnostic]]:
    """All Markdown files under `docs_dir` as MkDocs sees them (links followed), and diagnostics for bad links.

    Paths are resolved only at and below symbolic links: resolving every path costs about 0.2 ms a file,
    a second of a 5,000-file lint.
    """
    root = os.path.realpath(docs_dir)
    refs: list[SourceRef] = []
    diagnostics: list[Diagnostic] = []
    seen_folders: set[str] = set()
    stack: list[tuple[str, str, bool]] = [(str(docs_dir), "", False)]
    while stack:
        folder, prefix, linked = stack.pop()
        try:
            with os.scandir(folder) as iterator:
                entries = list(iterator)
        except OSError:
            continue
        for entry in entries:
            relative = prefix + entry.name
            if excluded(relative):
                continue
            through_link = linked or entry.is_symlink()
            try:
                is_folder = entry.is_dir()
            except OSError:
                is_folder = False
            if is_folder:
                if through_link:
                    real = os.path.realpath(entry.path)
                    if real in seen_folders:
                        continue  # a loop; files of a folder from outside are each reported below
                    seen_folders.add(real)
                stack.append((entry.path, relative + "/", through_link))
                continue
            if not entry.name.lower().endswith(".md"):
                continue
            ref = SourceRef(relative, Path(entry.path), f"{display_prefix}{relative}")
            problem = link_problem(entry.path, root) if through_link else None
            if problem:
                diagnostics.append(Diagnostic(ref.display_path, 1, 1, Level.ERROR, "", problem))
                continue
            refs.append(ref)
    refs.sort(key=lambda ref: ref.src_uri)
    return refs, diagnostics


@dataclass(slots=True)
class _CacheEntry:
    stamp: tuple[int, int]
    check: FileCheck


@dataclass
class FileChecker:
    """Parses and validates files, remembering results until a file or the taxonomy changes."""

    taxonomy: Taxonomy
    entries: dict[str, _CacheEntry] = field(default_factory=dict)
    parsed: int = 0  # files actually read since creation; lets tests prove that unchanged files are skipped

    def set_taxonomy(self, taxonomy: Taxonomy) -> None:
        if taxonomy != self.taxonomy:
            self.taxonomy = taxonomy
            self.entries.clear()

    def check(self, ref: SourceRef) -> FileCheck:
        return self.check_all([ref])[0]

    def check_all(self, refs: list[SourceRef]) -> list[FileCheck]:
        """Results for `refs`, in order. Files not seen before (or changed) are read; many at once in parallel."""
        with collector_paused():
            return self._check_all(refs)

    def _check_all(self, refs: list[SourceRef]) -> list[FileCheck]:
        results: list[FileCheck | None] = []
        stale: list[tuple[int, SourceRef, tuple[int, int]]] = []
        for ref in refs:
            try:
                stat = ref.abs_path.stat()
            except OSError as error:
                results.append(FileCheck(None, [_unreadable(ref, error)]))
                continue
            stamp = (stat.st_mtime_ns, stat.st_size)
            # Keyed by absolute path, not src_uri: MkDocs keeps one plugin instance across configs in a process.
            entry = self.entries.get(str(ref.abs_path))
            if entry is not None and entry.stamp == stamp:
                results.append(entry.check)
            else:
                stale.append((len(results), ref, stamp))
                results.append(None)
        if _worth_forking(len(stale)):
            fresh = _check_in_workers(stale, self.taxonomy)
        else:
            fresh = _check_files([ref for _, ref, _ in stale], self.taxonomy)
        for (index, ref, stamp), (result, readable) in zip(stale, fresh, strict=True):
            self.parsed += 1
            if readable:  # an unreadable file may become readable without changing its stamp (chmod)
                self.entries[str(ref.abs_path)] = _CacheEntry(stamp, result)
            results[index] = result
        return results  # type: ignore[return-value]

    def forget_missing(self, present: set[str]) -> None:
        """Drop entries for files no longer present (`present` holds absolute paths)."""
        for key in set(self.entries) - present:
            del self.entries[key]


# Parsing is most of a cold lint or build. With two or more cores and many files, forked children share it
# (pmkb.runtime.forking): a fork inherits the imported modules and the list of files, so a child costs milliseconds
# and only its results are pickled.
PARALLEL_MIN_FILES = 400


def _worth_forking(count: int) -> bool:
    return count >= PARALLEL_MIN_FILES and can_fork()


def _check_in_workers(stale: list, taxonomy: Taxonomy) -> list[tuple[FileCheck, bool]]:
    """Forked children parse all but the first share; this process parses that share meanwhile."""
    shares = min(os.cpu_count() or 2, 4)
    refs = [ref for _, ref, _ in stale]
    size = -(-len(refs) // shares)
    parts = [refs[start : start + size] for start in range(0, len(refs), size)]
    children = [Deferred(partial(_check_files, part, taxonomy)) for part in parts[1:]]
    results = _check_files(parts[0], taxonomy)
    for child in children:
        results.extend(child.result())
    return results


def _check_files(refs: list[SourceRef], taxonomy: Taxonomy) -> list[tuple[FileCheck, bool]]:
    with collector_paused():  # also in a forked child, where pmkb.runtime.forking turns the collector on
        return [_check_file(ref, taxonomy) for ref in refs]


def _check_file(ref: SourceRef, taxonomy: Taxonomy) -> tuple[FileCheck, bool]:
    """The file's check, and whether it could be read at all."""
    try:
        raw = ref.abs_path.read_bytes()
    except OSError as error:
        return FileCheck(None, [_unreadable(ref, error)]), False
    return check_bytes(raw, ref, taxonomy), True


def _unreadable(ref: SourceRef, error: OSError) -> Diagnostic:
    return Diagnostic(ref.display_path, 1, 1, Level.ERROR, "", f"cannot read file: {error.strerror or error}")


def check_bytes(raw: bytes, ref: SourceRef, taxonomy: Taxonomy) -> FileCheck:
    document, loaded, diagnostics = read_front_matter(raw, ref.display_path)
    if loaded is None:
        return FileCheck(None, diagnostics)
    return validate_front_matter(loaded, path=ref.display_path, src_uri=ref.src_uri, file_id=ref.id, taxonomy=taxonomy)


@dataclass(frozen=True, slots=True)
class Catalog:
    """Valid postmortems, newest first, and every diagnostic of the knowledge base."""

    postmortems: tuple[Postmortem, ...]
    diagnostics: tuple[Diagnostic, ...]
    taxonomy: Taxonomy
    today: date
    ids: frozenset[str]  # every postmortem id, valid or not

    def by_id(self) -> dict[str, Postmortem]:
        return {postmortem.id: postmortem for postmortem in self.postmortems}

    def listed(self, include_drafts: bool = False) -> tuple[Postmortem, ...]:
        """The postmortems a published site lists: all but drafts, unless drafts are built too."""
        return tuple(p for p in self.postmortems if include_drafts or not p.is_draft)


def chronological_key(p: Postmortem) -> tuple[date, float, str]:
    """When it happened: the day, then the start instant (drafts may have none), then the id as a tie-break."""
    started = p.timeline.started.timestamp() if p.timeline.started is not None else float("-inf")
    return (p.date, started, p.id)


def newest_first(postmortems: Iterable[Postmortem]) -> list[Postmortem]:
    return sorted(postmortems, key=chronological_key, reverse=True)


def build_catalog(
    refs: Iterable[SourceRef],
    *,
    checker: FileChecker,
    page_dirs: tuple[str, ...],
    today: date,
    extra_diagnostics: Iterable[Diagnostic] = (),
) -> Catalog:
    refs = list(refs)
    pages = {ref.src_uri for ref in refs}
    postmortem_refs = [ref for ref in refs if is_postmortem(ref.src_uri, page_dirs)]
    checker.forget_missing({str(ref.abs_path) for ref in postmortem_refs})
    diagnostics: list[Diagnostic] = list(extra_diagnostics)
    checks: list[FileCheck] = []
    for result in checker.check_all(postmortem_refs):
        diagnostics.extend(result.diagnostics)
        checks.append(result)

    id_counts = Counter(ref.id for ref in postmortem_refs)
    paths_by_id: dict[str, list[str]] = {}
    for ref in postmortem_refs:
        paths_by_id.setdefault(ref.id, []).append(ref.display_path)
    for ref in postmortem_refs:
        if id_counts[ref.id] > 1:
            others = ", ".join(p for p in paths_by_id[ref.id] if p != ref.display_path)
            diagnostics.append(
                Diagnostic(ref.display_path, 1, 1, Level.ERROR, "id", f"duplicate id '{ref.id}': also used by {others}")
            )

    for ref in postmortem_refs:
        problem = reserved_problem(ref.src_uri)
        if problem:
            diagnostics.append(Diagnostic(ref.display_path, 1, 1, Level.ERROR, "id", problem))

    ids = frozenset(id_counts)
    valid: list[Postmortem] = []
    for result in checks:
        postmortem = result.postmortem
        if postmortem is None:
            continue
        diagnostics.extend(_cross_file(postmortem, result, ids, pages, today))
        valid.append(postmortem)
    return Catalog(
        postmortems=tuple(newest_first(valid)),
        diagnostics=tuple(sort_diagnostics(diagnostics)),
        taxonomy=checker.taxonomy,
        today=today,
        ids=ids,
    )


def _cross_file(
    postmortem: Postmortem, result: FileCheck, ids: frozenset[str], pages: set[str], today: date
) -> list[Diagnostic]:
    found: list[Diagnostic] = []

    def report(level: Level, where: str, message: str, time_dependent: bool = False) -> None:
        found.append(Diagnostic.at(postmortem.path, result.at(where), level, where, message, time_dependent))

    for index, related in enumerate(postmortem.related):
        where = f"related.{index}"
        if related == postmortem.id:
            report(Level.ERROR, where, f"related lists this postmortem itself ('{related}')")
        elif related not in ids:
            report(Level.ERROR, where, f"related '{related}' names no postmortem in the knowledge base")
    for index, runbook in enumerate(postmortem.runbooks):
        if runbook not in pages:
            report(Level.ERROR, f"runbooks.{index}", f"runbooks '{runbook}' names no page under the content folder")
    for item in postmortem.action_items:
        if item.is_overdue(today):
            assert item.due is not None
            report(
                Level.WARNING,
                f"action_items.{item.index}.due",
                f"overdue: action item '{item.title}' ({item.owner}, {item.status}) was due {item.due.isoformat()}",
                time_dependent=True,
            )
    return found
