"""Charts as vl-convert draws them (pmkb.site.charts through the real chart engine): count axes tick whole numbers
only (issue 16)."""

from __future__ import annotations

import re

import pytest
from pmkb.site.charts import Chart, bars, binned, render_svgs, stacked_quarters
from pmkb.site.insights import AGE_BINS, DURATION_BINS, Count

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
    return render_svgs([chart for largest in LARGEST for chart in count_charts(largest)])


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
