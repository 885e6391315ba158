"""Throughput of the OpenAI-compatible backend against a local server.

2,000 chat requests from several tasks and languages, each (task, language) with its own stop
strings, go to an OpenAI-compatible server in another process that answers after 50 ms, at
concurrency 256. The whole harness path runs: cache lookups, the bounded pool, the aiohttp client,
cache writes as answers arrive, each sample's record, parsing, scoring and the score cells.

Reported: wall time against the ideal (requests x latency / concurrency), and the harness's own
CPU time per request (the server's CPU is not counted: it is another process).

Usage: python benchmarks/api_throughput.py [--requests 2000] [--concurrency 256] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from harness.analysis.cells import aggregate
from harness.backends import create_backend
from harness.backends.options import BackendOptions
from harness.config import RunConfig
from harness.generation.cache import ResponseCache
from harness.generation.runner import execute
from harness.literals import get_literals
from harness.manifest import task_info
from harness.planner import Plan, build_plan
from harness.records import Message, Request
from harness.registry import TaskRegistry
from harness.scorer import score_samples

REPO = Path(__file__).resolve().parent.parent


def workload(total: int) -> Plan:
    """`total` distinct requests cycling over MGSM and Belebele samples in 21 languages, each
    task x language with its own stop strings."""
    plan = build_plan(TaskRegistry(), RunConfig(tasks=["mgsm", "belebele"], source="sample"))
    base = plan.requests
    requests: list[Request] = []
    for i in range(total):
        original = base[i % len(base)]
        stop = [f"\n\n{get_literals(original.language).question}", f"\n[{original.task}]"]
        sample_id = f"{original.sample_id}~{i}"
        last = original.messages[-1]
        messages = (*original.messages[:-1], Message(last.role, f"{last.content}\n#{i}"))
        request = replace(
            original,
            sample_id=sample_id,
            messages=messages,
            generation={**original.generation, "stop": stop},
        )
        requests.append(request)
        plan.samples[request.key] = plan.samples[original.key]
    plan.requests = requests
    return plan


def start_server(latency: float) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "tests" / "fake_server.py"),
            "--port",
            str(port),
            "--latency",
            str(latency),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
            return server, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the local server did not start")


def measure(plan: Plan, base_url: str, concurrency: int) -> tuple[float, float, int]:
    options = BackendOptions(base_urls=(base_url,), concurrency=concurrency, max_attempts=1)
    with tempfile.TemporaryDirectory() as tmp:
        cache = ResponseCache(Path(tmp) / "cache.sqlite")
        backend = create_backend("openai:fake-model", options)

        async def go() -> int:
            try:
                execution = await execute(plan.requests, backend, cache)
            finally:
                await backend.aclose()
            tasks = {t.task.name: task_info(t) for t in plan.tasks}
            aggregate(score_samples(execution.records(plan), tasks, "default"))
            return execution.counts.failed

        wall, cpu = time.perf_counter(), time.process_time()
        failed = asyncio.run(go())
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        cache.close()
    return wall, cpu, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    plan = workload(args.requests)
    groups = {(r.task, r.language) for r in plan.requests}
    server, url = start_server(args.latency)
    try:
        measure(workload(64), url, args.concurrency)  # warm the server and the client
        wall, cpu, failed = measure(plan, url, args.concurrency)
    finally:
        server.terminate()
        server.wait()
    ideal = args.requests * args.latency / args.concurrency
    print(
        f"{args.requests} requests in {len(groups)} task x language groups with distinct stop "
        f"strings, latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}"
    )
    print(
        f"wall {wall:.2f} s, ideal {ideal:.2f} s, ratio {wall / ideal:.2f}x "
        f"(target <= 1.3x); failed {failed}"
    )
    print(
        f"harness CPU {cpu:.2f} s, {1000 * cpu / args.requests:.2f} ms per request (target < 2 ms)"
    )


if __name__ == "__main__":
    main()
