"""How the site shows a metric's values: the one place that decides, by asking the metric
registry (harness.metrics.registry) whether the metric's values lie in [0, 1].

- A rate in [0, 1] (accuracy, chrF++ as scores.json keeps it, a log-likelihood variant's
  `acc`, the consistency rate) is shown in points, 0 to 100, one decimal; a heatmap colours it
  by its value and a bar chart runs from 0 to 100.
- A metric the registry marks unbounded (`bounded=False`: bits per byte, usually 0.5 to 8) is
  shown as it is, three decimals (its interval's bounds two: `1.10–1.35`); a heatmap colours
  it by its place in the range of its column's values, a bar chart runs from 0 to a round
  number above the largest value.

Where lower is better (TER, bits per byte) the colours run the other way. Downloads keep the
values as scores.json has them (fractions; bits per byte as is). A number that does not apply
(the language-normalised score and consistency rate of a log-likelihood variant, whose answer
is one of the continuations given, not text the model wrote) is shown as NOT_APPLICABLE.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from harness.leaderboard.ranks import Estimate
from harness.metrics.registry import metric_info

NOT_APPLICABLE = "n/a"
MISSING = "–"


@dataclass(frozen=True, slots=True)
class Scale:
    """How values of one metric are shown."""

    factor: float  # shown value = factor * stored value
    digits: int  # decimals of a value
    interval_digits: int  # decimals of an interval's bounds
    bounded: bool  # the values lie in [0, 1]
    unit: str  # what the legends say the numbers are in

    def text(self, value: float | None) -> str:
        return MISSING if value is None else f"{self.factor * value:.{self.digits}f}"

    def interval(self, e: Estimate | None) -> str:
        """`12.3–45.6` in points; `1.10–1.35` as is; empty where there is no interval."""
        if e is None or e.low is None or e.high is None:
            return ""
        d = self.interval_digits
        return f"{self.factor * e.low:.{d}f}–{self.factor * e.high:.{d}f}"

    def signed(self, value: float | None) -> str:
        """A difference with its sign (a true minus): `+1.2`, `−0.345`; empty where none."""
        if value is None:
            return ""
        return f"{self.factor * value:+.{self.digits}f}".replace("-", "−")

    def sort_value(self, value: float | None) -> str:
        """A cell's data-value, for sorting: one decimal more than shown."""
        return "" if value is None else f"{self.factor * value:.{self.digits + 1}f}"

    def rounded(self, value: float | None) -> float | None:
        """A value as the overview's filter data holds it (the script shows it as is)."""
        return None if value is None else round(self.factor * value, self.digits)

    def position(
        self, value: float | None, span: tuple[float, float] | None = None
    ) -> float | None:
        """Where a value lies on the colour scale, 0 to 1 (before lower-is-better turns it):
        a rate at its value, an unbounded value within `span` (the least and greatest value of
        its column; the middle where they are equal or there is no span)."""
        if value is None:
            return None
        if self.bounded:
            return value
        if span is None or not span[1] > span[0]:
            return 0.5
        return (value - span[0]) / (span[1] - span[0])

    def axis(self, values: Iterable[float]) -> float:
        """The top of a bar chart's axis (its bottom is 0): 1 for a rate; for an unbounded
        metric a round number at or above every value (1 where there is none above 0)."""
        if self.bounded:
            return 1.0
        top = max((v for v in values if math.isfinite(v)), default=0.0)
        if top <= 0:
            return 1.0
        step = 10.0 ** math.floor(math.log10(top))
        return next(m * step for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * step >= top)

    def tick(self, value: float) -> str:
        """An axis or legend mark: `50` in points, `2.5` as is."""
        return f"{self.factor * value:g}"


POINTS = Scale(100.0, 1, 1, True, "points")
AS_IS = Scale(1.0, 3, 2, False, "as is")


def scale_of(metric: str | None) -> Scale:
    """The scale of a metric's values: as is where the registry marks it unbounded, else in
    points (a metric the registry does not know is taken for a rate, as before)."""
    info = metric_info(metric) if metric else None
    return AS_IS if info is not None and not info.bounded else POINTS
