"""A user's multiple-choice file scored by log-likelihood: `loglikelihood:` in its YAML file
(or `-T loglikelihood=...`) picks the formulation, which becomes the run's variant."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from harness.registry import TaskRegistry
from tests.conftest import assert_one_line_error, read_run, scores_of


def _data(tmp_path: Path) -> Path:
    path = tmp_path / "hy.csv"
    shutil.copy(TaskRegistry().get("mcq").folder / "sample" / "hye_Armn.csv", path)
    return path


def test_the_yaml_file_picks_the_formulation(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    _data(tmp_path)
    task = tmp_path / "syn.yaml"
    task.write_text(
        "task: mcq\nfile: hy.csv\nlanguage: hy\nloglikelihood: cloze\n"
        "columns: {choices: [A, B, C, D]}\n"
    )
    out = tmp_path / "run"
    result = evaluate(f"run --model baseline:reference --tasks {task}", output=out)
    assert result.exit_code == 0, result.output
    assert "consistency: not applicable to syn/cloze" in " ".join(result.output.split())
    run = read_run(out)
    assert set(run["manifest"]["tasks"]["syn"]["variants"]) == {"cloze"}
    assert run["manifest"]["tasks"]["syn"]["user_task"]["settings"]["loglikelihood"] == "cloze"
    sample = run["samples"][0]
    assert sample["continuations"] == [f" {choice}" for choice in sample["choices"]]
    assert {r["value"] for r in scores_of(out, "acc").values()} == {1.0}


def test_an_unknown_formulation_is_one_line(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    data = _data(tmp_path)
    result = evaluate(
        f"run --model baseline:reference --tasks mcq --data-file {data} -T language=hy "
        "-T loglikelihood=klose",
        output=tmp_path / "run",
    )
    assert_one_line_error(result, "-T loglikelihood=klose", "did you mean 'cloze'")
