"""pmkb.runtime.forking.Deferred: work done in a forked child comes back exactly, or is done here when it cannot be."""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import pytest
from pmkb.runtime import forking
from pmkb.runtime.forking import Deferred


def _leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("pmkb-*.pickle")}


def test_the_child_computes_and_the_value_comes_back():
    parent = os.getpid()
    deferred = Deferred(lambda: {"pid": os.getpid(), "values": list(range(5))})
    result = deferred.result()
    assert result["values"] == [0, 1, 2, 3, 4]
    assert result["pid"] != parent  # really computed elsewhere
    assert deferred.result() is result  # collected once


def test_an_exception_in_the_child_is_raised_by_result():
    class Boom(Exception):
        pass

    def fail():
        raise Boom("no index")

    with pytest.raises(Boom, match="no index"):
        Deferred(fail).result()


def test_a_child_that_dies_without_answering_means_the_work_is_done_here():
    parent = os.getpid()

    def work():
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return "done here"

    before = _leftovers()
    assert Deferred(work).result() == "done here"
    assert _leftovers() <= before


def test_without_fork_the_work_runs_in_result(monkeypatch):
    monkeypatch.setenv("PMKB_WORKERS", "1")
    calls = []
    deferred = Deferred(lambda: calls.append(os.getpid()) or "value")
    assert calls == []  # not started: nothing to run it beside this process
    assert deferred.result() == "value"
    assert calls == [os.getpid()]


def test_threads_prevent_forking(monkeypatch):
    monkeypatch.setattr(forking.threading, "active_count", lambda: 2)
    assert not forking.can_fork()


def test_cancel_kills_the_child_and_leaves_no_file():
    import time

    before = _leftovers()
    deferred = Deferred(lambda: time.sleep(60))
    pid = deferred._pid
    assert pid is not None
    deferred.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped
    assert _leftovers() <= before


def test_a_failure_to_find_similar_incidents_in_the_child_is_a_warning_that_strict_counts(kb, monkeypatch):
    # Similar incidents are found in a forked child; its failure must reach the build as a warning logged by
    # the build's own process (where `--strict` counts warnings), and the site must still have its exports.
    from mkdocs.exceptions import Abort
    from pmkb.search import similarity
    from pmkb.search.index import SearchIndexError

    def unavailable(*args, **kwargs):
        raise SearchIndexError("similar incidents unavailable: disk on fire")

    monkeypatch.setattr(similarity, "similar_incidents", unavailable)
    kb.add("2024-05-02-cache")
    site = kb.build()
    assert (site / "postmortems.json").read_text().count('"id":') == 1
    with pytest.raises(Abort, match="strict mode"):
        kb.build(strict=True)


def test_the_exports_pass_through_a_temporary_folder_that_every_build_removes(kb, monkeypatch, tmp_path):
    # The exports are written by the late work (in a child) into a temporary folder that MkDocs copies from, so
    # the build process never holds them. That folder must be gone after a build, and after a failed one.
    from mkdocs.exceptions import Abort, PluginError
    from pmkb.mkdocs_plugin.plugin import PostmortemPlugin

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    kb.add("2024-05-02-cache")
    kb.add("2024-05-03-dns", services=["dns"])
    site = kb.build()
    exported = (site / "postmortems.json").read_text(encoding="utf-8")
    assert exported.count('"id":') == 2 and '"2024-05-03-dns"' in exported
    assert (site / "action-items.json").read_text(encoding="utf-8").startswith("[")
    assert list(scratch.iterdir()) == []

    def failing_page(self, context, **kwargs):
        raise PluginError("a page failed")

    monkeypatch.setattr(PostmortemPlugin, "on_page_context", failing_page)
    with pytest.raises(Abort):
        kb.build(site_dir=tmp_path / "failed")
    assert list(scratch.iterdir()) == []


# -- interrupted and terminated processes leave nothing in the temp folder ----------------------------

_SIGNAL_SCRIPT = """
import os, signal, sys, time
sys.path.insert(0, {plugins!r})
from pmkb.runtime.forking import Deferred, can_fork
from pmkb.runtime.tempfiles import make_temp_folder
folder = make_temp_folder("pmkb-exports-")
open(os.path.join(folder, "postmortems.json"), "w").write("[]")
deferred = Deferred(lambda: time.sleep(30) or 1)
print(can_fork(), sorted(os.listdir({scratch!r})), flush=True)
if sys.argv[1] == "term":
    os.kill(os.getpid(), signal.SIGTERM)
else:
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        deferred.result()
    except KeyboardInterrupt:
        sys.exit(130)
"""


@pytest.mark.parametrize("how", ["term", "interrupt"])
def test_sigterm_and_ctrl_c_leave_no_temporary_files(tmp_path, how):
    import subprocess
    import sys

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    script = _SIGNAL_SCRIPT.format(plugins=str(Path(__file__).resolve().parents[1] / "plugins"), scratch=str(scratch))
    env = {**os.environ, "TMPDIR": str(scratch), "PMKB_WORKERS": "2"}
    result = subprocess.run([sys.executable, "-c", script, how], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == (-15 if how == "term" else 130), result.stderr
    # While it ran, the export folder existed and the child's answer file had no name; afterwards nothing is left.
    assert "['pmkb-exports-" in result.stdout and ".pickle" not in result.stdout
    assert sorted(path.name for path in scratch.iterdir()) == []
