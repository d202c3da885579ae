"""The package type-checks: `mypy` with the configuration of pyproject.toml ([tool.mypy]: the files, the Python
version and the untyped third-party modules) reports no error, as CI runs it in the repository root."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_mypy_is_clean():
    # The mypy of the environment running the tests, not whichever one is on PATH; no arguments, so the files
    # checked are the ones the configuration names (plain `mypy` in the root checks the same).
    result = subprocess.run(
        [str(Path(sys.executable)), "-m", "mypy"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
