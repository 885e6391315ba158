"""Damaged run folders and options that name nothing: each reader of a run folder validates
what it reads and stops with one line naming the file; an option that selects nothing, or a
metric the run lacks, is an error rather than an empty run or table."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from harness.analysis.export import read_table
from harness.csv_safety import _NUMBER, neutralised, restored
from tests.conftest import assert_one_line_error

Evaluate = Callable[..., Result]
RUN = "run --model baseline:random --tasks mgsm --source sample --languages en --limit 3"


@pytest.fixture
def run_dir(evaluate: Evaluate, tmp_path: Path) -> Path:
    out = tmp_path / "results" / "whole"
    result = evaluate(f"{RUN} --variants direct", output=out)
    assert result.exit_code == 0, result.output
    return out


def _damaged(run_dir: Path, name: str, text: str) -> Path:
    damaged = run_dir.parent / "damaged"
    shutil.copytree(run_dir, damaged)
    (damaged / name).write_text(text, encoding="utf-8")
    return damaged


# --- readers of a run folder -----------------------------------------------------------------

DAMAGE = [
    ("scores.json", "[1,2]"),
    ("scores.json", "[{}]"),
    ("scores.json", "{}"),
    ("summary.json", "[null]"),
    ("gaps.json", '[{"task": 1}]'),
    ("manifest.json", "[1]"),
    ("manifest.json", '{"format": "x"}'),
]


@pytest.mark.parametrize(("name", "text"), DAMAGE)
def test_show_names_the_damaged_file(
    evaluate: Evaluate, run_dir: Path, name: str, text: str
) -> None:
    """Before: `show` on a scores.json of `[1,2]` or `[{}]` gave a traceback."""
    damaged = _damaged(run_dir, name, text)
    assert_one_line_error(evaluate(f"show {damaged}"), f"{damaged / name}")


@pytest.mark.parametrize(("name", "text"), DAMAGE)
def test_export_names_the_damaged_file(
    evaluate: Evaluate, run_dir: Path, tmp_path: Path, name: str, text: str
) -> None:
    damaged = _damaged(run_dir, name, text)
    result = evaluate(f"export {damaged}", out=tmp_path / "export")
    assert_one_line_error(result, f"{damaged / name}")


@pytest.mark.parametrize(("name", "text"), [d for d in DAMAGE if d[0] != "gaps.json"])
def test_the_leaderboard_sets_a_damaged_run_aside_and_names_it(
    evaluate: Evaluate, run_dir: Path, tmp_path: Path, name: str, text: str
) -> None:
    """Before: a traceback. Now the damaged run is set aside, with the file at fault, and the
    site is built from the others; with no other run, one line says why there is none. (The
    leaderboard does not read gaps.json.)"""
    damaged = _damaged(run_dir, name, text)
    result = evaluate("leaderboard", results=run_dir.parent, out=tmp_path / "site")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    aside = [line for line in result.output.splitlines() if line.startswith("set aside")]
    assert len(aside) == 1 and aside[0].startswith(f"set aside {damaged}: {name}"), result.output
    assert "from 1 run(s)" in result.output

    shutil.rmtree(run_dir)
    result = evaluate("leaderboard", results=run_dir.parent, out=tmp_path / "site2")
    assert_one_line_error(result, "no finished runs", f"{damaged}: {name}")


def test_a_damaged_samples_file_is_named_by_its_readers(
    evaluate: Evaluate, run_dir: Path, tmp_path: Path
) -> None:
    damaged = _damaged(run_dir, "samples.jsonl", '{"task": []}\n')
    where = f"{damaged / 'samples.jsonl'}:1"
    assert_one_line_error(evaluate(f"score {damaged}", output=tmp_path / "again"), where)
    result = evaluate(f"export {damaged} --table samples", out=tmp_path / "export")
    assert_one_line_error(result, where)
    shutil.rmtree(run_dir)  # else the damaged run, as old as this one, may not be chosen
    result = evaluate("leaderboard", results=run_dir.parent, out=tmp_path / "site")
    assert_one_line_error(result, where)


# --- options that name nothing ---------------------------------------------------------------


@pytest.mark.parametrize("option", ["--tasks ''", "--tasks ,", "--languages ' '", "--variants ''"])
def test_an_option_that_names_nothing_is_an_error(evaluate: Evaluate, option: str) -> None:
    """Before: `--tasks ''` wrote an empty run and exited 0."""
    command = RUN.replace("--tasks mgsm", "" if "--tasks" in option else "--tasks mgsm")
    command = command.replace("--languages en", "" if "--languages" in option else "--languages en")
    name = option.split()[0]
    assert_one_line_error(evaluate(f"{command} {option}"), f"{name} names nothing")


def test_show_refuses_a_metric_the_run_lacks(evaluate: Evaluate, run_dir: Path) -> None:
    """Before: `show --metric blue` printed an empty table and exited 0."""
    result = evaluate(f"show {run_dir} --metric blue")
    assert_one_line_error(result, "no metric 'blue' in this run", "accuracy")
    assert evaluate(f"show {run_dir} --metric accuracy").exit_code == 0


# --- spreadsheet formulas in CSV output ------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x")', "-2+3+cmd|'/C calc'!A0", "@SUM(A1)", "\tx", "'=1"]
MODEL = "+evil-model"


def test_neutralised_cells_round_trip() -> None:
    for text in [*FORMULAS, "+1", "-12", "-1.5e3", "plain", "'quoted", "''@x", ""]:
        cell = neutralised(text)
        assert restored(cell) == text
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r") or _NUMBER.fullmatch(text)
    assert neutralised("-12") == "-12" and neutralised(3) == 3
    assert neutralised("=1") == "'=1" and neutralised("'=1") == "''=1"


def test_csv_exports_and_site_downloads_neutralise_formulas(
    evaluate: Evaluate, tmp_path: Path
) -> None:
    """Before: outputs and model names beginning with `= + - @` were written as they are into
    `evaluate export` CSV files and the site's CSV downloads (spreadsheet formulas)."""
    answers = tmp_path / "answers.jsonl"
    rows = [{"sample_id": str(i), "output": text} for i, text in enumerate(FORMULAS[:3])]
    answers.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    run = tmp_path / "results" / "formulas"
    command = RUN.replace("--model baseline:random", f"--predictions {answers} --model {MODEL}")
    result = evaluate(f"{command} --variants direct", output=run)
    assert result.exit_code == 0, result.output

    assert evaluate(f"export {run} --table samples", out=tmp_path / "export").exit_code == 0
    samples = _cells(tmp_path / "export" / "samples.csv")
    assert {f"'{text}" for text in FORMULAS[:3]} <= samples
    assert f"'{MODEL}" in samples and MODEL not in samples
    assert not any(cell[:1] in "=+@\t\r" for cell in samples if cell)
    back = read_table(tmp_path / "export" / "samples.csv", "csv")
    assert set(back["output"]) == set(FORMULAS[:3]) and set(back["model"]) == {MODEL}

    result = evaluate("leaderboard", results=tmp_path / "results", out=tmp_path / "site")
    assert result.exit_code == 0, result.output
    for table in (tmp_path / "site").rglob("*.csv"):
        cells = _cells(table)
        assert MODEL not in cells and not any(c[:1] in "=+@\t\r" for c in cells if c), table
    assert f"'{MODEL}" in _cells(tmp_path / "site" / "index.csv")


def _cells(path: Path) -> set[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {cell for row in csv.reader(handle) for cell in row}


# --- what killed writers leave ---------------------------------------------------------------


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process.pid
    process.kill()
    process.wait()


def test_a_site_build_removes_what_killed_builds_left(
    evaluate: Evaluate, run_dir: Path, tmp_path: Path, live_pid: int
) -> None:
    """Before: `.site.building-PID` folders of killed builds piled up beside the site. Now the
    next build of the site removes those of processes that are gone, and no other."""
    dead = _dead_pid()
    site = tmp_path / "site"
    assert evaluate("leaderboard", results=run_dir.parent, out=site).exit_code == 0
    left = [tmp_path / f".site.building-{dead}", tmp_path / f".site.old-{dead}"]
    kept = [tmp_path / f".site.building-{live_pid}", tmp_path / f".other.building-{dead}"]
    for folder in [*left, *kept]:
        (folder / "data").mkdir(parents=True)
    result = evaluate("leaderboard", results=run_dir.parent, out=site)
    assert result.exit_code == 0, result.output
    assert [p.exists() for p in left] == [False, False]
    assert [p.exists() for p in kept] == [True, True]


def test_a_site_set_aside_by_a_killed_build_is_put_back(
    evaluate: Evaluate, run_dir: Path, tmp_path: Path
) -> None:
    """A build killed between its two renames left the old site aside and none in place."""
    site = tmp_path / "site"
    assert evaluate("leaderboard", results=run_dir.parent, out=site).exit_code == 0
    aside = tmp_path / f".site.old-{_dead_pid()}"
    site.rename(aside)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(evaluate("leaderboard", results=empty, out=site), "no finished runs")
    assert (site / "index.html").is_file() and not aside.exists()


def test_an_export_removes_the_temporary_files_of_killed_exports(
    evaluate: Evaluate, run_dir: Path, tmp_path: Path, live_pid: int
) -> None:
    """Before: `.NAME.PID.tmp` files of killed exports piled up in the output folder."""
    out = tmp_path / "export"
    out.mkdir()
    dead = out / f".scores.csv.{_dead_pid()}.tmp"
    live = out / f".scores.csv.{live_pid}.tmp"
    other = out / f".notes.csv.{_dead_pid()}.tmp"
    for path in (dead, live, other):
        path.write_text("half", encoding="utf-8")
    assert evaluate(f"export {run_dir} --table scores", out=out).exit_code == 0
    assert (out / "scores.csv").is_file()
    assert [p.exists() for p in (dead, live, other)] == [False, True, True]
