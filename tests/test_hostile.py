"""Hostile and broken input: never a traceback, never a wrong page, never a lost file.

One knowledge base holds the whole corpus below: every file is one hostile case with the exact diagnostics it must
produce, as (line, column, level, field) plus a key phrase of the message. The corpus is checked three ways:
through the core (`pmkb.cli.project`), through the real command line (`pmkb lint --format json|text|github`), and
through a real `mkdocs build`, which must fail with a clean PluginError listing the same errors.

Odd files (bad bytes, odd names, symlinks) are generated at runtime so that nothing in git depends on them.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import KB, front_matter, render_postmortem
from mkdocs.exceptions import Abort, PluginError
from pmkb.cli.project import find_project
from pmkb.core.catalog import SourceRef, check_bytes
from pmkb.core.taxonomy import default_taxonomy

# A valid published postmortem, written out so that every case's positions can be read off the text.
BASE = """\
---
title: Cache stampede takes down checkout
date: 2024-05-02
status: published
severity: SEV2
authors: [Ada Lovelace]
services: [checkout, cache]
cause: capacity
contributing: [monitoring-gap]
trigger: traffic-change
detection: alert
tags: [redis]
impact:
  summary: Checkout failed for 40% of users for 2h.
  users_affected: 1200
  customer_facing: true
  data_loss: false
timeline:
  started: 2024-05-02T09:00:00+02:00
  detected: 2024-05-02T09:12:00+02:00
  mitigated: 2024-05-02T10:30:00+02:00
  resolved: 2024-05-02T13:17:00+02:00
action_items:
  - title: Add request coalescing
    owner: team-checkout
    status: open
    priority: high
    due: 2099-01-01
    link: https://example.com/issues/1
---

## Summary

Something happened.
"""

ROOT = (2, 1)  # where the front matter mapping starts: "required key is missing" points here


def variant(*replacements: str, base: str = BASE) -> str:
    """BASE with `old, new, old, new, ...` replaced, each `old` exactly once."""
    text = base
    for old, new in zip(replacements[::2], replacements[1::2], strict=True):
        assert text.count(old) == 1, f"{old!r} must occur once"
        text = text.replace(old, new)
    return text


def at(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the first `needle` in `text` (plus `offset` characters)."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


@dataclass(frozen=True)
class Exp:
    where: tuple[int, int] | str  # (line, column), or a needle located in the case's text
    level: str
    field: str
    phrase: str
    offset: int = 0


@dataclass
class Case:
    name: str
    content: str | bytes | None  # None: the case's `setup` makes the file
    expected: tuple[Exp, ...]
    positions_in: str | None = None  # the text needles are looked up in (default: content)
    rel: str | None = None  # path under postmortems/ (default: 2024/2024-05-02-<name>.md)
    setup: object = None  # callable(docs: Path, root: Path) for symlinks and the like
    extra_paths: dict[str, tuple[Exp, ...]] = field(default_factory=dict)  # diagnostics on other files

    @property
    def path(self) -> str:
        return self.rel or f"2024/2024-05-02-{self.name}.md"

    def expectations(self) -> dict[str, list[tuple[int, int, str, str, str]]]:
        text = self.positions_in or (self.content if isinstance(self.content, str) else "")
        result = {}
        for path, exps in {self.path: self.expected, **self.extra_paths}.items():
            rows = []
            for exp in exps:
                line, column = exp.where if isinstance(exp.where, tuple) else at(text, exp.where, exp.offset)
                rows.append((line, column, exp.level, exp.field, exp.phrase))
            result[f"postmortems/{path}"] = sorted(rows)
        return result


def E(where, field_: str, phrase: str, offset: int = 0) -> Exp:  # noqa: N802 - reads like a table
    return Exp(where, "error", field_, phrase, offset)


def W(where, field_: str, phrase: str, offset: int = 0) -> Exp:  # noqa: N802
    return Exp(where, "warning", field_, phrase, offset)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)


def _missing(*fields_: str) -> tuple[Exp, ...]:
    return tuple(E(ROOT, name, f"required key '{name}' is missing") for name in fields_)


ALL_REQUIRED = ("title", "date", "status", "severity", "authors", "services", "cause", "impact", "timeline")

# -- file-level problems -------------------------------------------------------------------------------------
DEEP_FLOW = "---\ntitle: " + "[" * 100_000 + "]" * 100_000 + "\n---\n"
DEEP_BLOCK = "---\n" + "".join(" " * level + "a:\n" for level in range(200)) + " " * 200 + "b\n---\n"
_LOL = ", ".join(["lol"] * 9)
ALIAS_BOMB = (
    "---\n"
    f"a: &a [{_LOL}]\n"
    + "".join(
        f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]\n"
        for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "title: x\n---\n"
)
MANY_KEYS = "---\n" + "".join(f"key{index}: {index}\n" for index in range(30_000)) + "---\n"
TEN_MB_BODY = BASE + ("All work and no play makes Jack a dull boy. " * 64 + "\n") * 3_700

CASES: list[Case] = [
    Case("empty-file", "", (E((1, 1), "", "file is empty"),)),
    Case("whitespace-only", "  \n\n\t\n", (E((1, 1), "", "file is empty"),)),
    Case("no-front-matter", "# Outage\n\nNo front matter here.\n", (E((1, 1), "", "no front matter"),)),
    Case("missing-closing-fence", "---\ntitle: x\ndate: 2024-05-02\n", (E((1, 1), "", "front matter is not closed"),)),
    Case(
        "closing-fence-without-newline",
        "---\ntitle: x\n---",
        (E((1, 1), "", "front matter is not closed"),),
    ),
    Case("blank-line-before-fence", "\n" + BASE, (E((1, 1), "", "front matter must start on line 1"),)),
    Case("four-dash-fence", "----\n" + BASE[4:], (E((1, 1), "", "front matter must open with exactly '---'"),)),
    Case("empty-front-matter", "---\n---\n\nBody\n", (E((1, 1), "", "front matter is empty"),)),
    Case("null-front-matter", "---\n~\n---\n", (E((2, 1), "", "front matter is empty, not a mapping"),)),
    Case("list-front-matter", "---\n- title: x\n- date: y\n---\n", (E((2, 1), "", "front matter is a list"),)),
    Case("scalar-front-matter", "---\njust a sentence\n---\n", (E((2, 1), "", "front matter is a string"),)),
    Case("number-front-matter", "---\n42\n---\n", (E((2, 1), "", "front matter is a number, not a mapping"),)),
    Case("bom", b"\xef\xbb\xbf" + BASE.encode(), ()),
    Case("crlf", BASE.replace("\n", "\r\n").encode(), ()),
    Case("cr-only", BASE.replace("\n", "\r").encode(), ()),
    Case(
        "dots-terminator",
        variant("link: https://example.com/issues/1\n---", "link: https://example.com/issues/1\n..."),
        (),
    ),
    Case(
        "bom-crlf-with-error",
        b"\xef\xbb\xbf" + variant("severity: SEV2", "severity: SEV9").replace("\n", "\r\n").encode(),
        (E("SEV9", "severity", "is not one of SEV1, SEV2, SEV3, SEV4"),),
        positions_in=variant("severity: SEV2", "severity: SEV9"),
    ),
    Case(
        "latin1-in-front-matter",
        BASE.encode().replace(b"Ada Lovelace", "Adé Lovelace".encode("latin-1")),
        (E("Ada Lovelace", "", "not valid UTF-8: byte 0xe9", offset=2),),
        positions_in=BASE,
    ),
    Case(
        "latin1-after-multibyte",
        BASE.replace("Ada Lovelace", "Łukasz Lovelace").encode().replace(b"Lovelace", b"Lovel\xe1ce"),
        (E("Lovelace", "", "not valid UTF-8: byte 0xe1", offset=5),),
        positions_in=BASE.replace("Ada Lovelace", "Łukasz Lovelace"),
    ),
    Case(
        "latin1-in-body",
        BASE.encode().replace(b"Something", b"Som\xe8thing"),
        (E("Something", "", "not valid UTF-8: byte 0xe8", offset=3),),
        positions_in=BASE,
    ),
    Case("utf16", BASE.encode("utf-16"), (E((1, 1), "", "file is UTF-16"),)),
    Case(
        "nul-byte",
        variant("title: Cache", "title: Ca\x00che"),
        (E("Ca\x00che", "", "control characters are not allowed", offset=2),),
    ),
    Case("ten-megabyte-body", TEN_MB_BODY, ()),
    # -- malformed YAML ------------------------------------------------------------------------------------------
    Case(
        "unclosed-bracket",
        variant("authors: [Ada Lovelace]", "authors: [Ada Lovelace"),
        (E("services", "authors.1", "malformed YAML: did not find expected ',' or ']'", offset=8),),
    ),
    Case(
        "unclosed-quote",
        variant("title: Cache stampede takes down checkout", 'title: "Cache stampede takes down checkout'),
        (E((30, 1), "title", "malformed YAML: found unexpected end of stream"),),
    ),
    Case(
        "bad-indentation",
        variant("date: 2024-05-02", "  date: 2024-05-02"),
        (E("  date:", "", "malformed YAML: mapping values are not allowed", offset=6),),
    ),
    Case(
        "bad-nested-indentation",
        variant("  users_affected: 1200", "    users_affected: 1200"),
        (E("    users_affected:", "impact", "malformed YAML: mapping values are not allowed", offset=18),),
    ),
    Case(
        "tab-indentation",
        variant("  summary: Checkout", "\tsummary: Checkout"),
        (E("\tsummary", "impact", "malformed YAML: found character that cannot start any token"),),
    ),
    Case(
        "duplicate-key",
        variant("severity: SEV2\n", "severity: SEV2\nseverity: SEV3\n"),
        (E("severity: SEV3", "severity", "duplicate key 'severity' (first written at line 5)"),),
    ),
    Case(
        "duplicate-nested-key",
        variant("    owner: team-checkout\n", "    owner: team-checkout\n    owner: sre\n"),
        (E("owner: sre", "action_items.0.owner", "duplicate key 'owner' (first written at line 25)"),),
    ),
    Case(
        "complex-key",
        variant("tags: [redis]", "? [a, b]\n: c"),
        (E("[a, b]", "", "a mapping key must be a plain value"),),
    ),
    Case(
        "merge-key",
        variant("impact:\n", "defaults: &defaults {data_loss: false}\nimpact:\n  <<: *defaults\n"),
        (E("<<", "impact", "merge keys ('<<') are not supported"),),
    ),
    Case(
        "undefined-alias",
        variant("authors: [Ada Lovelace]", "authors: *people"),
        (E("*people", "authors", "alias '*people' names no anchor"),),
    ),
    Case("deep-flow-nesting", DEEP_FLOW, (E((2, 39), "title" + ".0" * 31, "nested deeper than 32 levels"),)),
    Case("deep-block-nesting", DEEP_BLOCK, (E((34, 33), ".".join(["a"] * 32), "nested deeper than 32 levels"),)),
    Case("alias-bomb", ALIAS_BOMB, (E((6, 12), "e.1", "holds more than 20,000 values"),)),
    Case("thirty-thousand-keys", MANY_KEYS, (E((10_001, 10), "key9999", "holds more than 20,000 values"),)),
    Case(
        "python-object-tag",
        variant("title: Cache stampede takes down checkout", "title: !!python/object/apply:os.system ['touch x']"),
        (E("!!python", "title", "YAML tag '!!python/object/apply:os.system' is not allowed"),),
    ),
    Case(
        "python-name-tag",
        variant("cause: capacity", "cause: !!python/name:os.system"),
        (E("!!python", "cause", "YAML tag '!!python/name:os.system' is not allowed"),),
    ),
    Case(
        "env-tag",
        variant("  summary: Checkout", "  summary: !ENV HOME\n  x: Checkout"),
        (E("!ENV", "impact.summary", "YAML tag '!ENV' is not allowed"),),
    ),
    Case(
        "binary-tag",
        variant("title: Cache stampede takes down checkout", "title: !!binary aGVsbG8="),
        (E("!!binary", "title", "YAML tag '!!binary' is not allowed"),),
    ),
    Case(
        "set-tag",
        variant("tags: [redis]", "tags: !!set {redis, cache}"),
        (E("!!set", "tags", "YAML tag '!!set' is not allowed"),),
    ),
    Case(
        "bool-tag-on-text",
        variant("  customer_facing: true", "  customer_facing: !!bool maybe"),
        (E("!!bool", "impact.customer_facing", "'maybe' is not a valid bool"),),
    ),
    Case(
        "int-tag-on-empty",
        variant("  users_affected: 1200", '  users_affected: !!int ""'),
        (E("!!int", "impact.users_affected", "'' is not a valid int"),),
    ),
    Case(
        "timestamp-tag-on-text",
        variant("  started: 2024-05-02T09:00:00+02:00", "  started: !!timestamp soon"),
        (E("!!timestamp", "timeline.started", "'soon' is not a valid timestamp"),),
    ),
    Case(
        "huge-integer",
        variant("  users_affected: 1200", "  users_affected: " + "9" * 5000),
        (E("99999", "impact.users_affected", "is not a valid int: Exceeds the limit"),),
    ),
    # -- wrong types, field by field -----------------------------------------------------------------------------
    Case(
        "title-number",
        variant("title: Cache stampede takes down checkout", "title: 42"),
        (E("42", "title", "title must be text, got a number"),),
    ),
    Case(
        "title-list",
        variant("title: Cache stampede takes down checkout", "title: [a, b]"),
        (E("[a, b]", "title", "title must be text, got a list"),),
    ),
    Case(
        "title-empty",
        variant("title: Cache stampede takes down checkout", "title:"),
        (E((2, 7), "title", "required key 'title' is empty"),),
    ),
    Case(
        "title-too-long",
        variant("title: Cache stampede takes down checkout", "title: " + "x" * 10_000),
        (E("xxx", "title", "title is 10000 characters long; at most 200 allowed"),),
    ),
    Case(
        "date-timestamp",
        variant("date: 2024-05-02", "date: 2024-05-02T09:00:00+02:00"),
        (E("2024-05-02T09:00:00+02:00", "date", "date must be a date (YYYY-MM-DD), got a timestamp"),),
    ),
    Case(
        "date-text",
        variant("date: 2024-05-02", "date: May 2nd"),
        (E("May 2nd", "date", "date must be a date (YYYY-MM-DD), got a string"),),
    ),
    Case(
        "date-number",
        variant("date: 2024-05-02", "date: 20240502"),
        (E("20240502", "date", "date must be a date (YYYY-MM-DD), got a number"),),
    ),
    Case(
        "date-impossible",
        variant("date: 2024-05-02", "date: 2024-02-30"),
        (E("2024-02-30", "date", "'2024-02-30' is not a valid timestamp: day is out of range"),),
    ),
    Case(
        "date-impossible-quoted",
        variant("date: 2024-05-02", "date: '2024-02-30'"),
        (E("'2024-02-30'", "date", "date '2024-02-30' is not a real calendar date"),),
    ),
    Case(
        "status-list",
        variant("status: published", "status: [published]"),
        (E("[published]", "status", "status must be one of draft, in-review, published, got a list"),),
    ),
    Case(
        "status-unknown",
        variant("status: published", "status: final"),
        (E("final", "status", "status 'final' is not one of draft, in-review, published"),),
    ),
    Case(
        "severity-lowercase",
        variant("severity: SEV2", "severity: sev2"),
        (E("sev2", "severity", "is not one of SEV1, SEV2, SEV3, SEV4; did you mean 'SEV2'?"),),
    ),
    Case(
        "severity-number",
        variant("severity: SEV2", "severity: 2"),
        (E("severity: 2", "severity", "severity must be one of SEV1, SEV2, SEV3, SEV4, got a number", offset=10),),
    ),
    Case(
        "severity-line-separator",
        variant("severity: SEV2", 'severity: "SEV\\L9"'),
        (E('"SEV', "severity", "severity 'SEV\\u20289' is not one of"),),
    ),
    Case(
        "authors-string",
        variant("authors: [Ada Lovelace]", "authors: Ada Lovelace"),
        (E("Ada", "authors", "authors must be a list of author values, got a string; write [Ada Lovelace]"),),
    ),
    Case(
        "authors-empty",
        variant("authors: [Ada Lovelace]", "authors: []"),
        (E("[]", "authors", "authors must list at least 1 author"),),
    ),
    Case(
        "authors-nested-list",
        variant("authors: [Ada Lovelace]", "authors: [[Ada, Grace]]"),
        (E("[Ada,", "authors.0", "authors.0 must be text, got a list"),),
    ),
    Case(
        "services-string",
        variant("services: [checkout, cache]", "services: checkout"),
        (E("services: checkout", "services", "must be a list of service values, got a string; write [checkout]", 10),),
    ),
    Case(
        "services-not-slug",
        variant("services: [checkout, cache]", "services: [Check Out, cache]"),
        (E("Check Out", "services.0", "service 'Check Out' is not a slug (lowercase a-z, 0-9, -); try 'check-out'"),),
    ),
    Case(
        "services-path-traversal",
        variant("services: [checkout, cache]", "services: [../../etc, cache/../..]"),
        (
            E("../../etc", "services.0", "service '../../etc' is not a slug"),
            E("cache/../..", "services.1", "service 'cache/../..' is not a slug"),
        ),
    ),
    Case(
        "services-trailing-newline",
        variant("services: [checkout, cache]", 'services: ["checkout\\n"]'),
        (E('"checkout', "services.0", "service 'checkout\\n' is not a slug"),),
    ),
    Case(
        "services-number",
        variant("services: [checkout, cache]", "services: [404]"),
        (E("404", "services.0", "services.0 must be a service slug, got a number"),),
    ),
    Case(
        "cause-unknown",
        variant("cause: capacity", "cause: human-error"),
        (E("human-error", "cause", "cause 'human-error' is not one of software-bug, deployment"),),
    ),
    Case(
        "contributing-string",
        variant("contributing: [monitoring-gap]", "contributing: monitoring-gap"),
        (E("monitoring-gap", "contributing", "contributing must be a list of cause values, got a string"),),
    ),
    Case(
        "trigger-list",
        variant("trigger: traffic-change", "trigger: [traffic-change]"),
        (E("[traffic-change]", "trigger", "trigger must be one of code-deploy"),),
    ),
    Case(
        "detection-unknown",
        variant("detection: alert", "detection: pager"),
        (E("pager", "detection", "detection 'pager' is not one of alert, user-report"),),
    ),
    Case(
        "tags-path-separators",
        variant("tags: [redis]", "tags: [a/b, .., 'c\\d', /etc/passwd]"),
        (
            E("a/b", "tags.0", "tag 'a/b' is not a slug (lowercase a-z, 0-9, -); try 'a-b'"),
            E("..", "tags.1", "tag '..' is not a slug (lowercase a-z, 0-9, -)"),
            E("'c", "tags.2", "tag 'c\\d' is not a slug"),
            E("/etc", "tags.3", "tag '/etc/passwd' is not a slug"),
        ),
    ),
    Case(
        "tags-mapping",
        variant("tags: [redis]", "tags: {redis: true}"),
        (E("{redis", "tags", "tags must be a list of tag values, got a mapping"),),
    ),
    Case(
        "impact-string",
        variant(
            "impact:\n  summary: Checkout failed for 40% of users for 2h.\n  users_affected: 1200\n"
            "  customer_facing: true\n  data_loss: false\n",
            "impact: bad\n",
        ),
        (E("bad", "impact", "impact must be a mapping of fields, got a string"),),
    ),
    Case(
        "impact-summary-list",
        variant("  summary: Checkout failed for 40% of users for 2h.", "  summary: [a]"),
        (E("[a]", "impact.summary", "impact.summary must be text, got a list"),),
    ),
    Case(
        "users-affected-wrong",
        variant(
            "  users_affected: 1200\n  customer_facing: true\n  data_loss: false",
            "  users_affected: many\n  customer_facing: 'yes'\n  data_loss: 0",
        ),
        (
            E("many", "impact.users_affected", "impact.users_affected must be a whole number, got a string"),
            E("'yes'", "impact.customer_facing", "impact.customer_facing must be true or false, got a string"),
            E("data_loss: 0", "impact.data_loss", "impact.data_loss must be true or false, got a number", offset=11),
        ),
    ),
    Case(
        "users-affected-negative",
        variant("  users_affected: 1200", "  users_affected: -1"),
        (E("-1", "impact.users_affected", "impact.users_affected must be at least 0, got -1"),),
    ),
    Case(
        "users-affected-float",
        variant("  users_affected: 1200", "  users_affected: 1.5"),
        (E("1.5", "impact.users_affected", "must be a whole number, got a number"),),
    ),
    Case(
        "users-affected-huge-hex",
        variant("  users_affected: 1200", "  users_affected: 0x" + "f" * 4000),
        (E("0xfff", "impact.users_affected", "impact.users_affected is too large"),),
    ),
    Case(
        "users-affected-huge-negative-hex",
        variant("  users_affected: 1200", "  users_affected: -0x" + "f" * 4000),
        (E("-0xfff", "impact.users_affected", "must be at least 0, got <a very large number>"),),
    ),
    Case(
        "timeline-list",
        variant(
            "timeline:\n  started: 2024-05-02T09:00:00+02:00\n  detected: 2024-05-02T09:12:00+02:00\n"
            "  mitigated: 2024-05-02T10:30:00+02:00\n  resolved: 2024-05-02T13:17:00+02:00\n",
            "timeline: [2024-05-02T09:00:00+02:00]\n",
        ),
        (E("[2024", "timeline", "timeline must be a mapping of fields, got a list"),),
    ),
    Case(
        "timestamp-is-date",
        variant("  resolved: 2024-05-02T13:17:00+02:00", "  resolved: 2024-05-02"),
        (E("  resolved: 2024", "timeline.resolved", "must be a timestamp with a UTC offset", offset=12),),
    ),
    Case(
        "timestamp-without-offset",
        variant("  started: 2024-05-02T09:00:00+02:00", "  started: 2024-05-02T09:00:00"),
        (E("2024-05-02T09:00:00\n", "timeline.started", "timeline.started has no UTC offset"),),
    ),
    Case(
        "timestamp-impossible-day",
        variant("  started: 2024-05-02T09:00:00+02:00", "  started: 2024-02-30T09:00:00+02:00"),
        (E("2024-02-30", "timeline.started", "is not a valid timestamp: day is out of range for month"),),
    ),
    Case(
        "timestamp-impossible-hour",
        variant("  detected: 2024-05-02T09:12:00+02:00", "  detected: 2024-05-02T25:12:00+02:00"),
        (E("2024-05-02T25", "timeline.detected", "is not a valid timestamp: hour must be in 0..23"),),
    ),
    Case(
        "timestamp-impossible-offset",
        variant("  mitigated: 2024-05-02T10:30:00+02:00", "  mitigated: 2024-05-02T10:30:00+25:00"),
        (E("2024-05-02T10:30:00+25", "timeline.mitigated", "is not a valid timestamp: offset must be"),),
    ),
    Case(
        "timestamp-impossible-quoted",
        variant("  resolved: 2024-05-02T13:17:00+02:00", "  resolved: '2024-05-02T13:61:00+02:00'"),
        (E("'2024-05-02T13:61", "timeline.resolved", "'2024-05-02T13:61:00+02:00' is not an ISO 8601 timestamp"),),
    ),
    Case(
        "timeline-out-of-order",
        variant("  detected: 2024-05-02T09:12:00+02:00", "  detected: 2024-05-02T06:59:00Z"),
        (E("2024-05-02T06:59", "timeline.detected", "is before timeline.started"),),
    ),
    Case(
        "date-not-day-of-started",
        variant("  started: 2024-05-02T09:00:00+02:00", "  started: 2024-05-01T23:30:00-07:00"),
        (E("2024-05-02\n", "date", "date 2024-05-02 is not the day of timeline.started"),),
    ),
    Case(
        "action-items-mapping",
        variant(
            "action_items:\n  - title: Add request coalescing\n",
            "action_items:\n  title: Add request coalescing\n",
            "    owner: team-checkout\n    status: open\n    priority: high\n    due: 2099-01-01\n"
            "    link: https://example.com/issues/1\n",
            "",
        ),
        (E("title: Add", "action_items", "action_items must be a list of action item values, got a mapping"),),
    ),
    Case(
        "action-item-string",
        variant(
            "  - title: Add request coalescing\n    owner: team-checkout\n    status: open\n    priority: high\n"
            "    due: 2099-01-01\n    link: https://example.com/issues/1\n",
            "  - Add request coalescing\n",
        ),
        (E("Add request", "action_items.0", "action item 1 must be a mapping of fields, got a string"),),
    ),
    Case(
        "action-item-wrong-fields",
        variant(
            "    owner: team-checkout\n    status: open\n",
            "    owner: [ana, bob]\n    status: closed\n",
            "    due: 2099-01-01\n",
            "    due: 2099-01-01T00:00:00Z\n",
        ),
        (
            E("[ana", "action_items.0.owner", 'action item 1, "Add request coalescing": owner must be text'),
            E("closed", "action_items.0.status", "'closed' is not one of open, in-progress, done, wont-do"),
            E("2099-01-01T", "action_items.0.due", "must be a date (YYYY-MM-DD), got a timestamp"),
        ),
    ),
    Case(
        "action-item-high-without-due",
        variant("    due: 2099-01-01\n", ""),
        (E("title: Add", "action_items.0.due", '"Add request coalescing": due is required: the item is high'),),
    ),
    Case(
        "link-javascript",
        variant("link: https://example.com/issues/1", "link: javascript:alert(document.cookie)"),
        (E("javascript", "action_items.0.link", "'javascript:alert(document.cookie)' is not an http(s) URL"),),
    ),
    Case(
        "link-data",
        variant("link: https://example.com/issues/1", "link: 'data:text/html,<script>alert(1)</script>'"),
        (E("'data", "action_items.0.link", "is not an http(s) URL"),),
    ),
    Case(
        "link-no-host",
        variant("link: https://example.com/issues/1", "link: 'https:/issues/1'"),
        (E("'https", "action_items.0.link", "is not an http(s) URL"),),
    ),
    Case(
        "link-broken-ipv6",
        variant("link: https://example.com/issues/1", "link: 'http://[::1/issues'"),
        (E("'http", "action_items.0.link", "'http://[::1/issues' is not an http(s) URL"),),
    ),
    Case(
        "link-with-space",
        variant("link: https://example.com/issues/1", "link: https://exa mple.com/"),
        (E("https://exa", "action_items.0.link", "is not an http(s) URL"),),
    ),
    Case(
        "published-without-action-items",
        variant(
            "action_items:\n  - title: Add request coalescing\n    owner: team-checkout\n    status: open\n"
            "    priority: high\n    due: 2099-01-01\n    link: https://example.com/issues/1\n",
            "action_items: []\n",
        ),
        (E("[]", "action_items", "a published postmortem needs action items"),),
    ),
    Case(
        "no-action-items-number",
        variant("action_items:\n", "no_action_items: 42\naction_items:\n"),
        (E("42", "no_action_items", "no_action_items must be text, got a number"),),
    ),
    Case(
        "related-path-traversal",
        variant("tags: [redis]", "tags: [redis]\nrelated: [../../etc/passwd, 2024/2024-05-02-bom, /abs]"),
        (
            E("../../etc", "related.0", "related '../../etc/passwd' names no postmortem"),
            E("2024/2024-05-02-bom", "related.1", "related '2024/2024-05-02-bom' names no postmortem"),
            E("/abs", "related.2", "related '/abs' names no postmortem"),
        ),
    ),
    Case(
        "related-self",
        variant("tags: [redis]", "tags: [redis]\nrelated: [2024-05-02-related-self]"),
        (E("2024-05-02-related-self]", "related.0", "related lists this postmortem itself"),),
    ),
    Case(
        "runbooks-outside",
        variant(
            "tags: [redis]",
            "tags: [redis]\nrunbooks: [/etc/passwd.md, ../outside.md, 'runbooks\\deploy.md', runbooks/deploy, "
            "runbooks/missing.md]",
        ),
        (
            E("/etc/passwd.md", "runbooks.0", "must be a .md path under the content folder, without '..'"),
            E("../outside", "runbooks.1", "must be a .md path under the content folder"),
            E("'runbooks", "runbooks.2", "must be a .md path under the content folder"),
            E("runbooks/deploy,", "runbooks.3", "must be a .md path under the content folder"),
            # The one valid entry is still checked against the pages: one run shows everything.
            E("runbooks/missing.md", "runbooks.4", "runbooks 'runbooks/missing.md' names no page"),
        ),
    ),
    Case(
        "runbooks-missing",
        variant("tags: [redis]", "tags: [redis]\nrunbooks: [runbooks/missing.md]"),
        (E("runbooks/missing.md", "runbooks.0", "runbooks 'runbooks/missing.md' names no page"),),
    ),
    Case(
        "unknown-key-typo",
        variant("severity: SEV2", "sevrity: SEV2"),
        (
            E(ROOT, "severity", "required key 'severity' is missing"),
            W("sevrity", "sevrity", "did you mean 'severity'?"),
        ),
    ),
    Case(
        "non-string-keys",
        variant("tags: [redis]", "tags: [redis]\n1: one\n~: nothing\n2024-01-01: day"),
        (
            W("1: one", "1", "unknown key '1'"),
            W("~: nothing", "null", "unknown key 'null'"),
            W("2024-01-01: day", "2024-01-01", "unknown key '2024-01-01'"),
        ),
    ),
    Case(
        "key-with-line-break",
        variant("tags: [redis]", 'tags: [redis]\n"sum\\nmary": x'),
        (W('"sum', "sum\\nmary", "unknown key 'sum\\nmary'"),),
    ),
    Case(
        "explicit-long-key",
        variant("tags: [redis]", "tags: [redis]\n? " + "k" * 2000 + "\n: x"),
        (E("kkk", "", "a mapping key is 2000 characters long; at most 1024 allowed"),),
    ),
    Case(
        "huge-hex-key",
        variant("tags: [redis]", "tags: [redis]\n? 0x" + "f" * 5000 + "\n: x"),
        (W("0xfff", "<a number of 20000 bits>", "unknown key '<a number of 20000 bits>'"),),
    ),
    Case(
        "everything-missing",
        "---\nsummary: nothing else\n---\n",
        (*_missing(*ALL_REQUIRED), W("summary", "summary", "unknown key 'summary'")),
    ),
    # -- file names, symlinks, duplicate ids --------------------------------------------------------------------
    Case(
        "file-name-with-spaces",
        BASE,
        (W((1, 1), "id", "file name '2024-05-02-with spaces' has spaces or non-ASCII characters"),),
        rel="2024/2024-05-02-with spaces.md",
    ),
    Case(
        "file-name-non-ascii",
        BASE,
        (W((1, 1), "id", "file name '2024-05-02-panne-réseau-北京' has spaces or non-ASCII"),),
        rel="2024/2024-05-02-panne-réseau-北京.md",
    ),
    Case(
        "file-name-date-mismatch",
        BASE,
        (W("2024-05-02\n", "date", "file name starts with 2023-01-01 but date is 2024-05-02"),),
        rel="2024/2023-01-01-wrong-date.md",
    ),
    Case(
        "duplicate-id",
        BASE,
        (E((1, 1), "id", "duplicate id '2024-05-02-duplicate-id': also used by postmortems/2023/2024-05-02-dup"),),
        extra_paths={
            "2023/2024-05-02-duplicate-id.md": (
                E((1, 1), "id", "duplicate id '2024-05-02-duplicate-id': also used by postmortems/2024/2024-05"),
            )
        },
        setup=lambda docs, root: _write(docs / "2023/2024-05-02-duplicate-id.md", BASE),
    ),
    Case(
        "symlink-outside",
        None,
        (E((1, 1), "", "file is a link to outside the content folder"),),
        setup=lambda docs, root: _link(_write(root / "outside.md", BASE), docs / "2024/2024-05-02-symlink-outside.md"),
    ),
    Case(
        "symlink-dir-outside",
        None,
        (E((1, 1), "", "file is a link to outside the content folder"),),
        rel="2024/elsewhere/2024-05-02-elsewhere.md",
        setup=lambda docs, root: _link(
            _write(root / "elsewhere/2024-05-02-elsewhere.md", BASE).parent, docs / "2024/elsewhere"
        ),
    ),
    Case(
        "symlink-dangling",
        None,
        (E((1, 1), "", "broken symbolic link"),),
        setup=lambda docs, root: _link(docs / "2024/nowhere.md", docs / "2024/2024-05-02-symlink-dangling.md"),
    ),
    # -- control and invisible characters in text fields ----------------------------------------------
    Case(
        "title-escape-sequence",
        variant("title: Cache stampede takes down checkout", 'title: "Cache \\e[31mstampede"'),
        (E('"Cache', "title", "title holds a control character (U+001B ESCAPE) at character 7"),),
    ),
    Case(
        "owner-bell",
        variant("    owner: team-checkout", '    owner: "team\\a"'),
        (E('"team', "action_items.0.owner", "holds a control character (U+0007 BELL)"),),
    ),
    Case(
        "action-item-title-nul",
        variant("  - title: Add request coalescing", '  - title: "Add \\0 coalescing"'),
        (E('"Add', "action_items.0.title", "holds a control character (U+0000 NULL)"),),
    ),
    Case(
        "author-tab",
        variant("authors: [Ada Lovelace]", 'authors: ["Ada\\tLovelace"]'),
        (E('"Ada', "authors.0", "holds a control character (U+0009 CHARACTER TABULATION)"),),
    ),
    Case(
        "title-zero-width-only",
        variant("title: Cache stampede takes down checkout", 'title: "\\u200b\\u2060\\ufeff \\u3164"'),
        (E('"\\u200b', "title", "must not be empty: it holds only invisible characters such as U+200B"),),
    ),
    Case(
        "title-literal-block",
        variant("title: Cache stampede takes down checkout", "title: |\n  Cache stampede\n  takes down checkout"),
        (E("|", "title", "title holds a line break (U+000A LINE FEED)"),),
    ),
    Case(
        "title-line-separator-escape",
        variant("title: Cache stampede takes down checkout", 'title: "Cache\\Lstampede"'),
        (E('"Cache', "title", "title holds a line break (U+2028 LINE SEPARATOR)"),),
    ),
    Case(
        "summary-bidi-override",
        variant("  summary: Checkout failed", '  summary: "\\u202eCheckout failed', "for 2h.", 'for 2h."'),
        (E('"\\u202e', "impact.summary", "bidirectional control (U+202E RIGHT-TO-LEFT OVERRIDE)"),),
    ),
    Case(
        "title-raw-nel",
        variant("title: Cache stampede takes down checkout", "title: Cache stampede\x85takes down checkout"),
        (E("\x85", "", "front matter holds a raw U+0085 NEXT LINE"),),
    ),
    Case(
        "link-c1-control",
        variant("link: https://example.com/issues/1", 'link: "https://example.com/\\x9b31m"'),
        (E('"https', "action_items.0.link", "is not an http(s) URL"),),
    ),
    # -- files MkDocs builds (or copies) that pmkb must judge the same way -----------------------------
    Case("markdown-extension", BASE, (), rel="2024/2024-05-02-markdown-extension.markdown"),
    Case(
        "upper-case-extension",
        BASE,
        (E((1, 1), "", "MkDocs builds only lower-case '.md' files as pages and would copy this one"),),
        rel="2024/2024-05-02-upper-case-extension.MD",
    ),
    Case("readme-is-an-index-page", "# 2024\n\nNot a postmortem: the folder's page.\n", (), rel="2024/README.md"),
    # -- links the build would break -------------------------------------------------------------------
    Case(
        "shadowed-by-folder-index",
        BASE,
        (E((1, 1), "id", "'2024/2024-05-02-shadowed-by-folder-index/index.md' is built at the same URL"),),
        setup=lambda docs, root: _write(docs / "2024/2024-05-02-shadowed-by-folder-index/index.md", "# Page\n"),
    ),
    Case(
        "runbooks-to-a-draft",
        variant("tags: [redis]", "tags: [redis]\nrunbooks: [2024/2024-05-02-a-draft.md]"),
        (E("2024/2024-05-02-a-draft.md", "runbooks.0", "names a page the build leaves out: it is a draft"),),
        setup=lambda docs, root: _write(
            docs / "2024/2024-05-02-a-draft.md", variant("status: published", "status: draft")
        ),
    ),
    Case(
        "runbooks-to-a-dropped-readme",
        variant("tags: [redis]", "tags: [redis]\nrunbooks: [runbooks/README.md, runbooks/index.md]"),
        (E("runbooks/README.md", "runbooks.0", "names a page the build leaves out: MkDocs drops it"),),
        setup=lambda docs, root: (
            _write(docs / "runbooks/README.md", "# R\n"),
            _write(docs / "runbooks/index.md", "# I\n"),
        ),
    ),
    Case("related-twice", variant("tags: [redis]", "tags: [redis]\nrelated: [2024-05-02-bom, 2024-05-02-bom]"), ()),
    # -- the file system -------------------------------------------------------------------------------
    Case(
        "named-pipe",
        None,
        (E((1, 1), "", "file is a named pipe (FIFO)"),),
        setup=lambda docs, root: os.mkfifo(docs / "2024/2024-05-02-named-pipe.md"),
    ),
    Case(
        "name-not-utf8",
        None,
        (E((1, 1), "", "file name is not valid UTF-8 (byte 0xe9): rename it"),),
        rel="2024/2024-05-02-r\\udce9seau.md",  # as diagnostics spell it
        setup=lambda docs, root: Path(os.fsdecode(os.fsencode(docs / "2024") + b"/2024-05-02-r\xe9seau.md")).write_text(
            BASE
        ),
    ),
    Case(
        "name-with-escape-sequence",
        None,
        (E((1, 1), "", "file name holds a control character (U+001B ESCAPE): rename it"),),
        rel="2024/2024-05-02-\\x1b[31mred.md",
        setup=lambda docs, root: _write(docs / "2024/2024-05-02-\x1b[31mred.md", BASE),
    ),
]

CASE_IDS = [case.name for case in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS)


# -- the corpus knowledge base, checked once per test session --------------------------------------------------


@dataclass
class CorpusRun:
    kb: KB
    core: list[dict]
    lint_json: object
    lint_returncode: int
    lint_stderr: str
    lint_text: str
    lint_github: str
    build_error: BaseException | None
    build_log: str
    timings: dict[str, float]


def write_corpus(kb: KB) -> None:
    kb.write("runbooks/deploy.md", "# Deploy\n")
    (kb.docs / "2024").mkdir(parents=True, exist_ok=True)
    for case in CASES:
        if case.content is not None:
            kb.write(case.path, case.content)
        if case.setup is not None:
            case.setup(kb.docs, kb.root)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> CorpusRun:
    kb = KB(tmp_path_factory.mktemp("hostile") / "kb")
    kb.docs.mkdir(parents=True)
    kb.write("index.md", "# Hostile KB\n")
    kb.set_config()
    write_corpus(kb)
    timings = {}

    start = time.perf_counter()
    catalog = find_project(kb.config).catalog()
    timings["core"] = time.perf_counter() - start
    core = [d.as_dict() for d in catalog.diagnostics]

    start = time.perf_counter()
    result = kb.cli("lint", "--format", "json")
    timings["cli"] = time.perf_counter() - start
    text = kb.cli("lint", "--format", "text")
    github = kb.cli("lint", "--format", "github")
    assert "Traceback" not in text.stderr + github.stderr

    handler = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    error = None
    try:
        kb.build()
    except (PluginError, Abort) as raised:
        error = raised
    finally:
        logger.removeHandler(handler)
    try:
        parsed = json.loads(result.stdout)
    except ValueError:
        parsed = None
    return CorpusRun(
        kb,
        core,
        parsed,
        result.returncode,
        result.stderr,
        text.stdout,
        github.stdout,
        error,
        "\n".join(handler.lines),
        timings,
    )


def _actual_for(run: CorpusRun, path: str) -> list[tuple]:
    return sorted((d["line"], d["column"], d["level"], d["field"], d["message"]) for d in run.core if d["path"] == path)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_hostile_case_has_its_expected_diagnostics(corpus: CorpusRun, case: Case):
    for path, expected in case.expectations().items():
        actual = _actual_for(corpus, path)
        assert [row[:4] for row in actual] == [row[:4] for row in expected], (path, actual)
        for got, want in zip(actual, expected, strict=True):
            assert want[4] in got[4], (path, got, want)


def test_every_file_of_the_corpus_is_reported_or_valid(corpus: CorpusRun):
    reported = {d["path"] for d in corpus.core}
    expected = {path for case in CASES for path, rows in case.expectations().items() if rows}
    assert reported == expected


def test_cli_json_matches_the_core_exactly(corpus: CorpusRun):
    assert corpus.lint_returncode == 1
    assert "Traceback" not in corpus.lint_stderr
    assert corpus.lint_json == corpus.core


def test_cli_text_and_github_print_one_line_per_diagnostic(corpus: CorpusRun):
    text_lines = corpus.lint_text.splitlines()
    github_lines = corpus.lint_github.splitlines()
    assert len(text_lines) == len(corpus.core) == len(github_lines)
    for line, diagnostic in zip(text_lines, corpus.core, strict=True):
        assert line.startswith(
            f"{diagnostic['path']}:{diagnostic['line']}:{diagnostic['column']}: {diagnostic['level']}: "
        )
    assert all(line.startswith(("::error file=", "::warning file=")) for line in github_lines)


def test_every_diagnostic_has_path_line_column_and_field(corpus: CorpusRun):
    for d in corpus.core:
        assert set(d) == {"path", "line", "column", "level", "field", "message"}
        assert d["path"].startswith("postmortems/")
        assert d["line"] >= 1 and d["column"] >= 1
        assert isinstance(d["field"], str)
        assert len(d["message"].splitlines()) == 1
        assert len(d["message"]) < 400, d  # no value is quoted whole


def test_mkdocs_build_fails_cleanly_listing_every_error(corpus: CorpusRun):
    assert corpus.build_error is not None, "a knowledge base with errors must not build"
    if isinstance(corpus.build_error, PluginError):
        message = str(corpus.build_error)
    else:  # MkDocs logs the PluginError and raises Abort
        message = corpus.build_log
    assert "Traceback" not in message
    errors = [d for d in corpus.core if d["level"] == "error"]
    assert f"{len(errors)} errors in postmortems" in message
    for d in errors[:200]:
        assert f"{d['path']}:{d['line']}:{d['column']}: error: " in message, d
    assert not (corpus.kb.root / "site").exists() or not any((corpus.kb.root / "site").rglob("*.html"))


def test_hostile_files_are_checked_fast(corpus: CorpusRun):
    # Thirty-odd hostile files including a 10 MB body, 100k nested brackets and an alias bomb: about 1 s and 2 s
    # on an idle machine. A guard against hangs and blow-ups, with room for a loaded 2-core machine (the suite
    # runs on both cores), not a speed target.
    assert corpus.timings["core"] < 20
    assert corpus.timings["cli"] < 30


# -- bounded time and memory for the pathological inputs, one by one ---------------------------------------------

PATHOLOGICAL = {
    "alias-bomb": ALIAS_BOMB,
    "deep-flow-nesting": DEEP_FLOW,
    "deep-block-nesting": DEEP_BLOCK,
    "thirty-thousand-keys": MANY_KEYS,
    "ten-megabyte-body": TEN_MB_BODY,
    "million-character-title": variant("title: Cache stampede takes down checkout", "title: " + "x" * 1_000_000),
    "long-key": "---\n" + "k" * 1_000_000 + ": x\n---\n",
    "million-brackets-unclosed": "---\ntitle: " + "[" * 1_000_000 + "\n---\n",
    "million-aliases": "---\na: &a x\nb: [" + ", ".join(["*a"] * 200_000) + "]\n---\n",
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_input_finishes_quickly(name: str):
    text = PATHOLOGICAL[name]
    ref = SourceRef("2024/2024-05-02-x.md", Path("/nonexistent"), "postmortems/2024/2024-05-02-x.md")
    # A guard against hangs and blow-ups (each case takes well under a second alone), not a speed target: the
    # bound leaves room for a loaded 2-core machine running the suite on both cores.
    start = time.process_time()
    result = check_bytes(text.encode(), ref, default_taxonomy())
    elapsed = time.process_time() - start
    assert elapsed < 5, f"{name} took {elapsed:.2f}s of CPU"
    if name == "ten-megabyte-body":
        assert result.postmortem is not None and not result.diagnostics
    else:
        assert result.postmortem is None
        assert any(d.is_error for d in result.diagnostics)


# -- whole-site guarantees -------------------------------------------------------------------------------------


def _snapshot(folder: Path, skip: Path | None = None) -> dict[str, tuple[bytes, int]]:
    found = {}
    for path in sorted(folder.rglob("*")):
        if skip is not None and (path == skip or skip in path.parents):
            continue
        if path.is_file() and not path.is_symlink():
            found[str(path.relative_to(folder))] = (path.read_bytes(), path.stat().st_mtime_ns)
    return found


def test_failed_build_leaves_no_partial_site(kb):
    """A site is correct or not built: a failed build writes no page (MkDocs has emptied the folder by then)."""
    kb.add("2024-05-02-cache-stampede")
    site = kb.build()
    assert (site / "2024/2024-05-02-cache-stampede/index.html").is_file()
    kb.write("2024/2024-05-03-broken.md", "---\ntitle: [unclosed\n---\n")
    with pytest.raises((PluginError, Abort)):
        kb.build()
    assert not [path for path in site.rglob("*") if path.is_file()]


def test_facet_values_never_write_outside_the_site(kb):
    """Outside the site folder a build writes only its cache, `.cache/pmkb/` (similar incidents)."""
    kb.add(
        "2024-05-02-many-facets",
        services=["a", "b-c", "0-9"],
        tags=["x", "y-z", "deadbeef"],
        runbooks=["runbooks/deploy.md"],
    )
    kb.write("runbooks/deploy.md", "# Deploy\n")
    outside_before = _snapshot(kb.root, skip=kb.root / "site")
    site = kb.build(strict=True).resolve()
    for path in site.rglob("*"):
        assert site in path.resolve().parents
    after = _snapshot(kb.root, skip=kb.root / "site")
    assert {k: v for k, v in after.items() if not k.startswith(".cache/pmkb/")} == outside_before
    for facet, values in (("services", ["a", "b-c", "0-9"]), ("tags", ["x", "y-z", "deadbeef"])):
        for value in values:
            assert (site / facet / value / "index.html").is_file()


# -- links, URLs and names that collide with what pmkb generates ------------------------------------------------


def test_symlink_loop_is_a_diagnostic_not_a_traceback(kb):
    kb.add("2024-05-02-fine")
    loop = kb.docs / "2024" / "2024-05-02-loop.md"
    os.symlink(loop, loop)
    result = kb.cli("lint", "--format", "json")
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    diagnostics = json.loads(result.stdout)
    assert [d["path"] for d in diagnostics] == ["postmortems/2024/2024-05-02-loop.md"]
    with pytest.raises((PluginError, Abort)):
        kb.build()


def test_links_to_oddly_named_postmortems_reach_their_page(kb):
    names = ["2024-05-02-a#b", "2024-05-02-why?", "2024-05-02-100%-cpu", "2024-05-02-back\\slash"]
    for name in names:
        kb.write(f"2024/{name}.md", render_postmortem(front_matter(title=f"Title of {name}")))
    site = kb.build()
    from urllib.parse import unquote, urljoin, urlsplit

    incidents = (site / "incidents/index.html").read_text("utf-8")
    for name in names:
        assert (site / "2024" / name / "index.html").is_file()
        marker = f">Title of {name}</a>"
        index = incidents.index(marker)
        href = incidents[:index].rsplit('href="', 1)[1].split('"', 1)[0]
        target = unquote(urlsplit(urljoin("https://kb.example/incidents/", href)).path)
        assert target == f"/2024/{name}/", (name, href)


@pytest.mark.parametrize("rel", ["incidents.md", "services/checkout.md", "action-items.md"])
def test_postmortem_shadowed_by_a_generated_page_is_an_error(kb, rel):
    kb.write(rel, render_postmortem(front_matter(title="The shadowed postmortem")))
    with pytest.raises((PluginError, Abort)):
        kb.build()


def test_postmortem_colliding_with_an_export_is_a_clean_error(kb):
    kb.write("postmortems.json.md", render_postmortem(front_matter(title="Collides with the export")))
    with pytest.raises((PluginError, Abort)):
        kb.build()


def test_file_name_with_a_line_break_still_gives_one_line_diagnostics(kb):
    kb.write("2024/2024-05-02-two\nlines.md", "no front matter\n")
    result = kb.cli("lint", "--format", "text")
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 1, result.stdout


def test_build_and_lint_agree_on_files_mkdocs_leaves_out(kb):
    kb.add("2024-05-02-fine")
    kb.write("2024/.scratch-notes.md", "half an idea, no front matter\n")
    kb.write("templates/postmortem-skeleton.md", "---\ntitle: TODO\n---\n")
    result = kb.cli("lint", "--format", "json")
    assert result.returncode == 0 and json.loads(result.stdout) == []
    kb.build()  # must agree with lint


def test_taxonomy_slug_with_a_trailing_newline_is_rejected(kb):
    from pmkb.core.taxonomy import load_taxonomy

    _, diagnostics, _ = load_taxonomy({"causes": [{"slug": "db\n", "title": "DB", "description": "x."}]}, kb.root)
    assert [d.field for d in diagnostics] == ["causes.0.slug"]


# -- more hostile input, second round ------------------------------------------------------------------------


def test_no_output_lets_file_content_drive_a_terminal_or_a_workflow(corpus: CorpusRun):
    from pmkb.core.text import unsafe_character

    for output in (corpus.lint_text, corpus.lint_github, corpus.lint_stderr):
        for line in output.splitlines():
            assert unsafe_character(line) is None, line
            assert not line.startswith("::") or line.startswith(("::error file=", "::warning file="))


def test_the_pages_mkdocs_builds_are_the_pages_pmkb_checks(kb):
    """`.markdown` postmortems are built and listed, README.md is its folder's page (and the home page), a
    runbook naming a README links to its folder, and a related id given twice is listed once."""
    kb.write(
        "2024/2024-05-01-other.markdown",
        render_postmortem(front_matter(title="Other extension", date="2024-05-01", timeline=_day("2024-05-01"))),
    )
    kb.write("runbooks/failover/README.md", "# Failover\n")
    kb.add(
        "2024-05-02-main",
        related=["2024-05-01-other", "2024-05-01-other"],
        runbooks=["runbooks/failover/README.md"],
    )
    (kb.docs / "index.md").unlink()
    kb.write("README.md", "# Welcome from the README\n")
    assert kb.cli("lint", "--strict").returncode == 0
    site = kb.build(strict=True)
    page = (site / "2024/2024-05-02-main/index.html").read_text("utf-8")
    assert page.count(">Other extension</a>") == 1
    assert 'href="../../runbooks/failover/"' in page
    assert "Other extension" in (site / "incidents/index.html").read_text("utf-8")
    home = (site / "index.html").read_text("utf-8")
    assert "Welcome from the README" in home and "Other extension" in home  # the author's text, then the listing
    assert 'class="pmkb-chart__svg"' in home  # the home page's charts are drawn whichever file serves it


def _day(day: str) -> dict:
    return {"started": f"{day}T09:00:00Z", "detected": f"{day}T09:10:00Z", "resolved": f"{day}T10:00:00Z"}


def _mkdocs_view(config_file: Path) -> tuple:
    from mkdocs.config import load_config

    config = load_config(str(config_file))
    options = config.plugins["pmkb"].config
    return (
        Path(config.docs_dir).resolve(),
        options.drafts,
        tuple(options.pages),
        options.similar,
        config.use_directory_urls,
    )


def _pmkb_view(config_file: Path) -> tuple:
    project = find_project(config_file)
    options = project.options
    return project.docs_dir, options.drafts, options.pages, options.similar, project.directory_urls


def test_the_cli_reads_inherit_and_env_tags_as_mkdocs_does(kb, monkeypatch):
    (kb.root / "base.yml").write_text(
        "docs_dir: postmortems\ntheme: {name: material}\nuse_directory_urls: false\n"
        "plugins:\n  - search\n  - pmkb:\n      pages: [runbooks, guides]\n      similar: !ENV [PMKB_SIMILAR, 3]\n"
    )
    kb.config.write_text(
        "INHERIT: base.yml\nsite_name: Inherited\n"
        "plugins:\n  - search\n  - pmkb:\n      drafts: !ENV [PMKB_TEST_DRAFTS, false]\n"
    )
    assert _pmkb_view(kb.config) == _mkdocs_view(kb.config)  # the child's plugin list replaces the parent's
    monkeypatch.setenv("PMKB_TEST_DRAFTS", "true")
    assert _pmkb_view(kb.config)[1] is True
    assert _pmkb_view(kb.config) == _mkdocs_view(kb.config)
    kb.config.write_text("INHERIT: base.yml\nsite_name: Inherited\n")  # everything from the parent
    monkeypatch.setenv("PMKB_SIMILAR", "7")
    assert _pmkb_view(kb.config) == _mkdocs_view(kb.config)
    assert _pmkb_view(kb.config)[3] == 7 and _pmkb_view(kb.config)[4] is False
    assert kb.cli("lint").returncode == 0


def test_mkdocs_yaml_is_found_when_there_is_no_mkdocs_yml(kb):
    kb.config.rename(kb.root / "mkdocs.yaml")
    kb.add("2024-05-02-fine")
    result = kb.cli("lint")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "config, message",
    [
        ("INHERIT: mkdocs.yml\nsite_name: x\n", "INHERIT loop"),
        ("INHERIT: missing.yml\nsite_name: x\n", "inherited config file 'missing.yml' does not exist"),
        ("site_name: x\ndocs_dir: postmortems\nexclude_docs: [a]\n", "exclude_docs must be a multi-line string"),
        ("site_name: x\ndocs_dir: postmortems\nuse_directory_urls: 'no'\n", "use_directory_urls must be true or false"),
        ("site_name: x\ndocs_dir: [postmortems]\n", "docs_dir must be a folder name"),
    ],
)
def test_a_config_mkdocs_would_refuse_is_one_line(kb, config, message):
    kb.config.write_text(config)
    result = kb.cli("lint")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert message in line


def test_draft_docs_are_validated_but_never_listed_or_linked(kb):
    kb.set_config(draft_docs="2024/2024-05-01-*.md\n")
    kb.add("2024-05-01-in-draft-docs", title="Kept out by draft_docs", date="2024-05-01", timeline=_day("2024-05-01"))
    kb.add("2024-05-02-main", related=["2024-05-01-in-draft-docs"])
    assert kb.cli("lint", "--strict").returncode == 0
    actions = kb.cli("actions", "--json")
    assert "2024-05-01-in-draft-docs" not in actions.stdout
    site = kb.build(strict=True)
    assert not (site / "2024/2024-05-01-in-draft-docs").exists()
    for page in ("incidents/index.html", "2024/2024-05-02-main/index.html", "postmortems.json"):
        assert "Kept out by draft_docs" not in (site / page).read_text("utf-8"), page
    kb.add(
        "2024-05-03-runbook",
        date="2024-05-03",
        runbooks=["2024/2024-05-01-in-draft-docs.md"],
        timeline=_day("2024-05-03"),
    )
    result = kb.cli("lint", "--format", "json")
    assert [d["message"] for d in json.loads(result.stdout)] == [
        "runbooks '2024/2024-05-01-in-draft-docs.md' names a page the build leaves out: "
        "draft_docs in mkdocs.yml keeps it out of the build"
    ]


def test_paths_the_system_refuses_are_one_line_in_every_command(kb):
    long_name = "x" * 5000
    for args in (("lint", long_name), ("lint", "-f", long_name), ("actions", "-f", long_name), ("import", long_name)):
        result = kb.cli(*args)
        assert result.returncode in (1, 2) and "Traceback" not in result.stderr, args
        assert len(result.stderr.strip().splitlines()) <= 2, (args, result.stderr)


@pytest.mark.parametrize(
    "query, message",
    [
        ("(" * 5000 + "x" + ")" * 5000, "characters long"),
        ("(" * 40 + "x" + ")" * 40, "nested deeper than 32 levels at column 33"),
        ("NOT " * 40 + "cache", "nested deeper than 32 levels"),
        ("-" * 40 + "cache", "nested deeper than 32 levels"),
        ("service:(" * 40 + "x" + ")" * 40, "nested deeper than 32 levels"),
        (" ".join(["cache"] * 600), "600 terms; at most 500"),
    ],
)
def test_deep_and_long_queries_are_one_line_not_a_recursion_error(kb, query, message):
    kb.add("2024-05-02-cache")
    result = kb.cli("search", "--", query)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert message in line and "index" not in line  # the query is blamed, not the index


@pytest.mark.parametrize(
    "damage", [b"[" * 100_000, b'{"format": "pmkb-search-manifest", "files": 5}', b"\xff\xfe", b""]
)
def test_a_damaged_search_manifest_is_rebuilt_with_one_line(kb, damage):
    kb.add("2024-05-02-cache")
    assert kb.cli("search", "cache").returncode == 0
    manifest = kb.root / ".cache/pmkb/search/manifest.json"
    manifest.write_bytes(damage)
    result = kb.cli("search", "cache")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "manifest.json is damaged" in result.stderr and "rebuilt" in result.stderr
    assert kb.cli("search", "cache").stderr == ""  # repaired: nothing more to say


@pytest.mark.parametrize("name", ["similar.json", "similar-terms.json"])
def test_a_damaged_similar_cache_is_repaired_and_strict_builds_pass(kb, name, caplog):
    kb.add("2024-05-02-cache")
    kb.add("2024-05-03-cache", date="2024-05-03", timeline=_day("2024-05-03"))
    kb.build(strict=True)
    cache = kb.root / ".cache/pmkb/search" / name
    assert cache.is_file()
    cache.write_bytes(b"[" * 100_000)
    if name == "similar-terms.json":  # read only when the lists must be computed again
        kb.add("2024-05-03-cache", date="2024-05-03", title="Another title", timeline=_day("2024-05-03"))
    with caplog.at_level(logging.INFO):
        kb.build(strict=True)  # a note, never a warning
    assert any(f"{name} could not be read and was rebuilt" in r.getMessage() for r in caplog.records)
    assert json.loads(cache.read_bytes())["format"] == "pmkb-similar"
