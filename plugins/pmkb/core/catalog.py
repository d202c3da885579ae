"""The catalog: every postmortem of a knowledge base, validated, plus the rules that span files.

Parsing and per-file validation are cached by (mtime, size) so that `mkdocs serve` re-reads only what changed.
"""

from __future__ import annotations

import os
import stat as stat_module
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path, PurePosixPath

from pmkb.core.diagnostics import Diagnostic, Level, has_errors, sort_diagnostics
from pmkb.core.fields import POSTMORTEM
from pmkb.core.files import (
    INDEX_STEMS,
    collisions,
    dest_path,
    dropped_in_folder,
    is_markdown,
    miscased_markdown,
    page_url,
    read_regular_file,
    stem,
)
from pmkb.core.model import OPEN_STATUSES, Postmortem
from pmkb.core.options import DEFAULT_PAGE_DIRS
from pmkb.core.publish_gate import publish_gate
from pmkb.core.source import read_front_matter
from pmkb.core.suggest import did_you_mean
from pmkb.core.taxonomy import Taxonomy
from pmkb.core.text import unsafe_character
from pmkb.core.validate import FileCheck, validate_front_matter
from pmkb.runtime.collector import collector_paused
from pmkb.runtime.forking import Deferred, can_fork


@dataclass(frozen=True, slots=True)
class SourceRef:
    """One Markdown file of the content folder."""

    src_uri: str  # relative to the content folder, forward slashes
    abs_path: Path
    display_path: str  # relative to the project folder, for diagnostics

    @property
    def id(self) -> str:
        """The file name without its Markdown extension (string operations, not PurePosixPath: this is hot)."""
        return stem(self.src_uri)


def is_postmortem(src_uri: str, page_dirs: tuple[str, ...] = DEFAULT_PAGE_DIRS) -> bool:
    """Every page MkDocs builds is a postmortem except index pages (`index.md`, `README.md`: MkDocs makes
    either its folder's page) and files under the `pages` folders."""
    # Strings, not PurePosixPath (this runs for every file of a lint, build or search), with the same results.
    name = src_uri.rpartition("/")[2]
    if name in ("", "."):  # a trailing '/' or '/.': the name is the last other component
        name = next((part for part in reversed(src_uri.split("/")) if part not in ("", ".")), "")
    name_stem = stem(name)
    if not is_markdown(name) or name_stem == name or name_stem in INDEX_STEMS:  # '.md' alone has no stem
        return False
    return not _in_page_dirs(src_uri, page_dirs)


def _in_page_dirs(src_uri: str, page_dirs: tuple[str, ...]) -> bool:
    return any(src_uri == d or src_uri.startswith(d + "/") for d in page_dirs)


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


def name_problem(relative: str) -> str | None:
    """Why a page's path cannot be published as it is: bytes that are not UTF-8, or characters that would
    break a line or drive a terminal wherever its id or path is printed (a URL cannot hold them either)."""
    problem = unsafe_character(relative)
    if problem is None:
        return None
    if problem.kind == "lone surrogate" and "\udc80" <= problem.char <= "\udcff":  # os.fsdecode's undecodable byte
        return f"file name is not valid UTF-8 (byte 0x{ord(problem.char) - 0xDC00:02x}): rename it"
    return f"file name holds {problem.describe()}: rename it"


def special_file_problem(entry: os.DirEntry) -> str | None:
    """A named pipe, socket or device with a page's name: reading one could block forever or never end."""
    try:
        if entry.is_file():
            return None
        mode = os.stat(entry.path).st_mode
    except OSError:
        return None  # gone, or a broken link: reading it says why
    if stat_module.S_ISFIFO(mode):
        kind = "a named pipe (FIFO)"
    elif stat_module.S_ISSOCK(mode):
        kind = "a socket"
    elif stat_module.S_ISCHR(mode) or stat_module.S_ISBLK(mode):
        kind = "a device"
    else:
        kind = "a special file"
    return f"file is {kind}: pmkb and MkDocs read only regular files"


def reserved_problem(src_uri: str, directory_urls: bool = True) -> str | None:
    parts = PurePosixPath(src_uri).parts
    top = parts[0] if len(parts) > 1 else PurePosixPath(src_uri).stem
    if top in RESERVED_NAMES:
        return f"'{top}' is where pmkb writes its generated pages; move or rename this postmortem"
    if dest_path(src_uri, directory_urls) == NOT_FOUND_PAGE:
        return (
            f"this postmortem would be written to {NOT_FOUND_PAGE} (use_directory_urls: false) and replace the "
            "site's page for unknown addresses; rename it"
        )
    return None


NOT_FOUND_PAGE = "404.html"  # the theme's page for unknown addresses, which web servers serve by that name
# Keys MkDocs or Material read on any page: on an index page they say nothing about a postmortem.
PAGE_KEYS = frozenset({"title", "date", "status", "tags", "authors", "description"})
POSTMORTEM_ONLY_KEYS = frozenset(spec.name for spec in POSTMORTEM.fields) - PAGE_KEYS


def index_page_problem(ref: SourceRef) -> Diagnostic | None:
    """An index page (`README.md`, `index.md`) whose front matter is a postmortem's: MkDocs builds it as its
    folder's page, so pmkb never checks it; the author should hear so, at its first key."""
    try:
        raw = read_regular_file(ref.abs_path)
    except OSError:
        return None
    if not raw.startswith((b"---", b"\xef\xbb\xbf---")):
        return None
    _, loaded, _ = read_front_matter(raw, ref.display_path)
    if loaded is None or not isinstance(loaded.value, dict) or not loaded.value:
        return None
    keys = [key for key in loaded.value if isinstance(key, str)]
    found = [key for key in keys if key in POSTMORTEM_ONLY_KEYS]
    if not found:
        return None
    position = loaded.key_position(keys[0]) or loaded.position_of("")
    name = ref.src_uri.rpartition("/")[2]
    message = (
        f"{name} is its folder's index page, not a postmortem: its front matter ({', '.join(found[:3])}"
        f"{', ...' if len(found) > 3 else ''}) is not checked; give the file a postmortem's name (YYYY-MM-DD-slug.md) "
        "to make it one"
    )
    return Diagnostic.at(ref.display_path, position, Level.WARNING, keys[0], message)


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
            if not is_markdown(entry.name):
                miscased = miscased_markdown(entry.name)
                if miscased is not None:  # MkDocs would publish its source as a plain file, front matter and all
                    message = (
                        f"MkDocs builds only lower-case '{miscased.lower()}' files as pages and would copy this one "
                        f"as it is: rename it to end in '{miscased.lower()}'"
                    )
                    diagnostics.append(Diagnostic(f"{display_prefix}{relative}", 1, 1, Level.ERROR, "", message))
                continue
            ref = SourceRef(relative, Path(entry.path), f"{display_prefix}{relative}")
            problem = name_problem(relative) or (link_problem(entry.path, root) if through_link else None)
            problem = problem or special_file_problem(entry)
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

    def cached(self, ref: SourceRef) -> FileCheck | None:
        """The last result for `ref`'s file, whether or not the file changed since."""
        entry = self.entries.get(str(ref.abs_path))
        return entry.check if entry is not None else None

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
        raw = read_regular_file(ref.abs_path)
    except OSError as error:
        return FileCheck(None, [_unreadable(ref, error)]), False
    return check_bytes(raw, ref, taxonomy), True


def _unreadable(ref: SourceRef, error: OSError) -> Diagnostic:
    return Diagnostic(ref.display_path, 1, 1, Level.ERROR, "", f"cannot read file: {error.strerror or error}")


def check_bytes(raw: bytes, ref: SourceRef, taxonomy: Taxonomy) -> FileCheck:
    document, loaded, diagnostics = read_front_matter(raw, ref.display_path)
    if loaded is None:
        return FileCheck(None, diagnostics)
    check = validate_front_matter(loaded, path=ref.display_path, src_uri=ref.src_uri, file_id=ref.id, taxonomy=taxonomy)
    body = document.body if document is not None else None
    gate = publish_gate(
        loaded,
        body,
        document.body_line if document else 1,
        path=ref.display_path,
        taxonomy=taxonomy,
        front_matter=document.front_matter if document else None,
    )
    if gate:
        check.diagnostics = [*check.diagnostics, *gate]
        if has_errors(gate):
            check.postmortem = None  # an unfinished postmortem is not published, like any other invalid one
    return check


@dataclass(frozen=True, slots=True)
class Catalog:
    """Valid postmortems, newest first, and every diagnostic of the knowledge base."""

    postmortems: tuple[Postmortem, ...]
    diagnostics: tuple[Diagnostic, ...]
    taxonomy: Taxonomy
    today: date
    ids: frozenset[str]  # every postmortem id, valid or not
    unbuilt: frozenset[str] = frozenset()  # src_uris `mkdocs build` leaves out whatever their status (draft_docs)

    def by_id(self) -> dict[str, Postmortem]:
        return {postmortem.id: postmortem for postmortem in self.postmortems}

    def listed(self, include_drafts: bool = False) -> tuple[Postmortem, ...]:
        """The postmortems a published site lists: all but drafts, unless drafts are built too, and never one
        MkDocs' own `draft_docs` keeps out of the build (a link to it would lead nowhere)."""
        return tuple(
            p for p in self.postmortems if (include_drafts or not p.is_draft) and p.src_uri not in self.unbuilt
        )


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
    directory_urls: bool = True,
    unbuilt: Iterable[str] = (),
    include_drafts: bool = False,
) -> Catalog:
    """Check every file of `refs` and the rules across files. The site's settings matter to those: where MkDocs
    writes each page (`directory_urls`), which pages `mkdocs build` leaves out (`unbuilt`: MkDocs' `draft_docs`;
    and drafts unless `include_drafts`), since every link pmkb writes must lead to a page the build writes."""
    refs = list(refs)
    pages = {ref.src_uri for ref in refs}
    unbuilt = frozenset(unbuilt) & pages
    dropped = dropped_in_folder(pages, directory_urls)  # README.md beside index.md: MkDocs drops it
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
        problem = reserved_problem(ref.src_uri, directory_urls)
        if problem:
            diagnostics.append(Diagnostic(ref.display_path, 1, 1, Level.ERROR, "id", problem))
    for ref in refs:
        if stem(ref.src_uri) in INDEX_STEMS and not _in_page_dirs(ref.src_uri, page_dirs):
            index_problem = index_page_problem(ref)
            if index_problem is not None:
                diagnostics.append(index_problem)

    diagnostics.extend(_collisions(postmortem_refs, pages - dropped - unbuilt, page_dirs, directory_urls))

    ids = frozenset(id_counts)
    # A runbook is an ordinary page: suggesting a postmortem for a mistyped runbook would mislead.
    plain_pages = pages - {ref.src_uri for ref in postmortem_refs}
    drafts = {c.postmortem.src_uri for c in checks if c.postmortem is not None and c.postmortem.is_draft}
    left_out = {
        **{src_uri: "MkDocs drops it: its folder has an index page too" for src_uri in dropped},
        **{src_uri: "it is a draft, and drafts are not built" for src_uri in drafts if not include_drafts},
        **{src_uri: "draft_docs in mkdocs.yml keeps it out of the build" for src_uri in unbuilt},
    }
    valid: list[Postmortem] = []
    # Cross-file rules run on every file's valid parts, errors elsewhere in it or not: one run shows everything.
    for ref, result in zip(postmortem_refs, checks, strict=True):
        diagnostics.extend(_cross_file(ref, result, ids, pages, plain_pages, today, left_out))
        if result.postmortem is not None:
            valid.append(result.postmortem)
    return Catalog(
        postmortems=tuple(newest_first(valid)),
        diagnostics=tuple(sort_diagnostics(diagnostics)),
        taxonomy=checker.taxonomy,
        today=today,
        ids=ids,
        unbuilt=unbuilt,
    )


def _collisions(
    postmortem_refs: list[SourceRef], built: set[str], page_dirs: tuple[str, ...], directory_urls: bool
) -> list[Diagnostic]:
    """A postmortem and another page that MkDocs writes to the same file (`2024/x.md`, `2024/x/index.md`): the
    one written last replaces the other, silently."""
    found: list[Diagnostic] = []
    by_src = {ref.src_uri: ref for ref in postmortem_refs}
    for src_uris in collisions(built, directory_urls).values():
        for src_uri in src_uris:
            ref = by_src.get(src_uri)
            if ref is None:
                continue
            others = ", ".join(f"'{other}'" for other in src_uris if other != src_uri)
            url = page_url(src_uri, directory_urls) or "/"
            message = f"{others} is built at the same URL ({url}), and one page would replace the other: move one"
            found.append(Diagnostic(ref.display_path, 1, 1, Level.ERROR, "id", message))
    return found


def _cross_file(
    ref: SourceRef,
    result: FileCheck,
    ids: frozenset[str],
    pages: set[str],
    plain_pages: set[str],
    today: date,
    left_out: dict[str, str],
) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for reference in result.references:
        where, value = reference.field, reference.value
        if where.startswith("related."):
            if value == ref.id:
                message = f"related lists this postmortem itself ('{value}')"
            elif value not in ids:
                hint = did_you_mean(value, ids - {ref.id})
                message = f"related '{value}' names no postmortem in the knowledge base{hint}"
            else:
                continue
        elif value not in pages:
            hint = did_you_mean(value, plain_pages)
            message = f"runbooks '{value}' names no page under the content folder{hint}"
        elif value in left_out:  # the link would lead to a page the build does not write
            message = f"runbooks '{value}' names a page the build leaves out: {left_out[value]}"
        else:
            continue
        found.append(Diagnostic.at(ref.display_path, reference.position, Level.ERROR, where, message))
    for item in result.dues:
        if item.status in OPEN_STATUSES and item.due < today:
            message = f"overdue: {item.label} ({item.owner}, {item.status}) was due {item.due.isoformat()}"
            found.append(Diagnostic.at(ref.display_path, item.position, Level.WARNING, item.field, message, True))
    return found
