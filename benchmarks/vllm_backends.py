"""Both vLLM backends end to end, where vLLM is importable: `vllm:MODEL` (the engine in this
process) and `vllm-server:MODEL` (`vllm serve` in a process of its own), on the device vLLM
picks (a GPU, or the CPU with vLLM's CPU build), each on the same small evaluation, then again
from the cache.

Printed per backend: requests, sent, from the cache, failed, wall time of the run and of the
rerun, the device, and the first reply of each task.

Usage: python benchmarks/vllm_backends.py --model HuggingFaceTB/SmolLM2-135M-Instruct
       [--tasks mgsm,belebele] [--limit 2] [--max-model-len 2048]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from harness.record import open_run

REPO = Path(__file__).resolve().parent.parent


def device() -> str:
    try:
        import torch  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return "unknown (no torch)"
    return "cuda" if torch.cuda.is_available() else "cpu"


def run(kind: str, args: argparse.Namespace, out: Path, name: str) -> float:
    argv = [
        sys.executable,
        "-m",
        "harness.cli",
        "run",
        "--model",
        f"{kind}:{args.model}",
        "-M",
        f"max_model_len={args.max_model_len}",
        "--tasks",
        args.tasks,
        "--limit",
        str(args.limit),
        "--source",
        "sample",
        "--languages",
        "en,de",
        "--max-tokens",
        "64",
        "--output",
        str(out / name),
        "--cache",
        str(out / "cache.sqlite"),
    ]
    started = time.monotonic()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
    took = time.monotonic() - started
    if done.returncode not in (0, 3):
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        print(f"{kind}: exit {done.returncode}: {lines[-1] if lines else ''}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="HuggingFaceTB/SmolLM2-135M-Instruct")
    parser.add_argument("--tasks", default="mgsm,belebele")
    parser.add_argument("--limit", type=int, default=2)
    parser.add_argument("--max-model-len", type=int, default=2048)
    args = parser.parse_args()
    if importlib.util.find_spec("vllm") is None:
        print("vllm is not importable here: nothing was run (pip install 'polyeval[vllm]')")
        return
    out = Path(tempfile.mkdtemp(prefix="polyeval-vllm-backends-"))
    print(f"model {args.model}, device {device()}, runs in {out}")
    for kind in ("vllm", "vllm-server"):
        first = run(kind, args, out, f"{kind}-run")
        again = run(kind, args, out, f"{kind}-rerun")
        if not (out / f"{kind}-run" / "manifest.json").is_file():
            continue
        counts = open_run(out / f"{kind}-run").manifest.counts
        rerun = open_run(out / f"{kind}-rerun").manifest.counts
        print(
            f"{kind}: {counts.requests} requests, {counts.sent} sent, {counts.failed} failed, "
            f"{first:.1f} s; rerun {rerun.from_cache} from the cache, {rerun.sent} sent, "
            f"{again:.1f} s"
        )
        shown: set[str] = set()
        for sample in open_run(out / f"{kind}-run").samples():
            if sample.task not in shown:
                shown.add(sample.task)
                reply = " ".join((sample.output or sample.error or "").split())[:100]
                print(f"  {sample.task}/{sample.language}: {reply!r} -> {sample.parsed}")


if __name__ == "__main__":
    main()
