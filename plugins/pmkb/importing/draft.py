"""A `Document` -> the `Draft` to write: front matter from what the document states, the body tidied.

What the document cannot tell (severity, cause, services, the impact summary when it has no Impact section)
gets the placeholders `pmkb new` writes, and each is listed as left to fill. The file is written with
python-frontmatter; keys keep the order of the field declarations (`pmkb.core.fields`), timestamps keep their offsets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

from pmkb.core.model import UNKNOWN_MOMENT
from pmkb.core.taxonomy import Taxonomy
from pmkb.core.template import PLACEHOLDER_SERVICE, PLACEHOLDER_SUMMARY, default_cause, default_severity, slugify

from . import actions, details, foreign, notreport, runbook, sections, timeline
from .markdown import parse_sections
from .model import Document, Draft, Failure, Section, Skipped, Timeline
from .sanitize import fenced

PLACEHOLDER_OWNER = "unassigned"  # an action item's owner is required; the source named none
MOMENTS = ("started", "detected", "mitigated", "resolved")
UNDATED = "undated"  # the folder of drafts whose source states no date: no year folder is implied
SOURCE_MARK = "pmkb-import-source:"  # the comment line recording the source's fingerprint
DIGEST_LENGTH = 16


@dataclass(frozen=True, slots=True)
class Settings:
    taxonomy: Taxonomy
    default_author: str  # what `pmkb new` would put: git user.name, else $USER
    today: date
    pages_folder: str  # where a runbook goes, under the content folder
    force: bool = False  # import documents that look like no incident report (a license, a README, a template)
    archive: bool = False  # a historical archive: a moment the source does not state is `unknown`, not left to fill


class _Dumper(yaml.SafeDumper):
    """Timestamps as ISO 8601 with their offset (`2019-03-25T23:04:00-07:00`), empty values as nothing, and no
    anchors (`mitigated: &id001 ...`) when two moments are the same time."""

    def ignore_aliases(self, data: object) -> bool:
        return True


_Dumper.add_representer(
    datetime, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())
)
_Dumper.add_representer(type(None), lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:null", ""))


class _Handler(YAMLHandler):
    """python-frontmatter's YAML handler, with our comment lines on top of the front matter."""

    def __init__(self, comments: list[str]):
        super().__init__()
        self.comments = comments

    def export(self, metadata: dict[str, object], **kwargs: object) -> str:
        text = super().export(metadata, **kwargs)
        return "\n".join([*(f"# {line}" for line in self.comments), text])


def build(document: Document, settings: Settings) -> Draft | Failure | Skipped:
    found_sections = sections.with_kinds(parse_sections(document.markdown))
    source_facts = foreign.read(document.metadata, settings.taxonomy.slugs("severities"))
    raw_title = source_facts.title or document.title
    if raw_title is None:
        first = next((s for s in found_sections if s.level == 1), None) or next(
            (s for s in found_sections if s.level), None
        )
        if first is not None and (first.level == 1 or found_sections.index(first) == 0):
            raw_title = first.title
            found_sections[found_sections.index(first)] = Section(0, "", first.body, "preamble")
    elif found_sections and found_sections[0].level == 1 and _same(found_sections[0].title, raw_title):
        found_sections[0] = Section(0, "", found_sections[0].body, "preamble")
    raw_title = raw_title or document.fallback_title
    title, title_date = details.clean_title(raw_title)
    head = "\n".join(s.body for s in found_sections[:2])
    reference = source_facts.day or title_date or details.find_date(head[:500]) or document.date_hint
    found_timeline = timeline.extract(found_sections, reference)
    if not settings.force:
        dated = reference is not None or bool(found_timeline.events) or bool(document.metadata)
        why = notreport.reason(
            _file_name(document.source.name), document.markdown, found_sections, len(found_timeline.events), dated
        )
        if why:
            return Skipped(document.source.name, why)
    if runbook.is_runbook(title or raw_title, found_sections, len(found_timeline.events)):
        return _page(document, title or raw_title, settings)
    if details.is_generic(title):
        summary = next((s.body for s in found_sections if s.kind == "summary" and s.body.strip()), "") or next(
            (s.body for s in found_sections if s.kind == "preamble" and s.body.strip()), ""
        )
        sentence = details.first_sentence(summary) or details.first_sentence(document.markdown)
        title = details.clean_title(sentence)[0] if sentence else title
    if not title:
        return Failure(document.source.name, "no title found (no heading, subject or first sentence to use)")
    title = title[: details.TITLE_LIMIT]
    return _postmortem(document, title, reference, found_sections, found_timeline, source_facts, settings)


def _file_name(name: str) -> str:
    return name.split("#", 1)[0].replace("\\", "/").rsplit("/", 1)[-1]


def digest(document: Document) -> str:
    """The source's fingerprint: its bytes (one message of an mbox: that message's bytes)."""
    data = document.source.data or document.source.text.encode("utf-8", "replace")
    return hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH]


def _same(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def _postmortem(
    document: Document,
    title: str,
    reference: date | None,
    found_sections: list[Section],
    found: Timeline,
    source_facts: foreign.Foreign,
    settings: Settings,
) -> Draft:
    found_fields: list[str] = ["title"]
    left: list[str] = []
    text = document.markdown
    # The source's own front matter states its start and end; the timeline's rows fill what it does not.
    found = replace(
        found,
        started=source_facts.started or found.started,
        resolved=source_facts.resolved or found.resolved,
    )
    found = _in_order(found)
    day: date | None
    if found.started is not None:
        day = found.started.date()  # `date` is the day it began, in its own offset
    elif found.events:
        day = min(event.when for event in found.events).date()
    else:
        day = reference
    if day is None:
        left.append("date")  # never invented: no year folder, and lint names it until someone fills it in
    else:
        found_fields.append("date")
    severity = source_facts.severity or details.severity(text, settings.taxonomy.slugs("severities"))
    services = source_facts.services or details.services(text)
    authors = details.authors(text, (*document.authors, *source_facts.authors), {})
    impact = (
        details.summary_sentences(source_facts.summary) if source_facts.summary else None
    ) or details.impact_summary(found_sections)
    tags = source_facts.tags
    if tags:
        found_fields.append("tags")
    found_fields += [
        name
        for name, value in (
            ("severity", severity),
            ("authors", authors),
            ("services", services),
            ("impact.summary", impact),
        )
        if value
    ]
    left += [
        name
        for name, value in (("severity", severity), ("services", services), ("impact.summary", impact))
        if not value
    ]
    left.insert(left.index("services") if "services" in left else len(left), "cause")
    if not authors:
        left.append("authors")
    moments: dict[str, object] = {name: getattr(found, name) for name in MOMENTS}
    found_fields += [f"timeline.{name}" for name, value in moments.items() if value is not None]
    if settings.archive:  # what the archive never recorded stays unknown: shown so, and never timed
        moments = {name: UNKNOWN_MOMENT if value is None else value for name, value in moments.items()}
    left += [f"timeline.{name}" for name, value in moments.items() if value is None]
    items = actions.extract(found_sections)
    action_items = []
    for index, item in enumerate(items):
        entry: dict[str, object] = {
            "title": item.title,
            "owner": item.owner or PLACEHOLDER_OWNER,
            "status": item.status,
        }
        if item.link:
            entry["link"] = item.link
        if not item.owner:
            left.append(f"action_items.{index}.owner")
        action_items.append(entry)
    if items:
        found_fields.append(f"action_items ({len(items)})")
    else:
        left.append("action_items")
    metadata: dict[str, object] = {
        "title": title,
        "date": day,
        "status": "draft",
        "severity": severity or default_severity(settings.taxonomy),
        "authors": list(authors or (settings.default_author,)),
        "services": list(services or (PLACEHOLDER_SERVICE,)),
        "cause": default_cause(settings.taxonomy),
        "tags": list(tags) or None,
        "impact": {"summary": impact or PLACEHOLDER_SUMMARY},
        "timeline": moments,
        "action_items": action_items or None,
    }
    if not tags:
        del metadata["tags"]
    moved = _moved_timeline(found_sections, found)
    body = sections.tidy(found_sections, moved)
    body = body.rstrip("\n") + "\n\n" + _source_section(document, found, source_facts)
    fingerprint = digest(document)
    comments = [
        f"Imported by `pmkb import` from {_comment_safe(document.source.name)}: a draft. Check every value "
        "against the source.",
        "Left to fill: " + (", ".join(left) if left else "nothing") + ".",
        f"{SOURCE_MARK} {fingerprint}",
    ]
    text = frontmatter.dumps(
        frontmatter.Post(body, None, **metadata),  # no handler given here: the metadata cannot fill that parameter
        handler=_Handler(comments),
        Dumper=_Dumper,
        sort_keys=False,
        width=float("inf"),
    )
    path = f"{day.year:04d}/{day.isoformat()}-{slugify(title)}.md" if day else f"{UNDATED}/{slugify(title)}.md"
    return Draft(
        "postmortem", title, day, path, text + "\n", tuple(found_fields), tuple(left), found.problems, fingerprint
    )


def _in_order(found: Timeline) -> Timeline:
    """Moments out of order (a front-matter start after the rows' detection) keep only the ones in order."""
    kept: dict[str, datetime | None] = {}
    last: datetime | None = None
    for name in MOMENTS:
        moment = getattr(found, name)
        if moment is not None and last is not None and moment < last:
            moment = None
        kept[name] = moment
        last = moment or last
    return replace(
        found,
        started=kept["started"],
        detected=kept["detected"],
        mitigated=kept["mitigated"],
        resolved=kept["resolved"],
    )


def _comment_safe(text: str) -> str:
    return " ".join(text.split())


def _moved_timeline(found_sections: list[Section], found: Timeline) -> dict[str, str]:
    """A document with events but no Timeline section: the event lines (and the line introducing them) move
    from where they stood into Timeline."""
    if not found.events or any(section.kind == "timeline" for section in found_sections):
        return {}
    moved: list[str] = []
    for position, section in enumerate(found_sections):
        if section.kind in ("chat", "appendix", "action-items"):
            continue
        lines = section.body.split("\n")
        keep: list[str] = []
        taking = False
        for line in lines:
            if timeline.is_event_line(line):
                while not taking and keep and not keep[-1].strip():
                    keep.pop()
                if not taking and keep and keep[-1].rstrip().endswith(":"):
                    moved.append(keep.pop())
                    moved.append("")
                taking = True
                moved.append(line)
            elif taking and line.startswith((" ", "\t")) and line.strip():
                moved.append(line)  # a sub-item of an event
            else:
                taking = False
                keep.append(line)
        found_sections[position] = Section(section.level, section.title, "\n".join(keep).strip("\n"), section.kind)
    return {"timeline": "\n".join(moved).strip("\n")} if moved else {}


def _source_section(document: Document, found: Timeline, source_facts: foreign.Foreign | None = None) -> str:
    source = document.source
    lines = ["## Source", "", f"Imported with `pmkb import` from `{source.name}` ({source.format.value})."]
    links = list(document.links) + list(source_facts.links if source_facts else ())
    for label, url in dict.fromkeys(links):
        lines.append(f"- {label}: <{details.clean_url(url)}>" if url else f"- {label}")
    if source_facts and source_facts.kept:
        lines += ["", "Other fields of the source's front matter:", ""]
        lines += [f"- `{key}`: {value}" for key, value in source_facts.kept]
    if found.offset_note:
        lines.append(f"\nThe source's time zone, read from: \u201c{found.offset_note}\u201d.")
    for problem in found.problems:
        lines.append(f"\nNot imported: {problem}.")
    if document.quoted_reply:
        quote = "\n".join(f"> {line}" if line else ">" for line in document.quoted_reply.split("\n"))
        lines += ["", "The report was quoted in this reply:", "", quote]
    if document.original:
        lines += ["", "### Original text", "", fenced(document.original)]
    return "\n".join(lines) + "\n"


def _page(document: Document, title: str | None, settings: Settings) -> Draft | Failure:
    if not title:
        return Failure(document.source.name, "a procedure page with no title")
    found_sections = parse_sections(document.markdown)
    if found_sections and found_sections[0].level == 1 and _same(found_sections[0].title, title):
        found_sections = found_sections[1:]
    parts = []
    for section in found_sections:
        parts.append(
            section.body
            if section.level == 0
            else f"{'#' * max(2, section.level)} {section.title}\n\n{section.body}".rstrip()
        )
    body = f"# {title}\n\n" + "\n\n".join(part for part in parts if part.strip()) + "\n"
    # A page keeps a link to its source but not a second copy of it: the page is the same text.
    body += "\n" + _source_section(replace(document, original=""), Timeline(None))
    text = frontmatter.dumps(frontmatter.Post(body, title=title), Dumper=_Dumper, sort_keys=False, width=float("inf"))
    path = f"{settings.pages_folder}/{slugify(title)}.md"
    return Draft("page", title, None, path, text + "\n", ("title",), ())
