"""Log-likelihood requests in the cache: their key covers the request type and what is scored,
generation keys are what they were, and their scores are stored and read back equal."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.generation.cache import ResponseCache, cache_key
from harness.records import ContinuationScore, Hints, Message, Request, Response

IDENTITY = {"kind": "openai", "model": "m", "revision": None, "base_url": "http://a"}


def _generation(generation: dict[str, Any]) -> Request:
    return Request(
        task="t",
        variant="v",
        language="eng_Latn",
        sample_id="1",
        parallel_id="1",
        messages=(Message("user", "Which?"),),
        prompt=None,
        generation=generation,
        template_hash="h",
        hints=Hints(gold="A"),
    )


def _scoring(continuations: tuple[str, ...] = (" yes", " no")) -> Request:
    return replace(
        _generation({}), messages=(), prompt="Is it? Answer:", continuations=continuations
    )


def test_generation_keys_are_unchanged() -> None:
    """Keys computed before log-likelihood requests existed: cached answers stay found."""
    greedy = _generation({"temperature": 0, "max_tokens": 8})
    drawn = _generation({"temperature": 0.7})
    assert cache_key(IDENTITY, greedy) == (
        "eb28aac99120d0b91f0dc7bddb8adc75be723c373cd89641afb0dd19cc87e855"
    )
    assert cache_key(IDENTITY, greedy, "salt") == (
        "505f0e94cddb473344cda5664e76e0680722782d70227f230ba091055794e2e0"
    )
    assert cache_key(IDENTITY, drawn) == (
        "1a13af9f45e90e94717f87cac040c9bc904d487684b499d4ff2695640e739fa0"
    )


def test_the_key_covers_the_request_type_and_the_continuations() -> None:
    request = _scoring()
    base = cache_key(IDENTITY, request)
    as_generation = replace(request, continuations=())
    assert cache_key(IDENTITY, as_generation) != base
    assert cache_key(IDENTITY, replace(request, continuations=(" no", " yes"))) != base
    assert cache_key(IDENTITY, replace(request, continuations=(" yes",))) != base
    assert cache_key(IDENTITY, replace(request, prompt="Is it?")) != base
    assert cache_key({**IDENTITY, "model": "m2"}, request) != base


def test_requests_sharing_context_and_continuations_share_a_key() -> None:
    """Scoring is deterministic: another sample or variant with the same text is not asked
    again, whatever its generation parameters say about drawing."""
    request = replace(_scoring(), generation={"temperature": 0.7})
    other = replace(request, sample_id="2", variant="w", parallel_id="2")
    assert cache_key(IDENTITY, other) == cache_key(IDENTITY, request)


def test_scores_are_stored_and_read_back_equal(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache.sqlite")
    scores = (ContinuationScore(-1.25, 2, True), ContinuationScore(-7.0, 3, False))
    answer = Response(text="", finish_reason="stop", scores=scores)
    key = cache_key(IDENTITY, _scoring())
    cache.put(key, answer)
    assert cache.get_many([key]) == {key: answer}
    plain = Response(text="Answer: B", finish_reason="stop")
    cache.put("generation", plain)
    assert cache.get_many(["generation"])["generation"].scores == ()
    cache.close()


def test_a_row_with_damaged_scores_is_asked_again(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache.sqlite")
    row = '{"text": "", "scores": [{"logprob": "high", "tokens": 1, "greedy": true}]}'
    cache._db.execute("INSERT INTO responses (key, response, created) VALUES (?, ?, 0)", ("k", row))
    assert cache.get_many(["k"]) == {}
    assert cache.unreadable == 1
    cache.close()
