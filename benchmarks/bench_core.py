"""Speed of the core, as ratios measured in one process (the machines are noisy).

1. Start-up: `evaluate --help` against a bare `python -c "import click"` (the floor).
2. Lazy discovery: resolving one task by name among 2,000 task folders against parsing them all
   (what a harness that indexes every YAML at start-up pays).
3. Pipeline on the real MGSM files (2,750 problems, 8-shot native CoT) with an instant baseline:
   planning (load + render), a cold run (answers + cache writes + scoring) and a warm rerun (all
   from the cache), as requests per second and as a ratio of warm to cold.

Usage: python benchmarks/bench_core.py [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from harness.backends import create_backend
from harness.config import RunConfig
from harness.generation.cache import ResponseCache
from harness.generation.runner import execute
from harness.planner import build_plan
from harness.registry import TaskRegistry
from harness.spec import load_spec

REPO = Path(__file__).resolve().parent.parent


def best_of(runs: int, command: list[str]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=REPO)
        times.append(time.perf_counter() - started)
    return min(times)


def startup() -> None:
    floor = best_of(5, [sys.executable, "-c", "import click"])
    helped = best_of(5, [sys.executable, "-m", "harness.cli", "--help"])
    print(
        f"startup: evaluate --help {helped * 1000:.0f} ms, python+click {floor * 1000:.0f} ms,"
        f" ratio {helped / floor:.2f}"
    )


def discovery(count: int = 2000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        spec_text = (REPO / "tasks" / "mgsm" / "task.yaml").read_text()
        for i in range(count):
            folder = root / f"task_{i:04d}"
            folder.mkdir()
            (folder / "task.yaml").write_text(
                spec_text.replace("name: mgsm", f"name: task_{i:04d}")
            )
        started = time.perf_counter()
        TaskRegistry([root]).get(f"task_{count // 2:04d}")
        lazy = time.perf_counter() - started
        started = time.perf_counter()
        for folder in sorted(root.iterdir()):
            load_spec(folder / "task.yaml")
        eager = time.perf_counter() - started
    print(
        f"discovery among {count} tasks: one by name {lazy * 1000:.1f} ms, parse all "
        f"{eager * 1000:.0f} ms, ratio {eager / lazy:.0f}x"
    )


def pipeline(data_dir: Path) -> None:
    selection = RunConfig(tasks=["mgsm"], variants=["native_cot"], data_dir=data_dir)
    started = time.perf_counter()
    plan = build_plan(TaskRegistry(), selection)
    planned = time.perf_counter() - started
    n = len(plan.requests)
    tmp = Path(tempfile.mkdtemp())
    try:
        timings = []
        for _ in range(2):  # cold, then warm
            cache = ResponseCache(tmp / "cache.sqlite")
            backend = create_backend("baseline:reference")
            started = time.perf_counter()
            execution = asyncio.run(execute(plan, backend, cache))
            timings.append(time.perf_counter() - started)
            cache.close()
            assert execution.counts.failed == 0
        cold, warm = timings
    finally:
        shutil.rmtree(tmp)
    print(
        f"pipeline, {n} MGSM requests: plan {n / planned:,.0f} req/s, cold run "
        f"{n / cold:,.0f} req/s, warm rerun {n / warm:,.0f} req/s (warm/cold time "
        f"{warm / cold:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    startup()
    discovery()
    if (args.data_dir / "mgsm").is_dir():
        pipeline(args.data_dir)
    else:
        print(f"pipeline: skipped, no MGSM copy under {args.data_dir}")


if __name__ == "__main__":
    main()
