"""The garbage collector during a build: paused while many long-lived objects are made."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection meanwhile. For building objects that all stay alive and hold no reference cycles
    (tests check that parsing makes none): a collection would walk them all and free nothing. Parsing 5,000
    files took 15-20% longer with the collector on, and unpickling a child's results twice as long."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
