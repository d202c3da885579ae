"""pmkb's options, declared once: the MkDocs plugin's `Config` and the command line both read them from here.

In `mkdocs.yml` they sit under the plugin (`plugins: [{pmkb: {pages: [runbooks], drafts: false}}]`). The
command line reads `mkdocs.yml` itself and checks the options as the plugin's `Config` would, so that `pmkb lint`
and `mkdocs build` never judge the same knowledge base with different settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields

DEFAULT_PAGE_DIRS = ("runbooks",)


@dataclass(frozen=True)
class Options:
    enabled: bool = field(default=True, metadata={"doc": "false: the plugin does nothing (MkDocs' convention)"})
    pages: tuple[str, ...] = field(
        default=DEFAULT_PAGE_DIRS,
        metadata={"doc": "folders under the content folder that hold ordinary pages, not postmortems"},
    )
    drafts: bool = field(default=False, metadata={"doc": "true: `mkdocs build` builds and lists drafts too"})
    taxonomy: str | dict | None = field(
        default=None,
        metadata={
            "doc": "a taxonomy file, or an inline mapping: a section given replaces the built-in one, "
            "the entries under `extend:` are added to it (pmkb taxonomy prints the result)"
        },
    )
    fields: dict | None = field(
        default=None,
        metadata={
            "doc": "the knowledge base's own front-matter fields, a mapping of name to {title, type, values, "
            "required, pattern, link, facet}",
            # What a commented-out option shows in place of its empty default: a shape to copy.
            "example": "\n  region: {title: Region, type: choice, values: [eu-west-1, us-east-1], facet: true}"
            "\n  ticket: {title: Ticket, type: text, pattern: '^[A-Z]+-[0-9]+$', "
            "link: 'https://tracker.example.org/browse/{value}'}",
        },
    )
    similar: int = field(
        default=5, metadata={"doc": "similar incidents listed on each postmortem page; 0 turns the list off"}
    )
    charts: bool = field(
        default=True,
        metadata={"doc": "false: insights are shown as tables, not drawn as charts (PMKB_CHARTS=0 does the same)"},
    )
    search_index_pages: int = field(
        default=10_000,
        metadata={
            "doc": "pages per browser search index: a bigger site gets several, merged in the browser, so that "
            "building them needs the memory of one (about 1.6 GB per 5,000 pages); 0: one index, whatever the size"
        },
    )


class OptionsError(ValueError):
    """An option of the wrong type: one line, naming the option."""


def option_docs() -> dict[str, str]:
    """Each option's one-line description, for the reference and the plugin's Config."""
    return {option.name: option.metadata["doc"] for option in fields(Options)}


def normalize_page_dirs(page_dirs: Iterable[str]) -> tuple[str, ...]:
    """`runbooks/` and `runbooks` name one folder."""
    return tuple(d.strip("/") for d in page_dirs if d.strip("/"))


def options_from_mapping(raw: object) -> Options:
    """Options as the plugin's `Config` reads them from `mkdocs.yml`; raises OptionsError on a wrong type.

    Unknown keys are left alone, as MkDocs leaves them (it warns).
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise OptionsError(f"the pmkb plugin's options must be a mapping, not {type(raw).__name__}")
    defaults = Options()
    pages = raw.get("pages", list(defaults.pages))
    if not isinstance(pages, list) or not all(isinstance(page, str) for page in pages):
        raise OptionsError("option 'pages' must be a list of folder names, such as [runbooks]")
    for name in ("enabled", "drafts", "charts"):
        if name in raw and not isinstance(raw[name], bool):
            raise OptionsError(f"option '{name}' must be true or false, not {raw[name]!r}")
    for name in ("similar", "search_index_pages"):
        number = raw.get(name, getattr(defaults, name))
        if isinstance(number, bool) or not isinstance(number, int):
            raise OptionsError(f"option '{name}' must be a whole number, not {number!r}")
    taxonomy = raw.get("taxonomy")
    if taxonomy is not None and not isinstance(taxonomy, str | dict):
        raise OptionsError("option 'taxonomy' must be a file name or a mapping")
    declared = raw.get("fields")
    if declared is not None and not isinstance(declared, dict):
        raise OptionsError("option 'fields' must be a mapping of field names to declarations")
    return Options(
        enabled=raw.get("enabled", defaults.enabled),
        pages=normalize_page_dirs(pages),
        drafts=raw.get("drafts", defaults.drafts),
        taxonomy=taxonomy,
        fields=declared,
        similar=raw.get("similar", defaults.similar),
        charts=raw.get("charts", defaults.charts),
        search_index_pages=raw.get("search_index_pages", defaults.search_index_pages),
    )
