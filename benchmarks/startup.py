"""What a run costs before and besides its requests: the wall time of a 1-request run (the
random baseline on one MGSM problem in English, fresh run folder and response cache) and of
`evaluate --help` and `evaluate tasks`, each against a bare `python -c pass` measured in the same
minute (the commands take turns, so that a busy machine weighs on all of them alike), then
where the run's imports go (`-X importtime`, summed by package).

Each command runs `--repeat` times; the best wall time is kept (the least disturbed), with the
CPU time (user + system) of that run beside it. The commands run with bytecode written (as an
installed package has it), and with their own cache folder (XDG_CACHE_HOME): its first run
fills what is kept there (the language identifier's unpacked model), the best is a warm one.

Usage: python benchmarks/startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EVALUATE = [sys.executable, "-m", "harness.cli"]
RUN_ARGS = ["run", "--model", "baseline:random", "--tasks", "mgsm", "--limit", "1"]
RUN_ARGS += ["--languages", "en"]

Command = Callable[[int], list[str]]
"""The command line of the i-th try (a run needs a fresh folder and cache each time)."""


def one_request_run(scratch: Path) -> Command:
    def command(i: int) -> list[str]:
        out = scratch / f"run-{i}"
        return [*EVALUATE, *RUN_ARGS, "--output", str(out), "--cache", f"{out}.sqlite"]

    return command


def commands(scratch: Path) -> dict[str, Command]:
    return {
        "python -c pass": lambda i: [sys.executable, "-c", "pass"],
        "evaluate --help": lambda i: [*EVALUATE, "--help"],
        "evaluate tasks": lambda i: [*EVALUATE, "tasks"],
        "1-request run": one_request_run(scratch),
    }


def environment(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["XDG_CACHE_HOME"] = str(scratch / "cache")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["COLUMNS"] = "120"
    return env


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one command (it must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=REPO, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def measure(repeat: int, scratch: Path, env: dict[str, str]) -> dict[str, tuple[float, float]]:
    """name -> (best wall, its CPU), the commands taking turns."""
    found: dict[str, list[tuple[float, float]]] = defaultdict(list)
    table = commands(scratch)
    for command in table.values():  # a first, cold round: bytecode and caches written
        timed(command(-1), env)
    for i in range(repeat):
        for name, command in table.items():
            found[name].append(timed(command(i), env))
    return {name: min(times) for name, times in found.items()}


def import_times(scratch: Path, env: dict[str, str]) -> list[tuple[str, int, int]]:
    """(package, summed self µs, modules) of the 1-request run's imports, largest first."""
    command = [sys.executable, "-X", "importtime", *one_request_run(scratch)(10_000)[1:]]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO, env=env)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, _, name = line.removeprefix("import time:").split("|")
        parts = name.strip().split(".")
        package = ".".join(parts[:2]) if parts[0] == "harness" else parts[0]
        totals[package][0] += int(own)
        totals[package][1] += 1
    return sorted(((p, t[0], t[1]) for p, t in totals.items()), key=lambda row: -row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="tries of each command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        env = environment(scratch)
        best = measure(args.repeat, scratch, env)
        floor = best["python -c pass"][0]
        for name, (wall, cpu) in best.items():
            print(
                f"{name:16} {wall * 1000:6.0f} ms wall ({cpu * 1000:4.0f} ms CPU), "
                f"{wall / floor:5.2f}x python -c pass"
            )
        rows = import_times(scratch, env)
        total = sum(own for _, own, _ in rows)
        print(
            f"\nimports of the 1-request run: {total / 1000:.0f} ms (-X importtime, self "
            "times summed by package; the 15 largest):"
        )
        for package, own, count in rows[:15]:
            print(f"  {package:32} {own / 1000:6.1f} ms  {count:4} modules")


if __name__ == "__main__":
    main()
