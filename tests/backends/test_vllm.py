"""The vLLM backends: `vllm:` against a stand-in `vllm` module (the import boundary), one real
run when vLLM and a model are at hand, and `vllm-server:` end to end with
tests/fake_server.py standing in for `vllm serve`."""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import shlex
import socket
import sys
import tempfile
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.backends import create_backend, vllm_engine
from harness.backends.options import BackendOptions
from harness.backends.vllm_engine import SCORING_PARAMS
from harness.backends.vllm_flags import ServeOptions
from harness.backends.vllm_scoring import continuation_start, summed
from harness.errors import PolyevalError
from harness.records import ContinuationScore, Hints, Message, Request, Response

REPO = Path(__file__).resolve().parents[2]
FAKE_SERVER = REPO / "tests" / "fake_server.py"


# --- a stand-in for the vllm package ------------------------------------------------------


@dataclass
class FakeCompletion:  # vllm.outputs.CompletionOutput
    index: int
    text: str
    token_ids: list[int]
    cumulative_logprob: float | None = None
    logprobs: None = None
    finish_reason: str | None = "stop"
    stop_reason: int | str | None = None


@dataclass
class FakeLogprob:  # vllm.logprobs.Logprob
    logprob: float
    rank: int | None = None
    decoded_token: str | None = None


PromptLogprobs = list[dict[int, FakeLogprob] | None]


@dataclass
class FakeRequestOutput:  # vllm.outputs.RequestOutput
    request_id: str
    prompt: str | None
    prompt_token_ids: list[int]
    prompt_logprobs: PromptLogprobs | None
    outputs: list[FakeCompletion]
    finished: bool = True


class FakeTokenizer:
    """Words with the whitespace before them, so that "blu" + "e" is one token ("blue") that
    straddles a context's end. Ids are handed out as words are first seen; 0 is EOS and 1 a
    word that no text holds: the most likely next token wherever the scored one is not."""

    bos_token_id = None
    eos_token_id = 0
    TOP = 1

    def __init__(self) -> None:
        self.words = ["</s>", "<top>"]
        self.encoded: list[str] = []

    def encode(self, text: str) -> list[int]:
        self.encoded.append(text)
        ids = []
        for word in re.findall(r"\s*\S+|\s+", text):
            if word not in self.words:
                self.words.append(word)
            ids.append(self.words.index(word))
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.words[i] for i in ids)


class FakeSamplingParams:
    """Like vLLM's msgspec Struct: the fields are in __struct_fields__."""

    __struct_fields__ = (
        "n",
        "temperature",
        "top_p",
        "top_k",
        "seed",
        "stop",
        "max_tokens",
        "min_tokens",
        "repetition_penalty",
        "prompt_logprobs",
        "_eos_token_id",
    )

    def __init__(self, **kwargs: Any) -> None:
        unknown = set(kwargs) - set(self.__struct_fields__)
        if unknown:
            raise TypeError(f"unexpected keyword arguments {sorted(unknown)}")
        if kwargs.get("temperature", 1.0) < 0:
            raise ValueError("temperature must be non-negative")
        self.kwargs = kwargs


@dataclass
class Call:
    method: str  # "chat" or "generate"
    inputs: list[Any]
    params: FakeSamplingParams
    use_tqdm: bool


def default_reply(prompt: str) -> tuple[str, str]:
    """(text, finish reason) for a rendered prompt."""
    if "LONG" in prompt:
        return "<think>still thinking", "length"
    return f"<think>about {len(prompt)} chars</think> Answer: B", "stop"


@dataclass
class FakeVLLM:
    """The state behind the fake module: every LLM made and every call."""

    engines: list[FakeLLM] = field(default_factory=list)
    reply: Callable[[str], tuple[str, str]] = default_reply
    fail_on: str = "BOOM"  # a batch holding this text raises, as a crashed engine would
    fail_init: str | None = None
    # the model's log-probability of a token (by its text) wherever it comes; -2.0 if absent
    logprobs: dict[str, float] = field(default_factory=dict)
    likeliest: set[str] = field(default_factory=set)  # tokens that are the top-1 next token
    ranked: bool = True  # Logprob.rank given (vLLM's engines do; the fallback is tested too)

    def module(self) -> types.ModuleType:
        module = types.ModuleType("vllm")
        state = self

        class LLM(FakeLLM):
            def __init__(self, **kwargs: Any) -> None:
                if state.fail_init:
                    raise RuntimeError(state.fail_init)
                super().__init__(state, kwargs)

        module.LLM = LLM  # type: ignore[attr-defined]
        module.SamplingParams = FakeSamplingParams  # type: ignore[attr-defined]
        return module

    @property
    def calls(self) -> list[Call]:
        return [c for engine in self.engines for c in engine.calls]


class FakeLLM:
    def __init__(self, state: FakeVLLM, kwargs: dict[str, Any]) -> None:
        self.state = state
        self.kwargs = kwargs
        self.calls: list[Call] = []
        self.tokenizer = FakeTokenizer()
        config = types.SimpleNamespace(max_model_len=kwargs.get("max_model_len", 10_000))
        self.llm_engine = types.SimpleNamespace(model_config=config)
        state.engines.append(self)

    def get_tokenizer(self) -> FakeTokenizer:
        return self.tokenizer

    def chat(
        self,
        messages: list[list[dict[str, str]]],
        sampling_params: FakeSamplingParams | None = None,
        use_tqdm: bool = True,
    ) -> list[FakeRequestOutput]:
        assert sampling_params is not None
        self.calls.append(Call("chat", messages, sampling_params, use_tqdm))
        rendered = ["".join(f"<{m['role']}>{m['content']}" for m in conv) for conv in messages]
        return self._run(rendered, sampling_params)

    def generate(
        self,
        prompts: list[str] | list[dict[str, list[int]]],
        sampling_params: FakeSamplingParams | None = None,
        use_tqdm: bool = True,
    ) -> list[FakeRequestOutput]:
        assert sampling_params is not None
        self.calls.append(Call("generate", prompts, sampling_params, use_tqdm))
        if all(isinstance(p, dict) for p in prompts):  # vllm.inputs.TokensPrompt
            return self._score([p["prompt_token_ids"] for p in prompts], sampling_params)  # type: ignore[index]
        assert all(isinstance(p, str) for p in prompts)
        return self._run(prompts, sampling_params)  # type: ignore[arg-type]

    def _score(
        self, prompts: list[list[int]], params: FakeSamplingParams
    ) -> list[FakeRequestOutput]:
        """Token prompts: prompt log-probabilities as vLLM gives them with prompt_logprobs=1
        (None for the first token; then the token's own, and the most likely one's)."""
        assert params.kwargs.get("prompt_logprobs") == 1
        if any(self.state.fail_on in self.tokenizer.decode(ids) for ids in prompts):
            raise RuntimeError("CUDA error: an illegal memory access\nwas encountered")
        outputs = []
        for i, ids in enumerate(prompts):
            logprobs: PromptLogprobs = [None]
            for token in ids[1:]:
                word = self.tokenizer.words[token]
                top = word in self.state.likeliest
                own = FakeLogprob(self.state.logprobs.get(word, -2.0), 1 if top else 3, word)
                entry = {token: own}
                if not top:
                    entry[FakeTokenizer.TOP] = FakeLogprob(-0.1, 1, "<top>")
                if not self.state.ranked:
                    for value in entry.values():
                        value.rank = None
                logprobs.append(entry)
            completion = FakeCompletion(0, " x", [7])
            outputs.append(FakeRequestOutput(str(i), None, list(ids), logprobs, [completion]))
        return outputs

    def _run(self, prompts: list[str], params: FakeSamplingParams) -> list[FakeRequestOutput]:
        if any(self.state.fail_on in p for p in prompts):
            raise RuntimeError("CUDA error: an illegal memory access\nwas encountered")
        outputs = []
        for i, prompt in enumerate(prompts):
            text, finish = self.state.reply(prompt)
            n = params.kwargs.get("n", 1)
            completions = [
                FakeCompletion(k, text, list(range(len(text.split()))), finish_reason=finish)
                for k in range(n)
            ]
            ids = list(range(len(prompt.split())))
            outputs.append(FakeRequestOutput(str(i), prompt, ids, None, completions))
        return outputs


@pytest.fixture
def fake_vllm(monkeypatch: pytest.MonkeyPatch) -> FakeVLLM:
    state = FakeVLLM()
    monkeypatch.setitem(sys.modules, "vllm", state.module())
    torch = types.ModuleType("torch")
    torch.cuda = types.SimpleNamespace(is_available=lambda: True)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)
    return state


def request(
    text: str,
    generation: dict[str, Any] | None = None,
    completion: bool = False,
    sample_id: str = "1",
) -> Request:
    messages = () if completion else (Message("system", "Be brief."), Message("user", text))
    return Request(
        task="mgsm",
        variant="direct",
        language="eng_Latn",
        sample_id=sample_id,
        parallel_id=sample_id,
        messages=messages,
        prompt=text if completion else None,
        generation={"temperature": 0.0, "max_tokens": 32, "seed": 1234}
        if generation is None
        else generation,
        template_hash="t",
        hints=Hints(gold="B"),
    )


def answer_all(backend: Any, requests: Sequence[Request]) -> dict[int, Response]:
    async def collect() -> dict[int, Response]:
        answers: dict[int, Response] = {}
        async for index, response in backend.generate(requests):
            assert index not in answers
            answers[index] = response
        await backend.aclose()
        return answers

    return asyncio.run(collect())


# --- vllm: the offline engine ---------------------------------------------------------------


def test_engine_arguments_are_mapped(fake_vllm: FakeVLLM) -> None:
    args = {
        "tensor_parallel_size": "2",
        "dtype": "bfloat16",
        "max_model_len": "4096",
        "gpu_memory_utilization": "0.8",
        "revision": "abc123",
        "max_num_seqs": "64",
    }
    backend = create_backend("vllm:org/tiny", BackendOptions(args=args, seed=7))
    (engine,) = fake_vllm.engines
    assert engine.kwargs == {
        "model": "org/tiny",
        "seed": 7,
        "enable_prefix_caching": True,
        "tensor_parallel_size": 2,
        "dtype": "bfloat16",
        "max_model_len": 4096,
        "gpu_memory_utilization": 0.8,
        "revision": "abc123",
        "max_num_seqs": 64,
    }
    # what changes answers, not how the model is spread over GPUs
    assert backend.identity() == {
        "kind": "vllm",
        "model": "org/tiny",
        "revision": "abc123",
        "dtype": "bfloat16",
        "max_model_len": 4096,
    }
    assert backend.cache_salt(request("x")) == ""


def test_engine_defaults_and_overrides(fake_vllm: FakeVLLM) -> None:
    backend = create_backend("vllm:tiny", BackendOptions(args={"enable_prefix_caching": "false"}))
    assert fake_vllm.engines[0].kwargs == {
        "model": "tiny",
        "seed": 1234,
        "enable_prefix_caching": False,
    }
    assert backend.identity() == {
        "kind": "vllm",
        "model": "tiny",
        "revision": None,
        "dtype": "auto",
        "max_model_len": None,
    }
    with pytest.raises(PolyevalError, match="takes no -M batch"):
        create_backend("vllm:tiny", BackendOptions(args={"batch": "3"}))
    with pytest.raises(PolyevalError, match="tensor_parallel_size takes a whole number, not 'two'"):
        create_backend("vllm:tiny", BackendOptions(args={"tensor_parallel_size": "two"}))


def test_one_batched_call_per_sampling_parameters_and_form(fake_vllm: FakeVLLM) -> None:
    greedy = {"temperature": 0.0, "max_tokens": 32, "seed": 1234}
    sampled = {
        "temperature": 0.7,
        "top_p": 0.9,
        "max_tokens": 64,
        "stop": ["\n\n"],
        "seed": 5,
        "n": 2,
    }
    requests = [
        request("q0", greedy),
        request("q1", sampled),
        request("q2", dict(reversed(greedy.items()))),  # same parameters, other key order
        request("p3", greedy, completion=True),
        request("q4", sampled),
        request("p5", greedy, completion=True),
    ]
    backend = create_backend("vllm:tiny", BackendOptions())
    answers = answer_all(backend, requests)
    assert sorted(answers) == list(range(6))
    calls = fake_vllm.calls
    assert [(c.method, len(c.inputs)) for c in calls] == [("chat", 2), ("chat", 2), ("generate", 2)]
    assert all(c.use_tqdm is False for c in calls)
    first, second, third = calls
    assert [conv[-1]["content"] for conv in first.inputs] == ["q0", "q2"]
    assert first.inputs[0] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "q0"},
    ]
    assert first.params.kwargs == greedy
    assert [conv[-1]["content"] for conv in second.inputs] == ["q1", "q4"]
    assert second.params.kwargs == sampled
    assert third.inputs == ["p3", "p5"]
    assert third.params.kwargs == greedy


def scoring(context: str, *continuations: str, sample_id: str = "1") -> Request:
    """A log-likelihood request: each continuation after the context."""
    base = request(context, {}, completion=True, sample_id=sample_id)
    return replace(base, continuations=continuations)


def test_continuation_starts_after_the_tokens_the_whole_shares_with_the_context() -> None:
    assert continuation_start([5, 6, 7, 8], [5, 6, 7]) == 3
    # the context's last token merged with the continuation's first: counted with it
    assert continuation_start([5, 6, 9], [5, 6, 7]) == 2
    assert continuation_start([9, 8], [7]) == 0
    assert continuation_start([5, 6], []) == 0
    assert continuation_start([5, 6], [5, 6]) == 2  # nothing left: the caller refuses it


def test_summed_adds_the_continuations_token_log_probabilities() -> None:
    logprobs: PromptLogprobs = [
        None,
        {11: FakeLogprob(-5.0, 4)},  # the context's token: not counted
        {12: FakeLogprob(-0.25, 1)},
        {13: FakeLogprob(-1.5, 2), 1: FakeLogprob(-0.5, 1)},
    ]
    assert summed(logprobs, [10, 11, 12, 13], 2) == ContinuationScore(-1.75, 2, False)
    assert summed(logprobs, [10, 11, 12, 13], 3) == ContinuationScore(-1.5, 1, False)
    assert summed(logprobs[:3], [10, 11, 12], 2) == ContinuationScore(-0.25, 1, True)
    # no rank given: greedy when no token of the entry is more likely
    unranked: PromptLogprobs = [
        None,
        {12: FakeLogprob(-0.25)},
        {13: FakeLogprob(-1.5), 1: FakeLogprob(-0.5)},
    ]
    assert summed(unranked, [10, 12, 13], 1) == ContinuationScore(-1.75, 2, False)
    assert summed(unranked[:2], [10, 12], 1) == ContinuationScore(-0.25, 1, True)
    with pytest.raises(ValueError, match="4 prompt log-probabilities for 3 prompt tokens"):
        summed(logprobs, [10, 11, 12], 2)
    with pytest.raises(ValueError, match="none"):
        summed(None, [10, 11], 1)
    with pytest.raises(ValueError, match="prompt token 0"):
        summed(logprobs, [10, 11, 12, 13], 0)  # the first token has none
    with pytest.raises(ValueError, match="prompt token 2"):
        summed(logprobs, [10, 11, 99, 13], 2)  # not the token the entry scores


def test_log_likelihood_scores_by_hand(fake_vllm: FakeVLLM) -> None:
    """Words are tokens: " blue" is the likeliest after "The sky is" (-0.5), " very" too
    (-1.0), " green" is not (-3.0). "blu" + "e" makes " blue", one token straddling the
    context's end, and counted with the continuation."""
    fake_vllm.logprobs = {" blue": -0.5, " very": -1.0, " green": -3.0}
    fake_vllm.likeliest = {" blue", " very"}
    backend = create_backend("vllm:tiny", BackendOptions())
    answers = answer_all(
        backend,
        [
            scoring("The sky is", " blue", " green", " very blue"),
            scoring("The sky is blu", "e", " green"),
        ],
    )
    plain, merged = answers[0], answers[1]
    assert plain.ok and plain.text == "" and plain.finish_reason == "stop"
    assert plain.scores == (
        ContinuationScore(-0.5, 1, True),
        ContinuationScore(-3.0, 1, False),
        ContinuationScore(-1.5, 2, True),
    )
    assert merged.ok
    assert merged.scores == (ContinuationScore(-0.5, 1, True), ContinuationScore(-3.0, 1, False))
    # the prompts sent: context + continuation, 4 + 4 + 5 + 4 + 5 tokens
    assert plain.usage.prompt_tokens == 4 + 4 + 5
    assert plain.usage.completion_tokens == 0
    (call,) = fake_vllm.calls
    assert call.method == "generate" and call.use_tqdm is False
    assert (
        call.params.kwargs
        == SCORING_PARAMS
        == {
            "max_tokens": 1,
            "prompt_logprobs": 1,
            "temperature": 0.0,
        }
    )
    tokenizer = fake_vllm.engines[0].tokenizer
    sent = [tokenizer.decode(p["prompt_token_ids"]) for p in call.inputs]
    assert sent == [
        "The sky is blue",
        "The sky is green",
        "The sky is very blue",
        "The sky is blue",  # "blu" + "e": the same tokens, scored from another start
        "The sky is blu green",
    ]
    # unranked entries (an engine that gives no rank) are judged by the log-probabilities
    fake_vllm.ranked = False
    backend = create_backend("vllm:tiny", BackendOptions())
    again = answer_all(backend, [scoring("The sky is", " blue", " green", " very blue")])
    assert again[0].scores == plain.scores


def test_log_likelihood_requests_are_one_call_beside_the_generation_groups(
    fake_vllm: FakeVLLM,
) -> None:
    """Every log-likelihood request of a batch goes in one generate call of token prompts,
    each distinct (context, continuation) once; generations keep their own calls."""
    requests = [
        request("q0"),
        scoring("Q: 2+2? A:", " 4", " 5", sample_id="a"),
        request("p2", completion=True),
        scoring("Q: 2+2? A:", " 5", " 4", " 22", sample_id="b"),  # two of these are known
        scoring("Other context", " 4", sample_id="c"),
        request("q5"),
        scoring("Q: 2+2? A:", " 4", " 5", sample_id="a"),  # the same request again
    ]
    fake_vllm.logprobs = {" 4": -0.2, " 5": -2.5, " 22": -4.0}
    fake_vllm.likeliest = {" 4"}
    backend = create_backend("vllm:tiny", BackendOptions())
    answers = answer_all(backend, requests)
    assert sorted(answers) == list(range(7)) and all(a.ok for a in answers.values())
    calls = fake_vllm.calls
    assert [(c.method, len(c.inputs)) for c in calls] == [
        ("generate", 4),  # " 4", " 5", " 22" after the first context, " 4" after the other
        ("chat", 2),
        ("generate", 1),
    ]
    assert all(isinstance(p, dict) for p in calls[0].inputs)
    assert calls[2].inputs == ["p2"]
    assert calls[2].params.kwargs == {"temperature": 0.0, "max_tokens": 32, "seed": 1234}
    four, five, twenty_two = (
        ContinuationScore(-0.2, 1, True),
        ContinuationScore(-2.5, 1, False),
        ContinuationScore(-4.0, 1, False),
    )
    assert answers[1].scores == answers[6].scores == (four, five)
    assert answers[3].scores == (five, four, twenty_two)
    assert answers[4].scores == (four,)
    assert answers[0].scores == () and answers[0].text == "Answer: B"
    # each distinct context is encoded once, each distinct whole once
    encoded = fake_vllm.engines[0].tokenizer.encoded
    assert sorted(encoded) == sorted(
        [
            "Q: 2+2? A:",
            "Q: 2+2? A: 4",
            "Q: 2+2? A: 5",
            "Q: 2+2? A: 22",
            "Other context",
            "Other context 4",
        ]
    )


def test_log_likelihood_requests_are_scored_in_chunks(
    fake_vllm: FakeVLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five requests in chunks of two: three scoring calls, each chunk's answers yielded
    before the next call (so that a run stopped midway keeps them)."""
    monkeypatch.setattr(vllm_engine, "SCORING_CHUNK", 2)
    requests = [scoring("Q: 2+2? A:", " 4", " 5", sample_id=str(i)) for i in range(5)]
    fake_vllm.logprobs = {" 4": -0.2, " 5": -2.5}
    backend = create_backend("vllm:tiny", BackendOptions())
    seen: list[tuple[int, int]] = []

    async def run() -> None:
        async for index, _ in backend.generate(requests):
            seen.append((index, len(fake_vllm.calls)))

    asyncio.run(run())
    assert [len(c.inputs) for c in fake_vllm.calls] == [2, 2, 2]
    assert seen == [(0, 1), (1, 1), (2, 2), (3, 2), (4, 3)]


def test_log_likelihood_requests_that_cannot_be_scored_fail_alone(fake_vllm: FakeVLLM) -> None:
    backend = create_backend("vllm:tiny", BackendOptions(args={"max_model_len": "6"}))
    answers = answer_all(
        backend,
        [
            scoring("Context:", " a", "", sample_id="empty"),  # a continuation of no tokens
            scoring("one two three four", " five six", sample_id="long"),
            scoring("", "Hello", " big world", sample_id="no-context"),
            scoring("Context:", " a", sample_id="fine"),
            request("q"),
        ],
    )
    empty, long, no_context, fine, generated = (answers[i] for i in range(5))
    assert empty.error == "not retried: continuation 2 ('') takes no tokens"
    assert empty.scores == ()
    assert long.error is not None and long.error.startswith("not retried: context and contin")
    assert "take 6 tokens, more than the 5 that max_model_len 6 leaves" in long.error
    # an empty context: the first token is scored after EOS, as lm-evaluation-harness does
    assert no_context.ok and [s.tokens for s in no_context.scores] == [1, 2]
    assert math.isclose(no_context.scores[1].logprob, -4.0)
    assert fine.ok and fine.scores == (ContinuationScore(-2.0, 1, False),)
    assert generated.ok and generated.text == "Answer: B"
    scored = fake_vllm.calls[0].inputs
    assert [p["prompt_token_ids"][0] for p in scored] == [2, 0, 0]  # "Context:", then EOS


def test_log_likelihood_engine_failure_fails_only_the_scoring(fake_vllm: FakeVLLM) -> None:
    backend = create_backend("vllm:tiny", BackendOptions())
    answers = answer_all(
        backend,
        [scoring("BOOM goes", " it"), scoring("fine", " too"), request("generated")],
    )
    for index in (0, 1):
        error = answers[index].error
        assert error is not None and "\n" not in error
        assert error.startswith("vllm engine failed on 2 log-likelihood requests: RuntimeError")
        assert not error.startswith("not retried")  # a crash may pass: asked again
    assert answers[2].ok


def test_log_likelihood_with_a_closed_engine_is_an_error(fake_vllm: FakeVLLM) -> None:
    backend = create_backend("vllm:tiny", BackendOptions())
    asyncio.run(backend.aclose())
    answers = answer_all(backend, [scoring("Context:", " a")])
    assert answers[0].error == (
        "vllm engine failed on 1 log-likelihood requests: RuntimeError: the engine is closed"
    )


def test_responses_keep_reasoning_apart_and_count_tokens(fake_vllm: FakeVLLM) -> None:
    backend = create_backend("vllm:tiny", BackendOptions())
    answers = answer_all(
        backend, [request("short"), request("LONG one"), request("x", {"n": 3, "seed": 1})]
    )
    ok = answers[0]
    assert ok.ok and ok.text == "Answer: B" and ok.finish_reason == "stop"
    assert ok.reasoning is not None and ok.reasoning.startswith("about ")
    # prompt tokens: words of the rendered prompt; completion tokens: words of the reply
    assert ok.usage.prompt_tokens == 2
    assert ok.usage.completion_tokens == 5
    assert ok.alternatives == ()
    assert ok.latency_s >= 0
    cut = answers[1]
    assert cut.ok and cut.finish_reason == "length"
    assert cut.text == "" and cut.reasoning == "still thinking"
    several = answers[2]
    assert several.usage.completion_tokens == 3 * 5  # every one of the n completions
    assert several.text == "Answer: B"
    assert [c.text for c in several.alternatives] == ["Answer: B", "Answer: B"]
    assert all(c.reasoning is not None for c in several.alternatives)


def test_engine_exception_fails_only_its_batch(fake_vllm: FakeVLLM) -> None:
    backend = create_backend("vllm:tiny", BackendOptions())
    requests = [
        request("fine"),
        request("BOOM", {"temperature": 0.5}),
        request("also in the failing batch", {"temperature": 0.5}),
        request("fine too"),
    ]
    answers = answer_all(backend, requests)
    assert answers[0].ok and answers[3].ok
    for index in (1, 2):
        failed = answers[index]
        assert failed.text == "" and failed.error is not None
        assert "illegal memory access was encountered" in failed.error
        assert "\n" not in failed.error


def test_generation_keys_are_checked(fake_vllm: FakeVLLM) -> None:
    backend = create_backend("vllm:tiny", BackendOptions())
    with pytest.raises(PolyevalError, match="'frequency_penality'"):
        answer_all(backend, [request("a"), request("b", {"frequency_penality": 1.0})])
    assert fake_vllm.calls == []  # checked before anything runs
    with pytest.raises(PolyevalError, match="extra_body key 'best_of'"):
        answer_all(backend, [request("a", {"extra_body": {"best_of": 2}})])
    with pytest.raises(PolyevalError, match="rejects the sampling parameters"):
        answer_all(backend, [request("a", {"temperature": -1.0})])
    # extra_body keys that are SamplingParams fields are passed through
    backend = create_backend("vllm:tiny", BackendOptions())
    extra = {"temperature": 0.6, "extra_body": {"top_k": 20, "repetition_penalty": 1.1}}
    answers = answer_all(backend, [request("a", extra)])
    assert answers[0].ok
    assert fake_vllm.calls[-1].params.kwargs == {
        "temperature": 0.6,
        "top_k": 20,
        "repetition_penalty": 1.1,
    }


def test_missing_vllm_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)
    with pytest.raises(PolyevalError) as error:
        create_backend("vllm:tiny", BackendOptions())
    assert error.value.message == "vllm is not installed: pip install 'polyeval[vllm]'"


def test_no_gpu_is_not_refused(fake_vllm: FakeVLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without CUDA the engine is still made, with no device named: vLLM picks it (its CPU
    build runs on the CPU); an engine that cannot run there says so itself."""
    torch = types.ModuleType("torch")
    torch.cuda = types.SimpleNamespace(is_available=lambda: False)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)
    backend = create_backend("vllm:tiny", BackendOptions())
    (engine,) = fake_vllm.engines
    assert engine.kwargs == {"model": "tiny", "seed": 1234, "enable_prefix_caching": True}
    assert answer_all(backend, [request("q")])[0].ok
    fake_vllm.fail_init = "Device string must not be empty"
    with pytest.raises(PolyevalError, match="vllm could not load tiny: RuntimeError: Device"):
        create_backend("vllm:tiny", BackendOptions())


def test_engine_that_cannot_load_is_a_clear_error(fake_vllm: FakeVLLM) -> None:
    fake_vllm.fail_init = "No available memory for the cache blocks.\nTry increasing it."
    with pytest.raises(PolyevalError, match="vllm could not load tiny: RuntimeError: No avail"):
        create_backend("vllm:tiny", BackendOptions())


def test_evaluate_run_with_the_engine(
    fake_vllm: FakeVLLM, evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    fake_vllm.reply = lambda prompt: ("<think>hm</think>The answer is 3", "stop")
    options = {"tasks": "mgsm", "limit": 2, "source": "sample", "output": tmp_path / "run"}
    result = evaluate("run --model vllm:tiny -M dtype=float16", **options)
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["model"]["kind"] == "vllm"
    assert manifest["model"]["dtype"] == "float16"
    assert manifest["counts"]["failed"] == 0
    sent = manifest["counts"]["sent"]
    assert sent > 0
    assert len(fake_vllm.calls) == 1  # one variant, one form, one set of parameters
    samples = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").open()]
    assert len(samples) == manifest["counts"]["requests"]
    # a rerun is answered from the cache: the engine is loaded but never called
    result = evaluate("run --model vllm:tiny -M dtype=float16 --overwrite", **options)
    assert result.exit_code == 0, result.output
    assert len(fake_vllm.engines) == 2 and fake_vllm.engines[1].calls == []


def test_evaluate_log_likelihood_variants_with_the_engine(
    fake_vllm: FakeVLLM, evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    """Belebele's letter and cloze variants through `vllm:`: every request scored in one
    engine call of token prompts, each continuation's score recorded; a rerun calls nothing."""
    options = {
        "tasks": "belebele",
        "variants": "letter,cloze",
        "limit": 2,
        "source": "sample",
        "output": tmp_path / "run",
    }
    result = evaluate("run --model vllm:tiny", **options)
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["counts"]["failed"] == 0 and manifest["counts"]["sent"] > 0
    (call,) = fake_vllm.calls
    assert call.params.kwargs == SCORING_PARAMS
    assert all(isinstance(p, dict) for p in call.inputs)
    samples = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").open()]
    assert {s["variant"] for s in samples} == {"letter", "cloze"}
    for sample in samples:
        assert len(sample["likelihoods"]) == len(sample["continuations"]) == 4, sample
        assert set(sample["scores"]) >= {"acc", "acc_norm_chars", "acc_norm_tokens"}
    rerun = evaluate("run --model vllm:tiny --overwrite", **options)
    assert rerun.exit_code == 0, rerun.output
    assert fake_vllm.engines[1].calls == []


def _real_model() -> tuple[str, bool]:
    """(POLYEVAL_VLLM_MODEL, whether a CUDA GPU is visible); without a GPU vLLM's CPU build
    runs it."""
    model = os.environ.get("POLYEVAL_VLLM_MODEL")
    try:
        import torch  # type: ignore[import-not-found, unused-ignore]
        import vllm  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
    except ImportError:
        pytest.skip("needs vllm (its GPU or CPU build) installed and POLYEVAL_VLLM_MODEL")
    if not model:
        pytest.skip("set POLYEVAL_VLLM_MODEL to a small model (e.g. Qwen/Qwen2.5-0.5B-Instruct)")
    return model, bool(torch.cuda.is_available())


def _real_args(gpu: bool) -> dict[str, str]:
    """-M arguments for a small model: on the CPU build, gpu_memory_utilization is the share of
    the machine's memory vLLM reserves (0.92 by default, more than a busy machine has free)."""
    return {"max_model_len": "2048", "gpu_memory_utilization": "0.5" if gpu else "0.3"}


def test_real_engine() -> None:
    model, gpu = _real_model()
    backend = create_backend(f"vllm:{model}", BackendOptions(args=_real_args(gpu)))
    requests = [
        request("What is 2 + 3? Answer with a number only.", sample_id="chat"),
        request("The capital of France is", {"temperature": 0.0, "max_tokens": 8}, True, "p"),
        request("Count from 1 to 100.", {"temperature": 0.0, "max_tokens": 4}, sample_id="cut"),
    ]
    answers = answer_all(backend, requests)
    assert all(a.ok for a in answers.values()), answers
    assert "5" in answers[0].text
    assert answers[1].usage.prompt_tokens > 0 and answers[1].usage.completion_tokens > 0
    assert answers[2].finish_reason == "length"


# a multiple-choice item as log-likelihood requests: the context, then each option
CAPITAL = (
    "Question: What is the capital of France?\nAnswer:",
    " Paris",
    " London",
    " Berlin",
    " Rome",
)


@pytest.fixture(scope="module")
def engine_scores() -> tuple[str, bool, Response]:
    """The item scored by `vllm:` in this process: (model, GPU, its answer). The engine is
    closed before any server starts."""
    model, gpu = _real_model()
    backend = create_backend(f"vllm:{model}", BackendOptions(args=_real_args(gpu)))
    answers = answer_all(backend, [scoring(*CAPITAL), scoring(*CAPITAL, sample_id="again")])
    assert answers[0].ok, answers[0].error
    assert answers[1].scores == answers[0].scores  # scored once, answered twice
    return model, gpu, answers[0]


def _choice(answer: Response) -> int:
    return max(range(len(answer.scores)), key=lambda i: answer.scores[i].logprob)


@pytest.mark.real_model
def test_real_engine_scores_log_likelihood(engine_scores: tuple[str, bool, Response]) -> None:
    _, _, answer = engine_scores
    assert len(answer.scores) == 4
    assert all(s.logprob < 0 and s.tokens >= 1 for s in answer.scores)
    assert answer.usage.prompt_tokens > sum(s.tokens for s in answer.scores)
    best = answer.scores[_choice(answer)]
    assert all(not s.greedy for s in answer.scores if s is not best)  # one token ranks first


@pytest.mark.real_model
def test_real_engine_and_server_make_the_same_choice(
    engine_scores: tuple[str, bool, Response], tmp_path: Path
) -> None:
    """The same item through `vllm-server:` (vLLM's OpenAI server, in a process of its own):
    the same choice, the same token counts and log-probabilities close to the engine's."""
    model, gpu, engine = engine_scores
    backend = create_backend(f"vllm-server:{model}", BackendOptions(args=_real_args(gpu)))
    served = answer_all(backend, [scoring(*CAPITAL)])[0]
    assert served.ok, served.error
    assert len(served.scores) == len(engine.scores)
    assert _choice(served) == _choice(engine)
    for ours, theirs in zip(engine.scores, served.scores, strict=True):
        assert ours.tokens == theirs.tokens
        assert math.isclose(ours.logprob, theirs.logprob, rel_tol=0.02, abs_tol=0.05)
        assert ours.greedy == theirs.greedy


# --- vllm-server: a server process of our own ----------------------------------------------


@pytest.fixture(autouse=True)
def private_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Server logs (kept when a server fails, for the error message) go under tmp_path."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def fake_server_command(tmp_path: Path) -> tuple[str, Path]:
    """A command that records its pid and arguments, then becomes tests/fake_server.py."""
    record = tmp_path / "server.json"
    wrapper = tmp_path / "serve.py"
    wrapper.write_text(
        "import json, os, sys\n"
        f"with open({str(record)!r}, 'w') as f:\n"
        "    json.dump({'pid': os.getpid(), 'argv': sys.argv[1:]}, f)\n"
        f"os.execv(sys.executable, [sys.executable, {str(FAKE_SERVER)!r}, *sys.argv[1:]])\n"
    )
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(wrapper))}", record


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_vllm_server_end_to_end(evaluate: Callable[..., Result], tmp_path: Path) -> None:
    command, record = fake_server_command(tmp_path)

    def run(output: Path) -> Result:
        return evaluate(
            "run --model vllm-server:fake-model -M dtype=bfloat16 -M max_model_len=2048",
            "-M",
            f"command={command}",
            tasks="belebele",
            limit=2,
            source="sample",
            output=output,
        )

    result = run(tmp_path / "run")
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["model"]["kind"] == "vllm-server"
    assert manifest["model"]["model"] == "fake-model"
    assert manifest["model"]["dtype"] == "bfloat16"
    assert manifest["counts"]["failed"] == 0 and manifest["counts"]["sent"] > 0
    server = json.loads(record.read_text())
    argv = server["argv"]
    assert argv[0] == "fake-model"
    for flag, value in [("--dtype", "bfloat16"), ("--max-model-len", "2048"), ("--seed", "1234")]:
        assert argv[argv.index(flag) + 1] == value
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    port = int(argv[argv.index("--port") + 1])
    assert process_gone(server["pid"])
    assert not accepts(port)
    # a rerun starts a server on another port, and every answer comes from the cache
    result = run(tmp_path / "rerun")
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "rerun" / "manifest.json").read_text())
    assert manifest["counts"]["sent"] == 0
    assert manifest["counts"]["from_cache"] == manifest["counts"]["requests"]
    assert process_gone(json.loads(record.read_text())["pid"])


def test_vllm_server_that_dies_at_start(evaluate: Callable[..., Result], tmp_path: Path) -> None:
    script = "import sys; print('loading'); print('CUDA out of memory'); sys.exit(1)"
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}"
    result = evaluate(
        "run --model vllm-server:fake-model",
        "-M",
        f"command={command}",
        tasks="belebele",
        limit=2,
        source="sample",
        output=tmp_path / "run",
    )
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert "exited with code 1 before it was ready" in errors[0]
    assert "loading | CUDA out of memory" in errors[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "run").exists()
    (log,) = tmp_path.glob("polyeval-vllm-server-*/server.log")  # kept: the error names it
    assert str(log) in errors[0]


def test_vllm_server_startup_timeout_stops_the_server(tmp_path: Path) -> None:
    record = tmp_path / "pid"
    script = f"import os, time; open({str(record)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}"
    args = {"command": command, "startup_timeout": "1"}
    started = time.monotonic()
    with pytest.raises(PolyevalError, match=r"was not ready after 1 s"):
        create_backend("vllm-server:fake-model", BackendOptions(args=args))
    assert time.monotonic() - started < 15
    assert process_gone(int(record.read_text()))


def test_vllm_server_finds_vllm_beside_the_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`vllm` beside sys.executable (a virtual environment's bin/, active or not) comes before
    the one on PATH."""
    record = tmp_path / "server.json"

    def stub(folder: Path) -> Path:
        folder.mkdir()
        path = folder / "vllm"
        path.write_text(
            f"#!{sys.executable}\n"
            "import json, os, sys\n"
            f"with open({str(record)!r}, 'w') as f:\n"
            "    json.dump({'exe': sys.argv[0], 'argv': sys.argv[1:]}, f)\n"
            f"os.execv(sys.executable, [sys.executable, {str(FAKE_SERVER)!r}, *sys.argv[1:]])\n"
        )
        path.chmod(0o755)
        return path

    venv, on_path = stub(tmp_path / "venv-bin"), stub(tmp_path / "path-bin")
    monkeypatch.setenv("PATH", f"{on_path.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setattr(sys, "executable", str(venv.parent / "python"))
    answer_all(create_backend("vllm-server:fake-model", BackendOptions()), [])
    server = json.loads(record.read_text())
    assert server["exe"] == str(venv)
    assert server["argv"][:2] == ["serve", "fake-model"]
    venv.unlink()  # none beside the interpreter: the one on PATH
    answer_all(create_backend("vllm-server:fake-model", BackendOptions()), [])
    assert json.loads(record.read_text())["exe"] == str(on_path)


def test_vllm_server_runs_the_entry_point_of_an_importable_vllm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where this interpreter can import vllm, the server is vLLM's OpenAI entry point run by
    it (the `vllm` command of the CPU build looks for a package named `vllm` and fails)."""
    from importlib.machinery import ModuleSpec

    from harness.backends import vllm_server

    real = vllm_server.importlib.util.find_spec

    def find(name: str, *args: Any) -> ModuleSpec | None:
        return ModuleSpec("vllm", None) if name == "vllm" else real(name, *args)

    monkeypatch.setattr(vllm_server.importlib.util, "find_spec", find)
    argv = vllm_server.serve_argv(vllm_server.default_command(), "org/m", ServeOptions({}, {}), 7)
    assert argv[:5] == [
        sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        "org/m",
    ]
    assert argv[5:] == ["--seed", "7"]
    monkeypatch.setattr(vllm_server.importlib.util, "find_spec", lambda *a: None)
    assert vllm_server.default_command().endswith("serve")


def test_vllm_server_needs_the_executable() -> None:
    args = {"command": "polyeval-no-such-vllm serve"}
    with pytest.raises(PolyevalError, match=r"cannot start 'polyeval-no-such-vllm'.*pip install"):
        create_backend("vllm-server:fake-model", BackendOptions(args=args))


def test_vllm_server_aclose_stops_the_server(tmp_path: Path) -> None:
    command, record = fake_server_command(tmp_path)
    backend = create_backend("vllm-server:fake-model", BackendOptions(args={"command": command}))
    pid = json.loads(record.read_text())["pid"]
    assert not process_gone(pid)
    assert backend.identity() == {
        "kind": "vllm-server",
        "model": "fake-model",
        "revision": None,
        "dtype": "auto",
        "max_model_len": None,
    }
    answers = answer_all(backend, [request("hello"), request("world", completion=True)])
    assert all(a.ok and a.text.startswith("Answer: ") for a in answers.values()), answers
    assert process_gone(pid)
    assert list(tmp_path.glob("polyeval-vllm-server-*")) == []  # the log goes with the server
