"""`evaluate export`: a run's tables as CSV, Parquet and JSON (harness.analysis.export)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import Result

from harness.analysis.export import TABLES, load_table, read_table
from harness.record import SUMMARY
from tests.conftest import assert_one_line_error, read_run

RUN = "run --model baseline:random --tasks mgsm,belebele --source sample --limit 10"


@pytest.fixture
def run_dir(evaluate: Callable[..., Result], tmp_path: Path) -> Path:
    result = evaluate(RUN)
    assert result.exit_code == 0, result.output
    (found,) = (tmp_path / "results").iterdir()
    return found


def plain(value: Any) -> Any:
    """A cell as every format gives it back: missing as None, numbers as rounded floats
    (CSV reads "12" back as 12), the rest as text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return str(value)
    try:
        return round(float(value), 9)
    except (TypeError, ValueError):
        return str(value)


def rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [tuple(plain(v) for v in row) for row in frame.itertuples(index=False)]


def test_export_cli_writes_every_table_of_a_real_run(
    evaluate: Callable[..., Result], run_dir: Path, tmp_path: Path
) -> None:
    written = json.loads((run_dir / SUMMARY).read_text(encoding="utf-8"))
    (run_dir / SUMMARY).unlink()  # as in runs made before summaries were written
    out = tmp_path / "out"
    result = evaluate("export", str(run_dir), out=out)
    assert result.exit_code == 0, result.output
    for table in TABLES:
        assert f"{out / f'{table}.csv'}: {table}," in result.output
    run = read_run(run_dir)
    scores = pd.read_csv(out / "scores.csv")
    assert len(scores) == len(run["scores"])
    assert list(scores.columns[:4]) == ["run", "model", "task", "variant"]
    assert set(scores["model"]) == {"baseline:random"}
    assert set(scores["run"]) == {run["manifest"]["run_id"]}
    assert set(scores["task"]) == {"mgsm", "belebele"}
    samples = pd.read_csv(out / "samples.csv")
    assert len(samples) == len(run["samples"])
    assert samples["scores.accuracy"].mean() == pytest.approx(
        sum(s["scores"]["accuracy"] for s in run["samples"]) / len(run["samples"])
    )
    json.loads(samples["prompt"][0])  # the chat prompt is kept as JSON text
    # without a summary.json the summary is computed from the samples: the same records,
    # and nothing is written into the run folder
    summary = pd.read_csv(out / "summary.csv")
    macro = summary[(summary["kind"] == "macro") & (summary["metric"] == "accuracy")]
    assert set(macro["task"]) == {"mgsm", "belebele"}
    assert len(summary) == len(written)
    assert not (run_dir / SUMMARY).exists()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json"])
def test_every_table_round_trips(
    evaluate: Callable[..., Result], run_dir: Path, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / fmt
    result = evaluate("export", str(run_dir), format=fmt, out=out)
    assert result.exit_code == 0, result.output
    for table in TABLES:
        frame = load_table([run_dir], table)
        back = read_table(out / f"{table}.{fmt}", fmt)
        assert list(back.columns) == list(frame.columns), table
        assert rows(back) == rows(frame), table
        assert len(back) > 0, table
        if fmt == "parquet":
            pd.testing.assert_frame_equal(back, frame)


def test_several_runs_stack_with_a_run_column(
    evaluate: Callable[..., Result], run_dir: Path, tmp_path: Path
) -> None:
    assert evaluate(RUN.replace("mgsm,belebele", "mgsm")).exit_code == 0
    second = next(p for p in (tmp_path / "results").iterdir() if p != run_dir)
    by_id = tmp_path / "by-id"
    result = evaluate(
        "export",
        run_dir.name,
        second.name,
        "--table",
        "scores",
        format="json",
        out=by_id,
        results_dir=tmp_path / "results",
    )
    assert result.exit_code == 0, result.output
    scores = json.loads((by_id / "scores.json").read_text(encoding="utf-8"))
    assert len(scores) == len(read_run(run_dir)["scores"]) + len(read_run(second)["scores"])
    out = tmp_path / "out"
    result = evaluate("export", str(run_dir), str(second), table="summary", format="json", out=out)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {r["run"] for r in summary} == {run_dir.name, second.name}
    written = json.loads((second / SUMMARY).read_text(encoding="utf-8"))
    exported = [r for r in summary if r["run"] == second.name]
    assert len(exported) == len(written)
    for mine, theirs in zip(exported, written, strict=True):
        assert mine["model"] == "baseline:random"
        assert {k: v for k, v in mine.items() if k in theirs} == theirs
        assert all(
            v is None for k, v in mine.items() if k not in theirs and k not in ("run", "model")
        )
    assert not (out / "scores.json").exists() and not (by_id / "summary.json").exists()


def test_export_errors_are_one_line(
    evaluate: Callable[..., Result], run_dir: Path, tmp_path: Path
) -> None:
    assert_one_line_error(evaluate("export", str(tmp_path / "nope")), "no finished run", "nope")
    assert_one_line_error(evaluate("export", str(run_dir), format="xlsx"), "unknown format", "xlsx")
    assert_one_line_error(evaluate("export", str(run_dir), table="answers"), "unknown table")
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    assert_one_line_error(evaluate("export", str(run_dir), out=blocker), "not a folder")
    assert_one_line_error(
        evaluate("export", str(run_dir), out=blocker / "sub"), "cannot create the folder"
    )
