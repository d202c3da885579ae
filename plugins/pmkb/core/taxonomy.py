"""The taxonomy: severities, causes, triggers and detection methods that front matter may name, and the fields a
knowledge base declares besides the built-in ones (`pmkb.core.custom_fields`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path

from pmkb.core.diagnostics import Diagnostic, Level, Position
from pmkb.core.fields import POSTMORTEM, Field, value_fields
from pmkb.core.yaml_positions import LoadedYaml, load_yaml

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SEVERITY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
SECTIONS = ("severities", "causes", "triggers", "detection")


@dataclass(frozen=True, slots=True)
class TaxonomyEntry:
    slug: str
    title: str
    description: str

    @property
    def url_slug(self) -> str:
        """Severities may be upper case (`SEV1`); URLs are always lower case."""
        return self.slug.lower()


@dataclass(frozen=True)
class Taxonomy:
    severities: tuple[TaxonomyEntry, ...]
    causes: tuple[TaxonomyEntry, ...]
    triggers: tuple[TaxonomyEntry, ...]
    detection: tuple[TaxonomyEntry, ...]
    fields: tuple[Field, ...] = ()  # the knowledge base's own front-matter fields, after the built-in ones
    # The front matter's declaration with those fields (what the validator, schema, template and guide walk), and
    # its value fields (what the header card, exports, search and explorer read by declaration).
    front_matter: Field = field(init=False, repr=False, compare=False)
    value_fields: tuple[Field, ...] = field(init=False, repr=False, compare=False)
    # Lookups run for every checked value and every listed row: each section indexed once, at construction.
    _index: dict[str, dict[str, TaxonomyEntry]] = field(init=False, repr=False, compare=False)
    _slugs: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sections = {name: getattr(self, name) for name in SECTIONS}
        object.__setattr__(self, "_index", {name: {e.slug: e for e in entries} for name, entries in sections.items()})
        object.__setattr__(self, "_slugs", {name: tuple(e.slug for e in entries) for name, entries in sections.items()})
        front_matter = replace(POSTMORTEM, fields=POSTMORTEM.fields + self.fields) if self.fields else POSTMORTEM
        object.__setattr__(self, "front_matter", front_matter)
        object.__setattr__(self, "value_fields", value_fields(front_matter))

    def section(self, name: str) -> tuple[TaxonomyEntry, ...]:
        return getattr(self, name)

    def slugs(self, name: str) -> tuple[str, ...]:
        return self._slugs[name]

    def entry(self, name: str, slug: str) -> TaxonomyEntry | None:
        return self._index[name].get(slug)

    def severity_rank(self, slug: str) -> int:
        """0 for the most severe; unknown severities sort last."""
        slugs = self.slugs("severities")
        return slugs.index(slug) if slug in slugs else len(slugs)


EXTEND = "extend"


def _parse_sections(loaded: LoadedYaml, path: str, base: Taxonomy | None) -> tuple[Taxonomy | None, list[Diagnostic]]:
    """Sections given replace `base`'s whole; entries under `extend:` are added after a section's own."""
    data = loaded.value
    diagnostics: list[Diagnostic] = []

    def error(field: str, message: str) -> None:
        diagnostics.append(Diagnostic.at(path, loaded.position_of(field), Level.ERROR, field, message))

    if not isinstance(data, dict):
        error("", "a taxonomy is a mapping with the sections " + ", ".join(SECTIONS) + f" (and {EXTEND})")
        return None, diagnostics
    sections: dict[str, tuple[TaxonomyEntry, ...]] = {}
    for name in data:
        if name not in SECTIONS and name != EXTEND:
            error(name, f"unknown taxonomy section '{name}'; the sections are {', '.join(SECTIONS)} (and {EXTEND})")
    extend = data.get(EXTEND) or {}
    if not isinstance(extend, dict):
        error(EXTEND, f"'{EXTEND}' is a mapping of sections ({', '.join(SECTIONS)}) to the entries to add")
        extend = {}
    for name in extend:
        if name not in SECTIONS:
            error(f"{EXTEND}.{name}", f"unknown taxonomy section '{name}'; the sections are {', '.join(SECTIONS)}")
    for name in SECTIONS:
        if name in data:
            parsed = _parse_entries(name, data[name], name, (), error)
            if parsed is None:
                continue
        elif base is None:
            error(name, f"taxonomy section '{name}' is missing")
            continue
        else:
            parsed = base.section(name)
        if name in extend:
            added = _parse_entries(name, extend[name], f"{EXTEND}.{name}", parsed, error)
            parsed = parsed + (added or ())
        sections[name] = parsed
    if diagnostics:
        return None, diagnostics
    return Taxonomy(**sections), []  # type: ignore[arg-type]  # the four sections, each a tuple of entries


def _parse_entries(
    name: str,
    entries: object,
    where: str,
    existing: tuple[TaxonomyEntry, ...],
    error: Callable[[str, str], None],
) -> tuple[TaxonomyEntry, ...] | None:
    """The entries of one section (or of its `extend:` list, after `existing`); None when the list is no list."""
    if not isinstance(entries, list) or not entries:
        error(where, f"taxonomy section '{where}' must be a non-empty list of entries with slug, title, description")
        return None
    parsed: list[TaxonomyEntry] = []
    pattern = SEVERITY_RE if name == "severities" else SLUG_RE
    for index, entry in enumerate(entries):
        at = f"{where}.{index}"
        if not isinstance(entry, dict):
            error(at, "a taxonomy entry is a mapping with slug, title and description")
            continue
        fields = ("slug", "title", "description")
        texts = {key: value for key in fields if isinstance(value := entry.get(key), str) and value.strip()}
        missing = [key for key in fields if key not in texts]
        if missing:
            error(at, f"taxonomy entry needs a text {', '.join(missing)}")
            continue
        slug = texts["slug"]
        if not pattern.fullmatch(slug):
            error(f"{at}.slug", f"taxonomy slug '{slug}' must match {pattern.pattern}")
            continue
        if any(other.url_slug == slug.lower() for other in existing):
            error(f"{at}.slug", f"taxonomy slug '{slug}' is already in '{name}'; {EXTEND} adds new entries only")
            continue
        if any(other.url_slug == slug.lower() for other in parsed):
            error(f"{at}.slug", f"taxonomy slug '{slug}' is listed twice in '{name}'")
            continue
        parsed.append(TaxonomyEntry(slug, texts["title"].strip(), texts["description"].strip()))
    return tuple(parsed)


@cache
def default_taxonomy() -> Taxonomy:
    text = resources.files(__package__).joinpath("default_taxonomy.yml").read_text("utf-8")
    loaded, diagnostics = load_yaml(text, "default_taxonomy.yml", 1)
    assert loaded is not None and not diagnostics
    taxonomy, diagnostics = _parse_sections(loaded, "default_taxonomy.yml", None)
    assert taxonomy is not None, diagnostics
    return taxonomy


def load_taxonomy(
    option: object, project_dir: Path, config_name: str = "mkdocs.yml"
) -> tuple[Taxonomy, list[Diagnostic], Path | None]:
    """The taxonomy in force: built-in defaults, with sections replaced or extended (`extend:`) from a YAML file or
    an inline mapping.

    `option` is the plugin option as written: None, a path or a mapping; any other value is reported.

    Returns (taxonomy, diagnostics, path of the file read or None). On errors the defaults are returned too, so
    a caller can still report the postmortems' own problems.
    """
    base = default_taxonomy()
    if option is None or option == {}:
        return base, [], None
    if isinstance(option, dict):
        taxonomy, diagnostics = _parse_sections(LoadedYaml(value=option), config_name, base)
        return taxonomy or base, diagnostics, None
    if not isinstance(option, str):
        message = "plugin option 'taxonomy' must be a path to a YAML file or a mapping"
        return base, [Diagnostic.at(config_name, Position(1, 1), Level.ERROR, "taxonomy", message)], None
    file = project_dir / option
    shown = option
    try:
        file = file.resolve()  # a symlink loop raises RuntimeError here on Python 3.11, OSError later
        raw = file.read_bytes()
    except (OSError, RuntimeError) as error:
        message = f"cannot read taxonomy file '{option}': {getattr(error, 'strerror', None) or error}"
        return base, [Diagnostic.at(config_name, Position(1, 1), Level.ERROR, "taxonomy", message)], file
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return base, [Diagnostic(shown, 1, 1, Level.ERROR, "", "taxonomy file is not valid UTF-8")], file
    loaded, diagnostics = load_yaml(text, shown, 1)
    if loaded is None:
        return base, diagnostics, file
    taxonomy, diagnostics = _parse_sections(loaded, shown, base)
    return taxonomy or base, diagnostics, file
