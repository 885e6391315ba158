"""What a task plugin can declare, on a small plugin written per test: rows skipped by a hook
(counted by reason), breakdowns, glob file patterns, variants limited to some languages, a
variant reading a second source (--alt-data) and its paired gap, the gap to English, suites,
task-owned literals and few-shot exemplars held out of the evaluation."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import read_run, scores_of

TASK_YAML = """\
name: quiz
version: "1"
kind: multiple_choice
languages: [eng_Latn, deu_Latn]
data:
  local:
    folder: [quiz]
    files: ["{code}/*.csv"]
fields: {question: question}
choices: [a, b]
gold: {field: key, form: letter}
id: "{_file}#{row}"
parallel_id: "{_file_stem}#{_row}"
breakdowns: {subject: subject}
parser: choice
variants:
  plain: {template: quiz.j2}
  german_only: {template: quiz.j2, languages: [deu_Latn]}
  shots: {template: quiz.j2, fewshot: 1, target: key}
  machine: {template: quiz.j2, source: mt, compare_to: plain, languages: [deu_Latn]}
default_variants: [plain, german_only, machine]
"""

TASK_PY = """\
from pathlib import Path

from harness.samples import SkipRow
from harness.task_literals import task_literals


def process_record(record, language):
    if record["key"] not in ("A", "B"):
        raise SkipRow(f"answer key {record['key']!r} is not A or B")
    stem = Path(record["_file"]).stem
    ask = task_literals(Path(__file__).parent, language)["ask"]  # hooks may read them too
    return {**record, "subject": stem, "_file_stem": stem, "question": record["question"] or ask}


def exemplars(source, language, code, variant):
    row = {"question": "held out", "a": "x", "b": "y", "key": "A", "choices": []}
    return [{**row, "parallel_id": "math#0"}]
"""

TEMPLATE = """\
{% block user %}{{ tlit.ask }} {{ question }}
{% for c in choices %}{{ c.label }}. {{ c.text }}
{% endfor %}{% endblock %}
{% block assistant %}{{ lit.answer }}: {{ target }}{% endblock %}
"""

LITERALS = """\
eng_Latn: {ask: "Pick one:"}
deu_Latn: {ask: "Wähle eine:"}
"""

ROWS = {  # file stem -> rows of (question, a, b, key)
    "math": [("1+1?", "2", "3", "A"), ("2+2?", "5", "4", "B"), ("3+3?", "6", "7", "*")],
    "science": [("Water is?", "wet", "dry", "A"), ("Fire is?", "cold", "hot", "B")],
}


def _write_csv(folder: Path, stem: str, rows: list[tuple[str, ...]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["question,a,b,key", *(",".join(row) for row in rows)]
    (folder / f"{stem}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def plugin(tmp_path: Path) -> dict[str, Path]:
    task = tmp_path / "tasks" / "quiz"
    task.mkdir(parents=True)
    (task / "task.yaml").write_text(TASK_YAML, encoding="utf-8")
    (task / "task.py").write_text(TASK_PY, encoding="utf-8")
    (task / "quiz.j2").write_text(TEMPLATE, encoding="utf-8")
    (task / "literals.yaml").write_text(LITERALS, encoding="utf-8")
    data = tmp_path / "data"
    mt = tmp_path / "mt"
    for code in ("eng_Latn", "deu_Latn"):
        for stem, rows in ROWS.items():
            _write_csv(data / "quiz" / code, stem, rows)
    # the "machine-translated" German copy flips the key of one item: a reference answer
    # from the human version is wrong there, which makes the gap known
    flipped = {stem: list(rows) for stem, rows in ROWS.items()}
    flipped["science"][0] = ("Water is?", "wet", "dry", "B")
    for stem, rows in flipped.items():
        _write_csv(mt / "deu_Latn", stem, rows)
    return {"tasks": tmp_path / "tasks", "data": data, "mt": mt}


def _run(evaluate: Callable[..., Result], plugin: dict[str, Path], out: Path, *args: str) -> Result:
    return evaluate(
        "run --model baseline:reference --tasks quiz",
        *args,
        tasks_dir=plugin["tasks"],
        data_dir=plugin["data"],
        output=out,
    )


def test_skips_are_counted_by_reason_and_files_globbed(
    evaluate: Callable[..., Result], plugin: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = _run(evaluate, plugin, out, "--variants", "plain")
    assert result.exit_code == 0, result.output
    entry = read_run(out)["manifest"]["tasks"]["quiz"]
    assert entry["rows"] == {"eng_Latn": 5, "deu_Latn": 5}
    assert entry["samples"] == {"eng_Latn": 4, "deu_Latn": 4}
    assert entry["skipped"] == {lang: {"answer key '*' is not A or B": 1} for lang in entry["rows"]}
    assert "skipped 1 row: answer key '*'" in result.output


def test_breakdown_records_per_subject(
    evaluate: Callable[..., Result], plugin: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(evaluate, plugin, out, "--variants", "plain")
    records = [r for r in read_run(out)["scores"] if r["metric"] == "accuracy"]
    groups = {(r["language"], r["group"]): r["n"] for r in records if r["by"] == "subject"}
    assert groups == {
        ("eng_Latn", "math"): 2,
        ("eng_Latn", "science"): 2,
        ("deu_Latn", "math"): 2,
        ("deu_Latn", "science"): 2,
    }
    show = evaluate("show", str(out), "--by", "subject")
    assert show.exit_code == 0 and "science" in show.output
    missing = evaluate("show", str(out), "--by", "grade")
    assert missing.exit_code == 2 and "no breakdown 'grade'" in missing.output


def test_variant_languages_and_task_literals(
    evaluate: Callable[..., Result], plugin: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = _run(evaluate, plugin, out, "--variants", "plain,german_only")
    assert result.exit_code == 0, result.output
    cells = set(scores_of(out))
    assert ("quiz", "german_only", "deu_Latn") in cells
    assert ("quiz", "german_only", "eng_Latn") not in cells
    prompts = {r["language"]: r["prompt"][-1]["content"] for r in read_run(out)["samples"]}
    assert prompts["deu_Latn"].startswith("Wähle eine:")
    assert prompts["eng_Latn"].startswith("Pick one:")


def test_exemplars_from_the_data_are_held_out(
    evaluate: Callable[..., Result], plugin: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(evaluate, plugin, out, "--variants", "plain,shots")
    scores = scores_of(out)
    assert scores[("quiz", "plain", "eng_Latn")]["n"] == 4
    assert scores[("quiz", "shots", "eng_Latn")]["n"] == 3  # math#0 was the exemplar


def test_gap_to_english_and_to_the_compared_variant(
    evaluate: Callable[..., Result], plugin: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = _run(evaluate, plugin, out, "--alt-data", f"quiz:mt={plugin['mt']}")
    assert result.exit_code == 0, result.output
    gaps = json.loads((out / "gaps.json").read_text())
    machine = [g for g in gaps if g["versus"] == "variant:plain" and g["metric"] == "accuracy"]
    assert len(machine) == 1
    # the reference baseline answers the machine copy's own key: all right there too
    assert machine[0]["gap"] == 0.0 and machine[0]["n"] == 4
    english = {g["variant"] for g in gaps if g["versus"] == "language:eng_Latn"}
    assert english == {"plain"}  # german_only and machine have no English to compare with
    assert "gap in points" in result.output


def test_gap_is_measured_on_the_items_both_have(
    evaluate: Callable[..., Result], plugin: dict[str, Path], tmp_path: Path
) -> None:
    # answers from the human version, scored against the machine version's keys
    out = tmp_path / "run"
    result = _run(
        evaluate, plugin, out, "--alt-data", f"mt={plugin['mt']}", "--variants", "plain,machine"
    )
    assert result.exit_code == 0, result.output
    samples = read_run(out)["samples"]
    gold = {
        (r["variant"], r["parallel_id"]): r["gold"] for r in samples if r["language"] == "deu_Latn"
    }
    differing = [
        pid for (v, pid), g in gold.items() if v == "machine" and gold[("plain", pid)] != g
    ]
    assert differing == ["science#0"]


def test_alt_data_variant_without_its_data(
    evaluate: Callable[..., Result], plugin: dict[str, Path], tmp_path: Path
) -> None:
    default = _run(evaluate, plugin, tmp_path / "a")
    assert default.exit_code == 0
    assert "variant 'machine' needs --alt-data mt=DIR" in default.output
    asked = _run(evaluate, plugin, tmp_path / "b", "--variants", "machine")
    assert asked.exit_code == 2
    assert "--alt-data mt=DIR" in asked.output
    missing = _run(evaluate, plugin, tmp_path / "c", "--alt-data", f"mt={tmp_path / 'nowhere'}")
    assert missing.exit_code == 2 and "--alt-data mt" in missing.output


def test_suite_runs_its_tasks(
    evaluate: Callable[..., Result], plugin: dict[str, Path], tmp_path: Path
) -> None:
    suite = plugin["tasks"] / "bundle"
    suite.mkdir()
    (suite / "suite.yaml").write_text("tasks: [quiz, mgsm]\n", encoding="utf-8")
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks bundle --limit 1 --variants plain,direct",
        tasks_dir=plugin["tasks"],
        data_dir=plugin["data"],
        output=out,
    )
    assert result.exit_code == 0, result.output
    assert {task for task, _, _ in scores_of(out)} == {"quiz", "mgsm"}
    listing = evaluate("tasks", tasks_dir=plugin["tasks"])
    assert "suite bundle: quiz, mgsm" in listing.output


def test_task_literals_name_unknown_keys(
    evaluate: Callable[..., Result], plugin: dict[str, Path], tmp_path: Path
) -> None:
    path = plugin["tasks"] / "quiz" / "literals.yaml"
    path.write_text(LITERALS + 'fra_Latn: {ask: "Choisis :", akk: "x"}\n', encoding="utf-8")
    result = _run(evaluate, plugin, tmp_path / "run", "--variants", "plain")
    assert result.exit_code == 2
    assert "fra_Latn: key 'akk' is not in the eng_Latn row" in result.output
    assert f"{path}:3" in result.output


def test_tasks_lists_languages_and_variants(evaluate: Callable[..., Result]) -> None:
    result = evaluate("tasks")
    assert result.exit_code == 0
    assert "(122) acm_Arab" in result.output
    assert "native_cot*" in result.output and "five_shot" in result.output
