"""Task authoring: `evaluate validate` lists every problem with file:line; `evaluate new-task`
scaffolds a task of each kind that validates out of the box."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import REPO

KINDS = ("multiple_choice", "short_answer", "extractive_qa", "translation")


@pytest.mark.parametrize("task", ["xcopa", "mcq", "flores_v1"])
def test_a_correct_task_validates(evaluate: Callable[..., Result], task: str) -> None:
    result = evaluate("validate", str(REPO / "tasks" / task))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")


def test_three_planted_mistakes_are_all_reported_with_file_and_line(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "mcq"
    shutil.copytree(REPO / "tasks" / "mcq", folder)
    spec = folder / "task.yaml"
    text = spec.read_text().replace("parser: choice", "parser: choice\nmetrik: [accuracy]")
    text = text.replace("template: mcq.j2\n  en_instruction", "template: own.j2\n  en_instruction")
    spec.write_text(text)
    template = (REPO / "prompts" / "mcq.j2").read_text()
    template = template.replace("{{ lit.question }}", "{{ lit.question }} {{ topic }}")
    (folder / "own.j2").write_text(template)
    data = folder / "sample" / "eng_Latn.csv"
    rows = data.read_text().splitlines()
    rows[2] = rows[2][: rows[2].rstrip().rfind(",")] + ",E"  # 4 options: E is none of them
    data.write_text("\n".join(rows) + "\n")

    result = evaluate("validate", str(folder))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    metrik_line = text.splitlines().index("metrik: [accuracy]") + 1
    assert f"{spec}:{metrik_line}: unknown field 'metrik'; did you mean 'metrics'?" in lines
    topic_line = template.splitlines().index(
        next(line for line in template.splitlines() if "topic" in line)
    )
    assert any(
        line.startswith(f"{folder / 'own.j2'}:{topic_line + 1}: ") and "'topic'" in line
        for line in lines
    ), lines
    assert any(
        line.startswith(f"{data}:3: ") and "'E'" in line and "not among" in line for line in lines
    ), lines


def test_an_imperfect_reference_score_is_reported(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "short_answer"
    shutil.copytree(REPO / "tasks" / "short_answer", folder)
    spec = folder / "task.yaml"
    spec.write_text(spec.read_text().replace("parser: span", "parser: choice"))
    result = evaluate("validate", str(folder / "task.yaml"))
    assert result.exit_code == 1
    assert "baseline:reference scores accuracy" in result.output


@pytest.mark.parametrize("kind", KINDS)
def test_a_scaffold_of_each_kind_validates(
    evaluate: Callable[..., Result], tmp_path: Path, kind: str
) -> None:
    name = f"my_{kind}"
    result = evaluate("new-task", name, kind=kind, tasks_dir=tmp_path)
    assert result.exit_code == 0, result.output
    folder = tmp_path / name
    assert {"task.yaml", f"{name}.j2", f"test_{name}.py", "sample"} <= {
        p.name for p in folder.iterdir()
    }
    spec = (folder / "task.yaml").read_text()
    assert all("#" in line for line in spec.splitlines() if line[:1].isalpha())
    result = evaluate("validate", str(folder))
    assert result.exit_code == 0, result.output


def test_the_scaffolds_own_test_passes(evaluate: Callable[..., Result], tmp_path: Path) -> None:
    evaluate("new-task", "demo", kind="multiple_choice", tasks_dir=tmp_path)
    test = tmp_path / "demo" / "test_demo.py"
    run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)]
    result = subprocess.run(run, capture_output=True, text=True, cwd=REPO, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_new_task_refuses_an_existing_folder_and_a_bad_name(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    (tmp_path / "taken").mkdir()
    result = evaluate("new-task", "taken", kind="translation", tasks_dir=tmp_path)
    assert result.exit_code == 2 and "already exists" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = evaluate("new-task", "Bad-Name", kind="translation", tasks_dir=tmp_path)
    assert result.exit_code == 2 and "must match" in result.output
