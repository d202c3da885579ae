"""`pmkb import` on a real corpus: how many of the facts written down for each document hold, and how fast a
folder of 1,000 reports imports.

    python benchmarks/import_corpus.py [CORPUS] [--speed-only | --no-speed] [-n 1000]

CORPUS (default: $PMKB_IMPORT_CORPUS, else /work/import-corpus) is a folder kept outside this repository,
because its texts are third-party: it holds the documents to import in sub-folders and `facts.yml`:

    held_out: [dfds/PM2024-001 - ....md, ...]     # documents never looked at while tuning the importer
    facts:
      dfds/PM2023-001 - Total node failure.md:
        kind: postmortem                           # or not-a-report (never a draft without --force)
        title: Total node failure
        date: 2023-02-13                           # null: no date can be read; it must be left to fill
        timeline.started: 2023-02-13T07:30:00+00:00
        timeline.resolved: 2023-02-14T11:59:00+00:00
        action_items: 6
        services: payments-api                     # the slug of this name must be among `services`

Every document is imported once with the real command line into a fresh knowledge base (with PMKB_TODAY set, so
that a date invented as "today" shows), and each fact is checked against the draft. The speed run copies the
corpus's reports round-robin into a folder of N files (each copy with a last line of its own, so that each is a
different source) and imports that folder with the real command line, timed; `uptime` is printed
before and after because the machine is shared. Prints one line and exits 0 when the corpus is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import yaml

DEFAULT = "/work/import-corpus"
TODAY = "2026-12-07"
KINDS = ("kind", "title", "date", "timeline.started", "timeline.resolved", "action_items", "services")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default=os.environ.get("PMKB_IMPORT_CORPUS", DEFAULT))
    parser.add_argument("-n", type=int, default=1000, help="reports in the speed run (default 1000)")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--speed-only", action="store_true")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    facts_file = corpus / "facts.yml"
    if not facts_file.is_file():
        print(f"import_corpus: skipped: no corpus at {corpus} (facts.yml absent); set PMKB_IMPORT_CORPUS")
        return 0
    declared = yaml.safe_load(facts_file.read_text("utf-8"))
    facts: dict[str, dict] = declared["facts"]
    held_out = set(declared.get("held_out") or ())
    print(f"load: {_uptime()}")
    if not args.speed_only:
        accuracy(corpus, facts, held_out)
    if not args.no_speed:
        speed(corpus, facts, args.n)
    print(f"load: {_uptime()}")
    return 0


def _kb(root: Path) -> Path:
    (root / "postmortems").mkdir(parents=True)
    (root / "postmortems" / "index.md").write_text("# KB\n", "utf-8")
    config = {"site_name": "KB", "docs_dir": "postmortems", "theme": {"name": "material"}, "plugins": ["pmkb"]}
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config), "utf-8")
    return root


def _import(kb: Path, *paths: str, extra: tuple[str, ...] = ()) -> tuple[list[dict], float]:
    env = {**os.environ, "PMKB_TODAY": TODAY}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pmkb", "import", *paths, *extra, "--json"],
        cwd=kb,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if "Traceback" in result.stderr:
        print(result.stderr[-3000:], file=sys.stderr)
    text = result.stdout.strip()
    if text.startswith("["):  # an older pmkb printed one JSON array
        return json.loads(text), elapsed
    return [json.loads(line) for line in text.splitlines() if line.strip()], elapsed


def accuracy(corpus: Path, facts: dict[str, dict], held_out: set[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="pmkb-import-corpus-") as folder:
        kb = _kb(Path(folder) / "kb")
        paths = [str(corpus / name) for name in facts]
        records, _ = _import(kb, *paths)
        by_source = {_relative(record["source"], corpus): record for record in records}
        tally: dict[tuple[str, str], list[int]] = {}
        misses: list[str] = []
        today_dated = 0
        for name, expected in facts.items():
            group = "held-out" if name in held_out else "tuned"
            record = by_source.get(name)
            data = _draft(kb, record)
            if data and str(data.get("date")) == TODAY:
                today_dated += 1
            for kind in KINDS:
                if kind not in expected:
                    continue
                ok, got = _holds(kind, expected[kind], record, data)
                tally.setdefault((group, kind), [0, 0])
                tally[(group, kind)][0] += ok
                tally[(group, kind)][1] += 1
                if not ok:
                    misses.append(f"  {name}: {kind}: expected {expected[kind]!r}, got {got!r}")
    print(f"facts of {len(facts)} documents in {corpus} (drafts dated today, {TODAY}: {today_dated})")
    print(f"{'fact':<20}{'tuned':>12}{'held-out':>12}{'all':>12}")
    totals = {"tuned": [0, 0], "held-out": [0, 0]}
    for kind in KINDS:
        cells = []
        right = total = 0
        for group in ("tuned", "held-out"):
            r, t = tally.get((group, kind), [0, 0])
            totals[group][0] += r
            totals[group][1] += t
            right, total = right + r, total + t
            cells.append(f"{r}/{t}" if t else "-")
        print(f"{kind:<20}{cells[0]:>12}{cells[1]:>12}{f'{right}/{total}':>12}")
    all_right = totals["tuned"][0] + totals["held-out"][0]
    all_total = totals["tuned"][1] + totals["held-out"][1]
    cells = [f"{_percent(*totals[group])}" for group in ("tuned", "held-out")]
    print(f"{'accuracy':<20}{cells[0]:>12}{cells[1]:>12}{_percent(all_right, all_total):>12}")
    if misses:
        print(f"{len(misses)} facts do not hold:")
        print("\n".join(misses))


def _percent(right: int, total: int) -> str:
    return f"{100 * right / total:.1f}%" if total else "-"


def _relative(source: str, corpus: Path) -> str:
    source = source.split("#", 1)[0]
    try:
        return Path(source).resolve().relative_to(corpus.resolve()).as_posix()
    except ValueError:
        return source


def _draft(kb: Path, record: dict | None) -> dict | None:
    if not record or not record.get("path") or record.get("kind") != "postmortem":
        return None
    text = (kb / record["path"]).read_text("utf-8")
    return yaml.safe_load(text.split("---\n", 2)[1])


def _holds(kind: str, expected: object, record: dict | None, data: dict | None) -> tuple[bool, object]:
    if kind == "kind":
        got = "postmortem" if data is not None else (record or {}).get("error") or (record or {}).get("kind")
        return (data is not None) == (expected == "postmortem"), got
    if data is None:
        return False, (record or {}).get("error")
    if kind == "title":
        got = data.get("title")
        return _words(got) == _words(_as_pmkb_writes_it(str(expected))), got
    if kind == "date":
        got = data.get("date")
        if expected is None:
            return not isinstance(got, date), got
        return str(got) == str(expected), got
    if kind.startswith("timeline."):
        got = (data.get("timeline") or {}).get(kind.split(".", 1)[1])
        want = expected if isinstance(expected, datetime) else datetime.fromisoformat(str(expected))
        return isinstance(got, datetime) and got == want and got.utcoffset() == want.utcoffset(), got
    if kind == "action_items":
        got = len(data.get("action_items") or [])
        return got == expected, got
    if kind == "services":  # each name of a list written in one string ("Gmail, Calendar")
        got = data.get("services") or []
        return all(_slug(name) in got for name in str(expected).split(",")), got
    raise ValueError(kind)


_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_TITLE_DATE_RE = re.compile(
    rf"\s*\b(?:on\s+)?(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2})\b",
    re.IGNORECASE,
)


def _as_pmkb_writes_it(title: str) -> str:
    """The source's title as a pmkb title: the date it carries is moved to `date`, Markdown marks are dropped."""
    return re.sub(r"[*_`]", "", _TITLE_DATE_RE.sub("", title)).strip(" ,:;-")


def _words(value: object) -> str:
    return " ".join(str(value or "").lower().split())


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def speed(corpus: Path, facts: dict[str, dict], count: int) -> None:
    reports = [corpus / name for name, fact in facts.items() if fact.get("kind") == "postmortem"]
    with tempfile.TemporaryDirectory(prefix="pmkb-import-speed-") as folder:
        source = Path(folder) / "reports"
        source.mkdir()
        for index in range(count):
            original = reports[index % len(reports)]
            suffix = original.suffix or ".md"
            # Each copy a different source (a last line of its own), as a real folder of 1,000 reports would be.
            marker = b"\n<!-- copy %d -->\n" if suffix in (".md", ".html", ".htm", "") else b"\n-- copy %d\n"
            data = original.read_bytes() + marker % index
            (source / f"{index:04d}-{_slug(original.stem)[:60]}{suffix}").write_bytes(data)
        kb = _kb(Path(folder) / "kb")
        records, elapsed = _import(kb, str(source), extra=("--into", str(Path(folder) / "drafts")))
        written = sum(1 for record in records if record.get("path"))
        errors = sum(1 for record in records if record.get("error"))
    print(
        f"speed: {count} reports imported in {elapsed:.1f} s ({count / elapsed:.0f}/s; {written} drafts written, "
        f"{errors} refused or failed); the target is under 30 s"
    )


def _uptime() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()
    except OSError:
        return "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
