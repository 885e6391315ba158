"""Scoring across forked worker processes gives what scoring in one process gives, and forking
happens only where it is safe."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from harness import parallel, scorer
from harness.backends.baseline import create
from harness.backends.options import BackendOptions
from harness.config import RunConfig
from harness.generation import runner
from harness.manifest import task_info
from harness.parallel import forked_pool_map
from harness.planner import build_plan
from harness.record import SampleRecord, TaskInfo
from harness.registry import TaskRegistry
from harness.scorer import score_samples


def _pids(start: int, stop: int) -> list[tuple[int, int]]:
    return [(index, os.getpid()) for index in range(start, stop)]


def test_even_bounds_cover_every_item_once() -> None:
    assert parallel.even_bounds(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert parallel.even_bounds(2, 4) == [(0, 1), (1, 2)]


def test_forked_pool_map_keeps_order_and_tells_each_call_done() -> None:
    done: list[int] = []
    parts = parallel.forked_pool_map(_pids, parallel.even_bounds(40, 8), 2, done.append)
    found = [item for part in parts for item in part]
    assert [index for index, _ in found] == list(range(40))
    assert os.getpid() not in {pid for _, pid in found}  # every call in a worker
    assert sorted(done) == list(range(8))


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


def _answered(tmp_path: Path) -> tuple[list[SampleRecord], dict[str, TaskInfo]]:
    selection = RunConfig(tasks=["lcb", "mgsm", "flores_v1"], source="sample")
    plan = build_plan(TaskRegistry(), selection)
    backend = create("random", BackendOptions())

    async def answers() -> list[runner.Answered]:
        found = {i: r async for i, r in backend.generate(plan.requests)}
        return [(request, found[i], False) for i, request in enumerate(plan.requests)]

    execution = runner.Execution(asyncio.run(answers()), runner.Counts())
    return execution.records(plan), {t.task.name: task_info(t) for t in plan.tasks}


def test_forked_scoring_equals_scoring_in_one_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    samples, tasks = _answered(tmp_path)
    alone = score_samples(samples, tasks, "default")
    monkeypatch.setattr(scorer, "PARALLEL_MIN_SAMPLES", 10)
    monkeypatch.setattr(scorer, "_MIN_CHUNK", 5)
    monkeypatch.setattr(scorer, "PROBE", 0)  # nothing scored here first, whatever it costs
    monkeypatch.setattr(scorer, "FORK_PAYS_S", 0.0)
    monkeypatch.setattr(parallel, "cpu_count", lambda: 3)
    if threading.active_count() > 1:
        pytest.skip("another thread runs in this test process: scoring would not fork")
    splits: list[tuple[list[tuple[int, int]], int]] = []

    def recorded(function: Any, bounds: list[tuple[int, int]], workers: int, done: Any) -> Any:
        splits.append((bounds, workers))
        return forked_pool_map(function, bounds, workers, done)

    monkeypatch.setattr(scorer, "forked_pool_map", recorded)
    advanced: list[int] = []
    forked = score_samples(samples, tasks, "default", advanced.append)
    [(bounds, workers)] = splits
    assert workers == 3 and len(bounds) > workers  # three processes scored, chunk by chunk
    assert sum(advanced) == len(samples) and len(advanced) == len(bounds)  # progress per chunk
    assert len(forked) == len(alone) > 100
    assert forked == alone


def test_a_rest_that_is_quick_to_score_is_scored_here(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    samples, tasks = _answered(tmp_path)
    monkeypatch.setattr(scorer, "PARALLEL_MIN_SAMPLES", 10)
    monkeypatch.setattr(scorer, "_MIN_CHUNK", 5)
    monkeypatch.setattr(scorer, "PROBE", 20)
    monkeypatch.setattr(scorer, "FORK_PAYS_S", 3600.0)  # the rest would take less than an hour

    def refused(*args: Any) -> Any:
        raise AssertionError("forked")

    monkeypatch.setattr(scorer, "forked_pool_map", refused)
    advanced: list[int] = []
    scored = score_samples(samples, tasks, "default", advanced.append)
    assert sum(advanced) == len(samples) == len(scored) > 100
    assert all(s.scores or s.output is None for s in scored)
