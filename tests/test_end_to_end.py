"""`evaluate run` end to end on the shipped samples and on the real benchmark files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import read_run, scores_of

MGSM_VARIANTS = "native_cot,en_cot,direct"
BELEBELE_VARIANTS = "zero_shot,en_instruction"


def test_reference_is_perfect_on_every_sample_language(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks mgsm,belebele",
        variants=f"{MGSM_VARIANTS},{BELEBELE_VARIANTS}",
        output=out,
    )
    assert result.exit_code == 0, result.output
    scores = scores_of(out)
    languages = {(task, lang) for task, _, lang in scores}
    assert len({lang for task, lang in languages if task == "mgsm"}) == 11
    assert len({lang for task, lang in languages if task == "belebele"}) >= 10
    assert {variant for _, variant, _ in scores} == {
        *MGSM_VARIANTS.split(","),
        *BELEBELE_VARIANTS.split(","),
    }
    imperfect = {key: r["value"] for key, r in scores.items() if r["value"] != 1.0}
    assert imperfect == {}
    manifest = read_run(out)["manifest"]
    assert manifest["tasks"]["mgsm"]["source"]["kind"] == "sample"
    assert manifest["status"] == "complete"


@pytest.mark.parametrize("variants", ["native_cot", "en_cot", "direct"])
def test_reference_is_perfect_on_all_real_mgsm_rows(
    evaluate: Callable[..., Result], shared_data: Path, tmp_path: Path, variants: str
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks mgsm",
        variants=variants,
        data_dir=shared_data,
        output=out,
    )
    assert result.exit_code == 0, result.output
    scores = scores_of(out)
    assert len(scores) == 11
    assert all(r["n"] == 250 and r["value"] == 1.0 for r in scores.values()), scores
    manifest = read_run(out)["manifest"]
    assert manifest["tasks"]["mgsm"]["source"]["kind"] == "local"


def test_reference_is_perfect_on_all_real_belebele_rows(
    evaluate: Callable[..., Result], shared_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks belebele",
        variants=BELEBELE_VARIANTS,
        data_dir=shared_data,
        output=out,
    )
    assert result.exit_code == 0, result.output
    scores = scores_of(out)
    assert {lang for _, _, lang in scores} == {"eng_Latn", "deu_Latn"}
    assert all(r["n"] == 900 and r["value"] == 1.0 for r in scores.values()), scores


def test_random_lands_within_the_interval_of_chance(
    evaluate: Callable[..., Result], shared_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:random --tasks belebele", data_dir=shared_data, output=out
    )
    assert result.exit_code == 0, result.output
    for record in scores_of(out).values():
        assert record["ci_low"] <= 0.25 <= record["ci_high"], record
        assert record["ci_high"] - record["ci_low"] < 0.07  # n=900 gives a tight interval


def test_parallel_ids_link_the_same_item_across_languages(
    evaluate: Callable[..., Result], shared_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    evaluate(
        "run --model baseline:majority --tasks belebele,mgsm --limit 5",
        data_dir=shared_data,
        output=out,
    )
    samples = read_run(out)["samples"]
    by_language: dict[tuple[str, str], list[str]] = {}
    for row in samples:
        by_language.setdefault((row["task"], row["language"]), []).append(row["parallel_id"])
    assert by_language[("belebele", "eng_Latn")] == by_language[("belebele", "deu_Latn")]
    assert by_language[("mgsm", "eng_Latn")] == by_language[("mgsm", "ben_Beng")]
    assert len(set(by_language[("mgsm", "eng_Latn")])) == 5


def test_samples_jsonl_records_everything_a_drill_down_needs(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    evaluate("run --model baseline:reference --tasks mgsm --languages bn --limit 2", output=out)
    run = read_run(out)
    row = run["samples"][0]
    for key in (
        "task",
        "variant",
        "language",
        "sample_id",
        "parallel_id",
        "prompt",
        "output",
        "parsed",
        "gold",
        "scores",
        "error",
        "template_hash",
    ):
        assert key in row
    assert row["language"] == "ben_Beng"
    assert row["parsed"] == row["gold"]
    assert row["prompt"][-1]["role"] == "user"
    assert sum(m["role"] == "assistant" for m in row["prompt"]) == 4  # all sample exemplars
    variant = run["manifest"]["tasks"]["mgsm"]["variants"]["native_cot"]
    assert row["template_hash"] == variant["template_hash"]
    assert {"accuracy", "parse_rate"} <= {r["metric"] for r in run["scores"]}
