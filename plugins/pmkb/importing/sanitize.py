"""No raw HTML in a draft: tags and comments outside code become text, script links lose their target.

Markdown passes raw HTML through to the page, so a `<script>` or an `onclick=` from an imported page (or a
`&lt;script&gt;` that a converter turned back into `<script>`) would run on the site. Escaping `<` outside code
shows the text exactly as the source showed it, which is also right for `<placeholder>` in commands.
"""

from __future__ import annotations

import re

_FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
# `<br>` (no attributes) is kept: it is the only line break a Markdown table cell has, and it runs nothing.
_TAG_START_RE = re.compile(r"<(?=[A-Za-z/!?])(?!(?:https?|mailto|ftp):[^\s<>]*>)(?!br\s*/?>)", re.IGNORECASE)
_SCRIPT_LINK_RE = re.compile(r"(!?\[[^\]]*\])\(\s*<?\s*(?:javascript|vbscript|data|file):[^)]*\)", re.IGNORECASE)
_CODE_SPAN_RE = re.compile(r"(`+)(.+?)\1", re.DOTALL)


def sanitize(markdown: str) -> str:
    out: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        match = _FENCE_RE.match(line)
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            out.append(line)
            continue
        if match:
            fence = match.group(1)
            out.append(line)
            continue
        out.append(_sanitize_line(line))
    return "\n".join(out)


def _sanitize_line(line: str) -> str:
    line = _SCRIPT_LINK_RE.sub(lambda m: m.group(1).lstrip("!"), line)
    pieces: list[str] = []
    position = 0
    for span in _CODE_SPAN_RE.finditer(line):
        pieces.append(_TAG_START_RE.sub("&lt;", line[position : span.start()]))
        pieces.append(span.group(0))
        position = span.end()
    pieces.append(_TAG_START_RE.sub("&lt;", line[position:]))
    return "".join(pieces)


def fenced(text: str, info: str = "text") -> str:
    """`text` as a fenced code block whose fence is longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}"
