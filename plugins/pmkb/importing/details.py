"""Title, date, authors, severity, services and impact summary, where the document says them.

Only what the text states is taken: a severity written as "SEV2" or "Severity: 2", services on a "Services:"
line, authors on "Owner:"/"Author:" lines, in e-mail and page metadata, and in a signature. Everything else is
left to the placeholders.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from pmkb.core.fields import POSTMORTEM
from pmkb.core.taxonomy import SLUG_RE
from pmkb.core.template import slugify

from .model import Section

TITLE_LIMIT = POSTMORTEM.child("title").max_length or 200  # type: ignore[union-attr]
SUMMARY_LIMIT = 400  # "one or two sentences"; the field allows more, the card shows this much well
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_ISO_DATE_RE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_FIRST_RE = re.compile(rf"\b({_MONTHS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b")
_DAY_FIRST_RE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTHS})\.?,?\s+(\d{{4}})\b")
_SLUG_TITLE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-([A-Za-z0-9][\w-]*)$")
_GENERIC_TITLE_RE = re.compile(r"^(?:incident|incident report|post-?mortem|outage|report|postmortem report)s?$", re.I)
_AUTHOR_LINE_RE = re.compile(
    r"^\W*(?:incident )?(?:owner|authors?|written by|prepared by|reported by)\s*:?\s+(.+?)\s*$", re.I | re.M
)
_SIGNATURE_RE = re.compile(
    r"(?:^|\n)\s*>?\s*(?:Sincerely|Regards|Best regards|Kind regards|Cheers|Thanks),?\s*\n"
    r"\s*>?\s*(?:-\s*)?([^\n]{2,60}?)\s*$",
    re.I,
)
_SEVERITY_RE = re.compile(r"\b(?:sev(?:erity)?)\s*[:=#-]?\s*(\d)\b", re.I)
_SERVICES_RE = re.compile(
    r"^\W*(?:affected )?(?:services?|components?|systems? affected)\s*(?::|\*{0,2}\s*\|)\s*(.+?)\s*\|?\s*$", re.I | re.M
)  # a "Services: a, b" line, or a "| Affected services | a, b |" row
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def find_date(text: str) -> date | None:
    """The first date written in `text`: 2019-03-26, March 26th, 2019, 26 March 2019."""
    candidates: list[tuple[int, date]] = []
    for match in _ISO_DATE_RE.finditer(text):
        found = _make(match.group(1), match.group(2), match.group(3))
        if found:
            candidates.append((match.start(), found))
            break
    for pattern, order in ((_MONTH_FIRST_RE, (3, 1, 2)), (_DAY_FIRST_RE, (3, 2, 1))):
        written = pattern.search(text)
        if written:
            year, month, day = (written.group(i) for i in order)
            found = _month_date(year, month, day)
            if found:
                candidates.append((written.start(), found))
    return min(candidates)[1] if candidates else None


def _make(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _month_date(year: str, month: str, day: str) -> date | None:
    try:
        return datetime.strptime(f"{year} {month[:3].title()} {int(day)}", "%Y %b %d").date()
    except ValueError:
        return None


def clean_title(raw: str | None) -> tuple[str | None, date | None]:
    """A source title without the date it carries (the date goes in `date`), and that date."""
    if not raw:
        return None, None
    title = " ".join(re.sub(r"[*_`#]+", "", raw).split())
    slug = _SLUG_TITLE_RE.match(title)
    if slug:  # a wiki page name such as 2012-07-19-oneiric-kernel-regression-kills-EC2-instances
        words = slug.group(4).replace("-", " ").replace("_", " ")
        return words[:1].upper() + words[1:], _make(slug.group(1), slug.group(2), slug.group(3))
    found = find_date(title)
    # "Incident report: DNS resolvers failed": the kind of document is no part of what happened.
    title = re.sub(
        r"^(?:incident(?: report)?|post-?mortem|outage report|rca)\s*[:\-–—]\s+(?=\S)", "", title, flags=re.I
    )
    for pattern in (_ISO_DATE_RE, _MONTH_FIRST_RE, _DAY_FIRST_RE):
        title = pattern.sub("", title)
    title = re.sub(r"^\s*(?:today|on|the)\b", "", title, flags=re.I)
    title = re.sub(r"^\s*(?:there (?:was|were|has been)|we had)\b", "", title, flags=re.I)
    title = re.sub(r"^\s*(?:a|an)\s+(?=\w)", "", title, flags=re.I) if title != raw else title
    title = re.sub(r"\(\s*[,;]?\s*\)|\[\s*\]", "", title)  # what a removed date leaves: "Outage ()"
    title = " ".join(title.split()).strip(" ,:;-–—.")
    title = re.sub(r"\s+(?:on|of|at|from|in|for)$", "", title, flags=re.I)  # "Outage on <date>" -> "Outage"
    title = re.sub(r"\(\s*\)$", "", title).strip(" ,:;-–—")
    return (title[:1].upper() + title[1:] if title else None), found


def is_generic(title: str | None) -> bool:
    return not title or bool(_GENERIC_TITLE_RE.match(title.strip()))


def first_sentence(markdown: str, limit: int = TITLE_LIMIT) -> str | None:
    for paragraph in re.split(r"\n\s*\n", markdown):
        text = plain(paragraph)
        if len(text) < 20 or text.startswith("```"):
            continue
        sentence = _SENTENCE_RE.split(text)[0].rstrip(".!")
        if len(sentence) <= limit:
            return sentence
        return sentence[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return None


def plain(markdown: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"^\s*(?:[-*+>]|\d+\.)\s+", "", text, flags=re.M)
    text = re.sub(r"\*\*|__|`|^#+\s*", "", text, flags=re.M)
    return " ".join(text.split())


def authors(markdown: str, given: tuple[str, ...], front_matter: dict) -> tuple[str, ...]:
    found = list(given)
    for key in ("authors", "author", "owner"):
        value = front_matter.get(key)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            found.extend(str(item) for item in value if isinstance(item, str | int))
    head = "\n".join(markdown.split("\n")[:40])
    for match in _AUTHOR_LINE_RE.finditer(head):
        found.extend(part for part in re.split(r"\s*(?:,|;|\band\b)\s*", match.group(1)) if part)
    signature = _SIGNATURE_RE.search(markdown.rstrip())
    if signature:
        found.append(signature.group(1))
    limit = POSTMORTEM.child("authors").item.max_length or 100  # type: ignore[union-attr]
    cleaned = [name for name in dict.fromkeys(_name(name) for name in found) if name and len(name) <= limit]
    # "Arjun" signing a mail from "Arjun Mehta" is one author.
    return tuple(
        name for name in cleaned if not any(other != name and other.startswith(name + " ") for other in cleaned)
    )


def _name(text: str) -> str:
    """A name as a name: no table pipes, no link markup, no e-mail address in angle brackets, no markup."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^<>\s]+@[^<>\s]+>|\([^()]*@[^()]*\)", "", text)
    text = text.replace("|", " ")
    text = re.sub(r"\([^()]*\)", "", text)  # "Pete Graner (kernel team)": the name, not the aside
    text = re.split(r"[()]", text)[0]  # the tail of a parenthesised phrase cut by a line end
    text = " ".join(re.sub(r"[*_`]", "", text).split()).strip(" .,;:-")
    # A sentence is no name: authors are a few words, with no sentence punctuation inside.
    if len(text.split()) > 6 or re.search(r"[.!?]\s", text) or not re.search(r"\w", text):
        return ""
    return text


def severity(text: str, allowed: tuple[str, ...]) -> str | None:
    by_number = {re.sub(r"\D", "", slug): slug for slug in allowed if re.sub(r"\D", "", slug)}
    for match in _SEVERITY_RE.finditer(text):
        if match.group(1) in by_number:
            return by_number[match.group(1)]
    return None


def services(text: str) -> tuple[str, ...]:
    match = _SERVICES_RE.search(text)
    if not match:
        return ()
    names = [slugify(part) for part in re.split(r"\s*(?:,|;|/|\band\b)\s*", plain(match.group(1))) if part.strip()]
    return tuple(dict.fromkeys(name for name in names if SLUG_RE.fullmatch(name) and name != "incident"))[:10]


def impact_summary(sections: list[Section]) -> str | None:
    for section in sections:
        if section.kind != "impact":
            continue
        for paragraph in re.split(r"\n\s*\n", section.body):
            text = plain(paragraph)
            if len(text) < 20:
                continue
            return summary_sentences(text)
    return None


def clean_url(url: str) -> str:
    """A URL as written in prose, without the punctuation that ends the sentence or closes a parenthesis the
    URL did not open."""
    url = url.strip().rstrip(".,;:!?'\"")
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(".,;:!?")
    return url


def summary_sentences(text: str) -> str | None:
    """The first one or two sentences of `text` that fit the summary."""
    text = plain(text)
    kept = ""
    for sentence in _SENTENCE_RE.split(text)[:2]:
        if len(kept) + len(sentence) + 1 > SUMMARY_LIMIT:
            break
        kept = f"{kept} {sentence}".strip()
    return kept or (text[: SUMMARY_LIMIT - 1].rsplit(" ", 1)[0] + "…" if text else None)
