"""Which recommended section a source heading is, and the body regrouped in the recommended order.

The recommended sections are the ones `pmkb new` writes (`template.BODY_SECTIONS`); a source heading maps onto
one when its words say so ("Issue summary" -> Summary, "Events" -> Timeline, "Corrective and preventative
measures" -> Action items, "Problems" -> What went wrong). Sections that map nowhere keep their place after the
recommended ones; chat logs become code blocks.
"""

from __future__ import annotations

import re

from pmkb.core.template import BODY_SECTIONS

from .model import Section
from .sanitize import fenced

# kind -> (recommended heading, pattern over the lower-cased source heading)
CANONICAL: dict[str, tuple[str, re.Pattern[str]]] = {
    "summary": ("## Summary", re.compile(r"summary|overview|incident description|^description|what happened|tl;?dr")),
    "impact": ("## Impact", re.compile(r"impact|scope|who was affected")),
    "timeline": ("## Timeline", re.compile(r"timeline|^events|chronolog|sequence of events")),
    "root-cause": ("## Root cause", re.compile(r"root ?cause|^causes?$|contributing factors|why it happened|analysis")),
    "resolution": ("## Resolution", re.compile(r"resolution|recovery|mitigation|^fix")),
    "went-well": ("### What went well", re.compile(r"went well|successes|what worked")),
    "went-wrong": ("### What went wrong", re.compile(r"went (?:wrong|poorly|badly)|^problems|what didn'?t work")),
    "lucky": ("### Where we got lucky", re.compile(r"lucky")),
    "detection": ("### Detection", re.compile(r"^detection|how we found out")),
    "lessons": ("## Lessons learned", re.compile(r"lessons|learnings|retrospective")),
    "action-items": (
        "## Action items",
        re.compile(
            r"action items?|corrective|preventi?ve|recommendations|follow[- ]?ups?|next steps|remediation|to-?dos?"
        ),
    ),
}
_CHAT_TITLE_RE = re.compile(r"chat|irc|slack|transcript|\blog\b", re.IGNORECASE)
_APPENDIX_RE = re.compile(r"^app?endi|^references?$|^attachments?$|^links$", re.IGNORECASE)
_CHAT_LINE_RE = re.compile(
    r"^\s*>?\s*\S{1,40}\s+\[\d{1,2}:\d{2}(?:\s*[AP]M)?\]|^\s*>?\s*\[?\d{1,2}:\d{2}\]?\s*<\S+>", re.I
)
HINTS = {heading: hint for heading, hint in BODY_SECTIONS}
LESSON_KINDS = ("went-well", "went-wrong", "lucky")
_NESTED = {"detection": "timeline"}  # kinds shown as a sub-section of another recommended section


def classify(section: Section) -> str:
    title = section.title.lower().strip(" :")
    if section.level == 0:
        return "preamble"
    if _CHAT_TITLE_RE.search(title) or _is_chat(section.body):
        return "chat"
    for kind, (_, pattern) in CANONICAL.items():
        if pattern.search(title):
            return kind
    if _APPENDIX_RE.search(title):
        return "appendix"
    return "other"


def _is_chat(body: str) -> bool:
    lines = [line for line in body.split("\n") if line.strip() and line.strip() != ">"]
    chat = sum(1 for line in lines if _CHAT_LINE_RE.match(line))
    return len(lines) >= 4 and chat >= 0.3 * len(lines)


def with_kinds(sections: list[Section]) -> list[Section]:
    """Each section with its kind; a sub-section of a chat section or an appendix is counted with it."""
    result: list[Section] = []
    parent: tuple[int, str] | None = None
    for section in sections:
        kind = classify(section)
        if parent and section.level > parent[0] and kind in ("other", "appendix"):
            kind = parent[1]
        if kind in ("chat", "appendix"):
            parent = (section.level, kind) if not parent or section.level <= parent[0] else parent
        elif not parent or section.level <= parent[0]:
            parent = None
        result.append(Section(section.level, section.title, section.body, kind))
    return result


def chat_block(section: Section) -> str:
    """A chat log as a code block: its lines verbatim, the quote markers of a pasted log removed."""
    lines = [re.sub(r"^\s*> ?", "", line).rstrip() for line in section.body.split("\n")]
    text = "\n".join(lines).strip("\n")
    return fenced(text) if text else ""


def tidy(sections: list[Section], moved: dict[str, str] | None = None) -> str:
    """The body in the recommended order. Every recommended section is there: the source's text under it when
    the source had one, else the hint `pmkb new` writes, so the author sees what is left to write."""
    moved = moved or {}
    by_kind: dict[str, list[str]] = {}
    rest: list[str] = []
    parent: tuple[int, str] | None = None  # the recommended section that sub-sections of the source belong to
    for section in sections:
        text = section.body.strip()
        if section.kind == "chat":
            block = chat_block(section)
            rest.append(f"### {section.title}\n\n{block}" if block else f"### {section.title}")
            continue
        if section.kind in CANONICAL or section.kind == "preamble":
            by_kind.setdefault(section.kind, []).append(text)
            parent = (section.level, section.kind)
            continue
        if parent and section.level > parent[0] and parent[1] != "preamble":
            heading = "#" * min(max(3, section.level), 6)
            by_kind[parent[1]].append(f"{heading} {section.title}\n\n{text}".rstrip())
            continue
        parent = None
        heading = "#" * max(3, min(section.level + 1, 6))
        rest.append(f"{heading} {section.title}\n\n{text}".rstrip())
    for kind, text in moved.items():
        by_kind.setdefault(kind, []).append(text)
    if "summary" not in by_kind and "preamble" in by_kind:
        by_kind["summary"] = by_kind.pop("preamble")
    blocks: list[str] = []
    if "preamble" in by_kind:
        blocks.append("\n\n".join(by_kind.pop("preamble")))
    for kind, (heading, _) in CANONICAL.items():
        if kind in LESSON_KINDS or kind in _NESTED:
            continue
        if kind == "lessons":
            blocks.append(_lessons(by_kind))
            continue
        block = _block(heading, by_kind.get(kind))
        for nested, under in _NESTED.items():
            if under == kind and by_kind.get(nested):
                block += "\n\n" + _block(CANONICAL[nested][0], by_kind[nested])
        blocks.append(block)
    if rest:
        blocks.append("## Other sections of the source\n\n" + "\n\n".join(rest))
    return "\n\n".join(block.strip() for block in blocks if block.strip()) + "\n"


def _block(heading: str, texts: list[str] | None) -> str:
    if texts and any(text.strip() for text in texts):
        return f"{heading}\n\n" + "\n\n".join(text for text in texts if text.strip())
    hint = HINTS.get(heading, "")
    return f"{heading}\n\n<!-- {hint} -->" if hint else heading


def _lessons(by_kind: dict[str, list[str]]) -> str:
    parts = ["## Lessons learned"]
    if by_kind.get("lessons"):
        parts.append("\n\n".join(text for text in by_kind["lessons"] if text.strip()))
    for kind in LESSON_KINDS:
        parts.append(_block(CANONICAL[kind][0], by_kind.get(kind)))
    return "\n\n".join(part for part in parts if part.strip())
