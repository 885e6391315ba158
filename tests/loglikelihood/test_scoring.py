"""Scoring log-likelihood answers from the record alone (harness.loglikelihood.scoring): the
option each normalisation picks, bits per byte and its clustered interval, against hand
computations; a run scored again from its folder recomputes them."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from harness.errors import PolyevalError
from harness.loglikelihood.scoring import (
    bits_per_byte_cells,
    paired_bits_per_byte,
    score_likelihoods,
)
from harness.record import Likelihood, SampleRecord
from tests.conftest import read_run, scores_of


def _sample(
    continuations: list[str], scored: list[tuple[float, int]], gold: str = "A", **more: str
) -> SampleRecord:
    return SampleRecord(
        task="t",
        variant=more.get("variant", "cloze"),
        language=more.get("language", "eng_Latn"),
        sample_id=more.get("sample_id", "1"),
        parallel_id=more.get("sample_id", "1"),
        gold=gold,
        choices=[c.strip() for c in continuations],
        prompt="Q:",
        continuations=continuations,
        likelihoods=[Likelihood(logprob=lp, tokens=n, greedy=False) for lp, n in scored],
        output=continuations[0],
    )


def test_each_normalisation_picks_its_own_option() -> None:
    """Raw: -4 (B) beats -6 and -9. Per character: A -6/12 = -0.5 beats B -4/3 and C -9/7.
    Per token: C -9/9 = -1 beats A -6/3 = -2 and B -4/1 = -4."""
    sample = _sample([" long answer", " ab", " medium"], [(-6.0, 3), (-4.0, 1), (-9.0, 9)])
    picked = {
        gold: score_likelihoods(sample.model_copy(update={"gold": gold}), "cloze")["scores"]
        for gold in "ABC"
    }
    assert picked["A"] == {"acc": 0.0, "acc_norm_chars": 1.0, "acc_norm_tokens": 0.0}
    assert picked["B"] == {"acc": 1.0, "acc_norm_chars": 0.0, "acc_norm_tokens": 0.0}
    assert picked["C"] == {"acc": 0.0, "acc_norm_chars": 0.0, "acc_norm_tokens": 1.0}
    assert score_likelihoods(sample, "cloze")["parsed"] == "B"


def test_a_tie_goes_to_the_first_option() -> None:
    sample = _sample([" x", " y"], [(-2.0, 1), (-2.0, 1)], gold="B")
    assert score_likelihoods(sample, "letter")["scores"]["acc"] == 0.0


def test_scores_that_do_not_match_the_continuations_are_an_error() -> None:
    sample = _sample([" x", " y"], [(-2.0, 1)])
    with pytest.raises(PolyevalError, match="1 scores for 2 continuations"):
        score_likelihoods(sample, "letter")


def test_a_gold_answer_that_names_no_option_is_an_error() -> None:
    with pytest.raises(PolyevalError, match="names none of its 2 options"):
        score_likelihoods(_sample([" x", " y"], [(-1.0, 1), (-2.0, 1)], gold="C"), "letter")


def test_bits_per_byte_is_one_ratio_with_a_clustered_interval() -> None:
    """Texts of 4, 2 and 6 UTF-8 bytes ("é" is two) with -ln2 * (4, 4, 3) nats: 4, 4 and 3
    bits over 12 bytes = 11/12 bits per byte (not the mean of the three ratios, 1.0833)."""
    texts = ["abcd", "é", "xyzuvw"]
    bits = [4.0, 4.0, 3.0]
    samples = [
        _sample([text], [(-b * math.log(2), 1)], variant="bpb", sample_id=str(i))
        for i, (text, b) in enumerate(zip(texts, bits, strict=True))
    ]
    scored = [s.model_copy(update=score_likelihoods(s, "text")) for s in samples]
    assert [s.scores["sentence_bits_per_byte"] for s in scored] == pytest.approx([1.0, 2.0, 0.5])
    (cell,) = bits_per_byte_cells(scored)
    ratio = 11 / 12
    assert cell.metric == "bits_per_byte" and cell.n == 3
    assert cell.value == pytest.approx(ratio)
    sizes = [4, 2, 6]
    residuals = sum((b - ratio * n) ** 2 for b, n in zip(bits, sizes, strict=True))
    error = math.sqrt(residuals / (3 * 2)) / (12 / 3)
    assert cell.ci_low == pytest.approx(ratio - 1.959963984540054 * error)
    assert cell.ci_high == pytest.approx(ratio + 1.959963984540054 * error)


def test_scoring_again_recomputes_from_the_recorded_log_probabilities(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    """`evaluate score` needs no model: change one recorded log-probability and the scores
    follow it; the record keeps each option's log-probability and token count."""
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks xcopa --variants cloze --source sample",
        output=out,
    )
    assert result.exit_code == 0, result.output
    run = read_run(out)
    first = run["samples"][0]
    assert len(first["likelihoods"]) == len(first["continuations"]) == 2
    assert {"logprob", "tokens", "greedy", "unconditional"} == set(first["likelihoods"][0])
    wrong = 1 - "AB".index(first["gold"])
    first["likelihoods"][wrong]["logprob"] = 1.0  # now the wrong option is the likeliest
    lines = [json.dumps(s, ensure_ascii=False) for s in [first, *run["samples"][1:]]]
    (out / "samples.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rescored = tmp_path / "rescored"
    result = evaluate(f"score {out}", output=rescored)
    assert result.exit_code == 0, result.output
    cell = scores_of(rescored, "acc")[("xcopa", "cloze", first["language"])]
    assert cell["value"] == pytest.approx((cell["n"] - 1) / cell["n"])
    assert "consistency" not in {r["metric"] for r in read_run(rescored)["scores"]}


def test_compare_recomputes_both_ratios_on_the_shared_texts() -> None:
    """B's bits per byte against A's on the same texts: each the ratio over all texts, the
    interval around B - A, and a system against itself p = 1."""
    texts = ["abcd", "é", "xyzuvw", "pq"]

    def system(bits: list[float]) -> list[SampleRecord]:
        return [
            _sample([text], [(-b * math.log(2), 1)], variant="bpb", sample_id=str(i))
            for i, (text, b) in enumerate(zip(texts, bits, strict=True))
        ]

    a, b = system([4.0, 4.0, 3.0, 1.0]), system([2.0, 3.0, 3.0, 1.0])
    paired = paired_bits_per_byte(a, b, resamples=500)
    assert paired.score_a == pytest.approx(12 / 14)
    assert paired.score_b == pytest.approx(9 / 14)
    assert paired.delta == pytest.approx(-3 / 14)
    assert paired.low <= paired.delta <= paired.high <= 0
    same = paired_bits_per_byte(a, a, resamples=500)
    assert (same.delta, same.low, same.high, same.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_the_summary_averages_each_languages_ratio() -> None:
    """English: 4 + 2 bits over 4 + 4 bytes = 0.75; Nepali: 9 + 3 bits over 6 + 6 bytes
    = 1.0. The macro average is 0.875, Nepali is the worst (the highest), its gap to English
    +0.25 over the two shared texts, and an interval from resampling those texts."""
    from harness.analysis.summary import summarize

    def text(language: str, item: str, bits: float, size: int) -> SampleRecord:
        sample = _sample(
            ["x" * size], [(-bits * math.log(2), 1)], variant="bpb", language=language,
            sample_id=item,
        )  # fmt: skip
        return sample.model_copy(update=score_likelihoods(sample, "text"))

    samples = [
        text("eng_Latn", "1", 4.0, 4),
        text("eng_Latn", "2", 2.0, 4),
        text("npi_Deva", "1", 9.0, 6),
        text("npi_Deva", "2", 3.0, 6),
    ]
    found = {(r.kind, r.group): r for r in summarize(samples) if r.metric == "bits_per_byte"}
    assert found[("macro", None)].value == pytest.approx(0.875)
    assert found[("macro", None)].n == 4 and found[("macro", None)].items == 2
    assert found[("worst_language", "npi_Deva")].value == pytest.approx(1.0)
    gap = found[("gap_to_english", "npi_Deva")]
    assert (gap.value, gap.score, gap.english) == pytest.approx((0.25, 1.0, 0.75))
    assert gap.ci_low is not None and gap.ci_high is not None
    assert gap.ci_low <= gap.value <= gap.ci_high
    assert not any(r.metric == "sentence_bits_per_byte" for r in summarize(samples))
