"""What the run record costs: writing a run folder whole (staging folder, fsync, one rename) and
reading it back typed and validated, against plain `json` on the same records in the same
process (the floor: no types, no checks, no staging).

A synthetic run of N samples (default 50,000, about a Belebele run in 55 languages) with chat
prompts, several acceptable answers, breakdowns and language verdicts.

Usage: python benchmarks/run_record.py [--samples 50000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from harness.record import (
    ChatTurn,
    Counts,
    HarnessInfo,
    Manifest,
    RunContents,
    SampleRecord,
    ScoreRecord,
    SourceInfo,
    TaskInfo,
    open_run,
    write_run,
)


def synthetic(samples: int) -> RunContents:
    records = [
        SampleRecord(
            task="quiz",
            variant="zero_shot",
            language=f"l{i % 50:02d}_Latn",
            sample_id=str(i),
            parallel_id=str(i // 50),
            gold="B",
            answers=["B"],
            choices=[f"option {c} of item {i}" for c in "ABCD"],
            breakdowns={"subject": f"s{i % 7}"},
            fields={"passage": "text " * 60, "question": f"question {i}?"},
            prompt=[
                ChatTurn(role="system", content="Answer with the letter."),
                ChatTurn(role="user", content=f"passage {'text ' * 60} question {i}?"),
            ],
            generation={"temperature": 0.0, "max_tokens": 64, "seed": 1234},
            template_hash="0123456789abcdef",
            output=f"Answer: {'ABCD'[i % 4]}",
            finish_reason="stop",
            parsed="ABCD"[i % 4],
            scores={"accuracy": float(i % 4 == 1), "parse_rate": 1.0, "consistency": 1.0},
            langid={"expected": "l00_Latn", "detected": "l00_Latn", "consistent": "yes"},
        )
        for i in range(samples)
    ]
    manifest = Manifest(
        run_id="synthetic",
        status="complete",
        harness=HarnessInfo(version="0"),
        started="2026-01-01T00:00:00+00:00",
        model={"name": "synthetic"},
        tasks={"quiz": TaskInfo(version="1", kind="multiple_choice", source=SourceInfo(kind="x"))},
        counts=Counts(requests=samples),
    )
    scores = [
        ScoreRecord(task="quiz", variant="zero_shot", language="l", metric="m", value=0.5, n=1)
    ]
    return RunContents(manifest, records, scores)


def plain(contents: RunContents, folder: Path) -> float:
    """Write and read the same records as plain JSON lines, without types or checks."""
    rows = [r.model_dump(mode="json") for r in contents.samples]
    started = time.perf_counter()
    with (folder / "plain.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (folder / "plain.jsonl").open(encoding="utf-8") as handle:
        back = [json.loads(line) for line in handle]
    assert len(back) == len(rows)
    return time.perf_counter() - started


def record(contents: RunContents, folder: Path) -> tuple[float, float]:
    started = time.perf_counter()
    write_run(folder / "run", contents)
    written = time.perf_counter() - started
    started = time.perf_counter()
    back = list(open_run(folder / "run").samples())
    assert len(back) == len(contents.samples)
    return written, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50_000)
    args = parser.parse_args()
    contents = synthetic(args.samples)
    with tempfile.TemporaryDirectory() as tmp:
        floor = plain(contents, Path(tmp))
        written, read = record(contents, Path(tmp))
    n = args.samples
    print(f"{n:,} samples: plain json write+read {floor:.2f} s ({1e6 * floor / n:.0f} µs/sample)")
    print(
        f"run record: write whole {written:.2f} s, read typed {read:.2f} s "
        f"({1e6 * (written + read) / n:.0f} µs/sample), ratio to plain json "
        f"{(written + read) / floor:.2f}x"
    )


if __name__ == "__main__":
    main()
