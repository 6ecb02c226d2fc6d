"""Pausing Python's cyclic garbage collector around bulk work that makes no reference cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration of the block.

    Reading a large crontab or inferring its pipeline allocates hundreds of thousands of small objects
    and frees few of them until it returns; each allocation burst would otherwise start collections
    that walk every live object again (a fifth to a third of the time on the benchmarks). Reference
    counting still frees everything as usual. A block nested in another pause leaves it paused.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
