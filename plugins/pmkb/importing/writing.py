"""Writing drafts: never over an existing file, never half a file, and not twice for the same report.

A draft is written to a temporary file in the target folder, flushed, then hard-linked to its name: `link` fails
if the name exists (no overwrite, even against a concurrent writer) and the name appears only complete.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_MARK_RE = re.compile(r"^# pmkb-import-source: ([0-9a-f]{8,64})$", re.MULTILINE)


def already_imported(folders: list[Path]) -> dict[str, Path]:
    """Source fingerprint -> the draft made from it, for every Markdown file under `folders` that records one.

    A re-import is recognised by its source, not by its title: two different reports may share a title ("Database
    outage"), and an undated one has no date to tell them apart.
    """
    index: dict[str, Path] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.md")):
            try:
                with open(path, encoding="utf-8", errors="replace") as file:
                    head = file.read(4096)
            except OSError:
                continue
            if not head.startswith("---"):
                continue
            match = _MARK_RE.search(head)
            if match:
                index.setdefault(match.group(1), path)
    return index


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
