"""`pmkb search QUERY [--limit N] [--json] [--facets]`: search past incidents."""

from __future__ import annotations

import argparse
import json
import os
import sys

EPILOG = """\
query syntax:
  free words are ANDed and stemmed; "a phrase"; prefix*; * alone matches everything
  cause:deployment        the primary cause      contributing:monitoring-gap   a contributing cause
  severity:sev1           any case               severity:SEV1..SEV2           a range, most severe first
  service:boskos  tag:kubernetes  status:published  trigger:code-deploy  detection:alert  id:2019-03-25-x
  owner:"Team Checkout"   quote owners with spaces (spaces and '-' are the same: owner:team-checkout)
  title:word              words of the title only
  year:2019  year:>2020  year:>=2020  year:<2020  year:<=2020  year:2019..2021  year:2019..  year:..2021
  date:2019-03-25  date:2019-03  date:2019  date:>=2019-06-01  date:2019-01-01..2019-06-30  (whole days,
                          months or years, inclusive: date:2019..2021 is 1 Jan 2019 to 31 Dec 2021)
  a OR b   a AND b   NOT a   -a   ( ... )   field:(a OR b)
                          juxtaposition binds loosest: cause:x service:a OR service:b
                          is cause:x AND (service:a OR service:b)

examples:
  pmkb search boskos crash loop
  pmkb search 'cause:expiry OR contributing:expiry' year:>=2020
  pmkb search 'service:(payments OR billing)' severity:SEV1 --facets
  pmkb search '*' --facets --limit 0

output: one block per hit, best match first (ties: newest first): id, title, date, severity, cause, path and a
snippet with the matched words highlighted (in colour on a terminal, [like this] otherwise).
--json prints a JSON array of {id, title, date, severity, cause, services, path, score}; with --facets it prints
an object {"total": N, "hits": [...], "facets": {"cause": {...}, "severity": {...}, "service": {...}}}.
Facet counts cover every match, not only the hits shown.

exit status: 0 hits found, 1 no hits, 2 malformed query, usage or index error.
The index lives in .cache/pmkb/search/ next to mkdocs.yml and is brought up to date on every search (only new,
changed or deleted files are re-indexed); delete that folder or use --rebuild to start over.
"""

BOLD, DIM, HIGHLIGHT, RESET = "\033[1m", "\033[2m", "\033[1;33m", "\033[0m"


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number: '{text}'") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def register(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("query", nargs="+", metavar="QUERY", help="words and field:value terms (see below)")
    parser.add_argument("--limit", type=_limit, default=10, metavar="N", help="show at most N hits (default: 10)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--facets",
        action="store_true",
        help="also count the matches by cause, severity, service and this knowledge base's own facet fields",
    )
    parser.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="highlight in colour (default: auto)"
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the index from scratch first")
    parser.add_argument("-v", "--verbose", action="store_true", help="report what the index update did")


def _use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def _fail(message: str, code: int) -> int:
    from pmkb.core.diagnostics import terminal_line

    print(f"pmkb search: {terminal_line(message)}", file=sys.stderr)  # it may quote the query
    return code


def run(args: argparse.Namespace) -> int:
    from pmkb.cli.project import find_project
    from pmkb.search.index import SearchIndex, SearchIndexError
    from pmkb.search.query import QueryError, parse_query

    query = " ".join(args.query)
    project = find_project(args.config_file)
    index = SearchIndex.for_project(project)
    try:
        parsed = parse_query(query, index.taxonomy)
    except QueryError as error:
        return _fail(f"error: {error}", 2)
    try:
        results = index.search(
            parsed,
            limit=max(args.limit, 1),
            facets=args.facets,
            snippets=not args.json and args.limit > 0,
            rebuild=args.rebuild,
        )
    except SearchIndexError as error:
        return _fail(f"error: {error}", 2)
    hits = results.hits[: args.limit]
    if args.verbose or results.report.stale or results.report.repaired:
        print(f"pmkb {results.report.summary()}", file=sys.stderr)
    if args.json:
        data = [hit.as_json() for hit in hits]
        if args.facets:
            facets = {name: dict(values) for name, values in (results.facets or {}).items()}
            print(json.dumps({"total": results.total, "hits": data, "facets": facets}, indent=2, ensure_ascii=False))
        else:
            print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        color = _use_color(args.color)
        print(_format_text(hits, color), end="")
        if args.facets:
            print(_format_facets(results, color), end="")
    if not results.total:
        from pmkb.core.diagnostics import shown

        return _fail(f"no postmortem matches '{shown(query, 200)}'", 1)
    if not args.json and results.total > len(hits) and args.limit:
        print(f"pmkb search: {results.total} matches, {len(hits)} shown (use --limit)", file=sys.stderr)
    return 0


def _format_text(hits, color: bool) -> str:
    # Everything printed comes from files: a body may hold an escape sequence a terminal would obey, and an id
    # could start a GitHub workflow command, so each piece is made safe (pmkb.core.diagnostics).
    from pmkb.core.diagnostics import command_safe, terminal_line

    lines: list[str] = []
    for hit in hits:
        if lines:
            lines.append("")
        heading = command_safe(terminal_line(f"{hit.id}  {hit.title}"))
        details = terminal_line(f"{hit.date} · {hit.severity} · {hit.cause} · {hit.path}")
        lines.append(f"{BOLD}{heading}{RESET}" if color else heading)
        lines.append(f"  {DIM}{details}{RESET}" if color else f"  {details}")
        if hit.snippet:
            parts = []
            for text, matched in hit.snippet:
                text = terminal_line(text)
                if matched:
                    parts.append(f"{HIGHLIGHT}{text}{RESET}" if color else f"[{text}]")
                else:
                    parts.append(text)
            lines.append("  " + "".join(parts))
    return "\n".join(lines) + ("\n" if lines else "")


def _format_facets(results, color: bool) -> str:
    from pmkb.core.diagnostics import terminal_line  # values come from files (a knowledge base's own fields too)

    title = f"facets over {results.total} match{'es' * (results.total != 1)}:"
    lines = ["", f"{BOLD}{title}{RESET}" if color else title]
    for name, values in (results.facets or {}).items():
        shown = ", ".join(f"{terminal_line(value)} {count}" for value, count in values) or "-"
        lines.append(f"  {name + ':':<10}{shown}")
    return "\n".join(lines) + "\n"
