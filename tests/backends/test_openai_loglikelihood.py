"""Log-likelihood requests through the OpenAI backend, against a real HTTP server on 127.0.0.1
(tests/fake_server.py) whose completions endpoint echoes each prompt with known per-token
log-probabilities (its ToyModel): the scores, the option each normalisation picks and the
greedy flags equal hand computations; a server that cannot return prompt log-probabilities, or
has no completions endpoint for the model, is a one-line error naming the endpoint; answers are
cached and share the pool with generations."""

from __future__ import annotations

import asyncio
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.backends import create_backend, will_fail_again
from harness.backends.options import BackendOptions
from harness.generation.cache import ResponseCache
from harness.generation.runner import Execution, execute
from harness.records import ContinuationScore, Hints, Message, Request, Response
from tests.backends.test_vllm import answer_all, fake_server_command
from tests.fake_server import FakeServer, FaultPlan, ToyModel

FAST = {"backoff_base": "0.01", "backoff_max": "0.05"}
# per-token log-probabilities of the toy model; anything else is -2.0, the top one -0.5
TABLE = {
    " C": -0.9,
    " Bravo": -1.2,
    " ": -0.2,
    "D": -0.1,
    "e": -0.4,
    "xy": -0.7,
    "z": -3.0,
    "y": -0.3,
    "\ufffd": -0.25,
}
VOCABULARY = ("Answer", " Bravo", " C", "xy")


def _request(context: str, continuations: tuple[str, ...], sample_id: str = "1") -> Request:
    return Request(
        task="t",
        variant="v",
        language="eng_Latn",
        sample_id=sample_id,
        parallel_id=sample_id,
        messages=(),
        prompt=context,
        generation={"temperature": 0, "max_tokens": 8},
        template_hash="h",
        hints=Hints(gold="A"),
        continuations=continuations,
    )


def _serve(**kw: Any) -> FakeServer:
    toy = kw.pop("toy", None) or ToyModel(vocabulary=VOCABULARY, logprobs=TABLE)
    return FakeServer(toy=toy, **kw).start_in_thread()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = _serve()
    yield fake
    fake.stop_thread()


def _options(server: FakeServer, **kw: Any) -> BackendOptions:
    return BackendOptions(base_urls=(server.base_url,), args=dict(FAST), **kw)


def _answer(server: FakeServer, *requests: Request, **kw: Any) -> list[Response]:
    """Each request's answer through the backend, in order."""

    async def run() -> list[Response]:
        backend = create_backend("openai:fake-model", _options(server, **kw))
        try:
            found = {i: r async for i, r in backend.generate(list(requests))}
        finally:
            await backend.aclose()
        return [found[i] for i in range(len(requests))]

    return asyncio.run(run())


def _execute(server: FakeServer, requests: list[Request], cache: Path) -> Execution:
    async def run() -> Execution:
        backend = create_backend("openai:fake-model", _options(server))
        try:
            return await execute(requests, backend, ResponseCache(cache))
        finally:
            await backend.aclose()

    return asyncio.run(run())


def _best(scores: tuple[ContinuationScore, ...], per: list[int]) -> int:
    return max(range(len(scores)), key=lambda i: scores[i].logprob / per[i])


def _close(score: ContinuationScore, logprob: float, tokens: int, greedy: bool) -> bool:
    return math.isclose(score.logprob, logprob, abs_tol=1e-9) and (score.tokens, score.greedy) == (
        tokens,
        greedy,
    )


def test_sums_and_the_option_each_normalisation_picks_equal_hand_computations(
    server: FakeServer,
) -> None:
    """ " C" is one token (-0.9); " Dee" is " ", "D", "e", "e" (-0.2 - 0.1 - 0.4 - 0.4 = -1.1,
    every token above the top -0.5: greedy); " Bravo" one token (-1.2). By sum " C" wins, by
    token " Dee" (-0.275), by character " Bravo" (-0.2)."""
    options = (" C", " Dee", " Bravo")
    (answer,) = _answer(server, _request("Which one? Answer:", options))
    assert answer.ok, answer.error
    assert answer.text == "" and answer.finish_reason == "stop"
    c, dee, bravo = answer.scores
    assert _close(c, -0.9, 1, False)
    assert _close(dee, -1.1, 4, True)
    assert _close(bravo, -1.2, 1, False)
    assert _best(answer.scores, [1, 1, 1]) == 0
    assert _best(answer.scores, [s.tokens for s in answer.scores]) == 1
    assert _best(answer.scores, [len(text) for text in options]) == 2


def test_one_request_sends_each_distinct_text_once_and_asks_for_the_prompt_alone(
    server: FakeServer,
) -> None:
    (answer,) = _answer(server, _request("Answer:", (" C", " Bravo", " C")))
    assert answer.ok, answer.error
    assert answer.scores[0] == answer.scores[2]
    (body,) = server.bodies
    assert body["prompt"] == ["Answer: C", "Answer: Bravo"]
    assert body["echo"] is True and body["max_tokens"] == 0
    assert body["logprobs"] == 1 and body["temperature"] == 0
    assert "messages" not in body and "stop" not in body
    assert answer.usage.prompt_tokens == 6  # "Answer", ":", " C" and "Answer", ":", " Bravo"


def test_a_token_merging_the_contexts_last_character_counts_for_the_continuation(
    server: FakeServer,
) -> None:
    """Context "Say x": continuation "y" makes "xy" one token, which straddles the context's
    end and counts whole (-0.7, 1 token); "z" does not merge (-3.0); "yy" is "xy", "y"."""
    (answer,) = _answer(server, _request("Say x", ("y", "z", "yy")))
    assert answer.ok, answer.error
    xy, z, yy = answer.scores
    assert _close(xy, -0.7, 1, False)
    assert _close(z, -3.0, 1, False)
    assert _close(yy, -0.7 - 0.3, 2, False)
    assert _best(answer.scores, [1, 1, 1]) == 0


def test_offsets_shifted_by_a_leading_special_token_and_byte_pieces_still_locate_it() -> None:
    """As vLLM answers for Llama-like models: `<|begin_of_text|>` heads the tokens (every
    text_offset 17 past the text) and a Bengali character is three byte pieces, each rendered
    U+FFFD. The continuation " ক" is " " (-0.2) and three pieces (-0.25 each)."""
    toy = ToyModel(vocabulary=VOCABULARY, logprobs=TABLE, bos="<|begin_of_text|>", byte_pieces=True)
    fake = _serve(toy=toy)
    try:
        (answer,) = _answer(fake, _request("উত্তর:", (" ক", " C")))
    finally:
        fake.stop_thread()
    assert answer.ok, answer.error
    bengali, c = answer.scores
    assert _close(bengali, -0.2 - 3 * 0.25, 4, True)
    assert _close(c, -0.9, 1, False)


def test_generated_tokens_after_the_prompt_are_left_out() -> None:
    """A server that generates a token even with max_tokens 0: scores as without it."""
    fake = _serve(generate_on_echo=True)
    try:
        (answer,) = _answer(fake, _request("Which one? Answer:", (" C", " Dee")))
    finally:
        fake.stop_thread()
    assert answer.ok, answer.error
    assert _close(answer.scores[0], -0.9, 1, False)
    assert _close(answer.scores[1], -1.1, 4, True)


def test_a_server_without_prompt_logprobs_is_a_one_line_error_naming_the_endpoint() -> None:
    """As llama-server: echo ignored, log-probabilities of the generated token only."""
    fake = _serve(prompt_logprobs=False)
    try:
        (answer,) = _answer(fake, _request("Answer:", (" B", " C")))
        url = f"{fake.base_url}/completions"
        assert len(fake.bodies) == 1  # not tried again
    finally:
        fake.stop_thread()
    assert answer.error == (
        f"not retried: {url} returns no prompt log-probabilities (echo + logprobs): choices[0] "
        "has no token_logprobs in its logprobs; log-likelihood needs a completions endpoint "
        "that does (vllm serve)"
    )
    assert will_fail_again(answer.error)


def test_a_chat_only_model_is_a_one_line_error_naming_the_endpoint() -> None:
    fake = _serve(chat_only=True)
    try:
        (answer,) = _answer(fake, _request("Answer:", (" B", " C")))
        url = f"{fake.base_url}/completions"
    finally:
        fake.stop_thread()
    assert answer.error is not None and "\n" not in answer.error
    assert answer.error.startswith(
        f"not retried: {url} returns no prompt log-probabilities (echo + logprobs): HTTP 404"
    )
    assert "This is a chat model" in answer.error
    assert answer.error.endswith(
        "log-likelihood needs a completions endpoint that does (vllm serve)"
    )


def test_a_missing_context_or_tokens_that_do_not_spell_the_prompt_are_clear_errors(
    server: FakeServer,
) -> None:
    empty, fine = _answer(server, _request("", (" B",)), _request("Answer:", (" B",)))
    assert empty.error == (
        "not retried: a log-likelihood request needs a context (its prompt is empty)"
    )
    assert fine.ok
    server.reshape = lambda reply, attempt: _renamed(reply)
    (lost,) = _answer(server, _request("Answer:", (" B",), sample_id="2"))
    assert lost.error == (
        f"not retried: cannot find the continuation among the tokens {server.base_url}"
        "/completions returns: the texts of its tokens do not spell the end of the prompt"
    )


def _renamed(reply: dict[str, Any]) -> dict[str, Any]:
    for choice in reply["choices"]:
        choice["logprobs"]["tokens"] = ["?" * len(t) for t in choice["logprobs"]["tokens"]]
    return reply


def test_a_null_logprob_in_the_continuation_is_not_retried(server: FakeServer) -> None:
    def nulled(reply: dict[str, Any], attempt: int) -> dict[str, Any]:
        reply["choices"][0]["logprobs"]["token_logprobs"][-1] = None
        return reply

    server.reshape = nulled
    (answer,) = _answer(server, _request("Answer:", (" B",)))
    assert answer.error is not None and will_fail_again(answer.error)
    assert "a token of the continuation has a null log-probability" in answer.error


def test_failures_are_retried_as_generations_are() -> None:
    """Every prompt fails its first two attempts (429, 500, dropped, malformed...)."""
    fake = _serve(faults=FaultPlan(rate=1.0, failures=2, kinds=("429", "500", "drop", "malformed")))
    try:
        requests = [_request(f"Q{i}? Answer:", (" C", " Dee"), str(i)) for i in range(8)]
        answers = _answer(fake, *requests)
        assert len(fake.bodies) == 3 * 8
    finally:
        fake.stop_thread()
    for answer in answers:
        assert answer.ok, answer.error
        assert _close(answer.scores[1], -1.1, 4, True)


def test_scores_are_cached_and_share_the_pool_with_generations(
    server: FakeServer, tmp_path: Path
) -> None:
    scoring = [_request(f"Q{i}? Answer:", (" C", " Dee", " Bravo"), str(i)) for i in range(5)]
    chat = Request(
        task="t",
        variant="v",
        language="eng_Latn",
        sample_id="chat",
        parallel_id="chat",
        messages=(Message("user", "Which one?"),),
        prompt=None,
        generation={"temperature": 0, "max_tokens": 8},
        template_hash="h",
        hints=Hints(gold="A"),
    )
    requests = [*scoring, chat]
    first = _execute(server, requests, tmp_path / "cache.sqlite")
    assert first.counts.sent == 6 and first.counts.failed == 0
    sent = len(server.bodies)
    second = _execute(server, requests, tmp_path / "cache.sqlite")
    assert len(server.bodies) == sent  # nothing asked again
    assert second.counts.sent == 0 and second.counts.from_cache == 6
    assert [a for _, a, _ in second.answered] == [a for _, a, _ in first.answered]
    *scored, replied = (a for _, a, _ in second.answered)
    assert replied is not None and replied.text.startswith("Answer:") and not replied.scores
    for answer in scored:
        assert answer is not None and _close(answer.scores[1], -1.1, 4, True)


def test_vllm_server_scores_through_the_openai_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`vllm-server:` with tests/fake_server.py as its server: its default toy model gives
    every token -2.0 and knows " B" and " C" as tokens (" D" is " ", "D")."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where a failed server's log goes
    command, _ = fake_server_command(tmp_path)
    backend = create_backend("vllm-server:fake-model", BackendOptions(args={"command": command}))
    answers = answer_all(backend, [_request("Answer:", (" B", " C", " D"))])
    assert answers[0].ok, answers[0].error
    assert [(s.logprob, s.tokens, s.greedy) for s in answers[0].scores] == [
        (-2.0, 1, False),
        (-2.0, 1, False),
        (-4.0, 2, False),
    ]
