"""Charts: Vega-Lite specs of the insights, and how their SVG is themed for inlining.

`Chart` values (a spec, a caption and a data table) are plain data built with the pages; nothing here imports a
chart library. `drawings` hands them to pmkb.runtime.chart_jobs, which draws them into static SVG (Vega-Lite
through vl-convert, in a process of its own: no script runs in the browser and nothing comes from a CDN), caches
them, and knows the switch that turns charts off.

Light and dark: the specs colour axes, labels and grid lines with sentinel colours that `themed` rewrites to
`currentColor`, so an inline chart takes the text colour of Material's palette (default or slate) from CSS. Data
colours are mid-tones that read on both backgrounds; severities use the same colours as the severity chips.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial

from pmkb.runtime.chart_jobs import Drawing
from pmkb.site.insights import (
    AGE_BINS,
    DURATION_BINS,
    OTHER,
    Count,
    DurationStats,
    HomeInsights,
    Trend,
    format_seconds,
    totals,
)

CACHE_FORMAT = "1"  # bump when `themed` or the spec defaults change: cached SVGs are then rendered again

# Sentinels: no chart uses these colours for data, so `themed` can find them.
TEXT, DOMAIN, GRID = "#010101", "#020202", "#030303"
FONT = "Roboto, -apple-system, BlinkMacSystemFont, Helvetica, Arial, sans-serif"

# Tableau 10, reordered: mid-tones with at least 3:1 contrast on white and on Material's slate background.
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#76b7b2", "#9c755f", "#bab0ac")
OTHER_COLOUR = "#8c8c8c"
# The severity chips' colours (pmkb.css), most severe first; a longer taxonomy reuses the last.
SEVERITY_COLOURS = ("#b71c1c", "#bf360c", "#f9a825", "#00796b")
STATUS_COLOURS = {"open": "#e15759", "in-progress": "#f28e2b", "done": "#59a14f", "wont-do": "#8c8c8c"}
OVERDUE_COLOURS = {"overdue": "#e15759", "on-time": "#4e79a7"}
WIDTH, HEIGHT = 300, 150
# A chart drawn at most about 360 px wide is not scaled down in the content column of a 400 px wide phone.
PANEL_WIDTH, PANEL_LABELS = 200, 120  # a panel's plot, and the most its labels on the left may take
BARS_WIDTH = 200  # overdue items by owner: owners' names on the left take up to PANEL_LABELS


@dataclass(frozen=True, slots=True)
class Table:
    """A chart's data as a table: its text alternative."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Chart:
    key: str  # unique in a build; also the prefix of the SVG's ids
    title: str
    caption: str  # the key numbers, in words
    spec: Mapping  # Vega-Lite
    table: Table
    wide: bool = False  # spans the whole content width on large screens
    # Drawn instead of `spec`, one SVG each, side by side where they fit and else one under the other; the
    # figure has one caption and one table for all of them.
    panels: tuple[Chart, ...] = ()

    def drawn(self) -> tuple[Chart, ...]:
        """What is drawn for this figure: its panels, or itself."""
        return self.panels or (self,)


# -- specs -----------------------------------------------------------------------------------------------------


def _base(description: str, values: list[dict], **spec) -> dict:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": description,
        "background": None,
        "width": WIDTH,
        "height": HEIGHT,
        "data": {"values": values},
        "config": {
            "font": FONT,
            "view": {"stroke": None},
            "axis": {
                "labelColor": TEXT,
                "titleColor": TEXT,
                "domainColor": DOMAIN,
                "tickColor": DOMAIN,
                "gridColor": GRID,
                "labelFontSize": 11,
                "titleFontSize": 11,
                "titleFontWeight": "normal",
            },
            "legend": {"labelColor": TEXT, "titleColor": TEXT, "labelFontSize": 11, "titleFontSize": 11},
            "title": {"color": TEXT},
        },
        **spec,
    }


def _colour_scale(order: Sequence[str], colours: Mapping[str, str]) -> dict:
    return {"domain": list(order), "range": [colours[s] for s in order]}


SMALL_COUNT = 4  # up to this largest count, the count axis lists its ticks: 0, 1, ... the largest


def _count_axis(title: str, largest: int) -> dict:
    """A count of incidents or items, whose longest bar (or stack) is `largest`: whole-number ticks only.

    `tickMinStep: 1` alone is not enough: Vega lowers the tick count to span/step + 1, and over a domain of
    [0, 1] or [0, 2] two or three ticks still fall on halves (0, 0.5, 1); a `format` of "d" alone would only
    round those labels into duplicates (0, 1, 1). So small counts get their ticks listed, with "d" as their
    format (Vega picks the labels' precision from the step it would have used: 0.0, 1.0); from 3 up,
    tickMinStep is enough (the tick step is then at least 1, and 1, 2 or 5 times a power of ten)."""
    axis: dict = {"tickMinStep": 1}
    if largest <= SMALL_COUNT:
        axis.update(values=list(range(max(largest, 1) + 1)), format="d")
    return {"field": "count", "type": "quantitative", "title": title, "axis": axis}


def _largest(counts: Iterable[Count], *, stacked: bool = True) -> int:
    """The longest bar: the largest sum per period when the series are stacked, else the largest count."""
    if not stacked:
        return max((c.count for c in counts), default=0)
    sums: dict[str, int] = {}
    for c in counts:
        sums[c.period] = sums.get(c.period, 0) + c.count
    return max(sums.values(), default=0)


def _series_colour(title: str | None, domain: Sequence[str], colours: Sequence[str], **legend) -> dict:
    """Stacked series coloured in a fixed order, their legend under the chart."""
    return {
        "field": "series",
        "type": "nominal",
        "title": title,
        "scale": {"domain": list(domain), "range": list(colours)},
        "legend": {"orient": "bottom", **legend, "symbolType": "square"},
    }


def _quarter_axis(quarters: Sequence[str]) -> dict:
    # Label every fourth quarter only (Q1s): twenty labels do not fit 300 px.
    return {
        "field": "period",
        "type": "ordinal",
        "sort": list(quarters),
        "scale": {"domain": list(quarters)},
        "title": None,
        "axis": {"labelExpr": "indexof(datum.label, 'Q1') > 0 ? slice(datum.label, 0, 4) : ''", "labelAngle": 0},
    }


def stacked_quarters(
    key: str,
    title: str,
    counts: Sequence[Count],
    quarters: Sequence[str],
    colours: Mapping[str, str],
    legend: str,
    caption: str,
    wide: bool = False,
    counted: str = "Incidents",
) -> Chart:
    # Series in the order of `colours` (taxonomy order, "other" last), not in the order they first appear.
    present = {c.series for c in counts}
    order = [s for s in colours if s in present]
    titles = {c.series: c.title for c in counts}
    order_titles = [titles[s] for s in order]
    values = [{"period": c.period, "series": c.title, "count": c.count, "rank": order.index(c.series)} for c in counts]
    spec = _base(
        f"{title}. {caption}",
        values,
        width=WIDTH * 2 if wide else WIDTH,
        mark={"type": "bar", "tooltip": False},
        encoding={
            "x": _quarter_axis(quarters),
            "y": _count_axis(counted, _largest(counts)),
            "color": _series_colour(legend, order_titles, [colours[s] for s in order], columns=3),
            "order": {"field": "rank"},
        },
    )
    by_period: dict[str, dict[str, int]] = {}
    for c in counts:
        by_period.setdefault(c.period, {})[c.series] = c.count
    rows = tuple(
        (q, *(str(by_period.get(q, {}).get(s, 0)) for s in order), str(sum(by_period.get(q, {}).values())))
        for q in quarters
        if q in by_period
    )
    return Chart(key, title, caption, spec, Table(("Quarter", *order_titles, "Total"), rows), wide)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def duration_chart(key: str, stats: Sequence[DurationStats]) -> Chart:
    """Time to detect and to resolve per cause: a bar to the median and a tick at the 90th percentile.

    Two panels, each a chart of its own no wider than a phone's column: side by side where the page is wide
    enough, one under the other where it is not. One chart with both would be drawn for a desktop's width and
    scaled down to half on a phone, its text with it."""
    order = [s.title for s in stats]
    y = {"field": "cause", "type": "nominal", "sort": order, "title": None, "axis": {"labelLimit": PANEL_LABELS}}
    slowest = max(stats, key=lambda s: s.resolve_median or 0, default=None)
    caption = (
        f"Median (bar) and 90th percentile (tick) per primary cause, in hours. Slowest to resolve: {slowest.title}, "
        f"median {format_seconds(slowest.resolve_median)}, 90th percentile {format_seconds(slowest.resolve_p90)}."
        if slowest is not None and slowest.resolve_median is not None
        else "No incident has a complete timeline yet."
    )

    def panel(measure: str, slug: str, colour: str, pick: Callable[[DurationStats], tuple]) -> Chart:
        values = []
        for s in stats:
            median, p90 = pick(s)
            if median is not None:
                values.append({"cause": s.title, "median": _hours(median), "p90": _hours(p90)})
        spec = _base(
            f"{measure} per cause. Median (bar) and 90th percentile (tick), in hours.",
            values,
            width=PANEL_WIDTH,
            height={"step": 16},
            title={"text": measure, "fontSize": 12, "fontWeight": "normal", "anchor": "start"},
            layer=[
                {
                    "mark": {"type": "bar", "color": colour, "height": 10},
                    "encoding": {"y": y, "x": {"field": "median", "type": "quantitative", "title": "hours"}},
                },
                {
                    "mark": {"type": "tick", "color": TEXT, "thickness": 2, "size": 14},
                    "encoding": {"y": y, "x": {"field": "p90", "type": "quantitative"}},
                },
            ],
        )
        return Chart(
            f"{key}-{slug}",
            f"{measure}, by cause",
            "Median (bar) and 90th percentile (tick) per primary cause, in hours.",
            spec,
            Table((), ()),
        )

    panels = (
        panel("Time to detect", "detect", PALETTE[0], lambda s: (s.detect_median, s.detect_p90)),
        panel("Time to resolve", "resolve", PALETTE[1], lambda s: (s.resolve_median, s.resolve_p90)),
    )
    rows = tuple(
        (
            s.title,
            str(s.count),
            format_seconds(s.detect_median),
            format_seconds(s.detect_p90),
            format_seconds(s.resolve_median),
            format_seconds(s.resolve_p90),
        )
        for s in stats
    )
    header = ("Cause", "Incidents", "Detect: median", "Detect: p90", "Resolve: median", "Resolve: p90")
    title = "Time to detect and to resolve, by cause"
    return Chart(key, title, caption, {}, Table(header, rows), wide=True, panels=panels)


def bars(key: str, title: str, counts: Sequence[Count], label: str, caption: str, colour: str) -> Chart:
    """Horizontal bars, one per period (owners), biggest first."""
    values = [{"period": c.period, "count": c.count} for c in counts]
    spec = _base(
        f"{title}. {caption}",
        values,
        width=BARS_WIDTH,
        height={"step": 18},
        mark={"type": "bar", "color": colour, "height": 12},
        encoding={
            "y": {
                "field": "period",
                "type": "nominal",
                "sort": [c.period for c in counts],
                "title": None,
                "axis": {"labelLimit": PANEL_LABELS},
            },
            "x": _count_axis(label, _largest(counts, stacked=False)),
        },
    )
    return Chart(key, title, caption, spec, Table(("Owner", label), tuple((c.period, str(c.count)) for c in counts)))


def binned(
    key: str,
    title: str,
    counts: Sequence[Count],
    bins: Sequence[str],
    colours: Mapping[str, str],
    x_title: str,
    caption: str,
) -> Chart:
    """Counts per bin (durations, ages), side by side or stacked by series."""
    order = list(dict.fromkeys(c.series for c in counts))
    titles = [next(c.title for c in counts if c.series == s) for s in order]
    values = [{"bin": c.period, "series": c.title, "count": c.count, "rank": order.index(c.series)} for c in counts]
    side_by_side = len(order) > 1 and "detect" in order  # durations: detect and resolve side by side
    spec = _base(
        f"{title}. {caption}",
        values,
        mark={"type": "bar", "tooltip": False},
        encoding={
            "x": {
                "field": "bin",
                "type": "ordinal",
                "sort": list(bins),
                "scale": {"domain": list(bins)},
                "title": x_title,
                "axis": {"labelAngle": 0},
            },
            "y": _count_axis("Count", _largest(counts, stacked=not side_by_side)),
            "color": _series_colour(None, titles, [colours[s] for s in order]),
            "order": {"field": "rank"},
        },
    )
    if side_by_side:
        spec["encoding"]["xOffset"] = {"field": "series", "sort": titles}
    by_bin: dict[str, dict[str, int]] = {}
    for c in counts:
        by_bin.setdefault(c.period, {})[c.series] = c.count
    rows = tuple((b, *(str(by_bin.get(b, {}).get(s, 0)) for s in order)) for b in bins)
    return Chart(key, title, caption, spec, Table((x_title, *titles), rows))


def _severity_colours(slugs: Sequence[str]) -> dict[str, str]:
    return {slug: SEVERITY_COLOURS[min(i, len(SEVERITY_COLOURS) - 1)] for i, slug in enumerate(slugs)}


def _window(quarters: Sequence[str], earlier: int) -> str:
    text = f"{quarters[0]} to {quarters[-1]}"
    return text + (f" ({earlier:,} earlier incident{'s' * (earlier != 1)} not shown)" if earlier else "")


def home_charts(insights: HomeInsights, severity_slugs: Sequence[str]) -> tuple[Chart, ...]:
    q = insights.quarters
    per_quarter = totals(insights.by_cause)
    busiest = max(per_quarter.items(), key=lambda kv: kv[1], default=None)
    busiest_text = f" Busiest quarter: {busiest[0]} ({busiest[1]})." if busiest else ""
    named = [s for s in insights.cause_order if s != OTHER]
    cause_colours = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(named)}
    cause_colours[OTHER] = OTHER_COLOUR
    cause_totals: dict[str, int] = {}
    for c in insights.by_cause:
        if c.series != OTHER:
            cause_totals[c.title] = cause_totals.get(c.title, 0) + c.count
    top = max(cause_totals.items(), key=lambda kv: kv[1], default=None)
    top_text = f" Most frequent cause: {top[0]} ({top[1]})." if top else ""
    charts = [
        stacked_quarters(
            "home-by-cause",
            "Incidents per quarter, by primary cause",
            insights.by_cause,
            q,
            cause_colours,
            "Cause",
            f"{sum(per_quarter.values()):,} incidents from {_window(q, insights.earlier)}.{busiest_text}{top_text}",
        ),
        stacked_quarters(
            "home-by-severity",
            "Incidents per quarter, by severity",
            insights.by_severity,
            q,
            _severity_colours(severity_slugs),
            "Severity",
            "Counts per severity: "
            + ", ".join(f"{s} {n}" for s, n in _series_totals(insights.by_severity).items())
            + ".",
        ),
        duration_chart("home-durations", insights.durations),
    ]
    status_totals = _series_totals(insights.actions_by_quarter)
    charts.append(
        stacked_quarters(
            "home-actions",
            "Action items per quarter of their incident, by status today",
            insights.actions_by_quarter,
            q,
            {s: STATUS_COLOURS[s] for s in STATUS_COLOURS},
            "Status",
            "Items are counted in their incident's quarter (no closing date is recorded): "
            + ", ".join(f"{n:,} {s.lower()}" for s, n in status_totals.items())
            + ".",
            counted="Action items",
        )
    )
    if insights.overdue_by_owner:
        worst = insights.overdue_by_owner[0]
        charts.append(
            bars(
                "home-overdue",
                "Overdue action items by owner",
                insights.overdue_by_owner,
                "Overdue items",
                (
                    f"The {len(insights.overdue_by_owner)} owners with the most overdue items; most: {worst.period} "
                    if len(insights.overdue_by_owner) > 1
                    else "One owner has overdue items: "
                )
                + f"{worst.period} ({worst.count}).",
                SEVERITY_COLOURS[0],
            )
        )
    if insights.open_ages:
        old = sum(c.count for c in insights.open_ages if c.period in ("1-2y", "> 2y"))
        charts.append(
            binned(
                "home-ages",
                "Age of open action items",
                insights.open_ages,
                [label for label, _ in AGE_BINS],
                OVERDUE_COLOURS,
                "Days since the incident",
                f"{sum(c.count for c in insights.open_ages):,} open items, {old:,} of them opened more than a year "
                "ago.",
            )
        )
    return _with_data(charts)


def _with_data(charts: Iterable[Chart]) -> tuple[Chart, ...]:
    """Charts with something to draw: Vega-Lite fails on an empty colour domain, and an empty chart says nothing
    a caption cannot (incidents older than the window, a knowledge base without timelines). Of a chart in
    panels, the panels without data go."""
    kept = []
    for chart in charts:
        if chart.panels:
            panels = tuple(panel for panel in chart.panels if _values(panel.spec))
            if panels:
                kept.append(replace(chart, panels=panels))
        elif _values(chart.spec):
            kept.append(chart)
    return tuple(kept)


def _values(spec: Mapping) -> list:
    data = spec.get("data") or {}
    return [v for v in data.get("values", ()) if v.get("count", 1) and v.get("median", 1) is not None]


def _series_totals(counts: Iterable[Count]) -> dict[str, int]:
    result: dict[str, int] = {}
    for c in counts:
        result[c.title] = result.get(c.title, 0) + c.count
    return result


def trend_charts(key: str, name: str, trend: Trend) -> tuple[Chart, ...]:
    """A facet value's page: incidents per quarter, and its durations as histograms."""
    counts = [
        Count(quarter, "incidents", "Incidents", n)
        for quarter, n in zip(trend.quarters, trend.counts, strict=True)
        if n
    ]
    s = trend.stats
    in_window = sum(trend.counts)
    quarters = trend.quarters
    trend_chart = stacked_quarters(
        f"{key}-trend",
        f"Incidents per quarter: {name}",
        counts,
        quarters,
        {"incidents": PALETTE[0]},
        "",
        f"{in_window:,} incident{'s' * (in_window != 1)} from {_window(quarters, trend.earlier)}.",
    )
    # One series: no legend.
    trend_chart.spec["encoding"]["color"]["legend"] = None
    durations = binned(
        f"{key}-durations",
        f"Time to detect and to resolve: {name}",
        [*trend.detect_bins, *trend.resolve_bins],
        [label for label, _ in DURATION_BINS],
        {"detect": PALETTE[0], "resolve": PALETTE[1]},
        "Duration",
        f"Time to detect: median {format_seconds(s.detect_median)}, 90th percentile {format_seconds(s.detect_p90)}. "
        f"Time to resolve: median {format_seconds(s.resolve_median)}, 90th percentile "
        f"{format_seconds(s.resolve_p90)} ({s.count:,} incident{'s' * (s.count != 1)} with a resolution time).",
    )
    return _with_data((trend_chart, durations))


# -- theming and drawing ---------------------------------------------------------------------------------------

_SENTINELS = (
    (re.compile(rf'(fill|stroke)="{TEXT}"'), r'\1="currentColor"'),
    (re.compile(rf'stroke="{DOMAIN}"'), 'stroke="currentColor" stroke-opacity="0.45"'),
    (re.compile(rf'stroke="{GRID}"'), 'stroke="currentColor" stroke-opacity="0.12"'),
)
_ROOT = re.compile(r"^<svg ([^>]*)>")


def themed(svg: str, chart: Chart) -> str:
    """vl-convert's SVG, ready to inline: sentinel colours follow the page's text colour, the root is an image
    named by the chart's title and caption (the marks' own labels repeat what the table beside it says), and ids
    are prefixed so that several charts can share a page."""
    for pattern, replacement in _SENTINELS:
        svg = pattern.sub(replacement, svg)
    svg = svg.replace('id="', f'id="{chart.key}-').replace("url(#", f"url(#{chart.key}-")
    label = _attribute(f"{chart.title}. {chart.caption}")

    def root(match: re.Match) -> str:
        attributes = match.group(1).replace(' class="marks"', "")
        return f'<svg {attributes} class="pmkb-svg" role="img" aria-label="{label}" focusable="false">'

    return _ROOT.sub(root, svg, count=1)


def _attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def drawings(charts: Iterable[Chart]) -> list[Drawing]:
    """What to draw for `charts`: one drawing per chart, or per panel of a chart in panels, themed when drawn."""
    return [
        Drawing(
            chart.key, chart.spec, (CACHE_FORMAT, chart.key, chart.title, chart.caption), partial(themed, chart=chart)
        )
        for figure in charts
        for chart in figure.drawn()
    ]
