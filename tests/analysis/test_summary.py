"""Cross-language summary (harness.analysis.summary) and the bootstrap helpers
(harness.analysis.stats)."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import numpy as np
import pytest

from harness.analysis.stats import (
    clustered_means,
    macro_mean_interval,
    paired_gap_estimates,
    wilson_interval,
)
from harness.analysis.summary import summarize as summarize_records
from harness.record import SampleRecord, ScoreRecord

Record = dict[str, Any]
ITEMS = 50


def summarize(
    samples: list[Record], scores: list[Record] | None = None, **options: Any
) -> list[Record]:
    """The summary of sample and score records written as plain dicts, as plain dicts."""
    found = summarize_records(
        [SampleRecord.model_validate({"gold": "", "prompt": "", **s}) for s in samples],
        [ScoreRecord.model_validate(s) for s in scores or []],
        **options,
    )
    return [record.model_dump() for record in found]


def sample(
    language: str,
    item: int | str,
    scores: dict[str, float],
    task: str = "mcq",
    variant: str = "zero_shot",
) -> Record:
    pid = item if isinstance(item, str) else f"q{item:03d}"
    return {
        "task": task,
        "variant": variant,
        "language": language,
        "sample_id": f"{language}/{pid}",
        "parallel_id": pid,
        "scores": scores,
    }


def run_of(correct: dict[str, set[int]], items: int = ITEMS) -> list[Record]:
    """Samples of every language and item: accuracy 1 on the language's `correct` items."""
    return [
        sample(lang, i, {"accuracy": float(i in right), "parse_rate": 1.0})
        for lang, right in correct.items()
        for i in range(items)
    ]


def find(
    records: list[Record], kind: str, group: str | None = None, metric: str = "accuracy"
) -> Record:
    found = [
        r for r in records if r["kind"] == kind and r["group"] == group and r["metric"] == metric
    ]
    assert len(found) == 1, (kind, group, metric, found)
    return found[0]


# English right on items 0-39, French on 0-29 and 45-49, Nepali on 0-19 (50 items each)
KNOWN = {
    "eng_Latn": set(range(40)),
    "fra_Latn": set(range(30)) | set(range(45, 50)),
    "npi_Deva": set(range(20)),
}


@pytest.fixture(scope="module")
def known() -> list[Record]:
    return summarize(run_of(KNOWN))


def test_macro_average_weighs_each_language_equally(known: list[Record]) -> None:
    macro = find(known, "macro")
    assert macro["value"] == pytest.approx((0.8 + 0.7 + 0.4) / 3)
    assert (macro["n"], macro["items"], macro["languages"]) == (150, 50, 3)
    assert macro["method"] == "clustered_bootstrap"
    assert macro["ci_low"] < macro["value"] < macro["ci_high"]
    # by tier and script, from the language table: English and French high/Latn, Nepali low/Deva
    assert find(known, "macro_by_tier", "high")["value"] == pytest.approx(0.75)
    assert find(known, "macro_by_tier", "low")["value"] == pytest.approx(0.4)
    assert find(known, "macro_by_script", "Latn")["value"] == pytest.approx(0.75)
    assert find(known, "macro_by_script", "Deva")["languages"] == 1
    assert not [r for r in known if r["kind"] == "macro_by_tier" and r["group"] == "mid"]
    assert find(known, "macro", metric="parse_rate")["value"] == 1.0


def test_gaps_to_english_absolute_and_relative(known: list[Record]) -> None:
    french = find(known, "gap_to_english", "fra_Latn")
    assert french["value"] == pytest.approx(0.7 - 0.8)
    assert (french["score"], french["english"], french["n"]) == (0.7, 0.8, 50)
    assert find(known, "relative_gap_to_english", "fra_Latn")["value"] == pytest.approx(-0.125)
    nepali = find(known, "gap_to_english", "npi_Deva")
    assert nepali["value"] == pytest.approx(-0.4)
    assert nepali["ci_low"] < -0.4 < nepali["ci_high"] < 0  # the gap is clearly there
    assert find(known, "relative_gap_to_english", "npi_Deva")["value"] == pytest.approx(-0.5)
    assert not [r for r in known if r["kind"] == "gap_to_english" and r["group"] == "eng_Latn"]


def test_worst_language_and_cross_lingual_consistency(known: list[Record]) -> None:
    worst = find(known, "worst_language", "npi_Deva")
    assert (worst["group"], worst["value"], worst["languages"]) == ("npi_Deva", 0.4, 3)
    assert worst["share_worst"] > 0.9  # 0.4 against 0.7 and 0.8 on 50 items
    # French agrees with English on 0-29 (both right) and 40-44 (both wrong): 35 of 50
    french = find(known, "agreement_with_english", "fra_Latn")
    assert french["value"] == pytest.approx(35 / 50)
    assert (french["ci_low"], french["ci_high"]) == pytest.approx(wilson_interval(35, 50))
    # Nepali on 0-19 (right) and 40-49 (wrong): 30 of 50
    assert find(known, "agreement_with_english", "npi_Deva")["value"] == pytest.approx(30 / 50)
    everywhere = find(known, "correct_in_every_language")
    assert (everywhere["value"], everywhere["n"], everywhere["languages"]) == (20 / 50, 50, 3)
    # parse_rate is about the form of an answer: no correctness records for it
    kinds = {r["kind"] for r in known if r["metric"] == "parse_rate"}
    assert "agreement_with_english" not in kinds and "correct_in_every_language" not in kinds


def test_missing_items_and_failed_requests() -> None:
    samples = run_of(KNOWN)
    # Nepali lacks items 45-49 (never asked), and its item 0 failed (no scores)
    samples = [
        s for s in samples if not (s["language"] == "npi_Deva" and s["parallel_id"] > "q044")
    ]
    failed = next(s for s in samples if s["language"] == "npi_Deva" and s["parallel_id"] == "q000")
    failed["scores"] = {}
    records = summarize(samples)
    nepali = find(records, "gap_to_english", "npi_Deva")
    # shared items 1-44: Nepali right on 1-19 (19/44), English on 1-39 (39/44)
    assert nepali["n"] == 44
    assert nepali["score"] == pytest.approx(19 / 44)
    assert nepali["english"] == pytest.approx(39 / 44)
    assert find(records, "agreement_with_english", "npi_Deva")["value"] == pytest.approx(24 / 44)
    # right everywhere: among the 44 items every language has, 1-19
    everywhere = find(records, "correct_in_every_language")
    assert (everywhere["n"], everywhere["value"]) == (44, pytest.approx(19 / 44))
    macro = find(records, "macro")
    assert macro["value"] == pytest.approx((0.8 + 0.7 + 19 / 44) / 3)
    assert (macro["n"], macro["items"]) == (144, 50)


def correlated(seed: int, shared: bool) -> np.ndarray:
    """3 languages x 50 items of 0/1: the same pattern in every language, or each its own."""
    rng = np.random.default_rng(seed)
    if shared:
        return np.tile(rng.random(ITEMS) < 0.5, (3, 1)).astype(float)
    return (rng.random((3, ITEMS)) < 0.5).astype(float)


def naive_half_width(table: np.ndarray) -> float:
    """The interval treating all 150 answers as independent: each language's standard error."""
    p = table.mean(axis=1)
    return 1.96 * math.sqrt(float((p * (1 - p) / table.shape[1]).sum())) / table.shape[0]


def test_clustered_interval_is_wider_when_languages_are_correlated() -> None:
    table = correlated(3, shared=True)
    found = macro_mean_interval(table)
    assert found.low is not None and found.high is not None
    # the same question in 3 languages is one draw: about sqrt(3) wider than the naive interval
    assert (found.high - found.low) / 2 > 1.5 * naive_half_width(table)
    independent = correlated(3, shared=False)
    found = macro_mean_interval(independent)
    assert found.low is not None and found.high is not None
    ratio = (found.high - found.low) / 2 / naive_half_width(independent)
    assert 0.75 < ratio < 1.3  # nothing to cluster: about the naive width
    # the summary's record is this interval
    samples = [
        sample(lang, i, {"accuracy": float(table[k, i])})
        for k, lang in enumerate(KNOWN)
        for i in range(ITEMS)
    ]
    macro = find(summarize(samples), "macro")
    expected = macro_mean_interval(table)
    assert (macro["value"], macro["ci_low"], macro["ci_high"]) == pytest.approx(tuple(expected))


def reference_macro(table: list[list[float]], resamples: int, seed: int) -> tuple[float, float]:
    """A plain-loop clustered bootstrap: the documented draws, each language's mean over the
    drawn items it has, the mean over languages that have any."""
    items = len(table[0])
    draws = np.random.default_rng(seed).integers(0, items, size=(resamples, items))
    replicates = []
    for row in draws:
        means = []
        for language in table:
            values = [language[c] for c in row if not math.isnan(language[c])]
            if values:
                means.append(sum(values) / len(values))
        replicates.append(sum(means) / len(means))
    low, high = np.percentile(replicates, [2.5, 97.5])
    return float(low), float(high)


def reference_paired(
    a: list[float], b: list[float], resamples: int, seed: int
) -> tuple[list[float], float]:
    """A plain-loop paired bootstrap: the documented draws, the 2.5th and 97.5th percentiles of
    the resampled mean differences, and the share of them at least as far from the observed
    difference as it is from zero (the p-value `evaluate compare` has always reported)."""
    draws = np.random.default_rng(seed).integers(0, len(a), size=(resamples, len(a)))
    gaps = [sum(a[i] - b[i] for i in row) / len(row) for row in draws]
    observed = sum(a) / len(a) - sum(b) / len(b)
    extreme = sum(abs(g - observed) >= abs(observed) - 1e-12 for g in gaps)
    return [float(x) for x in np.percentile(gaps, [2.5, 97.5])], (extreme + 1) / (resamples + 1)


NAN = float("nan")
TINY = {  # 6 items; Nepali lacks item 2, French item 5
    "eng_Latn": [1, 1, 0, 1, 0.5, 1],
    "fra_Latn": [1, 0, 0, 1, 1, NAN],
    "npi_Deva": [0, 1, NAN, 0, 0, 1],
}


def tiny_samples() -> list[Record]:
    return [
        sample(lang, f"p{i}", {"f1": value})
        for lang, values in TINY.items()
        for i, value in enumerate(values)
        if not math.isnan(value)
    ]


def test_clustered_interval_equals_a_hand_rolled_reference() -> None:
    table = [list(map(float, row)) for row in TINY.values()]
    low, high = reference_macro(table, resamples=200, seed=7)
    found = macro_mean_interval(np.array(table), resamples=200, seed=7)
    assert found.value == pytest.approx((4.5 / 6 + 3 / 5 + 2 / 5) / 3)
    assert (found.low, found.high) == pytest.approx((low, high))
    macro = find(summarize(tiny_samples(), resamples=200, seed=7), "macro", metric="f1")
    assert (macro["value"], macro["ci_low"], macro["ci_high"]) == pytest.approx(
        (found.value, low, high)
    )


def test_paired_interval_equals_a_hand_rolled_reference() -> None:
    english, nepali = TINY["eng_Latn"], TINY["npi_Deva"]
    shared = [i for i in range(6) if not math.isnan(nepali[i])]
    a, b = [nepali[i] for i in shared], [english[i] for i in shared]
    expected, p_value = reference_paired(a, b, resamples=300, seed=11)
    found = paired_gap_estimates(a, b, resamples=300, seed=11)[0]
    assert found is not None and found.n == 5
    assert (found.value, found.base) == pytest.approx((sum(a) / 5, sum(b) / 5))
    assert found.gap == pytest.approx(sum(a) / 5 - sum(b) / 5)
    assert [found.low, found.high] == pytest.approx(expected)
    assert found.p_value == pytest.approx(p_value)
    # items a side lacks (NaN) are left out of its pairs: the whole rows give the same numbers
    whole = paired_gap_estimates([nepali, TINY["fra_Latn"]], english, resamples=300, seed=11)
    assert whole[0] == found
    gap = find(
        summarize(tiny_samples(), resamples=300, seed=11), "gap_to_english", "npi_Deva", "f1"
    )
    assert [gap["ci_low"], gap["ci_high"]] == pytest.approx(expected)
    assert gap["n"] == 5
    # f1 is not right-or-wrong: no agreement records
    assert not [r for r in summarize(tiny_samples()) if r["kind"] == "agreement_with_english"]


def test_relative_gap_has_no_value_where_the_baseline_is_zero() -> None:
    found = paired_gap_estimates(np.ones(4), np.zeros(4))[0]
    assert found is not None and found.gap == 1.0
    assert found.relative_gap is None and found.relative_low is None
    records = summarize(run_of({"eng_Latn": set(), "fra_Latn": {1, 2}}, items=10))
    relative = find(records, "relative_gap_to_english", "fra_Latn")
    assert relative["value"] is None and relative["ci_low"] is None
    assert find(records, "gap_to_english", "fra_Latn")["value"] == pytest.approx(0.2)


def test_a_side_without_shared_items_has_no_gap() -> None:
    assert paired_gap_estimates([[NAN, 1.0], [1.0, 0.0]], [1.0, NAN]) == [
        None,
        paired_gap_estimates([1.0], [1.0])[0],
    ]


def test_an_item_with_several_samples_counts_once_with_their_mean() -> None:
    # English right on both items; French has item q000 twice (wrong, then right) and q001
    # once (wrong): per item 0.5 and 0, a score of 0.25 (not 1/3 by sample, nor 0 or 0.5 by
    # whichever sample came last)
    samples = [sample("eng_Latn", i, {"accuracy": 1.0}) for i in range(2)]
    samples += [
        sample("fra_Latn", 0, {"accuracy": 0.0}),
        {**sample("fra_Latn", 0, {"accuracy": 1.0}), "sample_id": "fra_Latn/q000b"},
        sample("fra_Latn", 1, {"accuracy": 0.0}),
    ]
    gap = find(summarize(samples), "gap_to_english", "fra_Latn")
    assert (gap["score"], gap["english"], gap["n"]) == (0.25, 1.0, 2)
    assert gap["value"] == -0.75
    expected = paired_gap_estimates([0.5, 0.0], [1.0, 1.0])[0]
    assert expected is not None
    assert (gap["ci_low"], gap["ci_high"]) == (expected.low, expected.high)


def test_resampling_does_not_depend_on_chunks() -> None:
    rng = np.random.default_rng(0)
    sums = rng.random((4, 37))
    counts = np.ones_like(sums)
    whole = clustered_means(sums, counts, resamples=101, seed=5)
    chunked = clustered_means(sums, counts, resamples=101, seed=5, chunk_draws=40)
    assert whole.shape == (101, 4)
    np.testing.assert_allclose(whole, chunked)


def test_summary_is_deterministic_and_independent_of_sample_order() -> None:
    samples = run_of(KNOWN)
    first = summarize(samples)
    shuffled = samples[:]
    random.Random(1).shuffle(shuffled)
    assert summarize(shuffled) == first
    assert json.dumps(first) == json.dumps(summarize(samples, seed=12345))
    other = summarize(samples, seed=99)
    assert [r["value"] for r in other] == [r["value"] for r in first]
    assert [r["ci_low"] for r in other] != [r["ci_low"] for r in first]
    # a task's numbers do not depend on the other tasks of the run
    extra = [sample(s["language"], s["parallel_id"], s["scores"], task="aaa") for s in samples]
    both = summarize(extra + samples)
    assert [r for r in both if r["task"] == "mcq"] == first


PAIRS = ("npi_Deva-eng_Latn", "sin_Sinh-eng_Latn", "eng_Latn-npi_Deva", "eng_Latn-sin_Sinh")
CHRF = {PAIRS[0]: 0.5, PAIRS[1]: 0.3, PAIRS[2]: 0.2, PAIRS[3]: 0.1}


def test_translation_pairs_are_grouped_by_target_language() -> None:
    samples = [
        sample(pair, i, {"sentence_chrf": CHRF[pair], "parse_rate": 1.0}, task="flores")
        for pair in PAIRS
        for i in range(10)
    ]
    # a round trip is scored in the language it comes back to
    samples += [
        sample("npi_Deva-eng_Latn-npi_Deva", i, {"sentence_chrf": 0.9}, task="flores")
        for i in range(10)
    ]
    scores = [
        {
            "task": "flores",
            "variant": "zero_shot",
            "language": pair,
            "metric": metric,
            "by": None,
            "value": value if metric != "ter" else 1 - value,
            "n": 10,
            "ci_low": 0.0,
            "ci_high": 1.0,
        }
        for pair, value in CHRF.items()
        for metric in ("chrf", "ter")
    ]
    records = summarize(samples, scores)
    high = find(records, "macro_by_tier", "high", "sentence_chrf")  # into English
    assert (high["value"], high["languages"]) == (pytest.approx(0.4), 2)
    low = find(records, "macro_by_tier", "low", "sentence_chrf")
    assert (low["value"], low["languages"]) == (pytest.approx((0.2 + 0.1 + 0.9) / 3), 3)
    deva = find(records, "macro_by_script", "Deva", "sentence_chrf")
    assert (deva["value"], deva["languages"]) == (pytest.approx(0.55), 2)
    worst = [r for r in records if r["kind"] == "worst_language" and r["metric"] == "sentence_chrf"]
    assert worst[0]["group"] == "eng_Latn-sin_Sinh"
    # pairs are not languages to compare with English
    assert not [r for r in records if r["kind"].endswith("english")]
    # corpus metrics: macro over pairs without an interval; TER's worst pair is its highest
    chrf = find(records, "macro", None, "chrf")
    assert chrf["value"] == pytest.approx(0.275)
    assert chrf["ci_low"] is None and chrf["method"] is None and chrf["n"] == 40
    assert find(records, "macro_by_tier", "low", "chrf")["value"] == pytest.approx(0.15)
    assert find(records, "worst_language", "eng_Latn-sin_Sinh", "chrf")["value"] == 0.1
    assert find(records, "worst_language", "eng_Latn-sin_Sinh", "ter")["value"] == 0.9


def test_bootstrap_helpers_reject_bad_shapes() -> None:
    with pytest.raises(ValueError):
        paired_gap_estimates(np.ones(3), np.ones(4))
    with pytest.raises(ValueError):
        paired_gap_estimates(np.ones(3), np.ones(3), resamples=0)
    with pytest.raises(ValueError):
        clustered_means(np.ones((2, 3)), np.ones((3, 2)))
    empty = macro_mean_interval(np.full((2, 3), np.nan))
    assert math.isnan(empty.value) and empty.low is None


def test_only_right_or_wrong_metrics_get_agreement_records() -> None:
    samples = [
        sample(lang, i, {"consistency": float(i % 2), "language_normalised": float(i < 3)})
        for lang in ("eng_Latn", "hin_Deva")
        for i in range(8)
    ]
    records = summarize(samples)
    agreement = {r["metric"] for r in records if r["kind"] == "agreement_with_english"}
    assert agreement == {"language_normalised"}  # 0/1 and not about the form of the answer
    consistency = find(records, "macro", metric="consistency")
    assert consistency["value"] == 0.5
    assert find(records, "gap_to_english", "hin_Deva", "consistency")["value"] == 0.0
