"""Time to score the Language Confusion Benchmark's line-level and word-level pass rates.

Every one of the 6,586 LCB prompts gets an output: for the monolingual setting the prompt itself
(text in the target language), for the cross-lingual setting the prompt too (English text, so
mostly line errors: the detector still judges every line). The outputs are grouped per setting,
source and language, as the paper computes its rates, and `lcb_rates` scores each group with the
`default` detector and with `lid176`. The detector's one-off load (py3langid's or the fastText
model) is timed apart, before the clock starts. Target: under 10 seconds each.

Then the same outputs go through the whole pipeline, as a user scores outputs produced
elsewhere: `evaluate run --tasks lcb --predictions FILE --langid DETECTOR` (reading the prompt
files, matching ids, judging, aggregating, writing the run folder and its summary).

Usage: python benchmarks/lcb_scoring.py [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from rich.console import Console

from harness.config import RunConfig
from harness.langid import lcb_rates, line_pass
from harness.planner import build_plan
from harness.registry import TaskRegistry
from harness.session import run_evaluation

DETECTORS = ("default", "lid176")
TARGET_S = 10.0


def outputs(data_dir: Path) -> dict[tuple[str, str, str], list[str]]:
    """(setting, source, language) -> the outputs scored: the prompts themselves."""
    plan = build_plan(TaskRegistry(), RunConfig(tasks=["lcb"], data_dir=data_dir, source="local"))
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for request in plan.requests:
        setting, source, _, _ = request.sample_id.split("/")
        prompt = plan.samples[request.key].fields["prompt"]
        groups[(setting, source, request.language)].append(prompt)
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).parents[2] / "shared/data")
    args = parser.parse_args()
    groups = outputs(args.data_dir)
    total = sum(map(len, groups.values()))
    print(f"{total} outputs in {len(groups)} setting/source/language groups")
    for detector in DETECTORS:
        start = time.perf_counter()
        line_pass("Warming up the detector with a line of five words.", "eng_Latn", detector)
        load = time.perf_counter() - start
        start = time.perf_counter()
        rates = {key: lcb_rates(texts, key[2], detector) for key, texts in groups.items()}
        seconds = time.perf_counter() - start
        mono = [r.line_pass_rate for k, r in rates.items() if k[0] == "monolingual"]
        mean = sum(v for v in mono if v is not None) / len([v for v in mono if v is not None])
        verdict = "ok" if seconds < TARGET_S else f"over the {TARGET_S:.0f} s target"
        print(
            f"{detector:<8} {seconds:6.2f} s scoring ({load:.2f} s loading the detector), "
            f"{total / seconds:,.0f} outputs/s; monolingual prompts' mean LPR {mean:.3f}  {verdict}"
        )
    end_to_end(args.data_dir)


def end_to_end(data_dir: Path) -> None:
    """`evaluate run --tasks lcb --predictions FILE` on all prompts, once per detector."""
    with tempfile.TemporaryDirectory() as tmp:
        predictions = _predictions(data_dir, Path(tmp) / "outputs.jsonl")
        for detector in DETECTORS:
            options = RunConfig(model="predictions", tasks=["lcb"], data_dir=data_dir,
                                 source="local", predictions=predictions, langid=detector,
                                 output=Path(tmp) / detector)  # fmt: skip
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):  # the run's score tables
                outcome = run_evaluation(options, Console(quiet=True))
            seconds = time.perf_counter() - start
            verdict = "ok" if seconds < TARGET_S else f"over the {TARGET_S:.0f} s target"
            print(f"{detector:<8} {seconds:6.2f} s: evaluate run --predictions, "
                  f"{outcome.counts.requests} outputs, whole pipeline  {verdict}")  # fmt: skip


def _predictions(data_dir: Path, path: Path) -> Path:
    """A predictions file answering each prompt with itself."""
    plan = build_plan(TaskRegistry(), RunConfig(tasks=["lcb"], data_dir=data_dir, source="local"))
    with path.open("w", encoding="utf-8") as out:
        for request in plan.requests:
            prompt = plan.samples[request.key].fields["prompt"]
            out.write(json.dumps({"sample_id": request.sample_id, "output": prompt}) + "\n")
    return path


if __name__ == "__main__":
    main()
