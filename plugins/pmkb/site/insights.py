"""The numbers behind the site's charts: counts per quarter, duration distributions, action-item ages.

Pure values computed from the listed postmortems, with no chart library and no MkDocs: `pmkb.site.charts` turns
them into Vega-Lite specs and the templates print them as text alternatives (captions and tables), so a chart and
its text always show the same figures.

Durations are summarised by their median and 90th percentile, never a mean: one incident that stayed open for a
week moves the mean of a hundred one-hour incidents by more than an hour, and readers take the mean for typical.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pmkb.core.model import Postmortem, human_duration
from pmkb.core.taxonomy import Taxonomy

QUARTERS_SHOWN = 20  # five years: enough to see a trend, few enough bars to read at 400 px
TOP_CAUSES = 6  # causes with their own colour in stacked charts; the rest are "Other causes"
TOP_OWNERS = 10
OTHER = "other"
OTHER_TITLE = "Other causes"

# Bins of the duration histograms, in seconds (upper bounds, exclusive); the last bin is open-ended.
DURATION_BINS: tuple[tuple[str, float], ...] = (
    ("< 15m", 15 * 60),
    ("15m-1h", 3600),
    ("1-4h", 4 * 3600),
    ("4-12h", 12 * 3600),
    ("12h-1d", 86400),
    ("1-3d", 3 * 86400),
    ("> 3d", math.inf),
)
# Age of open action items (days since their incident), the same way.
AGE_BINS: tuple[tuple[str, float], ...] = (
    ("< 30d", 30),
    ("30-90d", 90),
    ("90-180d", 180),
    ("180d-1y", 365),
    ("1-2y", 730),
    ("> 2y", math.inf),
)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation between closest ranks (the "inclusive" method of
    `statistics.quantiles`, and numpy's default): the 50th is the median. None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def quarter_of(day: date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def last_quarters(today: date, count: int = QUARTERS_SHOWN) -> tuple[str, ...]:
    """The `count` quarters up to and including today's, oldest first."""
    index = today.year * 4 + (today.month - 1) // 3
    return tuple(f"{i // 4} Q{i % 4 + 1}" for i in range(index - count + 1, index + 1))


def quarters_with_incidents(dates: Iterable[date], today: date, most: int = QUARTERS_SHOWN) -> tuple[str, ...]:
    """From the quarter of the first incident to today's, at most the last `most`: a young knowledge base's
    charts are not years of empty quarters. Today's quarter alone when there is no incident."""
    index = today.year * 4 + (today.month - 1) // 3
    first = min((day.year * 4 + (day.month - 1) // 3 for day in dates), default=index)
    return last_quarters(today, max(1, min(most, index - first + 1)))


def _bin(value: float, bins: Sequence[tuple[str, float]]) -> str:
    for label, upper in bins:
        if value < upper:
            return label
    return bins[-1][0]


@dataclass(frozen=True, slots=True)
class Count:
    """One bar segment: `count` things in `period` (a quarter, a bin) and `series` (a cause, a status...)."""

    period: str
    series: str  # slug
    title: str  # what the legend and the table show
    count: int


@dataclass(frozen=True, slots=True)
class DurationStats:
    """Median and 90th percentile of the time to detect and to resolve, in seconds, of `count` incidents."""

    slug: str
    title: str
    count: int  # incidents with a time to resolve
    detect_median: float | None
    detect_p90: float | None
    resolve_median: float | None
    resolve_p90: float | None


@dataclass(frozen=True, slots=True)
class Headline:
    label: str
    value: str
    url: str = ""  # site-relative link, if any
    alert: bool = False  # draws the eye (overdue items)


@dataclass(frozen=True, slots=True)
class Trend:
    """Incidents per quarter of one facet value, and how long they took."""

    quarters: tuple[str, ...]
    counts: tuple[int, ...]  # per quarter
    earlier: int  # incidents before the first quarter shown
    detect_bins: tuple[Count, ...]  # histogram of time to detect
    resolve_bins: tuple[Count, ...]
    stats: DurationStats


@dataclass(frozen=True, slots=True)
class HomeInsights:
    headlines: tuple[Headline, ...]
    quarters: tuple[str, ...]
    earlier: int  # incidents before the first quarter shown
    by_cause: tuple[Count, ...]  # per quarter, stacked by cause (the top causes and "other")
    cause_order: tuple[str, ...]  # the causes `by_cause` names, in taxonomy order, OTHER last
    by_severity: tuple[Count, ...]  # per quarter, stacked by severity
    durations: tuple[DurationStats, ...]  # per cause, in taxonomy order, causes with incidents only
    actions_by_quarter: tuple[Count, ...]  # action items by their incident's quarter, stacked by status today
    overdue_by_owner: tuple[Count, ...]  # the owners with the most overdue items
    open_ages: tuple[Count, ...]  # open items by age bin, overdue or not


def _seconds(values: Iterable[timedelta | None]) -> list[float]:
    return [value.total_seconds() for value in values if value is not None]


def duration_stats(slug: str, title: str, postmortems: Sequence[Postmortem]) -> DurationStats:
    detect = _seconds(p.timeline.time_to_detect for p in postmortems)
    resolve = _seconds(p.timeline.time_to_resolve for p in postmortems)
    return DurationStats(
        slug,
        title,
        len(resolve),
        percentile(detect, 50),
        percentile(detect, 90),
        percentile(resolve, 50),
        percentile(resolve, 90),
    )


def histogram(seconds: Iterable[float], series: str, title: str) -> tuple[Count, ...]:
    """Counts per duration bin, every bin present (zero included) so that charts keep their axis."""
    counts = Counter(_bin(value, DURATION_BINS) for value in seconds)
    return tuple(Count(label, series, title, counts[label]) for label, _ in DURATION_BINS)


def per_quarter(postmortems: Iterable[Postmortem], quarters: Sequence[str]) -> tuple[tuple[int, ...], int]:
    """Incidents in each of `quarters` (consecutive, oldest first) and the number before the first."""
    counts = Counter(quarter_of(p.date) for p in postmortems)
    shown = set(quarters)
    earlier = sum(n for quarter, n in counts.items() if quarter not in shown and quarter < quarters[0])
    return tuple(counts[q] for q in quarters), earlier


def trend(slug: str, title: str, postmortems: Sequence[Postmortem], today: date) -> Trend:
    quarters = quarters_with_incidents((p.date for p in postmortems), today)
    counts, earlier = per_quarter(postmortems, quarters)
    return Trend(
        quarters,
        counts,
        earlier,
        histogram(_seconds(p.timeline.time_to_detect for p in postmortems), "detect", "Time to detect"),
        histogram(_seconds(p.timeline.time_to_resolve for p in postmortems), "resolve", "Time to resolve"),
        duration_stats(slug, title, postmortems),
    )


def _stacked(
    postmortems: Iterable[Postmortem], quarters: Sequence[str], series_of, titles: dict[str, str], order: Sequence[str]
) -> tuple[Count, ...]:
    shown = set(quarters)
    counts = Counter((quarter_of(p.date), series_of(p)) for p in postmortems if quarter_of(p.date) in shown)
    return tuple(
        Count(quarter, series, titles[series], counts[(quarter, series)])
        for quarter in quarters
        for series in order
        if counts[(quarter, series)]
    )


def home_insights(listed: Sequence[Postmortem], taxonomy: Taxonomy, today: date) -> HomeInsights:
    """Everything the home page's dashboard shows, for the postmortems the site lists."""
    quarters = quarters_with_incidents((p.date for p in listed), today)
    _, earlier = per_quarter(listed, quarters)
    cause_titles = {e.slug: e.title for e in taxonomy.causes}
    severity_titles = {e.slug: e.slug for e in taxonomy.severities}

    # The causes with the most incidents in the window get a colour each; the rest share one.
    shown = set(quarters)
    window = [p for p in listed if quarter_of(p.date) in shown]
    ranked = Counter(p.cause for p in window).most_common()
    top = [slug for slug, _ in ranked[:TOP_CAUSES]] if len(ranked) > TOP_CAUSES + 1 else [s for s, _ in ranked]
    top_set = set(top)
    cause_order = [slug for slug in taxonomy.slugs("causes") if slug in top_set]
    if len(top_set) < len(ranked):
        cause_order.append(OTHER)
    titles = {**cause_titles, OTHER: OTHER_TITLE}
    by_cause = _stacked(window, quarters, lambda p: p.cause if p.cause in top_set else OTHER, titles, cause_order)
    by_severity = _stacked(window, quarters, lambda p: p.severity, severity_titles, taxonomy.slugs("severities"))

    by_cause_all: dict[str, list[Postmortem]] = {}
    for p in listed:
        by_cause_all.setdefault(p.cause, []).append(p)
    durations = tuple(
        duration_stats(entry.slug, entry.title, by_cause_all[entry.slug])
        for entry in taxonomy.causes
        if by_cause_all.get(entry.slug)
    )

    statuses = ("open", "in-progress", "done", "wont-do")
    status_titles = {"open": "Open", "in-progress": "In progress", "done": "Done", "wont-do": "Won't do"}
    action_counts = Counter(
        (quarter_of(p.date), item.status) for p in window for item in p.action_items if item.status in status_titles
    )
    actions_by_quarter = tuple(
        Count(q, s, status_titles[s], action_counts[(q, s)])
        for q in quarters
        for s in statuses
        if action_counts[(q, s)]
    )

    open_items = [(p, item) for p in listed for item in p.open_action_items]
    overdue = Counter(item.owner for _, item in open_items if item.is_overdue(today))
    overdue_by_owner = tuple(
        Count(owner, "overdue", "Overdue", n) for owner, n in sorted(overdue.items(), key=lambda kv: (-kv[1], kv[0]))
    )[:TOP_OWNERS]
    ages = Counter(
        (_bin((today - p.date).days, AGE_BINS), "overdue" if item.is_overdue(today) else "on-time")
        for p, item in open_items
    )
    open_ages = tuple(
        Count(label, series, title, ages[(label, series)])
        for label, _ in AGE_BINS
        for series, title in (("overdue", "Overdue"), ("on-time", "Not overdue"))
        if ages[(label, series)]
    )

    resolve_all = _seconds(p.timeline.time_to_resolve for p in listed)
    detect_all = _seconds(p.timeline.time_to_detect for p in listed)
    last_year = today - timedelta(days=365)
    overdue_total = sum(overdue.values())
    headlines = (
        Headline("postmortems", f"{len(listed):,}", "incidents/"),
        Headline("in the last 12 months", f"{sum(p.date > last_year for p in listed):,}", "incidents/"),
        Headline("median time to detect", format_seconds(percentile(detect_all, 50))),
        Headline("median time to resolve", format_seconds(percentile(resolve_all, 50))),
        Headline("open action items", f"{len(open_items):,}", "action-items/"),
        Headline("overdue", f"{overdue_total:,}", "action-items/", alert=overdue_total > 0),
    )
    return HomeInsights(
        headlines,
        quarters,
        earlier,
        by_cause,
        tuple(cause_order),
        by_severity,
        durations,
        actions_by_quarter,
        overdue_by_owner,
        open_ages,
    )


def format_seconds(seconds: float | None) -> str:
    """`4h 17m`, `2d 3h`, `45m`; an em dash for no value (the tables show it in empty cells)."""
    if seconds is None:
        return "—"
    return human_duration(timedelta(seconds=round(seconds)))


def totals(counts: Iterable[Count]) -> dict[str, int]:
    """Sum of counts by period, in first-seen order (for captions and tables)."""
    result: dict[str, int] = {}
    for count in counts:
        result[count.period] = result.get(count.period, 0) + count.count
    return result
