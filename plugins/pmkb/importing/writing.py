"""Writing drafts: never over an existing file, never half a file, and not twice for the same report.

A draft is written to a temporary file in the target folder, flushed, then hard-linked to its name: `link` fails
if the name exists (no overwrite, even against a concurrent writer) and the name appears only complete.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

import frontmatter
import yaml


def already_imported(folders: list[Path]) -> dict[tuple[str, str], Path]:
    """(title lower-cased, date) -> file, for every Markdown file with front matter under `folders`."""
    index: dict[tuple[str, str], Path] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.md")):
            try:
                with open(path, encoding="utf-8") as file:
                    head = file.read(16384)
                if not head.startswith("---"):
                    continue
                metadata = frontmatter.loads(head).metadata
            except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError, TypeError):
                continue
            title, day = metadata.get("title"), metadata.get("date")
            if isinstance(title, str) and isinstance(day, date | str):
                index.setdefault(key(title, day), path)
    return index


def key(title: str, day: date | str | None) -> tuple[str, str]:
    shown = day.isoformat() if isinstance(day, date) else str(day or "")
    return " ".join(title.lower().split()), shown


def write_new(path: Path, text: str) -> str | None:
    """Write `text` to `path` atomically unless `path` exists; None when written, else why not."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".pmkb-import-", suffix=".tmp", dir=path.parent)
    except OSError as error:
        return f"cannot write {path}: {error.strerror or error}"
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(text.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return "exists"
        except OSError:  # a file system without hard links: rename, after checking (not race-free there)
            if path.exists():
                return "exists"
            os.replace(temporary, path)
        return None
    except OSError as error:
        return f"cannot write {path}: {error.strerror or error}"
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
