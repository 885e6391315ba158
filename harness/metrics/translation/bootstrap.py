"""Bootstrap resampling of sentence statistics, as sacrebleu does it.

The resamples are those of sacrebleu's `_bootstrap_resample` and `_paired_bs_test`: the same
indices from `np.random.default_rng(seed)`, the same float32 column sums, each scored by the
metric's own `_compute_score_from_stats` (which keeps sacrebleu's float32 arithmetic whatever the
numpy version). `resampled_sums` gets the sums from one bincount of the resampled indices and
one matrix product (`counts @ stats`, exact in float64, then rounded to float32 like sacrebleu's
sums: identical while the integer totals stay below 2**24) instead of a gathered copy of the
statistics per resample; `gathered_sums` is sacrebleu's own way, for a sacrebleu other than the
pinned one. Intervals are the 2.5th-97.5th percentiles as sacrebleu picks them; the paired
test's p-value is sacrebleu's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from sacrebleu.metrics.base import Metric
from sacrebleu.significance import _compute_p_value

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]

_RESAMPLE_BLOCK = 1 << 22  # resampled indices turned into counts at a time


def resample_indices(n: int, resamples: int, seed: int) -> IntArray:
    """The indices sacrebleu's bootstrap draws: row r holds resample r's sentences."""
    rng = np.random.default_rng(seed)
    return rng.choice(n, size=(resamples, n), replace=True)


def resampled_sums(stats: FloatArray, indices: IntArray) -> Float32Array:
    """The column sums of `stats` over each resample, as float32 like sacrebleu's.

    sacrebleu sums a float32 copy of the statistics per resample; counting how often each
    sentence is drawn and multiplying gives the same sums (integer statistics are summed exactly
    in float64, then rounded to float32) for a fraction of the work."""
    resamples, n = indices.shape
    sums = np.empty((resamples, stats.shape[1]))
    block = max(1, _RESAMPLE_BLOCK // n)
    for start in range(0, resamples, block):
        rows = indices[start : start + block]
        offsets = (rows + n * np.arange(len(rows))[:, None]).ravel()
        counts = np.bincount(offsets, minlength=len(rows) * n).reshape(len(rows), n)
        sums[start : start + len(rows)] = counts.astype(np.float64) @ stats  # BLAS: float64
    return sums.astype(np.float32)


def gathered_sums(stats: FloatArray, indices: IntArray) -> Float32Array:
    """The column sums of `stats` over each resample, summed as sacrebleu sums them: a float32
    copy of the statistics gathered per resample."""
    stats32 = np.array(stats, dtype="float32")
    return np.array([stats32[row].sum(0) for row in indices], dtype=np.float32)


def column_sums(
    matrices: Sequence[FloatArray], indices: IntArray, fast: bool
) -> list[Float32Array]:
    """Each matrix's column sums over each resample: `resampled_sums` of all of them at once if
    `fast`, else `gathered_sums` of each."""
    if not fast:
        return [gathered_sums(matrix, indices) for matrix in matrices]
    sums = resampled_sums(np.hstack(matrices), indices)
    edges = np.cumsum([matrix.shape[1] for matrix in matrices])[:-1]
    return np.split(sums, edges, axis=1)


def resampled_scores(metric: Metric, sums: Float32Array) -> list[Any]:
    """sacrebleu's score of each resample (np.float32 for chrF and TER, float for BLEU)."""
    compute = cast(Any, metric)._compute_score_from_stats
    return [compute(row).score for row in sums]


def percentiles(values: FloatArray) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles as sacrebleu picks them from sorted resamples."""
    ordered = np.sort(values)
    low = len(ordered) // 40
    return float(ordered[low]), float(ordered[len(ordered) - low - 1])


def paired_p_value(
    scores_a: npt.NDArray[Any], scores_b: npt.NDArray[Any], observed: float
) -> float:
    """sacrebleu's paired bootstrap p-value from the resampled scores of two systems and their
    observed absolute difference; 1.0 where the two systems never differ (sacrebleu's strict
    count would call a system significantly different from itself)."""
    sample_diffs = np.abs(scores_b - scores_a)
    if observed == 0 and not sample_diffs.any():
        return 1.0
    return float(_compute_p_value(sample_diffs - sample_diffs.mean(), observed))
