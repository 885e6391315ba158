"""Task hooks are typed and checked when they load; shared helpers are a package; a task's family
is declared in its task.yaml, recorded in the run and read by the site."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from harness.errors import PolyevalError
from harness.families import FAMILIES, family_of
from harness.hooks import PARAMETERS, TaskHooks
from harness.registry import TaskRegistry
from tests.conftest import REPO, assert_one_line_error

Evaluate = Callable[..., Result]


def _task_with_hooks(tmp_path: Path, source: str, name: str = "mgsm") -> Path:
    folder = tmp_path / "tasks" / name
    shutil.copytree(REPO / "tasks" / name, folder)
    (folder / "task.py").write_text(source)
    return folder


def test_every_shipped_task_loads_its_hooks() -> None:
    registry = TaskRegistry()
    for name in registry.folders():
        hooks = registry.get(name).hooks
        assert isinstance(hooks, TaskHooks)
    assert registry.get("mgsm").hooks.exemplars is not None
    assert registry.get("tempreason").hooks.process_record is not None
    assert registry.get("flores").hooks == TaskHooks()  # no task.py


@pytest.mark.parametrize(
    ("source", "fragments"),
    [
        ("def process_record(record):\n    return record\n", ["process_record(record)", ":1"]),
        (
            "\n\ndef exemplars(source, language):\n    return []\n",
            ["cannot be called with (source, language, code, variant)", ":3"],
        ),
        ("process_record = 3\n", ["process_record must be a function"]),
        (
            "def process_records(record, language):\n    return record\n",
            ["process_records() is not a hook: did you mean process_record()?"],
        ),
    ],
)
def test_a_hook_of_the_wrong_shape_is_one_line_naming_the_file(
    evaluate: Evaluate, tmp_path: Path, source: str, fragments: list[str]
) -> None:
    folder = _task_with_hooks(tmp_path, source)
    result = evaluate(
        "run --model baseline:random --tasks mgsm --source sample --limit 1",
        tasks_dir=tmp_path / "tasks",
    )
    assert_one_line_error(result, str(folder / "task.py"), *fragments)


def test_hooks_with_defaults_or_other_names_still_load(tmp_path: Path) -> None:
    source = (
        "from typing import Any\n\n"
        "def process_record(row: dict[str, Any], lang: str, strict: bool = False) -> Any:\n"
        "    return row\n\n"
        "def references() -> dict[str, str]:\n    return {}\n"
    )
    folder = _task_with_hooks(tmp_path, source)
    task = TaskRegistry([tmp_path / "tasks"]).get("mgsm")
    assert task.folder == folder and task.hooks.process_record is not None
    assert task.hook("exemplars") is None
    assert set(PARAMETERS) == {"process_record", "exemplars"}


def test_an_unknown_family_is_a_schema_error(tmp_path: Path) -> None:
    folder = tmp_path / "tasks" / "mgsm"
    shutil.copytree(REPO / "tasks" / "mgsm", folder)
    spec = folder / "task.yaml"
    spec.write_text(spec.read_text().replace("family: reasoning", "family: reasonning"))
    with pytest.raises(PolyevalError, match="family") as caught:
        TaskRegistry([tmp_path / "tasks"]).get("mgsm")
    assert "task.yaml" in str(caught.value.where)


def test_the_family_follows_kind_and_metrics_unless_declared() -> None:
    assert family_of("translation", ["chrf"]) == "translation"
    assert family_of("short_answer", ["temporal_f1"]) == "temporal"
    assert family_of("short_answer", ["accuracy"]) == "translated QA"
    assert family_of("short_answer", ["accuracy"], "reasoning") == "reasoning"
    assert family_of("short_answer", ["line_pass"]) == "language confusion"
    assert set(FAMILIES) >= {"reasoning", "temporal"}


def test_a_declared_family_reaches_the_run_and_the_site(evaluate: Evaluate, tmp_path: Path) -> None:
    # a short-answer task that declares itself temporal: neither its kind nor its metric says so
    folder = tmp_path / "tasks" / "mgsm"
    shutil.copytree(REPO / "tasks" / "mgsm", folder)
    spec = folder / "task.yaml"
    spec.write_text(spec.read_text().replace("family: reasoning", "family: temporal"))
    out = tmp_path / "results" / "run"
    result = evaluate(
        "run --model baseline:reference --tasks mgsm --source sample --limit 2",
        tasks_dir=tmp_path / "tasks",
        output=out,
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tasks"]["mgsm"]["family"] == "temporal"
    site = tmp_path / "site"
    built = evaluate("leaderboard", results=tmp_path / "results", out=site)
    assert built.exit_code == 0, built.output
    overview = (site / "index.html").read_text()
    assert 'class="fam-temporal' in overview and "fam-reasoning" not in overview
