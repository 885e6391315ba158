"""Data sources: the hub (through a local clone laid out as on the hub, and offline),
local copies in the upstream layout, and the shipped sample."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.conftest import REPO, read_run, run_process, scores_of

BELEBELE_CARD = """---
configs:
- config_name: eng_Latn
  data_files:
  - split: test
    path: data/eng_Latn.jsonl
- config_name: deu_Latn
  data_files:
  - split: test
    path: data/deu_Latn.jsonl
---
# belebele (local clone for tests)
"""


def _belebele_clone(root: Path) -> Path:
    repo = root / "facebook" / "belebele"
    (repo / "data").mkdir(parents=True)
    (repo / "README.md").write_text(BELEBELE_CARD)
    for code in ("eng_Latn", "deu_Latn"):
        sample = REPO / "tasks" / "belebele" / "sample" / "data" / f"{code}.jsonl"
        (repo / "data" / f"{code}.jsonl").write_bytes(sample.read_bytes())
    return repo


def test_hub_dataset_loads_through_datasets_from_a_hub_layout(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    _belebele_clone(tmp_path / "hub")
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks belebele --languages en,de --source hub",
        hub_dir=tmp_path / "hub",
        output=out,
    )
    assert result.exit_code == 0, result.output
    scores = scores_of(out)
    assert {lang for _, _, lang in scores} == {"eng_Latn", "deu_Latn"}
    assert all(r["value"] == 1.0 and r["n"] == 8 for r in scores.values())
    source = read_run(out)["manifest"]["tasks"]["belebele"]["source"]
    assert source["kind"] == "hub" and source["location"].endswith("facebook/belebele")


def test_hub_raw_files_repo_reads_the_upstream_files(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    repo = tmp_path / "hub" / "juletxara" / "mgsm"
    repo.mkdir(parents=True)
    sample = REPO / "tasks" / "mgsm" / "sample"
    for name in ("mgsm_en.tsv", "mgsm_te.tsv", "mgsm_exemplars.json"):
        (repo / name).write_bytes((sample / name).read_bytes())
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks mgsm --languages en,te --source hub",
        hub_dir=tmp_path / "hub",
        output=out,
    )
    assert result.exit_code == 0, result.output
    assert all(r["value"] == 1.0 for r in scores_of(out).values())


def _offline_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "PYTHONPATH": str(REPO)}
    env.pop("HF_HUB_OFFLINE", None)
    env.pop("HF_DATASETS_OFFLINE", None)
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # nothing listens on the discard port
    return env


def test_offline_hub_load_names_the_alternatives(tmp_path: Path) -> None:
    result = run_process(
        "run --model baseline:random --tasks belebele --languages eng_Latn --source hub",
        tmp_path,
        _offline_env(tmp_path),
        cache=tmp_path / "c.sqlite",
    )
    assert result.returncode == 2, result.stderr
    assert "--data-dir" in result.stderr and "--source sample" in result.stderr
    assert "offline" in result.stderr and "Traceback" not in result.stderr


TIMED_LOAD = """
import time
import datasets, huggingface_hub  # imported before the harness on purpose
from harness.data.sources import select_source
from harness.errors import PolyevalError
from harness.registry import TaskRegistry
task = TaskRegistry().get("{task}")
source, _ = select_source(task.spec, task.folder, "hub", None, None)
started = time.monotonic()
try:
    source.rows("eng_Latn")
except PolyevalError as exc:
    print("ERROR", exc)
print("ELAPSED", time.monotonic() - started)
"""


def test_offline_hub_load_fails_within_a_second(tmp_path: Path) -> None:
    for task in ("belebele", "mgsm"):  # load_dataset, and raw files from the repo
        result = subprocess.run(
            [sys.executable, "-c", TIMED_LOAD.format(task=task)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
            env=_offline_env(tmp_path),
        )
        lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
        assert "--data-dir" in lines["ERROR"], result.stdout + result.stderr
        assert float(lines["ELAPSED"]) < 1.0, (task, lines)


def test_auto_falls_back_to_the_sample_with_a_note(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = evaluate("run --model baseline:majority --tasks belebele --limit 2", output=out)
    assert result.exit_code == 0
    assert "using the shipped sample" in result.output
    entry = read_run(out)["manifest"]["tasks"]["belebele"]
    assert entry["source"]["kind"] == "sample"
    assert any("shipped sample" in note for note in entry["notes"])


def test_local_copy_in_the_flat_export_layout(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "data" / "belebele_eng_deu" / "derived"
    folder.mkdir(parents=True)
    rows = (REPO / "tasks/belebele/sample/data/eng_Latn.jsonl").read_text().splitlines()
    flat = [json.dumps({k: v for k, v in json.loads(r).items() if k != "ds"}) for r in rows]
    (folder / "eng_Latn.flat.jsonl").write_text("\n".join(flat) + "\n")
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks belebele", data_dir=tmp_path / "data", output=out
    )
    assert result.exit_code == 0, result.output
    assert list(scores_of(out)) == [("belebele", "zero_shot", "eng_Latn")]
