"""The numbers behind the charts (pmkb.site.insights), on a small fixture knowledge base with known answers."""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta

import pytest
from pmkb.core.model import ActionItem, Impact, Postmortem, Timeline
from pmkb.core.taxonomy import load_taxonomy
from pmkb.site.charts import Chart, home_charts, themed, trend_charts
from pmkb.site.insights import (
    OTHER,
    home_insights,
    last_quarters,
    percentile,
    quarter_of,
    trend,
)

TODAY = date(2026, 11, 21)


def pm(
    pid: str,
    day: str,
    cause: str = "deployment",
    severity: str = "SEV2",
    detect_min: int = 10,
    resolve_min: int = 60,
    items: tuple[ActionItem, ...] = (),
) -> Postmortem:
    started = datetime.fromisoformat(f"{day}T10:00:00+00:00")
    return Postmortem(
        id=pid,
        src_uri=f"{day[:4]}/{pid}.md",
        path=f"postmortems/{day[:4]}/{pid}.md",
        title=f"Incident {pid}",
        date=date.fromisoformat(day),
        status="published",
        severity=severity,
        authors=("a",),
        services=("api",),
        cause=cause,
        impact=Impact("x"),
        timeline=Timeline(
            started, started + timedelta(minutes=detect_min), None, started + timedelta(minutes=resolve_min)
        ),
        action_items=items,
    )


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(None, None, "mkdocs.yml")[0]


def test_percentile_is_linear_between_ranks_and_the_50th_is_the_median():
    values = [5, 1, 3, 2, 4, 100]
    assert percentile(values, 50) == statistics.median(values) == 3.5
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == pytest.approx(9.1)
    assert percentile([7], 90) == 7 and percentile([], 50) is None


def test_quarters_are_consecutive_and_end_with_todays():
    assert quarter_of(date(2024, 3, 31)) == "2024 Q1" and quarter_of(date(2024, 4, 1)) == "2024 Q2"
    quarters = last_quarters(TODAY, 6)
    assert quarters == ("2025 Q3", "2025 Q4", "2026 Q1", "2026 Q2", "2026 Q3", "2026 Q4")


def test_charts_span_the_quarters_from_the_first_incident_at_most_twenty(taxonomy):
    young = [pm("a", "2026-07-01", "deployment"), pm("b", "2026-10-05", "capacity")]
    insights = home_insights(young, taxonomy, TODAY)
    assert insights.quarters == ("2026 Q3", "2026 Q4") and insights.earlier == 0
    by_key = {c.key: c for c in home_charts(insights, taxonomy.slugs("severities"))}
    assert "2 incidents from 2026 Q3 to 2026 Q4" in by_key["home-by-cause"].caption
    assert [row[0] for row in by_key["home-by-cause"].table.rows] == ["2026 Q3", "2026 Q4"]
    assert trend("d", "D", [pm("c", "2025-01-15")], TODAY).quarters[0] == "2025 Q1"
    assert len(trend("d", "D", [pm("c", "2025-01-15")], TODAY).quarters) == 8
    assert home_insights([], taxonomy, TODAY).quarters == ("2026 Q4",)
    old = home_insights([pm("d", "2001-01-01"), *young], taxonomy, TODAY)
    assert len(old.quarters) == 20 and old.quarters[-1] == "2026 Q4" and old.earlier == 1


def test_home_counts_per_quarter_by_cause_and_severity(taxonomy):
    listed = [
        pm("a", "2026-10-01", "deployment", "SEV1"),
        pm("b", "2026-10-05", "deployment", "SEV2"),
        pm("c", "2026-07-01", "capacity", "SEV2"),
        pm("d", "2015-01-01", "capacity", "SEV3"),  # before the window
    ]
    insights = home_insights(listed, taxonomy, TODAY)
    by_cause = {(c.period, c.series): c.count for c in insights.by_cause}
    assert by_cause == {("2026 Q4", "deployment"): 2, ("2026 Q3", "capacity"): 1}
    by_severity = {(c.period, c.series): c.count for c in insights.by_severity}
    assert by_severity == {("2026 Q4", "SEV1"): 1, ("2026 Q4", "SEV2"): 1, ("2026 Q3", "SEV2"): 1}
    assert insights.earlier == 1
    assert insights.cause_order == ("deployment", "capacity")  # taxonomy order


def test_beyond_the_top_causes_the_rest_are_other(taxonomy):
    causes = taxonomy.slugs("causes")[:9]
    listed = [pm(f"p{i}", "2026-10-01", cause) for i, cause in enumerate(causes)]
    insights = home_insights(listed, taxonomy, TODAY)
    assert insights.cause_order[-1] == OTHER and len(insights.cause_order) == 7
    assert sum(c.count for c in insights.by_cause) == 9


def test_duration_medians_and_p90_per_cause(taxonomy):
    listed = [pm(f"p{i}", "2026-01-01", "network", detect_min=i, resolve_min=60 * i) for i in range(1, 11)]
    listed.append(pm("other", "2026-01-01", "hardware", detect_min=5, resolve_min=30))
    stats = {s.slug: s for s in home_insights(listed, taxonomy, TODAY).durations}
    assert list(stats) == ["hardware", "network"]  # taxonomy order, causes with incidents only
    network = stats["network"]
    assert network.count == 10
    assert network.detect_median == 5.5 * 60 and network.detect_p90 == pytest.approx(9.1 * 60)
    assert network.resolve_median == 5.5 * 3600 and network.resolve_p90 == pytest.approx(9.1 * 3600)


def test_action_items_by_quarter_overdue_owners_and_ages(taxonomy):
    items = (
        ActionItem(0, "a", "sre", "open", due=date(2026, 1, 1)),  # overdue
        ActionItem(1, "b", "sre", "in-progress", due=date(2026, 2, 1)),  # overdue
        ActionItem(2, "c", "db", "open", due=date(2027, 1, 1)),
        ActionItem(3, "d", "db", "done"),
    )
    listed = [pm("x", "2026-10-10", items=items), pm("y", "2024-01-10", items=(ActionItem(0, "e", "db", "open"),))]
    insights = home_insights(listed, taxonomy, TODAY)
    assert {(c.period, c.series): c.count for c in insights.actions_by_quarter} == {
        ("2026 Q4", "open"): 2,
        ("2026 Q4", "in-progress"): 1,
        ("2026 Q4", "done"): 1,
        ("2024 Q1", "open"): 1,
    }
    assert [(c.period, c.count) for c in insights.overdue_by_owner] == [("sre", 2)]
    assert {(c.period, c.series): c.count for c in insights.open_ages} == {
        ("30-90d", "overdue"): 2,
        ("30-90d", "on-time"): 1,
        ("> 2y", "on-time"): 1,
    }
    headlines = {h.label: h.value for h in insights.headlines}
    assert headlines["open action items"] == "4" and headlines["overdue"] == "2"


def test_a_facet_values_trend_and_histograms():
    listed = [
        pm("a", "2026-10-01", detect_min=5, resolve_min=30),
        pm("b", "2026-04-01", detect_min=20, resolve_min=60 * 30),
        pm("c", "2010-01-01"),
    ]
    t = trend("deployment", "Deployment", listed, TODAY)
    assert dict(zip(t.quarters, t.counts, strict=True))["2026 Q4"] == 1 and sum(t.counts) == 2 and t.earlier == 1
    detect = {c.period: c.count for c in t.detect_bins}
    assert detect["< 15m"] == 2 and detect["15m-1h"] == 1
    resolve = {c.period: c.count for c in t.resolve_bins}
    assert resolve["15m-1h"] == 1 and resolve["1-4h"] == 1 and resolve["1-3d"] == 1
    assert t.stats.resolve_median == 3600


def test_chart_text_alternatives_carry_the_numbers(taxonomy):
    listed = [pm("a", "2026-10-01", "deployment", "SEV1"), pm("b", "2026-10-05", "capacity", "SEV2")]
    charts = home_charts(home_insights(listed, taxonomy, TODAY), taxonomy.slugs("severities"))
    by_key = {c.key: c for c in charts}
    cause = by_key["home-by-cause"]
    assert cause.table.header == ("Quarter", "Deployment", "Capacity", "Total")
    assert cause.table.rows == (("2026 Q4", "1", "1", "2"),)
    assert "2 incidents" in cause.caption
    assert "SEV1 1, SEV2 1" in by_key["home-by-severity"].caption
    trend_chart, durations = trend_charts("causes-deployment", "Deployment", trend("d", "D", listed, TODAY))
    assert "median 1h" in durations.caption


def test_themed_svg_follows_the_text_colour_names_the_chart_and_prefixes_ids():
    chart = Chart("k", 'Title <"&>', "Caption.", {}, None)  # type: ignore[arg-type]
    svg = (
        '<svg xmlns="x" class="marks" width="1"><text fill="#010101">a</text><line stroke="#030303"/>'
        '<clipPath id="clip1"/><g clip-path="url(#clip1)"/></svg>'
    )
    out = themed(svg, chart)
    assert 'fill="currentColor"' in out and 'stroke="currentColor" stroke-opacity="0.12"' in out
    assert 'role="img"' in out and 'aria-label="Title &lt;&quot;&amp;&gt;. Caption."' in out
    assert 'id="k-clip1"' in out and "url(#k-clip1)" in out
