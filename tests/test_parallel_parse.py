"""Many files are parsed by forked workers; the result must be exactly the serial one."""

from __future__ import annotations

import sys
from datetime import date

from conftest import REPO
from pmkb.cli.project import find_project
from pmkb.core import catalog as catalog_module

sys.path.insert(0, str(REPO / "benchmarks"))


def test_workers_and_serial_parsing_agree(tmp_path, monkeypatch):
    import corpus

    corpus.generate(tmp_path, catalog_module.PARALLEL_MIN_FILES + 20, seed=7)
    (tmp_path / "postmortems/2020/2020-01-01-broken.md").write_text("---\nseverity: SEV9\n---\n")
    project = find_project(tmp_path / "mkdocs.yml")
    forked = []
    real = catalog_module._check_in_workers
    monkeypatch.setattr(catalog_module, "_check_in_workers", lambda *a: forked.append(1) or real(*a))
    parallel = project.catalog(today=date(2026, 11, 21))
    assert forked, "the worker pool was not used"
    monkeypatch.setenv("PMKB_WORKERS", "1")
    serial = project.catalog(today=date(2026, 11, 21))
    assert parallel.postmortems == serial.postmortems
    assert parallel.diagnostics == serial.diagnostics
    assert any(d.path.endswith("2020-01-01-broken.md") and d.is_error for d in parallel.diagnostics)
