"""The response cache: reruns send nothing, killed runs resume, and the key covers
everything that decides an answer."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from click.testing import Result

from harness.config import RunConfig
from harness.generation.cache import cache_key
from harness.planner import build_plan
from harness.records import Request
from harness.registry import TaskRegistry
from tests.conftest import REPO, process_command, read_run

ARGS = ("--model", "baseline:random", "--tasks", "mgsm,belebele", "--limit", "4")


def test_second_run_sends_nothing_and_scores_identically(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert evaluate("run", *ARGS, "--output", str(first)).exit_code == 0
    assert evaluate("run", *ARGS, "--output", str(second)).exit_code == 0
    one, two = read_run(first), read_run(second)
    assert one["manifest"]["counts"]["sent"] == one["manifest"]["counts"]["requests"] > 0
    assert two["manifest"]["counts"]["sent"] == 0
    assert two["manifest"]["counts"]["from_cache"] == two["manifest"]["counts"]["requests"]
    assert (first / "scores.json").read_bytes() == (second / "scores.json").read_bytes()
    assert [s["output"] for s in one["samples"]] == [s["output"] for s in two["samples"]]


def test_a_killed_run_resumes_without_asking_again(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    command = process_command(
        "run --model baseline:reference -M latency=0.02 --tasks mgsm --limit 8",
        cache=cache,
        output=tmp_path / "run",
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    answered = _wait_for_rows(cache, at_least=20, process=process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = _rows(cache)
    assert 20 <= done < 88, "the run was not killed halfway"
    assert not (tmp_path / "run" / "scores.json").exists()
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    counts = read_run(tmp_path / "run")["manifest"]["counts"]
    assert counts["requests"] == 88  # 11 languages x 8 samples
    assert counts["from_cache"] == done >= answered
    assert counts["sent"] == 88 - done


def _rows(cache: Path) -> int:
    try:
        with sqlite3.connect(cache) as db:
            return int(db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _wait_for_rows(cache: Path, at_least: int, process: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if (count := _rows(cache)) >= at_least:
            return count
        time.sleep(0.01)
    raise AssertionError("the run finished or stalled before it could be killed")


def _one_request() -> Request:
    selection = RunConfig(tasks=["mgsm"], languages=["eng_Latn"], limit=1, source="sample")
    return build_plan(TaskRegistry(), selection).requests[0]


def test_cache_key_covers_model_generation_and_prompt() -> None:
    request = _one_request()
    identity = {"kind": "openai", "model": "m1", "revision": None, "base_url": "http://a"}
    base = cache_key(identity, request)
    assert cache_key(dict(identity), request) == base  # stable
    assert cache_key({**identity, "model": "m2"}, request) != base
    assert cache_key({**identity, "revision": "abc"}, request) != base
    assert cache_key({**identity, "base_url": "http://b"}, request) != base
    for change in ({"temperature": 0.7}, {"max_tokens": 7}, {"seed": 99}, {"stop": ["\n"]}):
        changed = replace(request, generation={**request.generation, **change})
        assert cache_key(identity, changed) != base, change
    assert cache_key(identity, replace(request, messages=request.messages[1:])) != base
    assert cache_key(identity, replace(request, sample_id="other")) == base  # prompt decides


def test_changing_the_template_changes_the_cache_key(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks"
    (tasks / "mgsm").mkdir(parents=True)
    source = REPO / "tasks" / "mgsm"
    for name in ("task.yaml", "task.py"):
        (tasks / "mgsm" / name).write_text((source / name).read_text())
    (tasks / "mgsm" / "sample").symlink_to(source / "sample")
    template = (REPO / "prompts" / "mgsm.j2").read_text()
    (tasks / "mgsm" / "mgsm.j2").write_text(
        template.replace("{{ question }}", "{{ question }} ({{ lit.answer }})")
    )
    selection = RunConfig(tasks=["mgsm"], languages=["eng_Latn"], limit=1, source="sample")
    edited = build_plan(TaskRegistry([tasks]), selection).requests[0]
    original = _one_request()
    identity = {"kind": "baseline", "model": "reference"}
    assert edited.template_hash != original.template_hash
    assert cache_key(identity, edited) != cache_key(identity, original)
