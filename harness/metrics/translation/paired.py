"""The paired bootstrap significance test between two systems' translations of one corpus, as
sacrebleu's `_paired_bs_test` runs it, with the 95% interval of the difference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sacrebleu.metrics.base import Metric

from harness.errors import PolyevalError
from harness.metrics.translation import engine
from harness.metrics.translation.bootstrap import (
    IntArray,
    column_sums,
    paired_p_value,
    percentiles,
    resample_indices,
    resampled_scores,
)
from harness.metrics.translation.inputs import check_hypotheses, check_metrics, reference_streams
from harness.metrics.translation.settings import metric_settings


@dataclass(frozen=True)
class PairedResult:
    metric: str
    score_a: float
    score_b: float
    delta: float  # score_b - score_a
    ci_low: float  # 95% bootstrap percentile interval of the delta
    ci_high: float
    p_value: float  # sacrebleu's paired bootstrap p-value (see paired_bootstrap)
    n: int  # sentences


def paired_bootstrap(
    hyps_a: Sequence[str],
    hyps_b: Sequence[str],
    references: Sequence[Sequence[str]],
    target_language: str,
    metric: str = "chrf",
    resamples: int = 1000,
    seed: int = 12345,
    *,
    processes: int | None = None,
) -> PairedResult:
    """Paired bootstrap significance test of system B against system A (the baseline), as
    sacrebleu's `_paired_bs_test` does it (Koehn 2004, after Moses'
    bootstrap-hypothesis-difference-significance.pl), on the same resampled sentences for both.

    p-value: sacrebleu's. The resampled absolute differences |B - A| are centred on their mean
    (the bootstrap's picture of the null hypothesis of no difference), and p = (c + 1) / (R + 1)
    where c counts centred differences strictly greater than the observed |B - A| and R is the
    number of resamples. A two-sided test; small p means B and A differ. One exception: when the
    two systems' statistics are identical (every resampled difference is 0, as for a system
    against itself), sacrebleu's formula gives 1 / (R + 1), which would call a system
    significantly different from itself; p is 1.0 there. `ci_low`/`ci_high` are the 2.5th-97.5th
    percentiles of the resampled B - A. With fewer than 2 sentences or `resamples` < 2 the
    interval is the delta and p is 1.0. With a sacrebleu other than the pinned one, sacrebleu's
    own code computes the statistics and sums, after a RuntimeWarning (`engine.fast_path`)."""
    (name,) = check_metrics([metric])
    check_hypotheses(hyps_a, "hyps_a")
    check_hypotheses(hyps_b, "hyps_b")
    if len(hyps_a) != len(hyps_b):
        raise PolyevalError(f"system A has {len(hyps_a)} hypotheses but system B {len(hyps_b)}")
    streams = reference_streams(hyps_a, references)
    settings = metric_settings(target_language)
    fast = engine.fast_path()
    n = len(hyps_a)
    both = engine.statistics(
        (name,), settings, [*hyps_a, *hyps_b], [s + s for s in streams], processes, fast
    )[name]
    scorer = engine.build_metric(name, settings[name], fast)
    score_a = float(scorer._aggregate_and_compute(both[:n]).score)
    score_b = float(scorer._aggregate_and_compute(both[n:]).score)
    delta = score_b - score_a
    if n < 2 or resamples < 2:
        return PairedResult(name, score_a, score_b, delta, delta, delta, 1.0, n)
    indices = resample_indices(n, resamples, seed)
    scores_a, scores_b = _resampled(scorer, [both[:n], both[n:]], indices, fast)
    p_value = paired_p_value(scores_a, scores_b, abs(score_a - score_b))
    low, high = percentiles(scores_b.astype(np.float64) - scores_a.astype(np.float64))
    return PairedResult(name, score_a, score_b, delta, low, high, p_value, n)


def _resampled(
    scorer: Metric, systems: list[engine.Rows], indices: IntArray, fast: bool
) -> list[npt.NDArray[Any]]:
    """Each system's scores on the resamples of `indices` (the same sentences for all)."""
    matrices = [np.array(rows, np.float64) for rows in systems]
    sums = column_sums(matrices, indices, fast)
    return [np.array(resampled_scores(scorer, system_sums)) for system_sums in sums]
