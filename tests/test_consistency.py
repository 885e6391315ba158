"""Language consistency in runs: every answer judged for its language, and the per-cell
consistency rate, LCB line/word pass rates and language-normalised accuracy, through a real
OpenAI-compatible server on 127.0.0.1 and the built-in baselines."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.conftest import read_run, scores_of
from tests.fake_server import FakeServer

QUESTIONS = [
    "پاکستان کا دارالحکومت کون سا شہر ہے؟",
    "سال میں کتنے مہینے ہوتے ہیں؟",
    "پانی کس درجہ حرارت پر ابلتا ہے؟",
    "سب سے بڑا سیارہ کون سا ہے؟",
    "ہفتے میں کتنے دن ہوتے ہیں؟",
    "قائداعظم کہاں پیدا ہوئے؟",
    "انسانی جسم میں کتنی ہڈیاں ہوتی ہیں؟",
    "سورج کس سمت سے طلوع ہوتا ہے؟",
    "اردو کس رسم الخط میں لکھی جاتی ہے؟",
    "دنیا کا سب سے اونچا پہاڑ کون سا ہے؟",
]
ENGLISH_RIGHT = "I think the correct answer is B, because that is what the question describes."
URDU_RIGHT = "میرے خیال میں درست جواب ب ہے کیونکہ سوال میں یہی بات بیان کی گئی ہے۔"
URDU_WRONG = "میرے خیال میں درست جواب د ہے کیونکہ سوال میں یہی بات بیان کی گئی ہے۔"
# 30% answered correctly in English, 60% correctly in Urdu, 10% wrongly in Urdu
REPLIES = [ENGLISH_RIGHT] * 3 + [URDU_RIGHT] * 6 + [URDU_WRONG]


@pytest.fixture
def urdu_file(tmp_path: Path) -> Path:
    path = tmp_path / "urdu.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "A", "B", "C", "D", "answer"])
        for question in QUESTIONS:
            writer.writerow([question, "پہلا", "دوسرا", "تیسرا", "چوتھا", "B"])
    return path


@pytest.fixture
def mixed_model() -> Iterator[FakeServer]:
    def respond(body: dict[str, Any]) -> str:
        prompt = str(body["messages"][-1]["content"])
        index = next(i for i, q in enumerate(QUESTIONS) if q in prompt)
        return REPLIES[index]

    fake = FakeServer(responder=respond).start_in_thread()
    yield fake
    fake.stop_thread()


def test_urdu_answers_given_in_english_count_as_inconsistent(
    evaluate: Callable[..., Result], urdu_file: Path, mixed_model: FakeServer, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model openai:fake-model --tasks mcq -T language=urd_Arab -T answer=answer",
        data_file=urdu_file,
        base_url=mixed_model.base_url,
        output=out,
    )
    assert result.exit_code == 0, result.output
    cell = ("urdu", "zero_shot", "urd_Arab")
    assert scores_of(out, "accuracy")[cell]["value"] == pytest.approx(0.9)
    consistency = scores_of(out, "consistency")[cell]
    assert (consistency["value"], consistency["n"]) == (pytest.approx(0.7), 10)
    assert (consistency["und"], consistency["errors"]) == (0, 0)
    assert scores_of(out, "language_normalised")[cell]["value"] == pytest.approx(0.6)
    samples = read_run(out)["samples"]
    verdicts = [s["langid"] for s in samples]
    english = [v for v in verdicts if v["detected"] == "eng_Latn"]
    assert len(english) == 3 and all(v["consistent"] == "no" for v in english)
    # LCB's levels: the 3 English replies fail the line level, and the word level counts only
    # the 7 replies without line errors (Urdu ones, with no English word)
    assert scores_of(out, "line_pass")[cell]["value"] == pytest.approx(0.7)
    word = scores_of(out, "word_pass")[cell]
    assert (word["value"], word["n"]) == (1.0, 7)


def test_reference_translations_are_consistent_and_copies_are_not(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    rates: dict[str, dict[tuple[str, str, str], dict[str, Any]]] = {}
    for model in ("reference", "copy-source"):
        out = tmp_path / model
        result = evaluate(
            f"run --model baseline:{model} --tasks flores_v1,ntrex --source sample",
            "--direction",
            "both",
            output=out,
        )
        assert result.exit_code == 0, result.output
        rates[model] = scores_of(out, "consistency")
    assert len(rates["reference"]) == 12
    assert all(r["value"] == 1.0 for r in rates["reference"].values()), rates["reference"]
    assert all(r["value"] == 0.0 for r in rates["copy-source"].values()), rates["copy-source"]


def test_answers_too_short_to_judge_are_counted_apart(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    """A bare number carries no language: `und`, outside the rate's n, never a failure; a
    failed request is an error of its cell."""
    tasks = "--tasks mgsm --source sample --languages de --limit 4 --variants direct"
    reference = tmp_path / "reference"
    assert evaluate(f"run --model baseline:reference {tasks}", output=reference).exit_code == 0
    rows = [json.loads(line) for line in (reference / "samples.jsonl").open()]
    answers = [
        {"sample_id": r["sample_id"], "output": r["output"] if i < 2 else r["gold"]}
        for i, r in enumerate(rows)
    ]
    answers[3]["output"] = None  # failed where the answers were produced
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers))
    out = tmp_path / "scored"
    result = evaluate(f"run --predictions {path} {tasks}", output=out)
    assert result.exit_code == 3, result.output  # one request failed
    cell = scores_of(out, "consistency")[("mgsm", "direct", "deu_Latn")]
    assert (cell["value"], cell["n"], cell["und"], cell["errors"]) == (1.0, 2, 1, 1)
    assert scores_of(out, "accuracy")[("mgsm", "direct", "deu_Latn")]["n"] == 3
    verdicts = [s["langid"]["consistent"] for s in read_run(out)["samples"] if "langid" in s]
    assert verdicts == ["yes", "yes", "und"]
