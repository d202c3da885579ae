"""docs/reference.md, the hand-written reference, names everything the code declares.

The reference travels with the repository, so it is checked against the declarations it describes: the
front-matter fields, the built-in taxonomy, the commands' options, the plugin options and the generated pages.
A comparison with the original specification (SPEC.md) runs only where that file exists (a checkout inside the project's
workspace); a clone has no such file and skips it.
"""

from __future__ import annotations

import argparse
import re

import pytest
from conftest import REPO
from pmkb.cli.main import COMMANDS, build_parser
from pmkb.core.catalog import RESERVED_NAMES
from pmkb.core.taxonomy import SECTIONS, default_taxonomy
from pmkb.site.guide import field_rows
from pmkb.site.pages import EXPORT_NAMES

REFERENCE = REPO / "docs" / "reference.md"
CONTRACT = REPO.parent / "shared" / "SPEC.md"


@pytest.fixture(scope="module")
def reference() -> str:
    return REFERENCE.read_text("utf-8")


def code_spans(text: str) -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", text))


def test_every_front_matter_field_is_described(reference: str) -> None:
    spans = code_spans(reference)
    for row in field_rows(default_taxonomy()):
        # `action_items[].owner` is documented in the action items table as `owner`
        name = row.name.split("[].")[-1]
        assert name in spans, f"docs/reference.md does not describe the field {row.name}"
        for value in row.allowed:  # fixed choices (statuses, priorities...) and the built-in taxonomy's values
            assert value in spans, f"docs/reference.md does not list {value}, allowed in {row.name}"


def test_every_built_in_taxonomy_value_is_listed(reference: str) -> None:
    spans = code_spans(reference)
    taxonomy = default_taxonomy()
    for section in SECTIONS:
        assert section in spans
        for slug in taxonomy.slugs(section):
            assert slug in spans, f"docs/reference.md does not list the {section} value {slug}"


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings if option not in ("-h", "--help")}


def test_every_command_and_option_is_described(reference: str) -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(subparsers.choices) == set(COMMANDS)
    for name, sub in subparsers.choices.items():
        heading = re.search(rf"^### `pmkb {name}\b[^\n]*$", reference, re.MULTILINE)
        assert heading, f"docs/reference.md has no section for pmkb {name}"
        section = reference[heading.start() :].split("\n### ", 1)[0].split("\n## ", 1)[0]
        for option in _options(sub) - {"-f", "--config-file"}:
            assert option in section, f"docs/reference.md does not describe pmkb {name} {option}"
    assert "`-f FILE` / `--config-file FILE`" in reference


def test_every_plugin_option_is_described(reference: str) -> None:
    from pmkb.mkdocs_plugin.plugin import PostmortemPluginConfig

    table = reference.split("## Plugin options", 1)[1].split("\n## ", 1)[0]
    for name, _ in PostmortemPluginConfig._schema:
        assert f"| `{name}` |" in table, f"docs/reference.md does not describe the plugin option {name}"


def test_every_generated_url_is_listed(reference: str) -> None:
    site = reference.split("## The site", 1)[1].split("\n## ", 1)[0]
    for name in RESERVED_NAMES:
        url = f"`/{name}`" if name in EXPORT_NAMES else f"`/{name}/`"
        assert url in site, f"docs/reference.md does not list {url}"


def test_readme_points_at_the_reference_not_outside_the_repository() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    assert "../shared" not in readme
    assert "(docs/reference.md)" in readme


def test_reference_covers_the_original_contracts_front_matter_keys(reference: str) -> None:
    if not CONTRACT.is_file():
        pytest.skip(f"{CONTRACT} is absent (it exists only in the project's workspace, not in a clone)")
    contract = CONTRACT.read_text("utf-8")
    block = contract.split("```yaml", 1)[1].split("```", 1)[0]
    keys = set(re.findall(r"^\s*(?:- )?([a-z_]+):", block, re.MULTILINE))
    spans = code_spans(reference)
    missing = sorted(key for key in keys if key not in spans and not any(s.endswith("." + key) for s in spans))
    assert not missing, f"keys of {CONTRACT} that docs/reference.md does not describe: {missing}"
