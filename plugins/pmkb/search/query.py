"""The query language of `pmkb search`: tokenizer, parser, and the small tree a query becomes.

Parsing needs no whoosh index, so a malformed query fails fast. A query shares the index's analyzer
(`pmkb.search.analyzer`: whoosh's stop words and stemmer decide which words a query has and what terms they
become); `pmkb.search.index.translate` turns the tree into a whoosh query.

Query syntax (`pmkb search QUERY`)
----------------------------------

- Free words are ANDed: `boskos crash loop` finds postmortems holding all three words in the title, impact
  summary, action-item titles, body, or among their id, services, tags, causes and owners. Words are stemmed
  (`deploys` finds `deployment`); `"crash loop"` is a phrase; `crash*` a prefix; `*` alone matches everything.
- `field:value` restricts to a field. Keyword fields match whole values, case-insensitively:
  `cause:` (the primary cause only), `contributing:` (contributing causes), `severity:`, `service:`, `tag:`,
  `status:`, `owner:` (an action-item owner), `trigger:`, `detection:`, `id:`. Owners may hold spaces: quote
  them (`owner:"Team Checkout"`); spaces and hyphens are the same (`owner:team-checkout` finds it too).
  A trailing `*` is a prefix (`service:pay*`). Unknown taxonomy values (`cause:deploy`) are errors.
  `title:` searches the title's words only. A word holding a colon after letters must be quoted
  (`"error:timeout"`); URLs (`https://...`) and times (`10:30`) need no quotes.
- `year:2019`, `year:>2020`, `year:>=2020`, `year:<2020`, `year:<=2020`, `year:2019..2021` (inclusive),
  `year:2019..` and `year:..2021`.
- `date:` takes `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, each meaning the whole year, month or day:
  `date:2019-03`, `date:>=2019-06-01`, `date:2019-01-01..2019-06-30`, `date:2019..2021` (1 Jan 2019 to
  31 Dec 2021). `date` is the front matter's day the incident began.
- `severity:SEV1..SEV2` is a range in taxonomy order (most severe first).
- Operators (upper case): `a OR b`, `a AND b`, `NOT a` (or `-a`), and parentheses. Juxtaposition (AND) binds
  loosest, as in whoosh: `cause:x service:a OR service:b` is `cause:x AND (service:a OR service:b)`;
  `cause:x OR contributing:x` finds both roles; `service:(prow OR boskos)` applies a field to a group.

A malformed query raises `QueryError` with a one-line message that quotes the offending part.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pmkb.core.diagnostics import shown
from pmkb.core.fields import POSTMORTEM, Field, keyword_fields
from pmkb.core.taxonomy import Taxonomy
from pmkb.search.analyzer import analyze

# The fields matching whole values come from the declarations (`query`, and each value field of a knowledge base);
# the others are the query language's own.
BUILT_IN_KEYWORDS = keyword_fields(POSTMORTEM)
KEYWORD_FIELDS = tuple(BUILT_IN_KEYWORDS)
TAXONOMY_FIELDS = {name: spec.taxonomy for name, spec in BUILT_IN_KEYWORDS.items() if spec.taxonomy}
QUERY_FIELDS = (*KEYWORD_FIELDS, "id", "title", "year", "date")
# Bounds that keep every step recursive or not (this parser, the translation to whoosh, whoosh's own query
# tree) far from Python's recursion limit and quick: no one writes a query that long or that deep by hand.
MAX_QUERY_LENGTH = 4_000  # characters
MAX_QUERY_DEPTH = 32  # nested parentheses, NOT and '-'
MAX_QUERY_TERMS = 500


class QueryError(ValueError):
    """A malformed query: the message is one line and quotes the offending part."""


def normalize_keyword(value: str) -> str:
    """Keyword values as indexed and queried: lower case, runs of white space as one '-'."""
    return "-".join(str(value).lower().split())


# -- query parsing -----------------------------------------------------------------------------------------------
#
# The parser builds a small tree first (no whoosh needed, so a bad query fails fast), then whoosh queries.


@dataclass(frozen=True)
class TextNode:
    field: str | None  # None: every text field
    text: str  # a word or a phrase, unanalyzed
    prefix: bool = False
    phrase: bool = False


@dataclass(frozen=True)
class KeywordNode:
    field: str
    value: str  # normalized
    prefix: bool = False


@dataclass(frozen=True)
class RangeNode:
    field: str  # year | date | severity_rank
    low: object  # int, datetime or None
    high: object
    high_exclusive: bool = False


@dataclass(frozen=True)
class EveryNode:
    pass


@dataclass(frozen=True)
class BoolNode:
    op: str  # and | or | not
    children: tuple


_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<quote>")
  | (?P<field>[A-Za-z_][A-Za-z0-9_]*):(?=[^\s/])
  | (?P<word>[^\s()"]+)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # lparen rparen phrase word field op minus end
    text: str
    column: int  # 1-based


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(query):
        match = _TOKEN_RE.match(query, position)
        # Every character is covered by one alternative, and each alternative is a named group.
        assert match is not None and match.lastgroup is not None
        kind = match.lastgroup
        column = position + 1
        if query[position] == "-" and position + 1 < len(query) and not query[position + 1].isspace():
            tokens.append(_Token("minus", "-", column))  # `-word`, `-"a phrase"`, `-field:value`, `-(...)`
            position += 1
            continue
        if kind == "quote":
            end = query.find('"', position + 1)
            if end < 0:
                raise QueryError(f"unbalanced quote: the '\"' at column {column} is never closed")
            tokens.append(_Token("phrase", query[position + 1 : end], column))
            position = end + 1
            continue
        position = match.end()
        if kind == "space":
            continue
        if kind == "field":
            name = match.group("field")
            tokens.append(_Token("field", name, column))
        elif kind == "word":
            word = match.group("word")
            if word in ("AND", "OR", "NOT"):
                tokens.append(_Token("op", word, column))
            elif word.endswith(":") and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*:", word) and word[:-1] in QUERY_FIELDS:
                raise QueryError(f"missing value after '{word}' at column {column}")
            else:
                tokens.append(_Token("word", word, column))
        else:
            tokens.append(_Token(kind, match.group(kind), column))
    tokens.append(_Token("end", "", len(query) + 1))
    return tokens


@dataclass
class QueryContext:
    """What a query is checked against: the fields (the knowledge base's own too), their values, severity order."""

    taxonomy: Taxonomy | None = None
    keywords: dict[str, Field] = field(init=False)
    fields: tuple[str, ...] = field(init=False)  # every field a query may name

    def __post_init__(self) -> None:
        self.keywords = keyword_fields(self.taxonomy.front_matter) if self.taxonomy else BUILT_IN_KEYWORDS
        self.fields = (*self.keywords, *(name for name in QUERY_FIELDS if name not in self.keywords))

    def allowed(self, query_field: str) -> tuple[str, ...] | None:
        spec = self.keywords.get(query_field)
        if spec is None or (spec.taxonomy and self.taxonomy is None):
            return None
        if spec.taxonomy and self.taxonomy is not None:
            return self.taxonomy.slugs(spec.taxonomy)
        # A built-in enum (status) finds nothing when mistyped, as before; a knowledge base's own choice is checked.
        return None if spec.query else spec.choices or None

    def severity_rank(self, value: str) -> int | None:
        if self.taxonomy is None:
            return None
        for rank, slug in enumerate(self.taxonomy.slugs("severities")):
            if slug.lower() == value.lower():
                return rank
        return None


class _Parser:
    def __init__(self, query: str, context: QueryContext) -> None:
        self.query = query
        self.context = context
        self.tokens = _tokenize(query)
        self.index = 0
        self.depth = 0
        terms = sum(token.kind in ("word", "phrase") for token in self.tokens)
        if terms > MAX_QUERY_TERMS:
            raise QueryError(f"query has {terms} terms; at most {MAX_QUERY_TERMS} allowed")

    def deeper(self, token: _Token) -> None:
        """One more level of nesting, refused past MAX_QUERY_DEPTH at the token that opens it."""
        self.depth += 1
        if self.depth > MAX_QUERY_DEPTH:
            raise QueryError(
                f"query nested deeper than {MAX_QUERY_DEPTH} levels at column {token.column} (parentheses, NOT and '-')"
            )

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self):
        node = self.sequence(None)
        end = self.peek()
        if end.kind == "rparen":
            raise QueryError(f"unbalanced parenthesis: the ')' at column {end.column} has no matching '('")
        return node

    def sequence(self, default_field: str | None):
        """Juxtaposed expressions, ANDed (the loosest binding)."""
        children = []
        while self.peek().kind not in ("end", "rparen"):
            children.append(self.or_expression(default_field))
        if not children:
            return None
        return children[0] if len(children) == 1 else BoolNode("and", tuple(children))

    def or_expression(self, default_field: str | None):
        children = [self.and_expression(default_field)]
        while self.peek().kind == "op" and self.peek().text == "OR":
            operator = self.take()
            children.append(self.operand(operator, default_field, self.and_expression))
        return children[0] if len(children) == 1 else BoolNode("or", tuple(children))

    def and_expression(self, default_field: str | None):
        children = [self.unary(default_field)]
        while self.peek().kind == "op" and self.peek().text == "AND":
            operator = self.take()
            children.append(self.operand(operator, default_field, self.unary))
        return children[0] if len(children) == 1 else BoolNode("and", tuple(children))

    def operand(self, operator: _Token, default_field: str | None, parse):
        following = self.peek()
        if following.kind in ("end", "rparen") or (following.kind == "op" and following.text != "NOT"):
            raise QueryError(f"'{operator.text}' at column {operator.column} needs a term on both sides")
        return parse(default_field)

    def unary(self, default_field: str | None):
        token = self.peek()
        if (token.kind == "op" and token.text == "NOT") or token.kind == "minus":
            self.take()
            following = self.peek()
            if following.kind in ("end", "rparen", "op") and not (following.kind == "op" and following.text == "NOT"):
                raise QueryError(f"'{token.text}' at column {token.column} must be followed by a term")
            self.deeper(token)
            node = BoolNode("not", (self.unary(default_field),))
            self.depth -= 1
            return node
        return self.atom(default_field)

    def atom(self, default_field: str | None):
        token = self.take()
        if token.kind == "lparen":
            self.deeper(token)
            node = self.sequence(default_field)
            self.depth -= 1
            closing = self.take()
            if closing.kind != "rparen":
                raise QueryError(f"unbalanced parenthesis: the '(' at column {token.column} is never closed")
            if node is None:
                raise QueryError(f"empty parentheses at column {token.column}")
            return node
        if token.kind == "op":
            raise QueryError(f"'{token.text}' at column {token.column} needs a term on both sides")
        if token.kind == "field":
            return self.fielded(token)
        if token.kind in ("word", "phrase"):
            return self.value(default_field, token.text, token.kind == "phrase", token)
        raise QueryError(f"unexpected '{token.text}' at column {token.column}")  # pragma: no cover

    def fielded(self, token: _Token):
        name = token.text
        if name not in self.context.fields:
            raise QueryError(self.unknown_field(name, token))
        value = self.peek()
        if value.kind == "lparen":
            return self.atom(name)
        if value.kind not in ("word", "phrase") or value.column != token.column + len(name) + 1:
            raise QueryError(f"missing value after '{name}:' at column {token.column}")
        self.take()
        return self.value(name, value.text, value.kind == "phrase", token)

    def unknown_field(self, name: str, token: _Token) -> str:
        shown = self.query[token.column - 1 :].split()[0] if self.query[token.column - 1 :].strip() else name
        close = difflib.get_close_matches(name.lower(), self.context.fields, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown field '{name}' in '{shown}'{hint}; fields: {', '.join(sorted(self.context.fields))}"

    def value(self, query_field: str | None, text: str, phrase: bool, token: _Token):
        shown = f"{query_field}:{text}" if query_field else text
        if query_field is None or query_field == "title":
            if text == "*" and not phrase:
                return EveryNode()
            prefix = not phrase and len(text) > 1 and text.endswith("*")
            return TextNode(query_field, text[:-1] if prefix else text, prefix=prefix, phrase=phrase)
        if query_field == "year":
            return _year_range(text, shown)
        if query_field == "date":
            return _date_range(text, shown)
        if query_field == "severity" and ".." in text and not phrase:
            return self.severity_range(text, shown)
        prefix = not phrase and text.endswith("*")
        value = normalize_keyword(text[:-1] if prefix else text)
        if not value:
            raise QueryError(f"missing value in '{shown}'")
        if query_field == "id":
            return KeywordNode("id", value, prefix)
        allowed = self.context.allowed(query_field)
        if allowed is not None and not prefix and value not in {a.lower() for a in allowed}:
            kind = (
                "severity" if query_field == "severity" else TAXONOMY_FIELDS.get(query_field, query_field).rstrip("s")
            )
            if query_field in ("cause", "contributing"):
                kind = "cause"
            raise QueryError(f"unknown {kind} '{text}' in '{shown}'; allowed: {', '.join(allowed)}")
        return KeywordNode(query_field, value, prefix)

    def severity_range(self, text: str, shown: str):
        low_text, _, high_text = text.partition("..")
        ranks = []
        for part in (low_text, high_text):
            rank = self.context.severity_rank(part) if part else None
            if part and rank is None:
                allowed = ", ".join(self.context.taxonomy.slugs("severities")) if self.context.taxonomy else ""
                raise QueryError(f"unknown severity '{part}' in '{shown}'; allowed: {allowed}")
            ranks.append(rank)
        low, high = ranks
        if low is None and high is None:
            raise QueryError(f"empty range in '{shown}': give at least one end (SEV1..SEV2, ..SEV2)")
        if low is not None and high is not None and low > high:
            low, high = high, low
        return RangeNode("severity_rank", low, high)


_COMPARISON_RE = re.compile(r"^(>=|<=|>|<)(.+)$")


def _split_range(text: str) -> tuple[str, str | None, str | None] | None:
    """('range', low, high) for `a..b`, ('>=', value, None) for comparisons, None for a single value."""
    if ".." in text:
        low, _, high = text.partition("..")
        return "range", low or None, high or None
    match = _COMPARISON_RE.match(text)
    if match:
        return match.group(1), match.group(2), None
    return None


def _year_range(text: str, shown: str) -> RangeNode:
    def year(value: str) -> int:
        if not re.fullmatch(r"\d{1,4}", value) or int(value) < 1:
            raise QueryError(
                f"bad year '{value}' in '{shown}': use a year (2019), a range (2019..2021) "
                "or a comparison (>2020, >=2020, <2020, <=2020)"
            )
        return int(value)

    split = _split_range(text)
    if split is None:
        value = year(text)
        return RangeNode("year", value, value)
    kind, first, second = split
    if kind == "range":
        if first is None and second is None:
            raise QueryError(f"empty range in '{shown}': give at least one end (2019.. or ..2021)")
        low = year(first) if first else None
        high = year(second) if second else None
        if low is not None and high is not None and low > high:
            raise QueryError(f"empty range in '{shown}': {low} is after {high}")
        return RangeNode("year", low, high)
    assert first is not None
    value = year(first)
    return {
        ">": RangeNode("year", value + 1, None),
        ">=": RangeNode("year", value, None),
        "<": RangeNode("year", None, value - 1),
        "<=": RangeNode("year", None, value),
    }[kind]


def _period(value: str, shown: str) -> tuple[datetime, datetime]:
    """The [start, end) of `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, as naive datetimes (midnight UTC)."""
    try:
        if re.fullmatch(r"\d{4}", value):
            year = int(value)
            return datetime(year, 1, 1), datetime(year + 1, 1, 1) if year < 9999 else datetime.max
        if re.fullmatch(r"\d{4}-\d{2}", value):
            year, month = map(int, value.split("-"))
            start = datetime(year, month, 1)
            end = datetime(year + (month == 12), month % 12 + 1, 1) if (year, month) != (9999, 12) else datetime.max
            return start, end
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            start = datetime.combine(date.fromisoformat(value), datetime.min.time())
            return start, start + timedelta(days=1) if start.date() < date.max else datetime.max
    except ValueError:
        pass
    raise QueryError(
        f"bad date '{value}' in '{shown}': use YYYY, YYYY-MM or YYYY-MM-DD, a range (2019-01..2019-06) "
        "or a comparison (>=2019-06-01)"
    )


def _date_range(text: str, shown: str) -> RangeNode:
    split = _split_range(text)
    if split is None:
        start, end = _period(text, shown)
        return RangeNode("date", start, end, high_exclusive=True)
    kind, first, second = split
    if kind == "range":
        if first is None and second is None:
            raise QueryError(f"empty range in '{shown}': give at least one end (2019-01-01.. or ..2019-06)")
        low = _period(first, shown)[0] if first else None
        high = _period(second, shown)[1] if second else None
        if low is not None and high is not None and low >= high:
            raise QueryError(f"empty range in '{shown}': {first} is after {second}")
        return RangeNode("date", low, high, high_exclusive=True)
    assert first is not None
    start, end = _period(first, shown)
    return {
        ">": RangeNode("date", end, None),
        ">=": RangeNode("date", start, None),
        "<": RangeNode("date", None, start, high_exclusive=True),
        "<=": RangeNode("date", None, end, high_exclusive=True),
    }[kind]


@dataclass(frozen=True)
class ParsedQuery:
    """A checked query: its tree, ready to become a whoosh query against an index."""

    text: str
    tree: object

    def highlight_terms(self) -> frozenset[str]:
        """The analyzed words to highlight in snippets (free and title words outside NOT)."""
        terms: set[str] = set()
        _collect_terms(self.tree, terms)
        return frozenset(terms)


def parse_query(query: str, taxonomy: Taxonomy | None = None) -> ParsedQuery:
    """Check and parse `query` (see the module docstring). Raises `QueryError` on a malformed query."""
    if not query.strip():
        raise QueryError("empty query: give words to search for, or fields such as cause:deployment")
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(f"query is {len(query)} characters long; at most {MAX_QUERY_LENGTH} allowed")
    tree = _Parser(query, QueryContext(taxonomy)).parse()
    if tree is None:
        raise QueryError("empty query: give words to search for, or fields such as cause:deployment")
    if not _has_positive_content(tree):
        raise QueryError(
            f"nothing to search for in '{shown(query)}': its words are too common to be indexed or only excluded (NOT)"
        )
    return ParsedQuery(query, tree)


def _analyze(text: str) -> list[str]:
    return analyze(text)  # the index's analyzer: whoosh's stop words and stemmer decide a query's terms


def _has_positive_content(node) -> bool:
    if isinstance(node, TextNode):
        return node.prefix or bool(_analyze(node.text))
    if isinstance(node, BoolNode):
        if node.op == "not":
            return True  # `NOT x` alone means everything but x
        return any(_has_positive_content(child) for child in node.children)
    return True


def _collect_terms(node, terms: set[str], negated: bool = False) -> None:
    if isinstance(node, TextNode) and not negated and not node.prefix:
        terms.update(_analyze(node.text))
    elif isinstance(node, BoolNode):
        for child in node.children:
            _collect_terms(child, terms, negated or node.op == "not")
