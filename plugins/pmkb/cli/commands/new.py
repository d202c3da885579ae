"""`pmkb new "Title" [--severity S] [--cause C] [--service X]... [--author A]... [--date YYYY-MM-DD]`."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

from pmkb.cli.commands import taxonomy_or_report
from pmkb.cli.project import Project, find_project
from pmkb.core.catalog import SourceRef, check_bytes
from pmkb.core.diagnostics import format_diagnostics
from pmkb.core.fields import POSTMORTEM
from pmkb.core.taxonomy import SLUG_RE, Taxonomy
from pmkb.core.template import (
    PLACEHOLDER_AUTHOR,
    PLACEHOLDER_CAUSE,
    PLACEHOLDER_SERVICE,
    NewPostmortem,
    default_cause,
    default_severity,
    render_postmortem,
)
from pmkb.core.today import today_from_environment

EXIT_EXISTS = 1  # the file (or its id) already exists: nothing was written
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


class UsageError(Exception):
    """A bad option value: one line, exit 2, nothing written."""


def register(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "Writes <content folder>/YYYY/YYYY-MM-DD-<slug>.md (the slug comes from the title), a draft that passes\n"
        "`pmkb lint --strict`, and prints its path. Values you leave out get obvious placeholders:\n"
        "  --severity  the least severe severity of the taxonomy (SEV4 with the built-in one)\n"
        f"  --cause     '{PLACEHOLDER_CAUSE}' (the taxonomy's last cause if it has no '{PLACEHOLDER_CAUSE}')\n"
        f"  --service   '{PLACEHOLDER_SERVICE}'\n"
        f"  --author    `git config user.name`, else $USER, else '{PLACEHOLDER_AUTHOR}'\n"
        "  --date      today (or PMKB_TODAY)\n"
        "Exit status: 0 written; 1 the file or its id already exists (never overwritten), or the taxonomy has\n"
        "errors; 2 a bad option value (nothing is written)."
    )
    parser.add_argument("title", metavar="TITLE", help="one line saying what happened (at most 200 characters)")
    parser.add_argument("--severity", metavar="S", help="a severity of the taxonomy (default: the least severe)")
    parser.add_argument("--cause", metavar="C", help=f"the primary root-cause category (default: {PLACEHOLDER_CAUSE})")
    parser.add_argument(
        "--service",
        metavar="X",
        action="append",
        default=[],
        help=f"a service involved, as a slug; repeat for more (default: {PLACEHOLDER_SERVICE})",
    )
    parser.add_argument(
        "--author", metavar="A", action="append", default=[], help="an author; repeat for more (default: you)"
    )
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="the day the incident began (default: today)")


def run(args: argparse.Namespace) -> int:
    project = find_project(args.config_file)
    taxonomy = taxonomy_or_report(project, "new")
    if taxonomy is None:
        return 1
    try:
        new = _postmortem_from(args, taxonomy, project)
    except UsageError as error:
        print(f"pmkb new: error: {error}", file=sys.stderr)
        return 2
    return _write(project, new, taxonomy)


def _postmortem_from(args: argparse.Namespace, taxonomy: Taxonomy, project: Project) -> NewPostmortem:
    return NewPostmortem(
        title=_title(args.title),
        date=_date(args.date),
        severity=_choice("--severity", args.severity, taxonomy.slugs("severities")) or default_severity(taxonomy),
        cause=_choice("--cause", args.cause, taxonomy.slugs("causes")) or default_cause(taxonomy),
        services=_services(args.service) or (PLACEHOLDER_SERVICE,),
        authors=_authors(args.author) or (default_author(project.root),),
    )


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _title(value: str) -> str:
    title = _one_line(value)
    limit = POSTMORTEM.child("title").max_length  # type: ignore[union-attr]
    if not title:
        raise UsageError("the title must not be empty")
    if limit is not None and len(title) > limit:
        raise UsageError(f"the title is {len(title)} characters long; at most {limit} allowed")
    return title


def _date(value: str | None) -> date:
    if value is None:
        return today_from_environment()
    try:
        if not _DATE_RE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--date '{value}' is not a date (YYYY-MM-DD)") from None


def _choice(option: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    """A taxonomy value, matched case-insensitively (`sev2` -> `SEV2`), or a usage error naming the choices."""
    if value is None:
        return None
    matches = [slug for slug in allowed if slug.lower() == value.strip().lower()]
    if not matches:
        raise UsageError(f"{option} '{value}' is not one of {', '.join(allowed)}")
    return matches[0]


def _services(values: list[str]) -> tuple[str, ...]:
    services: list[str] = []
    for given in values:
        for value in (part.strip() for part in given.split(",")):
            if not value:
                continue
            if not SLUG_RE.fullmatch(value):
                suggestion = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
                hint = f"; try '{suggestion}'" if suggestion and SLUG_RE.fullmatch(suggestion) else ""
                raise UsageError(f"--service '{value}' is not a slug (lowercase a-z, 0-9, -){hint}")
            if value not in services:
                services.append(value)
    return tuple(services)


def _authors(values: list[str]) -> tuple[str, ...]:
    item = POSTMORTEM.child("authors").item  # type: ignore[union-attr]
    limit = item.max_length if item is not None else None
    authors: list[str] = []
    for given in values:
        author = _one_line(given)
        if not author:
            raise UsageError("--author must not be empty")
        if limit is not None and len(author) > limit:
            raise UsageError(f"--author is {len(author)} characters long; at most {limit} allowed")
        if author not in authors:
            authors.append(author)
    return tuple(authors)


def default_author(root: Path) -> str:
    """`git config user.name`, else $USER, else the placeholder author."""
    item = POSTMORTEM.child("authors").item  # type: ignore[union-attr]
    limit = (item.max_length if item is not None else None) or 100
    try:
        result = subprocess.run(
            ["git", "config", "user.name"], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
        name = _one_line(result.stdout) if result.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        name = ""
    for candidate in (name, _one_line(os.environ.get("USER", ""))):
        if candidate and len(candidate) <= limit:
            return candidate
    return PLACEHOLDER_AUTHOR


def _write(project: Project, new: NewPostmortem, taxonomy: Taxonomy) -> int:
    path = project.docs_dir / new.src_uri
    display = _relative_to_cwd(path)
    refs, _ = project.sources()
    if path.exists():
        print(f"pmkb new: error: {display} already exists; it was not changed", file=sys.stderr)
        return EXIT_EXISTS
    clash = next((ref for ref in refs if ref.id == new.id), None)
    if clash is not None:
        print(
            f"pmkb new: error: the id '{new.id}' is already used by {_relative_to_cwd(clash.abs_path)}; "
            "choose another title or --date",
            file=sys.stderr,
        )
        return EXIT_EXISTS
    text = render_postmortem(new, taxonomy)
    raw = text.encode("utf-8")
    # The promise is a draft that lints clean: check it before it exists, so a bug here never leaves a bad file.
    check = check_bytes(raw, SourceRef(new.src_uri, path, project.display_prefix + new.src_uri), taxonomy)
    if check.diagnostics:
        print(format_diagnostics(check.diagnostics, "text"), file=sys.stderr)
        print("pmkb new: error: the generated postmortem does not lint clean (a bug in pmkb)", file=sys.stderr)
        return 1
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as file:
            file.write(raw)
    except FileExistsError:
        print(f"pmkb new: error: {display} already exists; it was not changed", file=sys.stderr)
        return EXIT_EXISTS
    except OSError as error:
        print(f"pmkb new: error: cannot write {display}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(display)
    return 0


def _relative_to_cwd(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
