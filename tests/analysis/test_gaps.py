"""One paired gap (harness.analysis.stats.paired_gap_estimates) behind gaps.json, summary.json's
gaps to English and `evaluate compare`'s per-sample metrics: the same numbers wherever a gap is
shown."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.analysis.gaps import paired_gaps
from harness.analysis.stats import paired_gap_estimates
from harness.analysis.summary import summarize
from harness.record import SampleRecord
from tests.conftest import read_run

MGSM = "run --model baseline:random --tasks mgsm --source sample"


def test_gaps_json_and_summary_give_the_same_gap_to_english(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = evaluate(MGSM, output=out)
    assert result.exit_code == 0, result.output
    gaps = json.loads((out / "gaps.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    to_english = {
        (g["task"], g["variant"], g["metric"], g["language"]): g
        for g in gaps
        if g["versus"] == "language:eng_Latn"
    }
    recorded: dict[str, dict[tuple[str, str, str, str], dict[str, Any]]] = {
        kind: {
            (r["task"], r["variant"], r["metric"], r["group"]): r
            for r in summary
            if r["kind"] == kind and r["metric"] != "parse_rate"  # gaps.json leaves it out
        }
        for kind in ("gap_to_english", "relative_gap_to_english")
    }
    accuracy = [key for key in to_english if key[2] == "accuracy"]
    assert len(accuracy) >= 5  # every language of the sample data but English
    assert to_english.keys() == recorded["gap_to_english"].keys()
    for key, gap in to_english.items():
        found, relative = recorded["gap_to_english"][key], recorded["relative_gap_to_english"][key]
        assert (gap["gap"], gap["ci_low"], gap["ci_high"]) == (
            found["value"],
            found["ci_low"],
            found["ci_high"],
        )
        assert (gap["value"], gap["base"], gap["n"]) == (
            found["score"],
            found["english"],
            found["n"],
        )
        assert gap["relative_gap"] == relative["value"]
        assert gap["method"] == found["method"] == "paired_bootstrap"
        assert -1 <= gap["ci_low"] <= gap["gap"] <= gap["ci_high"] <= 1
        assert 0 < gap["p_value"] <= 1


def _scored(
    language: str, sample_id: str, parallel_id: str, variant: str, right: float
) -> SampleRecord:
    return SampleRecord(
        task="quiz",
        variant=variant,
        language=language,
        sample_id=sample_id,
        parallel_id=parallel_id,
        gold="x",
        prompt="p",
        output="x",
        scores={"accuracy": right},
    )


def test_an_item_with_two_samples_in_one_language_counts_once_with_their_mean() -> None:
    # English right on items a-d. German has item a twice, wrong then right, and b-d once
    # (right, wrong, right): per item 0.5, 1, 0, 1, a score of 0.625 (not 0.6 by sample, nor
    # 0.75 or 0.5 by whichever sample of a came last). The `mt` variant is compared with
    # `plain` (compare_to) and has German's items once each, all right.
    results = [_scored("eng_Latn", f"en-{p}", p, "plain", 1.0) for p in "abcd"]
    german = [("a", 0.0), ("a", 1.0), ("b", 1.0), ("c", 0.0), ("d", 1.0)]
    results += [_scored("deu_Latn", f"de-{i}", p, "plain", v) for i, (p, v) in enumerate(german)]
    results += [_scored("deu_Latn", f"mt-{p}", p, "mt", 1.0) for p in "abcd"]
    gaps = {
        (g["variant"], g["language"], g["versus"]): g
        for g in (r.model_dump() for r in paired_gaps(results, {("quiz", "mt"): "plain"}))
    }
    assert set(gaps) == {
        ("plain", "deu_Latn", "language:eng_Latn"),
        ("mt", "deu_Latn", "variant:plain"),
    }
    items = [0.5, 1.0, 0.0, 1.0]  # German's per item, in parallel-id order
    to_english = gaps[("plain", "deu_Latn", "language:eng_Latn")]
    assert (to_english["value"], to_english["base"], to_english["n"]) == (0.625, 1.0, 4)
    expected = paired_gap_estimates(items, [1.0] * 4)[0]
    assert expected is not None
    assert (to_english["gap"], to_english["ci_low"], to_english["ci_high"]) == (
        expected.gap,
        expected.low,
        expected.high,
    )
    assert to_english["relative_gap"] == pytest.approx(-0.375)
    # the variant's gap: the same function, the other way round
    versus_plain = gaps[("mt", "deu_Latn", "variant:plain")]
    expected = paired_gap_estimates([1.0] * 4, items)[0]
    assert expected is not None
    assert (versus_plain["gap"], versus_plain["ci_low"], versus_plain["ci_high"]) == (
        expected.gap,
        expected.low,
        expected.high,
    )
    assert versus_plain["p_value"] == expected.p_value
    # summary.json says the same of the same samples
    summary = [r.model_dump() for r in summarize(results)]
    found = next(
        r
        for r in summary
        if r["kind"] == "gap_to_english" and r["group"] == "deu_Latn" and r["variant"] == "plain"
    )
    assert (found["score"], found["value"], found["ci_low"], found["ci_high"]) == (
        0.625,
        to_english["gap"],
        to_english["ci_low"],
        to_english["ci_high"],
    )


def test_compare_gives_the_gap_of_the_paired_per_sample_values(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    runs = {}
    for name, seed in (("a", 1), ("b", 2)):
        runs[name] = tmp_path / name
        result = evaluate(MGSM, output=runs[name], seed=seed)
        assert result.exit_code == 0, result.output
    result = evaluate("compare", str(runs["a"]), str(runs["b"]), "--json", metric="accuracy")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert len(found) >= 6 and any(c["delta"] != 0 for c in found)
    values = {
        name: {
            (s["language"], s["sample_id"]): s["scores"]["accuracy"]
            for s in read_run(run)["samples"]
        }
        for name, run in runs.items()
    }
    for comparison in found:
        ids = sorted(k for k in values["a"] if k[0] == comparison["language"])
        expected = paired_gap_estimates(
            [values["b"][k] for k in ids], [values["a"][k] for k in ids]
        )[0]
        assert expected is not None and comparison["n"] == expected.n == len(ids)
        assert (comparison["score_a"], comparison["score_b"]) == (expected.base, expected.value)
        assert (comparison["delta"], comparison["ci_low"], comparison["ci_high"]) == (
            expected.gap,
            expected.low,
            expected.high,
        )
        assert comparison["p_value"] == expected.p_value
