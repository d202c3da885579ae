"""Is a document a procedure (a runbook) rather than an incident report?

Procedures name themselves ("Procedure", "Runbook", "Playbook", "Steps") and have no incident shape; incident
reports have timestamped events and incident sections (Impact, Root cause, Timeline, Action items). A document
is a runbook when procedure words clearly outnumber the incident signs.
"""

from __future__ import annotations

import re

from .model import Section

_PROCEDURE_RE = re.compile(r"\b(?:procedures?|runbooks?|playbooks?|how[- ]to|step[- ]by[- ]step|checklist)\b", re.I)
_INCIDENT_KINDS = ("impact", "timeline", "root-cause", "action-items", "resolution", "detection")
_INCIDENT_WORDS_RE = re.compile(r"\b(?:outage|incident report|post-?mortem|root cause|was down|went down)\b", re.I)


def is_runbook(title: str | None, sections: list[Section], events: int) -> bool:
    headings = [section.title for section in sections if section.level]
    procedure = sum(1 for heading in headings if _PROCEDURE_RE.search(heading))
    if title and _PROCEDURE_RE.search(title):
        procedure += 2
    incident = events + 2 * sum(1 for section in sections if section.kind in _INCIDENT_KINDS)
    incident += len(_INCIDENT_WORDS_RE.findall(" ".join([title or "", *headings])))
    return procedure >= 2 and incident < procedure
