"""Search past incidents: the whoosh index of the knowledge base, its analyzer, searcher, snippets and facets.

This is the only module that imports whoosh (lazily: importing it costs nothing until an index is used). The
query language is `pmkb.search.query` (its docstring gives the syntax); similar incidents for the site are
`pmkb.search.similarity`, which analyzes words with this module's analyzer.

The index
---------

Kept under `<project>/.cache/pmkb/search/` (see `cache_dir`):

- `manifest.json`: the only entry point. Schema version, content folder, taxonomy fingerprint, the whoosh
  generation folder in use with the sha256 of its table of contents and the (size, mtime) of its segment files,
  and for every postmortem file `(mtime_ns, size, sha256, id or null if invalid)`. It is replaced atomically
  (temp file + `os.replace`) and only after a whoosh commit, so an interrupted writer leaves a manifest that
  under-describes the index; the next run re-indexes those files again (deletes go by path, so this repairs).
- `g-<random>/`: the whoosh index. whoosh unpickles its table of contents and stored fields, so an index is
  only opened when the manifest this tool wrote vouches for exactly those bytes; anything else is rebuilt.
- `update.lock`: held (OS file lock, waited for with a timeout) by whoever updates or rebuilds the index.
  Readers never take it: they open the verified generation, and retry from the manifest if a concurrent
  writer swapped files away underneath them.
- `similar.json`: the similar-incidents cache (see `pmkb.search.similarity.similar_incidents`).

Validity is decided per file with the catalog's own `check_bytes` (the rules of `pmkb lint`), for new or
changed files only; only valid postmortems are indexed. Staleness is decided by (mtime_ns, size) first and
sha256 second, so a `touch` costs a hash, not a re-index.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from pmkb.core.catalog import SourceRef, check_bytes, discover, is_hidden, is_postmortem
from pmkb.core.fields import shown_values
from pmkb.core.model import Postmortem
from pmkb.core.source import body_of
from pmkb.core.taxonomy import Taxonomy
from pmkb.search.analyzer import analyze, text_analyzer
from pmkb.search.query import (
    BoolNode,
    EveryNode,
    KeywordNode,
    ParsedQuery,
    QueryError,
    RangeNode,
    TextNode,
    normalize_keyword,
    parse_query,
)

SCHEMA_VERSION = 1
MANIFEST_FORMAT = "pmkb-search-manifest"
INDEX_NAME = "MAIN"
MANIFEST_NAME = "manifest.json"
LOCK_NAME = "update.lock"
GENERATION_PREFIX = "g-"
DEFAULT_LIMIT = 10
LOCK_TIMEOUT = 10.0  # seconds to wait for another process updating the index before searching the old one
INITIAL_BUILD_TIMEOUT = 600.0  # ... or, when there is no index at all yet, for it to finish building it
WHOOSH_LOCK_TIMEOUT = 10.0
OPEN_ATTEMPTS = 4

# Field boosts for free words: a word in the title says more than one in the body.
TEXT_FIELDS = (("title", 3.0), ("summary", 2.0), ("actions", 1.5), ("keywords", 1.5), ("body", 1.0))
FACET_FIELDS = ("cause", "severity", "service")

MATCH_START, MATCH_END = "\x02", "\x03"  # around highlighted words in snippets, before formatting


class SearchIndexError(Exception):
    """The index cannot be built, read or repaired (a one-line message). Never raised for bad queries."""


class IndexChangedError(SearchIndexError):
    """Another process committed to the index after its manifest was read: read the manifest again."""


def cache_dir(project_root: Path) -> Path:
    """Where the search index and the similar-incidents cache live (`.gitignore` covers `/.cache/`)."""
    return Path(project_root) / ".cache" / "pmkb" / "search"


# -- the analyzer ------------------------------------------------------------------------------------------------

# -- queries -----------------------------------------------------------------------------------------------------


def translate(node):
    """The whoosh query for a parsed query's tree, or None if it constrains nothing."""
    from whoosh import query as q

    if isinstance(node, EveryNode):
        return q.Every()
    if isinstance(node, BoolNode):
        children = [translate(child) for child in node.children]
        children = [child for child in children if child is not None]
        if node.op == "not":
            return q.Not(children[0]) if children else None
        if not children:
            return None
        if len(children) == 1:
            return children[0]
        return q.And(children) if node.op == "and" else q.Or(children)
    if isinstance(node, KeywordNode):
        return q.Prefix(node.field, node.value) if node.prefix else q.Term(node.field, node.value)
    if isinstance(node, RangeNode):
        if node.field == "date":
            return q.DateRange("date", node.low, node.high, endexcl=node.high_exclusive)
        return q.NumericRange(node.field, node.low, node.high)
    assert isinstance(node, TextNode)
    fields = TEXT_FIELDS if node.field is None else ((node.field, 1.0),)
    if node.prefix:
        return q.Or([q.Prefix(name, node.text.lower(), boost=boost) for name, boost in fields])
    words = analyze(node.text)
    if not words:
        return None  # a stop word: it constrains nothing (as in whoosh)
    if len(words) == 1:
        return q.Or([q.Term(name, words[0], boost=boost) for name, boost in fields])
    return q.Or([q.Phrase(name, words, boost=boost) for name, boost in fields])


# -- the whoosh schema -------------------------------------------------------------------------------------------


def _schema(taxonomy: Taxonomy):
    """The index's fields: the built-in ones, and a keyword field per value field (`region:eu-west-1`)."""
    from whoosh import fields as f

    text = text_analyzer()
    schema = f.Schema(
        path=f.ID(stored=True, unique=True),  # src_uri: the unique key updates and deletes go by
        id=f.ID(sortable=True),  # lower case
        title=f.TEXT(analyzer=text),
        summary=f.TEXT(analyzer=text),
        actions=f.TEXT(analyzer=text),
        body=f.TEXT(analyzer=text),
        keywords=f.TEXT(analyzer=text),  # id words, services, tags, causes, owners: for free words
        cause=f.KEYWORD(lowercase=True),
        contributing=f.KEYWORD(lowercase=True),
        severity=f.KEYWORD(lowercase=True),
        service=f.KEYWORD(lowercase=True),
        tag=f.KEYWORD(lowercase=True),
        status=f.KEYWORD(lowercase=True),
        owner=f.KEYWORD(lowercase=True),
        trigger=f.KEYWORD(lowercase=True),
        detection=f.KEYWORD(lowercase=True),
        date=f.DATETIME(sortable=True),
        year=f.NUMERIC(int),
        severity_rank=f.NUMERIC(int),
        meta=f.STORED(),  # what a hit shows, in the author's spelling
    )
    for spec in taxonomy.value_fields:  # their names never clash with the fields above (custom_fields.RESERVED_NAMES)
        schema.add(spec.name, f.KEYWORD(lowercase=True))
    return schema


def _document(postmortem: Postmortem, body: str, taxonomy: Taxonomy) -> dict:
    p = postmortem

    def keywords(values: Iterable[str]) -> str:
        return " ".join(dict.fromkeys(normalize_keyword(v) for v in values if normalize_keyword(v)))

    given = [(spec.name, value) for spec in taxonomy.value_fields if (value := p.value_of(spec.name)) is not None]
    values = {name: shown_values(value) for name, value in given}  # type: ignore[arg-type]  # validated values
    words = [p.id.replace("-", " "), *p.services, *p.tags, p.cause, *p.contributing, *p.owners]
    words += [word for name, value in given if isinstance(value, str | tuple) for word in values[name]]
    return {
        **{name: keywords(texts) for name, texts in values.items()},
        "path": p.src_uri,
        "id": p.id.lower(),
        "title": p.title,
        "summary": p.impact.summary,
        "actions": "\n".join(item.title for item in p.action_items),
        "body": body,
        "keywords": " ".join(w.replace("-", " ") for w in words),
        "cause": keywords([p.cause]),
        "contributing": keywords(p.contributing),
        "severity": keywords([p.severity]),
        "service": keywords(p.services),
        "tag": keywords(p.tags),
        "status": keywords([p.status]),
        "owner": keywords(p.owners),
        "trigger": keywords([p.trigger] if p.trigger else []),
        "detection": keywords([p.detection] if p.detection else []),
        "date": datetime(p.date.year, p.date.month, p.date.day),
        "year": p.date.year,
        "severity_rank": taxonomy.severity_rank(p.severity),
        "meta": {
            "id": p.id,
            "title": p.title,
            "date": p.date.isoformat(),
            "severity": p.severity,
            "cause": p.cause,
            "services": list(p.services),
            "summary": p.impact.summary,
            "status": p.status,
        },
    }


# -- finding the files -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FoundFile:
    src_uri: str
    abs_path: str
    mtime_ns: int
    size: int


def scan_postmortems(
    docs_dir: Path,
    page_dirs: tuple[str, ...],
    excluded: Callable[[str], bool] = is_hidden,
    display_prefix: str = "",
) -> dict[str, FoundFile]:
    """Every postmortem file the catalog would read (`discover` + `is_postmortem`), with its (mtime, size)."""
    refs, _ = discover(docs_dir, display_prefix, excluded)
    found: dict[str, FoundFile] = {}
    for ref in refs:
        if not is_postmortem(ref.src_uri, page_dirs):
            continue
        try:
            stat = os.stat(ref.abs_path)
        except OSError:
            continue  # vanished, or a broken link: lint reports it
        found[ref.src_uri] = FoundFile(ref.src_uri, str(ref.abs_path), stat.st_mtime_ns, stat.st_size)
    return found


# -- the manifest ------------------------------------------------------------------------------------------------


class ManifestEntry(NamedTuple):
    """What the index knows of one file; a tuple so that it is stored as a JSON list."""

    mtime_ns: int
    size: int
    sha256: str
    postmortem_id: str | None  # None: the file does not validate, so the index holds nothing of it


@dataclass
class Manifest:
    generation: str  # folder name of the whoosh index
    docs_dir: str
    taxonomy: str  # fingerprint
    toc: tuple[str, str]  # (file name, sha256)
    files: dict[str, tuple[int, int]]  # whoosh file -> (size, mtime_ns)
    entries: dict[str, ManifestEntry]  # by src_uri

    @property
    def content_version(self) -> str:
        digest = hashlib.sha256()
        for src_uri in sorted(self.entries):
            _, _, sha, pid = self.entries[src_uri]
            digest.update(f"{src_uri}\0{sha}\0{pid}\n".encode())
        return digest.hexdigest()

    def to_json(self) -> dict:
        return {
            "format": MANIFEST_FORMAT,
            "schema": SCHEMA_VERSION,
            "generation": self.generation,
            "docs_dir": self.docs_dir,
            "taxonomy": self.taxonomy,
            "toc": list(self.toc),
            "files": {name: list(stamp) for name, stamp in sorted(self.files.items())},
            "content_version": self.content_version,
            "entries": {src_uri: list(entry) for src_uri, entry in sorted(self.entries.items())},
        }

    @classmethod
    def from_json(cls, data: object) -> Manifest | None:
        """A manifest from parsed JSON, or None if it is not exactly what this version writes."""
        if not isinstance(data, dict):
            return None
        try:
            _require(data["format"] == MANIFEST_FORMAT)
            _require(data["schema"] == SCHEMA_VERSION)
            generation = data["generation"]
            _require(isinstance(generation, str) and re.fullmatch(GENERATION_PREFIX + r"[0-9a-f]{16}", generation))
            toc_name, toc_sha = data["toc"]
            _require(isinstance(toc_name, str) and re.fullmatch(_TOC_RE, toc_name) and isinstance(toc_sha, str))
            files = {}
            for name, (size, mtime_ns) in data["files"].items():
                _require(_is_plain_name(name) and type(size) is int and type(mtime_ns) is int)
                files[name] = (size, mtime_ns)
            entries = {}
            for src_uri, (mtime_ns, size, sha, pid) in data["entries"].items():
                _require(type(mtime_ns) is int and type(size) is int and isinstance(sha, str))
                _require(pid is None or isinstance(pid, str))
                entries[src_uri] = ManifestEntry(mtime_ns, size, sha, pid)
            docs_dir, taxonomy = data["docs_dir"], data["taxonomy"]
            _require(isinstance(docs_dir, str) and isinstance(taxonomy, str))
            manifest = cls(generation, docs_dir, taxonomy, (toc_name, toc_sha), files, entries)
            _require(data.get("content_version") == manifest.content_version)
            return manifest
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


_TOC_RE = rf"_{INDEX_NAME}_\d+\.toc"


def _require(condition: object) -> None:
    if not condition:
        raise ValueError("not a manifest this version wrote")


def _is_plain_name(name: object) -> bool:
    return isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\\" not in name


def write_atomically(path: Path, text: str | Iterable[str]) -> None:
    """Replace `path` with `text` (or its chunks, written one by one) all at once: readers see old or new."""
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        with open(temporary, "w", encoding="utf-8") as stream:
            if isinstance(text, str):
                stream.write(text)
            else:
                stream.writelines(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def taxonomy_fingerprint(taxonomy: Taxonomy) -> str:
    return hashlib.sha256(repr(taxonomy).encode()).hexdigest()[:32]


# -- the index ---------------------------------------------------------------------------------------------------


@dataclass
class SyncReport:
    """What one `SearchIndex.sync` did; tests assert on `reindexed` to prove unchanged files were skipped."""

    rebuilt: bool = False
    reindexed: list[str] = field(default_factory=list)  # src_uris (re)read and (re)indexed or dropped as invalid
    deleted: list[str] = field(default_factory=list)
    rehashed: int = 0  # files whose stamp changed but whose content did not
    unchanged: int = 0
    invalid: int = 0  # postmortems left out of the index because they do not validate (see `pmkb lint`)
    stale: str | None = None  # why the index could not be updated (busy, read-only): it was used as it was
    repaired: str | None = None  # what was wrong with a cache that could not be read: it was rebuilt
    seconds: float = 0.0

    def summary(self) -> str:
        if self.rebuilt:
            action = f"rebuilt with {len(self.reindexed) - self.invalid} postmortems"
        else:
            action = f"{len(self.reindexed)} re-indexed, {len(self.deleted)} removed, {self.unchanged} unchanged"
        invalid = f", {self.invalid} invalid left out (see pmkb lint)" if self.invalid else ""
        stale = f" (not updated: {self.stale}; results may be stale)" if self.stale else ""
        repaired = f" ({self.repaired})" if self.repaired else ""
        return f"search index: {action}{invalid} in {self.seconds:.2f}s{stale}{repaired}"


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    date: str
    severity: str
    cause: str
    services: tuple[str, ...]
    path: str  # relative to the folder holding mkdocs.yml, like lint's diagnostics
    score: float
    snippet: tuple[tuple[str, bool], ...]  # (text, is_match) segments

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "date": self.date,
            "severity": self.severity,
            "cause": self.cause,
            "services": list(self.services),
            "path": self.path,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: tuple[Hit, ...]
    total: int  # every match, not only the hits shown
    facets: dict[str, list[tuple[str, int]]] | None  # facet -> [(value, count)], over every match
    report: SyncReport


class SearchIndex:
    """The search index of one project. `sync()` brings it up to date; `search()` syncs and queries."""

    def __init__(
        self,
        docs_dir: Path,
        *,
        root: Path,
        taxonomy: Taxonomy,
        page_dirs: tuple[str, ...],
        excluded: Callable[[str], bool] = is_hidden,
        display_prefix: str = "",
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        self.docs_dir = Path(docs_dir)
        self.root = Path(root)
        self.directory = cache_dir(self.root)
        self.taxonomy = taxonomy
        self.page_dirs = page_dirs
        self.excluded = excluded
        self.display_prefix = display_prefix
        self.lock_timeout = lock_timeout
        self.fingerprint = taxonomy_fingerprint(taxonomy)
        self.damaged: str | None = None  # set by read_manifest when a manifest exists but cannot be used

    @classmethod
    def for_project(cls, project, **kwargs) -> SearchIndex:
        taxonomy, _ = project.load_taxonomy()
        return cls(
            project.docs_dir,
            root=project.root,
            taxonomy=taxonomy,
            page_dirs=project.options.pages,
            excluded=project.excluded,
            display_prefix=project.display_prefix,
            **kwargs,
        )

    # -- reading the manifest and opening the index --------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.directory / MANIFEST_NAME

    def read_manifest(self) -> Manifest | None:
        """The manifest, if it is ours, current, for this content folder and taxonomy, and vouches for the index."""
        self.damaged = None
        try:
            raw = self.manifest_path.read_bytes()
        except OSError:
            return None
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's recursion limit
            self.damaged = f"{MANIFEST_NAME} is damaged"
            return None
        manifest = Manifest.from_json(data)
        if manifest is None:
            self.damaged = f"{MANIFEST_NAME} is damaged or from another version"
            return None
        if manifest.docs_dir != str(self.docs_dir) or manifest.taxonomy != self.fingerprint:
            return None
        return manifest if self._verify(manifest) else None

    def _verify(self, manifest: Manifest) -> bool:
        """The generation folder holds exactly the files the manifest recorded after its commit."""
        folder = self.directory / manifest.generation
        toc_name, toc_sha = manifest.toc
        try:
            tocs = [name for name in os.listdir(folder) if re.fullmatch(_TOC_RE, name)]
            if max(tocs, key=lambda name: int(name[len(INDEX_NAME) + 2 : -4]), default=None) != toc_name:
                return False  # a newer (unrecorded) or no table of contents: not what we vouch for
            if _sha256_file(folder / toc_name) != toc_sha:
                return False
            for name, (size, mtime_ns) in manifest.files.items():
                stat = os.stat(folder / name)
                if (stat.st_size, stat.st_mtime_ns) != (size, mtime_ns):
                    return False
        except (OSError, ValueError):
            return False
        return True

    def _record_files(self, folder: Path) -> tuple[tuple[str, str], dict[str, tuple[int, int]]]:
        from whoosh.index import TOC

        generation = TOC._latest_generation(_storage(folder), INDEX_NAME)
        toc_name = TOC._filename(INDEX_NAME, generation)
        files = {}
        pattern = TOC._segment_pattern(INDEX_NAME)
        for name in os.listdir(folder):
            if pattern.match(name):
                stat = os.stat(folder / name)
                files[name] = (stat.st_size, stat.st_mtime_ns)
        return (toc_name, _sha256_file(folder / toc_name)), files

    def _open_searcher(self, manifest: Manifest):
        """A searcher pinned to the generation the manifest vouches for (only after `_verify`)."""
        from whoosh.index import TOC, FileIndex
        from whoosh.searching import Searcher

        storage = _storage(self.directory / manifest.generation)
        generation = int(manifest.toc[0][len(INDEX_NAME) + 2 : -4])
        schema = _schema(self.taxonomy)
        toc = TOC.read(storage, INDEX_NAME, gen=generation, schema=schema)
        reader = FileIndex._reader(storage, schema, toc.segments, generation)
        return Searcher(reader)

    # -- bringing the index up to date ---------------------------------------------------------------------------

    def sync(self, rebuild: bool = False) -> tuple[SyncReport, Manifest]:
        """Re-index new, changed and deleted files (or everything, if the index is missing, foreign or broken).

        Raises `SearchIndexError` if the index cannot be written. When an index exists but cannot be updated
        (another process holds the update lock for longer than `lock_timeout`, or the cache folder is read-only),
        returns it as it is, with `report.stale` saying why.
        """
        started = time.perf_counter()
        found = scan_postmortems(self.docs_dir, self.page_dirs, self.excluded, self.display_prefix)
        manifest = None if rebuild else self.read_manifest()
        if manifest is not None and not _stamps_differ(manifest, found):
            report = SyncReport(unchanged=len(found), invalid=_invalid_count(manifest))
            report.seconds = time.perf_counter() - started
            return report, manifest
        try:
            if manifest is None:
                self._clear_the_way()
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            message = f"cannot create the search index folder {self.directory}: {failure_reason(error)}"
            raise SearchIndexError(message) from None
        timeout = self.lock_timeout if manifest is not None else max(self.lock_timeout, INITIAL_BUILD_TIMEOUT)
        with self._update_lock(timeout) as problem:
            if problem is not None:
                if manifest is None:
                    raise SearchIndexError(f"cannot build the search index: {problem}")
                report = SyncReport(unchanged=len(found), invalid=_invalid_count(manifest), stale=problem)
                report.seconds = time.perf_counter() - started
                return report, manifest
            current = None if rebuild else self.read_manifest()  # again: another process may have updated it
            damaged = None if rebuild else self.damaged
            if current is None:
                report, manifest = self._rebuild(found)
            else:
                try:
                    report, manifest = self._update(current, found)
                except SearchIndexError:
                    raise
                except Exception as error:  # a broken index: whoosh may raise anything; start over
                    damaged = f"the index could not be updated ({failure_reason(error)})"
                    report, manifest = self._rebuild(found)
            report.repaired = damaged
        report.seconds = time.perf_counter() - started
        return report, manifest

    def _clear_the_way(self) -> None:
        """Remove what stands where the index's own folders and files go: a file or a dangling link in place of
        `.cache/pmkb` or its `search` folder, a folder in place of the manifest or the lock. All of it is pmkb's
        cache (rebuilt from the postmortems); `.cache` itself may be another tool's, and is never touched."""
        for folder in (self.directory.parent, self.directory):
            if (folder.is_symlink() or folder.exists()) and not folder.is_dir():
                folder.unlink()
        for name in (MANIFEST_NAME, LOCK_NAME):
            path = self.directory / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)

    @contextlib.contextmanager
    def _update_lock(self, timeout: float) -> Iterator[str | None]:
        """Hold the update lock: yields None, or why it could not be taken (busy, or a read-only folder)."""
        from whoosh.util.filelock import FileLock, try_for

        lock = FileLock(str(self.directory / LOCK_NAME))
        acquired = False
        try:
            acquired = bool(try_for(lambda: lock.acquire(blocking=False), timeout=timeout, delay=0.05))
            problem = None if acquired else "another pmkb process is updating it and did not finish in time"
        except OSError as error:
            problem = f"cannot lock it in {self.directory}: {failure_reason(error)}"
        try:
            yield problem
        finally:
            if acquired:
                lock.release()

    def _read_changes(
        self, manifest: Manifest | None, found: dict[str, FoundFile], report: SyncReport
    ) -> Iterator[tuple[str, ManifestEntry, dict | None]]:
        """For every new or changed file: (src_uri, its new manifest entry, what to do with the index).

        The last item is a whoosh document to (re)index, `{}` for a file that does not validate (remove it from
        the index), or None for a file whose stamp changed but not its content (nothing to re-index).
        """
        entries = manifest.entries if manifest is not None else {}
        for src_uri in sorted(found):
            item = found[src_uri]
            old = entries.get(src_uri)
            if old is not None and (old.mtime_ns, old.size) == (item.mtime_ns, item.size):
                report.unchanged += 1
                continue
            try:
                raw = Path(item.abs_path).read_bytes()
            except OSError:
                continue  # vanished or unreadable since the scan: lint reports it; try again next time
            sha = hashlib.sha256(raw).hexdigest()
            if old is not None and old.sha256 == sha:
                report.rehashed += 1
                yield src_uri, ManifestEntry(item.mtime_ns, item.size, sha, old.postmortem_id), None
                continue
            report.reindexed.append(src_uri)
            ref = SourceRef(src_uri, Path(item.abs_path), self.display_prefix + src_uri)
            check = check_bytes(raw, ref, self.taxonomy)
            postmortem = check.postmortem
            if postmortem is None:
                report.invalid += 1
                yield src_uri, ManifestEntry(item.mtime_ns, item.size, sha, None), {}
                continue
            body = body_of(raw, ref.display_path)
            document = _document(postmortem, body, self.taxonomy)
            yield src_uri, ManifestEntry(item.mtime_ns, item.size, sha, postmortem.id), document

    def _rebuild(self, found: dict[str, FoundFile]) -> tuple[SyncReport, Manifest]:
        from whoosh.index import FileIndex

        report = SyncReport(rebuilt=True)
        generation = GENERATION_PREFIX + secrets.token_hex(8)
        folder = self.directory / generation
        try:
            folder.mkdir(parents=True)
            index = FileIndex.create(_storage(folder), _schema(self.taxonomy), INDEX_NAME)
            writer = _writer(index, timeout=WHOOSH_LOCK_TIMEOUT, limitmb=REBUILD_MEMORY_MB)
        except Exception as error:
            shutil.rmtree(folder, ignore_errors=True)
            raise SearchIndexError(
                f"cannot create the search index in {self.directory}: {failure_reason(error)}"
            ) from None
        entries: dict[str, ManifestEntry] = {}
        try:
            for src_uri, entry, document in self._read_changes(None, found, report):
                entries[src_uri] = entry
                if document:
                    writer.add_document(**document)
            writer.commit()
            toc, files = self._record_files(folder)
        except BaseException as error:
            with contextlib.suppress(Exception):
                writer.cancel()
            shutil.rmtree(folder, ignore_errors=True)
            if not isinstance(error, Exception):
                raise
            raise SearchIndexError(
                f"cannot build the search index in {self.directory}: {failure_reason(error)}"
            ) from None
        report.unchanged = 0
        manifest = Manifest(generation, str(self.docs_dir), self.fingerprint, toc, files, entries)
        try:
            write_atomically(self.manifest_path, json.dumps(manifest.to_json(), separators=(",", ":")))
        except OSError as error:
            shutil.rmtree(folder, ignore_errors=True)
            raise SearchIndexError(f"cannot write {self.manifest_path}: {failure_reason(error)}") from None
        self._remove_other_generations(generation)
        return report, manifest

    def _update(self, manifest: Manifest, found: dict[str, FoundFile]) -> tuple[SyncReport, Manifest]:
        from whoosh.index import FileIndex

        report = SyncReport()
        entries = dict(manifest.entries)
        deleted = sorted(set(entries) - set(found))
        changes = list(self._read_changes(manifest, found, report))
        needs_writer = bool(deleted) or any(document is not None for _, _, document in changes)
        for src_uri, entry, _ in changes:
            entries[src_uri] = entry
        for src_uri in deleted:
            del entries[src_uri]
        report.deleted = deleted
        if not changes and not deleted:
            report.invalid = _invalid_count(manifest)
            return report, manifest
        toc, files = manifest.toc, manifest.files
        folder = self.directory / manifest.generation
        if needs_writer:
            index = FileIndex(_storage(folder), _schema(self.taxonomy), INDEX_NAME)
            writer = _writer(index, timeout=WHOOSH_LOCK_TIMEOUT, limitmb=256)
            try:
                for src_uri in deleted:
                    writer.delete_by_term("path", src_uri)
                for src_uri, _, document in changes:
                    if document is None:
                        continue
                    writer.delete_by_term("path", src_uri)
                    if document:
                        writer.add_document(**document)
                writer.commit()
            except BaseException:
                with contextlib.suppress(Exception):
                    writer.cancel()
                raise
            toc, files = self._record_files(folder)
        updated = Manifest(manifest.generation, manifest.docs_dir, manifest.taxonomy, toc, files, entries)
        try:
            write_atomically(self.manifest_path, json.dumps(updated.to_json(), separators=(",", ":")))
        except OSError as error:
            raise SearchIndexError(f"cannot write {self.manifest_path}: {failure_reason(error)}") from None
        report.invalid = _invalid_count(updated)
        return report, updated

    def _remove_other_generations(self, keep: str) -> None:
        """Old index folders and leftovers of interrupted writers (we hold the update lock)."""
        for path in self.directory.iterdir():
            if path.name == keep:
                continue
            if path.is_dir() and path.name.startswith(GENERATION_PREFIX):
                shutil.rmtree(path, ignore_errors=True)
            elif path.name.startswith(MANIFEST_NAME + ".tmp-"):
                with contextlib.suppress(OSError):
                    path.unlink()

    # -- searching -----------------------------------------------------------------------------------------------

    def search(
        self,
        query: str | ParsedQuery,
        *,
        limit: int | None = DEFAULT_LIMIT,
        facets: bool = False,
        snippets: bool = True,
        rebuild: bool = False,
    ) -> SearchResults:
        """Sync, then run `query`: best match first (ties: newest, then id).

        Raises `QueryError` (malformed query) or `SearchIndexError` (the index cannot be built or read even after
        a rebuild). A concurrent writer that swaps files away while we read costs a retry, never an error.
        """
        parsed = query if isinstance(query, ParsedQuery) else parse_query(query, self.taxonomy)
        report, manifest = self.sync(rebuild=rebuild)
        failure: Exception | None = None
        for attempt in range(OPEN_ATTEMPTS):
            if attempt:
                time.sleep(0.05 * attempt)
                # A concurrent writer may have replaced the files: re-read, and on the last try start over.
                last = attempt == OPEN_ATTEMPTS - 1
                fresh = None if last else self.read_manifest()
                if fresh is None:
                    report, manifest = self.sync(rebuild=last)
                else:
                    manifest = fresh
            try:
                with self.open_searcher(manifest) as searcher:
                    return searcher.search(parsed, limit=limit, facets=facets, snippets=snippets, report=report)
            except IndexChangedError as error:  # another process committed since we read the manifest
                failure = error
            except (SearchIndexError, QueryError):
                raise
            except Exception as error:  # a concurrent writer, or a damaged index: whoosh may raise anything
                failure = error
        raise SearchIndexError(f"cannot read the search index in {self.directory}: {failure_reason(failure)}")

    @contextlib.contextmanager
    def open_searcher(self, manifest: Manifest | None = None) -> Iterator[IndexSearcher]:
        """A searcher over the generation `manifest` vouches for (default: sync first). Reuse it for many queries.

        Raises `SearchIndexError` if the index does not verify, or whatever whoosh raises on a damaged index
        (`search()` retries and repairs; callers of this lower-level method handle it themselves).
        """
        if manifest is None:
            _, manifest = self.sync()
        if not self._verify(manifest):
            raise IndexChangedError("the search index changed while it was being opened")
        searcher = self._open_searcher(manifest)
        try:
            yield IndexSearcher(searcher, self)
        finally:
            searcher.close()


class IndexSearcher:
    """An open whoosh searcher plus what it takes to turn hits into `Hit`s."""

    def __init__(self, searcher, index: SearchIndex) -> None:
        self.whoosh_searcher = searcher
        self.index = index

    def search(
        self,
        query: str | ParsedQuery,
        *,
        limit: int | None = DEFAULT_LIMIT,
        facets: bool = False,
        snippets: bool = True,
        report: SyncReport | None = None,
    ) -> SearchResults:
        from whoosh import sorting

        index = self.index
        parsed = query if isinstance(query, ParsedQuery) else parse_query(query, index.taxonomy)
        report = report or SyncReport()
        whoosh_query = translate(parsed.tree)
        if whoosh_query is None:
            return SearchResults(parsed.text, (), 0, {} if facets else None, report)
        searcher = self.whoosh_searcher
        order = sorting.MultiFacet(
            [sorting.ScoreFacet(), sorting.FieldFacet("date", reverse=True), sorting.FieldFacet("id")]
        )
        results = searcher.search(whoosh_query, limit=limit, sortedby=order)
        terms = parsed.highlight_terms() if snippets else None
        hits = []
        for key, docnum in results.top_n:
            # With sortedby, whoosh's sort key starts with ScoreFacet's key, which is the negated score.
            hits.append(self._hit(searcher.stored_fields(docnum), -key[0], terms))
        total = len(results)
        facet_counts = _facet_counts(searcher, whoosh_query, index.taxonomy) if facets else None
        return SearchResults(parsed.text, tuple(hits), total, facet_counts, report)

    def _hit(self, stored: dict, score: float, terms: frozenset[str] | None) -> Hit:
        meta = stored["meta"]
        src_uri = stored["path"]
        snippet: tuple[tuple[str, bool], ...] = ()
        if terms is not None:
            snippet = _snippet(self.index.docs_dir / src_uri, meta.get("summary", ""), terms)
        return Hit(
            id=meta["id"],
            title=meta["title"],
            date=meta["date"],
            severity=meta["severity"],
            cause=meta["cause"],
            services=tuple(meta["services"]),
            path=self.index.display_prefix + src_uri,
            score=float(score),
            snippet=snippet,
        )


_WRITER_CLASS = None
REBUILD_MEMORY_MB = 512  # whoosh's posting pool estimate; below ~1 GB it spills to disk and takes twice as long


def _writer(index, **kwargs):
    """A whoosh SegmentWriter that reads each field's lengths once when it writes postings, not once per posting.

    whoosh's `_flush_segment` asks the per-document reader for a document's field length for every posting it
    writes (a seek and a read each: ~30% of a full build); this caches them per field. Everything else is
    whoosh's own code. `timeout` waits for whoosh's own write lock instead of failing at once.
    """
    global _WRITER_CLASS
    if _WRITER_CLASS is None:
        from whoosh.writing import SegmentWriter

        class CachedLengths:
            def __init__(self, reader) -> None:
                self._reader = reader
                self._lengths: dict[str, list[int]] = {}

            def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
                lengths = self._lengths.get(fieldname)
                if lengths is None:
                    reader = self._reader
                    count = reader.doc_count_all()
                    lengths = [reader.doc_field_length(d, fieldname, default) for d in range(count)]
                    self._lengths[fieldname] = lengths
                return lengths[docnum]

            def __getattr__(self, name: str):
                return getattr(self._reader, name)

        class Writer(SegmentWriter):
            def _flush_segment(self) -> None:
                self.perdocwriter.close()
                reader = self.per_document_reader() if self.codec.length_stats else None
                lengths = CachedLengths(reader) if reader is not None else None
                self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
                self.fieldwriter.close()
                if reader is not None:
                    reader.close()

        _WRITER_CLASS = Writer
    return _WRITER_CLASS(index, **kwargs)


def _storage(folder: Path):
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(str(folder))


def failure_reason(error: BaseException | None) -> str:
    """Why an operation on the index's files failed, in one line: the OS's words and the file, else the error."""
    if error is None:
        return "unknown error"
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror}" + (f": {error.filename}" if error.filename else "")
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _stamps_differ(manifest: Manifest, found: dict[str, FoundFile]) -> bool:
    entries = manifest.entries
    if len(entries) != len(found):
        return True
    for src_uri, item in found.items():
        entry = entries.get(src_uri)
        if entry is None or entry.mtime_ns != item.mtime_ns or entry.size != item.size:
            return True
    return False


def _invalid_count(manifest: Manifest) -> int:
    return sum(1 for entry in manifest.entries.values() if entry.postmortem_id is None)


def _facet_counts(searcher, whoosh_query, taxonomy: Taxonomy) -> dict[str, list[tuple[str, int]]]:
    """Counts by cause, severity, service and each value field declared with `facet`, over every match (not only
    the hits shown). A declared value is counted in its declared spelling."""
    matched = set(searcher.docs_for_query(whoosh_query))
    reader = searcher.reader()
    spelled = {slug.lower(): slug for slug in taxonomy.slugs("severities")}
    severity_order = {slug.lower(): rank for rank, slug in enumerate(taxonomy.slugs("severities"))}
    declared = [spec for spec in taxonomy.value_fields if spec.facet]
    spellings = {"severity": spelled}
    for spec in declared:
        choices = spec.item.choices if spec.item is not None else spec.choices
        spellings[spec.name] = {normalize_keyword(choice): choice for choice in choices}
    counts: dict[str, list[tuple[str, int]]] = {}
    for name in (*FACET_FIELDS, *(spec.name for spec in declared)):
        values = []
        for term in reader.lexicon(name):
            value = term.decode("utf-8") if isinstance(term, bytes) else term
            count = len(matched.intersection(reader.postings(name, value).all_ids()))
            if count:
                values.append((spellings.get(name, {}).get(value, value), count))
        if name == "severity":
            values.sort(key=lambda pair: (severity_order.get(pair[0].lower(), len(severity_order)), pair[0]))
        else:
            values.sort(key=lambda pair: (-pair[1], pair[0]))
        counts[name] = values
    return counts


_MARKDOWN_NOISE = [
    (re.compile(r"^\s*(```|~~~).*$", re.MULTILINE), " "),
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"^\s{0,3}(#{1,6}|[-*+]|\d+\.|>)\s+", re.MULTILINE), ""),
    (re.compile(r"[*`|]{1,3}"), " "),
    (re.compile(r"^\s*:?-{3,}:?\s*$", re.MULTILINE), " "),
    (re.compile(r"[\x00-\x08\x0b-\x1f]"), " "),
]
SNIPPET_CHARS = 120


def _snippet(path: Path, summary: str, terms: frozenset[str]) -> tuple[tuple[str, bool], ...]:
    """The best passage of the body (or else the impact summary) with the query's words marked."""
    from whoosh.highlight import ContextFragmenter, Formatter, highlight

    class Marker(Formatter):
        def format_token(self, text, token, replace=False):
            return MATCH_START + text[token.startchar : token.endchar] + MATCH_END

        def format(self, fragments, replace=False):
            parts = []
            for fragment in fragments:
                text = self.format_fragment(fragment, replace=replace).strip()
                before = "… " if fragment.startchar > 0 else ""
                after = " …" if fragment.endchar < len(fragment.text) else ""
                parts.append(f"{before}{text}{after}")
            return " ".join(parts).replace(" … … ", " … ")

    body = ""
    try:
        body = body_of(path.read_bytes(), str(path))
    except OSError:
        pass
    for pattern, replacement in _MARKDOWN_NOISE:
        body = pattern.sub(replacement, body)
        summary = pattern.sub(replacement, summary)
    for source in (body, summary):
        if not terms or not source:
            continue
        marked = highlight(
            source, terms, text_analyzer(), ContextFragmenter(maxchars=SNIPPET_CHARS, surround=40), Marker(), top=2
        )
        if marked and MATCH_START in marked:
            return _segments(marked)
    plain = " ".join(summary.split())
    if len(plain) > SNIPPET_CHARS:
        plain = plain[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return ((plain, False),) if plain else ()


def _segments(marked: str) -> tuple[tuple[str, bool], ...]:
    segments: list[tuple[str, bool]] = []
    for piece in re.split(f"({MATCH_START}[^{MATCH_END}]*{MATCH_END})", " ".join(marked.split())):
        if not piece:
            continue
        if piece.startswith(MATCH_START):
            segments.append((piece[1:-1], True))
        else:
            segments.append((piece, False))
    return tuple(segments)
