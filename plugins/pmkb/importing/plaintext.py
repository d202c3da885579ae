"""Plain text (wiki pages copied as text, Phabricator and DokuWiki markup, quoted mail) -> Markdown.

Plain text has no markup for headings, so a heading is a short line that reads like one: it starts with a
capital, has no sentence punctuation at its end, is not `key: value`, follows a blank line or the end of a
sentence, and is followed by more text. DokuWiki (`===== Title =====`) headings and `*`, `**`, `•`, `-`, `1.`
bullets are read as such; runs of IRC-style chat lines become a code block.
"""

from __future__ import annotations

import re

from .sanitize import fenced

_WIKI_HEADING_RE = re.compile(r"^\s*(={2,6})\s*(.+?)\s*={2,6}\s*$")
_BULLET_RE = re.compile(r"^(\s*)(\*{1,4}|[•◦▪·‣–+-]|\d{1,3}[.)])\s+(.*)$")
_CHAT_RE = re.compile(
    r"^\s*\[?\(?\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp][Mm])?\]?\)?\s*<[^>\s]{1,40}>\s|^\s*<[^>\s]{1,40}>\s"
)
_SETEXT_RE = re.compile(r"^\s{0,3}(?:={3,}|-{3,})\s*$")  # a heading's underline in plain text and e-mail
_KEY_VALUE_RE = re.compile(r"^[A-Z][\w /-]{0,30}:\s+\S")
_END_OF_SENTENCE = (".", "!", "?", ":", ";")


def looks_like_heading(line: str, previous: str, following: str) -> bool:
    text = line.strip()
    if not text or not following.strip() or len(text) > 80 or len(text.split()) > 10:
        return False
    if not (text[0].isupper() or text[0].isdigit()) or text.endswith((*_END_OF_SENTENCE, ",")):
        return False
    if "://" in text or _KEY_VALUE_RE.match(text) or _BULLET_RE.match(line) or text.startswith(("|", ">")):
        return False
    prev = previous.strip()
    return not prev or prev.endswith(_END_OF_SENTENCE) or bool(_BULLET_RE.match(previous))


def to_markdown(text: str, title_from_first_line: bool = True) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4).split("\n")
    out: list[str] = []
    chat: list[str] = []
    list_indents: list[int] = []

    def flush_chat() -> None:
        if len(chat) >= 2:
            out.extend(["", fenced("\n".join(chat)), ""])
        else:
            out.extend(_paragraph_line(line) for line in chat)
        chat.clear()

    first_content = next((index for index, line in enumerate(lines) if line.strip()), None)
    underlined = False
    for index, line in enumerate(lines):
        previous = lines[index - 1] if index else ""
        following = next((candidate for candidate in lines[index + 1 :] if candidate.strip()), "")
        if _CHAT_RE.match(line):
            chat.append(line.rstrip())
            continue
        flush_chat()
        if not line.strip():
            out.append("")
            list_indents.clear()
            continue
        if _SETEXT_RE.match(line) and underlined:
            underlined = False
            continue  # the underline of the heading just written
        after = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() and len(line.strip()) <= 80 and _SETEXT_RE.match(after) and not _BULLET_RE.match(line):
            level = 1 if index == first_content and after.strip()[0] == "=" and title_from_first_line else 2
            out.extend(["", "#" * level + " " + line.strip(), ""])
            underlined = True
            list_indents.clear()
            continue
        wiki = _WIKI_HEADING_RE.match(line)
        if wiki:
            level = max(2, 7 - len(wiki.group(1)))  # DokuWiki: more '=' is a higher level
            out.extend(["", "#" * level + " " + wiki.group(2), ""])
            list_indents.clear()
            continue
        if index == first_content and title_from_first_line and _title_line(line, following):
            out.extend(["# " + line.strip(), ""])
            continue
        bullet = _BULLET_RE.match(line)
        if bullet:
            depth = _depth(bullet, list_indents)
            marker = "1." if bullet.group(2)[0].isdigit() else "-"
            if not out or (out[-1].strip() and not out[-1].lstrip().startswith(("-", "1."))):
                out.append("")
            out.append("    " * depth + f"{marker} {bullet.group(3).strip()}")
            continue
        if looks_like_heading(line, previous, following):
            out.extend(["", "## " + line.strip(), ""])
            list_indents.clear()
            continue
        if out and out[-1].strip() and (out[-1].rstrip().endswith(_END_OF_SENTENCE) or _is_list(out[-1])):
            out.append("")  # a new paragraph: the line before ended a sentence, or was a list item
        out.append(_paragraph_line(line))
    flush_chat()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


def _title_line(line: str, following: str) -> bool:
    text = line.strip()
    return bool(following) and len(text) <= 200 and not text.endswith((".", ":", ",")) and not _BULLET_RE.match(line)


def _depth(bullet: re.Match[str], indents: list[int]) -> int:
    marker = bullet.group(2)
    if marker.startswith("*") and len(marker) > 1:  # Phabricator / DokuWiki: ** is the second level
        return len(marker) - 1
    indent = len(bullet.group(1))
    while indents and indent < indents[-1]:
        indents.pop()
    if not indents or indent > indents[-1]:
        indents.append(indent)
    return len(indents) - 1


def _is_list(line: str) -> bool:
    return bool(re.match(r"^\s*(?:-|\d+\.)\s", line))


def _paragraph_line(line: str) -> str:
    text = line.strip()
    if text.startswith("#"):
        text = "\\" + text  # a literal '#', not a heading
    return text
