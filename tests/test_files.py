"""pmkb.core.files copies MkDocs' rules for which files are pages and where they are written: checked here
against MkDocs' own `File` and `get_files` (lint and build judge exactly the pages MkDocs builds)."""

from __future__ import annotations

import pytest
from mkdocs import utils
from mkdocs.config import load_config
from mkdocs.structure.files import File, get_files
from pmkb.core.files import MARKDOWN_EXTENSIONS, dest_path, dropped_in_folder, is_markdown, page_url

NAMES = [
    "a.md", "2024/x.md", "2024/x.markdown", "2024/x.mdown", "2024/x.mkdn", "2024/x.mkd", "2024/x.MD", "2024/x.Md",
    "index.md", "README.md", "2024/README.md", "2024/readme.md", "2024/index.markdown", "2024/README.markdown",
    "runbooks/a b#c%.md", "2024/x/index.md", "x.txt", "2024/x.md.txt",
]  # fmt: skip


def test_the_markdown_extensions_are_mkdocs_own():
    assert set(MARKDOWN_EXTENSIONS) == set(utils.markdown_extensions)


@pytest.mark.parametrize("directory_urls", [True, False])
@pytest.mark.parametrize("src_uri", NAMES)
def test_pages_destinations_and_urls_are_mkdocs_own(src_uri, directory_urls):
    file = File(src_uri, "/docs", "/site", directory_urls)
    assert is_markdown(src_uri) == file.is_documentation_page()
    if file.is_documentation_page():
        assert dest_path(src_uri, directory_urls) == file.dest_uri
        assert page_url(src_uri, directory_urls) == ("" if file.url == "./" else file.url)


def test_the_pages_mkdocs_drops_from_a_folder_are_the_ones_pmkb_expects(kb):
    for name in ("2024/README.md", "2024/index.md", "2024/x.md", "2024/x.markdown", "runbooks/README.md"):
        kb.write(name, "# Page\n")
    config = load_config(str(kb.config))
    kept = {file.src_uri for file in get_files(config) if file.is_documentation_page()}
    written = {path.relative_to(kb.docs).as_posix() for path in kb.docs.rglob("*.m*")}
    assert dropped_in_folder(written) == written - kept == {"2024/README.md", "2024/x.markdown"}
