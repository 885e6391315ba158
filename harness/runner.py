"""Running a plan: answers from the cache first, every other request in flight together,
each answer stored as it arrives. Scoring is harness.scorer's, on the run's records.

Identical prompts are sent once only where decoding is deterministic (temperature 0, one
completion): otherwise each sample is asked for its own answer, and the cache keeps each
sample's answer under its own key (harness.cache.cache_key)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.backends import Backend
from harness.cache import ResponseCache, cache_key
from harness.planner import Plan
from harness.record import SampleRecord
from harness.record.build import sample_record
from harness.records import Request, Response

Progress = Callable[[int], None]  # called with the number of newly finished requests
Answered = tuple[Request, Response | None, bool]  # a request, its answer, from the cache?


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
    answered: list[Answered]
    counts: Counts
    timings: dict[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        # short: asyncio formats the finished main task, and with it this result, when
        # asyncio.run restores its SIGINT handler (signal.getsignal); a full repr of
        # thousands of requests takes seconds
        return f"Execution({len(self.answered)} answers, {self.counts})"

    def records(self, plan: Plan) -> list[SampleRecord]:
        """The sample records of the answers (not yet scored)."""
        return [sample_record(plan.samples[r.key], r, a, c) for r, a, c in self.answered]


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
    answered = [
        (r, answers.get(k) or failures.get(k), k in from_cache)
        for r, k in zip(plan.requests, keys, strict=True)
    ]
    counts.failed = sum(1 for _, a, _ in answered if a is None or not a.ok)
    counts.truncated = sum(1 for _, a, _ in answered if a is not None and a.truncated)
    for _, a, cached in answered:
        if a is not None and not cached:
            counts.prompt_tokens += a.usage.prompt_tokens
            counts.completion_tokens += a.usage.completion_tokens
    timings = {"prepare_s": sent_at - started, "generate_s": time.perf_counter() - sent_at}
    return Execution(answered, counts, timings)


def _unique_pending(
    requests: list[Request], keys: list[str], done: set[str]
) -> list[tuple[str, Request]]:
    """Requests not answered yet; requests with the same cache key (identical prompts decoded
    deterministically) are sent once."""
    seen: set[str] = set()
    pending = []
    for request, key in zip(requests, keys, strict=True):
        if key not in done and key not in seen:
            seen.add(key)
            pending.append((key, request))
    return pending
