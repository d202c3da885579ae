"""Which files MkDocs builds as pages, and where it writes them: its rules, copied so the core needs no MkDocs.

Lint and build must judge exactly the pages MkDocs builds. MkDocs (1.6, `mkdocs.utils.markdown_extensions`,
`mkdocs.structure.files.File`) builds a file as a page when its name ends with one of five extensions, in that
case exactly; `README` is the folder's index page like `index` (and is dropped when the folder has both);
`a/b.md` is written to `a/b/index.html` (`a/b.html` without directory URLs). A test compares these functions
with MkDocs' own `File` objects.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

MARKDOWN_EXTENSIONS = (".markdown", ".mdown", ".mkdn", ".mkd", ".md")  # mkdocs.utils.markdown_extensions
INDEX_STEMS = ("index", "README")


def is_markdown(src_uri: str) -> bool:
    """MkDocs builds this file as a page (`File.is_documentation_page`): case matters, as in MkDocs."""
    return src_uri.endswith(MARKDOWN_EXTENSIONS)


def miscased_markdown(name: str) -> str | None:
    """The extension of a name that looks like Markdown but that MkDocs copies as a plain file (`x.MD`)."""
    lowered = name.lower()
    for extension in MARKDOWN_EXTENSIONS:
        if lowered.endswith(extension) and not name.endswith(extension) and len(name) > len(extension):
            return name[-len(extension) :]
    return None


def stem(src_uri: str) -> str:
    """The file name without its Markdown extension (a postmortem's id)."""
    return posixpath.splitext(src_uri.rsplit("/", 1)[-1])[0]


def is_index_page(src_uri: str) -> bool:
    """`index.md` or `README.md` (any Markdown extension): MkDocs writes it as its folder's page."""
    return is_markdown(src_uri) and stem(src_uri) in INDEX_STEMS


def dest_path(src_uri: str, directory_urls: bool = True) -> str:
    """Where MkDocs writes a page, relative to the site folder (`File.dest_uri`)."""
    parent, name = posixpath.split(src_uri)
    page = stem(src_uri)
    if page == "README":
        page = "index"
    if not directory_urls or page == "index":
        return posixpath.join(parent, page + ".html")
    return posixpath.join(parent, page, "index.html")


def page_url(src_uri: str, directory_urls: bool = True) -> str:
    """MkDocs' URL of a page, relative to the site root (`File.url`): `a/b/`, `a/`, `a/b.html`."""
    url = dest_path(src_uri, directory_urls)
    folder, name = posixpath.split(url)
    if directory_urls and name == "index.html":
        url = (folder or ".") + "/"
    if url == "./":
        url = ""  # the home page; MkDocs says "./", which a link relative to the site root does not need
    return quote(url)  # as MkDocs quotes File.url: `#`, `?` and `%` in file names stay part of the path


def dropped_in_folder(src_uris: Iterable[str], directory_urls: bool = True) -> set[str]:
    """Pages MkDocs drops (with a warning) because another file of the same folder has their destination:
    `README.md` beside `index.md`, `x.markdown` beside `x.md`. Of such a pair the later in MkDocs' order stays."""
    groups: dict[tuple[str, str], list[str]] = {}
    for src_uri in src_uris:
        if is_markdown(src_uri):
            folder = src_uri.rpartition("/")[0]
            groups.setdefault((folder, dest_path(src_uri, directory_urls)), []).append(src_uri)
    dropped: set[str] = set()
    for members in groups.values():
        if len(members) > 1:
            ordered = sorted(members, key=_mkdocs_order)
            dropped.update(ordered[:-1])
    return dropped


def _mkdocs_order(src_uri: str) -> tuple[bool, str]:
    """mkdocs.structure.files._file_sort_key: index pages first, then by name."""
    name = src_uri.rsplit("/", 1)[-1]
    return (posixpath.splitext(name)[0] not in INDEX_STEMS, name)


def collisions(src_uris: Iterable[str], directory_urls: bool = True) -> dict[str, list[str]]:
    """Pages of different folders that MkDocs writes to one file (`x.md` and `x/index.md`): one silently
    replaces the other. Maps each destination to its pages, in path order."""
    by_dest: dict[str, list[str]] = {}
    for src_uri in sorted(src_uris):
        by_dest.setdefault(dest_path(src_uri, directory_urls), []).append(src_uri)
    return {dest: pages for dest, pages in by_dest.items() if len(pages) > 1}


def read_regular_file(path: Path | str) -> bytes:
    """The bytes of a regular file; OSError for anything else. Opened without blocking, so that a named pipe
    (or one that replaced the file since it was listed) cannot hang a lint, a build or an import."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise OSError(0, "not a regular file")
        return file.read()
