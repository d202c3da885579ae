"""The chart engine process (pmkb.runtime.chart_engine): one process for the batches of a build, answered in order,
stopped when nobody waits, failures reported to every batch."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pmkb.runtime import chart_engine
from pmkb.runtime.chart_engine import EngineError, EngineRun


def spec(label: str) -> dict:
    return {
        "data": {"values": [{"x": label, "y": 1}]},
        "mark": "bar",
        "encoding": {"x": {"field": "x", "type": "nominal"}, "y": {"field": "y", "type": "quantitative"}},
    }


def engine_process():
    engine = chart_engine._shared
    assert engine is not None and engine.process is not None
    return engine.process, Path(engine.folder)


def test_batches_share_one_engine_and_are_answered_in_order_whoever_asks_first():
    first = EngineRun([spec("alpha")])
    process, folder = engine_process()
    second = EngineRun([spec("beta"), spec("gamma")])
    assert engine_process()[0] is process  # joined, not started again
    later = second.svgs()
    assert len(later) == 2 and ">beta<" in (later[0] or "") and ">gamma<" in (later[1] or "")
    assert process.poll() is None  # the first batch still waits for it
    earlier = first.svgs()
    assert ">alpha<" in (earlier[0] or "")
    assert process.wait(10) == 0  # nobody waits any more: its stdin closed, it ended
    assert chart_engine._shared is None and not folder.exists()
    EngineRun([spec("delta")]).svgs()  # a new batch starts a new engine
    assert chart_engine._shared is None


def test_a_spec_the_engine_cannot_draw_costs_that_chart_only():
    bad = {"mark": "bar", "encoding": {"x": {"field": "x", "type": "no-such-type"}}, "data": {"values": [{}]}}
    svgs = EngineRun([bad, spec("ok")]).svgs()
    assert svgs[0] is None and ">ok<" in (svgs[1] or "")


def test_a_stopped_batch_leaves_the_others_and_the_last_one_stops_the_engine():
    first = EngineRun([spec("alpha")])
    second = EngineRun([spec("beta")])
    process, folder = engine_process()
    first.stop()
    assert process.poll() is None
    with pytest.raises(EngineError, match="stopped"):
        first.svgs()
    third = EngineRun([spec("gamma")])
    second.stop()
    third.stop()
    assert process.returncode is not None and not folder.exists() and chart_engine._shared is None


def test_an_engine_that_fails_reports_its_last_message_to_every_batch(monkeypatch, tmp_path):
    # An engine that fails at once (as one without vl-convert would), its reason last on stderr.
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'first line' >&2\necho 'the engine cannot start' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))
    first = EngineRun([spec("alpha")])
    second = EngineRun([spec("beta")])
    _, folder = engine_process()
    for run in (second, first):
        with pytest.raises(EngineError, match=r"exit status 3\): the engine cannot start"):
            run.svgs()
    assert chart_engine._shared is None and not folder.exists()
