"""No text can crash or stall scoring: the language identifiers and LCB's tokenizers read a
bounded prefix of what they are given (harness.langid.text.bounded). A line of ~200,000 letters
judged against Japanese made MeCab crash the process (exit 139) in `evaluate langid` and in the
scoring of `evaluate run`, with or without `--predictions`; each check runs in a process of its
own, so that a crash fails the test instead of ending pytest."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from harness.config import RunConfig
from harness.langid import judge, lcb_check
from harness.langid.lcb import judged_lines
from harness.langid.text import MAX_LINE_CHARS, MAX_TEXT_CHARS
from harness.planner import build_plan
from harness.registry import TaskRegistry
from tests.conftest import REPO, process_command, read_run

# one line of 200,000 Latin letters: MeCab crashed on it
LONG_LINE = "a" * 200_000
JAPANESE = "これはとても良い質問だと思います。私の考えを詳しく説明します。"


def _process(command: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = process_command(command)
    return subprocess.run(
        argv, input=stdin, capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


@pytest.mark.parametrize("detector", ["default", "lid176"])
def test_evaluate_langid_survives_a_200000_character_line(tmp_path: Path, detector: str) -> None:
    done = _process(
        f"langid - --expect ja --detector {detector}", tmp_path, stdin=f"{JAPANESE}\n{LONG_LINE}"
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "LCB line" in done.stdout


def test_predictions_with_a_200000_character_line_are_scored(tmp_path: Path) -> None:
    selection = RunConfig(tasks=["lcb"], source="sample", languages=["jpn_Jpan"])
    ids = sorted({r.sample_id for r in build_plan(TaskRegistry(), selection).requests})[:3]
    outputs = [LONG_LINE, f"{JAPANESE}\n{LONG_LINE}", f"{LONG_LINE}\n{JAPANESE}"]
    path = tmp_path / "outputs.jsonl"
    rows = [{"sample_id": i, "output": o} for i, o in zip(ids, outputs, strict=True)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "run"
    for langid in ("default", "lid176"):
        done = _process(
            f"run --tasks lcb --languages ja --source sample --predictions {path} "
            f"--langid {langid} --output {out} --overwrite --cache {tmp_path / 'c.sqlite'}",
            tmp_path,
        )
        assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
        samples = read_run(out)["samples"]
        assert len(samples) == 3
        assert all(s["output"] in outputs for s in samples)  # the record keeps the whole answer
        assert all(len(s.get("lcb", {}).get("failed_line", "")) <= MAX_LINE_CHARS for s in samples)


def test_what_the_identifiers_read_is_bounded() -> None:
    # in this process: lines long enough to be cut, far too short to crash MeCab
    words = "ことば " * MAX_LINE_CHARS
    lines = judged_lines(f"{JAPANESE}\n{words}", "jpn_Jpan")
    assert [line for line, _ in lines] == [JAPANESE, words[:MAX_LINE_CHARS]]
    # a verdict reads the text's beginning: what follows MAX_TEXT_CHARS cannot change it
    head = JAPANESE * (MAX_TEXT_CHARS // len(JAPANESE) + 1)
    assert judge(head + "English words only from here on " * 1000, "ja") == judge(head, "ja")
    assert lcb_check(head + "\n" + words, "ja") == lcb_check(head, "ja")
