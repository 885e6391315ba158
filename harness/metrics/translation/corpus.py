"""Corpus scores: chrF++, BLEU and TER of a corpus with 95% bootstrap intervals, and the chrF++ of
every sentence for drill-down.

Every number is sacrebleu's: the corpus value is `metric.corpus_score`'s, the sentence chrF++ is
`CHRF(word_order=2).sentence_score`'s, the interval comes from the resamples of
`corpus_score(..., n_bootstrap=...)`. The sentence statistics are computed once per metric
(engine.py) and everything is derived from them: the corpus score (their sum), the sentence
chrF++ (each chrF row) and the bootstrap (bootstrap.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sacrebleu.metrics.base import Metric

from harness.metrics.translation import engine
from harness.metrics.translation.bootstrap import (
    Float32Array,
    column_sums,
    percentiles,
    resample_indices,
    resampled_scores,
)
from harness.metrics.translation.inputs import (
    check_hypotheses,
    check_metrics,
    reference_count,
    reference_streams,
)
from harness.metrics.translation.settings import CORPUS_METRICS, metric_settings


@dataclass(frozen=True)
class CorpusScore:
    metric: str  # "chrf" | "bleu" | "ter"
    value: float  # 0-100, as sacrebleu reports it
    ci_low: float  # 95% bootstrap percentile interval; equal to value when n < 2
    ci_high: float
    n: int  # sentences
    signature: str  # sacrebleu's signature of the metric (tokenizer, version, resamples, seed)


@dataclass(frozen=True)
class CorpusResult:
    scores: dict[str, CorpusScore]  # by metric name, in the order asked for
    sentence_chrf: list[float]  # chrF++ of each sample on its own, 0-100


def corpus_scores(
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]],
    target_language: str,
    metrics: Sequence[str] = CORPUS_METRICS,
    bootstrap: int = 1000,
    seed: int = 12345,
    *,
    processes: int | None = None,
) -> CorpusResult:
    """chrF++, BLEU and TER of a corpus, each with a 95% bootstrap interval, and the chrF++ of
    every sentence.

    `references[i]` lists sample i's references (one or more; samples may have different
    numbers). `target_language` picks the BLEU tokenizer and TER options (`metric_settings`).
    The values are sacrebleu's `corpus_score`; the interval is the 2.5th-97.5th percentile of
    `bootstrap` resamples drawn as sacrebleu's `corpus_score(..., n_bootstrap=bootstrap)` draws them
    with SACREBLEU_SEED=`seed` (sacrebleu prints their mean ± half the interval's width). With
    fewer than 2 sentences or `bootstrap` < 2 the interval is the value itself.
    `processes`: worker processes for the statistics; None decides by corpus size (forking only
    on platforms that have it, from a process with no other thread running), 1 is in-process.
    With a sacrebleu other than the pinned one, sacrebleu's own code computes everything, in
    this process, after a RuntimeWarning (`engine.fast_path`). Bad input raises PolyevalError."""
    names = check_metrics(metrics)
    check_hypotheses(hypotheses)
    streams = reference_streams(hypotheses, references)
    settings = metric_settings(target_language)
    fast = engine.fast_path()
    n = len(hypotheses)
    wanted = names if "chrf" in names else ("chrf", *names)  # sentence chrF++ needs its stats
    stats = engine.statistics(wanted, settings, hypotheses, streams, processes, fast)
    matrices = [np.array(stats[name], np.float64) for name in names]
    sums: list[Float32Array | None] = [None] * len(names)
    if bootstrap > 1 and n > 1:
        sums = list(column_sums(matrices, resample_indices(n, bootstrap, seed), fast))
    num_refs = reference_count(streams)
    scores: dict[str, CorpusScore] = {}
    for name, resampled in zip(names, sums, strict=True):
        metric = engine.build_metric(name, settings[name], fast)
        metric.num_refs = num_refs
        scores[name] = _score(name, metric, stats[name], resampled, seed)
    chrf = engine.build_metric("chrf", settings["chrf"], fast)
    return CorpusResult(scores, engine.sentence_chrf(stats["chrf"], chrf, fast))


def _score(
    name: str, metric: Metric, rows: engine.Rows, resampled: Float32Array | None, seed: int
) -> CorpusScore:
    """One metric's corpus score from its sentence statistics, with the percentile interval of
    its resampled sums if there are any."""
    value = float(metric._aggregate_and_compute(rows).score)
    low = high = value
    signature = metric.get_signature()
    if resampled is not None:
        low, high = percentiles(np.array(resampled_scores(metric, resampled), np.float64))
        signature.update("bs", len(resampled))
        signature.update("seed", str(seed))
    return CorpusScore(name, value, low, high, len(rows), signature.format())
