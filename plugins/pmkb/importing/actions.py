"""Action items from the follow-up sections (Action items, Corrective measures, Recommendations, Follow-ups).

An item is a top-level list item of such a section (its sub-items stay in the body), or, in a section written
as prose, a sentence that commits to something ("will", "has been", "we are working on"). The title is the
item's text without its link markup, cut at a sentence end to fit; the link is its first tracker URL; the owner
is only one the text names as such (`owner: X`, `assigned to X`, `@x will`); the status is done / in-progress /
wont-do when the words say so, else open.
"""

from __future__ import annotations

import re

from pmkb.core.fields import ACTION_ITEM

from .details import clean_url
from .model import ActionItem, Section

TITLE_LIMIT = ACTION_ITEM.child("title").max_length or 300  # type: ignore[union-attr]
OWNER_LIMIT = ACTION_ITEM.child("owner").max_length or 100  # type: ignore[union-attr]
_ITEM_RE = re.compile(r"^(\s*)(?:[-*+•]|\d{1,3}[.)])\s+(?:\[( |x|X)\]\s+)?(.*)$")
_TASK_RE = re.compile(r"^(\s*)\[( |x|X)\]\s+(.*)$")  # a task list written without bullets
_LINK_RE = re.compile(r"\[([^\]]*)\]\((https?://[^)\s]+)\)")
_URL_RE = re.compile(r"https?://[^\s)\]>]+")
_TRACKER_RE = re.compile(
    r"/(?:issues?|pull|bugs?|browse|tickets?|T\d+|\+bug)/?|bugzilla|jira|phabricator|/T\d+\b", re.I
)
_OWNER_RE = re.compile(
    r"\b(?:owner|owners|assignee|assigned to|owned by)\s*[:=]?\s*(@?[\w.-]+(?:\s+[A-Z][\w.-]+)?)"
    r"|((?:@[\w.-]+(?:\s*(?:,|&|and)\s*)?)+)\s+(?:will|has|have|is|are|to|owns?)\b",
    re.IGNORECASE,
)
# "done" only as a status word ("(done)", "Done:", "... fixed."), never "the upgrade was done on codfw1dev first".
_DONE_RE = re.compile(
    r"[(\[](?:done|fixed|completed)[)\]]|^(?:done|fixed|completed)\b|\b(?<!being )(?:done|fixed|completed)\.?$"
    r"|\b(?:has|have) been (?!\w+ed by\b)\w+ed\b|\bwas (?:reverted|fixed|deactivated)\b",
    re.I,
)
_PROGRESS_RE = re.compile(
    r"\b(?:in progress|in-progress|ongoing|(?:are|is) (?:now |also |still )*(?:working|evaluating))\b", re.I
)
_WONT_RE = re.compile(r"\b(?:won'?t (?:do|fix)|wontfix|will not be done)\b", re.I)
_COMMIT_RE = re.compile(
    r"\b(?:will|should|must|has been|have been|need(?:s)? to|plan to|are (?:now |also |still )*"
    r"(?:working|evaluating)|is (?:now |being )?(?:working|evaluating))\b",
    re.I,
)
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def extract(sections: list[Section]) -> list[ActionItem]:
    items: list[ActionItem] = []
    for section in sections:
        if section.kind != "action-items":
            continue
        tabled = _table_items(section.body)
        if tabled:
            items.extend(tabled)
            continue
        listed = _list_items(section.body)
        texts = listed if listed else _commitments(section.body)
        items.extend(_item(text, checked) for text, checked in texts)
    return [item for item in items if item.title]


# A table of action items: its header names the columns (`Action | Owner | Ticket | Status`).
_COLUMNS = {
    "title": re.compile(
        r"^(?:action(?: items?)?|items?|tasks?|title|description|what|follow[- ]?ups?|remediation|todo)$"
    ),
    "owner": re.compile(r"^(?:owners?|assignees?|assigned(?: to)?|who|responsible|team)$"),
    "link": re.compile(r"^(?:tickets?|issues?|links?|jira|tracker|bugs?|tracking|pr)$"),
    "status": re.compile(r"^(?:status|state|done\??|progress)$"),
}
_TABLE_ROW_RE = re.compile(r"^\s*\|(.*)\|\s*$")
_RULE_RE = re.compile(r"^[\s|:-]+$")
_STATUS_WORDS = (
    (
        "done",
        re.compile(
            r"\b(?:done|complete[d]?|closed|fixed|resolved|finished|shipped|merged)\b"
            r"|^\s*(?:yes|x|✅|✔)\s*$",
            re.I,
        ),
    ),
    ("wont-do", re.compile(r"won'?t|wontfix|cancel+ed|rejected|dropped|not planned", re.I)),
    ("in-progress", re.compile(r"progress|ongoing|started|wip|doing|review", re.I)),
)


def _cells(line: str) -> list[str] | None:
    match = _TABLE_ROW_RE.match(line)
    if not match:
        return None
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", match.group(1))]


def _table_items(body: str) -> list[ActionItem]:
    items: list[ActionItem] = []
    columns: dict[str, int] | None = None
    for line in body.split("\n"):
        cells = _cells(line)
        if cells is None:
            columns = None
            continue
        if _RULE_RE.match(line):
            continue
        if columns is None:
            names = [re.sub(r"[*_`]", "", cell).strip().lower() for cell in cells]
            found = {}
            for key, pattern in _COLUMNS.items():
                index = next((i for i, name in enumerate(names) if pattern.match(name)), None)
                if index is not None:
                    found[key] = index
            columns = found if "title" in found else {}
            continue
        if not columns:
            continue
        row = {key: cells[index] if index < len(cells) else "" for key, index in columns.items()}
        row.update({key: "" for key in _COLUMNS if key not in row})

        def cell(key: str, row: dict[str, str] = row) -> str:
            return row[key]

        text = _brs(cell("title"))
        if not text.strip():
            continue
        parsed = _item(text, False)
        named = _brs(re.sub(r"[*_`]", "", _LINK_RE.sub(lambda m: m.group(1), cell("owner")))).strip(" @")
        owner = named if named and named.lower() not in ("-", "n/a", "tbd", "none", "?") else None
        status_text = _brs(cell("status"))
        status = next((name for name, pattern in _STATUS_WORDS if pattern.search(status_text)), None)
        links = [url for _, url in _LINK_RE.findall(cell("link"))] + _URL_RE.findall(cell("link"))
        items.append(
            ActionItem(
                title=parsed.title,
                owner=(owner[:OWNER_LIMIT] if owner else parsed.owner),
                status=status or (parsed.status if not status_text.strip() else "open"),
                link=(clean_url(links[0]) if links else parsed.link),
            )
        )
    return items


def _brs(text: str) -> str:
    return " ".join(re.sub(r"<br\s*/?>", " ", text, flags=re.I).split())


def _list_items(body: str) -> list[tuple[str, bool]]:
    items: list[tuple[str, bool]] = []
    base: int | None = None
    for line in body.split("\n"):
        match = _ITEM_RE.match(line) or _TASK_RE.match(line)
        if not match:
            continue
        indent = len(match.group(1))
        base = indent if base is None else base
        if indent <= base:
            items.append((match.group(3).strip(), (match.group(2) or "").lower() == "x"))
    return items


def _commitments(body: str) -> list[tuple[str, bool]]:
    text = " ".join(line.strip().lstrip(">").strip() for line in body.split("\n") if not line.startswith("```"))
    return [(sentence.strip(), False) for sentence in _SENTENCE_RE.split(text) if _COMMIT_RE.search(sentence)]


def _item(text: str, checked: bool) -> ActionItem:
    links = [url for _, url in _LINK_RE.findall(text)] + _URL_RE.findall(text)
    tracker = next((clean_url(url) for url in links if _TRACKER_RE.search(url)), None)
    plain = _LINK_RE.sub(lambda m: m.group(1), text)
    plain = re.sub(r"\(\s*#?\d+\s*\)\s*$", "", plain)  # "(#11956)" once its link is gone
    plain = re.sub(r"\*\*|__|`", "", plain)
    # The owner, the status and bare URLs have their own keys; the title says what will be done.
    plain = _URL_RE.sub("", plain)
    plain = re.sub(
        r"[(\[]\s*(?:owner|assignee|assigned to)\s*:?[^)\]]*[)\]]|,?\s*owner\s*:\s*@?[\w.-]+\s*$", "", plain, flags=re.I
    )
    plain = re.sub(r"\s*[(\[](?:done|fixed|completed)[)\]]\s*$", "", plain, flags=re.I)
    owner_source = _LINK_RE.sub(lambda m: m.group(1), text)
    plain = " ".join(plain.split()).rstrip(" ,;")
    owner = _owner(owner_source)
    status_source = _LINK_RE.sub(lambda m: m.group(1), text).strip()
    plain = " ".join(plain.split()).rstrip(" ,;")
    if checked or _DONE_RE.search(status_source):
        status = "done"
    elif _WONT_RE.search(status_source):
        status = "wont-do"
    elif _PROGRESS_RE.search(status_source):
        status = "in-progress"
    else:
        status = "open"
    return ActionItem(title=_shorten(plain, TITLE_LIMIT), owner=owner, status=status, link=tracker)


def _owner(text: str) -> str | None:
    match = _OWNER_RE.search(text)
    if not match:
        return None
    found = match.group(1) or match.group(2)
    names = [name.lstrip("@") for name in re.split(r"\s*(?:,|&|\band\b)\s*", found.strip()) if name.strip()]
    owner = ", ".join(names)
    return owner[:OWNER_LIMIT] if owner else None


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    sentences = _SENTENCE_RE.split(text)
    kept = ""
    for sentence in sentences:
        if len(kept) + len(sentence) + 1 > limit:
            break
        kept = f"{kept} {sentence}".strip()
    return kept or text[: limit - 1].rsplit(" ", 1)[0] + "…"
