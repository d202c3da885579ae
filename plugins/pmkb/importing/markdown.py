"""Markdown sources, and the Markdown every other format is converted to, as a list of sections.

A Markdown source may carry its own front matter (python-frontmatter reads it), may be a copy of a page that
shows line numbers in a gutter (code hosts and package sites print `     1  # Title`), and may use setext
headings; all three are normalised before the headings are read.
"""

from __future__ import annotations

import re

import frontmatter
import yaml

from .model import Section

_GUTTER_RE = re.compile(r"^\s{0,8}(\d{1,6})(?:\s{2}|\t|$)")
_ATX_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def split_front_matter(text: str) -> tuple[dict, str]:
    """The source's own front matter (a mapping, else empty) and the Markdown after it."""
    if not text.startswith("---"):
        return {}, text
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError, TypeError):
        return {}, text
    metadata = post.metadata if isinstance(post.metadata, dict) else {}
    return metadata, post.content


def strip_gutter(text: str) -> tuple[str, str]:
    """Remove a line-number gutter when most lines have one counting up from 1; return (text, what came before).

    What came before the first numbered line (a page header such as `repo@version/path.md (about)`) is returned
    apart: it says where the document came from.
    """
    lines = text.split("\n")
    numbered = [(index, _GUTTER_RE.match(line)) for index, line in enumerate(lines)]
    hits = [(index, match) for index, match in numbered if match]
    if len(hits) < 5 or len(hits) < 0.6 * sum(1 for line in lines if line.strip()):
        return text, ""
    if int(hits[0][1].group(1)) != 1 or any(
        int(b.group(1)) <= int(a.group(1)) for (_, a), (_, b) in zip(hits, hits[1:], strict=False)
    ):
        return text, ""
    first = hits[0][0]
    header = "\n".join(lines[:first]).strip()
    body: list[str] = []
    for line in lines[first:]:
        match = _GUTTER_RE.match(line)
        if match:
            rest = line[match.end() :]
            body.append(rest)
        else:  # a wrapped continuation of the previous numbered line
            body.append(line.strip())
    return "\n".join(body), header


def setext_to_atx(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        fence = _track_fence(line, fence)
        stripped = line.strip()
        if fence is None and out and out[-1].strip() and not out[-1].lstrip().startswith(("-", "*", ">", "#", "|")):
            if re.fullmatch(r"=+", stripped):
                out[-1] = "# " + out[-1].strip()
                continue
            if re.fullmatch(r"-{2,}", stripped):
                out[-1] = "## " + out[-1].strip()
                continue
        out.append(line)
    return "\n".join(out)


# A section name written as a line of its own ("Action Items", "**Timeline**", "Follow-ups:") between blank lines:
# a heading in all but markup.
_PLAIN_HEADING_RE = re.compile(
    r"^\s{0,3}(?:\*\*|__)?\s*(action items?|follow[- ]?ups?|next steps|corrective actions?|remediation"
    r"|timeline|summary|impact|root causes?|lessons learned|resolution|contributing factors)\s*:?\s*(?:\*\*|__)?\s*$",
    re.IGNORECASE,
)


def plain_headings(text: str) -> str:
    lines = text.split("\n")
    fence: str | None = None
    for index, line in enumerate(lines):
        was_in_fence = fence is not None
        fence = _track_fence(line, fence)
        if was_in_fence or fence is not None:
            continue
        match = _PLAIN_HEADING_RE.match(line)
        before = lines[index - 1] if index else ""
        if match and not before.strip():
            lines[index] = "## " + match.group(1)
    return "\n".join(lines)


def _track_fence(line: str, fence: str | None) -> str | None:
    match = _FENCE_RE.match(line)
    if fence is None:
        return match.group(1) if match else None
    if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
        return None
    return fence


def parse_sections(markdown: str) -> list[Section]:
    """The text before the first heading (level 0, if any), then one section per ATX heading, in order."""
    sections: list[Section] = []
    level, title = 0, ""
    body: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        was_in_fence = fence is not None
        fence = _track_fence(line, fence)
        match = _ATX_RE.match(line) if not was_in_fence and fence is None else None
        if match:
            if level or "".join(body).strip():
                sections.append(Section(level, title, "\n".join(body).strip("\n")))
            level, title, body = len(match.group(1)), match.group(2).strip(), []
        else:
            body.append(line)
    if level or "".join(body).strip():
        sections.append(Section(level, title, "\n".join(body).strip("\n")))
    return sections
