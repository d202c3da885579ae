"""The browser tests' own rule: skipped with one clear line when Chromium is missing, but failed under CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ONE_TEST = "test_explorer.py::test_no_results_says_so[pagefind-wheel]"


def _run_without_chromium(ci: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PMKB_CHROMIUM": "/nonexistent/chromium", "CI": ci}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            f"browser/{ONE_TEST}",
        ],
        cwd=TESTS,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_missing_chromium_skips_with_one_line_outside_ci():
    result = _run_without_chromium("")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "browser tests skipped: no Chromium" in result.stdout


def test_missing_chromium_fails_under_ci():
    result = _run_without_chromium("true")
    assert result.returncode != 0
    assert "browser tests cannot run under CI: no Chromium" in result.stdout
