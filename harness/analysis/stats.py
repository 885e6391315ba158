"""Confidence intervals for the scores."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

Z95 = 1.959963984540054
# every bootstrap's defaults (summary.json, gaps.json, `evaluate compare`)
RESAMPLES = 1000
SEED = 12345


def wilson_interval(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when there is no data. It always holds
    the proportion itself (rounding cannot push an end past it)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def mean_interval(values: Sequence[float], z: float = Z95) -> tuple[float, float]:
    """Normal-approximation interval for a mean (t-free: n is large in benchmarks)."""
    n = len(values)
    if n == 0:
        return 0.0, 0.0
    mean = sum(values) / n
    if n == 1:
        return mean, mean
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    half = z * math.sqrt(variance / n)
    return mean - half, mean + half


def mean_score_interval(values: Sequence[float], z: float = Z95) -> tuple[float, float]:
    """The 95% interval of the mean of a per-sample metric's values, each in [0, 1] (the metric
    protocol, harness.metrics). Values that are all 0 or 1 are a proportion, whatever the
    metric is called (accuracy, parse rate, consistency, LCB's line and word pass rates):
    the Wilson interval. Other values (F1, sentence chrF++, a mean over k samples): the normal
    interval of their mean, clipped to [0, 1]. (0, 1) when there are no values."""
    if all(v in (0.0, 1.0) for v in values):
        return wilson_interval(sum(values), len(values), z)
    low, high = mean_interval(values, z)
    return max(0.0, low), min(1.0, high)


# Bootstrap over clusters. Every bootstrap here draws its resamples the same way: resample r
# takes C cluster indices uniformly with replacement, the r-th row of
# `numpy.random.default_rng(seed).integers(0, C, size=(resamples, C))`; so a statistic is
# reproducible from its own data and seed, whatever else was computed beside it, and a paired
# bootstrap of n items draws exactly what `harness.analysis.compare.paired_mean_bootstrap` draws.

FloatArray = NDArray[np.float64]
DRAWS_PER_CHUNK = 1 << 20  # cluster indices drawn at once (8 MiB): memory stays bounded


class Estimate(NamedTuple):
    """A point estimate with its interval (None where there is nothing to resample)."""

    value: float
    low: float | None
    high: float | None


def resample_weights(
    clusters: int, resamples: int, seed: int, chunk_draws: int = DRAWS_PER_CHUNK
) -> Iterator[FloatArray]:
    """How many times each cluster is drawn in each resample: arrays of shape
    (resamples in the chunk, clusters), chunk after chunk (the chunks only bound memory: the
    random stream, and so the result, does not depend on them)."""
    if clusters < 1:
        raise ValueError("a bootstrap needs at least one cluster")
    rng = np.random.default_rng(seed)
    per_chunk = max(1, chunk_draws // clusters)
    for start in range(0, resamples, per_chunk):
        rows = min(per_chunk, resamples - start)
        drawn = rng.integers(0, clusters, size=(rows, clusters))
        drawn += (np.arange(rows) * clusters)[:, None]
        counts = np.bincount(drawn.ravel(), minlength=rows * clusters)
        yield counts.reshape(rows, clusters).astype(np.float64)


def clustered_means(
    sums: FloatArray,
    counts: FloatArray,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    chunk_draws: int = DRAWS_PER_CHUNK,
) -> FloatArray:
    """Bootstrap replicates of group means when observations come in clusters (the same item
    in several languages). `sums[g, c]` and `counts[g, c]` are the total and the number of
    group g's observations in cluster c (0 where it has none). Each resample draws clusters
    with replacement and gives each group the mean of its observations in the drawn clusters,
    a cluster drawn twice counting twice. Shape (resamples, groups); NaN where a group has no
    observation in a resample."""
    sums, counts = np.asarray(sums, dtype=np.float64), np.asarray(counts, dtype=np.float64)
    if sums.ndim != 2 or sums.shape != counts.shape:
        raise ValueError("sums and counts must be arrays of the same shape (groups, clusters)")
    both = np.concatenate([sums, counts]).T  # one product per chunk for both
    groups = sums.shape[0]
    parts = []
    for weights in resample_weights(sums.shape[1], resamples, seed, chunk_draws):
        product = weights @ both
        totals, sizes = product[:, :groups], product[:, groups:]
        means = np.full_like(totals, np.nan)
        np.divide(totals, sizes, out=means, where=sizes > 0)
        parts.append(means)
    if not parts:
        return np.empty((0, sums.shape[0]))
    return np.concatenate(parts)


def row_means(values: FloatArray) -> FloatArray:
    """The mean of each row's finite values (NaN for a row with none), without warnings."""
    finite = np.isfinite(values)
    totals = np.where(finite, values, 0.0).sum(axis=-1)
    sizes = finite.sum(axis=-1)
    means = np.full(totals.shape, np.nan)
    np.divide(totals, sizes, out=means, where=sizes > 0)
    return means


def percentile_interval(
    replicates: FloatArray, confidence: float = 0.95
) -> tuple[float | None, float | None]:
    """The central `confidence` interval of the finite bootstrap replicates (None, None where
    there are none)."""
    found = np.asarray(replicates, dtype=np.float64)
    found = found[np.isfinite(found)]
    if found.size == 0:
        return None, None
    tail = (1 - confidence) / 2
    low, high = np.quantile(found, [tail, 1 - tail])
    return float(low), float(high)


def macro_mean_interval(
    values: FloatArray, resamples: int = RESAMPLES, seed: int = SEED, confidence: float = 0.95
) -> Estimate:
    """The macro average of a (groups, clusters) table, e.g. languages x parallel items with NaN
    where a language lacks an item: the mean over groups of each group's mean, each group
    weighted equally, with a percentile interval from a bootstrap that resamples clusters
    (columns), not cells: the same question in 11 languages is one draw, not 11. A group that
    lacks every drawn cluster is left out of that resample's average."""
    table = np.asarray(values, dtype=np.float64)
    present = np.isfinite(table)
    point = float(row_means(row_means(table)))
    if not present.any():
        return Estimate(point, None, None)
    sums, counts = np.where(present, table, 0.0), present.astype(np.float64)
    replicates = row_means(clustered_means(sums, counts, resamples, seed))
    return Estimate(point, *percentile_interval(replicates, confidence))


@dataclass(frozen=True, slots=True)
class PairedGap:
    """One side's score against a base over the items both have: `gap` is value - base, with
    the 95% percentile interval of a paired bootstrap (`low`, `high`) and the two-sided p-value
    of "no difference"; `relative_gap` is gap / base, with its interval from the resamples in
    which the base is not 0 (all None where the base is 0)."""

    value: float  # the side's mean over the shared items
    base: float  # the base's mean over the same items
    gap: float
    relative_gap: float | None
    n: int  # shared items
    low: float
    high: float
    relative_low: float | None
    relative_high: float | None
    p_value: float


def paired_gap_estimates(
    sides: ArrayLike,
    base: ArrayLike,
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    confidence: float = 0.95,
) -> list[PairedGap | None]:
    """The gap of each side to the base over the items both have. `sides` holds one row per
    side (or is one row) and `base` one value per item; column i of every row is the same item
    as base[i], NaN where a side lacks it; an item a side has several samples of holds their
    mean. None for a side that shares no item with the base.

    The bootstrap draws the shared items with replacement, resample r taking the r-th row of
    the draws that `resample_weights` makes for their number and `seed`, and takes both sides'
    values of the drawn items; the p-value is the share of resampled gaps, centred on the
    observed gap, at least as far from it as it is from zero ((count + 1) / (resamples + 1)).
    Each side's numbers depend only on its own values, the base's and the settings (up to the
    last bit of rounding: sides that share the same items share one draw and one matrix
    product, so that a table of many languages against English costs one bootstrap)."""
    rows, reference = np.atleast_2d(np.asarray(sides, dtype=np.float64)), np.asarray(base, float)
    if rows.ndim != 2 or reference.ndim != 1 or rows.shape[1] != reference.size:
        raise ValueError("sides must have one column per item of base")
    if resamples < 1:
        raise ValueError("a bootstrap needs at least one resample")
    shared = np.isfinite(rows) & np.isfinite(reference)
    by_items: dict[bytes, list[int]] = defaultdict(list)
    for i in range(len(rows)):
        by_items[shared[i].tobytes()].append(i)
    found: list[PairedGap | None] = [None] * len(rows)
    for chosen in by_items.values():
        columns = np.flatnonzero(shared[chosen[0]])
        if not columns.size:
            continue
        gaps = _gaps(rows[chosen][:, columns], reference[columns], resamples, seed, confidence)
        for i, gap in zip(chosen, gaps, strict=True):
            found[i] = gap
    return found


def _gaps(
    sides: FloatArray, base: FloatArray, resamples: int, seed: int, confidence: float
) -> list[PairedGap]:
    """paired_gap_estimates for sides that have every item of `base`: one draw for all, the
    resampled means of the base and of each side's differences to it."""
    columns = np.vstack([base, sides - base])
    means = clustered_means(columns, np.ones_like(columns), resamples, seed)
    base_found, gaps_found = means[:, 0], means[:, 1:]
    reference = float(base.mean())
    relative_found = gaps_found / np.where(base_found != 0, base_found, np.nan)[:, None]
    return [
        _paired_gap(float(row.mean()), reference, base.size, drawn, relative, confidence)
        for row, drawn, relative in zip(sides, gaps_found.T, relative_found.T, strict=True)
    ]


def _paired_gap(
    value: float,
    base: float,
    n: int,
    drawn: FloatArray,
    relative: FloatArray,
    confidence: float,
) -> PairedGap:
    gap = value - base
    low, high = percentile_interval(drawn, confidence)
    assert low is not None and high is not None  # every resample has a gap
    extreme = np.abs(drawn - gap) >= abs(gap)
    p_value = float((extreme.sum() + 1) / (drawn.size + 1))
    relative_low, relative_high = (
        percentile_interval(relative, confidence) if base else (None, None)
    )
    return PairedGap(
        value=value,
        base=base,
        gap=gap,
        relative_gap=gap / base if base else None,
        n=n,
        low=low,
        high=high,
        relative_low=relative_low,
        relative_high=relative_high,
        p_value=p_value,
    )
