"""What counts as printable single-line text, and how to show a character that is not.

Text fields (titles, owners, summaries) reach terminals, CI logs, GitHub annotations, HTML and JSON. YAML's
double-quoted escapes (`\\e`, `\\a`, `\\0`, `\\N`, `\\L`, `\\ud800`) can put any code point in them, so the
validator asks this module whether a value is text a reader can see on one line, and says which character is
not in one clear message. File names go through the same test (`unsafe_character`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# What str.splitlines() splits at, and YAML 1.1 reads as line breaks (NEL, LS, PS) even when written raw.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
# Characters that YAML 1.1 (PyYAML) accepts raw in a file and reads as a line break, while MkDocs and every
# editor count only \n, \r and \r\n as new lines: positions after one would be off by a line.
YAML_ONLY_LINE_BREAKS = frozenset("\x85\u2028\u2029")
# Bidirectional embeddings, overrides and isolates reorder how the text around them is shown ("Trojan
# source"); the marks (LRM, RLM, ALM) only nudge neutral characters, and right-to-left text needs them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Characters that render as nothing or as blank space although they are neither white space nor format
# characters (category Cf, all invisible): fillers that make a "non-empty" title look empty.
INVISIBLE_FILLERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180e\u2800\u3164\uffa0")


@dataclass(frozen=True, slots=True)
class TextProblem:
    """Why a text value is not printable single-line text: the offending character and its index."""

    kind: str  # "line break", "control character", "bidirectional control", "lone surrogate", "invisible"
    char: str
    index: int

    def describe(self) -> str:
        """`a line break (U+0085 NEXT LINE)`, as a message says it."""
        article = "an" if self.kind[0] in "aeiou" else "a"
        return f"{article} {self.kind} ({code_point(self.char)})"

    def message(self, where: str) -> str:
        """The one-line diagnostic for the text field `where`, naming the character and where it is."""
        if self.kind == "invisible":
            return f"{where} must not be empty: it holds only invisible characters such as {code_point(self.char)}"
        return f"{where} holds {self.describe()} at character {self.index + 1}: text must be printable and on one line"


def code_point(char: str) -> str:
    """`U+001B ESCAPE`: the code point and, where Unicode gives one, its name (controls have none: an alias)."""
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "")
    return f"U+{ord(char):04X}{' ' + name if name else ''}"


def unsafe_character(text: str) -> TextProblem | None:
    """The first character that could break a line or drive a terminal, or None. Fast on ordinary text."""
    if text.isprintable():  # no Cc, Cf, Cs, Zl, Zp, Zs other than ' ' (the common case, in C)
        return None
    for index, char in enumerate(text):
        kind = _unsafe_kind(char)
        if kind:
            return TextProblem(kind, char, index)
    return None


def _unsafe_kind(char: str) -> str | None:
    if char in LINE_BREAKS:
        return "line break"
    if char in BIDI_CONTROLS:
        return "bidirectional control"
    category = unicodedata.category(char)
    if category == "Cc":
        return "control character"
    if category == "Cs":
        return "lone surrogate"
    return None


def is_invisible(char: str) -> bool:
    """White space, format characters (zero-width spaces and joiners, BOM, word joiner) and blank fillers."""
    return char.isspace() or char in INVISIBLE_FILLERS or unicodedata.category(char) in ("Cf", "Zs", "Zl", "Zp", "Cc")


def text_problem(text: str) -> TextProblem | None:
    """Why `text` (already stripped of surrounding white space) is not printable single-line text, or None.

    Text must not hold line breaks, control characters, bidirectional overrides or lone surrogates, and must
    hold at least one visible character: a title of zero-width spaces is empty.
    """
    problem = unsafe_character(text)
    if problem is not None:
        return problem
    if text and all(is_invisible(char) for char in text):
        first = next((char for char in text if not char.isspace()), text[0])
        return TextProblem("invisible", first, text.index(first))
    return None


def escaped(text: str) -> str:
    """`text` with every unsafe character spelled out (`\\x1b`, `\\u2028`, `\\udcff`); the rest unchanged.

    Unlike `unicode_escape` on the whole string, readable non-ASCII text (é, 北京) stays as it is.
    """
    if unsafe_character(text) is None:
        return text
    return "".join(_escape(char) if _unsafe_kind(char) else char for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CONTROL_NAMES = {
    "\x00": "NULL",
    "\x07": "BELL",
    "\x08": "BACKSPACE",
    "\t": "CHARACTER TABULATION",
    "\n": "LINE FEED",
    "\x0b": "LINE TABULATION",
    "\x0c": "FORM FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
    "\x85": "NEXT LINE",
    "\x9b": "CONTROL SEQUENCE INTRODUCER",
}
