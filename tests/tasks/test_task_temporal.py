"""Temporal reasoning: TempReason, mTEMPREASON and TimeQA. Dates compared by value, the levels
and their prompts in each language, the shipped samples, local hub clones, the TimeQA reader,
and every question of the real TimeQA file."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.consistency import LANGUAGE_METRICS
from harness.data.timeqa import read_timeqa
from harness.errors import PolyevalError, SkipRow
from harness.metrics import BINARY, METRICS
from harness.metrics.temporal import dates_table, parse_date, temporal_exact_match, temporal_f1
from harness.registry import TaskRegistry
from harness.task_literals import task_literals
from harness.yamlfile import load_yaml
from tests.conftest import REPO, assert_one_line_error, read_run, scores_of

TASKS = REPO / "tasks"
METRIC_NAMES = ("temporal_exact_match", "temporal_f1")
LEVELS = {"L1", "L2", "L3"}
TEMPREASON_VARIANTS = ("zero_shot", "facts", "fewshot_random", "fewshot_in_language")
MTEMPREASON_VARIANTS = (
    "zero_shot",
    "fewshot_random",
    "fewshot_in_language",
    "fewshot_english",
    "fewshot_cross_lingual",
)
MTEMPREASON_LANGUAGES = {"eng_Latn", "ron_Latn", "deu_Latn", "fra_Latn"}
TIMEQA_QUESTIONS, TIMEQA_UNANSWERABLE = 989, 159


def _run(evaluate: Callable[..., Result], out: Path, task: str, *args: str, **opts: Any) -> None:
    result = evaluate(f"run --model baseline:reference --tasks {task}", *args, output=out, **opts)
    assert result.exit_code == 0, result.output


def _breakdown(out: Path, by: str) -> dict[tuple[str, str, str, str, str], dict[str, Any]]:
    """(task, variant, language, metric, group) -> the record of the `by` breakdown."""
    records = json.loads((out / "scores.json").read_text())
    return {
        (r["task"], r["variant"], r["language"], r["metric"], r["group"]): r
        for r in records
        if r["by"] == by
    }


# --- dates compared by value ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gold", "reply", "language"),
    [
        ("2014", "2014", "eng_Latn"),
        ("2014", "in 2014", "eng_Latn"),
        ("2014", "2014.0", "eng_Latn"),
        ("2014", "2014,0", "deu_Latn"),
        ("2014", "٢٠١٤", "eng_Latn"),  # Arabic-Indic digits
        ("2014", "२०१४", "hin_Deva"),  # Devanagari digits
        ("Mar, 2011", "March 2011", "eng_Latn"),
        ("Mar, 2011", "martie 2011", "ron_Latn"),
        ("Mar, 2011", "im März 2011", "deu_Latn"),
        ("Mar, 2011", "en mars 2011", "fra_Latn"),
        ("Mar, 2011", "03/2011", "eng_Latn"),
        ("Mar, 2011", "2011-03", "eng_Latn"),
        ("Dec, 1066", "décembre 1066", "fra_Latn"),
        ("University of Arizona , Tucson", "University of Arizona, Tucson", "eng_Latn"),
        ("the Lyon Observatory", "Lyon Observatory", "eng_Latn"),
    ],
)
def test_equal_answers_match(gold: str, reply: str, language: str) -> None:
    assert temporal_exact_match(reply, [gold], language) == 1.0
    assert temporal_f1(reply, [gold], language) == 1.0


@pytest.mark.parametrize(
    ("gold", "reply", "f1"),
    [
        ("2014", "2015", 0.0),
        ("Mar, 2011", "2011", 2 / 3),  # the year without the month
        ("Mar, 2011", "Apr, 2011", 0.5),
        ("2014", "from 2012 to 2014", 0.4),  # not one date: compared as text
        ("2014 FIFA World Cup", "2014", 0.4),  # a name with a year is no date
        ("2014", "2014 FIFA World Cup", 0.4),
    ],
)
def test_different_answers_do_not_match(gold: str, reply: str, f1: float) -> None:
    assert temporal_exact_match(reply, [gold], "eng_Latn") == 0.0
    assert temporal_f1(reply, [gold], "eng_Latn") == pytest.approx(f1)


def test_any_acceptable_answer_counts_and_nothing_parsed_scores_zero() -> None:
    answers = ["Mayor of Dornfeld", "member of the Dornfeld Town Council"]
    assert temporal_exact_match("Mayor of Dornfeld", answers, "eng_Latn") == 1.0
    assert temporal_exact_match("member of the Dornfeld town council.", answers, "eng_Latn") == 1.0
    assert temporal_exact_match(None, answers, "eng_Latn") == 0.0
    assert temporal_f1(None, answers, "eng_Latn") == 0.0


def test_what_counts_as_a_date() -> None:
    assert parse_date("Mar, 1192", "eng_Latn") == (1192, 3)
    assert parse_date("l'année 1192", "fra_Latn") == (1192, None)
    assert parse_date("Jan. 2012", "deu_Latn") == (2012, 1)  # English is read everywhere
    assert parse_date("March or April 2011", "eng_Latn") is None  # two months
    assert parse_date("3 12", "eng_Latn") is None  # no year
    assert parse_date("", "eng_Latn") is None


def test_the_metrics_are_registered() -> None:
    assert set(METRIC_NAMES) <= set(METRICS)
    assert "temporal_exact_match" in BINARY and "temporal_f1" not in BINARY


def test_the_date_words_have_twelve_months_and_are_checked(tmp_path: Path) -> None:
    table = dates_table()
    assert {"eng", "ron", "deu", "fra"} <= set(table)
    assert all(sorted(set(row.months.values())) == list(range(1, 13)) for row in table.values())
    broken = tmp_path / "dates.yaml"
    broken.write_text('xx:\n  months: [["jan"]]\n')
    with pytest.raises(PolyevalError, match="not an ISO 639-3 code"):
        dates_table(broken)
    broken.write_text('ron:\n  months: [["ianuarie"]]\n')
    with pytest.raises(PolyevalError, match="12 lists"):
        dates_table(broken)


# --- levels, records and literals ---------------------------------------------------------------


def test_a_rows_level_comes_from_its_file_name() -> None:
    process = TaskRegistry().get("mtempreason").hook("process_record")
    row = {"question": " Care este data? ", "text_answers": {"text": ["Mar, 2011", "Mar, 2011"]}}
    record = process({**row, "_file": "ron_Latn/test_l1_romanian.json"}, "ron_Latn")
    assert (record["level"], record["answers"], record["question"]) == (
        "L1",
        ["Mar, 2011"],
        "Care este data?",
    )
    assert (record["_stem"], record["fact_context"]) == ("test_l1_romanian", "")
    assert process({**row, "_file": "test_l3.json"}, "eng_Latn")["level"] == "L3"
    with pytest.raises(SkipRow, match="no answer"):
        process(
            {"question": "q", "text_answers": {"text": []}, "_file": "test_l2.json"}, "eng_Latn"
        )
    with pytest.raises(PolyevalError, match="cannot tell the level"):
        process({**row, "_file": "test.json"}, "eng_Latn")


def test_the_literals_cover_every_language_and_level_in_both_copies() -> None:
    first = (TASKS / "tempreason" / "literals.yaml").read_text(encoding="utf-8")
    assert (TASKS / "mtempreason" / "literals.yaml").read_text(encoding="utf-8") == first
    table, _ = load_yaml(TASKS / "mtempreason" / "literals.yaml")
    assert set(table) == MTEMPREASON_LANGUAGES
    keys = {"instruction", "facts"} | {f"{level.lower()}_instruction" for level in LEVELS}
    for language, row in table.items():
        assert set(row) == keys, language
        assert all(isinstance(v, str) and v.strip() for v in row.values()), language
    timeqa, _ = load_yaml(TASKS / "timeqa" / "literals.yaml")
    assert timeqa["eng_Latn"]["no_answer"] in timeqa["eng_Latn"]["no_answer_instruction"]


# --- TempReason and mTEMPREASON on their samples ------------------------------------------------


@pytest.mark.parametrize(
    ("task", "variants", "languages"),
    [
        ("tempreason", TEMPREASON_VARIANTS, {"eng_Latn"}),
        ("mtempreason", MTEMPREASON_VARIANTS, MTEMPREASON_LANGUAGES),
    ],
)
def test_reference_is_perfect_at_every_level_variant_and_language(
    evaluate: Callable[..., Result],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    task: str,
    variants: tuple[str, ...],
    languages: set[str],
) -> None:
    out = tmp_path / "run"
    _run(evaluate, out, task, "--source", "sample", variants=",".join(variants))
    for metric in METRIC_NAMES:
        scores = scores_of(out, metric)
        assert set(scores) == {(task, v, lang) for v in variants for lang in languages}
        assert all(r["value"] == 1.0 for r in scores.values()), scores
    by_level = {k: r for k, r in _breakdown(out, "level").items() if k[3] not in LANGUAGE_METRICS}
    expected = {
        (task, v, lang, m, level)
        for v in variants
        for lang in languages
        for m in (*METRIC_NAMES, "parse_rate")
        for level in LEVELS
    }
    assert set(by_level) == expected
    assert all(r["value"] == 1.0 and r["n"] >= 2 for r in by_level.values())
    assert read_run(out)["manifest"]["tasks"][task]["source"]["kind"] == "sample"
    monkeypatch.setenv("COLUMNS", "1000")  # the table's every column
    shown = evaluate(f"show {out} --by level --metric temporal_f1")
    assert shown.exit_code == 0, shown.output
    assert all(level in shown.output for level in LEVELS)


def test_prompts_ask_each_level_in_the_questions_language(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(evaluate, out, "mtempreason", "--source", "sample", variants="zero_shot")
    prompts = {(r["language"], r["sample_id"]): r["prompt"] for r in read_run(out)["samples"]}
    folder = TASKS / "mtempreason"
    romanian = task_literals(folder, "ron_Latn")
    system, user = prompts[("ron_Latn", "test_l1_romanian:0")]
    assert system["content"] == f"{romanian['instruction']} Răspunsul este …."
    assert user["content"] == (
        "Întrebare: Care este data la 3 ani și 5 luni după Apr, 1988\n" + romanian["l1_instruction"]
    )
    german = task_literals(folder, "deu_Latn")
    user = prompts[("deu_Latn", "test_l3_german:0")][1]["content"]
    assert user.startswith("Frage: Für welche Mannschaft spielte Lukas Brenner nach SV Talheim?")
    assert user.endswith(german["l3_instruction"])
    french = prompts[("fra_Latn", "test_l2_french:0")][1]["content"]
    assert (
        french.startswith("Question : ")
        and task_literals(folder, "fra_Latn")["l2_instruction"] in french
    )


def test_the_facts_variant_shows_the_questions_facts(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(evaluate, out, "tempreason", "--source", "sample", variants="facts,zero_shot")
    prompts = {(r["variant"], r["sample_id"]): r["prompt"] for r in read_run(out)["samples"]}
    facts = prompts[("facts", "test_l2:0")][1]["content"]
    assert facts.startswith("Facts: Marta Lindqvist works for University of Tartu from Jan, 2001")
    assert facts.endswith(
        "Question: Which employer did Marta Lindqvist work for in Mar, 2004?\n"
        "Give the name that was true at the time the question names."
    )
    assert prompts[("zero_shot", "test_l2:0")][1]["content"].startswith("Question: ")
    assert prompts[("facts", "test_l1:0")][1]["content"].startswith("Question: ")  # L1: no facts


def _hub_clone(root: Path) -> Path:
    """The samples laid out as local clones of the two hub repos."""
    english = root / "tonytan48" / "TempReason"
    translated = root / "ab-iitd" / "mTEMPREASON"
    shutil.copytree(TASKS / "tempreason" / "sample", english)
    (english / "test_l1_future.json").write_text(
        '{"question": "q", "text_answers": {"text": ["a"]}}\n'
    )
    translated.mkdir(parents=True)
    for language in ("ron_Latn", "deu_Latn", "fra_Latn"):
        for path in (TASKS / "mtempreason" / "sample" / language).glob("*.json"):
            shutil.copy(path, translated / path.name)
    return root


def test_local_hub_clones_are_read_level_by_level(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    hub = _hub_clone(tmp_path / "hub")
    out = tmp_path / "run"
    _run(
        evaluate,
        out,
        "tempreason,mtempreason",
        "--source",
        "hub",
        hub_dir=hub,
        variants="zero_shot,fewshot_in_language,fewshot_cross_lingual",
    )
    manifest = read_run(out)["manifest"]["tasks"]
    assert manifest["tempreason"]["source"]["kind"] == "hub"
    assert manifest["tempreason"]["rows"] == {"eng_Latn": 10}  # test_l1_future.json is not read
    assert manifest["mtempreason"]["rows"] == {"eng_Latn": 10} | {
        lang: 6 for lang in ("ron_Latn", "deu_Latn", "fra_Latn")
    }
    assert all(r["value"] == 1.0 for r in scores_of(out, "temporal_exact_match").values())
    exemplars = [r["exemplars"] for r in read_run(out)["samples"] if r["variant"] != "zero_shot"]
    assert exemplars and all(len(ids) == 3 for ids in exemplars)


def test_without_a_clone_the_hub_is_an_error_naming_the_alternatives(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    result = evaluate(
        "run --model baseline:reference --tasks tempreason --source hub",
        hub_dir=tmp_path,
        output=tmp_path / "run",
    )
    assert_one_line_error(result, "tonytan48/TempReason", "--data-dir")


# --- TimeQA ------------------------------------------------------------------------------------


def test_the_timeqa_reader_gives_one_record_per_question(tmp_path: Path) -> None:
    path = TASKS / "timeqa" / "sample" / "human_annotated_test.json"
    rows = list(read_timeqa(path.read_text(encoding="utf-8"), path))
    assert len(rows) == 7
    where, first = rows[0]
    assert where == f"{path}[document 0, question 0]"
    assert first["id"] == "/wiki/Maren_Solberg#P108:0"
    assert (first["title"], first["type"], first["answers"]) == (
        "Maren Solberg",
        "P108",
        ["University of Tromsø"],
    )
    assert first["context"] == "\n".join(first["paragraphs"])
    assert "Maren Solberg" not in first["paragraphs"]  # the title is not a paragraph
    assert next(r["answers"] for _, r in rows if r["id"].endswith(":2")) == []  # unanswerable
    assert [r["answers"] for _, r in rows if "Kvarnby" in r["id"]][1] == [
        "Oskar Lind",
        "Henrik Dahl",
    ]


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        ('{"data": []}', "expected a JSON array of TimeQA documents", "f.json"),
        ("[1]", "expected a document", "f.json[document 0]"),
        (
            '[{"index": "x", "paras": ["t"], "questions": [["q"]]}]',
            "expected [question",
            "question 0",
        ),
        ('[{"index": "x", "paras": [], "questions": []}]', "'paras' must be", "document 0"),
        ('[{"index": "x", "paras": ["t"], "questions": [["q", [{"para": 1}]]]}]', "answer 0", "q"),
    ],
)
def test_a_malformed_timeqa_file_is_named(text: str, message: str, where: str) -> None:
    with pytest.raises(PolyevalError, match=re.escape(message)) as error:
        list(read_timeqa(text, Path("f.json")))
    assert where in str(error.value)


def test_timeqa_sample_asks_with_and_without_the_page(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(evaluate, out, "timeqa", "--source", "sample", variants="document,closed_book")
    for metric in METRIC_NAMES:
        assert all(r["value"] == 1.0 and r["n"] == 7 for r in scores_of(out, metric).values())
    by = _breakdown(out, "answerable")
    assert by[("timeqa", "document", "eng_Latn", "temporal_exact_match", "no")]["n"] == 2
    assert by[("timeqa", "document", "eng_Latn", "temporal_exact_match", "yes")]["n"] == 5
    records = {(r["variant"], r["sample_id"]): r for r in read_run(out)["samples"]}
    unanswerable = records[("document", "/wiki/Maren_Solberg#P108:2")]
    assert unanswerable["gold"] == "unanswerable" and unanswerable["scores"]["temporal_f1"] == 1.0
    page = records[("document", "/wiki/Maren_Solberg#P108:0")]["prompt"][1]["content"]
    assert page.startswith("Document: Maren Solberg\n\nMaren Solberg ( born 3 May 1961 )")
    assert page.endswith(
        "\n\nQuestion: Which employer did Maren Solberg work for from 1994 to 2003?"
    )
    closed = records[("closed_book", "/wiki/Maren_Solberg#P108:0")]["prompt"]
    assert (
        closed[1]["content"]
        == "Question: Which employer did Maren Solberg work for from 1994 to 2003?"
    )
    assert "document" not in closed[0]["content"]


@pytest.mark.parametrize("variant", ["document", "closed_book"])
def test_reference_is_perfect_on_every_real_timeqa_question(
    evaluate: Callable[..., Result], shared_data: Path, tmp_path: Path, variant: str
) -> None:
    out = tmp_path / "run"
    _run(evaluate, out, "timeqa", data_dir=shared_data, variants=variant)
    for metric in METRIC_NAMES:
        [record] = scores_of(out, metric).values()
        assert (record["value"], record["n"]) == (1.0, TIMEQA_QUESTIONS), metric
    by = _breakdown(out, "answerable")
    assert by[("timeqa", variant, "eng_Latn", "temporal_exact_match", "no")]["n"] == (
        TIMEQA_UNANSWERABLE
    )
    entry = read_run(out)["manifest"]["tasks"]["timeqa"]
    assert entry["source"]["kind"] == "local"
    assert entry["rows"] == {"eng_Latn": TIMEQA_QUESTIONS} and entry["skipped"] == {}
