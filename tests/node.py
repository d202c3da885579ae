"""Node, for the tests that run the browser's own modules (tests/js/): the explorer's decoder on a real index."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

JS_TESTS = Path(__file__).parent / "js"


def node_command() -> list[str]:
    """`node` with what it needs to load the site's modules (plain .js files that are ES modules): Node 20 reads
    them as modules only when told to detect them, later versions do by default. Skips (fails under CI) without
    Node."""
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is not installed: the browser's modules cannot be tested", pytrace=False)
        pytest.skip("node is not installed: the browser's modules cannot be tested")
    major = int(
        subprocess.run(
            [node, "-p", "process.versions.node.split('.')[0]"], capture_output=True, text=True, check=True
        ).stdout
    )
    return [node, "--experimental-detect-module"] if major < 22 else [node]


def run_node(script: Path, stdin: str) -> str:
    done = subprocess.run([*node_command(), str(script)], input=stdin, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout
