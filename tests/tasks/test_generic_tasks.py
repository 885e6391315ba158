"""User tasks: the generic mcq and short_answer tasks on any CSV/TSV/JSONL file, with the column
mapping in a small YAML file or in -T options (harness/usertasks/)."""

from __future__ import annotations

import csv
import hashlib
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.consistency import LANGUAGE_METRICS
from harness.data.readers import read_rows
from harness.registry import TaskRegistry
from harness.spec import FileLayout
from harness.usertasks import user_task
from tests.conftest import REPO, assert_one_line_error, read_run, scores_of

Evaluate = Callable[..., Result]
SYNDARIN_COLUMNS = ["Paragraph", "Question", "Choice A", "Choice B", "Choice C", "Choice D"]
SYNDARIN_OPTIONS = [
    "-T",
    "question=Question",
    "-T",
    "passage=Paragraph",
    "-T",
    "choices=Choice A,Choice B,Choice C,Choice D",
    "-T",
    "answer=Answer",
]
SYNDARIN_YAML = """\
task: mcq
name: syndarin
file: syndarin_hy.csv
language: hye_Armn
columns:
  question: Question
  passage: Paragraph
  choices: [Choice A, Choice B, Choice C, Choice D]
  answer: Answer
answer: letter
"""


def _sample_rows(task: str, language: str) -> list[dict[str, str]]:
    with (REPO / "tasks" / task / "sample" / f"{language}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def _syndarin_csv(path: Path, language: str = "hye_Armn", answer: str = "letter") -> Path:
    """The mcq sample in the shape of SynDARin: paragraph, question, four options, answer."""
    rows = []
    for row in _sample_rows("mcq", language):
        options = [row[c] for c in "ABCD"]
        index = "ABCD".index(row["answer"])
        gold = {"letter": row["answer"], "index1": index + 1, "text": options[index]}[answer]
        rows.append([row["passage"], row["question"], *options, gold])
    return _write_csv(path, [*SYNDARIN_COLUMNS, "Answer"], rows)


@pytest.fixture
def syndarin(tmp_path: Path) -> Path:
    """syndarin.yaml beside syndarin_hy.csv."""
    _syndarin_csv(tmp_path / "syndarin_hy.csv")
    path = tmp_path / "syndarin.yaml"
    path.write_text(SYNDARIN_YAML, encoding="utf-8")
    return path


def _ok(result: Result) -> None:
    assert result.exit_code == 0, result.output


def _line(path: Path, text: str) -> int:
    """The 1-based line of `path` that contains `text`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


# --- perfect and chance scores ---------------------------------------------------------------


def test_the_yaml_task_scores_one_with_the_reference(
    evaluate: Evaluate, syndarin: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _ok(evaluate("run --model baseline:reference", "--tasks", str(syndarin), output=out))
    scores = scores_of(out)
    assert set(scores) == {("syndarin", "zero_shot", "hye_Armn")}
    record = scores[("syndarin", "zero_shot", "hye_Armn")]
    assert record["value"] == 1.0 and record["n"] == 6
    prompt = read_run(out)["samples"][0]["prompt"]
    assert "Սևանա լիճը" in prompt[-1]["content"]  # the passage is shown
    assert "D. Շիրակ" in prompt[-1]["content"]


def test_the_same_mapping_from_task_options_gives_the_same_prompts(
    evaluate: Evaluate, syndarin: Path, tmp_path: Path
) -> None:
    by_yaml, by_options = tmp_path / "yaml", tmp_path / "options"
    _ok(evaluate("run --model baseline:reference", "--tasks", str(syndarin), output=by_yaml))
    data = syndarin.parent / "syndarin_hy.csv"
    _ok(
        evaluate(
            "run --model baseline:reference --tasks mcq",
            *SYNDARIN_OPTIONS,
            "-T",
            "language=hy",
            "-T",
            "name=syndarin",
            "--data-file",
            str(data),
            output=by_options,
        )
    )
    assert scores_of(by_options)[("syndarin", "zero_shot", "hye_Armn")]["value"] == 1.0
    yaml_run, option_run = read_run(by_yaml), read_run(by_options)
    assert [s["prompt"] for s in yaml_run["samples"]] == [
        s["prompt"] for s in option_run["samples"]
    ]
    yaml_task = yaml_run["manifest"]["tasks"]["syndarin"]["user_task"]
    option_task = option_run["manifest"]["tasks"]["syndarin"]["user_task"]
    assert yaml_task["columns"] == option_task["columns"]
    assert option_task["defined_in"] == "the command line"


def test_a_yaml_file_and_the_same_task_options_make_equal_tasks(syndarin: Path) -> None:
    registry = TaskRegistry()
    by_yaml = user_task(registry, str(syndarin))
    options = dict(option.split("=", 1) for option in SYNDARIN_OPTIONS[1::2])
    options.update(form="letter", language="hye_Armn", name="syndarin")
    data = syndarin.parent / "syndarin_hy.csv"
    by_options = user_task(registry, "mcq", options, data)
    assert by_options.spec == by_yaml.spec
    assert by_options.source == by_yaml.source
    assert by_yaml.mapping is not None and by_options.mapping is not None
    rows = read_rows(data, FileLayout(files=[], format="csv"))
    assert [by_options.mapping.convert(r, w) for w, r in rows] == [
        by_yaml.mapping.convert(r, w) for w, r in rows
    ]
    assert by_yaml.user_task is not None and by_options.user_task is not None
    for key in ("task", "name", "files", "format", "columns", "answer"):
        assert by_options.user_task[key] == by_yaml.user_task[key], key


def test_the_default_name_is_the_file_stem(evaluate: Evaluate, tmp_path: Path) -> None:
    data = _syndarin_csv(tmp_path / "SynDARin-hy.csv")
    out = tmp_path / "run"
    _ok(
        evaluate(
            "run --model baseline:reference --tasks mcq",
            *SYNDARIN_OPTIONS,
            "-T",
            "language=hye_Armn",
            "--data-file",
            str(data),
            output=out,
        )
    )
    assert set(read_run(out)["manifest"]["tasks"]) == {"syndarin_hy"}


def test_random_lands_within_the_interval_of_chance(evaluate: Evaluate, tmp_path: Path) -> None:
    rng = random.Random(7)
    rows = [
        [f"Question {i}?", *(f"option {i}.{k}" for k in range(4)), rng.choice("ABCD")]
        for i in range(400)
    ]
    data = _write_csv(tmp_path / "big.csv", ["q", "a", "b", "c", "d", "gold"], rows)
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:random --tasks mcq",
        *("-T", "question=q", "-T", "choices=a,b,c,d", "-T", "answer=gold"),
        *("-T", "language=hye_Armn", "--data-file", str(data)),
        output=out,
    )
    _ok(result)
    record = scores_of(out)[("big", "zero_shot", "hye_Armn")]
    assert record["n"] == 400
    assert record["ci_low"] <= 0.25 <= record["ci_high"], record
    assert record["value"] != 1.0


# --- answer forms and file formats -----------------------------------------------------------


@pytest.mark.parametrize("form", ["letter", "index1", "text"])
def test_answer_forms_of_a_csv(evaluate: Evaluate, tmp_path: Path, form: str) -> None:
    data = _syndarin_csv(tmp_path / "syndarin_hy.csv", answer=form)
    out = tmp_path / "run"
    _ok(
        evaluate(
            "run --model baseline:reference --tasks mcq",
            *SYNDARIN_OPTIONS,
            *("-T", f"form={form}", "-T", "language=hye_Armn", "--data-file", str(data)),
            output=out,
        )
    )
    assert scores_of(out)[("syndarin_hy", "zero_shot", "hye_Armn")]["value"] == 1.0
    assert read_run(out)["manifest"]["tasks"]["syndarin_hy"]["user_task"]["answer"] == form


@pytest.mark.parametrize("form", ["letter", "index1", "index0", "text"])
def test_answer_forms_of_a_jsonl_with_a_list_of_options(
    evaluate: Evaluate, tmp_path: Path, form: str
) -> None:
    records = []
    for row in _sample_rows("mcq", "hye_Armn"):
        options = [row[c] for c in "ABCD"]
        index = "ABCD".index(row["answer"])
        gold: Any = {"letter": row["answer"].lower(), "index1": index + 1, "index0": index}.get(
            form, options[index]
        )
        records.append({"uid": row["id"], "q": row["question"], "opts": options, "key": gold})
    yaml = tmp_path / "task.yml"
    yaml.write_text(
        "task: mcq\nfile: data.jsonl\nlanguage: hy\n"
        "columns: {question: q, choices: opts, answer: key, id: uid}\n"
        f"answer: {form}\n",
        encoding="utf-8",
    )
    _write_jsonl(tmp_path / "data.jsonl", records)
    out = tmp_path / "run"
    _ok(evaluate("run --model baseline:reference", "--tasks", str(yaml), output=out))
    run = read_run(out)
    assert scores_of(out)[("task", "zero_shot", "hye_Armn")]["value"] == 1.0
    assert {s["sample_id"] for s in run["samples"]} == {r["uid"] for r in records}
    assert "Հատված" not in run["samples"][0]["prompt"][-1]["content"]  # no passage column


def test_a_tsv_in_two_languages_links_parallel_items(evaluate: Evaluate, tmp_path: Path) -> None:
    for language in ("hye_Armn", "eng_Latn"):
        rows = [
            [r["id"], r["question"], *(r[c] for c in "ABCD"), r["answer"]]
            for r in _sample_rows("mcq", language)
        ]
        with (tmp_path / f"{language[:2]}.tsv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, delimiter="\t")
            writer.writerows([["id", "question", "A", "B", "C", "D", "answer"], *rows])
    yaml = tmp_path / "parallel.yaml"
    yaml.write_text(
        "task: mcq\nlanguages: {hye_Armn: hy.tsv, en: en.tsv}\n", encoding="utf-8"
    )  # the default columns: question, A-D, answer; id because the files have one
    out = tmp_path / "run"
    _ok(evaluate("run --model baseline:reference", "--tasks", str(yaml), output=out))
    scores = scores_of(out)
    assert {lang for _, _, lang in scores} == {"hye_Armn", "eng_Latn"}
    assert all(r["value"] == 1.0 for r in scores.values())
    samples = read_run(out)["samples"]
    by_language: dict[str, list[str]] = {}
    for s in samples:
        by_language.setdefault(s["language"], []).append(s["parallel_id"])
    assert (
        by_language["hye_Armn"]
        == by_language["eng_Latn"]
        == [r["id"] for r in _sample_rows("mcq", "eng_Latn")]
    )


def test_task_options_override_the_yaml(evaluate: Evaluate, syndarin: Path, tmp_path: Path) -> None:
    english = _syndarin_csv(tmp_path / "syndarin_en.csv", language="eng_Latn")
    out = tmp_path / "run"
    _ok(
        evaluate(
            "run --model baseline:reference",
            *("--tasks", str(syndarin), "-T", "language=en", "--data-file", str(english)),
            output=out,
        )
    )
    assert set(scores_of(out)) == {("syndarin", "zero_shot", "eng_Latn")}


# --- short answers ---------------------------------------------------------------------------


def test_short_answer_with_numbers(evaluate: Evaluate, tmp_path: Path) -> None:
    records = [
        {"problem": "Ունեմ 3 խնձոր և գնում եմ ևս 4։ Քանի՞ խնձոր ունեմ։", "solution": 7},
        {"problem": "Մի գիրքն արժե 1500 դրամ։ Որքա՞ն արժեն 3 գիրքը։", "solution": "4,500"},
        {"problem": "Որքա՞ն է 10-ի կեսը։", "solution": "5"},
        {"problem": "Որքա՞ն է 7-ի կեսը։", "solution": 3.5},
    ]
    data = _write_jsonl(tmp_path / "math_hy.jsonl", records)
    out = tmp_path / "run"
    _ok(
        evaluate(
            "run --model baseline:reference --tasks short_answer",
            *("-T", "question=problem", "-T", "answer=solution", "-T", "form=number"),
            *("-T", "language=hy", "--data-file", str(data)),
            output=out,
        )
    )
    assert scores_of(out)[("math_hy", "zero_shot", "hye_Armn")]["value"] == 1.0
    run = read_run(out)
    assert [s["gold"] for s in run["samples"]] == ["7", "4500", "5", "3.5"]
    metrics = {r["metric"] for r in run["scores"]}
    assert metrics - set(LANGUAGE_METRICS) == {"accuracy", "parse_rate"}


def test_short_answer_with_text_and_a_passage(evaluate: Evaluate, tmp_path: Path) -> None:
    mcq = {r["id"]: r for r in _sample_rows("mcq", "hye_Armn")}
    rows = [
        [r["id"], mcq.get(r["id"], {}).get("passage", ""), r["question"], r["answer"]]
        for r in _sample_rows("short_answer", "hye_Armn")
    ]
    data = _write_csv(tmp_path / "facts.csv", ["key", "context", "ask", "reply"], rows)
    yaml = tmp_path / "facts.yaml"
    yaml.write_text(
        "task: short_answer\nname: facts_hy\nfile: facts.csv\nlanguage: hye_Armn\n"
        "columns: {question: ask, passage: context, answer: reply, id: key}\n",
        encoding="utf-8",
    )
    out = tmp_path / "run"
    _ok(evaluate("run --model baseline:reference", "--tasks", str(yaml), output=out))
    scores = {(r["metric"]): r["value"] for r in json.loads((out / "scores.json").read_text())}
    assert scores["accuracy"] == scores["exact_match"] == scores["f1"] == 1.0
    assert data.is_file()


def test_short_answer_takes_several_acceptable_answers(evaluate: Evaluate, tmp_path: Path) -> None:
    records = [
        {"q": "Which ocean is the largest?", "a": ["Pacific", "the Pacific Ocean"]},
        {"q": "What is the capital of Armenia?", "a": "Yerevan"},
    ]
    data = _write_jsonl(tmp_path / "facts_en.jsonl", records)
    out = tmp_path / "run"
    _ok(
        evaluate(
            "run --model baseline:reference --tasks short_answer",
            *("-T", "question=q", "-T", "answer=a", "-T", "language=en"),
            *("--data-file", str(data)),
            output=out,
        )
    )
    assert scores_of(out, "exact_match")[("facts_en", "zero_shot", "eng_Latn")]["value"] == 1.0


# --- the manifest, the built-in tasks --------------------------------------------------------


def test_the_manifest_records_the_mapping_and_the_file(
    evaluate: Evaluate, syndarin: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _ok(evaluate("run --model baseline:reference", "--tasks", str(syndarin), output=out))
    entry = read_run(out)["manifest"]["tasks"]["syndarin"]
    assert entry["source"] == {"kind": "local", "location": str(syndarin.parent.resolve())}
    user = entry["user_task"]
    data = (syndarin.parent / "syndarin_hy.csv").resolve()
    assert user["defined_in"] == str(syndarin.resolve())
    assert user["task"] == "mcq" and user["name"] == "syndarin" and user["answer"] == "letter"
    assert user["files"] == {
        "hye_Armn": {
            "path": str(data),
            "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
            "rows": 6,
        }
    }
    assert user["columns"] == {
        "question": "Question",
        "passage": "Paragraph",
        "choices": ["Choice A", "Choice B", "Choice C", "Choice D"],
        "answer": "Answer",
        "id": None,
    }
    assert entry["variants"]["zero_shot"]["template"] == "mcq.j2"


def test_the_builtin_tasks_run_offline_on_their_samples(evaluate: Evaluate, tmp_path: Path) -> None:
    out = tmp_path / "run"
    _ok(
        evaluate(
            "run --model baseline:reference --tasks mcq,short_answer",
            variants="zero_shot,en_instruction",
            output=out,
        )
    )
    scores = scores_of(out)
    assert len(scores) == 8  # 2 tasks x 2 variants x 2 languages
    assert all(r["value"] == 1.0 for r in scores.values()), scores
    assert "user_task" not in read_run(out)["manifest"]["tasks"]["mcq"]


def test_evaluate_tasks_lists_the_generic_tasks(evaluate: Evaluate) -> None:
    result = evaluate("tasks")
    _ok(result)
    rows = {line.split()[1]: line for line in result.output.splitlines() if "│" in line}
    assert "multiple_choice" in rows["mcq"]
    assert "short_answer" in rows["short_answer"]


# --- mistakes: one line naming the place -----------------------------------------------------


def _yaml(tmp_path: Path, text: str) -> Path:
    _syndarin_csv(tmp_path / "syndarin_hy.csv")
    path = tmp_path / "user.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "marker", "fragments"),
    [
        (
            ("question: Question", "question: Qestion"),
            "question: Qestion",
            ("unknown column 'Qestion' (question)", "Paragraph, Question, Choice A", "'Question'"),
        ),
        (
            ("answer: letter", "answer: lettre"),
            "answer: lettre",
            ("unknown answer form 'lettre'", "did you mean 'letter'"),
        ),
        (
            ("language: hye_Armn", "language: hye_Arm"),
            "language: hye_Arm",
            ("unknown language code 'hye_Arm'", "did you mean hye_Armn"),
        ),
        (
            ("language: hye_Armn", "language: Armenain"),
            "language: Armenain",
            ("unknown language code 'Armenain'", "did you mean hye_Armn"),
        ),
        (
            ("file: syndarin_hy.csv", "file: syndarin.csv"),
            "file: syndarin.csv",
            ("no such data file", "syndarin.csv"),
        ),
        (
            ("columns:", "colums:"),
            "colums:",
            ("unknown key 'colums'", "did you mean 'columns'"),
        ),
        (
            ("  passage: Paragraph", "  pasage: Paragraph"),
            "pasage:",
            ("unknown column key 'pasage'", "did you mean 'passage'"),
        ),
        (
            ("task: mcq", "task: multiple_choice"),
            "task: multiple_choice",
            ("unknown task 'multiple_choice'", "mcq, short_answer"),
        ),
        (
            ("Choice D]", "Choice E]"),
            "Choice E]",
            ("unknown column 'Choice E' (choices)",),
        ),
        (
            ("name: syndarin", "name: SynDARin"),
            "name: SynDARin",
            ("task name 'SynDARin' must be lower-case",),
        ),
    ],
)
def test_a_mistake_in_the_yaml_names_its_line(
    evaluate: Evaluate,
    tmp_path: Path,
    edit: tuple[str, str],
    marker: str,
    fragments: tuple[str, ...],
) -> None:
    assert SYNDARIN_YAML.count(edit[0]) == 1
    path = _yaml(tmp_path, SYNDARIN_YAML.replace(*edit))
    result = evaluate("run --model baseline:random", "--tasks", str(path))
    assert_one_line_error(result, f"{path}:{_line(path, marker)}:", *fragments)


@pytest.mark.parametrize(
    ("option", "fragments"),
    [
        ("question=Qestion", ("unknown column 'Qestion'", "did you mean 'Question'")),
        ("form=lettre", ("unknown answer form 'lettre'",)),
        ("language=armenian", ("unknown language code 'armenian'", "hye_Armn")),
        ("qestion=Question", ("unknown -T key 'qestion'", "did you mean 'question'")),
        ("answer=letter", ("unknown column 'letter'", "answer form is set with -T form=letter")),
        ("choices=Choice A", ("one column that holds a list",)),
    ],
)
def test_a_mistake_in_a_task_option_names_the_option(
    evaluate: Evaluate, tmp_path: Path, option: str, fragments: tuple[str, ...]
) -> None:
    data = _syndarin_csv(tmp_path / "syndarin_hy.csv")
    result = evaluate(
        "run --model baseline:random --tasks mcq",
        *SYNDARIN_OPTIONS,
        *("-T", "language=hy", "-T", option, "--data-file", str(data)),
    )
    assert_one_line_error(result, f"error: -T {option}: ", *fragments)


@pytest.mark.parametrize(
    ("form", "answers", "fragments"),
    [
        ("letter", {3: "E"}, ("answer 'E' is not a letter A-D", "-T form=letter")),
        ("letter", {2: "2"}, ("answer '2' is not a letter", "did you mean -T form=index1")),
        ("index1", {4: "0"}, ("answer '0' is not an option number 1-4",)),
        ("text", {5: "Yerevan"}, ("answer 'Yerevan' is the text of none of the 4 options",)),
    ],
)
def test_an_answer_that_fits_no_option_names_its_row(
    evaluate: Evaluate,
    tmp_path: Path,
    form: str,
    answers: dict[int, str],
    fragments: tuple[str, ...],
) -> None:
    data = _syndarin_csv(tmp_path / "syndarin_hy.csv", answer=form)
    rows = list(csv.reader(data.open(encoding="utf-8")))
    for row_number, value in answers.items():
        rows[row_number][-1] = value
    _write_csv(data, rows[0], rows[1:])
    result = evaluate(
        "run --model baseline:random --tasks mcq",
        *SYNDARIN_OPTIONS,
        *("-T", f"form={form}", "-T", "language=hy", "--data-file", str(data)),
    )
    row = next(iter(answers))
    assert_one_line_error(result, f"{data}:{row + 1}: ", *fragments)


def test_a_short_answer_that_is_no_number_names_its_row(evaluate: Evaluate, tmp_path: Path) -> None:
    data = _write_jsonl(
        tmp_path / "math.jsonl", [{"q": "1+1?", "a": "2"}, {"q": "2+2?", "a": "four"}]
    )
    result = evaluate(
        "run --model baseline:random --tasks short_answer",
        *("-T", "question=q", "-T", "answer=a", "-T", "form=number", "-T", "language=en"),
        *("--data-file", str(data)),
    )
    assert_one_line_error(result, f"{data}:2: ", "answer 'four' is not a number", "-T form=number")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ("--tasks", "mcq", "-T", "language=hy", "--data-file", "{tmp}/nope.csv"),
            ("error: --data-file {tmp}/nope.csv: no such data file",),
        ),
        (
            ("--tasks", "mcq", "-T", "language=hy"),
            ("--tasks mcq with -T options needs --data-file",),
        ),
        (
            ("--tasks", "mcq", "--data-file", "{tmp}/syndarin_hy.csv"),
            ("which language is the data in? add -T language=CODE",),
        ),
        (
            ("--tasks", "mgsm", "-T", "language=hy"),
            ("--tasks needs mcq, short_answer, extractive_qa, round_trip or a task YAML file",),
        ),
        (
            ("--tasks", "mcq,short_answer", "-T", "language=hy"),
            ("apply to one user task", "mcq, short_answer"),
        ),
        (("--tasks", "{tmp}/nope.yaml"), ("error: {tmp}/nope.yaml: no such task file",)),
        (
            (
                "--tasks",
                "short_answer",
                "-T",
                "choices=A,B",
                "--data-file",
                "{tmp}/syndarin_hy.csv",
            ),
            ("error: -T choices=A,B: a short_answer task has no choices",),
        ),
    ],
)
def test_command_line_mistakes(
    evaluate: Evaluate, tmp_path: Path, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    _syndarin_csv(tmp_path / "syndarin_hy.csv")
    argv = [a.format(tmp=tmp_path) for a in args]
    if "short_answer" in argv:
        argv += ["-T", "question=Question", "-T", "answer=Answer", "-T", "language=hy"]
    result = evaluate("run --model baseline:random", *argv)
    assert_one_line_error(result, *(f.format(tmp=tmp_path) for f in fragments))


def test_duplicate_ids_name_both_rows(evaluate: Evaluate, tmp_path: Path) -> None:
    data = _write_jsonl(
        tmp_path / "dup.jsonl",
        [
            {"id": "x1", "question": "Q1", "answer": "a"},
            {"id": "x1", "question": "Q2", "answer": "b"},
        ],
    )
    result = evaluate(
        "run --model baseline:random --tasks short_answer",
        *("-T", "language=en", "--data-file", str(data)),
    )
    assert_one_line_error(result, f"{data}:2: ", "id 'x1'", f"{data}:1")


def test_a_user_task_may_not_take_the_name_of_another_task_of_the_run(
    evaluate: Evaluate, tmp_path: Path
) -> None:
    path = _yaml(tmp_path, SYNDARIN_YAML.replace("name: syndarin", "name: mgsm"))
    result = evaluate("run --model baseline:random", "--tasks", f"mgsm,{path}")
    assert_one_line_error(result, "two tasks of this run are named 'mgsm'")


def test_more_options_than_the_language_has_labels(evaluate: Evaluate, tmp_path: Path) -> None:
    data = _write_csv(tmp_path / "six.csv", ["q", *"abcdef", "gold"], [["Q?", *"123456", "A"]])
    result = evaluate(
        "run --model baseline:random --tasks mcq",
        *("-T", "question=q", "-T", "choices=a,b,c,d,e,f", "-T", "answer=gold"),
        *("-T", "language=hy", "--data-file", str(data)),
    )
    assert_one_line_error(
        result, "-T choices=a,b,c,d,e,f", "6 options", "option labels for hye_Armn"
    )
