"""Pagefind's indexer as pmkb drives it: indexes split by size, and an index read only once it is whole."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from pmkb.runtime import pagefind
from pmkb.runtime.pagefind import PagefindError, SplitIndexer, find_pagefind, part_sizes, settle


@pytest.mark.parametrize(
    "pages, limit, expected",
    [
        (10, 0, (1, 10)),  # 0: one index, whatever the size
        (5_000, 10_000, (1, 5_000)),
        (10_000, 10_000, (1, 10_000)),
        (10_001, 10_000, (2, 5_001)),  # balanced, not 10,000 and 1
        (20_002, 5_000, (5, 4_001)),
        (0, 5_000, (1, 1)),
    ],
)
def test_parts_are_as_few_as_the_limit_allows_and_balanced(pages, limit, expected):
    assert part_sizes(pages, limit) == expected


def _whole_index(folder: Path) -> None:
    (folder / "fragment").mkdir(parents=True)
    (folder / "fragment" / "en_1.pf_fragment").write_bytes(b"x")
    (folder / "pagefind.en_ab.pf_meta").write_bytes(b"meta")
    (folder / "pagefind-entry.json").write_text(json.dumps({"languages": {"en": {"hash": "en_ab"}}}))


def test_settle_waits_for_an_entry_file_written_late(tmp_path: Path):
    _whole_index(tmp_path)
    entry = tmp_path / "pagefind-entry.json"
    text = entry.read_text()
    entry.write_text("")  # what Pagefind 1.5.2 leaves for a moment after answering that it has written its files

    def late() -> None:
        time.sleep(0.2)
        entry.write_text(text)

    writer = threading.Thread(target=late)
    writer.start()
    start = time.monotonic()
    settle(tmp_path)
    writer.join()
    assert time.monotonic() - start >= 0.2


def test_settle_gives_up_on_an_index_that_never_completes(tmp_path: Path, monkeypatch):
    _whole_index(tmp_path)
    (tmp_path / "pagefind.en_ab.pf_meta").unlink()
    monkeypatch.setattr(pagefind, "SETTLE_SECONDS", 0.2)
    with pytest.raises(PagefindError, match="incomplete index"):
        settle(tmp_path)


def test_settle_takes_a_file_vanishing_mid_look_as_not_yet_settled(tmp_path: Path, monkeypatch):
    _whole_index(tmp_path)
    fragment = tmp_path / "fragment" / "en_1.pf_fragment"
    real_stat = Path.stat
    vanished = []

    def stat(path: Path, *args, **kwargs):
        if path == fragment and not vanished:  # listed, then renamed away before its size is read
            vanished.append(path)
            raise FileNotFoundError(path)
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    settle(tmp_path)
    assert vanished


def test_settle_ignores_other_indexes_placed_below_it(tmp_path: Path):
    _whole_index(tmp_path)
    (tmp_path / "part-2").mkdir()
    (tmp_path / "part-2" / "pagefind-entry.json").write_text("")  # another index, still being written
    settle(tmp_path)


def test_a_split_index_writes_every_part_and_knows_every_page(tmp_path: Path):
    indexer = SplitIndexer(tmp_path / "pagefind", 2, find_pagefind())
    urls = [f"/incident-{n}/" for n in range(5)]
    for n, url in enumerate(urls):
        indexer.add(url, f"<html lang='en'><body><h1>Incident {n}</h1><p>word{n} shared</p></body></html>")
    indexer.write()
    ids = indexer.finish()
    assert sorted(ids) == urls and len(set(ids.values())) == 5
    assert [p.relative_to(tmp_path).as_posix() for p in indexer.extra_folders()] == [
        "pagefind/part-2",
        "pagefind/part-3",
    ]
    for folder in indexer.folders:
        assert json.loads((folder / "pagefind-entry.json").read_text())["languages"]["en"]["page_count"] in (1, 2)
    assert indexer.stats is not None and indexer.stats.pages == 5
