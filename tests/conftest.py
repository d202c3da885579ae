"""Shared fixtures: throwaway knowledge bases in temp folders, real builds, the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TODAY = "2026-11-21"
# The keys of an /action-items.json record, in their fixed order (also `pmkb actions --json`).
ACTION_ITEM_KEYS = [
    "incident",
    "incident_title",
    "url",
    "index",
    "title",
    "owner",
    "status",
    "type",
    "priority",
    "due",
    "link",
    "overdue",
]  # frozen "today" for every test (PMKB_TODAY)

os.environ["PMKB_TODAY"] = TODAY
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


def front_matter(**overrides) -> dict:
    """A valid published postmortem's front matter; keyword arguments replace (None removes) fields."""
    data = {
        "title": "Cache stampede takes down checkout",
        "date": "2024-05-02",
        "status": "published",
        "severity": "SEV2",
        "authors": ["Ada Lovelace"],
        "services": ["checkout", "cache"],
        "cause": "capacity",
        "contributing": ["monitoring-gap"],
        "trigger": "traffic-change",
        "detection": "alert",
        "tags": ["redis", "thundering-herd"],
        "impact": {
            "summary": "Checkout failed for 40% of users for 2h.",
            "users_affected": 1200,
            "customer_facing": True,
            "data_loss": False,
        },
        "timeline": {
            "started": "2024-05-02T09:00:00+02:00",
            "detected": "2024-05-02T09:12:00+02:00",
            "mitigated": "2024-05-02T10:30:00+02:00",
            "resolved": "2024-05-02T13:17:00+02:00",
        },
        "action_items": [
            {
                "title": "Add request coalescing",
                "owner": "team-checkout",
                "status": "open",
                "type": "prevent",
                "priority": "high",
                "due": "2099-01-01",
                "link": "https://example.com/issues/1",
            },
            {
                "title": "Alert on cache hit ratio",
                "owner": "sre",
                "status": "done",
                "type": "detect",
                "priority": "medium",
            },
        ],
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def render_postmortem(data: dict | str, body: str = "## Summary\n\nSomething happened.\n") -> str:
    """Markdown text with `data` as front matter. Strings are used verbatim (for malformed YAML)."""
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    # Unquote timestamps and dates that safe_dump quoted, so YAML reads them as dates like an author's file.
    text = _unquote_dates(text)
    return f"---\n{text}---\n\n{body}"


def _unquote_dates(text: str) -> str:
    import re

    return re.sub(r"'(\d{4}-\d{2}-\d{2}(?:T[0-9:+\-.Z]+)?)'", r"\1", text)


@dataclass
class KB:
    """A knowledge base in a temp folder: `mkdocs.yml` + `postmortems/`."""

    root: Path

    @property
    def docs(self) -> Path:
        return self.root / "postmortems"

    @property
    def config(self) -> Path:
        return self.root / "mkdocs.yml"

    def write(self, relative: str, content: str | bytes) -> Path:
        path = self.docs / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def add(self, pid: str, data: dict | None = None, body: str | None = None, **overrides) -> Path:
        """Write postmortems/<year>/<pid>.md from `front_matter(**overrides)` (or `data`)."""
        data = data if data is not None else front_matter(**overrides)
        year = pid[:4] if pid[:4].isdigit() else "misc"
        args = (data,) if body is None else (data, body)
        return self.write(f"{year}/{pid}.md", render_postmortem(*args))

    def set_config(self, plugin_options: dict | None = None, **extra) -> None:
        config = {
            "site_name": "Test KB",
            "docs_dir": "postmortems",
            "theme": {"name": "material"},
            "plugins": [{"pmkb": plugin_options or {}}],
        }
        config.update(extra)
        self.config.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    def build(self, strict: bool = False, site_dir: Path | None = None, **overrides) -> Path:
        """A real `mkdocs build` in-process; returns the site folder."""
        from mkdocs.commands.build import build
        from mkdocs.config import load_config

        site = site_dir or (self.root / "site")
        config = load_config(str(self.config), site_dir=str(site), strict=strict, **overrides)
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
        return site

    def cli(self, *args: str, input: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
        """Run the real `pmkb` command line in the KB folder."""
        return run_pmkb(*args, cwd=self.root, input=input, env=env)


def run_pmkb(*args: str, cwd: Path, input: str | None = None, env: dict | None = None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "pmkb", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
    )


@pytest.fixture
def kb(tmp_path: Path) -> KB:
    """An empty knowledge base with a home page and the default configuration."""
    base = KB(tmp_path / "kb")
    base.docs.mkdir(parents=True)
    base.write("index.md", "# Test KB\n\nAuthor's welcome text.\n")
    base.set_config()
    return base


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")
