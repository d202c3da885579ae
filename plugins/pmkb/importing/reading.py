"""Files and folders -> `Source`s, checked before any converter sees them.

Every rejection is a `Failure` with one line: empty, too large, binary, not decodable. The size limit is checked
on the file's size before reading it, so a 50 MB page costs nothing.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from pathlib import Path

from pmkb.core.files import read_regular_file

from .model import Failure, Format, Source

MAX_BYTES = 5 * 1024 * 1024  # an incident report is kilobytes; a page above this is an export of something else
_EXTENSIONS = {
    ".html": Format.HTML,
    ".htm": Format.HTML,
    ".xhtml": Format.HTML,
    ".md": Format.MARKDOWN,
    ".markdown": Format.MARKDOWN,
    ".mdown": Format.MARKDOWN,
    ".eml": Format.EMAIL,
    ".mbox": Format.MBOX,
}
# Magic numbers of the binary files most likely to sit in an exported archive.
_MAGIC = {
    b"%PDF": "a PDF file",
    b"PK\x03\x04": "a ZIP archive (a .docx or .odt is one too)",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"\xd0\xcf\x11\xe0": "an old Office document",
}
_HTML_START_RE = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_MAIL_HEADER_RE = re.compile(r"^(?:From|Date|Subject|To|Message-ID|Received|Return-Path|MIME-Version):", re.IGNORECASE)
_MBOX_FROM_RE = re.compile(rb"^From \S+ .*\d{4}\s*$", re.MULTILINE)
_MARKDOWN_RE = re.compile(r"^(?:\s{0,3}#{1,6}\s+\S|\s{0,3}```|\s{0,3}\|.*\|\s*$|\s*\d+\s{2}#{1,6}\s)", re.MULTILINE)


def expand(paths: list[str]) -> Iterator[tuple[str, Path] | Failure]:
    """Each path given, folders expanded to the files under them (sorted, hidden ones skipped)."""
    for given in paths:
        try:
            yield from _expand(given)
        except OSError as error:  # a name longer than the system allows, a folder that cannot be listed
            yield Failure(given, f"cannot read it: {error.strerror or error}")


def _expand(given: str) -> Iterator[tuple[str, Path] | Failure]:
    path = Path(given)
    if path.is_dir():
        files: list[Path] = []
        for folder, subfolders, names in os.walk(path):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            files.extend(Path(folder) / name for name in names if not name.startswith("."))
        if not files:
            yield Failure(given, "the folder has no files to import")
        for file in sorted(files):
            yield str(file), file
    elif path.is_file():
        yield given, path
    elif path.exists():
        yield Failure(given, "not a regular file")
    else:
        yield Failure(given, "no such file or folder")


def read(name: str, path: Path) -> Source | Failure:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return Failure(
                name, f"too large to be an incident report ({_megabytes(size)}; the limit is {_megabytes(MAX_BYTES)})"
            )
        data = read_regular_file(path)  # a named pipe in a folder being imported must not hang the import
    except OSError as error:
        return Failure(name, f"cannot read it: {error.strerror or error}")
    return from_bytes(name, data, _EXTENSIONS.get(path.suffix.lower()))


def from_bytes(name: str, data: bytes, declared: Format | None = None) -> Source | Failure:
    """Check and decode the bytes of one source, and decide its format (the extension's, else sniffed)."""
    if len(data) > MAX_BYTES:
        return Failure(name, f"too large to be an incident report ({_megabytes(len(data))})")
    if not data.strip():
        return Failure(name, "the file is empty")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            return Failure(name, f"{what}, not a text document; export it as HTML, Markdown or text first")
    if b"\x00" in data[:8192]:
        return Failure(name, "a binary file (it contains NUL bytes), not a text document")
    kind = declared or _sniff(data)
    if kind in (Format.EMAIL, Format.MBOX):
        # `email` decodes each part with its own charset; headers and 8-bit bodies must still be readable.
        return Source(name, kind, data.decode("utf-8", "replace"), data)
    text = _decode(data, kind)
    if isinstance(text, str):
        if not text.strip():
            return Failure(name, "the file is empty")
        return Source(name, kind, text, data)
    return Failure(name, text.message)


def _decode(data: bytes, kind: Format) -> str | Failure:
    encodings = ["utf-8-sig"]
    if kind is Format.HTML:
        declared = _CHARSET_RE.search(data[:4096])
        if declared:
            encodings.insert(0, declared.group(1).decode("ascii").lower())
    for encoding in encodings:
        try:
            codecs.lookup(encoding)
            return data.decode(encoding)
        except LookupError:
            continue
        except UnicodeDecodeError as error:
            if encoding == encodings[-1]:
                return Failure(
                    "",
                    f"not {_encoding_name(encoding)} text: undecodable byte 0x{data[error.start]:02x} "
                    f"at offset {error.start}; convert it to UTF-8 first",
                )
    return Failure("", "no usable text encoding")


def _encoding_name(encoding: str) -> str:
    return "UTF-8" if encoding.startswith("utf-8") else encoding


def _sniff(data: bytes) -> Format:
    head = data[:4096]
    if _HTML_START_RE.match(head):
        return Format.HTML
    if data.startswith(b"From ") and _MBOX_FROM_RE.match(data):
        return Format.MBOX
    text = head.decode("utf-8", "replace")
    first_lines = [line for line in text.splitlines()[:5] if line.strip()]
    if len(first_lines) >= 2 and all(_MAIL_HEADER_RE.match(line) or line[:1] in " \t" for line in first_lines[:2]):
        return Format.EMAIL
    if _MARKDOWN_RE.search(data.decode("utf-8", "replace")):
        return Format.MARKDOWN
    return Format.TEXT


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
