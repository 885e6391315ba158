"""What the command line prints reads at any width: tables that fit the terminal (one per task,
or in long format, where one would not), never a cell cut to `…`; `--format json|csv` for
scripts; a progress bar for scoring; failed requests listed with their cause; request counts
that say how each request got its answer."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.cells import cell_len

from harness.cli import main
from tests.conftest import assert_one_line_error, cli_args, read_run
from tests.fake_server import FakeServer, FaultPlan

TASKS = "mgsm,belebele,mtempreason,flores_v1,dzen,tempreason"
WIDTHS = (60, 80, 120, 200)
Show = Callable[..., Result]


def at_width(width: int, command: str, *args: str, **options: object) -> Result:
    """`evaluate COMMAND` with a terminal `width` columns wide (rich reads COLUMNS)."""
    argv = cli_args(command, *args, **options)
    return CliRunner().invoke(main, argv, env={"COLUMNS": str(width)}, catch_exceptions=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Two runs of several tasks (many languages, variants, breakdowns): random and majority."""
    folder = tmp_path_factory.mktemp("runs")
    found = {}
    for model in ("random", "majority"):
        out = folder / model
        result = at_width(
            80,
            f"run --model baseline:{model} --tasks {TASKS} --source sample --limit 3",
            output=out,
            cache=folder / "cache.sqlite",
        )
        assert result.exit_code == 0, result.output
        found[model] = out
    yield found


def _table_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line[:1] in "┏┃┡│├└"]


def _cells(output: str) -> list[str]:
    return [cell.strip() for line in _table_lines(output) for cell in line.split("│")[1:-1]]


@pytest.mark.parametrize("width", WIDTHS)
def test_show_fits_any_width_and_cuts_no_cell(runs: dict[str, Path], width: int) -> None:
    result = at_width(width, "show", str(runs["random"]))
    assert result.exit_code == 0, result.output
    assert max(cell_len(line) for line in _table_lines(result.output)) <= width
    assert "…" not in result.output
    cells = _cells(result.output)
    # every cell of the run's primary metric is shown, with its n
    scores = json.loads((runs["random"] / "scores.json").read_text())
    shown = {r["n"] for r in scores if r["metric"] == "accuracy" and r["by"] is None}
    assert all(any(f"n={n}" in cell for cell in cells) for n in shown)


def test_a_table_too_wide_becomes_one_per_task_then_long_format(runs: dict[str, Path]) -> None:
    wide = at_width(400, "show", str(runs["random"]), metric="temporal_exact_match").output
    assert "mtempreason/zero_shot" in wide and "tempreason/zero_shot" in wide  # one table
    per_task = at_width(200, "show", str(runs["random"]), metric="temporal_exact_match").output
    titles = [line for line in per_task.splitlines() if "(95% interval)" in line]
    assert titles[0].startswith("mtempreason: ") and titles[1].startswith("tempreason: ")
    assert "zero_shot" in per_task and "mtempreason/zero_shot" not in per_task
    long = at_width(80, "show", str(runs["random"]), metric="temporal_exact_match").output
    rows = [line for line in long.splitlines() if "deu_Latn German" in line]
    variants = {"fewshot_cross_lingual", "fewshot_english", "fewshot_in_language", "zero_shot"}
    # long format: one row per language and variant, each whole on its line
    assert variants <= {cell.strip() for line in rows for cell in line.split("│")}


@pytest.mark.parametrize("width", (80, 200))
def test_show_by_level_reads_at_80_and_200_columns(runs: dict[str, Path], width: int) -> None:
    result = at_width(width, "show", str(runs["random"]), by="level")
    assert result.exit_code == 0, result.output
    assert max(cell_len(line) for line in _table_lines(result.output)) <= width
    assert "…" not in result.output
    assert "chrf by level" not in result.output  # no empty table for a metric without levels
    chrf = at_width(width, "show", str(runs["random"]), by="level", metric="chrf")
    assert_one_line_error(chrf, "--by", "no chrf scores by level")
    levels = {r["group"] for r in _json(runs["random"], "--by", "level")}
    assert levels and all(
        f"│ {level} " in result.output or f" {level} ┃" in result.output for level in levels
    )


def test_compare_keeps_task_and_variant_names_apart(runs: dict[str, Path]) -> None:
    a, b = str(runs["random"]), str(runs["majority"])
    for width in (80, 120):
        result = at_width(width, "compare", a, b)
        assert result.exit_code == 0, result.output
        assert max(cell_len(line) for line in _table_lines(result.output)) <= width
        assert "…" not in result.output
    found = json.loads(at_width(80, "compare", a, b, format="json").output)
    table = at_width(120, "compare", a, b).output
    for row in found:  # each task and variant named whole where its rows are
        task, variant = row["task"], row["variant"]
        titled = f"{task} (" in table or f"{task}: " in table
        assert f"{task}/{variant}" in table or (titled and variant in table)
    names = {(row["task"], row["variant"]) for row in found}
    assert ("mtempreason", "fewshot_in_language") in names and ("tempreason", "zero_shot") in names


def _json(run: Path, *args: str) -> list[dict[str, object]]:
    result = at_width(40, "show", str(run), *args, "--format", "json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.output)
    return rows


def test_show_json_and_csv_hold_every_row_whole(runs: dict[str, Path]) -> None:
    scores = json.loads((runs["random"] / "scores.json").read_text())
    wanted = {
        (r["task"], r["variant"], r["language"], r["metric"])
        for r in scores
        if r["by"] is None and r["metric"] in ("accuracy", "chrf", "temporal_exact_match")
    }
    rows = _json(runs["random"])
    assert wanted <= {(r["task"], r["variant"], r["language"], r["metric"]) for r in rows}
    assert {r["metric"] for r in rows} >= {"accuracy", "consistency"}
    by_key = {(r["task"], r["variant"], r["language"], r["metric"], r["by"]): r for r in scores}
    for row in rows:
        key = (row["task"], row["variant"], row["language"], row["metric"], row["by"])
        if key in by_key:  # full precision, as in scores.json
            assert row["value"] == by_key[key]["value"] and row["n"] == by_key[key]["n"]
    text = at_width(40, "show", str(runs["random"]), format="csv").output
    table = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0].startswith("task,variant,language,metric,by,group,value,n")
    assert len(table) == len(rows)
    assert [(r["task"], r["variant"], r["language"]) for r in table] == [
        (r["task"], r["variant"], r["language"]) for r in rows
    ]
    level = _json(runs["random"], "--by", "level", "--metric", "temporal_exact_match")
    expected = [r for r in scores if r["by"] == "level" and r["metric"] == "temporal_exact_match"]
    assert len(level) == len(expected) > 0 and {r["by"] for r in level} == {"level"}


def test_compare_json_and_csv_hold_every_comparison(runs: dict[str, Path]) -> None:
    a, b = str(runs["random"]), str(runs["majority"])
    rows = json.loads(at_width(40, "compare", a, b, format="json").output)
    assert rows == json.loads(at_width(40, "compare", a, b, "--json").output)
    text = at_width(40, "compare", a, b, format="csv").output
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == len(rows) > 10
    assert list(table[0]) == list(rows[0])
    assert [float(r["delta"]) for r in table] == [r["delta"] for r in rows]


def test_a_run_reports_its_scoring_stage_and_counts_from_the_cache_on_a_rerun(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    command = f"run --model baseline:random --tasks {TASKS} --source sample --limit 3"
    cache = runs["random"].parent / "cache.sqlite"
    result = at_width(100, command, output=tmp_path / "again", cache=cache)
    assert result.exit_code == 0, result.output
    samples = len(read_run(tmp_path / "again")["samples"])
    assert "scoring answers" in result.output and f"{samples}/{samples}" in result.output
    assert "corpus metrics" in result.output  # flores_v1: its corpora scored after
    assert "scoring answers" in result.stderr and "scoring answers" not in result.stdout
    assert "(95% interval)" in result.stdout  # the tables: standard output
    line = next(line for line in result.output.splitlines() if " requests: " in line)
    assert line == f"{samples} requests: {samples} answered from the cache; none failed"
    assert "sent" not in line


def test_score_and_predictions_say_nothing_was_sent(runs: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    result = at_width(100, "score", str(runs["random"]), output=copy)
    assert result.exit_code == 0, result.output
    assert "sent" not in result.output and "scored " in result.output
    assert "asking no model" in result.output
    answers = runs["random"] / "samples.jsonl"
    result = at_width(
        300,
        f"run --tasks {TASKS} --source sample --limit 3",
        predictions=answers,
        output=tmp_path / "predicted",
    )
    assert result.exit_code == 0, result.output
    assert "sent" not in result.output
    n = len(read_run(runs["random"])["samples"])
    assert f"{n} requests: {n} answered from {answers}; none failed" in result.output


def _user_task(path: Path, questions: list[str]) -> list[str]:
    """A multiple-choice user task of these questions (repeat one: identical prompts)."""
    lines = ["q,a,b,c,d,gold", *(f"{q},one,two,three,four,A" for q in questions)]
    path.write_text("\n".join(lines) + "\n")
    options = ("question=q", "choices=a,b,c,d", "answer=gold", "language=hye_Armn")
    return [*(arg for option in options for arg in ("-T", option)), "--data-file", str(path)]


def test_identical_prompts_are_counted_as_shared_not_sent(tmp_path: Path) -> None:
    task = _user_task(tmp_path / "dup.csv", ["Same?", "Same?", "Same?", "Other?"])
    server = FakeServer().start_in_thread()
    try:
        result = at_width(
            100,
            "run --model openai:fake --tasks mcq --temperature 0",
            *task,
            base_url=server.base_url,
            output=tmp_path / "run",
            cache=tmp_path / "cache.sqlite",
        )
    finally:
        server.stop_thread()
    assert result.exit_code == 0, result.output
    assert len(server.bodies) == 2
    assert (
        "4 requests: 2 sent to the model, 2 shared with an identical prompt (sent once); "
        "none failed"
    ) in result.output


def test_failed_requests_are_listed_with_their_cause(tmp_path: Path) -> None:
    task = _user_task(tmp_path / "many.csv", [f"Question {i}?" for i in range(24)])
    server = FakeServer(faults=FaultPlan(always=0.5, seed=3)).start_in_thread()
    out = tmp_path / "run"
    try:
        result = at_width(
            400,
            "run --model openai:fake --tasks mcq --max-attempts 1",
            *task,
            base_url=server.base_url,
            output=out,
            cache=tmp_path / "cache.sqlite",
        )
    finally:
        server.stop_thread()
    assert result.exit_code == 3, result.output
    failed = [s for s in read_run(out)["samples"] if s["output"] is None]
    assert len(failed) > 5
    lines = result.output.splitlines()
    start = lines.index(f"{len(failed)} requests failed:")
    listed = lines[start + 1 : start + 6]
    for line, sample in zip(listed, failed[:5], strict=True):
        where = f"many/zero_shot/hye_Armn {sample['sample_id']}: "
        assert line.startswith(f"  {where}") and "500" in line, line
        assert line.strip().endswith(" ".join(sample["error"].split())[-20:])
    assert lines[start + 6] == f"  and {len(failed) - 5} more"
    assert "requests failed" not in result.output.replace(f"{len(failed)} requests failed:", "")
    assert "run the same command again to ask only the" in result.output
    shown = at_width(400, "show", str(out)).output
    assert f"note: an incomplete run: {len(failed)} of 24 requests failed" in shown
    assert listed[0] in shown.splitlines()


def test_counts_are_in_the_singular_for_one() -> None:
    from harness.wording import counted

    assert counted(1, "language") == "1 language" and counted(2, "language") == "2 languages"
    assert counted(0, "request") == "0 requests"
