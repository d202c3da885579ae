"""Similar incidents: for every postmortem, the most similar published ones, for the site's pages.

Computed on every `mkdocs build`, so importing this module imports no whoosh; the words of a postmortem are the
search index's (`pmkb.search.analyzer.text_analyzer`), which reaches for whoosh's stemmer only when a file has to be
tokenized (new or changed files, or no cache).

whoosh's more_like_this costs ~35 ms a document (3 minutes at 5,000), and a CI build starts without a cache,
so the site's "Similar incidents" come from a cheaper equivalent computed in pure Python, without whoosh's
index: TF-IDF over each postmortem's key terms (title x3, impact summary x2, action-item titles, body; the
same stemming as the search index) plus its cause, contributing causes, services and tags as extra terms, so
structured overlap counts as a boost. Candidates are the postmortems that share one of a postmortem's
strongest key terms (counted at C speed with a Counter), and the best of them are ranked by exact cosine
similarity; ties go to the smaller id.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from pmkb.core.model import Postmortem
from pmkb.core.source import body_of
from pmkb.search.analyzer import text_analyzer
from pmkb.search.index import SearchIndexError, cache_dir, failure_reason, write_atomically

SIMILAR_FORMAT = "pmkb-similar"
SIMILAR_VERSION = 1  # bump whenever the algorithm, its weights or the analyzer change
SIMILAR_RESULTS_NAME = "similar.json"
SIMILAR_TERMS_NAME = "similar-terms.json"
KEY_TERMS = 30  # terms per postmortem vector
SEED_TERMS = 15  # of which the strongest find the candidates
RERANK_POOL = 60  # candidates (most shared seed terms) scored exactly
TEXT_WEIGHTS = (3, 2, 1, 1)  # title, impact summary, action-item titles, body
STRUCTURED_WEIGHTS = {"cause": 3, "contributing": 1, "service": 3, "tag": 2}
_STRUCTURED = "\x00"  # prefix of structured terms: the tokenizer never produces it


def similar_incidents(
    project_root: Path,
    catalog,
    limit: int = 5,
    *,
    statuses: Collection[str] = ("published",),
    notes: list[str] | None = None,
) -> dict[str, tuple[str, ...]]:
    """For every postmortem in `catalog.postmortems`, the ids of up to `limit` most similar other postmortems
    whose status is in `statuses` (default: published only, so never a draft), best first.

    Deterministic: the same postmortems (ids, file contents, statuses) give the same lists, whatever the cache
    holds. A postmortem never lists itself (nor another file with its id).

    Cached in `cache_dir(project_root)`: `similar-terms.json` holds each file's term counts by sha256, so only
    new or changed files are read and tokenized again; `similar.json` holds the lists under a key made of every
    postmortem's id, status and content hash, plus `limit`, `statuses` and `SIMILAR_VERSION`. When nothing
    changed, the lists come from the cache (one `stat` a file); when anything changed, all lists are computed
    again from the cached term counts: a change to one postmortem changes term weights and candidates for all,
    and recomputing everything is what keeps the result a function of the input. The cache is an optimization:
    if it cannot be written, the lists are still returned.

    Raises `SearchIndexError` (one line) and nothing else, on any unexpected failure; a build should catch it,
    log one warning and go on without similar incidents:

        try:
            similar = similar_incidents(project_root, catalog)
        except SearchIndexError as error:
            log.warning(f"pmkb: {error}")
            similar = {}
        site = build_site(catalog, ...)
        site.add_similar(similar)
    """
    work: _SimilarIncidents | None = None
    try:
        work = _SimilarIncidents(Path(project_root), tuple(catalog.postmortems), limit, tuple(statuses))
        return work.run()
    except SearchIndexError:
        raise
    except Exception as error:  # the build must not fail for a nicety: report, in one line, whatever happened
        raise SearchIndexError(f"similar incidents unavailable: {failure_reason(error)}") from error
    finally:
        if (
            notes is not None and work is not None
        ):  # a damaged cache was rebuilt: said once, never a warning (--strict must pass)
            notes.extend(f"similar incidents: {name} could not be read and was rebuilt" for name in work.damaged)


def similar_found(project_root: Path, catalog, limit: int):
    """`similar_incidents` as a build takes it: the lists, or the one line that says why there are none, and the
    notes to say once (a damaged cache that was rebuilt), as `pmkb.site.late_work.SimilarFound`'s fields."""
    notes: list[str] = []
    try:
        return similar_incidents(project_root, catalog, limit=limit, notes=notes), None, tuple(notes)
    except SearchIndexError as error:
        return {}, str(error), tuple(notes)


@dataclass
class _Source:
    postmortem: Postmortem
    path: Path
    stamp: tuple[int, int] | None
    sha: str  # "" if unreadable
    raw: bytes | None = None


class _SimilarIncidents:
    def __init__(self, root: Path, postmortems: tuple[Postmortem, ...], limit: int, statuses: tuple[str, ...]):
        self.root = root
        self.directory = cache_dir(root)
        self.postmortems = sorted(postmortems, key=lambda p: (p.id, p.src_uri))
        self.limit = max(0, int(limit))
        self.statuses = tuple(sorted(set(statuses)))
        self.stats = {"read": 0, "tokenized": 0, "computed": 0}  # for tests and measurements
        self.damaged: list[str] = []  # cache files that exist but could not be used (and are rewritten)

    def run(self) -> dict[str, tuple[str, ...]]:
        cached = self._load(SIMILAR_RESULTS_NAME) or {}
        known = _mapping(cached.get("files"))
        sources = [self._source(p, known.get(p.src_uri)) for p in self.postmortems]
        key = self._key(sources)
        lists = _mapping(cached.get("lists"))
        if cached.get("key") == key and all(_is_id_list(lists.get(p.id)) for p in self.postmortems):
            return {p.id: tuple(lists[p.id]) for p in self.postmortems}
        cached_terms = _mapping((self._load(SIMILAR_TERMS_NAME) or {}).get("docs"))
        counts = [self._counts(source, cached_terms.get(source.postmortem.src_uri)) for source in sources]
        # Rewriting the term counts costs more than tokenizing a few files again next time: only when it pays.
        stale = len(cached_terms.keys() - {s.postmortem.src_uri for s in sources})
        del cached_terms
        tokenized = self.stats["tokenized"]
        if (tokenized and tokenized >= max(1, len(sources) // 50)) or stale > max(10, len(sources) // 10):
            self._save_terms({s.postmortem.src_uri: (s.sha, c) for s, c in zip(sources, counts, strict=True) if s.sha})
        lists = self._compute(counts)  # consumes `counts`
        self.stats["computed"] = len(lists)
        self._save(
            SIMILAR_RESULTS_NAME,
            {
                "key": key,
                "files": {s.postmortem.src_uri: [*s.stamp, s.sha] for s in sources if s.sha and s.stamp},
                "lists": {pid: list(ids) for pid, ids in lists.items()},
            },
        )
        return lists

    # -- inputs ----------------------------------------------------------------------------------------------

    def _source(self, postmortem: Postmortem, known: object) -> _Source:
        path = self.root / postmortem.path
        try:
            stat = path.stat()
        except OSError:
            return _Source(postmortem, path, None, "")
        stamp = (stat.st_mtime_ns, stat.st_size)
        if isinstance(known, list) and len(known) == 3 and tuple(known[:2]) == stamp and isinstance(known[2], str):
            return _Source(postmortem, path, stamp, known[2])
        try:
            raw = path.read_bytes()
        except OSError:
            return _Source(postmortem, path, None, "")
        self.stats["read"] += 1
        return _Source(postmortem, path, stamp, hashlib.sha256(raw).hexdigest(), raw)

    def _key(self, sources: list[_Source]) -> str:
        digest = hashlib.sha256(f"{SIMILAR_VERSION}\0{self.limit}\0{','.join(self.statuses)}\n".encode())
        for source in sources:
            p = source.postmortem
            digest.update(f"{p.id}\0{p.src_uri}\0{p.status}\0{source.sha}\n".encode())
        return digest.hexdigest()

    def _counts(self, source: _Source, cached: object) -> dict[str, int]:
        if source.sha and isinstance(cached, list) and len(cached) == 2 and cached[0] == source.sha:
            counts = cached[1]
            if isinstance(counts, dict) and all(type(n) is int for n in counts.values()):
                return counts
        body = ""
        raw = source.raw
        if raw is None and source.sha:
            try:
                raw = source.path.read_bytes()
            except OSError:
                raw = None
            if raw is not None and hashlib.sha256(raw).hexdigest() != source.sha:
                raw = None  # changed since we hashed it: use the front matter's text only, deterministically
        if raw is not None:
            body = body_of(raw, str(source.path))
        source.raw = None  # thousands of files: keep none of them longer than needed
        self.stats["tokenized"] += 1
        return term_counts(source.postmortem, body)

    # -- the similarity --------------------------------------------------------------------------------------

    def _compute(self, counts: list[dict[str, int]]) -> dict[str, tuple[str, ...]]:
        """The lists, from each postmortem's term counts. Consumes `counts` (adds terms, then empties the list):
        at 5,000 postmortems they are a hundred megabytes that the ranking below no longer needs."""
        postmortems = self.postmortems
        total = len(postmortems)
        documents = counts
        for document, p in zip(documents, postmortems, strict=True):
            for name, values in (
                ("cause", [p.cause]),
                ("contributing", p.contributing),
                ("service", p.services),
                ("tag", p.tags),
            ):
                for value in values:
                    term = f"{_STRUCTURED}{name}:{value.lower()}"
                    document[term] = document.get(term, 0) + STRUCTURED_WEIGHTS[name]
        frequency: Counter[str] = Counter()
        for document in documents:
            frequency.update(document.keys())
        idf = {term: math.log(total / n) for term, n in frequency.items() if n >= 2}  # a term no one shares: moot
        vectors: list[dict[str, float]] = []
        seeds: list[list[str]] = []
        log_tf = _LOG_TF
        for document in documents:
            weighted = [
                ((log_tf[n] if n < _LOG_TF_SIZE else 1.0 + math.log(n)) * weight, term)
                for term, n in document.items()
                if (weight := idf.get(term))
            ]
            weighted.sort(reverse=True)  # in C: faster than heapq.nlargest for a few hundred terms
            top = weighted[:KEY_TERMS]
            norm = math.sqrt(sum(w * w for w, _ in top)) or 1.0
            vectors.append({term: w / norm for w, term in top})
            seeds.append([term for _, term in top[:SEED_TERMS]])
        documents.clear()
        del frequency, idf

        candidates = [i for i, p in enumerate(postmortems) if p.status in self.statuses]
        postings: dict[str, list[int]] = {}
        for i in candidates:
            for term in vectors[i]:
                postings.setdefault(term, []).append(i)
        empty: list[int] = []
        ids = [p.id for p in postmortems]
        results: dict[str, tuple[str, ...]] = {}
        for d, p in enumerate(postmortems):
            if p.id in results:
                continue  # a duplicate id (an error lint reports): the first file by path speaks for it
            if not self.limit:
                results[p.id] = ()
                continue
            shared = Counter(itertools.chain.from_iterable([postings.get(term, empty) for term in seeds[d]]))
            vector = vectors[d]
            scored = []
            for i, _ in shared.most_common(RERANK_POOL + 1):
                if ids[i] == p.id:
                    continue
                other = vectors[i]
                score = sum([vector[term] * other[term] for term in vector.keys() & other.keys()])
                scored.append((-round(score, 9), ids[i]))
            scored.sort()
            results[p.id] = tuple(dict.fromkeys(pid for _, pid in scored))[: self.limit]
        return results

    # -- the cache files -------------------------------------------------------------------------------------

    def _load(self, name: str) -> dict | None:
        try:
            raw = (self.directory / name).read_bytes()
        except OSError:
            return None
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's recursion limit
            data = None
        if not isinstance(data, dict) or data.get("format") != SIMILAR_FORMAT or data.get("version") != SIMILAR_VERSION:
            self.damaged.append(name)
            return None
        return data

    def _save_terms(self, docs: dict[str, tuple[str, dict[str, int]]]) -> None:
        """The term counts cache, written one document at a time: as one JSON string it would be tens of
        megabytes at 5,000 postmortems. Reads back as `{"format", "version", "docs": {src_uri: [sha, counts]}}`."""
        head = json.dumps({"format": SIMILAR_FORMAT, "version": SIMILAR_VERSION}, separators=(",", ":"))

        def chunks():
            yield head[:-1] + ',"docs":{'
            for number, (src_uri, (sha, counts)) in enumerate(sorted(docs.items())):
                document = json.dumps([sha, counts], separators=(",", ":"), ensure_ascii=False)
                yield f"{',' if number else ''}{json.dumps(src_uri, ensure_ascii=False)}:{document}"
            yield "}}"

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_atomically(self.directory / SIMILAR_TERMS_NAME, chunks())
        except OSError:
            pass  # as in _save

    def _save(self, name: str, data: dict) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            payload = {"format": SIMILAR_FORMAT, "version": SIMILAR_VERSION, **data}
            write_atomically(self.directory / name, json.dumps(payload, separators=(",", ":"), ensure_ascii=False))
        except OSError:
            pass  # a read-only checkout still gets its lists, computed every time


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _is_id_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


_LOG_TF_SIZE = 1024
_LOG_TF = [0.0] + [1.0 + math.log(n) for n in range(1, _LOG_TF_SIZE)]


def term_counts(postmortem: Postmortem, body: str) -> dict[str, int]:
    """Weighted counts of the stemmed words of a postmortem (the search index's analysis, in bulk)."""
    analyzer = text_analyzer()
    counts: dict[str, int] = {}
    actions = "\n".join(item.title for item in postmortem.action_items)
    texts = (postmortem.title, postmortem.impact.summary, actions, body)
    for text, weight in zip(texts, TEXT_WEIGHTS, strict=True):
        analyzer.add_term_counts(counts, text, weight)
    return counts
