"""HTML fragments rendered once and reused (pmkb.fragments) are byte-identical to rendering them every time.

Each site is built twice in-process: once as shipped, once with the reuse switched off, so every page renders
Material's `partials/nav.html` and every listing row itself. Every output file must be identical. The sites put
pages at several depths and in folders that share a prefix with nav entries, which is where relative links
differ.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import KB, front_matter, render_postmortem
from pmkb import fragments

IGNORED = {"sitemap.xml", "sitemap.xml.gz"}


def _timeline(day: str) -> dict:
    return {
        "started": f"{day}T09:00:00+02:00",
        "detected": f"{day}T09:20:00+02:00",
        "resolved": f"{day}T11:00:00+02:00",
    }


def _fill(kb: KB) -> None:
    kb.add("2024-05-02-cache", related=["2023-01-01-dns"])
    kb.add("2023-01-01-dns", date="2023-01-01", timeline=_timeline("2023-01-01"), services=["dns"], tags=["tls"])
    nested = front_matter(title="Nested", date="2022-03-04", timeline=_timeline("2022-03-04"))
    kb.write("deep/er/2022-03-04-nested.md", render_postmortem(nested))
    # A folder whose name shares its first letters with a nav entry (/services/, /runbooks/).
    shared = front_matter(title="Services-ish folder", date="2021-06-01", timeline=_timeline("2021-06-01"))
    kb.write("services-old/2021-06-01-old.md", render_postmortem(shared))
    kb.write("runbooks/deploy.md", "# Deploy\n\nSteps.\n")
    kb.write("runbooks/deep/rollback.md", "# Rollback\n")


def _files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file() and p.name not in IGNORED
    }


def _build_both(kb: KB, monkeypatch: pytest.MonkeyPatch, **overrides) -> tuple[dict, dict, list]:
    remembered: list = []
    real_remember = fragments.RenderedFragments.remember

    def spy(self, key, html):
        remembered.append(key)
        return real_remember(self, key, html)

    with monkeypatch.context() as patch:
        patch.setattr(fragments.RenderedFragments, "remember", spy)
        reused = _files(kb.build(site_dir=kb.root / "site-reused", **overrides))
    with monkeypatch.context() as patch:
        patch.setattr(fragments.RenderedFragments, "__contains__", lambda self, key: False)
        material = _files(kb.build(site_dir=kb.root / "site-material", **overrides))
    return reused, material, remembered


@pytest.mark.parametrize(
    "theme_extra",
    [
        {},
        {"features": ["navigation.indexes", "navigation.tabs", "toc.integrate"], "logo": "assets/logo.png"},
        {"features": ["navigation.sections", "navigation.expand"]},
    ],
    ids=["default", "tabs-integrated-toc-logo", "sections-expanded"],
)
@pytest.mark.parametrize("directory_urls", [True, False], ids=["directory-urls", "file-urls"])
def test_reused_fragments_are_byte_identical_to_rendering_every_time(kb: KB, monkeypatch, theme_extra, directory_urls):
    _fill(kb)
    kb.set_config(
        theme={"name": "material", "custom_dir": str(Path(__file__).resolve().parents[1] / "overrides"), **theme_extra},
        use_directory_urls=directory_urls,
    )
    reused, material, remembered = _build_both(kb, monkeypatch)
    assert reused.keys() == material.keys()
    different = [name for name in reused if reused[name] != material[name]]
    assert different == []
    assert len(set(remembered)) == len(remembered)  # each fragment rendered once
    pages = [name for name in reused if name.endswith(".html")]
    sidebars = [key for key in remembered if key[0] == "sidebar"]
    assert 0 < len(sidebars) < len(pages) / 2  # once per distinct set of links, far fewer than the pages
    rows = [key for key in remembered if key[0] == "incident-row"]
    shown = sum(reused[name].count(b'<tr class="pmkb-incident') for name in pages)
    assert 0 < len(rows) < shown / 2
    items = [key for key in remembered if key[0] == "incident-item"]
    assert items
    actions = [key for key in remembered if key[0] == "action-row"]
    shown = sum(reused[name].count(b'<tr class="pmkb-action') for name in pages)
    assert 0 < len(actions) < shown


def test_pages_in_the_nav_render_their_own_sidebar_with_the_active_entry(kb: KB):
    _fill(kb)
    site = kb.build()
    runbook = (site / "runbooks/deploy/index.html").read_text()
    postmortem = (site / "2024/2024-05-02-cache/index.html").read_text()
    assert "md-nav__link--active" in runbook
    assert "md-nav__link--active" not in postmortem.split('data-md-type="toc"')[0]


def test_front_matter_never_reaches_a_shared_sidebar(kb: KB):
    # The sidebar is shared between pages, so nothing page-specific may leak into it: two pages with very
    # different titles get the same sidebar text.
    kb.add("2024-05-02-a", front_matter(title="<b>first</b> unique-title-one"))
    kb.add(
        "2024-05-03-b",
        front_matter(title="second unique-title-two", date="2024-05-03", timeline=_timeline("2024-05-03")),
    )
    site = kb.build()

    def sidebar_of(path: str) -> str:
        text = (site / path).read_text()
        start = text.index('data-md-type="navigation"')
        return text[start : text.index('data-md-type="toc"')]

    first, second = sidebar_of("2024/2024-05-02-a/index.html"), sidebar_of("2024/2024-05-03-b/index.html")
    assert first == second
    assert "unique-title" not in first


def _site_nav_block(template: str) -> list[str]:
    start = template.index("{% block site_nav %}")
    end = template.index("{% endblock %}", start)
    return [line.strip() for line in template[start:end].splitlines() if line.strip()]


def test_pmkb_site_nav_block_is_materials_but_for_the_reused_sidebar():
    # pmkb/base.html copies Material's site_nav block to wrap one include. When Material changes that block,
    # this fails, and the copy must be brought up to date.
    import material

    materials = _site_nav_block(Path(material.__file__).parent.joinpath("templates/base.html").read_text())
    ours = _site_nav_block(Path(__file__).resolve().parents[1].joinpath("overrides/pmkb/base.html").read_text())
    nav_include = '{% include "partials/nav.html" %}'
    assert materials.count(nav_include) == 1
    differing = [(theirs, mine) for theirs, mine in zip(materials, ours, strict=True) if theirs != mine]
    assert len(differing) == 1
    theirs, mine = differing[0]
    assert theirs == nav_include
    assert mine.startswith("{% if pmkb_sidebar_key is not defined or pmkb_sidebar_key is none %}" + nav_include)


def test_postmortem_bodies_handed_to_mkdocs_render_exactly_as_mkdocs_reads_them(kb: KB, monkeypatch):
    # The plugin hands MkDocs each postmortem's body without its front matter (on_page_read_source), so the
    # YAML is not parsed twice. Bodies that MkDocs could mistake for metadata must still render as they would.
    from pmkb.plugin import PostmortemPlugin

    bodies = {
        "2024-05-01-multimarkdown": "Summary: looks like a MultiMarkdown header\nOwner: sre\n\nText.\n",
        "2024-05-02-fence": "---\ntitle: a second fence\n---\n\nText after a rule.\n",
        "2024-05-03-blank-lines": "\n\n\n# Heading\n\nText.\n",
        "2024-05-04-empty": "",
    }
    for number, (pid, body) in enumerate(bodies.items(), start=1):
        day = f"2024-05-0{number}"
        data = front_matter(date=day, timeline=_timeline(day))
        kb.add(pid, data, body=body)
    crlf = render_postmortem(front_matter(date="2024-05-05", timeline=_timeline("2024-05-05")), "Line one\n\nTwo\n")
    kb.write("2024/2024-05-05-crlf-bom.md", ("\ufeff" + crlf.replace("\n", "\r\n")).encode())

    ours = _files(kb.build(site_dir=kb.root / "site-ours"))
    with monkeypatch.context() as patch:
        patch.setattr(PostmortemPlugin, "on_page_read_source", lambda self, **kwargs: None)
        mkdocs_own = _files(kb.build(site_dir=kb.root / "site-mkdocs"))
    assert ours.keys() == mkdocs_own.keys()
    assert [name for name in ours if ours[name] != mkdocs_own[name]] == []
    page = ours["2024/2024-05-01-multimarkdown/index.html"].decode()
    assert "looks like a MultiMarkdown header" in page
