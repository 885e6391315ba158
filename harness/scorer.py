"""Scoring a run from its record alone: each sample's answers parsed, scored and judged for
their language, then the score cells, the corpus metrics of translations and the paired gaps.

What scoring needs is in the sample records (the item, every completion) and the manifest's
task entries (kind, parser, metrics, each variant's reply language and comparison): the same
code scores a run as it finishes and a run folder scored again (`evaluate score`), with no data
source and no task folder.

Several completions of one sample (`--n N`): the first gives the task's metrics as with one;
the others are each parsed and scored too (kept in the record's `completions`), and the sample
gets `mean@N` (the primary metric's mean over the completions), `pass@N` (any completion right,
for a right-or-wrong primary metric) and, where answers can be compared (multiple choice, short
and extractive answers), `maj@N`: the primary metric of the most common parsed answer
(self-consistency; a tie goes to the answer given first).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.consistency import expected_language, language_scores
from harness.errors import PolyevalError
from harness.gaps import paired_gaps
from harness.kinds import VOTED
from harness.langid import judge
from harness.literals import get_literals
from harness.metrics import Judged, score
from harness.metrics.registry import metric_info
from harness.parallel import even_bounds, fork_workers, forked_map
from harness.parsers import get_parser
from harness.record import (
    Completion,
    GapRecord,
    Manifest,
    SampleRecord,
    ScoreRecord,
    TaskInfo,
)
from harness.scoring import aggregate
from harness.translation.cleaning import clean_translation
from harness.translation.keys import pair_of, translation_languages
from harness.translation.scoring import score_corpora

Scores = dict[str, float]


@dataclass(frozen=True)
class Scored:
    samples: list[SampleRecord]
    scores: list[ScoreRecord]
    gaps: list[GapRecord]


def score_run(manifest: Manifest, samples: Sequence[SampleRecord]) -> Scored:
    """Every sample scored with the manifest's tasks and language identifier, then the score
    cells (per-sample metrics averaged, corpus metrics of translations) and the paired gaps."""
    detector = manifest.langid.detector
    for name, task in manifest.tasks.items():
        if task.parser is None and task.kind != _MT:
            raise PolyevalError(
                f"task {name} was run before runs recorded how answers are parsed "
                f"(run format {manifest.format}): run it again to score it"
            )
    scored = score_samples(samples, manifest.tasks, detector)
    corpus = {name: task.metrics for name, task in manifest.tasks.items() if task.kind == _MT}
    scored, corpus_scores = score_corpora(scored, corpus)
    cells = aggregate(scored) + corpus_scores
    return Scored(scored, cells, paired_gaps(scored, comparisons(manifest)))


def comparisons(manifest: Manifest) -> dict[tuple[str, str], str]:
    """(task, variant) -> the variant it declares `compare_to`, where both ran."""
    return {
        (name, variant): other
        for name, task in manifest.tasks.items()
        for variant, info in task.variants.items()
        if (other := info.compare_to) is not None and other.partition("@")[0] in task.variants
    }


# ---- each sample

_MT = "translation"
PARALLEL_MIN_SAMPLES = 2000
"""Below this many samples they are scored in this process: forking does not pay."""
_MIN_CHUNK = 500  # samples per worker process, at least
_FORKED: tuple[Sequence[SampleRecord], Mapping[str, TaskInfo], str] | None = None


def score_samples(
    samples: Sequence[SampleRecord], tasks: Mapping[str, TaskInfo], detector: str
) -> list[SampleRecord]:
    """Each sample scored; many across forked worker processes where nothing else runs."""
    global _FORKED
    workers = fork_workers(len(samples), PARALLEL_MIN_SAMPLES, _MIN_CHUNK)
    if workers <= 1:
        return [score_sample(s, tasks[s.task], detector) for s in samples]
    _FORKED = (samples, tasks, detector)
    try:
        parts = forked_map(_score_range, even_bounds(len(samples), workers))
    finally:
        _FORKED = None
    return [sample for part in parts for sample in part]


def _score_range(start: int, stop: int) -> list[SampleRecord]:
    assert _FORKED is not None, "set by score_samples before the workers are forked"
    samples, tasks, detector = _FORKED
    return [score_sample(s, tasks[s.task], detector) for s in samples[start:stop]]


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
    if sample.output is None:
        return sample.model_copy(update=_UNSCORED)
    if task.kind == _MT:
        return sample.model_copy(update=_UNSCORED | _translation(sample, detector))
    variant = task.variants.get(sample.variant)
    expected = expected_language(variant.reply_language if variant else None, sample.language)
    first = _answer(sample, task, sample.output, sample.reasoning, sample.finish_reason)
    language, details = language_scores(
        sample.output, sample.reasoning, expected, _primary(task, first[1]), detector, task.metrics
    )
    scores = first[1] | language
    completions = [_further(sample, task, c, expected, detector) for c in sample.completions]
    if completions:
        scores |= _at_k(sample, task, (first[0], scores), completions)
    scoring = {"parsed": first[0], "scores": scores, "completions": completions}
    return sample.model_copy(update=_UNSCORED | details | scoring)


def _answer(
    sample: SampleRecord, task: TaskInfo, text: str, reasoning: str | None, finish: str | None
) -> tuple[str | None, Scores]:
    """A completion parsed and scored by the task's per-sample metrics (and parse_rate)."""
    assert task.parser is not None, "score_run refuses tasks without a recorded parser"
    parser = get_parser(task.parser)
    literals = get_literals(sample.language)
    parsed = parser(
        text,
        literals,
        tuple(sample.choices),
        complete=finish != "length",
        prompt=sample.prompt,
        form=task.gold_form,
    )
    judged = Judged(parsed, sample, text, finish)
    return parsed, score([*task.metrics, "parse_rate"], judged)


def _primary(task: TaskInfo, scores: Scores) -> float | None:
    return scores.get(task.metrics[0]) if task.metrics else None


def _further(
    sample: SampleRecord, task: TaskInfo, completion: Completion, expected: str, detector: str
) -> Completion:
    parsed, scores = _answer(
        sample, task, completion.output, completion.reasoning, completion.finish_reason
    )
    language, _ = language_scores(
        completion.output,
        completion.reasoning,
        expected,
        _primary(task, scores),
        detector,
        task.metrics,
    )
    return completion.model_copy(update={"parsed": parsed, "scores": scores | language})


def _at_k(
    sample: SampleRecord,
    task: TaskInfo,
    first: tuple[str | None, Scores],
    others: Sequence[Completion],
) -> Scores:
    """mean@k, pass@k and maj@k of the task's primary metric over the k completions."""
    if not task.metrics:
        return {}
    metric, k = task.metrics[0], 1 + len(others)
    every = (first[1], *(c.scores for c in others))
    values = [v for scores in every if (v := scores.get(metric)) is not None]
    found: Scores = {}
    if values:
        found[f"mean@{k}"] = sum(values) / len(values)
        if set(values) <= {0.0, 1.0}:
            found[f"pass@{k}"] = max(values)
    info = metric_info(metric)
    if task.kind in VOTED and info is not None and info.computed == "answer":
        voted = Judged(majority([first[0], *(c.parsed for c in others)]), sample)
        found[f"maj@{k}"] = info.measure(voted)
    return found


def majority(answers: Sequence[str | None]) -> str | None:
    """The most common answer (None ones left out); a tie goes to the one given first."""
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return None
    top = max(counts.values())
    return next(a for a in answers if a is not None and counts[a] == top)


def _translation(sample: SampleRecord, detector: str) -> dict[str, Any]:
    """A translation, cleaned of what wraps it, judged for its language (and a round trip's
    pivot leg for the pivot's); what was stripped goes into the record."""
    assert sample.output is not None
    source_language, target_language = translation_languages(sample.language)
    cleaned = clean_translation(
        sample.output, str(sample.fields.get("source", "")), source_language, target_language
    )
    language, details = language_scores(
        cleaned.text, sample.reasoning, target_language, None, detector
    )
    update: dict[str, Any] = details | {
        "parsed": cleaned.text,
        "scores": {"parse_rate": float(bool(cleaned.text)), **language},
    }
    if cleaned.stripped:
        update["stripped"] = list(cleaned.stripped)
    pair = pair_of(sample.language)
    if pair is not None and pair.round_trip:
        update["round_trip"] = True
        if sample.pivot:
            update["pivot_langid"] = judge(sample.pivot, pair.target, detector).as_record()
    return update
