"""What a whole `evaluate run` costs beyond its requests: polyeval against a bare aiohttp client.

The workload is MGSM direct, 11 languages x 250 problems = 2,750 chat requests: the real MGSM
files where `--data-dir` holds them (`DIR/mgsm/mgsm_en.tsv` ...), else the shipped samples
repeated, each copy numbered, to 250 distinct problems per language. A stand-in
OpenAI-compatible server (tests/fake_server.py, in a process of its own, started afresh for each
case) answers every request after a fixed latency with a short sentence ending in a number.

For each case (latency / concurrency), in the same minute against the same server:

- bare: a minimal aiohttp client (this file's `bare` command, its own process, start to exit)
  posts the same 2,750 JSON bodies polyeval sends, `concurrency` in flight, and reads each
  reply's text;
- polyeval: a whole `evaluate run` process, start to exit, with an empty cache.

Then, once: a rerun of the last case's command from its cache (nothing sent), and `evaluate
score` of its run folder. Printed: wall and CPU seconds of each process (the server's CPU is not
counted), the ideal (requests x latency / concurrency), and the ratios polyeval / bare. The
machine's load average is printed with them: on a busy machine compare the ratios, which are
measured in the same minute, rather than the seconds.

Usage: python benchmarks/run_overhead.py [--quick] [--cases 100:256,1000:256,100:64,1000:64]
    [--data-dir ../shared/data] [--repeat 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
LANGUAGE_CODES = ("bn", "de", "en", "es", "fr", "ja", "ru", "sw", "te", "th", "zh")
PER_LANGUAGE = 250
MODEL = "fake-model"
ALL_CASES = "100:256,1000:256,100:64,1000:64"
QUICK_CASES = "100:256"


# ---- the stand-in server (`serve`) and the bare client (`bare`), each run as its own process


def serve(port: int, latency: float) -> None:
    """The stand-in server, answering each prompt with a sentence that ends in a number."""
    sys.path.insert(0, str(REPO / "tests"))
    from aiohttp import web
    from fake_server import FakeServer, prompt_key

    def answer(body: dict[str, Any]) -> str:
        return f"The answer is {int(prompt_key(body), 16) % 200}."

    # nothing of the requests kept: a server whose heap grew with every run would answer
    # later runs more slowly (its collector walks what it keeps)
    server = FakeServer(latency_s=latency, responder=answer, recorded=False)
    # a backlog above the concurrency: with aiohttp's 128, connections past it wait for a SYN
    # retransmission (a second), and a run's time would depend on that draw
    web.run_app(
        server.app(), host="127.0.0.1", port=port, print=None, access_log=None, backlog=4096
    )


def bare(bodies_file: Path, url: str, concurrency: int, limit: int | None) -> None:
    """Each body of `bodies_file` (JSON lines; the first `limit`) posted to `url`,
    `concurrency` in flight, each reply's text read; exits 1 where any request failed."""
    import aiohttp

    lines = bodies_file.read_text("utf-8").splitlines()[:limit]
    bodies = [json.loads(line) for line in lines]

    async def main() -> list[str | None]:
        pool = asyncio.Semaphore(concurrency)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(body: dict[str, Any]) -> str | None:
                async with pool, session.post(url, json=body) as reply:
                    if reply.status != 200:
                        return None
                    data = await reply.json()
                    text: str = data["choices"][0]["message"]["content"]
                    return text

            return await asyncio.gather(*(one(body) for body in bodies))

    answers = asyncio.run(main())
    sys.exit(1 if any(a is None for a in answers) else 0)


# ---- the workload


def mgsm_folder(data_dir: Path, tmp: Path) -> Path:
    """A folder holding mgsm/ in the upstream layout: `data_dir`'s where it has the real files,
    else the shipped samples repeated to PER_LANGUAGE distinct problems per language."""
    if all((data_dir / "mgsm" / f"mgsm_{code}.tsv").is_file() for code in LANGUAGE_CODES):
        return data_dir
    sample, made = REPO / "tasks" / "mgsm" / "sample", tmp / "data" / "mgsm"
    made.mkdir(parents=True)
    shutil.copy(sample / "mgsm_exemplars.json", made)
    for code in LANGUAGE_CODES:
        text = (sample / f"mgsm_{code}.tsv").read_text("utf-8")  # unquoted: split as it is
        rows = [line.split("\t") for line in text.splitlines() if line]
        repeated = [
            f"{q} ({i + 1})\t{a}\n"
            for i, (q, a) in enumerate(rows[i % len(rows)] for i in range(PER_LANGUAGE))
        ]
        (made / f"mgsm_{code}.tsv").write_text("".join(repeated), "utf-8")
    return tmp / "data"


def write_bodies(data_dir: Path, path: Path) -> int:
    """The JSON bodies polyeval sends for the workload, one per line; how many."""
    from harness.config import RunConfig
    from harness.planner import build_plan
    from harness.registry import TaskRegistry

    selection = RunConfig(tasks=["mgsm"], variants=["direct"], data_dir=data_dir, source="local")
    plan = build_plan(TaskRegistry(), selection)
    with path.open("w", encoding="utf-8") as out:
        for r in plan.requests:
            messages = [{"role": m.role, "content": m.content} for m in r.messages]
            body = {"model": MODEL, "messages": messages, **r.generation}
            out.write(json.dumps(body, ensure_ascii=False) + "\n")
    return len(plan.requests)


# ---- measuring


@dataclass
class Timed:
    wall: float
    cpu: float  # user + system seconds of the process and its children


def timed(command: list[str]) -> Timed:
    """`command` run to its end (an error if it fails), with its wall and CPU time."""
    env = {  # compiled modules cached as an installed copy has them (as benchmarks/startup.py)
        **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise SystemExit(f"{' '.join(command[:4])} ... failed ({done.returncode}): {tail}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(wall, cpu)


class Server:
    """The stand-in server in its own process, on a free port, for one case."""

    def __init__(self, latency: float) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [
            sys.executable,
            __file__,
            "serve",
            "--port",
            str(port),
            "--latency",
            str(latency),
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit("the stand-in server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def evaluate(*args: str) -> list[str]:
    return [sys.executable, "-m", "harness.cli", *args]


@dataclass
class Workload:
    data: Path  # the folder holding mgsm/
    bodies: Path  # the JSON bodies polyeval sends, one a line
    requests: int
    tmp: Path  # where runs and caches go


def run_command(work: Workload, url: str, concurrency: int, name: str) -> list[str]:
    """`evaluate run` of the workload, with a cache and a run folder of its own (`name`)."""
    return evaluate(
        "run",
        *("--model", f"openai:{MODEL}", "--base-url", url, "--tasks", "mgsm"),
        *("--variants", "direct", "--source", "local", "--data-dir", str(work.data)),
        *("--concurrency", str(concurrency), "--max-attempts", "1"),
        *("--cache", str(work.tmp / f"{name}.sqlite"), "--output", str(work.tmp / name)),
    )


@dataclass
class Case:
    latency_ms: int
    concurrency: int
    ideal: float
    bare: Timed
    polyeval: Timed
    rerun: Timed | None = None  # the last polyeval run's command again, from its cache
    score: Timed | None = None  # `evaluate score` of that rerun's folder


def measure_case(
    latency_ms: int, concurrency: int, work: Workload, repeat: int, rerun: bool
) -> Case:
    """The best of `repeat` bare runs and as many polyeval runs, alternating, on one server;
    with `rerun`, then the last polyeval command from its cache and `evaluate score`."""
    server = Server(latency_ms / 1000)
    url = f"{server.url}/chat/completions"
    try:
        # warm the server (and the machine's page cache) with the first requests
        timed([sys.executable, __file__, "bare", str(work.bodies), url, "64", "--limit", "256"])
        bares, runs, command = [], [], []
        for i in range(repeat):
            bares.append(
                timed([sys.executable, __file__, "bare", str(work.bodies), url, str(concurrency)])
            )
            command = run_command(
                work, server.url, concurrency, f"run-{latency_ms}-{concurrency}-{i}"
            )
            runs.append(timed(command))
        ideal = work.requests * latency_ms / 1000 / concurrency
        case = Case(latency_ms, concurrency, ideal, min(bares, key=wall), min(runs, key=wall))
        if rerun:
            command[-1] += "-rerun"  # a new folder, the same cache
            case.rerun = timed(command)
            case.score = timed(evaluate("score", command[-1]))
    finally:
        server.stop()
    return case


def wall(t: Timed) -> float:
    return t.wall


def report(cases: list[Case], requests: int) -> None:
    print(f"{requests} chat requests (MGSM direct), whole processes, start to exit")
    print(
        f"{'latency/conc.':>14} {'ideal':>7} {'bare':>7} {'polyeval':>9} {'ratio':>6}"
        f"   {'CPU bare':>9} {'CPU polyeval':>13} {'ratio':>6}"
    )
    for c in cases:
        print(
            f"{c.latency_ms:>7} ms/{c.concurrency:<4} {c.ideal:>6.2f}s {c.bare.wall:>6.2f}s "
            f"{c.polyeval.wall:>8.2f}s {c.polyeval.wall / c.bare.wall:>5.2f}x"
            f"   {c.bare.cpu:>8.2f}s {c.polyeval.cpu:>12.2f}s {c.polyeval.cpu / c.bare.cpu:>5.2f}x"
        )
    for c in cases:
        if c.rerun is not None and c.score is not None:
            print(
                f"after {c.latency_ms} ms/{c.concurrency}: rerun from the cache "
                f"{c.rerun.wall:.2f} s wall, {c.rerun.cpu:.2f} s CPU (target <= 3 s); "
                f"evaluate score {c.score.wall:.2f} s wall, {c.score.cpu:.2f} s CPU (target <= 2 s)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    served = commands.add_parser("serve", help="the stand-in server (used by the benchmark)")
    served.add_argument("--port", type=int, required=True)
    served.add_argument("--latency", type=float, required=True)
    client = commands.add_parser("bare", help="the bare client (used by the benchmark)")
    client.add_argument("bodies", type=Path)
    client.add_argument("url")
    client.add_argument("concurrency", type=int)
    client.add_argument("--limit", type=int, help="the first N bodies only")
    parser.add_argument("--cases", default=ALL_CASES, help="LATENCY_MS:CONCURRENCY,...")
    parser.add_argument("--quick", action="store_true", help=f"--cases {QUICK_CASES}")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each case: the best")
    parser.add_argument("--no-rerun", action="store_true", help="no rerun, no evaluate score")
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    if args.command == "serve":
        return serve(args.port, args.latency)
    if args.command == "bare":
        return bare(args.bodies, args.url, args.concurrency, args.limit)
    chosen = QUICK_CASES if args.quick else args.cases
    cases = [tuple(int(v) for v in case.split(":")) for case in chosen.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="run-overhead-"))
    try:
        data = mgsm_folder(args.data_dir, tmp)
        source = "the real MGSM files" if data == args.data_dir else "the samples, repeated"
        bodies = tmp / "bodies.jsonl"
        work = Workload(data, bodies, write_bodies(data, bodies), tmp)
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; data: {source}")
        measured = [
            measure_case(latency, concurrency, work, args.repeat, i == 0 and not args.no_rerun)
            for i, (latency, concurrency) in enumerate(cases)
        ]
        report(measured, work.requests)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
