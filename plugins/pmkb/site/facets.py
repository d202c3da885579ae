"""Facets: causes, tags, services, severities and years are all ways of grouping one catalog.

One mechanism yields, for every facet, its values and the postmortems under each value, and the site layer
turns that into an index page per facet and a page per value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from statistics import median

from pmkb.core.model import Postmortem
from pmkb.core.taxonomy import Taxonomy

PRIMARY, CONTRIBUTING = "primary", "contributing"


@dataclass(frozen=True, slots=True)
class Facet:
    name: str  # also the URL folder: /causes/, /tags/
    title: str  # of the index page
    singular: str
    values_of: Callable[[Postmortem], Iterable[tuple[str, str]]]  # (value, role)
    taxonomy_section: str | None = None  # values come from the taxonomy: every one gets a page
    has_pages: bool = True
    description: str = ""

    def url(self, value: str | None = None) -> str:
        """Site-relative URL of the index page, or of a value's page. Values are slugs, shown lower case."""
        return f"{self.name}/" if value is None else f"{self.name}/{value.lower()}/"


@dataclass(frozen=True, slots=True)
class FacetEntry:
    postmortem: Postmortem
    role: str  # PRIMARY or CONTRIBUTING (tags, services: always primary)


@dataclass(frozen=True, slots=True)
class FacetValue:
    facet: Facet
    slug: str
    title: str
    description: str
    entries: tuple[FacetEntry, ...]  # newest first

    @property
    def url(self) -> str:
        return self.facet.url(self.slug)

    @property
    def primary(self) -> tuple[Postmortem, ...]:
        return tuple(entry.postmortem for entry in self.entries if entry.role == PRIMARY)

    @property
    def contributing(self) -> tuple[Postmortem, ...]:
        return tuple(entry.postmortem for entry in self.entries if entry.role == CONTRIBUTING)

    @property
    def count(self) -> int:
        return len(self.primary)

    @property
    def median_time_to_resolve_seconds(self) -> float | None:
        durations = [
            p.timeline.time_to_resolve.total_seconds() for p in self.primary if p.timeline.time_to_resolve is not None
        ]
        return median(durations) if durations else None


CAUSES = Facet(
    "causes",
    "Root causes",
    "cause",
    lambda p: [(p.cause, PRIMARY), *((c, CONTRIBUTING) for c in p.contributing)],
    taxonomy_section="causes",
    description="Incidents by root-cause category: the primary cause, and where it contributed.",
)
SEVERITIES = Facet(
    "severities",
    "Severities",
    "severity",
    lambda p: [(p.severity, PRIMARY)],
    taxonomy_section="severities",
    description="Incidents by severity.",
)
SERVICES = Facet(
    "services",
    "Services",
    "service",
    lambda p: [(s, PRIMARY) for s in p.services],
    description="Incidents by the services involved.",
)
TAGS = Facet(
    "tags",
    "Tags",
    "tag",
    lambda p: [(t, PRIMARY) for t in p.tags],
    description="Incidents by tag.",
)
YEARS = Facet("years", "Years", "year", lambda p: [(str(p.date.year), PRIMARY)], has_pages=False)

FACETS = (CAUSES, SEVERITIES, SERVICES, TAGS, YEARS)
PAGED_FACETS = tuple(facet for facet in FACETS if facet.has_pages)


def facet_values(facet: Facet, postmortems: Iterable[Postmortem], taxonomy: Taxonomy) -> list[FacetValue]:
    """Each value of the facet with its postmortems (in the given order), in the facet's natural order.

    Taxonomy facets list every taxonomy value, used or not (so links from the taxonomy never break), in taxonomy
    order; free facets list the values in use, alphabetically; years newest first.
    """
    buckets: dict[str, list[FacetEntry]] = {}
    for postmortem in postmortems:
        for value, role in facet.values_of(postmortem):
            buckets.setdefault(value, []).append(FacetEntry(postmortem, role))
    if facet.taxonomy_section:
        entries = taxonomy.section(facet.taxonomy_section)
        return [
            FacetValue(facet, entry.slug, entry.title, entry.description, tuple(buckets.get(entry.slug, ())))
            for entry in entries
        ]
    order = sorted(buckets, reverse=facet is YEARS)
    return [FacetValue(facet, value, value, "", tuple(buckets[value])) for value in order]
