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
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

R = TypeVar("R")


def cpu_count() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def fork_workers(items: int, min_items: int, min_chunk: int, requested: int | None = None) -> int:
    """How many processes (this one included) to split `items` across: one where forking is not
    possible or safe, or fewer than `min_items` would not pay for it; `requested` if given."""
    if not can_fork():
        return 1
    if requested is not None:
        return max(1, min(requested, items))
    if items < min_items or threading.active_count() > 1:
        return 1
    return max(1, min(cpu_count(), items // min_chunk))


def can_fork() -> bool:
    """Whether this process may fork workers: the platform has fork, and it is no daemon
    (which may not have children). Whether forking is safe is `threading.active_count()`'s."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    return not multiprocessing.current_process().daemon


def even_bounds(items: int, parts: int) -> list[tuple[int, int]]:
    """`parts` contiguous ranges of about as many items each."""
    edges = sorted({items * k // parts for k in range(parts + 1)})
    return list(itertools.pairwise(edges))


def forked_map(function: Callable[..., R], calls: Sequence[tuple[Any, ...]]) -> list[R]:
    """`function(*args)` for each call's arguments, results in order: the first call in this
    process, the others in forked workers (`function` must be a module-level function, and
    the arguments are pickled to the workers: pass ranges of state the workers share, or the
    slices they need)."""
    if len(calls) < 2:
        return [function(*args) for args in calls]
    from concurrent.futures import ProcessPoolExecutor  # where work is split, not in every run

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=len(calls) - 1, mp_context=context) as pool:
        futures = [pool.submit(function, *args) for args in calls[1:]]
        first = function(*calls[0])
        return [first, *(future.result() for future in futures)]


def forked_pool_map(
    function: Callable[..., R],
    calls: Sequence[tuple[Any, ...]],
    workers: int,
    done: Callable[[int], None] = lambda index: None,
) -> list[R]:
    """`function(*args)` for each call's arguments, results in order, each call in one of
    `workers` forked processes while this one waits: `done(index)` is told here as each call
    finishes, so that more calls than workers show progress (a bar moves as chunks end)."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("fork")
    results: dict[int, R] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(function, *args): index for index, args in enumerate(calls)}
        for future in as_completed(futures):
            index = futures[future]
            results[index] = future.result()
            done(index)
    return [results[index] for index in range(len(calls))]
