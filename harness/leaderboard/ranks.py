"""Ranks that tie where intervals overlap, and the mean of several scores with its interval.

A model's rank is one more than the number of models that are clearly better: whose 95%
interval lies wholly above its own (below, for a metric where lower is better). Models whose
intervals overlap are therefore not told apart: two models at the top whose intervals overlap
both rank 1, and the next model that both clearly beat ranks 3. Where either model lacks an
interval (corpus metrics such as chrF++ have none), the point values decide.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Estimate:
    value: float
    low: float | None = None
    high: float | None = None

    @property
    def has_interval(self) -> bool:
        return self.low is not None and self.high is not None


def clearly_better(a: Estimate, b: Estimate, lower_is_better: bool = False) -> bool:
    """Whether `a` beats `b` beyond their intervals (by value where one has none)."""
    if lower_is_better:
        a, b = _negated(a), _negated(b)
    if a.low is not None and b.high is not None:
        return a.low > b.high
    return a.value > b.value


def tied_ranks(
    estimates: Sequence[Estimate | None], lower_is_better: bool = False
) -> list[int | None]:
    """Each estimate's rank (None for a missing one): 1 + the number clearly better."""
    present = [e for e in estimates if e is not None]
    if present and all(e.has_interval for e in present):  # count the lows above each high
        if lower_is_better:
            present = [_negated(e) for e in present]
            estimates = [_negated(e) if e is not None else None for e in estimates]
        lows = sorted(e.low for e in present if e.low is not None)
        return [
            None if e is None else 1 + len(lows) - bisect.bisect_right(lows, e.high or 0.0)
            for e in estimates
        ]
    return [
        None
        if e is None
        else 1 + sum(clearly_better(other, e, lower_is_better) for other in present)
        for e in estimates
    ]


def mean_estimate(estimates: Sequence[Estimate]) -> Estimate | None:
    """The mean of independent estimates; its interval from their standard errors (each
    interval's half-width over 1.96), or none where any of them lacks an interval."""
    if not estimates:
        return None
    count = len(estimates)
    mean = sum(e.value for e in estimates) / count
    if not all(e.has_interval for e in estimates):
        return Estimate(mean)
    variance = sum(((e.high or 0.0) - (e.low or 0.0)) ** 2 / (2 * Z95) ** 2 for e in estimates)
    half = Z95 * math.sqrt(variance) / count
    return Estimate(mean, mean - half, mean + half)


def clipped(e: Estimate | None, bounded: bool = True, low: float = 0.0) -> Estimate | None:
    """An interval kept within what a mean of rates can be ([0, 1]; a gap [-1, 1]): a mean's
    normal interval can reach past them where its scores sit near a bound."""
    if e is None or not bounded or not e.has_interval:
        return e
    assert e.low is not None and e.high is not None
    return Estimate(e.value, max(low, e.low), min(1.0, e.high))


def _negated(e: Estimate) -> Estimate:
    return Estimate(
        -e.value,
        -e.high if e.high is not None else None,
        -e.low if e.low is not None else None,
    )
