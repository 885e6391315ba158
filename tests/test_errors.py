"""Bad input: one line naming what is wrong and where, a non-zero exit, no traceback."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import REPO, assert_one_line_error, run_process


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--tasks", "nosuchtask"), ("unknown task 'nosuchtask'", "mgsm")),
        (("--tasks", "mgsm", "--languages", "xx"), ("unknown language 'xx'",)),
        (("--tasks", "mgsm", "--languages", "urd_Arab"), ("urd_Arab", "mgsm")),
        (("--tasks", "mgsm", "--variants", "zero_shot_cot"), ("variant 'zero_shot_cot'",)),
        (("--model", "nosuch:model"), ("unknown model kind 'nosuch'",)),
        (("--model", "baseline:oracle"), ("unknown baseline 'oracle'",)),
        (("--model", "random"), ("KIND:NAME",)),
    ],
)
def test_unknown_names(
    evaluate: Callable[..., Result], args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    argv = ["run", *args]
    if "--model" not in args:
        argv += ["--model", "baseline:random"]
    if "--tasks" not in args:
        argv += ["--tasks", "mgsm"]
    assert_one_line_error(evaluate(*argv), *fragments)


@pytest.mark.parametrize(
    ("task", "filename", "old", "new", "expected"),
    [
        (
            "mgsm",
            "task.yaml",
            "parser: number",
            "parsr: number",
            "unknown field 'parsr'; did you mean 'parser'?",
        ),
        ("mgsm", "task.yaml", "kind: short_answer", "kind: essay", "field 'kind': Input should be"),
        (
            "mgsm",
            "task.yaml",
            "    target: rationale\n",
            "    targt: rationale\n",
            "unknown field 'variants.native_cot.targt'; did you mean 'target'?",
        ),
        (
            "mgsm",
            "task.yaml",
            "    quoting: false    #",
            "    quotng: false    #",
            "unknown field 'data.local.quotng'; did you mean 'quoting'?",
        ),
        (
            "belebele",
            "belebele.j2",
            "{{ question }}",
            "{{ questoin }}",
            "undefined template variable: 'questoin' is undefined",
        ),
    ],
)
def test_a_broken_task_file_is_named_with_its_line(
    evaluate: Callable[..., Result],
    tmp_path: Path,
    task: str,
    filename: str,
    old: str,
    new: str,
    expected: str,
) -> None:
    folder = tmp_path / "tasks" / task
    shutil.copytree(REPO / "tasks" / task, folder)
    original = folder / filename if (folder / filename).exists() else REPO / "prompts" / filename
    text = original.read_text()
    assert text.count(old) == 1
    edited = text.replace(old, new)
    (folder / filename).write_text(edited)  # a task's own template wins over prompts/
    line = edited[: edited.index(new)].count("\n") + 1
    assert_one_line_error(
        evaluate(f"run --model baseline:random --tasks {task}", tasks_dir=tmp_path / "tasks"),
        f"{folder / filename}:{line}",
        expected,
    )


def test_data_file_missing_a_column_names_file_and_line(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    data = tmp_path / "data" / "belebele" / "data"
    data.mkdir(parents=True)
    rows = [
        json.loads(line)
        for line in (REPO / "tasks/belebele/sample/data/eng_Latn.jsonl").read_text().splitlines()
    ]
    del rows[2]["mc_answer3"]
    (data / "eng_Latn.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert_one_line_error(
        evaluate("run --model baseline:random --tasks belebele", data_dir=tmp_path / "data"),
        f"{data / 'eng_Latn.jsonl'}:3",
        "missing column 'mc_answer3'",
    )


def test_tsv_row_with_too_many_columns_names_file_and_line(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "data" / "mgsm"
    folder.mkdir(parents=True)
    (folder / "mgsm_en.tsv").write_text("What is 2+2?\t4\nWhat is 3+3?\t6\textra\n")
    assert_one_line_error(
        evaluate(
            "run --model baseline:random --tasks mgsm --languages en --variants direct",
            data_dir=tmp_path / "data",
        ),
        f"{folder / 'mgsm_en.tsv'}:2",
        "expected 2 columns",
    )


def test_the_installed_command_prints_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    result = run_process(
        "run --model baseline:random --tasks nosuchtask", tmp_path, cache=tmp_path / "c.sqlite"
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_duplicate_sample_ids_are_an_error_naming_both_rows(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "data" / "belebele" / "data"
    folder.mkdir(parents=True)
    lines = (REPO / "tasks/belebele/sample/data/eng_Latn.jsonl").read_text().splitlines()
    (folder / "eng_Latn.jsonl").write_text("\n".join([*lines, lines[0]]) + "\n")
    path = folder / "eng_Latn.jsonl"
    assert_one_line_error(
        evaluate("run --model baseline:random --tasks belebele", data_dir=tmp_path / "data"),
        f"{path}:{len(lines) + 1}: duplicate sample id",
        f"first at {path}:1",
    )
