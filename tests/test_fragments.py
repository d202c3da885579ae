"""HTML fragments rendered once and reused (pmkb.mkdocs_plugin.fragments) are byte-identical to rendering them
every time.

Each site is built twice in-process: once as shipped, once with the reuse switched off, so every page renders
Material's `partials/nav.html` and every listing row itself. Every output file must be identical. The sites put
pages at several depths and in folders that share a prefix with nav entries, which is where relative links
differ.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import KB, front_matter, render_postmortem
from mkdocs.utils import weak_property
from pmkb.mkdocs_plugin import fragments
from pmkb.mkdocs_plugin.plugin import TEMPLATES
from test_reproducible import is_compared  # the sitemaps' date and Pagefind's unordered filter files aside


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
    # A page among Material's own files, which its links reach by a shorter way than from any other page.
    odd = front_matter(title="Filed with the assets", date="2021-08-01", timeline=_timeline("2021-08-01"))
    kb.write("assets/2021-08-01-odd.md", render_postmortem(odd))
    # A title the header prints (escaped by the plugin): the reused header must carry each page's own.
    marked = front_matter(title='<b>Bold</b> & "quoted"', date="2021-07-01", timeline=_timeline("2021-07-01"))
    kb.write("2021/2021-07-01-marked.md", render_postmortem(marked))
    kb.write("runbooks/deploy.md", "# Deploy\n\nSteps.\n")
    kb.write("runbooks/deep/rollback.md", "# Rollback\n")


def _files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file() and is_compared(p.relative_to(site).as_posix())
    }


def _build_both(kb: KB, monkeypatch: pytest.MonkeyPatch, **overrides) -> tuple[dict, dict, list]:
    remembered: list = []
    real_remember = fragments.RenderedFragments.remember

    def spy(self, key, html):
        remembered.append(key)
        return real_remember(self, key, html)

    real_split = fragments._split_at_title

    def split_spy(page, render):
        remembered.append(("header", page.url))
        return real_split(page, render)

    with monkeypatch.context() as patch:
        patch.setattr(fragments.RenderedFragments, "remember", spy)
        patch.setattr(fragments, "_split_at_title", split_spy)
        reused = _files(kb.build(site_dir=kb.root / "site-reused", **overrides))
    with monkeypatch.context() as patch:
        # Material's own blocks via super(), and every row rendered for its page with the page's own base_url.
        patch.setenv("PMKB_SPEEDUPS", "-chrome,-rows")
        material = _files(kb.build(site_dir=kb.root / "site-material", **overrides))
    return reused, material, remembered


# Every site-relative link Material's chrome can hold besides the nav's, pointing into folders pages live in.
LINKS_IN_THE_CHROME = {
    "extra_javascript": ["deep/er/extra.js", "2024/tools.js"],
    "extra": {
        "homepage": "runbooks/",
        "alternate": [
            {"name": "English", "link": "", "lang": "en"},
            {"name": "Old", "link": "services-old/", "lang": "de"},
        ],
        "polyfills": ["2023/polyfill.js"],
    },
    "copyright": "Copyright &copy; the SRE team",
}


@pytest.mark.parametrize(
    "theme_extra, site_extra",
    [
        ({}, {}),
        ({"features": ["navigation.indexes", "navigation.tabs", "toc.integrate"], "logo": "assets/logo.png"}, {}),
        ({"features": ["navigation.sections", "navigation.expand"]}, {}),
        ({"features": ["navigation.tabs", "navigation.tabs.sticky", "navigation.footer"]}, LINKS_IN_THE_CHROME),
    ],
    ids=["default", "tabs-integrated-toc-logo", "sections-expanded", "sticky-tabs-footer-extra-links"],
)
@pytest.mark.parametrize("directory_urls", [True, False], ids=["directory-urls", "file-urls"])
def test_reused_fragments_are_byte_identical_to_rendering_every_time(
    kb: KB, monkeypatch, theme_extra, site_extra, directory_urls
):
    _fill(kb)
    kb.set_config(
        theme={"name": "material", **theme_extra},
        use_directory_urls=directory_urls,
        **site_extra,
    )
    reused, material, remembered = _build_both(kb, monkeypatch)
    assert reused.keys() == material.keys()
    different = [name for name in reused if reused[name] != material[name]]
    assert different == []
    assert len(set(remembered)) == len(remembered)  # each fragment rendered once
    pages = [name for name in reused if name.endswith(".html")]
    for chrome in ("sidebar", "header", "footer", "config", "styles", "libs", "fonts", "analytics", "scripts"):
        rendered = [key for key in remembered if key[0] == chrome]
        assert 0 < len(rendered) < len(pages) / 2, chrome  # once per distinct set of links, far fewer than pages
    [marked] = [name for name in pages if "2021-07-01-marked" in name]
    header = reused[marked].decode().split('data-md-component="header-topic"')[1].split("</span>")[0]
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;quoted&quot;" in header
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
    ours = _site_nav_block(TEMPLATES.joinpath("pmkb/base.html").read_text())
    nav_include = '{% include "partials/nav.html" %}'
    assert materials.count(nav_include) == 1
    differing = [(theirs, mine) for theirs, mine in zip(materials, ours, strict=True) if theirs != mine]
    assert len(differing) == 1
    theirs, mine = differing[0]
    assert theirs == nav_include
    assert mine.startswith("{% if not pmkb_chrome_key %}" + nav_include)


def test_postmortem_bodies_handed_to_mkdocs_render_exactly_as_mkdocs_reads_them(kb: KB, monkeypatch):
    # The plugin hands MkDocs each postmortem's body without its front matter (on_page_read_source), so the
    # YAML is not parsed twice. Bodies that MkDocs could mistake for metadata must still render as they would.
    from pmkb.mkdocs_plugin.plugin import PostmortemPlugin

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


class _Page:
    """The parts of an MkDocs page the header reads; `title` is, as in MkDocs, a property an instance may shadow."""

    def __init__(self, meta: dict, url: str = "x/") -> None:
        self.meta, self.url = meta, url

    @weak_property
    def title(self) -> str:
        return self.meta.get("title") or "From the Markdown"


def _header(page) -> str:
    title = page.meta.get("title") or page.title
    return f"<header>{page.url}<span>{title}</span></header>"


def test_a_reused_header_carries_each_pages_title_and_leaves_the_page_as_it_was():
    reused = fragments.RenderedFragments()
    renders: list[str] = []
    first, second, untitled = _Page({"title": "First"}), _Page({"title": "Sec &amp; ond"}), _Page({})
    second.title = "Set by a plugin"  # Material prints the meta's title before the page's

    def header_of(page):
        def render():
            renders.append(page.title)
            return _header(page)

        return render

    out = [reused.titled(("k",), page, header_of(page)) for page in (first, second, untitled)]
    assert out == [_header(first), _header(second), _header(untitled)]
    assert len(renders) == 1
    assert (first.meta, first.title, "title" in vars(first)) == ({"title": "First"}, "First", False)
    assert (second.meta, second.title) == ({"title": "Sec &amp; ond"}, "Set by a plugin")
    assert untitled.title == "From the Markdown"


@pytest.mark.parametrize("shown", [0, 2], ids=["title-not-shown", "title-shown-twice"])
def test_a_header_without_exactly_one_title_is_rendered_for_every_page(shown):
    reused = fragments.RenderedFragments()
    renders = 0

    def render_for(page):
        def render():
            nonlocal renders
            renders += 1
            return "<header>" + f"<span>{page.title}</span>" * shown + "</header>"

        return render

    pages = [_Page({"title": "One"}), _Page({"title": "Two"})]
    out = [reused.titled(("k",), page, render_for(page)) for page in pages]
    assert out == ["<header>" + f"<span>{title}</span>" * shown + "</header>" for title in ("One", "Two")]
    assert renders == 3  # the first page twice (with the hole, then for real), the second once


def test_a_theme_that_replaces_materials_header_gets_every_pages_own_chrome(kb: KB, caplog):
    # A project's own partials/header.html may print anything of the page (here its URL): a header reused by
    # links alone would show the first page's URL on every page.

    theme = kb.root / "theme"
    material_header = Path(__import__("material").__file__).parent / "templates/partials/header.html"
    header = material_header.read_text().replace("</header>", '<p class="where">at {{ page.url }}</p></header>')
    (theme / "partials").mkdir(parents=True)
    (theme / "partials/header.html").write_text(header)
    _fill(kb)
    kb.set_config(theme={"name": "material", "custom_dir": str(theme)})
    with caplog.at_level("INFO"):
        site = kb.build()
    for url in ("2024/2024-05-02-cache/", "2023/2023-01-01-dns/", "tags/tls/"):
        assert f'<p class="where">at {url}</p>' in (site / url / "index.html").read_text()
    assert "partials/header.html replaces Material's" in caplog.text
