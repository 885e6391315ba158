"""Scoring a run from its record alone: each sample's answers parsed, scored and judged for
their language, then the score cells, the corpus metrics of translations and the paired gaps.

What scoring needs is in the sample records (the item, every completion) and the manifest's
task entries (kind, parser, metrics, each variant's reply language and comparison): the same
code scores a run as it finishes and a run folder scored again (`evaluate score`), with no data
source and no task folder.

How one answered sample is scored is its task's kind's (harness.kinds): question-answering
kinds parse and score each completion (harness.kinds.answers), translations are cleaned and
judged for their language; the kind also says which metrics are computed over a corpus.
A log-likelihood variant's samples are scored from their continuations' log-probabilities
instead, whatever the kind (harness.loglikelihood.scoring), and never judged for language.

A run scores its answers as they arrive (harness.live_scoring) and hands over what it scored
ahead (`Ahead`): those samples get what was worked out for them, the others are scored here;
either way by `scoring_update` of the same record, so that the files are the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from harness.analysis.cells import aggregate
from harness.analysis.gaps import paired_gaps
from harness.errors import PolyevalError
from harness.kinds import get_kind
from harness.loglikelihood.scoring import bits_per_byte_cells, score_likelihoods
from harness.parallel import even_bounds, fork_workers, forked_pool_map
from harness.progress import Advance, Stage, quiet
from harness.record import GapRecord, Lines, Manifest, SampleRecord, ScoreRecord, TaskInfo
from harness.translation.scoring import score_corpora

Update = dict[str, Any]  # what scoring adds to a sample's record
Found = Callable[[SampleRecord], SampleRecord | None]  # a record scored ahead, if it was


class Ahead(Protocol):
    """Samples scored ahead, while the run went on (harness.live_scoring)."""

    def results(self, advance: Advance) -> Found:
        """The records scored, once every one under way is done (`advance` told as they
        end)."""

    @property
    def lines(self) -> Lines:
        """The lines of samples.jsonl written ahead too, each by the record scored ahead (one
        that a later step makes anew is written afresh)."""


@dataclass(frozen=True)
class Scored:
    samples: list[SampleRecord]
    scores: list[ScoreRecord]
    gaps: list[GapRecord]
    lines: Lines  # of samples.jsonl, those written ahead


def score_run(
    manifest: Manifest,
    samples: Sequence[SampleRecord],
    stage: Stage = quiet,
    ahead: Ahead | None = None,
) -> Scored:
    """Every sample scored with the manifest's tasks and language identifier, then the score
    cells (per-sample metrics averaged, corpus metrics of translations) and the paired gaps;
    `stage` is told of each stage (the answers, the corpora) and its progress. The samples
    `ahead` scored already get their updates from it."""
    detector = manifest.langid.detector
    for name, task in manifest.tasks.items():
        if task.parser is None and get_kind(task.kind).parsed:
            raise PolyevalError(
                f"task {name} was run before runs recorded how answers are parsed "
                f"(run format {manifest.format}): run it again to score it"
            )
    advance = stage("scoring answers", len(samples))
    found = ahead.results(advance) if ahead is not None else _none
    scored = score_samples(samples, manifest.tasks, detector, advance, found)
    scored, corpus_scores = score_corpora(scored, corpus_metrics(manifest.tasks), stage=stage)
    cells = aggregate(scored) + corpus_scores + bits_per_byte_cells(scored)
    lines = ahead.lines if ahead is not None else Lines()
    return Scored(scored, cells, paired_gaps(scored, comparisons(manifest)), lines)


def comparisons(manifest: Manifest) -> dict[tuple[str, str], str]:
    """(task, variant) -> the variant it declares `compare_to`, where both ran."""
    return {
        (name, variant): other
        for name, task in manifest.tasks.items()
        for variant, info in task.variants.items()
        if (other := info.compare_to) is not None and other.partition("@")[0] in task.variants
    }


def corpus_metrics(tasks: Mapping[str, TaskInfo]) -> dict[str, list[str]]:
    """Task -> its metrics computed over each corpus, for the tasks whose kind has a corpus
    step (translation: each pair's corpus, with a sentence score per sample)."""
    found = {name: get_kind(task.kind).corpus_metrics(task.metrics) for name, task in tasks.items()}
    return {name: metrics for name, metrics in found.items() if metrics is not None}


# ---- each sample

PARALLEL_MIN_SAMPLES = 1000
"""Below this many samples they are scored in this process: forking does not pay."""
PROBE = 256  # samples scored here first: what the later half of them took says what the rest would
FORK_PAYS_S = 1.0  # the rest goes to forked workers only where it would take longer than this here
_MIN_CHUNK = 500  # samples per worker process, at least
_CHUNKS_PER_WORKER = 8  # so that progress moves as chunks end
_FORKED: tuple[Sequence[SampleRecord], Mapping[str, TaskInfo], str] | None = None


def score_samples(
    samples: Sequence[SampleRecord],
    tasks: Mapping[str, TaskInfo],
    detector: str,
    advance: Advance = lambda n: None,
    found: Found | None = None,
) -> list[SampleRecord]:
    """Each sample scored: as `found` scored it ahead where it did, the others here; many
    across forked worker processes where nothing else runs, in chunks, `advance` told as
    each ends."""
    if found is None:
        return _score_each(samples, tasks, detector, advance)
    ahead = [found(sample) for sample in samples]
    rest = [sample for sample, scored in zip(samples, ahead, strict=True) if scored is None]
    fresh = iter(_score_each(rest, tasks, detector, advance))
    return [next(fresh) if scored is None else scored for scored in ahead]


def _none(sample: SampleRecord) -> SampleRecord | None:
    return None


def _score_each(
    samples: Sequence[SampleRecord],
    tasks: Mapping[str, TaskInfo],
    detector: str,
    advance: Advance,
) -> list[SampleRecord]:
    """The first PROBE samples scored here; the later half of them (past what the first ones
    loaded: a language identifier's model, tables) says how long the rest would take here.
    Where longer than FORK_PAYS_S, and where forking is safe, the rest is split across forked
    workers, which start with what this process loaded; a cheap rest is scored here (a worker
    costs a fork and the sending back of its results)."""
    middle = min(PROBE, len(samples)) // 2
    scored = _score_here(samples[:middle], tasks, detector, advance)
    started = time.perf_counter()
    scored += _score_here(samples[middle : 2 * middle], tasks, detector, advance)
    per_sample = (time.perf_counter() - started) / max(1, middle)
    rest = samples[2 * middle :]
    workers = fork_workers(len(rest), PARALLEL_MIN_SAMPLES, _MIN_CHUNK)
    if workers <= 1 or per_sample * len(rest) < FORK_PAYS_S:
        return scored + _score_here(rest, tasks, detector, advance)
    return scored + _score_forked(rest, tasks, detector, advance, workers)


def _score_here(
    samples: Sequence[SampleRecord], tasks: Mapping[str, TaskInfo], detector: str, advance: Advance
) -> list[SampleRecord]:
    scored = []
    for sample in samples:
        scored.append(score_sample(sample, tasks[sample.task], detector))
        advance(1)
    return scored


def _score_forked(
    samples: Sequence[SampleRecord],
    tasks: Mapping[str, TaskInfo],
    detector: str,
    advance: Advance,
    workers: int,
) -> list[SampleRecord]:
    """The samples scored across `workers` forked processes, in chunks, `advance` told as
    each ends."""
    global _FORKED
    _FORKED = (samples, tasks, detector)
    bounds = even_bounds(len(samples), workers * _CHUNKS_PER_WORKER)
    try:
        parts = forked_pool_map(
            _score_range, bounds, workers, lambda i: advance(bounds[i][1] - bounds[i][0])
        )
    finally:
        _FORKED = None
    updates = (update for part in parts for update in part)
    return [sample.model_copy(update=next(updates)) for sample in samples]


def _score_range(start: int, stop: int) -> list[Update]:
    """In a worker: the updates of a range of the samples (only they come back: a whole
    record takes far longer to send)."""
    assert _FORKED is not None, "set by score_samples before the workers are forked"
    samples, tasks, detector = _FORKED
    return [scoring_update(s, tasks[s.task], detector) for s in samples[start:stop]]


_UNSCORED: dict[str, Any] = {
    "parsed": None,
    "scores": {},
    "langid": None,
    "langid_reasoning": None,
    "lcb": None,
    "pivot_langid": None,
    "stripped": None,
    "round_trip": None,
}


def score_sample(sample: SampleRecord, task: TaskInfo, detector: str) -> SampleRecord:
    """One sample's record with what scoring makes of its answers (a failed request: none)."""
    return sample.model_copy(update=scoring_update(sample, task, detector))


def scoring_update(sample: SampleRecord, task: TaskInfo, detector: str) -> Update:
    """What scoring makes of a sample's answers: the fields of its record it sets (every
    scoring field: those it leaves are reset)."""
    if sample.output is None:
        return dict(_UNSCORED)
    variant = task.variants.get(sample.variant)
    if variant is not None and variant.loglikelihood is not None:  # no reply: nothing to judge
        return _UNSCORED | score_likelihoods(sample, variant.loglikelihood)
    return _UNSCORED | get_kind(task.kind).score(sample, task, detector)
