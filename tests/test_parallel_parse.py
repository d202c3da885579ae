"""Many files are parsed by forked workers; the result must be exactly the serial one.

Run in a fresh interpreter: pmkb never forks while other threads run (a forked child inherits their locks), and
the test process may hold some (the browser tests' Playwright driver, pytest-xdist).
"""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO

SCRIPT = """
import sys
from datetime import date
sys.path.insert(0, sys.argv[2])
import corpus
from pathlib import Path
from pmkb.cli.project import find_project
from pmkb.core import catalog as catalog_module

root = Path(sys.argv[1])
corpus.generate(root, catalog_module.PARALLEL_MIN_FILES + 20, seed=7)
(root / "postmortems/2020/2020-01-01-broken.md").write_text("---\\nseverity: SEV9\\n---\\n")
project = find_project(root / "mkdocs.yml")
forked = []
real = catalog_module._check_in_workers
catalog_module._check_in_workers = lambda *a: forked.append(1) or real(*a)
parallel = project.catalog(today=date(2026, 11, 21))
assert forked, "the worker pool was not used"
import os
os.environ["PMKB_SPEEDUPS"] = "-fork"
serial = project.catalog(today=date(2026, 11, 21))
assert len(forked) == 1, "the serial run forked"
assert parallel.postmortems == serial.postmortems
assert parallel.diagnostics == serial.diagnostics
assert any(d.path.endswith("2020-01-01-broken.md") and d.is_error for d in parallel.diagnostics)
print("agree", len(parallel.postmortems))
"""


def test_workers_and_serial_parsing_agree(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), str(REPO / "benchmarks")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("agree ")
