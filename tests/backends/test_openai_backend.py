"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1 that injects faults."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.conftest import read_run, scores_of
from tests.fake_server import FakeServer, FaultPlan, prompt_key

FAST_RETRIES = "-M backoff_base=0.01 -M backoff_max=0.05"


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer().start_in_thread()
    yield fake
    fake.stop_thread()


def _run(evaluate: Callable[..., Result], server: FakeServer, command: str, **kw: Any) -> Result:
    return evaluate(
        f"run --model openai:fake-model {FAST_RETRIES} --source sample {command}",
        base_url=server.base_url,
        **kw,
    )


def test_chat_requests_carry_the_prompt_and_generation_parameters(
    evaluate: Callable[..., Result], server: FakeServer, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = _run(
        evaluate,
        server,
        "--tasks belebele --languages en,ur --limit 3 --temperature 0.5",
        output=out,
        extra_body='{"top_k": 5}',
    )
    assert result.exit_code == 0, result.output
    run = read_run(out)
    assert len(run["samples"]) == 6 and all(s["output"] for s in run["samples"])
    body = server.bodies[0]
    assert body["model"] == "fake-model"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["temperature"] == 0.5 and body["max_tokens"] == 64 and body["seed"] == 1234
    assert body["top_k"] == 5  # extra body passed through
    assert run["manifest"]["counts"]["prompt_tokens"] == 6 * 11
    assert run["manifest"]["model"]["kind"] == "openai"


def test_completion_form_uses_the_completions_endpoint(
    evaluate: Callable[..., Result], server: FakeServer, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = _run(
        evaluate,
        server,
        "--tasks mgsm --languages de --limit 2 --prompt-format completion",
        output=out,
    )
    assert result.exit_code == 0, result.output
    assert all("prompt" in body and "messages" not in body for body in server.bodies)
    assert server.bodies[0]["prompt"].endswith("Schritt-für-Schritt-Antwort:")


def test_every_request_of_every_task_shares_one_pool(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    slow = FakeServer(latency_s=0.05).start_in_thread()
    try:
        result = _run(
            evaluate,
            slow,
            "--tasks mgsm,belebele --limit 3 --concurrency 16",
            output=tmp_path / "run",
        )
    finally:
        slow.stop_thread()
    assert result.exit_code == 0, result.output
    assert len(slow.bodies) == 3 * 11 + 3 * 10
    assert slow.max_in_flight == 16  # filled across tasks and languages, never above the bound


def test_faults_are_retried_and_what_still_fails_is_asked_again_next_time(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    plan = FaultPlan(rate=0.6, failures=2, always=0.1, seed=7)
    faulty = FakeServer(faults=plan, slow_s=3.0).start_in_thread()
    try:
        command = "--tasks belebele,mgsm --limit 6 --timeout 1 --max-attempts 4"
        first = _run(evaluate, faulty, command, output=tmp_path / "first")
        attempts_first = sum(faulty.attempts.values())
        second = _run(evaluate, faulty, command, output=tmp_path / "second")
    finally:
        faulty.stop_thread()
    assert first.exit_code == 3 and second.exit_code == 3  # some prompts always fail
    one, two = read_run(tmp_path / "first"), read_run(tmp_path / "second")
    failed = [s for s in one["samples"] if s["error"]]
    answered = [s for s in one["samples"] if not s["error"]]
    assert failed and answered
    assert all(s["output"] is not None for s in answered)
    # a timeout is tried once more at most: a reply slower than --timeout is as slow again
    timed_out = [s for s in failed if "2 of them timed out" in s["error"]]
    assert timed_out and all("failed after 2 attempts" in s["error"] for s in timed_out)
    assert all("failed after 4 attempts" in s["error"] for s in failed if s not in timed_out)
    assert max(faulty.answered.values()) == 1  # nothing answered twice, across both runs
    kinds_seen = {
        plan.fault(key, n) for key, count in faulty.attempts.items() for n in range(count)
    }
    assert {"429", "500", "slow", "drop", "malformed"} <= kinds_seen
    counts = two["manifest"]["counts"]
    assert counts["sent"] == len(failed) and counts["from_cache"] == len(answered)
    # asked again: the prompts that always fail 4 times, those that timed out twice once
    again = 4 * (len(failed) - len(timed_out)) + len(timed_out)
    assert sum(faulty.attempts.values()) - attempts_first == again
    assert one["manifest"]["status"] == "incomplete"
    n_scored = sum(r["n"] for r in scores_of(tmp_path / "first").values())
    assert n_scored == len(answered)  # failures are missing, not wrong


def test_the_api_key_never_reaches_results_cache_or_messages(
    evaluate: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-test-0123456789abcdef-SECRET"
    monkeypatch.setenv("POLYEVAL_TEST_KEY", secret)
    good = FakeServer(api_key=secret).start_in_thread()
    wrong = FakeServer(api_key="sk-another-key").start_in_thread()
    try:
        cache = tmp_path / "cache.sqlite"
        ok = _run(
            evaluate,
            good,
            "--tasks belebele --limit 2 --api-key-env POLYEVAL_TEST_KEY",
            output=tmp_path / "ok",
            cache=cache,
        )
        refused = _run(
            evaluate,
            wrong,
            "--tasks belebele --limit 2 --api-key-env POLYEVAL_TEST_KEY",
            output=tmp_path / "refused",
            cache=cache,
        )
    finally:
        good.stop_thread()
        wrong.stop_thread()
    assert ok.exit_code == 0 and refused.exit_code == 3
    errors = [s["error"] for s in read_run(tmp_path / "refused")["samples"]]
    assert all(e and "HTTP 401" in e and "***" in e for e in errors)
    for path in [*tmp_path.rglob("*")]:
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    assert secret not in ok.output + refused.output


def test_a_missing_key_for_a_hosted_api_is_a_one_line_error(
    evaluate: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = evaluate("run --model openai:gpt-4o-mini --tasks mgsm --source sample")
    assert result.exit_code == 2
    assert result.output.startswith("error: no API key: set OPENAI_API_KEY")


def test_reasoning_is_kept_apart_and_truncated_answers_are_flagged(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    def thinking(body: dict[str, Any]) -> str:
        return "<think>The passage says B, not A.</think>Answer: C"

    fake = FakeServer(responder=thinking, finish_reason="length").start_in_thread()
    try:
        result = _run(
            evaluate, fake, "--tasks belebele --languages en --limit 2", output=tmp_path / "run"
        )
    finally:
        fake.stop_thread()
    assert result.exit_code == 0, result.output
    run = read_run(tmp_path / "run")
    sample = run["samples"][0]
    assert sample["output"] == "Answer: C" and sample["parsed"] == "C"
    assert sample["reasoning"] == "The passage says B, not A."
    assert sample["truncated"] is True and run["manifest"]["counts"]["truncated"] == 2


def test_replicas_share_the_requests(evaluate: Callable[..., Result], tmp_path: Path) -> None:
    first, second = FakeServer().start_in_thread(), FakeServer().start_in_thread()
    try:
        result = evaluate(
            f"run --model openai:fake-model {FAST_RETRIES} --source sample --tasks mgsm --limit 2",
            "--base-url",
            first.base_url,
            "--base-url",
            second.base_url,
            output=tmp_path / "run",
        )
    finally:
        first.stop_thread()
        second.stop_thread()
    assert result.exit_code == 0, result.output
    assert len(first.bodies) == len(second.bodies) == 11


def test_the_cache_key_ignores_the_key_but_not_the_endpoint(
    evaluate: Callable[..., Result], server: FakeServer, tmp_path: Path
) -> None:
    cache = tmp_path / "cache.sqlite"
    _run(
        evaluate,
        server,
        "--tasks mgsm --languages en --limit 2",
        output=tmp_path / "a",
        cache=cache,
    )
    again = _run(
        evaluate,
        server,
        "--tasks mgsm --languages en --limit 2 --temperature 0.1",
        output=tmp_path / "b",
        cache=cache,
    )
    assert again.exit_code == 0
    assert read_run(tmp_path / "b")["manifest"]["counts"]["sent"] == 2
    keys = {prompt_key(body) for body in server.bodies}
    assert len(keys) == 2  # the same prompts, asked again only because the parameters changed
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["model"]["base_urls"] == [
        server.base_url
    ]
