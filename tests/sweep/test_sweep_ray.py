"""The ray executor on a local Ray cluster: a cell whose worker dies midway is run again by
Ray, and the sweep ends complete. Skipped where ray (an optional extra) is not installed."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.sweep.executors import launch
from tests.sweep.sweeps import HoldingServer, cell_processes, wait_for, write_sweep

ray: Any = pytest.importorskip("ray")
pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds cells in /proc")
CELL = "openai-fake-model__nli"


@pytest.fixture
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def test_a_cell_whose_worker_dies_is_run_again(cluster: None, tmp_path: Path) -> None:
    server = HoldingServer(hold="परिकल्पना").start_in_thread()  # XNLI's Hindi prompts
    killed: list[int] = []

    def kill_the_worker() -> None:
        assert server.held.wait(120), "the held cell never asked"
        pid, worker = wait_for(lambda: cell_processes(CELL), "the cell's process")[0]
        os.kill(worker, signal.SIGKILL)  # the Ray worker running the cell, midway
        killed.append(worker)
        # the cell's own process dies with its worker: nothing keeps holding its folder
        wait_for(lambda: pid not in {p for p, _ in cell_processes(CELL)}, "the cell to die")
        server.hold = None

    killer = threading.Thread(target=kill_the_worker, daemon=True)
    killer.start()
    out = tmp_path / "sweep"
    data = {
        "output": str(out),
        "executor": "ray",
        "options": {"source": "sample", "limit": 2},
        "models": [{"model": "openai:fake-model", "options": {"base_url": server.base_url}}],
        "tasks": {"core": ["xcopa"], "nli": {"tasks": ["xnli"], "languages": ["en", "hi"]}},
        "ray": {"num_cpus": 1, "max_retries": 2},
    }
    try:
        launched = launch(write_sweep(tmp_path / "sweep.yaml", data), echo=lambda line: None)
    finally:
        server.hold = None
        killer.join(30)
        server.stop_thread()
    assert killed, "no worker was killed"
    assert launched.states == {"openai-fake-model__core": "complete", CELL: "complete"}
    assert launched.outcomes[CELL] == 0 and launched.attempts[CELL] == 1  # Ray ran it again
    log = (out / "logs" / f"{CELL}.log").read_text()
    starts = [line for line in log.splitlines() if line.startswith("== ") and "run --" in line]
    assert len(starts) == 2 and f"(pid {killed[0]})" in starts[0]
    assert log.count("== exit") == 1 and log.rstrip().endswith("== exit 0")
