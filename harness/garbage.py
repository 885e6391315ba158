"""The cyclic garbage collector, as the commands use it.

The commands make many objects that live until they end (modules, a run's plan and answers, a
leaderboard's rows) and few reference cycles, and the collector's passes over what lives on are
pure cost: at Python's own thresholds, about a tenth of a 2,750-request run's CPU. So:

- `tune`: collect every THRESHOLDS[0] allocations, not Python's 700;
- `settling`: while a run plans, nothing is collected; what exists once it has planned (the
  modules, the plan) is frozen, out of every later pass, until the run ends;
- `paused`: no collection at all, for work that makes no cycles (building the site);
- `frozen`: what exists frozen while forked workers share it, so that their collectors leave
  the pages they share with this process untouched;
- `tune` also freezes everything as the interpreter exits, so that its last collection walks
  nothing: the process's memory goes back whole (a command has closed and flushed every file
  it wrote by then).
"""

from __future__ import annotations

import atexit
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

THRESHOLDS = (100_000, 50, 1_000)


def tune() -> None:
    """This process's thresholds, and everything frozen at its exit."""
    gc.set_threshold(*THRESHOLDS)
    atexit.unregister(gc.freeze)  # once, however often a command is run in one process
    atexit.register(gc.freeze)


@contextmanager
def settling() -> Iterator[Callable[[], None]]:
    """For a run: no collection until the run calls what this gives (`settled`, once it has
    planned), which freezes what exists then; everything frozen goes back to the collector
    when the block ends."""
    enabled = gc.isenabled()
    gc.disable()
    frozen = False

    def settled() -> None:
        nonlocal frozen
        gc.freeze()
        frozen = True
        if enabled:
            gc.enable()

    try:
        yield settled
    finally:
        if frozen:
            gc.unfreeze()
        if enabled:
            gc.enable()


@contextmanager
def paused() -> Iterator[None]:
    """No collection in the block."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def frozen() -> Iterator[None]:
    """What exists frozen for the block (forked workers share it with this process)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
