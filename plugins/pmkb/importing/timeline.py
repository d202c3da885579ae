"""Timestamps from the document's timeline, in the time zone it states, and the four moments chosen from them.

Only lines that start with a timestamp count as events (list items, table rows, lines), and only in the
timeline sections when the document has one with events (else anywhere but chat logs and appendices). A time
without a date takes the date of the line above it, or the document's date. `started` is an event marked as the
start ("outage starts"), else the first event when it is itself a report or an alert (the earliest known sign);
`detected` the first report/alert/notice from then on; `mitigated` the first rollback/removal/fix; `resolved` an
event marked as the end, else the last release/resolution. Nothing is taken from a document that states no time
zone and gives no offsets: a timestamp without an offset would be a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, timezone

from .model import Event, Section, Timeline

_ZONES = {
    "UTC": 0, "GMT": 0, "Z": 0, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5, "EST": -5,
    "EDT": -4, "CET": 1, "CEST": 2, "BST": 1, "EET": 2, "EEST": 3, "IST": 5.5, "JST": 9, "AEST": 10, "AEDT": 11,
}  # fmt: skip
_OFFSET_RE = re.compile(r"\b(?:UTC|GMT)\s*([+\-−–])\s*(\d{1,2})(?::?(\d{2}))?\b")
_ZONE_RE = re.compile(r"\b(" + "|".join(sorted(_ZONES, key=len, reverse=True)) + r")\b")
_TIMES_RE = re.compile(r"\btimes?\b", re.IGNORECASE)
_LEAD_RE = re.compile(r"^\s*(?:\|\s*|[-*•+]\s+|\d{1,3}[.)]\s+|\*\*)?\s*")
_FULL_RE = re.compile(
    r"^\[?\*{0,2}(\d{4})-(\d{2})-(\d{2})(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?\*{0,2}\]?"
    r"\s*(?:[A-Z]{2,4}\b)?\s*(?:[-–—:|]\s*)?(.*)$"
)
_MONTH_DAY_RE = re.compile(r"^\[(\d{1,2})[-/](\d{1,2})\s+(\d{1,2}):(\d{2})\]\s*(?:[-–—:|]\s*)?(.*)$")
_TIME_RE = re.compile(
    r"^\[?\*{0,2}~?(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?\*{0,2}\]?\s*(?:[A-Z]{2,4}\b)?\s*[-–—:|]\s*(.*)$"
)
_DATE_LINE_RE = re.compile(r"^\W*(\d{4})-(\d{2})-(\d{2})\W*$")

# A marker, not a sentence: "(**outage starts**)", "Outage begins." -- never "impact starts getting discussed".
_MARK_END = r"(?=\s*(?:[*)\].,;:!]|$))"
_START_RE = re.compile(
    r"\b(?:outage|incident|impact|downtime|problem|issue|disruption|degradation)\s+(?:starts?|started|begins?|began)"
    + _MARK_END
    + r"|\bstart of (?:the )?(?:outage|incident|impact)\b",
    re.IGNORECASE,
)
_END_RE = re.compile(
    r"\b(?:outage|incident|impact|downtime|disruption|degradation)\s+(?:ends?|ended|is over|is resolved)"
    + _MARK_END
    + r"|\bend of (?:the )?(?:outage|incident|impact)\b",
    re.IGNORECASE,
)
_DETECT_RE = re.compile(
    r"\b(?:report(?:s|ed)?|alert(?:s|ed)?|pag(?:e|es|ed)|notic(?:e|es|ed)|detect(?:s|ed)?|opened|escalat\w*)\b",
    re.IGNORECASE,
)
_MITIGATE_RE = re.compile(
    r"\b(?:mitigat\w*|roll(?:s|ed)? ?back|revert(?:s|ed)?|remov(?:es|ed|ing)|disabl(?:es|ed)|workaround"
    r"|fail(?:s|ed)? ?over|restor(?:es|ed)|recover(?:s|ed)|back to normal"
    r"|deploys? (?:a )?fix\w*|fix(?:ed)? (?:is )?deployed)\b",
    re.IGNORECASE,
)
_RESOLVE_RE = re.compile(
    r"\b(?:resolved|fully recovered|back to normal|all clear|releases|released|fix (?:is )?rolled out|closed"
    r"|(?:permanently |was |is )fixed|(?<!not )operational)\b",
    re.IGNORECASE,
)
_SKIPPED_KINDS = ("chat", "appendix")


@dataclass(frozen=True, slots=True)
class _Raw:
    day: date
    clock: time
    offset: timezone | None
    text: str
    section: str
    stated: str  # "full" (a date with its year), "month-day" or "time"


def stated_offset(sections: list[Section]) -> tuple[timezone | None, str | None]:
    """The time zone the document says its times are in, and the sentence that says it."""
    for section in sections:
        if section.kind in _SKIPPED_KINDS:
            continue
        for line in (section.title, *section.body.split("\n")):
            if not _TIMES_RE.search(line):
                continue
            explicit = _OFFSET_RE.search(line)
            if explicit:
                sign = -1 if explicit.group(1) in "-−–" else 1
                minutes = int(explicit.group(2)) * 60 + int(explicit.group(3) or 0)
                return timezone(sign * timedelta(minutes=minutes)), line.strip(" >-*")
            named = _ZONE_RE.search(line)
            if named:
                return timezone(timedelta(hours=_ZONES[named.group(1)])), line.strip(" >-*")
    return None, None


def extract(sections: list[Section], reference: date | None) -> Timeline:
    zone, note = stated_offset(sections)
    timeline_sections = _timeline_sections(sections)
    raws = _events(timeline_sections, reference)
    if not raws:
        raws = _events([s for s in sections if s.kind not in _SKIPPED_KINDS], reference)
    raws = _fix_midnight(raws, reference)
    events: list[Event] = []
    unplaced = 0
    for raw in raws:
        offset = raw.offset or zone
        if offset is None:
            unplaced += 1
            continue
        events.append(Event(datetime.combine(raw.day, raw.clock, offset), raw.text, raw.section))
    problems: tuple[str, ...] = ()
    if unplaced:
        problems = (f"{unplaced} timestamped events, but the source states no time zone: timeline left to fill",)
    return _choose(Timeline(offset_note=note, events=tuple(events), problems=problems))


def _timeline_sections(sections: list[Section]) -> list[Section]:
    """The Timeline sections and the sub-sections under them (a heading per day: `### 2024-03-05`)."""
    found: list[Section] = []
    level: int | None = None
    for section in sections:
        if section.kind == "timeline":
            level = section.level
            found.append(section)
        elif level is not None and section.level > level:
            found.append(section)
        else:
            level = None
    return found


def _events(sections: list[Section], reference: date | None) -> list[_Raw]:
    raws: list[_Raw] = []
    current = reference
    for section in sections:
        heading_day = _heading_date(section.title)
        if heading_day is not None:
            current = heading_day
        for line in section.body.split("\n"):
            text = _LEAD_RE.sub("", line, count=1).strip()
            if not text:
                continue
            date_line = _DATE_LINE_RE.match(text)
            if date_line:
                current = _date(*date_line.groups()) or current
                continue
            raw = _parse(text, current, reference, section.kind)
            if raw is not None:
                raws.append(raw)
                if raw.stated != "time":
                    current = raw.day
    return raws


def _parse(text: str, current: date | None, reference: date | None, kind: str) -> _Raw | None:
    full = _FULL_RE.match(text)
    if full:
        year, month, day, hour, minute, second, offset, rest = full.groups()
        when = _date(year, month, day)
        clock = _clock(hour, minute, second)
        if when and clock and rest.strip():
            return _Raw(when, clock, _offset(offset), _clean(rest), kind, "full")
        return None
    month_day = _MONTH_DAY_RE.match(text)
    if month_day and reference:
        month, day, hour, minute, rest = month_day.groups()
        when = _date(str(reference.year), month, day)
        if when and when > reference + timedelta(days=31):
            when = _date(str(reference.year - 1), month, day)  # a December event in a March report
        clock = _clock(hour, minute, None)
        if when and clock and rest.strip():
            return _Raw(when, clock, None, _clean(rest), kind, "month-day")
        return None
    only = _TIME_RE.match(text)
    if only and current:
        hour, minute, second, meridiem, rest = only.groups()
        hour_value = int(hour)
        if meridiem:
            hour_value = hour_value % 12 + (12 if meridiem.lower() == "pm" else 0)
        clock = _clock(str(hour_value), minute, second)
        if clock and rest.strip():
            return _Raw(current, clock, None, _clean(rest), kind, "time")
    return None


def _fix_midnight(raws: list[_Raw], reference: date | None) -> list[_Raw]:
    """A list is in order: when the time goes back under the same stated date, a day boundary was not written.

    Times under a date header moved on past midnight (the later events are a day later). Dates written on every
    line (`[03-26 23:04]`, then `[03-26 02:50]`) disagree with themselves; the document's own date decides: when
    the later events already fall on it, the earlier ones were the evening before.
    """
    result = list(raws)
    start = 0
    while start < len(result):
        end = start
        while end + 1 < len(result) and result[end + 1].day == result[start].day and result[end + 1].stated != "full":
            end += 1
        run = result[start : end + 1]
        wraps = [i for i in range(1, len(run)) if run[i].clock < run[i - 1].clock]
        if len(wraps) == 1 and run[0].stated != "full":
            cut = wraps[0]
            if run[0].stated == "month-day" and reference == run[0].day:
                for i in range(cut):
                    result[start + i] = replace(run[i], day=run[i].day - timedelta(days=1))
            else:
                for i in range(cut, len(run)):
                    result[start + i] = replace(run[i], day=run[i].day + timedelta(days=1))
        start = end + 1
    return result


def _choose(timeline: Timeline) -> Timeline:
    events = timeline.events
    if not events:
        return timeline
    ordered = sorted(events, key=lambda event: event.when)
    # The start is the event marked as such, else the earliest event the timeline records: the first row of an
    # archive's table is where its authors began the story, which is the best start the source states.
    started_event = next((event for event in events if _START_RE.search(event.text)), None) or ordered[0]
    floor = started_event.when if started_event else None

    def first(pattern: re.Pattern[str], after: datetime | None) -> Event | None:
        return next((e for e in ordered if (after is None or e.when >= after) and pattern.search(e.text)), None)

    detected_event = first(_DETECT_RE, floor)
    ended = first(_END_RE, floor)
    after_detection = detected_event.when if detected_event else floor
    mitigated_event = first(_MITIGATE_RE, after_detection)
    if ended and (mitigated_event is None or ended.when < mitigated_event.when):
        mitigated_event = ended
    resolved_event = ended
    if resolved_event is None:
        floor_resolved = mitigated_event.when if mitigated_event else after_detection
        candidates = [e for e in ordered if (floor_resolved is None or e.when >= floor_resolved)]
        resolved_event = next((e for e in reversed(candidates) if _RESOLVE_RE.search(e.text)), None)
    if resolved_event is None and mitigated_event is not None:
        # Declared over before the first thing that reads like a mitigation (a later revert belongs to another
        # story): the end stands, and the mitigation is the one before it, if any.
        candidates = [e for e in ordered if after_detection is None or e.when >= after_detection]
        resolved_event = next((e for e in reversed(candidates) if _RESOLVE_RE.search(e.text)), None)
        if resolved_event is not None:
            mitigated_event = next(
                (e for e in candidates if e.when <= resolved_event.when and _MITIGATE_RE.search(e.text)), None
            )
    return replace(
        timeline,
        started=started_event.when if started_event else None,
        detected=detected_event.when if detected_event else None,
        mitigated=mitigated_event.when if mitigated_event else None,
        resolved=resolved_event.when if resolved_event else None,
    )


_HEADING_DATE_RE = re.compile(r"^\W*(?:[A-Z][a-z]+,?\s+)?(\d{4})-(\d{2})-(\d{2})\W*$")


def _heading_date(title: str) -> date | None:
    """The day a heading names when it is only a date (`2024-03-05`, `Tuesday 2024-03-05`)."""
    match = _HEADING_DATE_RE.match(title)
    return _date(*match.groups()) if match else None


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _clock(hour: str, minute: str, second: str | None) -> time | None:
    try:
        return time(int(hour), int(minute), int(second or 0))
    except ValueError:
        return None


def _offset(text: str | None) -> timezone | None:
    if not text:
        return None
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0)))


def _clean(text: str) -> str:
    return text.strip(" |").strip()


def is_event_line(line: str) -> bool:
    """Whether a line starts with a timestamp the way timeline lines do."""
    text = _LEAD_RE.sub("", line, count=1).strip()
    return bool(_FULL_RE.match(text) or _MONTH_DAY_RE.match(text) or _TIME_RE.match(text))
