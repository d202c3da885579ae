"""A taxonomy that adds to the built-in one (`extend:`) without copying it, errors at their line, `pmkb taxonomy`
printing the taxonomy in force, and the examples of the guide and of `pmkb init` taken from that taxonomy."""

from __future__ import annotations

import yaml
from conftest import dedent
from htmlpage import read_page
from pmkb.core.taxonomy import SECTIONS, default_taxonomy, load_taxonomy

CERTIFICATE = {"slug": "certificate-expiry", "title": "Certificate expiry", "description": "A certificate ran out."}


def test_extend_adds_after_the_built_in_entries(tmp_path):
    taxonomy, diagnostics, _ = load_taxonomy({"extend": {"causes": [CERTIFICATE]}}, tmp_path)
    assert diagnostics == []
    built_in = default_taxonomy()
    assert taxonomy.slugs("causes") == (*built_in.slugs("causes"), "certificate-expiry")
    for section in ("severities", "triggers", "detection"):
        assert taxonomy.section(section) == built_in.section(section)


def test_extend_adds_to_a_replaced_section_too(tmp_path):
    option = {
        "severities": [{"slug": "P1", "title": "Critical", "description": "Down."}],
        "extend": {"severities": [{"slug": "P2", "title": "Minor", "description": "Degraded."}]},
    }
    taxonomy, diagnostics, _ = load_taxonomy(option, tmp_path)
    assert diagnostics == [] and taxonomy.slugs("severities") == ("P1", "P2")


def test_extend_errors_are_at_their_line(tmp_path):
    (tmp_path / "taxonomy.yml").write_text(
        dedent(
            """
            extend:
              causes:
                - slug: certificate-expiry
                  title: Certificate expiry
                  description: A certificate ran out.
                - slug: network
                  title: Network again
                  description: Already built in.
              outages: []
              triggers: nope
            """
        ),
        "utf-8",
    )
    _, diagnostics, _ = load_taxonomy("taxonomy.yml", tmp_path)
    found = {(d.line, d.column, d.field): d.message for d in diagnostics}
    assert found[(6, 13, "extend.causes.1.slug")] == (
        "taxonomy slug 'network' is already in 'causes'; extend adds new entries only"
    )
    assert found[(9, 12, "extend.outages")].startswith("unknown taxonomy section 'outages'")
    assert "must be a non-empty list" in found[(10, 13, "extend.triggers")]
    assert len(diagnostics) == 3


def test_extend_must_be_a_mapping_of_sections(tmp_path):
    _, diagnostics, _ = load_taxonomy({"extend": ["causes"]}, tmp_path)
    assert [d.message for d in diagnostics] == [
        "'extend' is a mapping of sections (severities, causes, triggers, detection) to the entries to add"
    ]


def test_pmkb_taxonomy_prints_the_taxonomy_in_force_as_a_taxonomy_file(kb):
    kb.set_config({"taxonomy": "taxonomy.yml"})
    (kb.root / "taxonomy.yml").write_text(yaml.safe_dump({"extend": {"causes": [CERTIFICATE]}}), "utf-8")
    result = kb.cli("taxonomy")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# The taxonomy in force: the built-in taxonomy with taxonomy.yml.\n")
    printed = yaml.safe_load(result.stdout)
    assert list(printed) == list(SECTIONS)
    assert printed["causes"][-1] == CERTIFICATE
    # Saved as a taxonomy file, it gives the same taxonomy.
    (kb.root / "copy.yml").write_text(result.stdout, "utf-8")
    copy, diagnostics, _ = load_taxonomy("copy.yml", kb.root)
    original, _, _ = load_taxonomy("taxonomy.yml", kb.root)
    assert diagnostics == [] and copy == original


def test_pmkb_taxonomy_with_errors_prints_them_and_nothing_else(kb):
    kb.set_config({"taxonomy": {"extend": {"causes": [{"slug": "Bad Slug", "title": "x", "description": "y"}]}}})
    result = kb.cli("taxonomy")
    assert result.returncode == 1 and result.stdout == ""
    assert "taxonomy slug 'Bad Slug' must match" in result.stderr


def test_guide_and_new_examples_use_the_taxonomy_in_force(kb):
    severities = [
        {"slug": "P0", "title": "Critical", "description": "Down."},
        {"slug": "P1", "title": "Major", "description": "Degraded."},
    ]
    causes = [{"slug": "bug", "title": "Bug", "description": "A defect."}]
    kb.set_config({"taxonomy": {"severities": severities, "causes": causes}})
    text = read_page(kb.build(strict=True), "guide/").article.all_text()
    assert "--severity P1 --cause bug --service checkout" in text
    assert "SEV" not in text
    words = text.split('config push"', 1)[1].split()[:6]
    assert words == ["--severity", "P1", "--cause", "bug", "--service", "checkout"]
    result = kb.cli("new", "Checkout fails for EU users after a config push", *words)
    assert result.returncode == 0, result.stderr


def test_a_taxonomy_file_that_links_to_itself_is_one_line(kb):
    kb.set_config({"taxonomy": "taxonomy.yml"})
    (kb.root / "taxonomy.yml").symlink_to("taxonomy.yml")
    for command in ("taxonomy", "lint"):
        result = kb.cli(command)
        assert result.returncode == 1, (command, result.stderr)
        said = result.stdout + result.stderr
        assert "Traceback" not in said and "cannot read taxonomy file 'taxonomy.yml'" in said
