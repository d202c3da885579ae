"""Every speed trick of pmkb, behind one named switch each.

A trick earns its place with a measured figure (in the docstring where it is used) and must be possible to turn
off, to rule it out when something looks wrong and to compare output with and without it (the tests do).
`PMKB_SPEEDUPS` holds a comma-separated list: `none` turns every trick off, `-name` turns one off
(`PMKB_SPEEDUPS=-chrome,-rows`); unset or `all` keeps them all on. `PMKB_WORKERS=1` is the older way to say
`-fork`.

- `fork`: parsing, the exports and similar incidents on a second core (pmkb.runtime.forking).
- `freeze`: the build freezes the garbage collector's view of the catalog after parsing. While frozen, a
  reference cycle made by any module stays in memory until the build ends: code that runs during a build must
  make none (tests check the parser and the views for cycles).
- `fast-yaml`: plain front matter is composed by libyaml in C (pmkb.core.yaml_positions).
- `chrome`: Material's header, footer, sidebar and scripts rendered once per set of links and reused
  (pmkb.mkdocs_plugin.fragments).
- `rows`: listing rows rendered once per build and reused (pmkb.mkdocs_plugin.fragments).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

SPEEDUPS_VARIABLE = "PMKB_SPEEDUPS"


class SpeedupsError(ValueError):
    """PMKB_SPEEDUPS names a trick that does not exist."""


@dataclass(frozen=True)
class Speedups:
    fork: bool = True
    freeze: bool = True
    fast_yaml: bool = True
    chrome: bool = True
    rows: bool = True


NAMES = tuple(option.name.replace("_", "-") for option in fields(Speedups))


def speedups() -> Speedups:
    """The tricks in force, read from the environment on every call (cheap, and tests can switch them)."""
    raw = os.environ.get(SPEEDUPS_VARIABLE, "").strip()
    on = dict.fromkeys(NAMES, True)
    for item in (part.strip() for part in raw.split(",") if part.strip()):
        if item == "all":
            continue
        if item == "none":
            on = dict.fromkeys(NAMES, False)
            continue
        name = item.removeprefix("-")
        if name not in on:
            raise SpeedupsError(f"{SPEEDUPS_VARIABLE}: no speed trick named '{name}' (known: {', '.join(NAMES)})")
        on[name] = not item.startswith("-")
    if os.environ.get("PMKB_WORKERS") == "1":
        on["fork"] = False
    return Speedups(**{name.replace("-", "_"): value for name, value in on.items()})
