"""Charts as vl-convert draws them (pmkb.site.charts through the real chart engine): count axes tick whole numbers
only, and no chart is drawn wider than a phone's content column, so none is scaled down there."""

from __future__ import annotations

import re
from datetime import date

import pytest
from pmkb.core.model import ActionItem
from pmkb.core.taxonomy import load_taxonomy
from pmkb.runtime.chart_jobs import render_svgs
from pmkb.site.charts import Chart, bars, binned, drawings, home_charts, stacked_quarters, trend_charts
from pmkb.site.insights import AGE_BINS, DURATION_BINS, Count, home_insights, trend
from test_insights import TODAY, pm

# The content column of a 400 px wide window under Material (tests/browser/test_design.py measures it).
PHONE_COLUMN = 368
LINEAR_AXIS = re.compile(
    r"aria-label=\"[XY]-axis titled '(?P<title>[^']*)' for a linear scale[^\"]*\">"
    r".*?<g class=\"mark-text role-axis-label\"[^>]*>(?P<labels>.*?)</g>",
    re.S,
)


def axis_labels(svg: str) -> dict[str, list[str]]:
    """The tick labels of each linear axis of a drawn chart, by the axis' title."""
    return {m["title"]: re.findall(r">([^<]*)</text>", m["labels"]) for m in LINEAR_AXIS.finditer(svg)}


def count_charts(largest: int) -> list[Chart]:
    """One chart of each kind with a count axis, its longest bar (or stack) `largest` long."""
    half = largest // 2
    two = {"a": "#4e79a7", "b": "#f28e2b"}
    stacked = [
        Count("2026 Q3", "a", "A", largest - half),
        Count("2026 Q3", "b", "B", half),
        Count("2026 Q4", "a", "A", 1),
    ]
    durations = [label for label, _ in DURATION_BINS]
    ages = [label for label, _ in AGE_BINS]
    return [
        stacked_quarters(
            f"q{largest}", "Per quarter", [c for c in stacked if c.count], ["2026 Q3", "2026 Q4"], two, "S", "."
        ),
        bars(
            f"o{largest}",
            "By owner",
            [Count("team-a", "x", "x", largest), Count("b", "x", "x", 1)],
            "Items",
            ".",
            "#e15759",
        ),
        binned(
            f"d{largest}",
            "Durations, side by side",
            [Count(durations[1], "detect", "Detect", largest), Count(durations[2], "resolve", "Resolve", 1)],
            durations,
            {"detect": "#4e79a7", "resolve": "#f28e2b"},
            "Duration",
            ".",
        ),
        binned(
            f"a{largest}",
            "Ages, stacked",
            [Count(ages[-1], "overdue", "Overdue", largest - half), Count(ages[-1], "on-time", "On time", half)],
            ages,
            {"overdue": "#e15759", "on-time": "#4e79a7"},
            "Days",
            ".",
        ),
    ]


LARGEST = (1, 2, 3, 4, 5, 7, 13, 50, 1234)


@pytest.fixture(scope="module")
def drawn_counts() -> dict[str, str]:
    return render_svgs(drawings(chart for largest in LARGEST for chart in count_charts(largest)))


@pytest.mark.parametrize("largest", LARGEST)
def test_count_axes_tick_whole_numbers_only(drawn_counts, largest):
    for chart in count_charts(largest):
        labels = axis_labels(drawn_counts[chart.key])
        assert len(labels) == 1, f"{chart.title}: one count axis, found {labels}"
        (ticks,) = labels.values()
        numbers = [int(label.replace(",", "")) for label in ticks]  # fails on "0.5" and on "1.0"
        assert numbers == sorted(set(numbers)) and numbers[0] == 0, f"{chart.title}, largest {largest}: {ticks}"
        assert numbers[-1] <= largest < numbers[-1] + max(numbers[1] - numbers[0], 1) * 2
        if largest <= 2:
            assert numbers == list(range(largest + 1))  # a tick on each whole number: 0 1, or 0 1 2


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(None, None, "mkdocs.yml")[0]


def test_no_chart_is_drawn_wider_than_a_phones_column(taxonomy):
    """The home page's charts, with long names on their axes, and a facet page's: each SVG (a chart in panels: each
    panel) fits a 400 px window's content column at its own size, text at its drawn 11 px."""
    overdue = date(2026, 1, 1)
    listed = [
        pm(
            f"p{i}",
            f"2026-{1 + i % 10:02d}-{1 + i:02d}",
            cause,
            severity,
            detect_min=5 + 30 * i,
            resolve_min=90 + 400 * i,
            items=(ActionItem(0, "Fix it", f"a-very-long-team-name-for-the-platform-group-{i}", "open", due=overdue),),
        )
        for i, (cause, severity) in enumerate(
            [("manual-operation", "SEV1"), ("config-change", "SEV2"), ("monitoring-gap", "SEV3"), ("capacity", "SEV4")]
        )
    ]
    charts = [
        *home_charts(home_insights(listed, taxonomy, TODAY), taxonomy.slugs("severities")),
        *trend_charts("causes-capacity", "Capacity", trend("capacity", "Capacity", listed[3:], TODAY)),
    ]
    durations = next(c for c in charts if c.key == "home-durations")
    assert len(durations.panels) == 2  # detect and resolve: side by side where they fit, else one under the other
    svgs = render_svgs(drawings(charts))
    drawn = [panel for chart in charts for panel in chart.drawn()]
    assert set(svgs) == {panel.key for panel in drawn}
    for panel in drawn:
        width = float(re.search(r'<svg [^>]*width="([\d.]+)"', svgs[panel.key])[1])
        assert 200 < width <= PHONE_COLUMN, f"{panel.key} is drawn {width} px wide"


def test_each_count_axis_names_what_it_counts(taxonomy):
    """The action items chart counts action items, not incidents (its axis said "Incidents")."""
    listed = [
        pm("p1", "2026-03-02", "capacity", "SEV2", items=(ActionItem(0, "Fix it", "team-a", "open"),)),
        pm("p2", "2026-05-02", "deployment", "SEV3", items=(ActionItem(0, "Fix it", "team-b", "done"),)),
    ]
    charts = {c.key: c for c in home_charts(home_insights(listed, taxonomy, TODAY), taxonomy.slugs("severities"))}
    assert charts["home-actions"].spec["encoding"]["y"]["title"] == "Action items"
    assert charts["home-by-cause"].spec["encoding"]["y"]["title"] == "Incidents"
