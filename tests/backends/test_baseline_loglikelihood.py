"""The baselines score log-likelihood requests: `reference` puts the gold continuation first
however the scores are normalised, `random` lands on chance, `majority` on the most common
answer; through the runner and the cache, as generations go."""

from __future__ import annotations

import asyncio
import math
from dataclasses import replace
from pathlib import Path

from harness.backends import create_backend
from harness.config import RunConfig
from harness.generation.cache import ResponseCache
from harness.generation.runner import Execution, execute
from harness.planner import Plan, build_plan
from harness.records import LETTERS, ContinuationScore, Hints, Request
from harness.registry import TaskRegistry


def _belebele(limit: int) -> Plan:
    selection = RunConfig(tasks=["belebele"], limit=limit, source="sample")
    return build_plan(TaskRegistry(), selection)


def _scoring(plan: Plan) -> list[Request]:
    """Each multiple-choice request of the plan as a log-likelihood request: the options'
    texts as continuations of a cloze context."""
    made = []
    for request in plan.requests:
        sample = plan.samples[request.key]
        context = f"{sample.fields.get('question', sample.id)}\nAnswer:"
        options = tuple(f" {choice}" for choice in sample.choices)
        made.append(replace(request, messages=(), prompt=context, continuations=options))
    return made


def _run(model: str, requests: list[Request], cache: Path) -> Execution:
    async def run() -> Execution:
        backend = create_backend(model)
        try:
            return await execute(requests, backend, ResponseCache(cache))
        finally:
            await backend.aclose()

    return asyncio.run(run())


def _best(scores: tuple[ContinuationScore, ...], per: list[int]) -> int:
    return max(range(len(scores)), key=lambda i: scores[i].logprob / per[i])


def test_reference_ranks_the_gold_continuation_first_by_every_normalisation(
    tmp_path: Path,
) -> None:
    requests = _scoring(_belebele(limit=5))
    assert len({r.language for r in requests}) > 1
    execution = _run("baseline:reference", requests, tmp_path / "cache.sqlite")
    for request, answer, _ in execution.answered:
        assert answer is not None and answer.ok, answer
        scores = answer.scores
        assert len(scores) == len(request.continuations) == 4
        gold = LETTERS.index(request.hints.gold)
        chars = [len(text) for text in request.continuations]
        tokens = [score.tokens for score in scores]
        for per in ([1] * 4, chars, tokens):
            assert _best(scores, per) == gold
        assert [score.greedy for score in scores] == [i == gold for i in range(4)]
    assert execution.counts.failed == 0


def test_a_second_run_is_answered_from_the_cache(tmp_path: Path) -> None:
    requests = _scoring(_belebele(limit=3))
    first = _run("baseline:reference", requests, tmp_path / "cache.sqlite")
    second = _run("baseline:reference", requests, tmp_path / "cache.sqlite")
    assert first.counts.sent > 0 and second.counts.sent == 0
    assert second.counts.from_cache == len(requests)
    assert [a for _, a, _ in second.answered] == [a for _, a, _ in first.answered]


def test_random_lands_on_chance(tmp_path: Path) -> None:
    """400 four-way items: the share that picks the gold is within the 99.9% interval of 1/4
    (seeded, so the same on every run). Each has a context of its own: requests with the same
    text share one answer (deduplicated)."""
    base = _scoring(_belebele(limit=1))[0]
    requests = [replace(base, sample_id=str(i), prompt=f"{i}. Answer:") for i in range(400)]
    execution = _run("baseline:random", requests, tmp_path / "cache.sqlite")
    gold = LETTERS.index(base.hints.gold)
    right = sum(_best(a.scores, [1] * 4) == gold for _, a, _ in execution.answered if a)
    spread = 3.3 * math.sqrt(400 * 0.25 * 0.75)
    assert abs(right - 100) < spread, right
    picks = {_best(a.scores, [1] * 4) for _, a, _ in execution.answered if a}
    assert picks == {0, 1, 2, 3}


def test_requests_with_the_same_text_are_scored_once(tmp_path: Path) -> None:
    base = _scoring(_belebele(limit=1))[0]
    requests = [replace(base, sample_id=str(i), variant=f"v{i % 2}") for i in range(10)]
    execution = _run("baseline:random", requests, tmp_path / "cache.sqlite")
    assert execution.counts.sent == 1
    assert len({a for _, a, _ in execution.answered}) == 1


def test_majority_picks_the_most_common_gold_answer(tmp_path: Path) -> None:
    base = _scoring(_belebele(limit=1))[0]
    hints = Hints(gold="A", answer_pool=("C", "B", "C", "A"))
    execution = _run("baseline:majority", [replace(base, hints=hints)], tmp_path / "c.sqlite")
    ((_, answer, _),) = execution.answered
    assert answer is not None and [s.greedy for s in answer.scores] == [0, 0, 1, 0]


def test_the_gold_is_found_by_its_text_and_a_missing_one_is_a_clear_error(
    tmp_path: Path,
) -> None:
    base = replace(_scoring(_belebele(limit=1))[0], continuations=(" oui", " non"))
    by_text = replace(base, hints=Hints(gold="non"))
    missing = replace(base, sample_id="x", hints=Hints(gold="peut-être"))
    execution = _run("baseline:reference", [by_text, missing], tmp_path / "cache.sqlite")
    found, lost = (answer for _, answer, _ in execution.answered)
    assert found is not None and [s.greedy for s in found.scores] == [False, True]
    assert lost is not None and lost.error == (
        "not retried: baseline:reference cannot find the answer 'peut-être' among the continuations"
    )


def test_copy_source_does_not_score(tmp_path: Path) -> None:
    request = _scoring(_belebele(limit=1))[0]
    execution = _run("baseline:copy-source", [request], tmp_path / "cache.sqlite")
    ((_, answer, _),) = execution.answered
    assert answer is not None and answer.error == (
        "not retried: baseline:copy-source does not score log-likelihood requests"
    )
