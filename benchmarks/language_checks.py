"""The CPU share of the language checks in a run: with the Language Confusion Benchmark's line
and word checks on every task's answers (before), and only on the tasks that list `line_pass`
or `word_pass` among their metrics (after). Ratios measured in one process.

A run is the whole pipeline in this process (`evaluate run` without the command line: planning,
answering with the instant `baseline:reference`, scoring, writing the run folder) on the real
data of mgsm, xnli, xcopa, belebele and flores_v1 (`--limit` samples per language), and with
`--with-lcb` the LCB prompts too. The language checks are harness.consistency's
`language_scores`, everything it does for each answer (the verdict, and LCB's checks with the
loads of jieba's and MeCab's dictionaries): their CPU time (process time) against the run's.

- before: every task's answers get LCB's checks, as the scorer gave them before (its call is
  wrapped to add `line_pass` and `word_pass` to every task's metrics);
- after: the scorer as it is.

jieba's and MeCab's dictionaries are unloaded before each run, so that each run pays their
loads as a new process would; the language detectors (py3langid, lid.176) are loaded once
before the first run (a few hundred milliseconds either way). Scoring stays in this process
(no forked workers) so that its CPU time is counted. The configurations run alternately,
`--repeat` times each; the medians are shown.

Usage: python benchmarks/language_checks.py [--data-dir ../shared/data] [--limit 40]
       [--with-lcb] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from harness import consistency, scorer
from harness.config import RunConfig
from harness.langid import judge, lcb
from harness.session import run_evaluation

TASKS = ["mgsm", "xnli", "xcopa", "belebele", "flores_v1"]


@dataclass
class Clock:
    """CPU seconds spent inside `language_scores`."""

    seconds: float = 0.0
    calls: int = 0


def unload_tokenizers() -> None:
    """jieba's and MeCab's dictionaries (and the token cache) dropped: the next LCB check on
    Chinese or Japanese loads them again, as in a new process."""
    lcb._jieba.cache_clear()
    lcb._mecab.cache_clear()
    lcb.tokenize.cache_clear()
    if "jieba" in sys.modules:
        tokenizer = sys.modules["jieba"].dt
        tokenizer.initialized = False
        tokenizer.FREQ = {}


@contextlib.contextmanager
def timed_checks(clock: Clock, every_task: bool) -> Iterator[None]:
    """The scorer's `language_scores` timed; with `every_task`, given LCB's metrics for every
    task (what the scorer did before)."""
    original = consistency.language_scores

    def wrapped(*args: Any, **kwargs: Any) -> tuple[dict[str, float], dict[str, Any]]:
        if every_task:
            metrics: Collection[str] = kwargs.pop("metrics", args[5] if len(args) > 5 else ())
            args = args[:5]
            kwargs["metrics"] = (*metrics, *consistency.LCB_LEVELS)
        started = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            clock.seconds += time.process_time() - started
            clock.calls += 1

    scorer.language_scores = wrapped  # type: ignore[assignment]
    try:
        yield
    finally:
        scorer.language_scores = original  # type: ignore[assignment]


def one_run(options: RunConfig, every_task: bool) -> tuple[float, Clock]:
    """(the run's CPU seconds, the language checks' clock)."""
    unload_tokenizers()
    clock = Clock()
    with tempfile.TemporaryDirectory() as tmp:
        options.output = Path(tmp) / "run"
        options.cache_path = Path(tmp) / "cache.sqlite"
        started = time.process_time()
        with timed_checks(clock, every_task), contextlib.redirect_stdout(io.StringIO()):
            run_evaluation(options, Console(quiet=True))
        total = time.process_time() - started
    return total, clock


def measure(options: RunConfig, repeat: int) -> dict[str, list[tuple[float, Clock]]]:
    runs: dict[str, list[tuple[float, Clock]]] = {"before": [], "after": []}
    for _ in range(repeat):
        for name in runs:
            runs[name].append(one_run(options, every_task=name == "before"))
    return runs


def warm_up() -> None:
    for detector in ("default", "lid176"):
        judge("Loading the detector with a few words of English.", "eng_Latn", detector)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).parents[2] / "shared/data")
    parser.add_argument("--limit", type=int, default=40, help="Samples per task and language.")
    parser.add_argument("--with-lcb", action="store_true", help="Add the LCB prompts to the run.")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scorer.PARALLEL_MIN_SAMPLES = 1 << 30  # score in this process: its CPU time is counted
    warm_up()
    tasks = [*TASKS, "lcb"] if args.with_lcb else TASKS
    options = RunConfig(
        model="baseline:reference",
        tasks=tasks,
        data_dir=args.data_dir,
        source="local",
        limit=args.limit,
    )
    runs = measure(options, args.repeat)
    print(f"tasks: {', '.join(tasks)}; --limit {args.limit}; medians of {args.repeat} runs")
    shares: dict[str, float] = {}
    for name, found in runs.items():
        total = statistics.median(t for t, _ in found)
        checks = statistics.median(c.seconds for _, c in found)
        calls = found[0][1].calls
        shares[name] = checks / total
        print(
            f"{name:<7} run {total:6.2f} s CPU, language checks {checks:6.2f} s "
            f"({calls} answers): {100 * shares[name]:4.1f}% of the run"
        )
    ratio: Callable[[str], float] = lambda name: statistics.median(  # noqa: E731
        c.seconds for _, c in runs[name]
    )
    print(f"language checks before / after: {ratio('before') / ratio('after'):.2f}x")


if __name__ == "__main__":
    main()
