"""`pmkb search` and the search index: fielded queries, ranking, output, incremental updates, damaged indexes,
concurrency, and similar incidents for the site."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from conftest import KB, front_matter
from hypothesis import given, settings
from hypothesis import strategies as st
from pmkb.cli.project import find_project
from pmkb.core.taxonomy import default_taxonomy
from pmkb.search import index as search_index
from pmkb.search import similarity
from pmkb.search.index import SearchIndex, SearchIndexError, cache_dir
from pmkb.search.query import QueryError, parse_query
from pmkb.search.similarity import similar_incidents

BOSKOS = "2019-03-25-boskos-crash-loop"
CERT = "2020-06-01-edge-certificate-expired"
DNS = "2021-02-10-dns-config-push"
POSTGRES = "2022-11-05-postgres-failover"
DRAFT = "2023-01-15-cache-stampede"
BROKEN = "2023-03-15-broken"
ALL_VALID = {BOSKOS, CERT, DNS, POSTGRES, DRAFT}


def timeline(day: str) -> dict:
    return {
        "started": f"{day}T09:00:00+00:00",
        "detected": f"{day}T10:00:00+00:00",
        "mitigated": f"{day}T11:00:00+00:00",
        "resolved": f"{day}T12:00:00+00:00",
    }


def action(title: str, owner: str, status: str = "open") -> dict:
    return {"title": title, "owner": owner, "status": status, "type": "prevent", "priority": "low"}


def incident(day: str, **fields) -> dict:
    return front_matter(date=day, timeline=timeline(day), **fields)


def add_knowledge_base(kb: KB) -> None:
    """Five valid postmortems with known content, and one that does not validate."""
    kb.add(
        BOSKOS,
        incident(
            "2019-03-25",
            title="Boskos crash loop blocks every e2e job",
            severity="SEV2",
            cause="deployment",
            contributing=["monitoring-gap", "software-bug"],
            services=["boskos", "prow"],
            tags=["kubernetes", "crash-loop"],
            impact={"summary": "Jobs needing a GCP project failed for nine hours."},
            action_items=[action("Roll out Boskos StatefulSet updates automatically", "sig-testing")],
        ),
        body=(
            "## Summary\n\nBoskos entered a crash loop after a node drain. The Boskos pod kept crashing in a loop "
            "and every job that leases a project from Boskos failed overnight.\n"
        ),
    )
    kb.add(
        CERT,
        incident(
            "2020-06-01",
            title="Edge proxy certificate expired",
            severity="SEV1",
            cause="expiry",
            contributing=["monitoring-gap"],
            services=["edge-proxy", "cdn"],
            tags=["tls", "certificates"],
            impact={"summary": "Every HTTPS connection failed for 40 minutes."},
            action_items=[action("Alert thirty days before a certificate expires", "Team Edge")],
        ),
        body=(
            "## Summary\n\nThe TLS certificate of the edge proxy expired at midnight. Browsers rejected every "
            "connection until the on-call engineer renewed the certificates by hand.\n"
        ),
    )
    kb.add(
        DNS,
        incident(
            "2021-02-10",
            title="DNS config push drops internal zones",
            severity="SEV3",
            cause="config-change",
            contributing=["expiry"],
            services=["dns"],
            tags=["dns", "config"],
            impact={"summary": "Internal names did not resolve for 15 minutes."},
            action_items=[action("Validate zone files before a push", "Team Network")],
        ),
        body=(
            "## Summary\n\nA configuration push removed the internal zones. Unlike the boskos crash loop two years "
            "earlier, the rollback took minutes. A signing key had also expired the same morning.\n"
        ),
    )
    kb.add(
        POSTGRES,
        incident(
            "2022-11-05",
            title="Postgres failover stalls checkout",
            severity="SEV2",
            cause="capacity",
            contributing=[],
            services=["postgres", "checkout"],
            tags=["database", "failover"],
            status="in-review",
            impact={"summary": "Checkout was unavailable during a slow database failover."},
            action_items=[action("Rehearse failovers every quarter", "dba")],
        ),
        body="## Summary\n\nThe primary ran out of connections and the failover to the replica stalled.\n",
    )
    kb.add(
        DRAFT,
        incident(
            "2023-01-15",
            title="Cache stampede after a deploy",
            severity="SEV4",
            cause="capacity",
            contributing=["deployment"],
            services=["checkout", "cache"],
            tags=["redis"],
            status="draft",
            impact={"summary": "Checkout latency doubled for ten minutes."},
            action_items=[action("Add request coalescing", "Team Checkout")],
        ),
        body="## Summary\n\nA deploy flushed the cache and every request went to the database at once.\n",
    )
    kb.add(
        BROKEN,
        incident("2023-03-15", title="Quokka outage", severity="SEV9"),
        body="## Summary\n\nQuokkas everywhere.\n",
    )


@pytest.fixture(scope="module")
def shared_kb(tmp_path_factory) -> KB:
    """One knowledge base (and one index) for the read-only query tests."""
    base = KB(tmp_path_factory.mktemp("search") / "kb")
    base.docs.mkdir(parents=True)
    base.write("index.md", "# Test KB\n")
    base.set_config()
    add_knowledge_base(base)
    return base


@pytest.fixture
def search_kb(kb: KB) -> KB:
    add_knowledge_base(kb)
    return kb


def ids_for(kb: KB, *query: str) -> list[str]:
    result = kb.cli("search", *query, "--json", "--limit", "100")
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return [hit["id"] for hit in json.loads(result.stdout)]


def index_for(kb: KB, **kwargs) -> SearchIndex:
    return SearchIndex.for_project(find_project(kb.config), **kwargs)


# -- fielded queries ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cause:deployment", {BOSKOS}),
        ("cause:capacity", {POSTGRES, DRAFT}),
        ("contributing:expiry", {DNS}),
        ("contributing:deployment", {DRAFT}),
        ("cause:expiry OR contributing:expiry", {CERT, DNS}),
        ("cause:deployment OR contributing:deployment", {BOSKOS, DRAFT}),
        ("severity:sev1", {CERT}),
        ("severity:SEV2", {BOSKOS, POSTGRES}),
        ("severity:Sev2 cause:capacity", {POSTGRES}),
        ("severity:SEV1..SEV2", {CERT, BOSKOS, POSTGRES}),
        ("service:prow", {BOSKOS}),
        ("service:checkout", {POSTGRES, DRAFT}),
        ("service:(prow OR dns)", {BOSKOS, DNS}),
        ("service:edge*", {CERT}),
        ("tag:tls", {CERT}),
        ("tag:CRASH-LOOP", {BOSKOS}),
        ("status:published", {BOSKOS, CERT, DNS}),
        ("status:in-review", {POSTGRES}),
        ("status:draft", {DRAFT}),
        ('owner:"Team Edge"', {CERT}),
        ("owner:team-edge", {CERT}),
        ("owner:dba", {POSTGRES}),
        ("year:2019", {BOSKOS}),
        ("year:>2021", {POSTGRES, DRAFT}),
        ("year:>=2021", {DNS, POSTGRES, DRAFT}),
        ("year:<2021", {BOSKOS, CERT}),
        ("year:<=2020", {BOSKOS, CERT}),
        ("year:2019..2021", {BOSKOS, CERT, DNS}),
        ("year:2022..", {POSTGRES, DRAFT}),
        ("date:2020-06", {CERT}),
        ("date:2020-06-01", {CERT}),
        ("date:2020-06-02", set()),
        ("date:2019-01-01..2020-12-31", {BOSKOS, CERT}),
        ("date:2019..2020", {BOSKOS, CERT}),
        ("date:>=2021-02-10", {DNS, POSTGRES, DRAFT}),
        ("date:>2021-02-10", {POSTGRES, DRAFT}),
        ("date:<2020", {BOSKOS}),
        ("id:2020-06-01-EDGE-certificate-expired", {CERT}),
        ("cause:deployment OR cause:expiry -service:prow", {CERT}),
        ("NOT status:published", {POSTGRES, DRAFT}),
        ("cause:capacity service:checkout OR service:cache", {POSTGRES, DRAFT}),
        ("*", ALL_VALID),
    ],
)
def test_fielded_queries_return_exactly_the_expected_ids(shared_kb: KB, query: str, expected: set[str]) -> None:
    assert set(ids_for(shared_kb, query)) == expected


def test_postmortems_that_do_not_validate_are_not_indexed(shared_kb: KB) -> None:
    result = shared_kb.cli("search", "quokka")
    assert result.returncode == 1
    assert ids_for(shared_kb, "severity:SEV4") == [DRAFT]


# -- free text ---------------------------------------------------------------------------------------------------


def test_free_text_ranks_the_obviously_best_document_first(shared_kb: KB) -> None:
    assert ids_for(shared_kb, "boskos", "crash", "loop") == [BOSKOS, DNS]  # DNS mentions it once, in passing
    assert ids_for(shared_kb, "expired certificates")[0] == CERT  # stemmed: "expired" finds "expires"
    assert ids_for(shared_kb, '"crash loop"') == [BOSKOS, DNS]
    assert ids_for(shared_kb, "failover", "cause:capacity") == [POSTGRES]


def test_free_words_are_anded(shared_kb: KB) -> None:
    assert ids_for(shared_kb, "boskos certificate") == []
    assert set(ids_for(shared_kb, "boskos OR certificate")) == {BOSKOS, CERT, DNS}


def test_free_words_also_find_services_tags_and_owners(shared_kb: KB) -> None:
    assert ids_for(shared_kb, "prow") == [BOSKOS]
    assert ids_for(shared_kb, "redis") == [DRAFT]


def test_text_output_shows_each_hit_with_a_marked_snippet(shared_kb: KB) -> None:
    result = shared_kb.cli("search", "renewed certificates")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{CERT}  Edge proxy certificate expired"
    assert lines[1] == f"  2020-06-01 · SEV1 · expiry · postmortems/2020/{CERT}.md"
    assert "[renewed] the [certificates]" in lines[2]
    assert "\x1b[" not in result.stdout  # not a terminal: no colour
    coloured = shared_kb.cli("search", "renewed certificates", "--color", "always")
    assert "\x1b[1;33mrenewed\x1b[0m" in coloured.stdout


def test_limit_keeps_the_best_hits(shared_kb: KB) -> None:
    result = shared_kb.cli("search", "status:published", "--limit", "2")
    assert result.returncode == 0
    assert result.stdout.count("\n  20") == 2
    assert "3 matches, 2 shown" in result.stderr
    # Ties (fielded queries score alike) go to the newest first.
    assert ids_for(shared_kb, "status:published") == [DNS, CERT, BOSKOS]


def test_json_output_shape(shared_kb: KB) -> None:
    result = shared_kb.cli("search", "certificate", "--json")
    assert result.returncode == 0
    hits = json.loads(result.stdout)
    assert isinstance(hits, list) and hits
    first = hits[0]
    assert list(first) == ["id", "title", "date", "severity", "cause", "services", "path", "score"]
    assert first["id"] == CERT
    assert first["title"] == "Edge proxy certificate expired"
    assert first["date"] == "2020-06-01"
    assert first["severity"] == "SEV1"
    assert first["cause"] == "expiry"
    assert first["services"] == ["edge-proxy", "cdn"]
    assert first["path"] == f"postmortems/2020/{CERT}.md"
    assert isinstance(first["score"], float) and first["score"] > 0
    assert [hit["score"] for hit in hits] == sorted((hit["score"] for hit in hits), reverse=True)


def test_facets_count_every_match(shared_kb: KB) -> None:
    result = shared_kb.cli("search", "*", "--json", "--facets", "--limit", "1")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert list(data) == ["total", "hits", "facets"]
    assert data["total"] == 5 and len(data["hits"]) == 1
    assert data["facets"]["cause"] == {
        "capacity": 2,
        "config-change": 1,
        "deployment": 1,
        "expiry": 1,
    }
    assert list(data["facets"]["severity"].items()) == [("SEV1", 1), ("SEV2", 2), ("SEV3", 1), ("SEV4", 1)]
    assert data["facets"]["service"] == {
        "checkout": 2,
        "boskos": 1,
        "cache": 1,
        "cdn": 1,
        "dns": 1,
        "edge-proxy": 1,
        "postgres": 1,
        "prow": 1,
    }
    text = shared_kb.cli("search", "cause:capacity", "--facets")
    assert "facets over 2 matches:" in text.stdout
    assert "  cause:    capacity 2" in text.stdout
    assert "  severity: SEV2 1, SEV4 1" in text.stdout
    assert "  service:  checkout 2, cache 1, postgres 1" in text.stdout


def test_no_hits_exits_1_with_one_line(shared_kb: KB) -> None:
    result = shared_kb.cli("search", "zanzibar")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "pmkb search: no postmortem matches 'zanzibar'\n"
    as_json = shared_kb.cli("search", "zanzibar", "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sevrity:SEV1", "unknown field 'sevrity' in 'sevrity:SEV1' (did you mean 'severity'?); fields: cause,"),
        ("(boskos crash", "unbalanced parenthesis: the '(' at column 1 is never closed"),
        ("boskos)", "unbalanced parenthesis: the ')' at column 7 has no matching '('"),
        ('"crash loop', "unbalanced quote: the '\"' at column 1 is never closed"),
        ("year:20x1", "bad year '20x1' in 'year:20x1'"),
        ("year:2021..2019", "empty range in 'year:2021..2019': 2021 is after 2019"),
        ("date:2019-13-01", "bad date '2019-13-01' in 'date:2019-13-01'"),
        ("date:2020..2019-06", "empty range in 'date:2020..2019-06'"),
        ("cause:deploy", "unknown cause 'deploy' in 'cause:deploy'; allowed: software-bug, deployment,"),
        ("severity:SEV9", "unknown severity 'SEV9' in 'severity:SEV9'; allowed: SEV1, SEV2, SEV3, SEV4"),
        ("boskos OR", "'OR' at column 8 needs a term on both sides"),
        ("cause: boskos", "missing value after 'cause:' at column 1"),
        ("()", "empty parentheses at column 1"),
        ("the", "nothing to search for in 'the'"),
    ],
)
def test_malformed_query_exits_2_with_one_line_pointing_at_the_problem(shared_kb: KB, query: str, message: str):
    result = shared_kb.cli("search", query)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"pmkb search: error: {message}")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_help_documents_the_query_syntax(shared_kb: KB) -> None:
    result = shared_kb.cli("search", "--help")
    assert result.returncode == 0
    for example in ("year:2019..2021", "date:2019-01-01..2019-06-30", "cause:x OR", 'owner:"Team Checkout"'):
        assert example in result.stdout or example.replace("cause:x OR", "contributing:") in result.stdout


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab: ()"-*.<>=19_ORANDNOTcauseyeardt')), max_size=30))
def test_any_query_parses_or_fails_with_a_query_error(text: str) -> None:
    try:
        parsed = parse_query(text, default_taxonomy())
    except QueryError as error:
        assert "\n" not in str(error)
    else:
        search_index.translate(parsed.tree)


# -- the index: incremental updates, damage, concurrency --------------------------------------------------------


def test_incremental_update_reindexes_only_new_changed_and_deleted_files(search_kb: KB) -> None:
    index = index_for(search_kb)
    report, _ = index.sync()
    assert report.rebuilt and report.invalid == 1
    assert len(report.reindexed) == 6

    report, _ = index.sync()
    assert not report.rebuilt and report.reindexed == [] and report.unchanged == 6

    path = search_kb.docs / "2021" / f"{DNS}.md"
    path.write_text(path.read_text().replace("internal zones.", "internal zones and the zanzibar resolver."))
    report, _ = index.sync()
    assert report.reindexed == [f"2021/{DNS}.md"] and report.deleted == [] and report.unchanged == 5
    assert index.search("zanzibar").hits[0].id == DNS

    os.utime(path, ns=(1, 1))  # a new stamp, same content: hashed, not re-indexed
    report, _ = index.sync()
    assert report.reindexed == [] and report.rehashed == 1

    (search_kb.docs / "2020" / f"{CERT}.md").unlink()
    report, _ = index.sync()
    assert report.deleted == [f"2020/{CERT}.md"] and report.reindexed == []
    assert index.search("certificate").total == 0

    search_kb.add("2024-04-02-api-certificate-expired", incident("2024-04-02", title="API certificate expired"))
    report, _ = index.sync()
    assert report.reindexed == ["2024/2024-04-02-api-certificate-expired.md"]


def test_cli_sees_edits_deletions_and_fixed_files(search_kb: KB) -> None:
    assert ids_for(search_kb, "renewed") == [CERT]
    path = search_kb.docs / "2020" / f"{CERT}.md"
    path.write_text(path.read_text().replace("renewed", "rotated"))
    assert ids_for(search_kb, "renewed") == []
    assert ids_for(search_kb, "rotated") == [CERT]
    path.unlink()
    assert ids_for(search_kb, "rotated") == []
    broken = search_kb.docs / "2023" / f"{BROKEN}.md"
    broken.write_text(broken.read_text().replace("SEV9", "SEV3"))
    assert ids_for(search_kb, "quokka") == [BROKEN]
    result = search_kb.cli("search", "quokka", "-v")
    assert "search index: 0 re-indexed, 0 removed, 5 unchanged" in result.stderr


def manifest_of(kb: KB) -> dict:
    return json.loads((cache_dir(kb.root) / "manifest.json").read_text())


def generation_of(kb: KB) -> Path:
    return cache_dir(kb.root) / manifest_of(kb)["generation"]


def corrupt_manifest(kb: KB) -> None:
    (cache_dir(kb.root) / "manifest.json").write_bytes(b"\x00garbage{")


def foreign_manifest(kb: KB) -> None:
    path = cache_dir(kb.root) / "manifest.json"
    data = json.loads(path.read_text())
    data["schema"] = 999
    path.write_text(json.dumps(data))


def corrupt_toc(kb: KB) -> None:
    folder = generation_of(kb)
    toc = next(folder.glob("_MAIN_*.toc"))
    toc.write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR.")  # a pickle that must never be loaded


def newer_foreign_toc(kb: KB) -> None:
    (generation_of(kb) / "_MAIN_99.toc").write_bytes(os.urandom(300))


def corrupt_segment_same_size_and_time(kb: KB) -> None:
    folder = generation_of(kb)
    for segment in folder.glob("MAIN_*"):
        stat = segment.stat()
        segment.write_bytes(os.urandom(stat.st_size))
        os.utime(segment, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the manifest cannot tell


def remove_generation(kb: KB) -> None:
    folder = generation_of(kb)
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    folder.write_text("not a folder")


def garbage_everywhere(kb: KB) -> None:
    for path in cache_dir(kb.root).rglob("*"):
        if path.is_file():
            path.write_bytes(os.urandom(64))


@pytest.mark.parametrize(
    "damage",
    [
        corrupt_manifest,
        foreign_manifest,
        corrupt_toc,
        newer_foreign_toc,
        corrupt_segment_same_size_and_time,
        remove_generation,
        garbage_everywhere,
    ],
)
def test_a_damaged_index_is_rebuilt_without_a_traceback(search_kb: KB, damage) -> None:
    assert ids_for(search_kb, "renewed") == [CERT]
    damage(search_kb)
    result = search_kb.cli("search", "renewed", "--json", "-v")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert [hit["id"] for hit in json.loads(result.stdout)] == [CERT]
    assert "rebuilt" in result.stderr
    assert ids_for(search_kb, "cause:expiry") == [CERT]
    remaining = [p.name for p in cache_dir(search_kb.root).iterdir() if p.name.startswith("g-") and p.is_dir()]
    assert remaining == [manifest_of(search_kb)["generation"]]


def test_an_unwritable_cache_is_a_clean_error(search_kb: KB) -> None:
    cache = search_kb.root / ".cache"
    cache.write_text("a file where the cache folder should be")
    result = search_kb.cli("search", "renewed")
    assert result.returncode == 2
    assert result.stderr.startswith("pmkb search: error: cannot create the search index folder")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_an_interrupted_writer_is_repaired_on_the_next_run(search_kb: KB) -> None:
    index = index_for(search_kb)
    index.sync()
    path = search_kb.docs / "2020" / f"{CERT}.md"
    path.write_text(path.read_text().replace("renewed", "rotated"))
    # Killed after whoosh committed but before the manifest was written.
    with (
        mock.patch.object(search_index, "write_atomically", side_effect=KeyboardInterrupt),
        pytest.raises(KeyboardInterrupt),
    ):
        index.sync()
    report, _ = index.sync()
    assert report.rebuilt  # the index is newer than the manifest vouches for: never trusted, rebuilt
    assert [hit.id for hit in index.search("rotated").hits] == [CERT]
    assert index.search("renewed").total == 0


def test_an_interrupted_rebuild_leaves_nothing_behind(search_kb: KB) -> None:
    index = index_for(search_kb)
    with (
        mock.patch.object(search_index, "write_atomically", side_effect=KeyboardInterrupt),
        pytest.raises(KeyboardInterrupt),
    ):
        index.sync()
    assert ids_for(search_kb, "renewed") == [CERT]
    folders = [p for p in cache_dir(search_kb.root).iterdir() if p.is_dir()]
    assert [p.name for p in folders] == [manifest_of(search_kb)["generation"]]


def test_a_busy_writer_lock_means_searching_the_index_as_it_was(search_kb: KB) -> None:
    from whoosh.util.filelock import FileLock

    index = index_for(search_kb, lock_timeout=0.1)
    index.sync()
    path = search_kb.docs / "2020" / f"{CERT}.md"
    path.write_text(path.read_text().replace("renewed", "rotated"))
    lock = FileLock(str(cache_dir(search_kb.root) / "update.lock"))
    assert lock.acquire()
    try:
        results = index.search("renewed")
        assert results.report.stale and [hit.id for hit in results.hits] == [CERT]
    finally:
        lock.release()
    results = index.search("rotated")
    assert not results.report.stale and [hit.id for hit in results.hits] == [CERT]


def test_a_read_only_cache_means_searching_the_index_as_it_was(search_kb: KB) -> None:
    from whoosh.util.filelock import FileLock

    index = index_for(search_kb)
    index.sync()
    path = search_kb.docs / "2020" / f"{CERT}.md"
    path.write_text(path.read_text().replace("renewed", "rotated"))
    denied = PermissionError(13, "Permission denied")
    with mock.patch.object(FileLock, "acquire", side_effect=denied):
        results = index.search("renewed")
    assert [hit.id for hit in results.hits] == [CERT]
    assert "cannot lock it in" in results.report.stale and "Permission denied" in results.report.summary()


def test_an_index_updated_between_reading_its_manifest_and_opening_it_is_read_again(search_kb: KB) -> None:
    # The race behind a rare failure of the concurrent readers test: a reader verifies the manifest, another
    # process commits an update, and the reader's second check (before opening) sees a newer index. That must
    # cost a retry, not an error.
    reader, writer = index_for(search_kb), index_for(search_kb)
    reader.sync()
    path = search_kb.docs / "2021" / f"{DNS}.md"
    real_read_manifest = SearchIndex.read_manifest
    calls = []

    def read_then_another_process_updates(self):
        manifest = real_read_manifest(self)
        if self is reader and not calls:
            calls.append(manifest)
            path.write_text(path.read_text().replace("internal zones.", "internal zones, changed."))
            writer.sync()
        return manifest

    with mock.patch.object(SearchIndex, "read_manifest", read_then_another_process_updates):
        results = reader.search("cause:config-change")
    assert calls, "the update did not happen between reading the manifest and opening the index"
    assert [hit.id for hit in results.hits] == [DNS]


def test_concurrent_readers_never_see_a_traceback(search_kb: KB) -> None:
    index = index_for(search_kb)
    index.sync()
    path = search_kb.docs / "2021" / f"{DNS}.md"
    original = path.read_text()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER_LOOP, str(search_kb.config)],
            cwd=search_kb.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(3)
    ]
    for round_number in range(12):
        # Saved the way editors save (a whole new file), so readers never see a half-written postmortem.
        temporary = path.with_name(".saving.md")
        temporary.write_text(original.replace("internal zones.", f"internal zones, round {round_number}."))
        os.replace(temporary, path)
        index.sync()
        if round_number % 4 == 3:
            index.sync(rebuild=True)
    for reader in readers:
        out, err = reader.communicate(timeout=120)
        assert reader.returncode == 0, err
        assert "Traceback" not in err
        assert out.strip().endswith("ok")


READER_LOOP = """
import sys, time
from pmkb.cli.project import find_project
from pmkb.search.index import SearchIndex
index = SearchIndex.for_project(find_project(sys.argv[1]))
deadline = time.monotonic() + 4
count = 0
while time.monotonic() < deadline:
    results = index.search("cause:config-change")
    assert [hit.id for hit in results.hits] == ["2021-02-10-dns-config-push"], results
    count += 1
print(count, "ok")
"""


def test_the_index_holds_exactly_the_postmortems_of_the_catalog(search_kb: KB, tmp_path: Path) -> None:
    search_kb.write("runbooks/restart.md", "# Restart\n")
    search_kb.write(".hidden/2019-01-01-x.md", "---\ntitle: x\n---\n")
    search_kb.write("templates/2019-01-02-y.md", "---\ntitle: y\n---\n")
    search_kb.write("2019/index.md", "# 2019\n")
    search_kb.write("2019/notes.txt", "not Markdown")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "2019-01-03-z.md").write_text("---\ntitle: z\n---\n")
    (search_kb.docs / "linked-outside").symlink_to(outside, target_is_directory=True)
    (search_kb.docs / "2019" / "2019-01-04-escape.md").symlink_to(outside / "2019-01-03-z.md")
    (search_kb.docs / "linked-inside").symlink_to(search_kb.docs / "2020", target_is_directory=True)
    search_kb.set_config(exclude_docs="drafts-old/\n")
    search_kb.write("drafts-old/2019-01-05-old.md", "---\ntitle: old\n---\n")
    project = find_project(search_kb.config)
    catalog = project.catalog()
    index = index_for(search_kb)
    report, manifest = index.sync()
    # Every file the catalog reads, valid or not (an invalid one is remembered so that it is not parsed again).
    assert sorted(manifest.entries) == sorted([*(p.src_uri for p in catalog.postmortems), f"2023/{BROKEN}.md"])
    valid = {src for src, entry in manifest.entries.items() if entry.postmortem_id}
    assert valid == {p.src_uri for p in catalog.postmortems}
    assert f"linked-inside/{CERT}.md" in manifest.entries


def test_the_index_lives_in_the_ignored_cache_folder(search_kb: KB) -> None:
    search_kb.cli("search", "renewed")
    assert (search_kb.root / ".cache" / "pmkb" / "search" / "manifest.json").is_file()
    gitignore = (Path(__file__).resolve().parents[1] / ".gitignore").read_text().splitlines()
    assert "/.cache/" in gitignore


# -- similar incidents -------------------------------------------------------------------------------------------


def add_similar_knowledge_base(kb: KB) -> None:
    add_knowledge_base(kb)
    kb.add(
        "2024-04-02-api-certificate-expired",
        incident(
            "2024-04-02",
            title="API gateway certificate expired",
            cause="expiry",
            services=["api-gateway", "edge-proxy"],
            tags=["tls", "certificates"],
            impact={"summary": "Every API client failed TLS handshakes for an hour."},
        ),
        body="## Summary\n\nThe TLS certificate of the API gateway expired; nobody renewed the certificates.\n",
    )
    kb.add(
        "2024-05-02-draft-certificate-expired",
        incident(
            "2024-05-02",
            title="Internal certificate expired",
            status="draft",
            cause="expiry",
            services=["edge-proxy"],
            tags=["tls", "certificates"],
        ),
        body="## Summary\n\nThe TLS certificate of the edge proxy expired and nobody renewed the certificates.\n",
    )


def test_similar_incidents_are_deterministic_and_exclude_drafts_and_self(kb: KB) -> None:
    add_similar_knowledge_base(kb)
    project = find_project(kb.config)
    catalog = project.catalog()
    similar = similar_incidents(project.root, catalog)
    assert set(similar) == {p.id for p in catalog.postmortems}
    published = {p.id for p in catalog.postmortems if p.status == "published"}
    for pid, others in similar.items():
        assert pid not in others
        assert set(others) <= published  # never a draft, nor (by default) one in review
        assert len(others) <= 5
    assert similar[CERT][0] == "2024-04-02-api-certificate-expired"
    assert set(similar["2024-05-02-draft-certificate-expired"][:2]) == {CERT, "2024-04-02-api-certificate-expired"}
    assert "2024-05-02-draft-certificate-expired" not in {i for others in similar.values() for i in others}

    # The same input gives the same lists: from the cache, after the cache is gone, in any catalog order.
    assert similar_incidents(project.root, catalog) == similar
    for name in ("similar.json", "similar-terms.json"):
        (cache_dir(project.root) / name).unlink()
    reordered = mock.Mock(postmortems=tuple(reversed(catalog.postmortems)))
    assert similar_incidents(project.root, reordered) == similar
    assert similar_incidents(project.root, catalog, limit=2) == {k: v[:2] for k, v in similar.items()}
    with_review = similar_incidents(project.root, catalog, statuses=("published", "in-review"))
    assert POSTGRES in {i for others in with_review.values() for i in others}


def test_similar_incidents_are_recomputed_when_a_postmortem_changes(kb: KB) -> None:
    add_similar_knowledge_base(kb)
    project = find_project(kb.config)
    before = similar_incidents(project.root, project.catalog())
    results = cache_dir(project.root) / "similar.json"
    stamp = results.stat().st_mtime_ns
    assert similar_incidents(project.root, project.catalog()) == before
    assert results.stat().st_mtime_ns == stamp  # nothing changed: served from the cache, not rewritten

    kb.add(
        "2024-06-01-boskos-crash-again",
        incident(
            "2024-06-01",
            title="Boskos crash loop again",
            cause="deployment",
            services=["boskos", "prow"],
            tags=["kubernetes", "crash-loop"],
        ),
        body="## Summary\n\nBoskos entered a crash loop again after a node drain; every job failed.\n",
    )
    after = similar_incidents(project.root, project.catalog())
    assert after[BOSKOS][0] == "2024-06-01-boskos-crash-again"
    (cache_dir(project.root) / "similar.json").unlink()
    assert similar_incidents(project.root, project.catalog()) == after


def test_similar_incidents_without_a_writable_cache_still_work(kb: KB) -> None:
    add_similar_knowledge_base(kb)
    project = find_project(kb.config)
    (kb.root / ".cache").write_text("not a folder")
    similar = similar_incidents(project.root, project.catalog())
    assert similar[CERT][0] == "2024-04-02-api-certificate-expired"


def test_similar_incidents_recover_from_a_damaged_cache(kb: KB) -> None:
    add_similar_knowledge_base(kb)
    project = find_project(kb.config)
    expected = similar_incidents(project.root, project.catalog())
    folder = cache_dir(project.root)
    header = {"format": "pmkb-similar", "version": similarity.SIMILAR_VERSION}
    damage = [
        ("similar.json", b"\x00not json"),
        ("similar.json", json.dumps({**header, "key": 1, "files": [], "lists": "x"}).encode()),
        ("similar-terms.json", json.dumps({**header, "docs": {"x": ["y", {"z": "w"}]}}).encode()),
    ]
    for name, content in damage:
        (folder / name).write_bytes(content)
        if name == "similar-terms.json":
            (folder / "similar.json").unlink()
        assert similar_incidents(project.root, project.catalog()) == expected
    results = json.loads((folder / "similar.json").read_text())
    results["lists"][CERT] = "not a list"
    (folder / "similar.json").write_text(json.dumps(results))
    assert similar_incidents(project.root, project.catalog()) == expected


def test_similar_incidents_raise_only_their_documented_error(kb: KB) -> None:
    broken_catalog = mock.Mock(postmortems=[object()])
    with pytest.raises(SearchIndexError, match="^similar incidents unavailable: "):
        similar_incidents(kb.root, broken_catalog)
