""" "Did you mean": the nearest existing value to one an author (or a command line) gave.

One function for every place that suggests (keys, taxonomy values, enums, related ids, runbook pages, owners), so
that they all suggest the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

_CUTOFF = 0.6  # difflib's default: 'config' finds 'config-change', 'sev9' finds nothing
_MIN_CONTAINED = 3  # a shorter fragment is contained in too many values to point at one
_SHORT = 6  # in a value this short a different number is a different value, not a typo (SEV9 is no SEV4)


def nearest(value: str, candidates: Iterable[str], n: int = 1) -> list[str]:
    """Up to `n` candidates closest to `value`, best first; [] when none is close.

    A candidate equal but for case wins; then difflib's similarity (ignoring case); failing that, the candidates
    that contain the value or that it contains (`cause: config` -> `config-change`, `owner: dcaro` ->
    `aborrero, dcaro`), when there are at most `n` of them (more would be a guess, not a suggestion).
    """
    folded = " ".join(value.split()).casefold()
    if not folded:
        return []
    by_folded: dict[str, str] = {}
    for candidate in candidates:
        by_folded.setdefault(" ".join(candidate.split()).casefold(), candidate)
    if folded in by_folded:
        return [by_folded[folded]]
    close = [
        match
        for match in difflib.get_close_matches(folded, list(by_folded), n=n, cutoff=_CUTOFF)
        if not _only_numbers_differ(folded, match)
    ]
    if close:
        return [by_folded[match] for match in close]
    if len(folded) < _MIN_CONTAINED:
        return []
    containing = [original for key, original in by_folded.items() if folded in key or key in folded and len(key) > 2]
    return containing if len(containing) <= n else []


def did_you_mean(value: str, candidates: Iterable[str], n: int = 1) -> str:
    """`; did you mean 'x'?` (or `'x' or 'y'`), or "" when nothing is close."""
    found = nearest(value, candidates, n)
    if not found:
        return ""
    return "; did you mean " + " or ".join(f"'{candidate}'" for candidate in found) + "?"


def _only_numbers_differ(value: str, candidate: str) -> bool:
    def letters(text: str) -> str:
        return "".join(char for char in text if not char.isdigit())

    return len(value) <= _SHORT and value != candidate and letters(value) == letters(candidate)
