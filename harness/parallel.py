"""Work split across forked worker processes, where that is safe and pays.

Forking is used only where the platform has it, in a process that may have children, and
while this process runs no other thread (forking a process with other threads running can
deadlock the child: a run that talks to a server keeps its client's threads, so it scores in
one process). Each worker is forked from this process as it is, so it shares the state it
needs (a plan, the answers) without pickling it; only the results travel back.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
Chunk = Callable[[int, int], list[T]]  # the results for items [start, stop)


def cpu_count() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def fork_workers(items: int, min_items: int, min_chunk: int, requested: int | None = None) -> int:
    """How many processes (this one included) to split `items` across: one where forking is not
    possible or safe, or fewer than `min_items` would not pay for it; `requested` if given."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if multiprocessing.current_process().daemon:  # may not have children
        return 1
    if requested is not None:
        return max(1, min(requested, items))
    if items < min_items or threading.active_count() > 1:
        return 1
    return max(1, min(cpu_count(), items // min_chunk))


def even_bounds(items: int, parts: int) -> list[tuple[int, int]]:
    """`parts` contiguous ranges of about as many items each."""
    edges = sorted({items * k // parts for k in range(parts + 1)})
    return list(itertools.pairwise(edges))


def forked_map(chunk: Chunk[T], bounds: list[tuple[int, int]]) -> list[T]:
    """`chunk(start, stop)` over each range, in order: the first range in this process, the
    others in forked workers (`chunk` must be a module-level function)."""
    if len(bounds) < 2:
        return [item for start, stop in bounds for item in chunk(start, stop)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=len(bounds) - 1, mp_context=context) as pool:
        futures = [pool.submit(chunk, start, stop) for start, stop in bounds[1:]]
        first = chunk(*bounds[0])
        rest = [future.result() for future in futures]
    return [*first, *(item for part in rest for item in part)]
