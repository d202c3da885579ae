"""What "today" is for a build or a command: overdue action items depend on it."""

from __future__ import annotations

import os
from datetime import date

TODAY_VARIABLE = "PMKB_TODAY"


class TodayError(ValueError):
    """PMKB_TODAY is set but is not a date."""


def today_from_environment() -> date:
    """Today, unless PMKB_TODAY=YYYY-MM-DD freezes it (tests, reproducible rebuilds of an old site)."""
    frozen = os.environ.get(TODAY_VARIABLE)
    if frozen:
        try:
            return date.fromisoformat(frozen)
        except ValueError:
            raise TodayError(f"{TODAY_VARIABLE}={frozen!r} is not a date (YYYY-MM-DD)") from None
    return date.today()
