"""Locating a continuation among a server's echoed prompt tokens (harness.backends.logprobs),
for the ways servers render token texts: as the prompt's substrings, after a special token the
text does not hold, as byte pieces (U+FFFD), raw byte-level (GPT-2) and SentencePiece."""

from __future__ import annotations

import pytest

from harness.backends.logprobs import Echo, Unscorable, continuation_span, echo_of, scores
from harness.records import ContinuationScore

CONTEXT = "উত্তর:"
PROMPT = CONTEXT + " বা"


def _echo(text: str, tokens: list[str]) -> Echo:
    return Echo(text, tokens, [None] + [-1.0] * (len(tokens) - 1), None)


def _byte_pieces(data: bytes) -> list[str]:
    return [bytes([b]).decode("utf-8", "replace") for b in data]


@pytest.mark.parametrize(
    ("text", "tokens", "context", "span"),
    [
        ("Answer: B", ["Answer", ":", " B"], "Answer:", range(2, 3)),
        ("Say xy", ["Say", " ", "xy"], "Say x", range(2, 3)),  # straddling: counted
        ("Answer: B", ["<|begin_of_text|>", "Answer", ":", " B"], "Answer:", range(3, 4)),
        ("Answer: B\n", ["<s>", "Answer", ":", " B", "\n"], "Answer:", range(3, 4)),
        (" Answer: B", ["<s>", "▁Answer", ":", "▁B"], " Answer:", range(3, 4)),  # SentencePiece
        ("Answer: B", ["Answer", ":", "ĠB"], "Answer:", range(2, 3)),  # byte-level
    ],
)
def test_the_continuation_is_located_from_the_end(
    text: str, tokens: list[str], context: str, span: range
) -> None:
    prompt = text.rstrip("\n")
    assert continuation_span(_echo(text, tokens), prompt, context) == span


def test_byte_pieces_are_matched_by_the_bytes_they_decode_from() -> None:
    data = PROMPT.encode()
    start = len(CONTEXT.encode())
    head = [CONTEXT[:3], *_byte_pieces(CONTEXT[3:].encode())]
    tail = data[start:]  # " বা": a space and six bytes, in pieces of 3, 1, 2 and 1 bytes
    pieces = [tail[:3], tail[3:4], tail[4:6], tail[6:]]
    tokens = ["<s>", *head, *(p.decode("utf-8", "replace") for p in pieces)]
    assert tokens[-4:] == [" \ufffd", "\ufffd", "\ufffd", "\ufffd"]
    assert continuation_span(_echo(PROMPT, tokens), PROMPT, CONTEXT) == range(
        len(tokens) - 4, len(tokens)
    )


def test_tokens_that_do_not_spell_the_prompt_cannot_be_located() -> None:
    with pytest.raises(Unscorable) as caught:
        continuation_span(_echo("Answer: C", ["Answer", ":", " B"]), "Answer: C", "Answer:")
    assert not caught.value.located
    with pytest.raises(Unscorable, match="does not echo the prompt"):
        continuation_span(_echo("\n", ["\n"]), "Answer: C", "Answer:")


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ({"text": "x"}, "has no logprobs"),
        ({"text": "x", "logprobs": {"content": []}}, "no token_logprobs in its logprobs"),
    ],
)
def test_a_choice_without_legacy_logprobs_is_unscorable(choice: object, message: str) -> None:
    with pytest.raises(Unscorable, match=message):
        echo_of(choice, 0)


def test_what_the_continuation_reads_is_checked() -> None:
    """Its log-probabilities must be numbers; the context's are not read."""

    def choice(logprob: object, top: object) -> dict[str, object]:
        given = {"tokens": ["a", "b"], "token_logprobs": ["junk", logprob]}
        return {"text": "ab", "logprobs": {**given, "top_logprobs": [None, top]}}

    assert scores([choice(-0.5, {"b": -0.5, "c": -1.0})], ["ab"], [0], "a") == (
        ContinuationScore(-0.5, 1, True),
    )
    with pytest.raises(ValueError, match="not a log-probability"):
        scores([choice("x", {"b": -0.5})], ["ab"], [0], "a")
    with pytest.raises(ValueError, match="not a log-probability"):
        scores([choice(-0.5, {"b": float("nan")})], ["ab"], [0], "a")
    with pytest.raises(Unscorable, match="greedy unknown"):
        scores([choice(-0.5, None)], ["ab"], [0], "a")
    with pytest.raises(Unscorable, match="2 choices for 1 prompts"):
        scores([choice(-0.5, None)] * 2, ["ab"], [0], "a")
