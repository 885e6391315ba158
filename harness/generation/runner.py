"""Running a plan: answers from the cache first, every other request in flight together,
each answer stored as it arrives (those of one turn of the event loop in one write:
harness.generation.cache.Storing). Scoring is harness.scorer's, on the run's records.

Identical prompts are sent once only where decoding is deterministic (temperature 0, one
completion): otherwise each sample is asked for its own answer, and the cache keeps each
sample's answer under its own key (harness.generation.cache.cache_key). Log-likelihood requests
(harness.records) are deterministic: identical contexts and continuations are scored once,
whichever samples and variants ask for them.

Nothing paid for is lost to a cache fault. Before anything is sent, the cache must take a write
(`ResponseCache.ready`: read-only, damaged or locked caches stop the run there). Where an answer
cannot be stored later on (a full disk, a lock held too long), the run stops as soon as it
sees so (at its next answer): the requests in flight are cancelled, those not answered are
recorded as failed, every answer received (those the cache did not take included, counted) is
kept, and `Execution.stopped` says why, for the caller to write the run and then report the
error. A lock is waited for while the requests in flight go on.

Text that UTF-8 cannot hold (lone surrogates, sent by a server as JSON escapes) is cached as it
came, and replaced by U+FFFD in what the run records and scores."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence, Sized
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from harness.backends import Backend
from harness.errors import PolyevalError
from harness.generation.cache import CacheError, ResponseCache, cache_key
from harness.generation.unconditional import companions, folded
from harness.planner import Plan
from harness.record import SampleRecord
from harness.record.build import sample_record
from harness.records import Request, Response, Sample
from harness.translation.round_trip import fold, second_leg

Progress = Callable[[int], None]  # called with the number of newly finished requests
Answered = tuple[Request, Response | None, bool]  # a request, its answer, from the cache?
Arrived = Callable[[int, Answered], None]  # a request's final answer, as soon as it is known
# a sample's record, final, as soon as it is made: of the answer to the plan's request `index`
Finished = Callable[[int, Answered, SampleRecord], None]
Item = tuple[int, Response]  # what a backend yields: the index of a request, its answer
NOT_ANSWERED = "not answered: the run stopped when the response cache could not store answers"
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Counts:
    requests: int = 0
    sent: int = 0
    from_cache: int = 0
    shared: int = 0  # answered by the one answer of an identical prompt sent (not counted in sent)
    failed: int = 0
    truncated: int = 0  # answers cut by the token limit
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_unreadable: int = 0  # rows of the cache that could not be read: asked again

    def __add__(self, other: Counts) -> Counts:
        """Both runs' counts added (a round trip's two legs)."""
        added = {f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        return Counts(**added)


@dataclass(frozen=True)
class Stopped:
    """Why a run stopped before every request was answered: the cache could not store an
    answer. Every answer received is kept; the last `uncached` are in no cache."""

    error: CacheError
    left: int  # requests without an answer
    uncached: int

    def after_write(self, run_dir: Path) -> PolyevalError:
        """The one-line error, once the run folder holds the answers received."""
        return PolyevalError(
            f"{self.error.message}. The run stopped: the answers received are recorded in "
            f"{run_dir} (the last {self.uncached} only there, not in the cache); the same "
            f"command (with --overwrite where --output names that folder) asks the "
            f"{self.left + self.uncached} requests that have no answer in the cache",
            where=self.error.where,
        )

    def unwritten(self, folder_error: PolyevalError) -> PolyevalError:
        """The one-line error where the run folder could not be written either."""
        why = folder_error.message.split(";")[0]  # not its word on the cache: this one failed
        return PolyevalError(
            f"{self.error.message}. The run stopped, and its folder could not be written "
            f"either ({why}): the last {self.uncached} answers received are stored nowhere; "
            f"the same command asks them again with the {self.left} requests left",
            where=self.error.where,
        )


@dataclass
class Execution:
    answered: list[Answered]
    counts: Counts
    timings: dict[str, float] = field(default_factory=dict)
    stopped: Stopped | None = None  # the run stopped early: the cache could not store answers

    def __repr__(self) -> str:
        return short_repr(self, self.answered, self.counts)

    def records(self, plan: Plan) -> list[SampleRecord]:
        """The sample records of the answers (not yet scored)."""
        return self.records_of(plan.samples)

    def records_of(self, samples: Mapping[tuple[str, str, str, str], Sample]) -> list[SampleRecord]:
        """The sample records of the answers, each request's sample found in `samples`."""
        return [sample_record(samples[r.key], r, a, c) for r, a, c in self.answered]


@dataclass
class Generation:
    """What generation gave: each sample's record (not yet scored), counts and timings."""

    records: list[SampleRecord]
    counts: Counts
    timings: dict[str, float]
    stopped: Stopped | None = None  # the cache could not store an answer: the run stopped

    def __repr__(self) -> str:
        return short_repr(self, self.records, self.counts)


def short_repr(result: object, records: Sized, counts: Counts) -> str:
    """The repr of a run's result, short: asyncio formats the finished main task, and with it
    its result, when asyncio.run restores its SIGINT handler (signal.getsignal); a full repr of
    thousands of records takes seconds."""
    return f"{type(result).__name__}({len(records)} records, {counts})"


async def generate(
    plan: Plan,
    backend: Backend,
    cache: ResponseCache,
    progress: Progress = lambda n: None,
    more: Progress = lambda n: None,
    finished: Finished | None = None,
) -> Generation:
    """Every request of the plan answered, then the legs that follow from the answers (the
    way back of each round trip, harness.translation.round_trip), asked together once the
    first legs are in; `more` is told how many there are. Counts and timings add up both.

    `finished` is given each sample's record as soon as it is final (its answer in, and no
    later leg or companion to wait for), while the other requests are still out: the very
    record that the result then holds (the others are made at the end)."""
    main = len(plan.requests)
    made: dict[int, SampleRecord] = {}

    def arrived(index: int, answered: Answered) -> None:
        request, response, cached = answered
        if index >= main or request.unconditional is not None:  # a companion, or waits for one
            return
        if _next_leg(plan, request, response) is not None:  # a round trip's first leg
            return
        made[index] = record = sample_record(plan.samples[request.key], request, response, cached)
        assert finished is not None
        finished(index, answered, record)

    extra = companions(plan.requests)  # acc_pmi: the options after the answer cue alone
    first = await execute(
        [*plan.requests, *extra], backend, cache, progress, arrived if finished else None
    )
    if extra:
        answered = folded(first.answered[:main], first.answered[main:])
        first.counts.failed = sum(1 for _, a, _ in answered if a is None or not a.ok)
        first = replace(first, answered=answered)
    records = [
        made.get(i) or sample_record(plan.samples[r.key], r, a, c)
        for i, (r, a, c) in enumerate(first.answered)
    ]
    legs = [
        leg
        for request, response, _ in first.answered
        if (leg := _next_leg(plan, request, response)) is not None
    ]
    if not legs or first.stopped is not None:
        return Generation(records, first.counts, first.timings, first.stopped)
    more(len(legs))
    second = await execute([request for request, _ in legs], backend, cache, progress)
    records = fold(records, second.records_of({request.key: s for request, s in legs}))
    timings = {k: v + second.timings.get(k, 0.0) for k, v in first.timings.items()}
    return Generation(records, first.counts + second.counts, timings, second.stopped)


def _next_leg(
    plan: Plan, request: Request, response: Response | None
) -> tuple[Request, Sample] | None:
    builder = plan.task(request.task).builder
    return second_leg(request, response, plan.samples[request.key], builder)


async def execute(
    requests: Sequence[Request],
    backend: Backend,
    cache: ResponseCache,
    progress: Progress = lambda n: None,
    arrived: Arrived | None = None,
) -> Execution:
    """Each request answered: from the cache, else by the backend (identical prompts decoded
    deterministically sent once). `arrived` is told each request's final answer as soon as it
    is known (the cache's at once, the others as they come), by its index in `requests`."""
    started = time.perf_counter()
    identity = backend.identity()
    keys = [cache_key(identity, r, backend.cache_salt(r)) for r in requests]
    unreadable = cache.unreadable
    answers = cache.get_many(keys)
    from_cache = {k for k in keys if k in answers}
    counts = Counts(requests=len(keys), from_cache=sum(k in from_cache for k in keys))
    counts.cache_unreadable = cache.unreadable - unreadable
    settled: list[Answered | None] = [None] * len(requests)
    positions: dict[str, list[int]] = {}  # key -> the requests it answers
    for index, key in enumerate(keys):
        positions.setdefault(key, []).append(index)

    def settle(key: str, response: Response, cached: bool) -> None:
        answer = _encodable(response)
        for index in positions[key]:
            settled[index] = item = (requests[index], answer, cached)
            if arrived is not None:
                arrived(index, item)

    for key in dict.fromkeys(k for k in keys if k in from_cache):  # in the requests' order
        settle(key, answers[key], True)
    progress(counts.from_cache)
    pending = _unique_pending(requests, keys, from_cache)
    counts.shared = len(keys) - counts.from_cache - len(pending)
    if pending:
        cache.ready()  # before anything is paid for
    failures: dict[str, Response] = {}
    sent_at = time.perf_counter()
    stream = backend.generate([r for _, r in pending])
    storing = cache.storing()  # each answer kept, whether or not the cache can take it

    def take(index: int, response: Response) -> None:
        key = pending[index][0]
        counts.sent += 1
        if response.ok:
            answers[key] = response
            storing.add(key, response)
        else:
            failures[key] = response
        settle(key, response, False)
        progress(len(positions[key]))

    try:
        async for index, response in stream:
            take(index, response)
            if storing.fault is not None:
                break
        # the cache failed: nothing more is asked, but the answers the backend holds already
        # (the rest of a batch, replies that came in meanwhile) are kept
        while storing.fault is not None and (item := await _ready_now(stream)) is not None:
            take(*item)
        storing.finish()
    finally:
        storing.close()  # a run cut short: what it received is stored where it can be
        close = getattr(stream, "aclose", None)
        if close is not None:  # where the run stopped: cancels what is still in flight
            await close()
    stopped = None
    if storing.fault is not None:
        for key, _ in pending:
            if key not in answers and key not in failures:
                failures[key] = Response(text="", error=NOT_ANSWERED)
        left = sum(1 for k in keys if k not in answers)
        stopped = Stopped(storing.fault, left, storing.unstored)
    answered = [
        item or (r, _encodable(answers.get(k) or failures.get(k)), k in from_cache)
        for item, r, k in zip(settled, requests, keys, strict=True)
    ]
    counts.failed = sum(1 for _, a, _ in answered if a is None or not a.ok)
    counts.truncated = sum(1 for _, a, _ in answered if a is not None and a.truncated)
    for _, a, cached in answered:
        if a is not None and not cached:
            counts.prompt_tokens += a.usage.prompt_tokens
            counts.completion_tokens += a.usage.completion_tokens
    timings = {"prepare_s": sent_at - started, "generate_s": time.perf_counter() - sent_at}
    return Execution(answered, counts, timings, stopped)


async def _ready_now(stream: AsyncIterator[Item]) -> Item | None:
    """The stream's next item where the backend holds it already (it comes without waiting
    for anything), else None: the stream is then cancelled where it waits."""

    async def step() -> Item:
        return await anext(stream)

    future = asyncio.ensure_future(step())
    await asyncio.sleep(0)  # one turn of the loop: the step runs as far as it can
    if not future.done():
        future.cancel()
        await asyncio.wait({future})
        return None
    if future.cancelled():
        return None
    try:
        return future.result()
    except StopAsyncIteration:
        return None


def _encodable(response: Response | None) -> Response | None:
    """The answer with every lone surrogate replaced by U+FFFD (as it is, where it has none):
    what the run folder (UTF-8) can hold and what scoring sees."""
    if response is None:
        return None
    texts = [response.text, response.reasoning or "", *(c.text for c in response.alternatives)]
    texts += [c.reasoning or "" for c in response.alternatives]
    if not any(_SURROGATE.search(t) for t in texts):
        return response
    return replace(
        response,
        text=_clean(response.text),
        reasoning=_clean_optional(response.reasoning),
        alternatives=tuple(
            replace(c, text=_clean(c.text), reasoning=_clean_optional(c.reasoning))
            for c in response.alternatives
        ),
    )


def _clean(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


def _clean_optional(text: str | None) -> str | None:
    return None if text is None else _clean(text)


def _unique_pending(
    requests: Sequence[Request], keys: list[str], done: set[str]
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
