"""Shared fixtures. Tests never touch the network: the hub libraries are put offline."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"

import json
import math
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from statistics import NormalDist
from typing import Any

import pytest
from click.testing import CliRunner, Result

from harness.cli import main

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("POLYEVAL_SHARED_DATA", REPO.parent / "shared" / "data"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`real_data`: the test reads the real benchmark files (the `shared_data` fixture); the
    quick loop is `pytest -m "not real_data and not real_model"`."""
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.real_data)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real benchmark data not found at {SHARED_DATA}")
    return SHARED_DATA


def cli_args(command: str, *args: str, **options: object) -> list[str]:
    """`"run --tasks mgsm", out, data_dir=d` -> ["run", "--tasks", "mgsm", out, "--data-dir", d]"""
    argv = [*shlex.split(command), *args]
    for name, value in options.items():
        argv += [f"--{name.replace('_', '-')}", str(value)]
    return argv


@pytest.fixture
def evaluate(tmp_path: Path) -> Callable[..., Result]:
    """Run `evaluate COMMAND ARGS --option value ...` in-process with a private cache and
    results folder: evaluate("run --model baseline:random --tasks mgsm", output=tmp_path)."""

    def run(command: str, *args: str, cache: Path | None = None, **options: object) -> Result:
        argv = cli_args(command, *args, **options)
        if argv[0] == "run":
            argv += ["--cache", str(cache or tmp_path / "cache.sqlite")]
            if "--output" not in argv:
                argv += ["--results-dir", str(tmp_path / "results")]
        return CliRunner().invoke(main, argv, catch_exceptions=False)

    return run


def process_command(command: str, **options: object) -> list[str]:
    """The argv that runs `evaluate COMMAND` in a process of its own."""
    return [sys.executable, "-m", "harness.cli", *cli_args(command, **options)]


def run_process(
    command: str, cwd: Path, env: dict[str, str] | None = None, **options: object
) -> subprocess.CompletedProcess[str]:
    env = env or {**os.environ, "PYTHONPATH": str(REPO)}
    argv = process_command(command, **options)
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def read_run(run_dir: Path) -> dict[str, Any]:
    return {
        "manifest": json.loads((run_dir / "manifest.json").read_text()),
        "scores": json.loads((run_dir / "scores.json").read_text()),
        "samples": [json.loads(line) for line in (run_dir / "samples.jsonl").open()],
    }


def scores_of(
    run_dir: Path, metric: str = "accuracy"
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Overall score records (breakdowns left out) by (task, variant, language)."""
    records = json.loads((run_dir / "scores.json").read_text())
    return {
        (r["task"], r["variant"], r["language"]): r
        for r in records
        if r["metric"] == metric and r.get("by") is None
    }


def assert_chance(records: list[dict[str, Any]], chance: float) -> None:
    """Each cell within its 95% interval of chance, Bonferroni-corrected for the number of
    cells (one cell in twenty outside a plain 95% interval is what chance does), and all
    cells together within the plain 95% interval."""
    z = NormalDist().inv_cdf(1 - 0.025 / len(records))
    for record in records:
        half = z * math.sqrt(chance * (1 - chance) / record["n"])
        assert abs(record["value"] - chance) <= half, record
    n = sum(r["n"] for r in records)
    pooled = sum(r["value"] * r["n"] for r in records) / n
    assert abs(pooled - chance) <= 1.96 * math.sqrt(chance * (1 - chance) / n), pooled


def assert_one_line_error(result: Result, *fragments: str) -> str:
    """Bad input: exit code 2, no traceback, one `error:` line holding every fragment."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
