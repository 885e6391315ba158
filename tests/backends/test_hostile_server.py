"""The OpenAI-compatible backend against servers that misbehave: a body trickled past the
deadline, a refused connection, a name that does not resolve, client errors no retry can fix,
malformed usage and content, replies far longer than asked for, malformed base URLs. Each
against a real HTTP server on 127.0.0.1 (tests/fake_server.py)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.backends.openai_api import REFUSED_STATUS
from tests.conftest import read_run
from tests.fake_server import FakeServer, FaultPlan

FAST_RETRIES = "-M backoff_base=0.01 -M backoff_max=0.05"
ONE_TASK = "--tasks belebele --languages en --limit 3"  # max_tokens 64
RERUN_HINT = "run the same command again"


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer().start_in_thread()
    yield fake
    fake.stop_thread()


def _run(evaluate: Callable[..., Result], base_url: str, command: str, **kw: Any) -> Result:
    return evaluate(
        f"run --model openai:fake-model {FAST_RETRIES} --source sample {command}",
        base_url=base_url,
        **kw,
    )


def _errors(run_dir: Path) -> list[str]:
    return [s["error"] for s in read_run(run_dir)["samples"] if s["error"]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_a_body_trickled_past_the_timeout_ends_the_attempt(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    # one byte every 0.1 s: the reply's ~300 bytes would take half a minute
    slow = FakeServer(stream_chunk=1, trickle_s=0.1).start_in_thread()
    try:
        result = _run(
            evaluate,
            slow.base_url,
            "--tasks belebele --languages en --limit 1 --timeout 1 --max-attempts 1",
            output=tmp_path / "run",
        )
        deadline = time.monotonic() + 5
        while slow.abandoned < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        slow.stop_thread()
    assert result.exit_code == 3, result.output
    (error,) = _errors(tmp_path / "run")
    assert "timed out" in error and "--timeout" in error
    # the deadline covered the body: the server never finished sending it (no wall-clock
    # bound here: timing belongs in benchmarks/, and a busy machine is slow)
    assert slow.abandoned == 1 and sum(slow.answered.values()) == 0  # its connection was closed


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("refused", "connection refused by 127.0.0.1:"),
        ("http://polyeval-no-such-host.invalid:8000/v1", "cannot resolve host"),
    ],
)
def test_connection_failures_say_what_happened(
    evaluate: Callable[..., Result], tmp_path: Path, url: str, said: str
) -> None:
    if url == "refused":
        url = f"http://127.0.0.1:{_free_port()}/v1"
    result = _run(
        evaluate, url, f"{ONE_TASK} --timeout 30 --max-attempts 2", output=tmp_path / "run"
    )
    assert result.exit_code == 3, result.output
    errors = _errors(tmp_path / "run")
    assert len(errors) == 3
    assert all(said in e and "failed after 2 attempts" in e for e in errors), errors
    assert not any("timed out" in e for e in errors)
    assert RERUN_HINT in result.output  # the server may be up next time


@pytest.mark.parametrize("status", sorted(REFUSED_STATUS))
def test_client_errors_are_not_retried_and_the_run_says_why(
    evaluate: Callable[..., Result], tmp_path: Path, status: int
) -> None:
    plan = FaultPlan(rate=1.0, failures=99, kinds=(str(status),))
    refusing = FakeServer(faults=plan).start_in_thread()
    try:
        result = _run(
            evaluate, refusing.base_url, f"{ONE_TASK} --max-attempts 4", output=tmp_path / "run"
        )
    finally:
        refusing.stop_thread()
    assert result.exit_code == 3, result.output
    assert set(refusing.attempts.values()) == {1}  # asked once each
    errors = _errors(tmp_path / "run")
    assert len(errors) == 3
    for error in errors:
        assert error.startswith(f"not retried: HTTP {status} (")
        assert REFUSED_STATUS[status] in error and f"status {status} for this request" in error
    assert "not retried" in result.output and RERUN_HINT not in result.output


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:99999/v1",  # no such port
        "not a url",
        "ftp://127.0.0.1:8000/v1",
        "http:///v1",
        "http://user:hunter2-in-url@[::1",  # an unclosed IPv6 literal
    ],
)
def test_a_malformed_base_url_is_refused_at_start(
    evaluate: Callable[..., Result], tmp_path: Path, url: str
) -> None:
    result = _run(evaluate, url, ONE_TASK, output=tmp_path / "run")
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "--base-url" in lines[0] and "hunter2" not in lines[0]
    assert not (tmp_path / "run").exists()  # refused before anything was planned or asked


def _usage_of(text: str) -> Callable[[dict[str, Any], int], str]:
    """A reshape that writes `text` as the reply's prompt_tokens (JSON or not)."""

    def reshape(reply: dict[str, Any], attempt: int) -> str:
        reply["usage"]["prompt_tokens"] = "@USAGE@"
        return json.dumps(reply).replace('"@USAGE@"', text)

    return reshape


@pytest.mark.parametrize(
    "value", ['"many"', "NaN", "1e400", "1" + "0" * 400, "-7", "2.5", "[1]", "true"]
)
def test_a_malformed_usage_is_ignored_and_noted(
    evaluate: Callable[..., Result], server: FakeServer, tmp_path: Path, value: str
) -> None:
    server.reshape = _usage_of(value)
    result = _run(evaluate, server.base_url, ONE_TASK, output=tmp_path / "run")
    assert result.exit_code == 0, result.output
    run = read_run(tmp_path / "run")
    assert all(s["output"] and not s["error"] for s in run["samples"])
    assert run["manifest"]["counts"]["prompt_tokens"] == 0
    (note,) = run["manifest"]["model"]["notes"]
    assert note.startswith("3 replies had a usage that is not counts of tokens")
    assert "usage" in result.output and "note" in result.output


@pytest.mark.parametrize("content", [None, 5, {"text": "Answer: A"}, ["Answer: A"]])
def test_a_content_that_is_not_text_is_a_failed_attempt_never_an_answer(
    evaluate: Callable[..., Result], server: FakeServer, tmp_path: Path, content: Any
) -> None:
    def first_attempt_broken(reply: dict[str, Any], attempt: int) -> dict[str, Any]:
        if attempt == 0:
            reply["choices"][0]["message"]["content"] = content
        return reply

    server.reshape = first_attempt_broken
    result = _run(evaluate, server.base_url, ONE_TASK, output=tmp_path / "run")
    assert result.exit_code == 0, result.output
    samples = read_run(tmp_path / "run")["samples"]
    assert all(s["output"].startswith("Answer: ") for s in samples)
    assert set(server.attempts.values()) == {2}  # retried once each


def test_a_null_content_that_persists_is_asked_again_next_run(
    evaluate: Callable[..., Result], server: FakeServer, tmp_path: Path
) -> None:
    def null(reply: dict[str, Any], attempt: int) -> dict[str, Any]:
        reply["choices"][0]["message"]["content"] = None
        return reply

    server.reshape = null
    first = _run(
        evaluate, server.base_url, f"{ONE_TASK} --max-attempts 2", output=tmp_path / "first"
    )
    assert first.exit_code == 3, first.output
    errors = _errors(tmp_path / "first")
    assert len(errors) == 3 and all("message.content is null, not text" in e for e in errors)
    server.reshape = None
    second = _run(evaluate, server.base_url, ONE_TASK, output=tmp_path / "second")
    assert second.exit_code == 0, second.output
    run = read_run(tmp_path / "second")
    assert run["manifest"]["counts"]["sent"] == 3  # nothing empty was cached
    assert all(s["output"].startswith("Answer: ") for s in run["samples"])


@pytest.mark.parametrize(
    ("option", "cap"),
    [("", 16 * 64 + 4096), ("-M max_reply_chars=1000", 1000)],  # max_tokens 64 by default
)
def test_a_reply_longer_than_the_cap_is_cut_and_flagged(
    evaluate: Callable[..., Result], tmp_path: Path, option: str, cap: int
) -> None:
    fake = FakeServer(responder=lambda body: "Answer: B " + "x" * 20_000).start_in_thread()
    try:
        result = _run(evaluate, fake.base_url, f"{ONE_TASK} {option}", output=tmp_path / "run")
    finally:
        fake.stop_thread()
    assert result.exit_code == 0, result.output
    run = read_run(tmp_path / "run")
    assert all(len(s["output"]) == cap and s["truncated"] for s in run["samples"])
    assert all(s["parsed"] == "B" for s in run["samples"])
    assert run["manifest"]["counts"]["truncated"] == 3
    (note,) = run["manifest"]["model"]["notes"]
    assert note.startswith("3 replies were longer than the reply cap")
    assert (tmp_path / "run" / "samples.jsonl").stat().st_size < 3 * cap + 100_000


@pytest.mark.parametrize("chunk", [None, 1 << 16])  # with a Content-Length, and chunked
def test_a_reply_far_beyond_the_cap_is_not_read(
    evaluate: Callable[..., Result], tmp_path: Path, chunk: int | None
) -> None:
    huge = FakeServer(responder=lambda body: "y" * (3 << 20), stream_chunk=chunk)
    huge.start_in_thread()
    try:
        result = _run(
            evaluate, huge.base_url, f"{ONE_TASK} --max-attempts 3", output=tmp_path / "run"
        )
    finally:
        huge.stop_thread()
    assert result.exit_code == 3, result.output
    errors = _errors(tmp_path / "run")
    assert len(errors) == 3
    assert all(e.startswith("not retried: the reply from 127.0.0.1:") for e in errors)
    assert all("max_reply_chars" in e for e in errors)
    assert set(huge.attempts.values()) == {1}
    assert (tmp_path / "run" / "samples.jsonl").stat().st_size < 100_000


def test_the_command_line_defaults_are_the_backends() -> None:
    """Written out in harness.cli so that commands asking no model import no backend."""
    from harness import cli
    from harness.backends import options

    assert cli.DEFAULT_TIMEOUT_S == options.DEFAULT_TIMEOUT_S == options.BackendOptions().timeout_s
    assert cli.DEFAULT_MAX_ATTEMPTS == options.DEFAULT_MAX_ATTEMPTS
