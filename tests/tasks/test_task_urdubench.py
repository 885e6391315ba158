"""UrduBench: the suite's four tasks (Urdu MGSM, MATH-500, CommonSenseQA, OpenBookQA), each next
to its English original, through the shipped samples and through local hub clones built from
them (the Urdu repo and the English one in different orgs)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.data.sources import select_source
from harness.errors import PolyevalError, SkipRow
from harness.literals import get_literals
from harness.metrics import get_metric
from harness.parsers import get_parser
from harness.registry import TaskRegistry
from harness.samples import load_samples
from harness.yamlfile import load_yaml
from tests.conftest import REPO, assert_chance, read_run

TASKS = ("urdubench_mgsm", "urdubench_math500", "urdubench_csqa", "urdubench_obqa")
MCQ = ("urdubench_csqa", "urdubench_obqa")
LANGUAGES = ("urd_Arab", "eng_Latn")
VARIANTS = ("cot", "direct")
ROWS = {"urdubench_mgsm": 8, "urdubench_math500": 9, "urdubench_csqa": 8, "urdubench_obqa": 8}
METRIC = {"urdubench_math500": "math_equivalent"}  # the others: accuracy
CHANCE = {"urdubench_csqa": 0.2, "urdubench_obqa": 0.25}
Cell = tuple[str, str, str]  # task, variant, language


def _hub_clone(root: Path) -> Path:
    """`root/<org>/<name>` for every hub repo of the suite, from the samples: each task's
    `sample/<lang>/` holds the files of that language's repo, as task.yaml's `data.hub` names."""
    for task in TASKS:
        spec, _ = load_yaml(REPO / "tasks" / task / "task.yaml")
        for language, hub in spec["data"]["hub"].items():
            sample = REPO / "tasks" / task / "sample" / language
            shutil.copytree(sample, root / hub["repo"], dirs_exist_ok=True)
    return root


def _overall(run_dir: Path, metric: str | None = None) -> dict[Cell, dict[str, Any]]:
    """Whole-cell score records (no breakdown), in each task's main metric by default."""
    records = json.loads((run_dir / "scores.json").read_text())
    return {
        (r["task"], r["variant"], r["language"]): r
        for r in records
        if r["by"] is None and r["metric"] == (metric or METRIC.get(r["task"], "accuracy"))
    }


def _run(evaluate: Callable[..., Result], out: Path, model: str, *args: str, **opts: Any) -> None:
    """`evaluate run --tasks urdubench`: the four tasks, each with both prompting strategies."""
    result = evaluate(f"run --model {model} --tasks urdubench", *args, output=out, **opts)
    assert result.exit_code == 0, result.output


def test_the_suite_names_the_four_tasks() -> None:
    registry = TaskRegistry()
    assert registry.expand(["urdubench"]) == list(TASKS)
    for task in TASKS:
        spec = registry.get(task).spec
        assert set(spec.languages) == set(LANGUAGES)
        assert {n for n, v in spec.variants.items() if v.loglikelihood is None} == set(VARIANTS)
        assert isinstance(spec.data.hub, dict) and set(spec.data.hub) == set(LANGUAGES)
        assert spec.data.hub["urd_Arab"].repo.startswith("large-traversaal/")


@pytest.mark.parametrize("source", ["sample", "hub"])
def test_reference_scores_one_for_every_task_language_and_variant(
    evaluate: Callable[..., Result], tmp_path: Path, source: str
) -> None:
    out = tmp_path / "run"
    clone = {"hub_dir": _hub_clone(tmp_path / "hub")} if source == "hub" else {}
    _run(evaluate, out, "baseline:reference", "--source", source, **clone)
    scores = _overall(out)
    expected = {(t, v, lang) for t in TASKS for v in VARIANTS for lang in LANGUAGES}
    assert set(scores) == expected
    for (task, _, _), record in scores.items():
        assert record["value"] == 1.0 and record["n"] == ROWS[task], record
    assert all(r["value"] == 1.0 for r in _overall(out, "parse_rate").values())
    manifest = read_run(out)["manifest"]["tasks"]
    assert {manifest[t]["source"]["kind"] for t in TASKS} == {source}
    if source == "hub":  # both repos of a task, the Urdu release and the English original
        location = manifest["urdubench_math500"]["source"]["location"]
        assert "large-traversaal/math500_urdu_cleaned" in location
        assert "HuggingFaceH4/MATH-500" in location


def test_urdu_is_compared_with_english_item_by_item(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(evaluate, out, "baseline:reference", "--source", "sample")
    gaps = json.loads((out / "gaps.json").read_text())
    paired = {
        (g["task"], g["variant"]): g
        for g in gaps
        if g["language"] == "urd_Arab"
        and g["versus"] == "language:eng_Latn"
        and g["metric"] == METRIC.get(g["task"], "accuracy")
    }
    assert set(paired) == {(t, v) for t in TASKS for v in VARIANTS}
    for (task, _), gap in paired.items():
        assert gap["n"] == ROWS[task] and gap["gap"] == 0.0, gap


def test_math500_is_broken_down_by_level_and_subject(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(evaluate, out, "baseline:reference", "--source", "sample")
    records = json.loads((out / "scores.json").read_text())
    math = [r for r in records if r["task"] == "urdubench_math500"]
    by_level = [r for r in math if r["by"] == "level" and r["metric"] == "math_equivalent"]
    for variant in VARIANTS:
        for language in LANGUAGES:
            cell = [r for r in by_level if (r["variant"], r["language"]) == (variant, language)]
            assert {r["group"] for r in cell} == {"1", "2", "3", "4", "5"}
            assert sum(r["n"] for r in cell) == ROWS["urdubench_math500"]
    subjects = {r["group"] for r in math if r["by"] == "subject"}
    assert {"Algebra", "Geometry", "Counting & Probability", "Precalculus"} <= subjects
    other = {r["by"] for r in records if r["task"] != "urdubench_math500"}
    assert other == {None}  # only MATH-500 has breakdowns


def test_random_baseline_parses_and_is_not_perfect_on_the_mcq_tasks(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:random --tasks urdubench_csqa,urdubench_obqa --variants cot,direct",
        "--source",
        "sample",
        output=out,
    )
    assert result.exit_code == 0, result.output
    accuracy, parsed = _overall(out), _overall(out, "parse_rate")
    for task in MCQ:
        cells = [c for c in accuracy if c[0] == task]
        assert len(cells) == len(VARIANTS) * len(LANGUAGES)
        assert all(parsed[c]["value"] == 1.0 for c in cells)
        assert all(accuracy[c]["value"] < 1.0 for c in cells)
        assert_chance([accuracy[c] for c in cells], CHANCE[task])


def test_prompts_are_in_the_question_language(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(evaluate, out, "baseline:reference", "--source", "sample", "--limit", "1")
    prompts = {
        (s["task"], s["variant"], s["language"]): s["prompt"] for s in read_run(out)["samples"]
    }
    system = {cell: p[0]["content"] for cell, p in prompts.items()}
    user = {cell: p[-1]["content"] for cell, p in prompts.items()}
    assert "\\boxed{}" in system[("urdubench_math500", "cot", "urd_Arab")]
    assert "مرحلہ وار" in system[("urdubench_math500", "cot", "urd_Arab")]
    assert "step by step" in system[("urdubench_math500", "cot", "eng_Latn")]
    assert user[("urdubench_mgsm", "direct", "urd_Arab")].startswith("سوال: عائشہ")
    assert user[("urdubench_obqa", "cot", "urd_Arab")].endswith("D. مقناطیسوں کو کھینچ سکیں")
    assert "\nE. " in user[("urdubench_csqa", "direct", "eng_Latn")]


def _math(reply: str, answers: list[str], language: str) -> float:
    parsed = get_parser("math")(reply, get_literals(language), None, complete=True)
    return get_metric("math_equivalent")(parsed, answers, language)


def test_a_fraction_and_its_decimal_are_the_same_math_answer() -> None:
    task = TaskRegistry().get("urdubench_math500")
    source, _ = select_source(task.spec, task.folder, "sample", None, None)
    for language in LANGUAGES:
        samples = load_samples(task, source.rows(language), language, None).samples
        coin = next(s for s in samples if s.gold == "\\frac{1}{2}")  # the coin-flip problem
        answers = list(coin.answers or (coin.gold,))
        assert _math("So the probability is $\\boxed{0.5}$.", answers, language) == 1.0
        assert _math("اس لیے امکان $\\boxed{۰.۵}$ ہے۔", answers, language) == 1.0
        assert _math("The probability is $\\boxed{\\frac{1}{3}}$.", answers, language) == 0.0
    # and the other way round: a decimal gold, a fraction reply
    assert _math("The answer is $\\boxed{\\frac{1}{2}}$.", ["0.5"], "eng_Latn") == 1.0
    assert _math("جواب $\\boxed{\\dfrac{1}{2}}$ ہے۔", ["0.5"], "urd_Arab") == 1.0


def _hook(task: str) -> Callable[[dict[str, Any], str], dict[str, Any]]:
    hook = TaskRegistry().get(task).hook("process_record")
    assert hook is not None
    return hook


def test_mcq_columns_are_read_tolerantly() -> None:
    process = _hook("urdubench_obqa")
    labeled = {"label": ["A", "B", "C", "D"], "text": ["w", "x", "y", "z"]}
    base = {"id": "7-1", "question_stem": "Q?", "choices": labeled, "answerKey": "c"}
    english = process(base, "eng_Latn")
    assert english["question"] == "Q?" and english["answerKey"] == "C"
    assert [english[f"option_{x}"] for x in "ABCD"] == ["w", "x", "y", "z"]
    # Urdu under another spelling, options as a JSON string of a list, unsorted labels
    shuffled = {"label": ["B", "A", "D", "C"], "text": ["ب", "الف", "د", "ج"]}
    other = {**base, "question_stem_urdu": "سوال؟", "choices_urdu": json.dumps(shuffled)}
    urdu = process(other, "urd_Arab")
    assert urdu["question"] == "سوال؟"
    assert [urdu[f"option_{x}"] for x in "ABCD"] == ["الف", "ب", "ج", "د"]
    # a release translated in place: the plain columns hold Urdu
    in_place = {**base, "question_stem": "سوال؟", "choices": ["الف", "ب", "ج", "د"]}
    assert process(in_place, "urd_Arab")["option_D"] == "د"
    with pytest.raises(PolyevalError, match="columns here: id, question_stem"):
        process(base, "urd_Arab")  # English only: no Urdu column at all
    with pytest.raises(SkipRow):
        process({**base, "urdu_question_stem": "", "urdu_choices": labeled}, "urd_Arab")
    with pytest.raises(SkipRow):
        process({**base, "answerKey": "E"}, "eng_Latn")


def test_math_and_mgsm_columns_are_read_tolerantly() -> None:
    math = _hook("urdubench_math500")
    row = {"problem": "What is $1+1$?", "answer": "2", "level": "Level 3", "subject": "Algebra"}
    row |= {"unique_id": "test/algebra/1.json", "urdu_problem": "$1+1$ کیا ہے؟"}
    urdu = math(row, "urd_Arab")
    assert (urdu["question"], urdu["answer"], urdu["level"]) == ("$1+1$ کیا ہے؟", "2", "3")
    assert math(row, "eng_Latn")["question"] == "What is $1+1$?"
    mgsm = _hook("urdubench_mgsm")
    record = {"question": "سوال ۱", "answer": None, "answer_number": "۱۸"}
    assert mgsm(record, "urd_Arab") == {**record, "question": "سوال ۱", "answer": "۱۸"}
    solution = {"question_urdu": "سوال", "answer": "3 + 4 = 7 #### 7"}
    assert mgsm(solution, "urd_Arab")["answer"] == "7"
    with pytest.raises(SkipRow):
        mgsm({"question": "Q", "answer": ""}, "eng_Latn")
