"""The analyzer of every text field: which words a text has and which terms they become.

Shared by the index, the query parser (a query's words become the same terms) and similar incidents. whoosh's
stop words and Porter stemmer are imported on first use only, so parsing a query stays cheap.
"""

from __future__ import annotations

import re
from collections import Counter

# whoosh's classic token pattern. whoosh-reloaded's default adds `*` to word characters (for wildcards), which
# would index Markdown's `**bold**` as the token `**bold**`, unfindable as `bold`.
_WORD_RE = re.compile(r"\w+(?:\.?\w+)*")
_WHOLE_RE = re.compile(r"\A(?s:.*)")  # the whole text as one match: anchored, so finditer() finds only it
_STEM_CACHE_SIZE = 200_000


class StemmingTextAnalyzer:
    """whoosh's `StemmingAnalyzer()` (RegexTokenizer | LowercaseFilter | StopFilter | StemFilter) in one pass.

    Same tokens, positions renumbered over stop words the same way, but without a generator per filter and with a
    plain dict as stem cache: indexing spends most of its time here, and this makes it about three times faster.
    """

    is_morph = True

    def __init__(self) -> None:
        self._stems: dict[str, str] = {}

    def __getstate__(self) -> dict:
        return {}  # whoosh pickles the schema into the index: leave the cache out

    def __setstate__(self, state: dict) -> None:
        self._stems = {}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def has_morph(self) -> bool:
        return True

    def clean(self) -> None:
        pass

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ):
        token_class, stem, stop_words = _text_tools()
        token = token_class(positions, chars, removestops=removestops, mode=mode, **kwargs)
        stems = self._stems
        if len(stems) > _STEM_CACHE_SIZE:
            stems.clear()
        position = start_pos
        matches = _WORD_RE.finditer(value) if tokenize else _WHOLE_RE.finditer(value)
        for match in matches:
            original = match.group()
            word = original.lower()
            if len(word) < 2 or word in stop_words:
                if removestops:
                    continue
                token.stopped = True
                token.text = word
            else:
                token.stopped = False
                stemmed = stems.get(word)
                if stemmed is None:
                    stemmed = stems[word] = stem(word)
                token.text = stemmed
            token.boost = 1.0
            if keeporiginal:
                token.original = original
            if positions:
                token.pos = position
                position += 1
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token

    def add_term_counts(self, counts: dict[str, int], text: str, weight: int) -> None:
        """Add the stems of `text` to `counts`, each occurrence counting `weight`: the analysis in bulk, without
        tokens (for similar incidents).

        It lower-cases before splitting into words (`__call__` splits first): the same words except around the one
        letter whose lower case is no word character (U+0130, 'İ'). Aligning them would change similar incidents
        (and call for a new `SIMILAR_VERSION`), so it is left as it is.
        """
        _, stem, stop_words = _text_tools()
        stems = self._stems
        for word, n in Counter(_WORD_RE.findall(text.lower())).items():
            if len(word) < 2 or word in stop_words:
                continue
            stemmed = stems.get(word)
            if stemmed is None:
                stemmed = stems[word] = stem(word)
            counts[stemmed] = counts.get(stemmed, 0) + n * weight


_TEXT_TOOLS = None


def _text_tools():
    global _TEXT_TOOLS
    if _TEXT_TOOLS is None:
        from whoosh.analysis import STOP_WORDS, Token
        from whoosh.lang.porter import stem

        _TEXT_TOOLS = (Token, stem, STOP_WORDS)
    return _TEXT_TOOLS


_ANALYZER = StemmingTextAnalyzer()


def text_analyzer() -> StemmingTextAnalyzer:
    """The analyzer of every text field, shared with similar incidents (and its stem cache with them)."""
    return _ANALYZER


def analyze(text: str) -> list[str]:
    """The terms the index holds for `text` as a query: its words, lower case, without stop words, stemmed."""
    return [token.text for token in _ANALYZER(text, mode="query")]
