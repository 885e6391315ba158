"""Scoring answers produced elsewhere (`evaluate run --predictions FILE`) and re-scoring a
finished run from its samples.jsonl (`evaluate score RUN`): no model is asked either way."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.conftest import assert_one_line_error, read_run, scores_of

MGSM = "--tasks mgsm --source sample --languages en,de --limit 4 --variants direct"
WRONG = "The answer is -12345."


def _reference_run(evaluate: Callable[..., Result], out: Path) -> dict[str, Any]:
    result = evaluate(f"run --model baseline:reference {MGSM}", output=out)
    assert result.exit_code == 0, result.output
    return read_run(out)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def _rows(samples: list[dict[str, Any]], wrong: set[int]) -> list[dict[str, Any]]:
    """Prediction rows from a run's samples: right answers, except the indices in `wrong`."""
    return [
        {
            "task": s["task"],
            "language": s["language"],
            "sample_id": s["sample_id"],
            "output": WRONG if i in wrong else s["output"],
        }
        for i, s in enumerate(samples)
    ]


def test_predictions_are_scored_without_a_model(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    reference = _reference_run(evaluate, tmp_path / "reference")
    rows = _rows(reference["samples"], wrong={0, 5})
    del rows[6]  # one sample without an answer: reported, left out
    path = _write_jsonl(tmp_path / "answers.jsonl", rows)
    out = tmp_path / "scored"
    result = evaluate(f"run --predictions {path} {MGSM}", output=out)
    assert result.exit_code == 0, result.output
    assert "1 of 8 samples have no answer" in result.output
    accuracy = scores_of(out)
    english = accuracy[("mgsm", "direct", "eng_Latn")]
    german = accuracy[("mgsm", "direct", "deu_Latn")]
    assert (english["value"], english["n"]) == (0.75, 4)
    assert (german["value"], german["n"]) == (pytest.approx(2 / 3), 3)
    manifest = read_run(out)["manifest"]
    assert manifest["model"]["kind"] == "predictions" and manifest["model"]["name"] == (
        "predictions:answers"
    )
    assert manifest["counts"]["requests"] == 7 and manifest["counts"]["failed"] == 0


def test_csv_predictions_and_a_named_model(evaluate: Callable[..., Result], tmp_path: Path) -> None:
    reference = _reference_run(evaluate, tmp_path / "reference")
    path = tmp_path / "answers.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["task", "language", "sample_id", "output"])
        writer.writeheader()
        writer.writerows(_rows(reference["samples"], wrong={1}))
    out = tmp_path / "scored"
    result = evaluate(f"run --predictions {path} --model my-model {MGSM}", output=out)
    assert result.exit_code == 0, result.output
    assert scores_of(out)[("mgsm", "direct", "eng_Latn")]["value"] == 0.75
    assert read_run(out)["manifest"]["model"]["name"] == "my-model"


def test_an_id_several_samples_share_asks_for_the_language(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    path = _write_jsonl(tmp_path / "answers.jsonl", [{"sample_id": "0", "output": "7"}])
    result = evaluate(f"run --predictions {path} {MGSM}")
    assert_one_line_error(result, "answers.jsonl:1", "'0' names 2 samples", "language")


def test_ids_the_run_lacks_are_named(evaluate: Callable[..., Result], tmp_path: Path) -> None:
    rows = [{"language": "en", "sample_id": str(i), "output": "7"} for i in (0, 90, 91)]
    rows = [{**r, "language": "eng_Latn"} for r in rows]
    path = _write_jsonl(tmp_path / "answers.jsonl", rows)
    result = evaluate(f"run --predictions {path} {MGSM}")
    assert_one_line_error(result, "2 predictions name samples this run does not have", "'90'")


def test_a_row_without_a_sample_id_is_a_one_line_error(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    path = _write_jsonl(tmp_path / "answers.jsonl", [{"id": "0", "output": "7"}])
    result = evaluate(f"run --predictions {path} {MGSM}")
    assert_one_line_error(result, "answers.jsonl:1", "missing column 'sample_id'")


def test_round_trips_need_a_model(evaluate: Callable[..., Result], tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "answers.jsonl", [{"sample_id": "0", "output": "x"}])
    result = evaluate(
        f"run --predictions {path} --tasks flores_v1 --source sample --variants round_trip"
    )
    assert_one_line_error(result, "round-trip variants need a model")


def test_score_rescores_a_run_from_its_samples(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    before = _reference_run(evaluate, out)
    assert scores_of(out)[("mgsm", "direct", "eng_Latn")]["value"] == 1.0
    # the answers as recorded, one of them changed (as if its parse had been wrong)
    samples = before["samples"]
    samples[0]["output"] = WRONG
    samples[5]["output"] = None  # and one that had failed
    samples[5]["error"] = "HTTP 500"
    _write_jsonl(out / "samples.jsonl", samples)
    result = evaluate("score", str(out))
    assert result.exit_code == 3, result.output  # the failed request is still a failure
    after = read_run(out)
    accuracy = scores_of(out)
    assert accuracy[("mgsm", "direct", "eng_Latn")]["value"] == 0.75
    assert accuracy[("mgsm", "direct", "deu_Latn")]["n"] == 3
    assert after["manifest"]["model"]["name"] == "baseline:reference"
    assert after["manifest"]["scorings"][0]["scored_from"] == str(out)
    assert [s["output"] for s in after["samples"]] == [s["output"] for s in samples]
    assert after["samples"][5]["error"] == "HTTP 500"


def test_score_needs_a_finished_run(evaluate: Callable[..., Result], tmp_path: Path) -> None:
    assert_one_line_error(evaluate("score", str(tmp_path / "nothing")), "no finished run")


def test_answers_holding_line_separators_read_back(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    """U+2028 inside an answer is text, not a line break: a run's own samples.jsonl (written
    without escaping it) reads back whole."""
    reference = _reference_run(evaluate, tmp_path / "reference")
    rows = _rows(reference["samples"], wrong=set())
    rows[0]["output"] = "First line\u2028second line. " + rows[0]["output"]
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    assert "\u2028" in path.read_text()
    out = tmp_path / "scored"
    result = evaluate(f"run --predictions {path} {MGSM}", output=out)
    assert result.exit_code == 0, result.output
    assert read_run(out)["samples"][0]["output"].startswith("First line\u2028second line.")


def test_a_csv_with_an_unclosed_quote_is_an_error_naming_its_line(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    """Before: the quote swallowed every row after it into one reply, with only a note that
    samples had no answer."""
    path = tmp_path / "answers.csv"
    rows = ["language,sample_id,output", "eng_Latn,0,7", 'eng_Latn,1,"The answer is 7']
    rows += [f"eng_Latn,{i},7" for i in (2, 3)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = evaluate(f"run --predictions {path} {MGSM}")
    assert_one_line_error(result, f"{path}:3:", "malformed CSV", "quote", "not closed")


def test_a_csv_with_a_stray_quote_after_a_quoted_field_is_an_error(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "answers.csv"
    path.write_text('language,sample_id,output\neng_Latn,0,"7"x\n', encoding="utf-8")
    result = evaluate(f"run --predictions {path} {MGSM}")
    assert_one_line_error(result, f"{path}:2:", "malformed CSV")


@pytest.mark.parametrize(
    ("output", "shape"),
    [({"text": "7"}, "a mapping"), ([18], "a list"), (18, "a number"), (True, "a boolean")],
)
def test_an_output_that_is_not_text_is_an_error_naming_its_row(
    evaluate: Callable[..., Result], tmp_path: Path, output: Any, shape: str
) -> None:
    """Before: the value was turned into text and scored (`[18]` parsed as 18)."""
    rows = [
        {"language": "eng_Latn", "sample_id": "0", "output": "7"},
        {"language": "eng_Latn", "sample_id": "1", "output": output},
    ]
    path = _write_jsonl(tmp_path / "answers.jsonl", rows)
    result = evaluate(f"run --predictions {path} {MGSM}")
    assert_one_line_error(result, f"{path}:2:", f"'output' is {shape}, not text")


def test_a_numeric_sample_id_is_read_as_its_digits(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    rows = [{"language": "eng_Latn", "sample_id": i, "output": "7"} for i in range(4)]
    path = _write_jsonl(tmp_path / "answers.jsonl", rows)
    result = evaluate(f"run --predictions {path} {MGSM}")
    assert result.exit_code == 0, result.output
