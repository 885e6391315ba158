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
    # LCB's line and word levels are the Language Confusion Benchmark's: a task that does not
    # list them gets neither the scores nor the checks
    assert not scores_of(out, "line_pass") and not scores_of(out, "word_pass")
    assert all("lcb" not in s for s in samples)


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


def test_lcb_checks_run_only_for_tasks_that_list_them(
    evaluate: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LCB's line and word checks (and their jieba and MeCab loads) for LCB's answers only."""
    from harness import consistency
    from harness.langid import lcb

    checked: list[str] = []
    real = consistency.lcb_check

    def counted(text: str, expected: str, detector: str = "default") -> lcb.LcbVerdict:
        checked.append(expected)
        return real(text, expected, detector)

    monkeypatch.setattr(consistency, "lcb_check", counted)
    tokenized: list[str] = []  # the writing systems LCB's tokenizer was asked to segment
    tokenize = lcb.tokenize

    def segmented(line: str, system: str) -> tuple[str, ...]:
        tokenized.append(system)
        return tokenize(line, system)

    monkeypatch.setattr(lcb, "tokenize", segmented)
    plain = tmp_path / "plain"
    command = "run --model baseline:reference --source sample --limit 2"
    result = evaluate(
        f"{command} --tasks mgsm,xnli,flores_v1 --languages zh,ja,ur,en,ne", output=plain
    )
    assert result.exit_code == 0, result.output
    assert checked == [] and tokenized == []
    assert not scores_of(plain, "line_pass") and scores_of(plain, "consistency")
    lcb_run = tmp_path / "lcb"
    assert evaluate(f"{command} --tasks lcb --languages zh,fr", output=lcb_run).exit_code == 0
    assert set(checked) == {"zho_Hans", "fra_Latn"} and "Hani" in tokenized  # jieba's
    assert scores_of(lcb_run, "line_pass")


def test_the_consistency_table_shows_every_language_with_its_und_count(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    """Answers all too short to judge leave a language with no consistency score; its row
    stays in the table, n=0 with its und count, in the run's output and in `evaluate show`."""
    tasks = "--tasks mgsm --source sample --languages de,fr --limit 3 --variants direct"
    reference = tmp_path / "reference"
    assert evaluate(f"run --model baseline:reference {tasks}", output=reference).exit_code == 0
    rows = [json.loads(line) for line in (reference / "samples.jsonl").open()]
    answers = [  # French: the bare number, which carries no language
        {
            "task": "mgsm",
            "variant": "direct",
            "language": r["language"],
            "sample_id": r["sample_id"],
            "output": r["gold"] if r["language"] == "fra_Latn" else r["output"],
        }
        for r in rows
    ]
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers))
    out = tmp_path / "scored"
    result = evaluate(f"run --predictions {path} {tasks}", output=out)
    assert result.exit_code == 0, result.output
    consistency = scores_of(out, "consistency")
    assert set(consistency) == {("mgsm", "direct", "deu_Latn")}  # none for French: all und
    for output in (result.output, evaluate(f"show {out} --metric consistency").output):
        table = output[output.index("consistency (95% interval)") :]
        french = next(line for line in table.splitlines() if "fra_Latn" in line)
        assert "n=0 und=3" in french
        german = next(line for line in table.splitlines() if "deu_Latn" in line)
        assert "100.0" in german and "n=3" in german


def test_the_consistency_table_names_the_languages_not_judged() -> None:
    from harness.analysis.report import score_table
    from harness.record import ScoreRecord

    def record(language: str, metric: str, n: int) -> ScoreRecord:
        return ScoreRecord(task="t", variant="v", language=language, metric=metric, value=1.0, n=n)

    scores = [
        record("eng_Latn-bjn_Latn", "parse_rate", 4),  # Banjar: never judged
        record("hin_Latn", "parse_rate", 5),
        record("hin_Latn", "consistency", 5),
        record("deu_Latn", "parse_rate", 5),
        record("deu_Latn", "consistency", 5),
    ]
    grid = score_table(scores, "consistency")
    assert len(grid.rows) == 3 and len(grid.footer) == 1  # three languages, the macro average
    caption = str(grid.caption)
    assert "eng_Latn-bjn_Latn English → Banjar: not judged, every answer und" in caption
    assert "hin_Latn Hindi (Romanized): judged only as Latin-script text that is not English" in (
        caption
    )
    assert "deu_Latn" not in caption
