"""`openai-batch:`: requests submitted as batch files to a real HTTP server on 127.0.0.1 that
implements the Batch API (tests/fake_server.py): submitted, polled, answers cached as each
batch ends (batch by batch), failed lines, expired and cancelled batches as per-sample errors
that a rerun submits again, and a run killed after submitting resumed from the ledger by the
batch's id."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.backends import NOT_RETRIED, create_backend, openai_batch, will_fail_again
from harness.backends.openai_batch import BatchBackend, default_ledger
from harness.backends.options import BackendOptions
from harness.errors import PolyevalError
from harness.generation.cache import ResponseCache
from harness.generation.runner import Execution, execute
from harness.records import Hints, Message, Request, Response
from tests.conftest import REPO, process_command, read_run
from tests.fake_server import FakeServer, ToyModel, prompt_key

FAST = {"backoff_base": "0.01", "backoff_max": "0.05", "poll_s": "0.01"}
TASKS = "--source sample --tasks belebele --languages en,ur --limit 3"


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer().start_in_thread()
    yield fake
    fake.stop_thread()


def _chat(text: str, **generation: Any) -> Request:
    return Request(
        task="t",
        variant="v",
        language="eng_Latn",
        sample_id=text,
        parallel_id=text,
        messages=(Message("user", text),),
        prompt=None,
        generation={"temperature": 0, "max_tokens": 8, **generation},
        template_hash="h",
        hints=Hints(gold="A"),
    )


def _completion(text: str) -> Request:
    return Request(
        task="t",
        variant="v",
        language="eng_Latn",
        sample_id=text,
        parallel_id=text,
        messages=(),
        prompt=text,
        generation={"temperature": 0, "max_tokens": 8},
        template_hash="h",
        hints=Hints(gold="A"),
    )


def _backend(server: FakeServer, folder: Path, said: list[str], **args: str) -> BatchBackend:
    options = BackendOptions(
        base_urls=(server.base_url,), args={**FAST, "ledger": str(folder), **args}
    )
    backend = create_backend("openai-batch:fake-model", options)
    assert isinstance(backend, BatchBackend)
    backend.say = said.append
    return backend


def _execute(
    server: FakeServer, requests: list[Request], tmp_path: Path, **args: str
) -> tuple[Execution, list[str]]:
    """The requests answered through the batch backend and the runner (cache in tmp_path)."""
    said: list[str] = []

    async def run() -> Execution:
        backend = _backend(server, tmp_path / "ledger", said, **args)
        cache = ResponseCache(tmp_path / "cache.sqlite")
        try:
            return await execute(requests, backend, cache)
        finally:
            cache.close()
            await backend.aclose()

    return asyncio.run(run()), said


def _errors(execution: Execution) -> list[str | None]:
    return [a.error if a is not None else "none" for _, a, _ in execution.answered]


def _records(ledger: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(ledger.glob("*.json"))]


def test_batch_bodies_are_what_openai_would_post_and_answers_are_cached(
    evaluate: Callable[..., Result], server: FakeServer, tmp_path: Path
) -> None:
    args = f"-M ledger={tmp_path / 'ledger'} -M poll_s=0.01"
    batch = evaluate(
        f"run --model openai-batch:fake-model {args} {TASKS}", base_url=server.base_url
    )
    assert batch.exit_code == 0, batch.output
    assert "submitted batch batch_1 (chat, 6 requests)" in batch.output
    assert "batch batch_1: completed, 6 of 6 answered" in batch.output
    assert server.batch_calls["create"] == 1 and server.bodies == []  # nothing online
    (file_id,) = [b.input_file_id for b in server.batches.values()]
    lines = [json.loads(line) for line in server.files[file_id].decode().splitlines()]
    assert {line["url"] for line in lines} == {"/v1/chat/completions"}
    assert len({line["custom_id"] for line in lines}) == 6

    # the same run online, with a cache of its own: the very same bodies
    online = evaluate(
        f"run --model openai:fake-model {TASKS}",
        base_url=server.base_url,
        cache=tmp_path / "online.sqlite",
    )
    assert online.exit_code == 0, online.output
    by_prompt = {prompt_key(b): b for b in server.bodies}
    assert {prompt_key(line["body"]): line["body"] for line in lines} == by_prompt

    # a second batch run sends nothing: every answer is in the cache; and an online run with
    # the same cache is answered from it (the same identity)
    again = evaluate(
        f"run --model openai-batch:fake-model {args} {TASKS}", base_url=server.base_url
    )
    assert "6 answered from the cache" in again.output and server.batch_calls["create"] == 1
    sent = len(server.bodies)
    shared = evaluate(f"run --model openai:fake-model {TASKS}", base_url=server.base_url)
    assert "6 answered from the cache" in shared.output and len(server.bodies) == sent
    assert _records(tmp_path / "ledger") == []  # every batch read: no record left


def test_several_batches_are_answered_as_each_ends(server: FakeServer, tmp_path: Path) -> None:
    server.batch_polls = (1, 3, 6)
    requests = [_chat(f"question {i}") for i in range(6)]
    arrivals: list[tuple[int, int]] = []  # (request index, retrievals so far)
    said: list[str] = []

    async def run() -> None:
        backend = _backend(server, tmp_path / "ledger", said, batch_requests="2")
        try:
            async for index, response in backend.generate(requests):
                assert response.ok, response.error
                arrivals.append((index, server.batch_calls["retrieve"]))
        finally:
            await backend.aclose()

    asyncio.run(run())
    assert server.batch_calls["create"] == 3
    assert [len(b.lines) for b in server.batches.values()] == [2, 2, 2]
    by_batch = [sorted(arrivals[i : i + 2]) for i in (0, 2, 4)]
    assert [[i for i, _ in pair] for pair in by_batch] == [[0, 1], [2, 3], [4, 5]]
    seen = [pair[0][1] for pair in by_batch]
    assert seen[0] < seen[1] < seen[2]  # progressively, each batch when it ends
    assert any("in_progress, 1 of 2 answered" in line for line in said)  # progress shown


def test_requests_are_split_by_endpoint_and_by_size(
    server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = [_chat(f"chat {i} " + "x" * 200) for i in range(4)]
    requests += [_completion(f"completion {i}") for i in range(2)]
    line = _backend(server, tmp_path / "ledger", [])._line("0" * 64, requests[0]).data
    limit = 2 * len(line) + 10  # two chat lines a batch
    monkeypatch.setattr(openai_batch, "MAX_BATCH_BYTES", limit)
    execution, _ = _execute(server, requests, tmp_path)
    assert execution.counts.failed == 0
    endpoints = [b.endpoint for b in server.batches.values()]
    assert endpoints.count("/v1/completions") == 1
    assert endpoints.count("/v1/chat/completions") == 2
    for batch in server.batches.values():
        assert len(server.files[batch.input_file_id]) <= limit
        assert {line["url"] for line in batch.lines} == {batch.endpoint}


def test_failed_lines_become_per_sample_errors_and_only_they_are_resubmitted(
    server: FakeServer, tmp_path: Path
) -> None:
    statuses = {"question 1": 500, "question 2": 400}
    server.batch_line_status = lambda body: statuses.get(body["messages"][0]["content"])
    requests = [_chat(f"question {i}") for i in range(4)]
    first, _ = _execute(server, requests, tmp_path)
    errors = _errors(first)
    assert errors[0] is None and errors[3] is None
    assert errors[1] is not None and "HTTP 500" in errors[1] and not will_fail_again(errors[1])
    assert will_fail_again(errors[2]) and "HTTP 400" in str(errors[2])
    assert first.counts.failed == 2

    statuses.clear()
    second, _ = _execute(server, requests, tmp_path)
    assert second.counts.failed == 0 and second.counts.from_cache == 2
    resubmitted = server.batches["batch_2"].lines
    assert sorted(line["body"]["messages"][0]["content"] for line in resubmitted) == [
        "question 1",
        "question 2",
    ]


def test_an_expired_batch_keeps_what_it_answered(server: FakeServer, tmp_path: Path) -> None:
    server.batch_polls, server.batch_end = (2,), "expired"
    requests = [_chat(f"question {i}") for i in range(4)]
    execution, said = _execute(server, requests, tmp_path)
    errors = _errors(execution)
    assert errors[:2] == [None, None]  # answered before the window closed
    for error in errors[2:]:
        assert error is not None and "expired" in error and not will_fail_again(error)
    assert any("batch batch_1: expired" in line for line in said)
    server.batch_end = "completed"
    again, _ = _execute(server, requests, tmp_path)
    assert again.counts.failed == 0 and len(server.batches["batch_2"].lines) == 2


def test_a_batch_cancelled_on_the_server_fails_its_unanswered_requests(
    server: FakeServer, tmp_path: Path
) -> None:
    server.batch_polls = (4,)
    requests = [_chat(f"question {i}") for i in range(4)]
    said: list[str] = []

    def cancel_once_running(text: str) -> None:
        said.append(text)
        if "in_progress, 1 of 4" in text:  # as a user would, with the provider's tools
            asked = urllib.request.Request(
                f"{server.base_url}/batches/batch_1/cancel", method="POST", data=b""
            )
            with urllib.request.urlopen(asked) as reply:
                assert json.load(reply)["status"] == "cancelling"

    async def run() -> dict[int, Response]:
        backend = _backend(server, tmp_path / "ledger", [])
        backend.say = cancel_once_running
        try:
            return {i: r async for i, r in backend.generate(requests)}
        finally:
            await backend.aclose()

    found = asyncio.run(run())
    assert found[0].ok and found[0].text.startswith("Answer:")
    for index in (1, 2, 3):
        error = found[index].error
        assert error is not None and "was cancelled" in error and not will_fail_again(error)
    assert any("batch batch_1: cancelled, 1 of 4 answered, 3 failed" in line for line in said)
    assert server.batch_calls["cancel"] == 1  # the user's; the backend cancels nothing
    assert _records(tmp_path / "ledger") == []


def test_a_batch_that_fails_whole_fails_each_request(server: FakeServer, tmp_path: Path) -> None:
    server.batch_failure = "the input file has an invalid line"
    execution, _ = _execute(server, [_chat("a"), _chat("b")], tmp_path)
    for error in _errors(execution):
        assert error is not None and "batch batch_1 failed" in error
        assert "the input file has an invalid line" in error


def test_transient_faults_are_tried_again_and_a_refusal_is_not(
    server: FakeServer, tmp_path: Path
) -> None:
    server.batch_faults = {"upload": [500], "create": [429], "retrieve": [503], "content": [502]}
    execution, said = _execute(server, [_chat("a"), _chat("b")], tmp_path)
    assert execution.counts.failed == 0
    assert any("polling batch batch_1 failed" in line for line in said)

    server.batch_faults = {"upload": [401]}
    refused, _ = _execute(server, [_chat("c")], tmp_path)
    (error,) = _errors(refused)
    assert will_fail_again(error) and "could not be submitted" in str(error)
    assert "HTTP 401" in str(error)


def _leave_running(server: FakeServer, tmp_path: Path, requests: list[Request]) -> None:
    """A run interrupted once its batch has been polled: the batch runs on, recorded."""
    server.batch_polls = (1_000_000,)

    async def interrupted() -> None:
        backend = _backend(server, tmp_path / "ledger", [])
        stream = backend.generate(requests)
        task = asyncio.ensure_future(anext(stream))
        polled = server.batch_calls["retrieve"]
        while server.batch_calls["retrieve"] < polled + 1:
            await asyncio.sleep(0.01)
        task.cancel()
        await backend.aclose()

    asyncio.run(interrupted())


def test_the_ledger_holds_no_secret_and_the_key_is_sent(
    server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-batch-secret-1234"
    server.api_key = key
    monkeypatch.setenv("OPENAI_API_KEY", key)
    _leave_running(server, tmp_path, [_chat("a")])
    (path,) = (tmp_path / "ledger").glob("*.json")
    record = json.loads(path.read_text())
    assert record["batch_id"] == "batch_1" and record["identity"]["kind"] == "openai"
    assert key not in path.read_text()
    assert server.authorizations and all(a == f"Bearer {key}" for a in server.authorizations)


def test_an_interrupted_run_leaves_its_batches_running_and_the_next_run_resumes_them(
    server: FakeServer, tmp_path: Path
) -> None:
    server.batch_polls = (1_000_000,)
    requests = [_chat(f"question {i}") for i in range(3)]
    said: list[str] = []

    async def interrupted() -> None:
        backend = _backend(server, tmp_path / "ledger", said)
        cache = ResponseCache(tmp_path / "cache.sqlite")
        task = asyncio.ensure_future(execute(requests, backend, cache))
        while server.batch_calls["retrieve"] < 3:
            await asyncio.sleep(0.01)
        task.cancel()  # Ctrl-C
        with pytest.raises(asyncio.CancelledError):
            await task
        cache.close()
        await backend.aclose()

    asyncio.run(interrupted())
    assert server.batches["batch_1"].status == "in_progress"  # not cancelled
    assert server.batch_calls["cancel"] == 0
    assert any("left running on the server, not cancelled: batch_1;" in line for line in said)
    assert [r["batch_id"] for r in _records(tmp_path / "ledger")] == ["batch_1"]

    server.batches["batch_1"].needed = server.batches["batch_1"].polls + 1
    resumed, said = _execute(server, requests, tmp_path)
    assert resumed.counts.failed == 0 and resumed.counts.sent == 3
    assert server.batch_calls["create"] == 1  # no new batch
    assert any("resuming batch batch_1" in line for line in said)
    assert _records(tmp_path / "ledger") == []


def test_a_batch_refused_when_polled_is_kept_and_one_gone_is_submitted_again(
    server: FakeServer, tmp_path: Path
) -> None:
    requests = [_chat("a"), _chat("b")]
    _leave_running(server, tmp_path, requests)
    server.batch_faults = {"retrieve": [401]}  # a wrong key: the batch is kept
    refused, _ = _execute(server, requests, tmp_path)
    for error in _errors(refused):
        assert will_fail_again(error) and "batch batch_1 cannot be polled" in str(error)
    assert [r["batch_id"] for r in _records(tmp_path / "ledger")] == ["batch_1"]

    del server.batches["batch_1"]  # gone (deleted, or another account's): submitted again
    gone, _ = _execute(server, requests, tmp_path)
    for error in _errors(gone):
        assert error is not None and "HTTP 404" in error and not will_fail_again(error)
    assert _records(tmp_path / "ledger") == []
    server.batch_polls = (1,)
    again, _ = _execute(server, requests, tmp_path)
    assert again.counts.failed == 0 and server.batch_calls["create"] == 2


def test_a_run_killed_after_submitting_resumes_the_same_batch(
    evaluate: Callable[..., Result], server: FakeServer, tmp_path: Path
) -> None:
    server.batch_polls = (1_000_000,)
    ledger, cache = tmp_path / "ledger", tmp_path / "cache.sqlite"
    command = (
        f"run --model openai-batch:fake-model -M poll_s=0.01 -M ledger={ledger} {TASKS} "
        f"--cache {cache} --output {tmp_path / 'killed'}"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        process_command(command, base_url=server.base_url),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while server.batch_calls["retrieve"] < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.batch_calls["retrieve"] >= 2, "the run never polled its batch"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    assert [r["batch_id"] for r in _records(ledger)] == ["batch_1"]

    batch = server.batches["batch_1"]
    batch.needed = batch.polls + 2
    out = tmp_path / "resumed"
    result = evaluate(
        f"run --model openai-batch:fake-model -M poll_s=0.01 -M ledger={ledger} {TASKS}",
        base_url=server.base_url,
        cache=cache,
        output=out,
    )
    assert result.exit_code == 0, result.output
    assert "resuming batch batch_1 (6 of this run's requests)" in result.output
    assert server.batch_calls["create"] == 1 and server.batch_calls["upload"] == 1
    assert batch.status == "completed" and _records(ledger) == []
    assert read_run(out)["manifest"]["counts"]["failed"] == 0
    again = evaluate(
        f"run --model openai-batch:fake-model -M poll_s=0.01 -M ledger={ledger} {TASKS}",
        base_url=server.base_url,
        cache=cache,
    )
    assert (
        "6 answered from the cache" in again.output
        and server.batch_calls["retrieve"] == batch.polls
    )


def test_log_likelihood_requests_are_scored_through_a_batch(tmp_path: Path) -> None:
    toy = ToyModel(vocabulary=("Answer", " B"), logprobs={" B": -0.5})
    server = FakeServer(toy=toy).start_in_thread()
    request = Request(
        task="t",
        variant="v",
        language="eng_Latn",
        sample_id="1",
        parallel_id="1",
        messages=(),
        prompt="Answer:",
        generation={"temperature": 0, "max_tokens": 8},
        template_hash="h",
        hints=Hints(gold="A"),
        continuations=(" B", " C"),
    )

    async def online() -> Response:
        options = BackendOptions(base_urls=(server.base_url,))
        backend = create_backend("openai:fake-model", options)
        try:
            (answer,) = [r async for _, r in backend.generate([request])]
            return answer
        finally:
            await backend.aclose()

    try:
        execution, _ = _execute(server, [request, _chat("a")], tmp_path)
        expected = asyncio.run(online())
    finally:
        server.stop_thread()
    answer, chat = (a for _, a, _ in execution.answered)
    assert answer is not None and answer.ok, answer
    assert answer.scores == expected.scores and answer.scores[0].logprob == -0.5
    assert chat is not None and chat.ok
    endpoints = sorted(b.endpoint for b in server.batches.values())
    assert endpoints == ["/v1/chat/completions", "/v1/completions"]
    line = next(b for b in server.batches.values() if b.endpoint == "/v1/completions").lines[0]
    assert line["body"] == server.bodies[0]  # what openai: POSTs


def test_model_arguments_are_checked(server: FakeServer, tmp_path: Path) -> None:
    def make(**args: str) -> Any:
        options = BackendOptions(base_urls=(server.base_url,), args=args)
        return create_backend("openai-batch:m", options)

    with pytest.raises(PolyevalError, match="takes no -M colour"):
        make(colour="red")
    with pytest.raises(PolyevalError, match="poll_s"):
        make(poll_s="0")
    with pytest.raises(PolyevalError, match="batch_requests"):
        make(batch_requests="50001")
    with pytest.raises(PolyevalError, match="one --base-url"):
        create_backend(
            "openai-batch:m", BackendOptions(base_urls=(server.base_url, server.base_url))
        )
    assert (
        make(max_reply_chars="10").identity()
        == create_backend("openai:m", BackendOptions(base_urls=(server.base_url,))).identity()
    )


def test_an_unwritable_ledger_submits_nothing(server: FakeServer, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    execution, _ = _execute(server, [_chat("a")], tmp_path, ledger=str(blocked / "ledger"))
    (error,) = _errors(execution)
    assert will_fail_again(error) and "batch ledger" in str(error)
    assert server.batch_calls["upload"] == 0
    assert NOT_RETRIED in str(error)


def test_the_ledger_lies_beside_the_runs_cache(tmp_path: Path) -> None:
    """Without -M ledger, the batches are recorded beside the --cache file the run uses."""
    assert default_ledger(tmp_path / "caches" / "mine.sqlite") == tmp_path / "caches" / "batches"
    backend = create_backend(
        "openai-batch:m",
        BackendOptions(
            base_urls=("http://127.0.0.1:9/v1",), cache_path=tmp_path / "caches" / "mine.sqlite"
        ),
    )
    assert isinstance(backend, BatchBackend)
    assert backend.ledger.folder == tmp_path / "caches" / "batches"


def test_the_cache_path_given_to_the_backend_is_not_recorded(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:random --tasks belebele --limit 1 --source sample",
        output=out,
        cache=tmp_path / "elsewhere" / "c.sqlite",
    )
    assert result.exit_code == 0, result.output
    manifest = (out / "manifest.json").read_text()
    assert "cache_path" not in manifest and "elsewhere" not in manifest
