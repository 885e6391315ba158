"""Bad input: one line naming what is wrong and where, a non-zero exit, no traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import REPO


def _assert_one_line_error(result: Result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


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
    _assert_one_line_error(evaluate(*argv), *fragments)


def _copy_task(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "tasks" / name
    shutil.copytree(REPO / "tasks" / name, folder)
    return folder


def test_task_yaml_with_a_wrong_field_names_file_and_line(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    folder = _copy_task(tmp_path, "mgsm")
    text = (folder / "task.yaml").read_text().replace("parser: number", "parsr: number")
    (folder / "task.yaml").write_text(text)
    line = text.splitlines().index("parsr: number") + 1
    _assert_one_line_error(
        evaluate(
            "run",
            "--model",
            "baseline:random",
            "--tasks",
            "mgsm",
            "--tasks-dir",
            str(tmp_path / "tasks"),
        ),
        f"{folder / 'task.yaml'}:{line}",
        "unknown field 'parsr'",
    )


def test_task_yaml_with_a_bad_value_names_file_and_line(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    folder = _copy_task(tmp_path, "mgsm")
    text = (folder / "task.yaml").read_text().replace("kind: short_answer", "kind: essay")
    (folder / "task.yaml").write_text(text)
    line = text.splitlines().index("kind: essay") + 1
    _assert_one_line_error(
        evaluate(
            "run",
            "--model",
            "baseline:random",
            "--tasks",
            "mgsm",
            "--tasks-dir",
            str(tmp_path / "tasks"),
        ),
        f"task.yaml:{line}",
        "kind",
    )


def test_template_with_an_undefined_variable_names_file_and_line(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    folder = _copy_task(tmp_path, "belebele")
    template = (REPO / "prompts" / "belebele.j2").read_text()
    broken = template.replace("{{ question }}", "{{ questoin }}")
    (folder / "belebele.j2").write_text(broken)
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "questoin" in text)
    _assert_one_line_error(
        evaluate(
            "run",
            "--model",
            "baseline:random",
            "--tasks",
            "belebele",
            "--tasks-dir",
            str(tmp_path / "tasks"),
        ),
        f"belebele.j2:{line}",
        "questoin",
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
    _assert_one_line_error(
        evaluate(
            "run",
            "--model",
            "baseline:random",
            "--tasks",
            "belebele",
            "--data-dir",
            str(tmp_path / "data"),
        ),
        f"{data / 'eng_Latn.jsonl'}:3",
        "missing column 'mc_answer3'",
    )


def test_tsv_row_with_too_many_columns_names_file_and_line(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "data" / "mgsm"
    folder.mkdir(parents=True)
    (folder / "mgsm_en.tsv").write_text("What is 2+2?\t4\nWhat is 3+3?\t6\textra\n")
    _assert_one_line_error(
        evaluate(
            "run",
            "--model",
            "baseline:random",
            "--tasks",
            "mgsm",
            "--languages",
            "en",
            "--variants",
            "direct",
            "--data-dir",
            str(tmp_path / "data"),
        ),
        f"{folder / 'mgsm_en.tsv'}:2",
        "expected 2 columns",
    )


def test_the_installed_command_prints_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "run",
            "--model",
            "baseline:random",
            "--tasks",
            "nosuchtask",
            "--cache",
            str(tmp_path / "c.sqlite"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    fewshot: 8\n    target: rationale\n",
            "    fewshot: 8\n    targt: rationale\n",
            "unknown field 'variants.native_cot.targt'; did you mean 'target'?",
        ),
        (
            "    columns: [question, answer]\n    quoting: false    #",
            "    columns: [question, answer]\n    quotng: false    #",
            "unknown field 'data.local.quotng'; did you mean 'quoting'?",
        ),
    ],
)
def test_nested_unknown_field_suggests_the_right_name(
    evaluate: Callable[..., Result], tmp_path: Path, old: str, new: str, expected: str
) -> None:
    folder = _copy_task(tmp_path, "mgsm")
    text = (folder / "task.yaml").read_text()
    assert old in text
    (folder / "task.yaml").write_text(text.replace(old, new, 1))
    misspelt = expected.split("'")[1].rsplit(".", 1)[-1]
    edited = text.replace(old, new, 1).splitlines()
    line = next(i for i, t in enumerate(edited, 1) if t.strip().startswith(misspelt + ":"))
    _assert_one_line_error(
        evaluate(
            "run",
            "--model",
            "baseline:random",
            "--tasks",
            "mgsm",
            "--tasks-dir",
            str(tmp_path / "tasks"),
        ),
        f"task.yaml:{line}",
        expected,
    )
