"""Scoring answers as they arrive, so that a run ends soon after its last answer.

While a run waits for its answers, a worker process scores each sample as soon as generation
has its final record (harness.generation.runner: a round trip's first leg, or a request that
waits for its acc_pmi companion, is final only at the end). What the record is made of goes
to the worker in batches (BATCH of them, or those that came within WAIT_S; IN_FLIGHT batches
at a time): the request's place in the plan and its answer, from which the worker makes the
same record (harness.record.build.sample_record) with the plan it was forked with, rather than
the record itself, with its prompt, pickled and sent. They come back as what scoring adds to
each (harness.scorer.scoring_update), which the run applies to the very record it keeps, with
the record's line of samples.jsonl once updated (written by the worker, which has the time,
rather than by the run after its last answer). When the answers are all in, the worker ends
what is left, and where that would take it long (a rerun from the cache has every answer at
once) this process scores batches of it too; then only the corpus metrics, the summaries and
writing the run folder are left.

As it starts, the worker scores a made-up answer of each task and variant (`_warm`), so that
what scoring loads on first use is loaded before the first answers come.

The worker is forked before the run makes its backend and before anything is asked: while
this process runs no other thread (harness.parallel), and before a backend's own threads or
processes exist. Where it cannot be (no fork, a daemon process, another thread running, a run
of fewer than MIN_SAMPLES answers, which would not pay for a process), or where it fails (a
batch that raises, a worker that dies), the samples it did not score are scored at the end,
as they were before. Either way each is scored by the same function on the same record, so
that scores.json, summary.json and samples.jsonl are byte for byte those of scoring after the
run (`evaluate score`). Ctrl-C is the run's: the worker ignores it and is shut down with it.

The worker runs at a lower priority (NICENESS): what it does can wait, the requests cannot.
On a machine whose cores are all busy (the run itself, a local model server) it takes what they
leave, and the run's event loop and the server are not slowed by it; at the end, when the run
waits for it, it has the machine.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.parallel import can_fork
from harness.progress import Advance
from harness.record import Lines, SampleRecord, TaskInfo, sample_line
from harness.record.build import sample_record
from harness.records import Request, Response, Sample

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from harness.generation.runner import Answered
    from harness.scorer import Found, Update

    Kept = Mapping[int, tuple[SampleRecord, SampleRecord]]  # id(record) -> it, it scored
    # a batch's updates, the records' lines of samples.jsonl once updated, the seconds they took
    Scored = tuple[list[Update], list[str | None], float]

MIN_SAMPLES = 200  # fewer answers are scored at the end: a process of its own does not pay
BATCH = 100  # records sent to the worker at once, at most
WAIT_S = 0.5  # fewer are sent once the first of them has waited this long
NICENESS = 10  # added to the worker's niceness: it yields the CPU to the run and its server
IN_FLIGHT = 2  # batches with the worker at a time: one it scores, one that waits for it
HELP_PAYS_S = 1.0  # at the end, this process scores too while the worker has more than this left
Made = tuple[int, Response | None, bool]  # what a record is made of: its request's place, answer,
# whether the answer came from the cache


@dataclass(frozen=True)
class Planned:
    """What the worker scores with: the run's tasks and language identifier, and the plan's
    requests and samples, from which it makes each record."""

    tasks: Mapping[str, TaskInfo]
    detector: str
    requests: Sequence[Request]
    samples: Mapping[tuple[str, str, str, str], Sample]


_WORKER: Planned | None = None  # in the worker


class LiveScoring:
    """Samples scored as they come (`add`), in a worker where one could be started (`pool`),
    handed over at the end (`results`), with the lines of samples.jsonl the worker wrote for
    them (`lines`, by the scored record)."""

    def __init__(self, planned: Planned, pool: ProcessPoolExecutor | None) -> None:
        self._planned = planned
        self._pool = pool
        self._waiting: deque[tuple[Made, SampleRecord]] = deque()
        self._since = 0.0  # when the first of those waiting came
        self._sent: dict[Future[Scored], list[tuple[Made, SampleRecord]]] = {}
        self._scored: dict[int, tuple[SampleRecord, SampleRecord]] = {}  # by id(record)
        self.lines = Lines()
        self._per_record: float | None = None  # what a record took the worker, of late

    def add(self, index: int, answered: Answered, record: SampleRecord) -> None:
        """A final record, made of the answer to request `index` of the plan, to be scored as
        soon as the worker can: in a batch of BATCH, or of those that came within WAIT_S (each
        batch costs the run a few system calls and wakeups: answers that come one by one are
        not sent one by one)."""
        if self._pool is None:
            return  # scored at the end
        if not self._waiting:
            self._since = time.monotonic()
        _, response, cached = answered
        self._waiting.append(((index, response, cached), record))
        if len(self._waiting) >= BATCH or time.monotonic() - self._since >= WAIT_S:
            self._send()

    def results(self, advance: Advance) -> Found:
        """Each record scored, once every one is (`advance` told as they end): by the
        worker, and by this process too while what waits would take the worker more than
        HELP_PAYS_S (a rerun from the cache, of answers slow to score); the worker is then
        shut down. A record not scored here (no worker, a failed batch) is left for the
        caller to score."""
        self._collect()
        advance(len(self._scored))
        while self._pool is not None and (self._waiting or self._sent):
            self._send()
            if self._help_pays():
                batch = self._take()
                tasks, detector = self._planned.tasks, self._planned.detector
                done = [scoring_update(r, tasks[r.task], detector) for _, r in batch]
                self._keep(batch, done, [None] * len(batch))  # its lines: written at the end
                advance(len(batch))
            elif self._sent:
                wait(self._sent, return_when=FIRST_COMPLETED)
            advance(self._collect())
        self.close()
        scored = self._scored
        return lambda record: _found(scored, record)

    def close(self) -> None:
        """The worker shut down (what it has not begun is cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _send(self) -> None:
        """Batches to the worker while it has fewer than IN_FLIGHT."""
        self._collect()
        while self._waiting and self._pool is not None and len(self._sent) < IN_FLIGHT:
            batch = self._take()
            try:
                self._sent[self._pool.submit(_score_batch, [made for made, _ in batch])] = batch
            except RuntimeError:  # the worker died (BrokenProcessPool): the rest at the end
                self._pool = None

    def _help_pays(self) -> bool:
        """Whether the worker would take longer than HELP_PAYS_S over what waits (judged by
        its last batch: this process may have to load what the worker did, a model)."""
        left = len(self._waiting)
        return left > BATCH and left * (self._per_record or 0.0) > HELP_PAYS_S

    def _take(self) -> list[tuple[Made, SampleRecord]]:
        batch = [self._waiting.popleft() for _ in range(min(BATCH, len(self._waiting)))]
        self._since = time.monotonic()  # those left wait from now on
        return batch

    def _collect(self) -> int:
        """The updates of the batches the worker has finished; how many records they hold. A
        batch that failed is left out: its records are scored at the end."""
        done = [future for future in self._sent if future.done()]
        count = 0
        for future in done:
            batch = self._sent.pop(future)
            if not future.cancelled() and future.exception() is None:
                updates, lines, seconds = future.result()
                self._keep(batch, updates, lines)
                self._per_record = seconds / len(batch)
                count += len(batch)
        return count

    def _keep(
        self,
        batch: list[tuple[Made, SampleRecord]],
        updates: list[Update],
        lines: list[str | None],
    ) -> None:
        """Each record with its update applied (here, as the batches come back while the run
        waits for answers, rather than all at its end), and the line written from it."""
        for (_, record), update, line in zip(batch, updates, lines, strict=True):
            scored = record.model_copy(update=update)
            self._scored[id(record)] = (record, scored)
            if line is not None:
                self.lines.add(scored, line)


def scoring_update(record: SampleRecord, task: TaskInfo, detector: str) -> Update:
    """harness.scorer's, imported where first used: scoring's modules (numpy, the language
    tables) are loaded by the worker, and by this process only where it scores."""
    from harness.scorer import scoring_update as update

    return update(record, task, detector)


def _found(scored: Kept, record: SampleRecord) -> SampleRecord | None:
    """This very record (not another that happens to be equal) scored."""
    entry = scored.get(id(record))
    return entry[1] if entry is not None and entry[0] is record else None


@contextmanager
def live_scoring(planned: Planned) -> Iterator[LiveScoring]:
    """Scoring for a run of the `planned` requests, with a worker where one can be started
    now; the worker is shut down when the block ends, however it ends."""
    pool = None
    many = len(planned.requests) >= MIN_SAMPLES
    if many and can_fork() and threading.active_count() == 1:
        from concurrent.futures import ProcessPoolExecutor  # only for a run this large

        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_begin,
            initargs=(planned,),  # forked: not pickled
        )
        pool.submit(_ready)  # forks the worker now, before any thread or backend exists
    live = LiveScoring(planned, pool)
    try:
        yield live
    finally:
        live.close()


def _begin(planned: Planned) -> None:
    """In the worker, first: what it scores with, at a lower priority; Ctrl-C is for the run
    to handle."""
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(NICENESS)
    _WORKER = planned
    _warm(planned)


def _warm(planned: Planned) -> None:
    """What scoring loads when it is first used (the language tables and patterns, the
    identifier's model, a parser's tables) loaded now, while the run makes its backend and
    waits for its first answers: for each task and variant, a made-up answer (the text of its
    first prompt, as language-bearing as an answer) scored and dropped. A variant that cannot
    score it (log-likelihood: no text is scored) is left to load when its answers come."""
    seen: set[tuple[str, str]] = set()
    for request in planned.requests:
        if (request.task, request.variant) in seen:
            continue
        seen.add((request.task, request.variant))
        text = request.prompt or (request.messages[-1].content if request.messages else "")
        sample = planned.samples[request.key]
        with contextlib.suppress(Exception):
            record = sample_record(sample, request, Response(text=text), cached=False)
            scoring_update(record, planned.tasks[request.task], planned.detector)


def _ready() -> None:
    return None


def _score_batch(batch: list[Made]) -> Scored:
    """Each record made as the run made it, scored, and written as a line of samples.jsonl."""
    assert _WORKER is not None, "set by _begin when the worker starts"
    planned = _WORKER
    started = time.perf_counter()
    updates: list[Update] = []
    lines: list[str | None] = []
    for index, response, cached in batch:
        request = planned.requests[index]
        record = sample_record(planned.samples[request.key], request, response, cached)
        update = scoring_update(record, planned.tasks[record.task], planned.detector)
        updates.append(update)
        lines.append(sample_line(record.model_copy(update=update)))
    return updates, lines, time.perf_counter() - started
