"""Shared fixtures. Tests never touch the network: the hub libraries are put offline."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from harness.cli import main

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("POLYEVAL_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real benchmark data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def evaluate(tmp_path: Path) -> Callable[..., Result]:
    """Run `evaluate ...` in-process with a private cache and results folder."""

    def run(*args: str, cache: Path | None = None) -> Result:
        argv = list(args)
        if args and args[0] == "run":
            argv += ["--cache", str(cache or tmp_path / "cache.sqlite")]
            if "--output" not in args:
                argv += ["--results-dir", str(tmp_path / "results")]
        return CliRunner().invoke(main, argv, catch_exceptions=False)

    return run


def read_run(run_dir: Path) -> dict[str, Any]:
    return {
        "manifest": json.loads((run_dir / "manifest.json").read_text()),
        "scores": json.loads((run_dir / "scores.json").read_text()),
        "samples": [json.loads(line) for line in (run_dir / "samples.jsonl").open()],
    }


def scores_of(
    run_dir: Path, metric: str = "accuracy"
) -> dict[tuple[str, str, str], dict[str, Any]]:
    records = json.loads((run_dir / "scores.json").read_text())
    return {(r["task"], r["variant"], r["language"]): r for r in records if r["metric"] == metric}
