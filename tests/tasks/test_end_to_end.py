"""`evaluate run` end to end on the shipped samples and on the real benchmark files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from harness.loglikelihood.formulations import BITS_PER_BYTE
from harness.record import Manifest
from harness.registry import TaskRegistry
from tests.conftest import read_run, scores_of

MGSM_VARIANTS = "native_cot,en_cot,direct"
BELEBELE_VARIANTS = "zero_shot,en_instruction,five_shot"


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
    assert all(r["value"] == 1.0 for r in scores.values()), scores
    # the five exemplars of five_shot are held out of its evaluation, in both languages
    assert {variant: r["n"] for (_, variant, _), r in scores.items()} == {
        "zero_shot": 900,
        "en_instruction": 900,
        "five_shot": 895,
    }
    samples = read_run(out)["samples"]
    shots = {r["language"]: r["prompt"] for r in samples if r["variant"] == "five_shot"}
    exemplar_turns = [
        [m["content"].split()[-1] for m in p if m["role"] == "assistant"] for p in shots.values()
    ]
    assert all(len(turns) == 5 for turns in exemplar_turns)
    assert exemplar_turns[0] == exemplar_turns[1]  # the same items (and letters) in both


@pytest.mark.parametrize(
    ("task", "pattern"),
    [("mgsm", "mgsm/mgsm_{code}.tsv"), ("belebele", "belebele_eng_deu/derived/{code}.flat.jsonl")],
)
def test_samples_loaded_equal_rows_in_each_real_file(
    evaluate: Callable[..., Result], shared_data: Path, tmp_path: Path, task: str, pattern: str
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        f"run --model baseline:majority --tasks {task}", data_dir=shared_data, output=out
    )
    assert result.exit_code == 0, result.output
    entry = read_run(out)["manifest"]["tasks"][task]
    codes = TaskRegistry().get(task).spec.languages
    assert entry["languages"]
    for language in entry["languages"]:
        text = (shared_data / pattern.format(code=codes[language])).read_text(encoding="utf-8")
        rows = sum(1 for line in text.splitlines() if line.strip())
        assert entry["rows"][language] == rows, language
        assert entry["samples"][language] == rows - sum(entry["skipped"].get(language, {}).values())


@pytest.mark.parametrize("task", TaskRegistry().names())
def test_reference_is_perfect_on_every_shipped_sample(
    evaluate: Callable[..., Result], tmp_path: Path, task: str
) -> None:
    """Every built-in task, every variant that reads its own data, every sample language:
    the reference baseline scores 1.0 on the variant's primary metric (a guard for new tasks;
    a perfect bits per byte is 0)."""
    spec = TaskRegistry().get(task).spec
    variants = [name for name, v in spec.variants.items() if v.source is None]
    out = tmp_path / "run"
    result = evaluate(
        f"run --model baseline:reference --tasks {task} --source sample",
        variants=",".join(variants),
        output=out,
    )
    assert result.exit_code == 0, result.output
    manifest = Manifest.model_validate(read_run(out)["manifest"])
    scores = {
        key: record
        for variant in variants
        for metric in manifest.tasks[task].metrics_of(variant)[:1]
        for key, record in scores_of(out, metric).items()
        if key[1] == variant
    }
    assert {variant for _, variant, _ in scores} == set(variants)
    perfect = {BITS_PER_BYTE: 0.0}
    imperfect = {
        key: r["value"] for key, r in scores.items() if r["value"] != perfect.get(r["metric"], 1.0)
    }
    assert imperfect == {}
