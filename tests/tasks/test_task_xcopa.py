"""XCOPA: the cause/effect question in the item's language, few-shot exemplars from the
validation split, the shipped sample, a hub clone and every real test file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.registry import TaskRegistry
from harness.samples import SkipRow
from harness.task_literals import task_literals
from harness.yamlfile import load_yaml
from tests.conftest import REPO, SHARED_DATA, assert_chance, read_run, scores_of

TASK = REPO / "tasks" / "xcopa"
SAMPLE = TASK / "sample"
VARIANTS = ("zero_shot", "en_instruction", "few_shot")
SAMPLE_CODES = {
    "ita_Latn": "it",
    "ind_Latn": "id",
    "swh_Latn": "sw",
    "tur_Latn": "tr",
    "zho_Hans": "zh",
}
SAMPLE_TEST_ROWS = 6
FEWSHOT = 4


def _records(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSON Lines file, counted by hand: CRLF-terminated, none blank."""
    text = path.read_bytes().decode("utf-8")
    return [json.loads(line) for line in text.split("\r\n") if line.strip()]


def _run(evaluate: Callable[..., Result], out: Path, model: str, *args: str, **opts: Any) -> str:
    result = evaluate(f"run --model {model} --tasks xcopa", *args, output=out, **opts)
    assert result.exit_code == 0, result.output
    return result.output


def _prompts(out: Path) -> dict[tuple[str, str, str], list[dict[str, str]]]:
    samples = read_run(out)["samples"]
    return {(s["variant"], s["language"], s["sample_id"]): s["prompt"] for s in samples}


def test_every_language_has_the_question_words() -> None:
    spec = TaskRegistry().get("xcopa").spec
    table, _ = load_yaml(TASK / "literals.yaml")
    assert set(table) == set(spec.languages) | {"eng_Latn"}  # English: the reference row
    keys = set(table["eng_Latn"])
    for language in spec.languages:
        row = table[language]
        assert set(row) == keys, language
        assert all(isinstance(v, str) and v.strip() for v in row.values()), language
        assert row["cause_question"] != row["effect_question"], language


def test_a_row_with_an_unknown_question_is_skipped() -> None:
    process = TaskRegistry().get("xcopa").hook("process_record")
    assert process({"question": " Cause", "label": 0}, "ita_Latn")["question"] == "cause"
    with pytest.raises(SkipRow):
        process({"question": "why", "label": 0}, "ita_Latn")


def test_the_sample_is_parallel() -> None:
    for split, rows in (("test", SAMPLE_TEST_ROWS), ("val", FEWSHOT)):
        shape = None
        for code in SAMPLE_CODES.values():
            path = SAMPLE / f"{split}.{code}.jsonl"
            assert path.read_bytes().count(b"\r\n") == path.read_bytes().count(b"\n") == rows
            mine = [(r["idx"], r["question"], r["label"]) for r in _records(path)]
            assert shape is None or mine == shape, (split, code)
            shape = mine


# --- the shipped sample ----------------------------------------------------------------------


def test_reference_is_perfect_on_every_sample_language_and_variant(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(evaluate, out, "baseline:reference", "--source", "sample", variants=",".join(VARIANTS))
    scores = scores_of(out)
    assert set(scores) == {("xcopa", v, lang) for v in VARIANTS for lang in SAMPLE_CODES}
    # nothing is held out for the exemplars: they come from the validation split
    assert all(r["value"] == 1.0 and r["n"] == SAMPLE_TEST_ROWS for r in scores.values()), scores
    assert json.loads((out / "gaps.json").read_text()) == []  # no English to compare with


def test_prompts_ask_the_items_question_in_its_language(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(
        evaluate,
        out,
        "baseline:reference",
        "--source",
        "sample",
        "--limit",
        "2",
        languages="it,tr",
        variants=",".join(VARIANTS),
    )
    prompts = _prompts(out)
    italian, english = task_literals(TASK, "ita_Latn"), task_literals(TASK, "eng_Latn")
    effect = prompts[("zero_shot", "ita_Latn", "0")]  # idx 0 asks for the effect
    assert effect[0]["content"] == italian["instruction"]
    assert effect[-1]["content"] == (
        "Premessa: La strada era coperta di ghiaccio.\n\n"
        f"{italian['effect_question']}\n\n"
        "A. Gli automobilisti rallentarono.\nB. Gli automobilisti accelerarono."
    )
    cause = prompts[("zero_shot", "ita_Latn", "1")][-1]["content"]  # idx 1 asks for the cause
    assert italian["cause_question"] in cause and italian["effect_question"] not in cause
    en = prompts[("en_instruction", "tur_Latn", "1")]
    assert en[0]["content"] == english["instruction"]
    assert en[-1]["content"].startswith("Premise: Kadın bir şemsiye aldı.\n\nWhat was the cause?")


def test_few_shot_exemplars_come_from_the_validation_split(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(
        evaluate,
        out,
        "baseline:reference",
        "--source",
        "sample",
        "--limit",
        "1",
        languages="tr",
        variants="few_shot",
    )
    prompt = _prompts(out)[("few_shot", "tur_Latn", "0")]
    turkish = task_literals(TASK, "tur_Latn")
    assert [m["role"] for m in prompt] == ["system", *["user", "assistant"] * FEWSHOT, "user"]
    val = _records(SAMPLE / "val.tr.jsonl")
    for number, row in enumerate(val):
        user, assistant = prompt[1 + 2 * number]["content"], prompt[2 + 2 * number]["content"]
        question = turkish[f"{row['question']}_question"]
        assert user == (
            f"Öncül: {row['premise']}\n\n{question}\n\nA. {row['choice1']}\nB. {row['choice2']}"
        )
        assert assistant == f"Cevap: {'AB'[row['label']]}"
    test_premises = {r["premise"] for r in _records(SAMPLE / "test.tr.jsonl")}
    assert not test_premises & {r["premise"] for r in val}
    assert prompt[-1]["content"].startswith("Öncül: Yol buzla kaplıydı.")


def test_random_is_not_perfect_on_the_sample(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(evaluate, out, "baseline:random", "--source", "sample")
    values = [r["value"] for r in scores_of(out).values()]
    assert len(values) == len(SAMPLE_CODES) and min(values) < 1.0


# --- the hub layout ---------------------------------------------------------------------------


def test_hub_clone_reads_test_items_and_validation_exemplars(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    repo = tmp_path / "hub" / "cambridgeltl" / "xcopa"
    card = ["---", "configs:"]
    for code in ("it", "zh"):
        (repo / code).mkdir(parents=True)
        card += [f"- config_name: {code}", "  data_files:"]
        for split, name in (("validation", "val"), ("test", "test")):
            records = _records(SAMPLE / f"{name}.{code}.jsonl")
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
            (repo / code / f"{split}.jsonl").write_text(text)
            card += [f"  - split: {split}", f"    path: {code}/{split}.jsonl"]
    (repo / "README.md").write_text("\n".join([*card, "---", "# xcopa (local clone for tests)"]))
    out = tmp_path / "run"
    _run(
        evaluate,
        out,
        "baseline:reference",
        "--source",
        "hub",
        "--languages",
        "it,zh",
        hub_dir=tmp_path / "hub",
        variants="zero_shot,few_shot",
    )
    scores = scores_of(out)
    assert len(scores) == 4
    assert all(r["value"] == 1.0 and r["n"] == SAMPLE_TEST_ROWS for r in scores.values())
    assert read_run(out)["manifest"]["tasks"]["xcopa"]["source"]["kind"] == "hub"
    prompt = _prompts(out)[("few_shot", "zho_Hans", "3")]
    assert len(prompt) == 2 + 2 * FEWSHOT
    assert "杯子从桌子上掉了下来。" in prompt[1]["content"]  # the first validation item


# --- every real file --------------------------------------------------------------------------

REAL = SHARED_DATA / "xcopa"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"real XCOPA data not found at {REAL}")


def _real_files(split: str = "test") -> dict[str, Path]:
    spec = TaskRegistry().get("xcopa").spec
    found = {lang: REAL / f"{split}.{code}.jsonl" for lang, code in spec.languages.items()}
    return {lang: path for lang, path in found.items() if path.is_file()}


@needs_real
def test_reference_is_perfect_on_every_real_row(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    files = _real_files()
    assert len(files) == 11
    out = tmp_path / "run"
    _run(
        evaluate,
        out,
        "baseline:reference",
        "--source",
        "local",
        data_dir=SHARED_DATA,
        variants=",".join(VARIANTS),
    )
    scores = scores_of(out)
    assert set(scores) == {("xcopa", v, lang) for v in VARIANTS for lang in files}
    entry = read_run(out)["manifest"]["tasks"]["xcopa"]
    assert entry["source"]["kind"] == "local" and entry["skipped"] == {}
    for language, path in files.items():
        rows = len(_records(path))
        assert entry["rows"][language] == entry["samples"][language] == rows, language
    for (_, _, language), record in scores.items():
        assert record["value"] == 1.0 and record["n"] == len(_records(files[language])), record
    # the few-shot prompts open with the real validation items, in file order
    prompts = _prompts(out)
    for language, path in _real_files("val").items():
        first = _records(path)[0]["premise"]
        prompt = prompts[("few_shot", language, "0")]
        assert len(prompt) == 2 + 2 * FEWSHOT and first in prompt[1]["content"], language


@needs_real
def test_random_lands_within_the_interval_of_chance_on_real_rows(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(evaluate, out, "baseline:random", "--source", "local", data_dir=SHARED_DATA)
    scores = scores_of(out)
    assert len(scores) == len(_real_files())
    assert_chance(list(scores.values()), 0.5)


@needs_real
def test_parallel_ids_link_the_same_item_across_real_languages(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(
        evaluate,
        out,
        "baseline:majority",
        "--source",
        "local",
        "--limit",
        "5",
        data_dir=SHARED_DATA,
    )
    ids: dict[str, list[str]] = {}
    for row in read_run(out)["samples"]:
        ids.setdefault(row["language"], []).append(row["parallel_id"])
    assert len(ids) == 11 and len({tuple(v) for v in ids.values()}) == 1
    assert ids["ita_Latn"] == [f"xcopa-{i}" for i in range(5)]
