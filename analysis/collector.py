"""Python's cycle collector, paused around the analysis's bulk steps."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while passages are prepared or suggestions built.

    Preparing and scoring a study allocate millions of small acyclic objects (matches, evidence,
    tuples) next to the large heap of prepared passages, and every collection that
    allocation triggers walks that heap: measured, a third of the time of suggesting
    10,000 passages (BENCHMARKS.md, "Session 11"). Nothing built here forms a cycle,
    so reference counting frees it all. The collector resumes at the end, also after an
    error, if this call paused it (a thread that finds it paused leaves it to the one
    that paused it).
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
