"""Is a document no incident report at all? A license, a repository README about process, an empty template.

Archives are folders, and folders hold more than reports: importing a LICENSE made its lines authors. A document
is refused (unless `--force`) with one line saying what it looks like; an incident report is never refused for
being short or oddly shaped, only for these signs:

- a license: the sentences every license has ("Permission is hereby granted", "GNU General Public License",
  "Apache License", "Creative Commons", "THE SOFTWARE IS PROVIDED");
- a template: most of its sections are empty or hold only placeholders (`20xx-MM-DD HH:mm`, `XXX`, `TODO`), and
  it has no timestamped event;
- a README or guide: named README/CONTRIBUTING/..., with no timestamped event, no date and no incident section
  with content.
"""

from __future__ import annotations

import re

from .model import Section

_LICENSE_RE = re.compile(
    r"permission is hereby granted, free of charge|gnu (?:lesser |affero )?general public license"
    r"|apache license,?\s+version|creative commons|cc0 1\.0 universal|mozilla public license"
    r"|the software is provided \W?as is|redistribution and use in source and binary forms"
    r"|this is free and unencumbered software",
    re.IGNORECASE,
)
_LICENSE_NAME_RE = re.compile(r"^(?:licen[cs]e|copying|unlicense)(?:\.[a-z]+)?$", re.IGNORECASE)
_README_NAME_RE = re.compile(
    r"^(?:readme|contributing|code_of_conduct|changelog|security|support|governance|process|howto)(?:\.[a-z]+)?$",
    re.IGNORECASE,
)
_PLACEHOLDER_RE = re.compile(
    r"\b(?:20xx|yyyy|hh:mm|xxx+|yyy+|zzz+|todo|tbd|lorem ipsum)\b|<[^<>\n]{2,40}>|\[[^\[\]\n]{2,40} here\]"
    r"|^\W*$|short event description|someone fromtheteam|incident title",
    re.IGNORECASE | re.MULTILINE,
)
_TEMPLATE_SIGN_RE = re.compile(
    r"\b(?:20xx|yyyy-mm-dd|hh:mm|xxx+|title of the incident|incident title|incident #)\b|<[a-z][a-z _-]{2,30}>", re.I
)
_INCIDENT_KINDS = ("impact", "timeline", "root-cause", "resolution", "action-items", "summary", "detection")


def reason(file_name: str, markdown: str, sections: list[Section], events: int, dated: bool) -> str | None:
    """Why the document is not an incident report, in a few words; None when it may be one."""
    head = markdown[:3000]
    if _LICENSE_RE.search(head) and (events == 0 or _LICENSE_NAME_RE.match(file_name)):
        return "a license text"
    if events == 0 and _is_template(sections, file_name, markdown):
        return "an empty postmortem template (its sections hold no content)"
    if _README_NAME_RE.match(file_name) and events == 0 and not dated and not _has_incident_content(sections):
        return "a README about the repository, not an incident"
    return None


def _is_template(sections: list[Section], file_name: str, markdown: str) -> bool:
    """Nearly every section empty; or most of them, and the file names itself a template or holds a placeholder
    (`20xx-MM-DD`, `HH:mm`, `XXX`, `<name>`): a short real report with a few empty sections is still a report."""
    headed = [section for section in sections if section.level]
    if len(headed) < 3:
        return False
    empty = sum(1 for section in headed if _is_empty(section.body)) / len(headed)
    if empty >= 0.85:
        return True
    signed = "template" in file_name.lower() or bool(_TEMPLATE_SIGN_RE.search(markdown))
    return empty >= 0.6 and signed


def _is_empty(body: str) -> bool:
    lines = [line for line in body.split("\n") if line.strip()]
    return all(_is_placeholder(line) for line in lines)


def _is_placeholder(line: str) -> bool:
    stripped = line.strip().strip("|-*>_ :").strip()
    if not stripped or re.fullmatch(r"[-|:\s]+", line.strip()):
        return True
    if re.fullmatch(r"(?:\|?\s*(?:time|event|date|owner|action|status|ticket|description)\s*)+\|?", line, re.I):
        return True  # a table header with no rows yet
    if stripped.startswith("<!--") or stripped.startswith(">"):
        return True  # a hint for whoever fills it in
    return bool(_PLACEHOLDER_RE.search(line)) and len(stripped) < 120


def _has_incident_content(sections: list[Section]) -> bool:
    return any(section.kind in _INCIDENT_KINDS and not _is_empty(section.body) for section in sections)
