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
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pmkb.runtime.chart_engine import EngineRun

ENV_SWITCH = "PMKB_CHARTS"
STALE_SECONDS = 3600  # a temporary file this old is a killed build's


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


class ChartCache:
    """Finished SVGs on disk, one file per drawing, named by `cache_name`.

    The cache only ever saves time: a file that is not what this module writes (not UTF-8, cut short, not one
    SVG) is drawn again and replaced, and a folder that cannot be written (a file in its place, a read-only
    project, a full disk) leaves the charts drawn on every build. Either is said once, in `notice`.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.damaged = 0
        self.unwritable: str | None = None  # why nothing can be stored, once known

    def read(self, name: str) -> str | None:
        try:
            data = (self.folder / name).read_bytes()
        except OSError:
            return None
        svg = inline_svg(data)
        if svg is None:
            self.damaged += 1
        return svg

    def store(self, name: str, svg: str) -> None:
        """Write atomically (a concurrent build never reads half a file)."""
        if self.unwritable is not None:
            return
        path = self.folder / name
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary.write_text(svg, encoding="utf-8")
            os.replace(temporary, path)
        except OSError as error:
            self.unwritable = error.strerror or type(error).__name__
            try:
                temporary.unlink(missing_ok=True)
            except OSError:
                pass  # the folder is not there to hold it

    def prune(self, keep: set[str]) -> None:
        """Remove cached SVGs no build draws any more, so the cache holds one build's charts, and temporary files
        of builds killed while storing (an hour old: a concurrent build's are seconds old)."""
        if not self.folder.is_dir():
            return
        stale = time.time() - STALE_SECONDS
        for path in self.folder.iterdir():
            try:
                if (path.suffix == ".svg" and path.name not in keep) or (
                    path.suffix == ".tmp" and path.stat().st_mtime < stale
                ):
                    path.unlink()
            except OSError:
                pass

    @property
    def notice(self) -> str | None:
        """One line about this build's use of the cache, if anything went wrong with it."""
        if self.unwritable is not None:
            return f"charts not cached: {self.folder} cannot be written ({self.unwritable}); they are drawn every build"
        if self.damaged:
            return f"{self.damaged} damaged chart{'s' * (self.damaged != 1)} in {self.folder} drawn again"
        return None


def inline_svg(data: bytes) -> str | None:
    """`data` as an SVG to inline, or None unless it is UTF-8 text holding exactly one whole `<svg …>…</svg>`
    element (what the chart engine writes; a truncated or corrupted copy is not)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.startswith("<svg ") and text.endswith("</svg>") and text.count("<svg") == 1 and text.count("</svg>") == 1:
        return text
    return None


class ChartJob:
    """Inline SVGs of `drawings`, by key: read from `cache` where drawn before, the rest drawn by a chart engine
    process started here while the build goes on. `result()` waits for it, finishes the new SVGs and stores them.
    Files of drawings no longer made are left for `ChartCache.prune`.
    """

    def __init__(self, drawings: Iterable[Drawing], cache: ChartCache | None = None) -> None:
        self.cache = cache
        self.svgs: dict[str, str] = {}
        self.names: set[str] = set()  # cache file names of these drawings
        self.missing: list[tuple[Drawing, str]] = []
        for drawing in drawings:
            name = cache_name(drawing)
            self.names.add(name)
            svg = cache.read(name) if cache is not None else None
            if svg is None:
                self.missing.append((drawing, name))
            else:
                self.svgs[drawing.key] = svg
        self._run: EngineRun | None = None
        if self.missing:
            self._run = EngineRun([dict(drawing.spec) for drawing, _ in self.missing])

    def result(self) -> dict[str, str]:
        if self._run is not None:
            run, self._run = self._run, None
            for (drawing, name), drawn in zip(self.missing, run.svgs(), strict=True):
                svg = inline_svg(drawing.finish(drawn).encode("utf-8")) if drawn is not None else None
                if svg is None:
                    continue  # not drawable: the page shows the chart's table
                self.svgs[drawing.key] = svg
                if self.cache is not None:
                    self.cache.store(name, svg)
        return self.svgs

    def stop(self) -> None:
        if self._run is not None:
            self._run.stop()
            self._run = None


def render_svgs(drawings: Iterable[Drawing], cache_dir: Path | None = None) -> dict[str, str]:
    """Key -> inline SVG, now (a `ChartJob` waited for at once), pruning the cache to these drawings."""
    cache = ChartCache(cache_dir) if cache_dir is not None else None
    job = ChartJob(drawings, cache)
    result = job.result()
    if cache is not None:
        cache.prune(job.names)
    return result
