"""A sweep file made into cells (ids, arguments, shards, the plan), its mistakes as one-line
errors, what a relaunch runs, and collect's duplicates, refusals and cache merge; all in this
process, without running a sweep's cells."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from harness.cli import main
from harness.generation.cache import CacheError, ResponseCache
from harness.records import Response
from harness.sweep.cells import plan_sweep, to_run
from harness.sweep.executors import submitit_parameters
from harness.sweep.spec import SweepSpec, load_sweep
from tests.conftest import assert_one_line_error
from tests.sweep.sweeps import sweep_data, write_sweep

URL = "http://127.0.0.1:9/v1"


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _plan(tmp_path: Path, data: dict[str, Any]) -> dict[str, Any]:
    sweep_file = write_sweep(tmp_path / "sweep.yaml", data)
    result = _invoke("sweep", str(sweep_file), "--dry-run")
    assert result.exit_code == 0, result.output
    plan: dict[str, Any] = json.loads((Path(data["output"]) / "sweep.json").read_text())
    return plan


def test_a_sweep_file_becomes_cells_with_deterministic_ids(tmp_path: Path) -> None:
    out = tmp_path / "out"
    plan = _plan(tmp_path, sweep_data(URL, out))
    cells = {cell["id"]: cell for cell in plan["cells"]}
    assert list(cells) == [
        f"{model}__{part}"
        for model in ("baseline-random", "baseline-reference", "openai-fake-model")
        for part in ("core", "nli__1of2", "nli__2of2")
    ]
    first, second = cells["baseline-random__nli__1of2"], cells["baseline-random__nli__2of2"]
    assert first["args"][first["args"].index("--languages") + 1] == "en,de,fr"
    assert second["args"][second["args"].index("--languages") + 1] == "hi,ur"
    assert first["merged"] == second["merged"] == "baseline-random__nli"
    assert (first["shard"], first["shards"]) == (1, 2)
    served = cells["openai-fake-model__core"]
    assert served["args"] == [
        "run",
        "--model",
        "openai:fake-model",
        "--tasks",
        "belebele,xcopa,mgsm",
        "--source",
        "sample",
        "--limit",
        "2",
        "--base-url",
        URL,
        "--timeout",
        "60",
    ]
    assert served["folder"] == "cells/openai-fake-model__core"
    assert served["cache"] == "caches/openai-fake-model__core.sqlite"
    assert served["command"].endswith(
        f"--output {out}/cells/openai-fake-model__core "
        f"--cache {out}/caches/openai-fake-model__core.sqlite --overwrite"
    )
    # the same file, the same plan
    again = _plan(tmp_path, sweep_data(URL, out))
    assert [c["args"] for c in again["cells"]] == [c["args"] for c in plan["cells"]]


def test_options_of_the_file_the_model_and_the_group(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    data = {
        "output": str(tmp_path / "out"),
        "cache": "shared.sqlite",
        "options": {"limit": 5, "seed": 1, "data_dir": "data", "stop": ["\n\n", "###"]},
        "models": [
            {
                "model": "vllm:org/model",
                "name": "small",
                "options": {"limit": 3, "model_arg": {"dtype": "bfloat16", "enforce_eager": True}},
                "slurm": {"gpus": 1, "mem": "64G"},
                "ray": {"num_gpus": 1},
            }
        ],
        "tasks": {"g": {"tasks": ["mgsm"], "variants": ["direct"], "options": {"limit": 7}}},
        "slurm": {"partition": "gpu", "time": "2:00:00", "cpus": 4, "mem": 16},
        "ray": {"num_cpus": 2, "address": "auto"},
    }
    (cell,) = _plan(tmp_path, data)["cells"]
    args = cell["args"]
    assert cell["id"] == "small__g"
    assert args[args.index("--limit") + 1] == "7"  # the group's over the model's over the file's
    assert args[args.index("--seed") + 1] == "1"
    assert args[args.index("--data-dir") + 1] == str(tmp_path / "data")  # absolute
    assert [args[i + 1] for i, a in enumerate(args) if a == "--stop"] == ["\n\n", "###"]
    assert [args[i + 1] for i, a in enumerate(args) if a == "--model-arg"] == [
        "dtype=bfloat16",
        "enforce_eager=true",
    ]
    assert args[args.index("--variants") + 1] == "direct"
    assert cell["cache"] == str(tmp_path / "shared.sqlite")  # one cache that every cell shares
    assert cell["slurm"] == {
        "partition": "gpu",
        "time": "2:00:00",
        "cpus": 4,
        "mem": "64G",
        "gpus": 1,
    }
    assert cell["ray"] == {"num_cpus": 2, "num_gpus": 1}
    assert submitit_parameters(cell["slurm"], "polyeval-small") == {
        "name": "polyeval-small",
        "timeout_min": 120,
        "gpus_per_node": 1,
        "cpus_per_task": 4,
        "mem_gb": 64.0,
        "slurm_partition": "gpu",
    }


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        ({"retry": 2}, ["sweep.yaml:", "unknown field 'retry'", "did you mean 'retries'"]),
        (
            {"options": {"base_ur": URL}},
            ["sweep.yaml:", "option 'base_ur' is no option", "did you mean 'base-url'"],
        ),
        ({"options": {"output": "x"}}, ["option 'output' is the sweep's own"]),
        ({"options": {"limit": 0}}, ["sweep.yaml:", "--limit", "0 is not in the range"]),
        ({"options": {"prompt_format": "poem"}}, ["--prompt-format", "'poem' is not one of"]),
        ({"tasks": ["mgsm", "no_such_task"]}, ["sweep.yaml:", "unknown task 'no_such_task'"]),
        (
            {"tasks": {"g": {"tasks": ["mgsm", "xnli"], "shard_languages": 2}}},
            ["shard_languages needs the group's `languages`"],
        ),
        (
            {"models": [{"model": "baseline:random"}, {"model": "baseline:random"}]},
            ["two models are named 'baseline-random'"],
        ),
    ],
)
def test_mistakes_in_a_sweep_file_are_one_line_errors(
    tmp_path: Path, change: dict[str, Any], fragments: list[str]
) -> None:
    data = {
        "output": str(tmp_path / "out"),
        "models": [{"model": "baseline:random"}],
        "tasks": ["mgsm"],
        **change,
    }
    result = _invoke("sweep", str(write_sweep(tmp_path / "sweep.yaml", data)), "--dry-run")
    assert_one_line_error(result, *fragments)
    assert not (tmp_path / "out").exists()  # nothing planned, nothing run


def test_a_relaunch_runs_what_is_not_complete_or_has_changed(tmp_path: Path) -> None:
    data = {
        "output": str(tmp_path / "out"),
        "options": {"source": "sample", "limit": 1},
        "models": [{"model": "baseline:reference"}],
        "tasks": ["xcopa", "xnli"],
    }
    sweep_file = write_sweep(tmp_path / "sweep.yaml", data)
    spec, node = load_sweep(sweep_file)
    planned = plan_sweep(spec, node, "sweep.yaml")
    assert [c.id for c in to_run(planned, None)] == [
        "baseline-reference__xcopa",
        "baseline-reference__xnli",
    ]
    first = planned.plan.cells[0]
    done = CliRunner().invoke(main, first.argv(planned.output), catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert [c.id for c in to_run(planned, planned.plan)] == ["baseline-reference__xnli"]
    # the same cell with other arguments is run again, over its folder
    changed = plan_sweep(SweepSpec.model_validate({**data, "options": {"limit": 2}}), None, "x")
    assert [c.id for c in to_run(changed, planned.plan)] == [
        "baseline-reference__xcopa",
        "baseline-reference__xnli",
    ]


def test_an_executor_whose_library_is_missing_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray: ImportError
    data = {
        "output": str(tmp_path / "out"),
        "models": [{"model": "baseline:random"}],
        "tasks": ["mgsm"],
    }
    sweep_file = write_sweep(tmp_path / "sweep.yaml", data)
    result = _invoke("sweep", str(sweep_file), "--executor", "ray")
    assert_one_line_error(result, "the ray executor needs ray: pip install 'polyeval[ray]'")


def _cell_run(folder: Path, limit: int) -> None:
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--model",
            "baseline:random",
            "--tasks",
            "xcopa",
            "--source",
            "sample",
            "--limit",
            str(limit),
            "--output",
            str(folder),
            "--cache",
            str(folder.parent / "c.db"),
        ],
    )
    assert result.exit_code == 0, result.output


def test_collect_keeps_one_run_per_cell_by_the_leaderboards_rule(tmp_path: Path) -> None:
    _cell_run(tmp_path / "a" / "cells" / "m__g", limit=2)
    _cell_run(tmp_path / "b" / "cells" / "m__g", limit=1)
    (tmp_path / "b" / "cells" / "killed").mkdir()
    (tmp_path / "b" / "cells" / "killed" / "samples.jsonl").write_text("")
    out = tmp_path / "merged"
    result = _invoke("collect", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert (
        f"set aside {tmp_path}/b/cells/m__g (cell m__g): covers fewer samples; "
        f"kept {tmp_path}/a/cells/m__g"
    ) in result.stderr
    assert f"set aside {tmp_path}/b/cells/killed: not a finished run" in result.stderr
    kept = json.loads((out / "runs" / "m__g" / "manifest.json").read_text())
    assert kept["limit"] == 2 and kept["run_id"] == "m__g"
    assert "m__g  complete" in result.stdout and "(in no plan)" in result.stdout
    assert (out / "status.tsv").read_text().splitlines()[1].startswith("m__g\tcomplete\t")
    # no plan: nothing is missing, and --check has nothing to list
    again = _invoke("collect", str(tmp_path / "a"), "--out", str(out), "--check")
    assert again.exit_code == 0, again.output
    # a folder collect did not write is never written into
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    refused = _invoke("collect", str(tmp_path / "a"), "--out", str(tmp_path / "mine"))
    assert_one_line_error(refused, "mine", "did not write")


def test_caches_merge_keeping_the_answers_already_there(tmp_path: Path) -> None:
    target, source = ResponseCache(tmp_path / "target.sqlite"), ResponseCache(tmp_path / "s.db")
    target.put("k1", Response("kept"))
    source.put("k1", Response("other"))
    source.put("k2", Response("added"))
    source.close()
    assert target.merge_from(tmp_path / "s.db") == 1
    assert target.merge_from(tmp_path / "s.db") == 0
    found = target.get_many(["k1", "k2"])
    assert (found["k1"].text, found["k2"].text) == ("kept", "added")
    (tmp_path / "bad.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(CacheError, match=r"cannot read it as a response cache") as error:
        target.merge_from(tmp_path / "bad.db")
    assert error.value.where == str(tmp_path / "bad.db")
    target.close()
    with sqlite3.connect(tmp_path / "target.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 2
