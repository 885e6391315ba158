"""Intervals of per-sample scores (harness.analysis.cells.aggregate,
harness.analysis.stats.mean_score_interval): never outside [0, 1], always around the score,
Wilson for every rate whatever its name."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.analysis.cells import aggregate
from harness.analysis.stats import mean_interval, mean_score_interval, wilson_interval
from harness.metrics import BINARY, LANGUAGE
from harness.record import SampleRecord

MOST = 2000
# every 0/1 metric the harness produces, and one it does not know
RATES = sorted(BINARY | set(LANGUAGE) | {"a_new_rate"})


SAMPLES = [
    SampleRecord(
        task="t",
        variant="v",
        language="deu_Latn",
        sample_id=str(i),
        parallel_id=str(i),
        gold="x",
        prompt="p",
        output="x",
        breakdowns={"half": str(i % 2)},
    )
    for i in range(MOST)
]


def records_of(metric: str, values: list[float]) -> list[dict[str, Any]]:
    """scores.json's records of a run whose samples score `values` on `metric`: the overall
    one and one per breakdown group."""
    samples = [
        sample.model_copy(update={"scores": {metric: value}})
        for sample, value in zip(SAMPLES, values, strict=False)
    ]
    return [record.model_dump() for record in aggregate(samples)]


def assert_sound(records: list[dict[str, Any]]) -> None:
    for record in records:
        low, value, high = record["ci_low"], record["value"], record["ci_high"]
        assert 0.0 <= low <= value <= high <= 1.0, record


@st.composite
def successes(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(1, MOST))
    return n, draw(st.integers(0, n))


@settings(max_examples=300, deadline=None)
@given(metric=st.sampled_from(RATES), counts=successes())
def test_a_rate_has_its_wilson_interval_within_0_and_1(
    metric: str, counts: tuple[int, int]
) -> None:
    n, k = counts
    records = records_of(metric, [1.0] * k + [0.0] * (n - k))
    assert_sound(records)
    overall = records[0]
    assert (overall["by"], overall["n"], overall["value"]) == (None, n, k / n)
    assert (overall["ci_low"], overall["ci_high"]) == wilson_interval(k, n)


@settings(max_examples=200, deadline=None)
@given(
    metric=st.sampled_from(["f1", "temporal_f1", "sentence_chrf", "mean@4"]),
    values=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=MOST),
)
def test_a_mean_of_fractions_has_its_interval_within_0_and_1(
    metric: str, values: list[float]
) -> None:
    assert_sound(records_of(metric, values))


@pytest.mark.parametrize("metric", ["consistency", "line_pass", "word_pass", "parse_rate"])
def test_thirteen_of_fourteen_is_a_proportion(metric: str) -> None:
    overall = records_of(metric, [1.0] * 13 + [0.0])[0]
    assert (overall["ci_low"], overall["ci_high"]) == wilson_interval(13, 14)
    assert mean_interval([1.0] * 13 + [0.0])[1] > 1  # what the normal interval would say


def test_a_mean_near_1_is_clipped_and_an_f1_of_0_or_1_is_a_proportion() -> None:
    values = [1.0] * 13 + [0.9]
    low, high = mean_interval(values)
    assert high > 1
    assert mean_score_interval(values) == (low, 1.0)
    assert records_of("f1", [1.0, 0.0, 1.0])[0]["ci_low"] == wilson_interval(2, 3)[0]
    assert mean_score_interval([]) == (0.0, 1.0)


@pytest.mark.parametrize("n", [1, 2, 7, 100, 1999])
def test_wilson_holds_the_proportion_at_its_ends(n: int) -> None:
    assert wilson_interval(0, n)[0] == 0.0
    assert wilson_interval(n, n)[1] == 1.0
