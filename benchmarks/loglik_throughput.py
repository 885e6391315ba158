"""Throughput of log-likelihood requests through the OpenAI-compatible backend.

2,000 log-likelihood requests (a distinct context of about 300 characters, four options each)
go to tests/fake_server.py in another process, which answers /v1/completions with `echo` and
`logprobs` at once (no latency) from its toy model, at concurrency 64. Measured: requests per
second through the backend (body, pool, retries and deadlines, the echoed log-probabilities
read and the continuations located), and through the runner with its cache besides; the ideal
is the same number of HTTP round trips, the same bodies, made by a bare aiohttp client in this
process at the same concurrency, its replies parsed as JSON and nothing more. Reported as
requests per second, the ratio of wall times (1.00x: the backend costs nothing more), and the
CPU time of this process per request (the server's is not counted: it is another process).

Usage: python benchmarks/loglik_throughput.py [--requests 2000] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.api_throughput import start_server
from harness.backends import create_backend
from harness.backends.logprobs import scoring_prompts
from harness.backends.options import BackendOptions
from harness.generation.cache import ResponseCache
from harness.generation.runner import execute
from harness.records import Hints, Request

OPTIONS = (" A", " B", " C", " D")
PASSAGE = (
    "The river rises in the hills to the north and reaches the sea after four hundred "
    "kilometres; the towns along it trade in grain, wool and timber. "
)


def workload(total: int) -> list[Request]:
    """`total` log-likelihood requests, each with a context of its own and four options."""
    return [
        Request(
            task="belebele",
            variant="cloze",
            language="eng_Latn",
            sample_id=str(i),
            parallel_id=str(i),
            messages=(),
            prompt=f"{PASSAGE * 2}Question {i}: where does the river rise?\nAnswer:",
            generation={},
            template_hash="h",
            hints=Hints(gold="A"),
            continuations=OPTIONS,
        )
        for i in range(total)
    ]


def options(url: str, concurrency: int) -> BackendOptions:
    return BackendOptions(base_urls=(url,), concurrency=concurrency, max_attempts=1)


async def through_backend(requests: list[Request], url: str, concurrency: int) -> int:
    """Requests answered with scores, through the backend alone."""
    backend = create_backend("openai:fake-model", options(url, concurrency))
    try:
        return sum([bool(r.scores) async for _, r in backend.generate(requests)])
    finally:
        await backend.aclose()


async def through_runner(requests: list[Request], url: str, concurrency: int) -> int:
    """Requests answered with scores, through the runner: cache lookups and writes besides."""
    backend = create_backend("openai:fake-model", options(url, concurrency))
    with tempfile.TemporaryDirectory() as tmp:
        cache = ResponseCache(Path(tmp) / "cache.sqlite")
        try:
            execution = await execute(requests, backend, cache)
        finally:
            await backend.aclose()
            cache.close()
    return sum(1 for _, a, _ in execution.answered if a is not None and a.scores)


async def bare(requests: list[Request], url: str, concurrency: int) -> int:
    """The ideal: the same bodies posted by a bare aiohttp client, replies parsed as JSON."""
    pool = asyncio.Semaphore(concurrency)
    bodies = [
        {
            "model": "fake-model",
            "prompt": scoring_prompts(r)[0],
            "max_tokens": 0,
            "echo": True,
            "logprobs": 1,
            "temperature": 0,
        }
        for r in requests
    ]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def one(body: dict[str, object]) -> bool:
            async with pool, session.post(f"{url}/completions", data=json.dumps(body)) as reply:
                return bool(json.loads(await reply.read())["choices"])

        return sum(await asyncio.gather(*(one(b) for b in bodies)))


def timed(run: Callable[[], Awaitable[int]]) -> tuple[float, float, int]:
    """Wall and CPU seconds of a run, and the requests it scored."""
    wall, cpu = time.perf_counter(), time.process_time()
    done = asyncio.run(run())  # type: ignore[arg-type]
    return time.perf_counter() - wall, time.process_time() - cpu, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs each")
    args = parser.parse_args()
    requests = workload(args.requests)
    server, url = start_server(0.0)
    n, c = args.requests, args.concurrency
    ways = {
        "bare aiohttp (ideal)": lambda: bare(requests, url, c),
        "OpenAI backend": lambda: through_backend(requests, url, c),
        "runner + cache": lambda: through_runner(requests, url, c),
    }
    try:
        asyncio.run(through_backend(workload(64), url, c))  # warm the server and the client
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.rounds):
            for name, run in ways.items():
                wall, cpu, done = timed(run)
                if done != n:
                    raise SystemExit(f"{name}: {n - done} of {n} requests not scored")
                best[name] = min(best.get(name, (wall, cpu)), (wall, cpu))
    finally:
        server.terminate()
        server.wait()
    ideal = best["bare aiohttp (ideal)"][0]
    print(
        f"{n} log-likelihood requests ({len(OPTIONS)} options, contexts of "
        f"{len(requests[0].context)} characters), no server latency, concurrency {c}, "
        f"best of {args.rounds}"
    )
    for name, (wall, cpu) in best.items():
        print(
            f"{name:22s} {wall:6.2f} s  {n / wall:5.0f} requests/s  ratio {wall / ideal:.2f}x  "
            f"client CPU {1000 * cpu / n:.2f} ms per request"
        )


if __name__ == "__main__":
    main()
