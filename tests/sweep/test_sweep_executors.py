"""A sweep of 3 models (two baselines and a model behind the local test server) x 4 tasks, run
by the local executor with one cell killed midway and by submitit's local executor with cells
that exit 3; `collect` merges each into a tree whose leaderboard is the one that the same
cells, run one after another in one process, give."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import main
from tests.fake_server import FaultPlan
from tests.sweep.sweeps import (
    HINDI_NLI,
    KILLED,
    HoldingServer,
    cell_processes,
    env,
    leaderboard,
    manifests,
    reference_results,
    sweep_data,
    wait_for,
    write_sweep,
)

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds cells in /proc")


@pytest.fixture(scope="module")
def server() -> Iterator[HoldingServer]:
    running = HoldingServer().start_in_thread()
    yield running
    running.stop_thread()


@pytest.fixture(scope="module")
def reference(server: HoldingServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The leaderboard of the same cells run in one process, unsharded."""
    folder = tmp_path_factory.mktemp("reference")
    data = sweep_data(server.base_url, folder / "unused")
    results = reference_results(data, folder / "single")
    return leaderboard(results, folder / "site")


def _collect(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["collect", *args])
    return result.exit_code, result.stdout, result.stderr


def test_local_sweep_with_a_cell_killed_midway(
    server: HoldingServer, reference: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "sweep"
    sweep_file = write_sweep(tmp_path / "sweep.yaml", sweep_data(server.base_url, out))
    server.hold, server.held = HINDI_NLI, type(server.held)()
    command = [sys.executable, "-m", "harness.cli", "sweep", str(sweep_file)]
    launched = subprocess.Popen(
        command, cwd=tmp_path, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert server.held.wait(90), "the held cell never asked"
        # the cell has asked its first questions and waits for the answers: killed there
        pid, _ = wait_for(lambda: cell_processes(KILLED), "the cell's process")[0]
        os.kill(pid, signal.SIGKILL)
        stdout, stderr = launched.communicate(timeout=120)
    finally:
        if launched.poll() is None:
            launched.kill()
        server.hold = None
    assert launched.returncode == 3, stderr
    assert f"{KILLED}: killed by SIGKILL" in stderr
    assert "8 of 9 cells complete" in stdout
    assert not (out / "cells" / KILLED).exists()  # a killed run leaves no run folder

    # collect --check lists the killed cell, as missing
    code, table, notes = _collect(str(out), "--out", str(tmp_path / "partial"), "--check")
    assert code == 1
    assert f"1 cell(s) to run again: {KILLED}" in notes
    assert "complete 8, incomplete 0, missing 1" in table
    assert [line.split()[1] for line in table.splitlines() if line.startswith(KILLED)] == [
        "missing"
    ]
    assert "openai-fake-model__nli: 1 of its 2 language shards have no run yet" in notes

    # a relaunch runs that cell alone; the others' folders are not touched
    before = manifests(out / "cells")
    again = subprocess.run(
        command, cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr
    assert "9 cell(s), 8 complete already, 1 to run" in again.stderr
    after = manifests(out / "cells")
    assert set(after) - set(before) == {KILLED}
    assert {cell: after[cell] for cell in before} == before
    log = (out / "logs" / f"{KILLED}.log").read_text()
    assert log.count("evaluate run --model openai:fake-model") == 2
    assert "== exit -9" in log and log.rstrip().endswith("== exit 0")

    merged = tmp_path / "merged"
    code, table, _ = _collect(str(out), "--out", str(merged), "--check")
    assert code == 0, table
    assert "complete 9, incomplete 0, missing 0" in table
    assert sorted(p.name for p in (merged / "runs").iterdir()) == [
        f"{model}__{group}"
        for model in ("baseline-random", "baseline-reference", "openai-fake-model")
        for group in ("core", "nli")
    ]
    assert leaderboard(merged, tmp_path / "site") == reference

    # the per-cell caches travel as one: every answer of every cell
    answered = sum(
        json.loads((out / "cells" / cell / "manifest.json").read_text())["counts"]["requests"]
        for cell in after
    )
    assert 0 < cache_rows(merged / "cache.sqlite") <= answered


def test_submitit_local_sweep_resubmits_cells_that_exit_3(
    reference: dict[str, str], tmp_path: Path
) -> None:
    pytest.importorskip("submitit")
    # every question's first attempt fails, and a cell tries each once: its first run exits 3
    faulty = HoldingServer(faults=FaultPlan(rate=1.0, failures=1, kinds=("500",)))
    faulty.start_in_thread()
    try:
        out = tmp_path / "sweep"
        data = sweep_data(faulty.base_url, out, executor="slurm", retries=1)
        data["models"][2]["options"]["max_attempts"] = 1
        data["slurm"] = {"cluster": "local", "time": 10, "cpus": 1, "partition": "unused"}
        sweep_file = write_sweep(tmp_path / "sweep.yaml", data)
        result = CliRunner().invoke(main, ["sweep", str(sweep_file)], catch_exceptions=False)
    finally:
        faulty.stop_thread()
    assert result.exit_code == 0, result.output
    assert "openai-fake-model: 3 cell(s) submitted as job" in result.stderr
    assert "running 3 cell(s) again (attempt 2 of 2)" in result.stderr
    assert "9 of 9 cells complete" in result.stdout
    for cell in ("openai-fake-model__core", "openai-fake-model__nli__1of2"):
        log = (out / "logs" / f"{cell}.log").read_text()
        assert log.count("== exit 3") == 1 and log.rstrip().endswith("== exit 0")
    assert (out / "submitit").is_dir()

    merged = tmp_path / "merged"
    code, table, _ = _collect(str(out), "--out", str(merged), "--check")
    assert code == 0 and "complete 9, incomplete 0, missing 0" in table
    assert leaderboard(merged, tmp_path / "site") == reference


def cache_rows(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])
    finally:
        db.close()
