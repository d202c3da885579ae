"""Drawing charts: runs of the chart engine while a build goes on, their disk cache, and the switch that turns
charts off.

What a chart shows is the site layer's (pmkb.site.charts); here a chart is a `Drawing`: a Vega-Lite spec, the key
its SVG is returned by, and how the engine's SVG is finished for inlining. `ChartJob`, which the plugin starts
before MkDocs converts the Markdown and waits for at the first page that shows a chart, hands the drawings not
cached yet to a process of their own (pmkb.runtime.chart_engine) on the second core. SVGs are cached on disk by a
hash of everything they depend on. Charts can be switched off (`charts: false` in the plugin's options, or
`PMKB_CHARTS=0`): pages then show each chart's caption and table alone.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pmkb.runtime.chart_engine import EngineRun

ENV_SWITCH = "PMKB_CHARTS"


def charts_enabled(option: bool = True) -> bool:
    return option and os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def _engine_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vl-convert-python")
    except PackageNotFoundError:
        return "unknown"


# Part of every cache key: another vl-convert may draw differently. Read when this module is imported, not during
# a build: importlib.metadata leaves garbage in reference cycles, which on_files' frozen collector would keep.
ENGINE_VERSION = _engine_version()


@dataclass(frozen=True, slots=True)
class Drawing:
    """One SVG to draw from `spec` (Vega-Lite), returned under `key`."""

    key: str
    spec: Mapping
    identity: tuple[str, ...]  # everything besides the spec that the finished SVG depends on
    finish: Callable[[str], str]  # the engine's SVG -> the SVG to inline


def cache_name(drawing: Drawing) -> str:
    payload = json.dumps([ENGINE_VERSION, list(drawing.identity), drawing.spec], sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32] + ".svg"


class ChartJob:
    """Inline SVGs of `drawings`, by key: read from `cache_dir` where drawn before, the rest drawn by a chart
    engine process started here while the build goes on. `result()` waits for it, finishes the new SVGs and
    stores them. Files of drawings no longer made are left for `prune`.
    """

    def __init__(self, drawings: Iterable[Drawing], cache_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir
        self.svgs: dict[str, str] = {}
        self.names: set[str] = set()  # cache file names of these drawings
        self.missing: list[tuple[Drawing, Path | None]] = []
        for drawing in drawings:
            name = cache_name(drawing)
            self.names.add(name)
            cached = cache_dir / name if cache_dir is not None else None
            try:
                self.svgs[drawing.key] = cached.read_text(encoding="utf-8")  # type: ignore[union-attr]
            except (OSError, AttributeError):
                self.missing.append((drawing, cached))
        self._run: EngineRun | None = None
        if self.missing:
            self._run = EngineRun([dict(drawing.spec) for drawing, _ in self.missing])

    def result(self) -> dict[str, str]:
        if self._run is not None:
            run, self._run = self._run, None
            for (drawing, cached), svg in zip(self.missing, run.svgs(), strict=True):
                if svg is None:
                    continue  # not drawable: the page shows the chart's table
                self.svgs[drawing.key] = drawing.finish(svg)
                if cached is not None:
                    _store(cached, self.svgs[drawing.key])
        return self.svgs

    def stop(self) -> None:
        if self._run is not None:
            self._run.stop()
            self._run = None


def prune(cache_dir: Path, keep: set[str]) -> None:
    """Remove cached SVGs of charts no build draws any more, so the cache holds one build's charts."""
    if not cache_dir.is_dir():
        return
    for path in cache_dir.glob("*.svg"):
        if path.name not in keep:
            try:
                path.unlink()
            except OSError:
                pass


def render_svgs(drawings: Iterable[Drawing], cache_dir: Path | None = None) -> dict[str, str]:
    """Key -> inline SVG, now (a `ChartJob` waited for at once), pruning the cache to these drawings."""
    job = ChartJob(drawings, cache_dir)
    result = job.result()
    if cache_dir is not None:
        prune(cache_dir, job.names)
    return result


def _store(path: Path, svg: str) -> None:
    """Write atomically (a concurrent build never reads half a file); a read-only project just goes uncached."""
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(svg, encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
