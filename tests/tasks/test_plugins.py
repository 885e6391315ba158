"""External task plugins: a pip-installable package that declares the `polyeval.tasks` entry
point is found with no flag. The package in tests/fixtures/ is built and installed (into a
folder of its own, put on the path of a separate process) and its task is run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_process

PLUGIN = REPO / "tests" / "fixtures" / "polyeval-demo-plugin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin built and installed with pip into a target folder."""
    target = tmp_path_factory.mktemp("site-packages")
    argv = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    argv += ["--no-build-isolation", "--disable-pip-version-check", "--target", str(target)]
    result = subprocess.run(
        [*argv, str(PLUGIN)], capture_output=True, text=True, timeout=300, cwd=target
    )
    assert result.returncode == 0, result.stderr
    assert (target / "polyeval_demo_tasks" / "demo_quiz" / "task.yaml").is_file()
    return target


def _env(target: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(REPO)])}


def test_an_installed_plugin_task_is_listed_without_a_flag(installed: Path, tmp_path: Path) -> None:
    result = run_process("tasks", cwd=tmp_path, env=_env(installed))
    assert result.returncode == 0, result.stderr
    assert "demo_quiz" in result.stdout


def test_an_installed_plugin_task_runs(installed: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = run_process(
        "run --model baseline:reference --tasks demo_quiz --source sample",
        cwd=tmp_path,
        env=_env(installed),
        output=out,
        cache=tmp_path / "cache.sqlite",
    )
    assert result.returncode == 0, result.stderr
    scores = json.loads((out / "scores.json").read_text())
    accuracy = [r for r in scores if r["metric"] == "accuracy" and r["by"] is None]
    assert {r["language"] for r in accuracy} == {"eng_Latn", "deu_Latn"}
    assert all(r["value"] == 1.0 and r["n"] == 3 for r in accuracy)


def test_without_the_package_the_task_is_unknown(tmp_path: Path) -> None:
    result = run_process("tasks", cwd=tmp_path)
    assert result.returncode == 0 and "demo_quiz" not in result.stdout
