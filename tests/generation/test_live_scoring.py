"""Answers scored as they arrive (harness.live_scoring) give the files that scoring after the
run gives, byte for byte: against `evaluate score` of the run folder, and against a run that
scores everything at the end; also where the worker fails or dies."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness import live_scoring, scorer
from harness.langid import text
from harness.record import SampleRecord, folder

# question answering, log-likelihood with acc_pmi companions (final only at the end), round
# trips (their first leg is not final) and translations (whose records the corpus step changes
# after the worker wrote their lines): every way a record becomes final
RUN = (
    "run --model baseline:random --source sample --limit 4 --tasks "
    "mgsm,belebele,round_trip,xcopa,flores --variants native_cot,zero_shot,round_trip,cloze"
)
FILES = ("scores.json", "summary.json", "samples.jsonl", "gaps.json")


@pytest.fixture
def scored_at_end(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many samples each call scored after the run (those not scored as they came)."""
    if threading.active_count() > 1:
        pytest.skip("another thread runs in this test process: no worker would be forked")
    counts: list[int] = []
    original = scorer._score_each

    def counted(samples: Sequence[SampleRecord], *args: Any) -> list[SampleRecord]:
        counts.append(len(samples))
        return original(samples, *args)

    monkeypatch.setattr(scorer, "_score_each", counted)
    monkeypatch.setattr(live_scoring, "MIN_SAMPLES", 1)
    return counts


def _same_files(one: Path, other: Path) -> None:
    for name in FILES:
        assert (one / name).read_bytes() == (other / name).read_bytes(), name


def _scored_after(
    evaluate: Callable[..., Result], tmp_path: Path, ahead: Path, cache: str = "other.sqlite"
) -> None:
    """The run scored again from its folder, and run once more scoring everything at the end
    (by default with a cache of its own: the answers are the seeded baseline's again, not
    cached ones, as in a first run): the same."""
    rescored = tmp_path / "rescored"
    assert evaluate("score", str(ahead), output=rescored).exit_code == 0
    _same_files(ahead, rescored)
    at_end = tmp_path / "at-end"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(live_scoring, "MIN_SAMPLES", 10**9)
        result = evaluate(RUN, output=at_end, cache=tmp_path / cache)
    assert result.exit_code == 0, result.output
    _same_files(ahead, at_end)


def test_answers_scored_as_they_arrive_give_the_files_of_scoring_after_the_run(
    evaluate: Callable[..., Result], tmp_path: Path, scored_at_end: list[int]
) -> None:
    written_here: list[str] = []  # lines of samples.jsonl this process wrote, not the worker
    original = folder.sample_line

    def line(record: SampleRecord) -> str:
        written_here.append(record.task)
        return original(record)

    ahead = tmp_path / "ahead"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(folder, "sample_line", line)
        result = evaluate(RUN, output=ahead)
    assert result.exit_code == 0, result.output
    samples = (ahead / "samples.jsonl").read_text().splitlines()
    # left for the end: the round trips of round_trip (8) and of flores (16), and the xcopa
    # cloze samples, which wait for their companions (20); the worker scored the other 176
    assert len(samples) == 220 and scored_at_end == [44]
    # and wrote their lines, but for flores's 32 translations, which the corpus step changed
    assert Counter(written_here) == {"round_trip": 8, "flores": 16 + 32, "xcopa": 20}
    _scored_after(evaluate, tmp_path, ahead)


def test_a_rerun_from_the_cache_is_scored_by_the_worker_and_this_process_together(
    evaluate: Callable[..., Result],
    tmp_path: Path,
    scored_at_end: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert evaluate(RUN, output=tmp_path / "first").exit_code == 0
    here: list[int] = []  # records this process scored while the worker scored others
    original = live_scoring.scoring_update

    def counted(*args: Any) -> dict[str, Any]:
        here.append(os.getpid())
        return original(*args)

    monkeypatch.setattr(live_scoring, "scoring_update", counted)
    monkeypatch.setattr(live_scoring, "BATCH", 8)
    monkeypatch.setattr(live_scoring, "HELP_PAYS_S", 0.0)  # helping always pays
    ahead = tmp_path / "ahead"
    result = evaluate(RUN, output=ahead)  # every answer from the cache, at once
    assert result.exit_code == 0, result.output
    assert set(here) == {os.getpid()} and 0 < len(here) < 176
    assert scored_at_end == [44, 44]  # round trips and acc_pmi: at the end, both times
    _scored_after(evaluate, tmp_path, ahead, cache="cache.sqlite")  # from the cache too


def _raises(*args: Any) -> dict[str, Any]:
    raise RuntimeError("a scoring bug")


def _dies(*args: Any) -> dict[str, Any]:
    os._exit(1)


@pytest.mark.parametrize("fault", [_raises, _dies], ids=["raises", "dies"])
def test_what_the_worker_could_not_score_is_scored_at_the_end(
    evaluate: Callable[..., Result],
    tmp_path: Path,
    scored_at_end: list[int],
    fault: Callable[..., dict[str, Any]],
) -> None:
    ahead = tmp_path / "ahead"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(live_scoring, "scoring_update", fault)  # the worker's: forked with it
        result = evaluate(RUN, output=ahead)
    assert result.exit_code == 0, result.output
    assert sum(scored_at_end) == 220
    _scored_after(evaluate, tmp_path, ahead)


def test_the_worker_yields_the_cpu_to_the_run(
    scored_at_end: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_scoring, "MIN_SAMPLES", 0)
    with live_scoring.live_scoring(live_scoring.Planned({}, "default", [], {})) as live:
        assert live._pool is not None, "a worker is forked"
        niceness = live._pool.submit(os.nice, 0).result()
    assert niceness == min(19, os.nice(0) + live_scoring.NICENESS)


def test_answers_read_from_a_file_that_answers_some_samples_are_scored_as_they_come(
    evaluate: Callable[..., Result], tmp_path: Path, scored_at_end: list[int]
) -> None:
    """The plan is cut to the samples the file answers before the worker is forked: the
    records it makes are those of the cut plan."""
    first = tmp_path / "first"
    command = "run --model baseline:random --source sample --limit 4 --tasks mgsm,belebele"
    assert evaluate(command, output=first).exit_code == 0
    lines = (first / "samples.jsonl").read_text().splitlines()
    kept = tmp_path / "some.jsonl"
    kept.write_text("".join(line + "\n" for line in lines[1::2]))
    ahead = tmp_path / "ahead"
    result = evaluate(f"{command} --predictions {kept}", output=ahead)
    assert result.exit_code == 0, result.output
    assert len((ahead / "samples.jsonl").read_text().splitlines()) == len(lines[1::2])
    assert sum(scored_at_end) == 0  # every answer was scored by the worker, in both runs
    rescored = tmp_path / "rescored"
    assert evaluate("score", str(ahead), output=rescored).exit_code == 0
    _same_files(ahead, rescored)


def _patterns_loaded() -> int:
    return text._word_pattern.cache_info().currsize


def test_the_worker_loads_what_scoring_needs_before_the_first_answer(
    scored_at_end: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forked with the plan, the worker scores a made-up answer of each task and variant at
    once: the language patterns are loaded before any answer is sent to it."""
    from harness.config import RunConfig
    from harness.manifest import tasks_info
    from harness.planner import build_plan
    from harness.registry import TaskRegistry

    options = RunConfig(tasks=["mgsm"], variants=["direct"], source="sample", limit=2)
    plan = build_plan(TaskRegistry(), options)
    planned = live_scoring.Planned(tasks_info(plan), "default", plan.requests, plan.samples)
    monkeypatch.setattr(live_scoring, "MIN_SAMPLES", 0)
    text._word_pattern.cache_clear()  # as in a process that has scored nothing yet
    with live_scoring.live_scoring(planned) as live:
        assert live._pool is not None
        assert live._pool.submit(_patterns_loaded).result() == 1
