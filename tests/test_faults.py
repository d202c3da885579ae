"""Faults that must never cost a build, a chart or an edit: a damaged or blocked cache, a killed process, two
writers at once, a full disk. Each test damages a real knowledge base the way a bad copy, a crash or an operator
would, then runs the real build or command line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from conftest import KB


def charted(kb: KB) -> KB:
    """A knowledge base whose home page and facet pages show charts."""
    for day in ("2024-05-02", "2024-08-14", "2025-01-20"):
        timeline = {"started": f"{day}T10:00:00Z", "detected": f"{day}T10:05:00Z", "resolved": f"{day}T12:00:00Z"}
        kb.add(f"{day}-incident", date=day, title=f"Incident of {day}", timeline=timeline)
    return kb


def home_svgs(site: Path) -> list[str]:
    html = (site / "index.html").read_text(encoding="utf-8")
    assert html.count("<svg") == html.count("</svg>"), "unbalanced SVG on the home page"
    return [part.split("</svg>")[0] for part in html.split("<svg ")[1:] if 'class="pmkb-svg"' in part.split(">")[0]]


def chart_cache(kb: KB) -> Path:
    return kb.root / ".cache" / "pmkb" / "charts"


def pmkb_notices(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "pmkb" in r.name and "chart" in r.getMessage()]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: b"\xff\xfe" + data[2:], id="not-utf-8"),
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data + data, id="two-svgs"),
    ],
)
def test_a_damaged_cached_chart_is_drawn_again(kb, caplog, damage):
    charted(kb)
    first = home_svgs(kb.build(strict=True))
    assert len(first) >= 3
    cached = sorted(chart_cache(kb).glob("*.svg"))
    for path in cached:
        path.write_bytes(damage(path.read_bytes()))
    caplog.clear()
    with caplog.at_level(logging.INFO):
        again = home_svgs(kb.build(strict=True))
    assert again == first
    notices = pmkb_notices(caplog)
    assert len(notices) == 1 and "damaged" in notices[0], notices
    for path in cached:  # healed: the next build reads them
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<svg ") and text.endswith("</svg>")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert home_svgs(kb.build(strict=True)) == first
    assert pmkb_notices(caplog) == []


@pytest.mark.parametrize("blocked", [".cache", ".cache/pmkb", ".cache/pmkb/charts"])
def test_a_chart_cache_that_cannot_be_written_costs_the_cache_never_the_charts(kb, caplog, blocked):
    charted(kb)
    expected = home_svgs(kb.build(site_dir=kb.root / "reference"))
    import shutil

    shutil.rmtree(kb.root / ".cache")
    target = kb.root / blocked
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("not a folder\n")
    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert home_svgs(kb.build(strict=True)) == expected
        notices = pmkb_notices(caplog)
        assert len(notices) == 1 and "not cached" in notices[0], notices
    assert target.read_text() == "not a folder\n"  # an operator's file is never removed
