"""The Language Confusion Benchmark's protocol: its tokens, lid.176's exact label, the word level
counted after the line level, the harmonic mean, the averages per source and language, and the
choice of detector for a run (`--langid`) and for re-scoring one."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.analysis.summary import lcb_records
from harness.config import RunConfig
from harness.errors import PolyevalError
from harness.langid import DETECTORS
from harness.langid.lcb import harmonic_mean, lcb_check, tokenize
from harness.paths import TASKS_DIR
from harness.planner import build_plan
from harness.record import ScoreRecord
from harness.registry import TaskRegistry
from tests.conftest import read_run, scores_of

CANTONESE = "佢哋今日去咗街市買嘢食，好開心㗎，我哋都好鍾意。"  # Chinese, but lid.176 says yue
HINDI = "यह मॉडल बहुत अच्छा काम करता है और तेज़ भी है"
REFERENCES = dict(  # a fluent reply per language code (what baseline:reference gives)
    line.split("\t")
    for line in (TASKS_DIR / "lcb" / "reference.tsv").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
)


def test_tokens_are_the_papers() -> None:
    # jieba keeps the spaces between words as tokens: three words make a judged line
    assert tokenize("你好 世界 今天", "Hani") == ("你好", " ", "世界", " ", "今天")
    assert lcb_check("你好 世界 今天", "zho_Hans", "lid176").line_pass is not None
    assert lcb_check("你好世界", "zho_Hans", "lid176").levels == (None, None)  # two tokens


def test_lid176_wants_the_target_label_itself() -> None:
    # Cantonese is the same language as Chinese for the project's judge, not for lid.176
    assert lcb_check(CANTONESE, "zho_Hans", "default").line_pass is True
    verdict = lcb_check(CANTONESE, "zho_Hans", "lid176")
    assert verdict.levels == (False, None)
    assert verdict.as_record() == {"failed_line": CANTONESE}  # what the sample's record shows


@pytest.mark.parametrize("detector", DETECTORS)
def test_the_word_level_counts_whole_tokens_after_the_line_level(detector: str) -> None:
    assert lcb_check(HINDI, "hin_Deva", detector).levels == (True, True)
    with_word = HINDI.replace("मॉडल", "learning")
    assert lcb_check(with_word, "hin_Deva", detector).levels == (True, False)
    assert lcb_check(with_word, "hin_Deva", detector).as_record() == {"english_words": ["learning"]}
    # a token that merely contains an English word is not one, as in LCB
    assert lcb_check(HINDI.replace("मॉडल", "learning123"), "hin_Deva", detector).levels == (
        True,
        True,
    )
    english_line = f"{with_word}\nThis whole line is written in plain English words."
    assert lcb_check(english_line, "hin_Deva", detector).levels == (False, None)  # not counted
    assert lcb_check(
        "La réponse est quarante-deux, voilà pourquoi.", "fra_Latn", detector
    ).levels == (
        True,
        None,
    )


def test_harmonic_mean() -> None:
    assert harmonic_mean(0.8, 0.6) == pytest.approx(2 * 0.8 * 0.6 / 1.4)
    assert harmonic_mean(0.5, None) == 0.5
    assert harmonic_mean(0.0, 0.0) == 0.0
    assert harmonic_mean(None, 0.5) is None


def _score(variant: str, source: str, language: str, metric: str, value: float, n: int) -> Any:
    return {"task": "lcb", "variant": variant, "language": language, "metric": metric,
            "by": "source", "group": source, "value": value, "n": n}  # fmt: skip


def test_averages_per_source_and_language_by_hand() -> None:
    scores = [
        _score("monolingual", "aya", "zho_Hans", "line_pass", 0.8, 10),
        _score("monolingual", "aya", "zho_Hans", "word_pass", 0.5, 8),
        _score("monolingual", "okapi", "zho_Hans", "line_pass", 0.4, 5),
        _score("monolingual", "okapi", "zho_Hans", "word_pass", 1.0, 2),
        _score("monolingual", "okapi", "fra_Latn", "line_pass", 0.9, 10),
        # pooled, not per source: no LCB records from it
        {**_score("monolingual", "aya", "zho_Hans", "line_pass", 0.6, 15), "by": None},
    ]
    records = lcb_records([ScoreRecord.model_validate(score) for score in scores])
    found = {(r["kind"], r["group"], r["metric"]): r for r in records}

    def value(kind: str, group: str | None, metric: str) -> float:
        return float(found[(kind, group, metric)]["value"])

    assert value("lcb_cell", "aya/zho_Hans", "language_confusion_pass") == pytest.approx(
        2 * 0.8 * 0.5 / 1.3
    )
    # Chinese: the mean over its two sources, LPR (0.8 + 0.4) / 2, WPR (0.5 + 1.0) / 2
    assert value("lcb_language", "zho_Hans", "line_pass") == pytest.approx(0.6)
    assert value("lcb_language", "zho_Hans", "word_pass") == pytest.approx(0.75)
    assert value("lcb_language", "zho_Hans", "language_confusion_pass") == pytest.approx(
        2 * 0.6 * 0.75 / 1.35
    )
    assert value("lcb_language", "fra_Latn", "language_confusion_pass") == pytest.approx(0.9)
    # okapi: the mean over its languages; the setting: the mean over the language means
    assert value("lcb_source", "okapi", "line_pass") == pytest.approx(0.65)
    assert value("lcb_average", None, "line_pass") == pytest.approx(0.75)
    assert value("lcb_average", None, "word_pass") == pytest.approx(0.75)  # Chinese only
    average = found[("lcb_average", None, "line_pass")]
    assert (average["n"], average["languages"]) == (25, 2)
    assert found[("lcb_average", None, "word_pass")]["languages"] == 1
    assert ("lcb_language", "fra_Latn", "word_pass") not in found
    assert {r["variant"] for r in records} == {"monolingual"}


def _cantonese_predictions(path: Path) -> Path:
    selection = RunConfig(tasks=["lcb"], source="sample", variants=["crosslingual"],
                          languages=["zho_Hans"])  # fmt: skip
    requests = build_plan(TaskRegistry(), selection).requests
    assert requests
    rows = [{"sample_id": r.sample_id, "output": CANTONESE} for r in requests]
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    return path


def test_a_run_is_judged_by_its_detector_and_rescored_by_another(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    predictions = _cantonese_predictions(tmp_path / "cantonese.jsonl")
    out = tmp_path / "results" / "run"
    args = "run --tasks lcb --source sample --variants crosslingual --languages zh"
    result = evaluate(args, predictions=predictions, output=out)
    assert result.exit_code == 0, result.output
    cell = ("lcb", "crosslingual", "zho_Hans")
    assert scores_of(out, "line_pass")[cell]["value"] == 1.0
    assert read_run(out)["manifest"]["langid"]["detector"] == "default"

    result = evaluate("score", str(out), langid="lid176")
    assert result.exit_code == 0, result.output
    assert scores_of(out, "line_pass")[cell]["value"] == 0.0
    run = read_run(out)
    assert run["manifest"]["langid"]["detector"] == "lid176"
    assert [s["langid"] for s in run["manifest"]["scorings"]] == ["lid176"]
    assert {s["langid"]["method"] for s in run["samples"]} == {"lid176"}
    assert {s["lcb"]["failed_line"] for s in run["samples"]} == {CANTONESE}  # why it failed
    summary = json.loads((out / "summary.json").read_text())
    average = [r for r in summary if r["kind"] == "lcb_average" and r["metric"] == "line_pass"]
    assert [r["value"] for r in average] == [0.0]
    site = tmp_path / "site"  # the leaderboard's drill-down shows the failed line
    assert evaluate("leaderboard", results=tmp_path / "results", out=site).exit_code == 0
    pages = list((site / "data" / "samples").rglob("page-*.js"))
    assert pages and all('"failed_line"' in page.read_text(encoding="utf-8") for page in pages)
    shown = evaluate("show", str(out))
    assert "Language Confusion Benchmark" in shown.output
    assert "0.0 / - / 0.0" in shown.output  # no word level where the line level fails


def test_an_unknown_detector_is_refused(evaluate: Callable[..., Result], tmp_path: Path) -> None:
    result = evaluate("run --model baseline:reference --tasks lcb --source sample --langid x")
    assert result.exit_code == 2 and "--langid" in result.output
    with pytest.raises(PolyevalError, match="unknown language detector 'x'"):
        build_plan(TaskRegistry(), RunConfig(tasks=["lcb"], source="sample", langid="x"))


def test_copying_the_prompt_is_the_floor_of_the_crosslingual_setting(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "copy"
    result = evaluate("run --model baseline:copy-source --tasks lcb --source sample", output=out)
    assert result.exit_code == 0, result.output
    line_pass = scores_of(out, "line_pass")
    crosslingual = {k[2]: r["value"] for k, r in line_pass.items() if k[1] == "crosslingual"}
    monolingual = {k[2]: r["value"] for k, r in line_pass.items() if k[1] == "monolingual"}
    assert len(crosslingual) == 14 and set(crosslingual.values()) == {0.0}  # English prompts
    assert len(monolingual) == 15 and set(monolingual.values()) == {1.0}  # prompts in L


def test_evaluate_langid_shows_what_failed_lcb(evaluate: Callable[..., Result]) -> None:
    text = HINDI.replace("मॉडल", "learning")
    rows = evaluate("langid", text, expect="hi").output.splitlines()
    assert "LCB line    pass" in rows and "LCB word    fail: learning" in rows
    mixed = "Bonjour, voici ma réponse complète.\nThis line is plainly written in English."
    rows = evaluate("langid", mixed, expect="fr", detector="lid176").output.splitlines()
    assert "LCB line    fail: This line is plainly written in English" in rows
    assert "LCB word    not counted" in rows


def _lcb_outputs_file(path: Path) -> Path:
    """The sample answered in the layout of LCB's published completions (outputs/*.csv):
    fluent replies in the monolingual setting, English ones in the cross-lingual one."""
    requests = build_plan(TaskRegistry(), RunConfig(tasks=["lcb"], source="sample")).requests
    english = "I think this is a very good question, and here is my detailed answer."
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "model", "completion", "task", "source", "language"])
        for request in requests:
            setting, source, code, row = request.sample_id.split("/")
            reply = REFERENCES[code] if setting == "monolingual" else english
            writer.writerow([row, "some-model", reply, setting, source, code])
    return path


def test_lcb_published_completion_files_are_read_as_they_are(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    outputs = _lcb_outputs_file(tmp_path / "some-model.csv")
    out = tmp_path / "published"
    result = evaluate("run --tasks lcb --source sample", predictions=outputs, output=out)
    assert result.exit_code == 0, result.output
    assert "left out" not in result.output  # every row matched its prompt
    summary = json.loads((out / "summary.json").read_text())
    average = {
        r["variant"]: r["value"]
        for r in summary
        if r["kind"] == "lcb_average" and r["metric"] == "line_pass"
    }
    assert average == {"monolingual": 1.0, "crosslingual": 0.0}
    bad = tmp_path / "bad.csv"
    bad.write_text("id,completion\n0,hello\n", encoding="utf-8")
    result = evaluate("run --tasks lcb --source sample", predictions=bad, output=tmp_path / "x")
    assert result.exit_code != 0 and "missing column 'sample_id'" in result.output


@pytest.mark.parametrize("detector", DETECTORS)
def test_copied_real_prompts_pass_in_their_own_language_only(
    evaluate: Callable[..., Result], tmp_path: Path, shared_data: Path, detector: str
) -> None:
    """All 6,586 real prompts copied back as replies: a monolingual prompt is in its language,
    a cross-lingual one is in English, whatever language it asks for."""
    out = tmp_path / detector
    result = evaluate(
        "run --model baseline:copy-source --tasks lcb --source local",
        data_dir=shared_data,
        langid=detector,
        output=out,
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    line = [r for r in summary if r["kind"] == "lcb_language" and r["metric"] == "line_pass"]
    crosslingual = [r["value"] for r in line if r["variant"] == "crosslingual"]
    monolingual = [r["value"] for r in line if r["variant"] == "monolingual"]
    assert len(crosslingual) == 14 and max(crosslingual) <= 0.01
    assert len(monolingual) == 15 and min(monolingual) >= 0.93
