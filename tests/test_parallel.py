"""Scoring across forked worker processes gives what scoring in one process gives, and forking
happens only where it is safe."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from harness import parallel, runner
from harness.backends.baseline import create
from harness.backends.options import BackendOptions
from harness.parallel import forked_map
from harness.planner import Selection, build_plan
from harness.registry import TaskRegistry
from harness.runner import score_answers


def _pids(start: int, stop: int) -> list[tuple[int, int]]:
    return [(index, os.getpid()) for index in range(start, stop)]


def test_even_bounds_cover_every_item_once() -> None:
    assert parallel.even_bounds(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert parallel.even_bounds(2, 4) == [(0, 1), (1, 2)]


def test_forked_map_keeps_order_and_uses_other_processes() -> None:
    parts = parallel.forked_map(_pids, parallel.even_bounds(40, 4))
    found = [item for part in parts for item in part]
    assert [index for index, _ in found] == list(range(40))
    # the first range here, the others in workers (a worker may take more than one range)
    assert found[0][1] == os.getpid() and {pid for _, pid in found[10:]} - {os.getpid()}
    assert {pid for _, pid in found[:10]} == {os.getpid()}


def test_no_fork_while_another_thread_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "cpu_count", lambda: 4)
    assert parallel.fork_workers(10_000, 1000, 500) == 4
    assert parallel.fork_workers(999, 1000, 500) == 1  # too few to pay
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert parallel.fork_workers(10_000, 1000, 500) == 1
    finally:
        stop.set()
        worker.join()


def _answered(tmp_path: Path) -> tuple[object, list[runner.Answered]]:
    selection = Selection(tasks=["lcb", "mgsm", "flores_v1"], source="sample")
    plan = build_plan(TaskRegistry(), selection)
    backend = create("random", BackendOptions())

    async def answers() -> list[runner.Answered]:
        found = {i: r async for i, r in backend.generate(plan.requests)}
        return [(request, found[i], False) for i, request in enumerate(plan.requests)]

    return plan, asyncio.run(answers())


def test_forked_scoring_equals_scoring_in_one_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plan, answered = _answered(tmp_path)
    alone = score_answers(plan, answered)  # type: ignore[arg-type]
    monkeypatch.setattr(runner, "PARALLEL_MIN_ANSWERS", 10)
    monkeypatch.setattr(runner, "_MIN_CHUNK", 5)
    monkeypatch.setattr(parallel, "cpu_count", lambda: 3)
    if threading.active_count() > 1:
        pytest.skip("another thread runs in this test process: scoring would not fork")
    splits: list[list[tuple[int, int]]] = []

    def recorded(function: Any, bounds: list[tuple[int, int]]) -> list[Any]:
        splits.append(bounds)
        return forked_map(function, bounds)

    monkeypatch.setattr(runner, "forked_map", recorded)
    forked = score_answers(plan, answered)  # type: ignore[arg-type]
    assert len(splits) == 1 and len(splits[0]) == 3  # three processes scored
    assert len(forked) == len(alone) > 100
    for a, b in zip(alone, forked, strict=True):
        assert a.request.key == b.request.key
        assert (a.parsed, a.scores, a.details) == (b.parsed, b.scores, b.details)
