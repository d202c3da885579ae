"""Where a section of a rendered page ends, so that pmkb's own content for it joins the author's section."""

from __future__ import annotations

import re

_HEADING_RE = re.compile(r"<h([1-6])\b[^>]*>", re.IGNORECASE)


def split_after_section(html: str, heading_id: str) -> tuple[str, str, bool]:
    """`html` cut at the end of the section whose heading has `heading_id` (before the next heading of the same or a
    higher level): (up to there, the rest, whether the section exists). Without it: (html, "", False).

    MkDocs' HTML escapes `<` in text and code, so a tag found here is a tag."""
    start = re.search(rf'<h([1-6])\b[^>]*\bid="{re.escape(heading_id)}"', html)
    if start is None:
        return html, "", False
    level = int(start.group(1))
    for heading in _HEADING_RE.finditer(html, start.end()):
        if int(heading.group(1)) <= level:
            return html[: heading.start()], html[heading.start() :], True
    return html, "", True
