"""Running a plan: answers from the cache first, every other request in flight together,
each answer stored as it arrives; then parsing and scoring."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.backends import Backend
from harness.cache import ResponseCache, cache_key
from harness.consistency import expected_language, language_scores
from harness.literals import get_literals
from harness.metrics import score
from harness.parallel import even_bounds, fork_workers, forked_map
from harness.parsers import get_parser
from harness.planner import Plan
from harness.records import Request, Response, ScoredSample
from harness.translation.scoring import score_output

Progress = Callable[[int], None]  # called with the number of newly finished requests


@dataclass
class Counts:
    requests: int = 0
    sent: int = 0
    from_cache: int = 0
    failed: int = 0
    truncated: int = 0  # answers cut by the token limit
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class Execution:
    results: list[ScoredSample]
    counts: Counts
    timings: dict[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        # short: asyncio formats the finished main task, and with it this result, when
        # asyncio.run restores its SIGINT handler (signal.getsignal); a full repr of
        # thousands of requests takes seconds
        return f"Execution({len(self.results)} results, {self.counts})"


async def execute(
    plan: Plan, backend: Backend, cache: ResponseCache, progress: Progress = lambda n: None
) -> Execution:
    started = time.perf_counter()
    identity = backend.identity()
    keys = [cache_key(identity, r, backend.cache_salt(r)) for r in plan.requests]
    answers = cache.get_many(keys)
    from_cache = {k for k in keys if k in answers}
    counts = Counts(requests=len(keys), from_cache=sum(k in from_cache for k in keys))
    progress(counts.from_cache)
    pending = _unique_pending(plan.requests, keys, from_cache)
    multiplicity = Counter(keys)
    failures: dict[str, Response] = {}
    sent_at = time.perf_counter()
    async for index, response in backend.generate([r for _, r in pending]):
        key = pending[index][0]
        counts.sent += 1
        if response.ok:
            cache.put(key, response)
            answers[key] = response
        else:
            failures[key] = response
        progress(multiplicity[key])
    generated = time.perf_counter()
    answered = [
        (r, answers.get(k) or failures.get(k), k in from_cache)
        for r, k in zip(plan.requests, keys, strict=True)
    ]
    results = score_answers(plan, answered)
    counts.failed = sum(1 for r in results if r.response is None or not r.response.ok)
    counts.truncated = sum(1 for r in results if r.response is not None and r.response.truncated)
    for r in results:
        if r.response is not None and not r.cached:
            counts.prompt_tokens += r.response.usage.prompt_tokens
            counts.completion_tokens += r.response.usage.completion_tokens
    timings = {
        "prepare_s": sent_at - started,
        "generate_s": generated - sent_at,
        "score_s": time.perf_counter() - generated,
    }
    return Execution(results, counts, timings)


Answered = tuple[Request, Response | None, bool]  # a request, its answer, from the cache?
PARALLEL_MIN_ANSWERS = 2000
"""Below this many answers they are scored in this process: forking does not pay."""
_MIN_CHUNK = 500  # answers per worker process, at least
_FORKED: tuple[Plan, list[Answered]] | None = None  # what forked workers score


def score_answers(plan: Plan, answered: list[Answered]) -> list[ScoredSample]:
    """Each answer parsed and scored; many answers across forked worker processes, where
    nothing else runs (answers given in a predictions file, a run scored again)."""
    global _FORKED
    workers = fork_workers(len(answered), PARALLEL_MIN_ANSWERS, _MIN_CHUNK)
    if workers <= 1:
        return [_scored(plan, *item) for item in answered]
    _FORKED = (plan, answered)
    try:
        parts = forked_map(_score_range, even_bounds(len(answered), workers))
    finally:
        _FORKED = None
    return [result for part in parts for result in part]


def _score_range(start: int, stop: int) -> list[ScoredSample]:
    assert _FORKED is not None, "set by score_answers before the workers are forked"
    plan, answered = _FORKED
    return [_scored(plan, *item) for item in answered[start:stop]]


def _unique_pending(
    requests: list[Request], keys: list[str], done: set[str]
) -> list[tuple[str, Request]]:
    """Requests not answered yet; identical prompts are sent once."""
    seen: set[str] = set()
    pending = []
    for request, key in zip(requests, keys, strict=True):
        if key not in done and key not in seen:
            seen.add(key)
            pending.append((key, request))
    return pending


def _scored(plan: Plan, request: Request, response: Response | None, cached: bool) -> ScoredSample:
    task = plan.task(request.task).task
    sample = plan.samples[request.key]
    if response is None or not response.ok:
        return ScoredSample(request, response, None, {}, cached)
    if task.spec.kind == "translation":
        return score_output(request, response, sample, cached, plan.detector)
    parser = get_parser(task.spec.parser)
    literals = get_literals(request.language)
    parsed = parser(response.text, literals, sample.choices, complete=not response.truncated)
    metrics = [*task.spec.metrics, "parse_rate"]
    scores = score(metrics, parsed, sample.answers or (sample.gold,), sample.language)
    expected = expected_language(task.variant(request.variant), request.language)
    primary = scores.get(task.spec.metrics[0]) if task.spec.metrics else None
    language, details = language_scores(
        response.text, response.reasoning, expected, primary, plan.detector
    )
    return ScoredSample(request, response, parsed, scores | language, cached, details)
