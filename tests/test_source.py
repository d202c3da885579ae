"""Front matter is ours exactly when MkDocs would read it."""

from __future__ import annotations

import frontmatter
import pytest
from mkdocs.structure.files import File
from mkdocs.utils import meta
from pmkb.core.source import MKDOCS_YAML_RE, MkDocsYAMLHandler, decode, read_front_matter, split_document


def test_our_regex_is_mkdocs_regex():
    assert MKDOCS_YAML_RE.pattern == meta.YAML_RE.pattern
    assert MKDOCS_YAML_RE.flags == meta.YAML_RE.flags


CASES = {
    "plain": "---\ntitle: x\n---\nbody\n",
    "dots terminator": "---\ntitle: x\n...\nbody\n",
    "four dash opening": "----\ntitle: x\n---\nbody\n",
    "four dash closing": "---\ntitle: x\n----\nbody\n",
    "leading blank line": "\n---\ntitle: x\n---\nbody\n",
    "trailing spaces on fences": "---  \ntitle: x\n---\t\nbody\n",
    "no newline after closing fence": "---\ntitle: x\n---",
    "empty front matter": "---\n---\nbody\n",
    "blank front matter": "---\n\n---\nbody\n",
    "no front matter": "# Title\n\ntitle: x\n",
    "indented fence": " ---\ntitle: x\n---\nbody\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_front_matter_found_exactly_where_mkdocs_finds_it(name, tmp_path):
    text = CASES[name]
    path = tmp_path / "page.md"
    path.write_text(text, encoding="utf-8")
    # MkDocs' own reading path: File.content_string (utf-8-sig, universal newlines) then meta.get_data.
    mkdocs_text = File("page.md", str(tmp_path), str(tmp_path / "site"), True).content_string
    _, mkdocs_data = meta.get_data(mkdocs_text)
    document, loaded, diagnostics = read_front_matter(path.read_bytes(), "page.md")
    ours = loaded.value if loaded is not None else {}
    assert ours == mkdocs_data, diagnostics
    assert document.has_front_matter == bool(MKDOCS_YAML_RE.match(mkdocs_text))


@pytest.mark.parametrize("name", sorted(CASES))
def test_our_frontmatter_handler_agrees_with_mkdocs(name):
    text = CASES[name]
    mkdocs_body, mkdocs_data = meta.get_data(text)
    handler = MkDocsYAMLHandler()
    if handler.detect(text):
        fm, body = handler.split(text)
        assert (handler.load(fm) or {}) == mkdocs_data
        if mkdocs_data:
            assert body == mkdocs_body
    else:
        assert mkdocs_data == {}


def test_frontmatter_loads_strips_leading_blank_lines_so_we_call_the_handler_directly():
    # frontmatter.loads() strips the text first, so it would accept what MkDocs ignores.
    assert frontmatter.loads(CASES["leading blank line"], handler=MkDocsYAMLHandler()).metadata == {"title": "x"}
    assert meta.get_data(CASES["leading blank line"])[1] == {}


def test_frontmatter_package_default_handler_differs_which_is_why_we_replace_it():
    # python-frontmatter alone accepts a `----` fence that MkDocs ignores.
    assert frontmatter.loads(CASES["four dash opening"]).metadata == {"title": "x"}
    assert meta.get_data(CASES["four dash opening"])[1] == {}


def test_bom_and_crlf_are_read_like_mkdocs():
    raw = "\ufeff---\r\ntitle: x\r\ndate: 2020-01-02\r\n---\r\nbody\r\n".encode()
    document, loaded, diagnostics = read_front_matter(raw, "p.md")
    assert diagnostics == []
    assert loaded.value["title"] == "x"
    assert loaded.position_of("date").line == 3
    assert document.body == "body\n"


def test_non_utf8_is_an_error_at_the_byte():
    text, diagnostics = decode(b"---\ntitle: caf\xe9\n---\n", "p.md")
    assert text is None
    (diagnostic,) = diagnostics
    assert (diagnostic.line, diagnostic.column, diagnostic.level) == (2, 11, "error")
    assert "not valid UTF-8" in diagnostic.message


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("", "file is empty"),
        ("# Just a page\n", "no front matter"),
        ("\n---\ntitle: x\n---\n", "must start on line 1"),
        ("----\ntitle: x\n---\n", "exactly '---'"),
        ("---\ntitle: x\n", "not closed"),
        ("---\n---\nbody\n", "front matter is empty"),
        ("---\n- a\n- b\n---\n", "is a list, not a mapping"),
        ("---\njust a string\n---\n", "is a string, not a mapping"),
        ("---\n# only a comment\n---\n", "is empty, not a mapping"),
    ],
)
def test_missing_or_unusable_front_matter_is_explained(text, phrase):
    _, loaded, diagnostics = read_front_matter(text.encode(), "p.md")
    assert loaded is None
    assert len(diagnostics) == 1 and diagnostics[0].is_error
    assert phrase in diagnostics[0].message


def test_split_keeps_body_like_mkdocs():
    text = "---\ntitle: x\n---\n\n\nBody\n"
    assert split_document(text, "p.md").body == meta.get_data(text)[0]
