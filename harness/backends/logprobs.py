"""Log-likelihood from a completions endpoint's echoed prompt log-probabilities: pure functions.

A log-likelihood request (harness.records) goes to `/completions` as one request: `prompt` the
list of its distinct context + continuation texts, `echo: true`, `max_tokens: 0` (OpenAI's way
of asking for the prompt alone; vLLM takes it and generates nothing), `logprobs: 1` and
temperature 0. Each choice answers one prompt, in the legacy completions format: `text` the
echoed prompt, and `logprobs` with `tokens` (each token's text), `token_logprobs` (each token's
natural-log probability after what precedes it; null for the first) and `top_logprobs` (the
token and the most likely one at each position: whether the token was the model's first
choice).

Which tokens are the continuation's: those whose text ends after the context's end, so that a
token straddling it (context "x" and continuation "y" read as one token "xy") counts, with its
whole log-probability; generated tokens after the prompt, from a server that generates anyway,
do not. The tokens are located by their texts, walked back from the end of the echoed text and
matched against its UTF-8 bytes, not by `text_offset`: vLLM counts offsets in the characters of
its token texts, which are not the prompt's characters wherever a token text is a special token
the prompt does not hold (a leading `<|begin_of_text|>`: every offset shifted), or only part of
a character (byte pieces, rendered U+FFFD: one character for up to three bytes). Walking back
from the end avoids the first, and matching bytes the second: a token text holding U+FFFD
matches the bytes that decode to it (with errors replaced, as tokenizers render them); raw
byte-level (GPT-2 `Ġ`) and SentencePiece (`▁`, `<0xNN>`) renderings match the bytes they stand
for. Where the offsets are the prompt's character positions and the texts its substrings, this
is the offset rule exactly (a token is the continuation's when offset + len(token) >
len(context)). Where byte pieces could be split over the bytes more than one way, the first
split found decides (each piece as short as it may be, from the end); the continuation's usual
leading space keeps such a run from crossing the context's end.

Nothing here does I/O; harness.backends.openai_api sends, and turns `Unscorable` into a
not-retried error naming the endpoint.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.records import ContinuationScore, Request

GREEDY_TOLERANCE = 1e-6  # a token is greedy when its log-probability is the top one within this
MAX_STEPS = 100_000  # the most states the walk back through the tokens may visit
_SENTENCEPIECE_BYTE = re.compile(r"<0x([0-9A-Fa-f]{2})>")


class Unscorable(Exception):
    """A reply that holds no prompt log-probabilities for the continuation: asking again will
    not change it. `located` is False where the log-probabilities are there but the tokens
    cannot be matched to the prompt."""

    def __init__(self, reason: str, located: bool = True) -> None:
        super().__init__(reason)
        self.located = located


@dataclass(frozen=True)
class Echo:
    """One choice of an echoing reply: its text and its per-token lists, of one length. The
    entries are checked where they are read (only the continuation's are): a token text that
    is not text, or a log-probability that is not a number, is a ValueError then."""

    text: str
    tokens: list[Any]
    logprobs: list[Any]
    top: list[Any] | None  # None: the reply has no top_logprobs at all


def scoring_prompts(request: Request) -> tuple[list[str], list[int]]:
    """The distinct texts to send (context + continuation, first-seen order), and for each
    continuation the index of its text among them."""
    prompts: list[str] = []
    where: dict[str, int] = {}
    indices = []
    for continuation in request.continuations:
        text = request.context + continuation
        if text not in where:
            where[text] = len(prompts)
            prompts.append(text)
        indices.append(where[text])
    return prompts, indices


def scores(
    choices: list[Any], prompts: Sequence[str], indices: Sequence[int], context: str
) -> tuple[ContinuationScore, ...]:
    """Each continuation's score from the reply's choices (one per prompt, in the order their
    `index` gives, else as listed). Unscorable where the reply has no prompt log-probabilities;
    ValueError (or TypeError, KeyError) where it is malformed."""
    if len(choices) != len(prompts):
        raise Unscorable(f"{len(choices)} choices for {len(prompts)} prompts")
    ordered = _in_order(choices)
    found = [_score(echo_of(ordered[i], i), prompts[i], context) for i in range(len(prompts))]
    return tuple(found[i] for i in indices)


def echo_of(choice: Any, index: int) -> Echo:
    """A choice's echoed text and its token log-probabilities in the legacy completions
    format; Unscorable where it has none (no `logprobs`, or the chat form's `content` list of
    generated tokens)."""
    if not isinstance(choice, dict):
        raise ValueError(f"choices[{index}] is not an object")
    given = choice.get("logprobs")
    if not isinstance(given, dict) or not isinstance(given.get("token_logprobs"), list):
        what = "no logprobs" if given is None else "no token_logprobs in its logprobs"
        raise Unscorable(f"choices[{index}] has {what}")
    text, tokens, top = choice.get("text"), given.get("tokens"), given.get("top_logprobs")
    if not isinstance(text, str):
        raise ValueError(f"choices[{index}].text is not text")
    if not isinstance(tokens, list) or not (top is None or isinstance(top, list)):
        raise ValueError(f"choices[{index}].logprobs has tokens or top_logprobs not a list")
    logprobs = given["token_logprobs"]
    if len(logprobs) != len(tokens) or (top is not None and len(top) != len(tokens)):
        raise ValueError(f"choices[{index}].logprobs lists differ in length")
    return Echo(text, tokens, logprobs, top)


def continuation_span(echo: Echo, prompt: str, context: str) -> range:
    """The indices of the tokens that make up the continuation (prompt minus context) of
    `prompt`: from the one whose text ends after the context's end to the prompt's last one."""
    if not echo.text.startswith(prompt):
        raise Unscorable("its text does not echo the prompt (echo ignored?)")
    data = echo.text.encode("utf-8", "surrogatepass")
    prompt_end = len(prompt.encode("utf-8", "surrogatepass"))
    context_end = len(context.encode("utf-8", "surrogatepass"))
    found = _walk(echo.tokens, data, prompt_end, context_end)
    if found is None:
        raise Unscorable(
            "the texts of its tokens do not spell the end of the prompt", located=False
        )
    return found


def _score(echo: Echo, prompt: str, context: str) -> ContinuationScore:
    if prompt == context:  # an empty continuation: certain, and no token
        return ContinuationScore(0.0, 0, True)
    span = continuation_span(echo, prompt, context)
    total, greedy = 0.0, True
    for i in span:
        logprob = _number(echo.logprobs[i], "token_logprobs")
        if logprob is None:
            raise Unscorable("a token of the continuation has a null log-probability")
        alternatives = _alternatives(echo.top[i]) if echo.top is not None else None
        if not alternatives:
            raise Unscorable("no top_logprobs for a token of the continuation (greedy unknown)")
        total += logprob
        greedy = greedy and logprob >= max(alternatives.values()) - GREEDY_TOLERANCE
    return ContinuationScore(total, len(span), greedy)


def _walk(tokens: Sequence[Any], data: bytes, prompt_end: int, context_end: int) -> range | None:
    """Tokens matched to `data` back from its end: those that end past `prompt_end` are
    generated (none may straddle it), then those that end past `context_end` are the
    continuation's. The first match found, depth first, with each token's exact forms tried
    before the byte lengths a text with U+FFFD may stand for; None where none fits."""
    # a state: (token index, the byte where it ends, the index of the prompt's last token)
    stack: list[tuple[int, int, int]] = [(len(tokens) - 1, len(data), -1)]
    seen: set[tuple[int, int, int]] = set()
    while stack:
        state = stack.pop()
        index, end, last = state
        if state in seen or len(seen) >= MAX_STEPS:
            continue
        seen.add(state)
        if end == prompt_end and last < 0:
            last = index
        if last >= 0 and end <= context_end:
            return range(index + 1, last + 1) if index < last else None
        if index < 0:
            continue
        floor = prompt_end if end > prompt_end else 0
        for size in reversed(_sizes(tokens[index], data, end, floor)):
            stack.append((index - 1, end - size, last))
    return None


def _sizes(token: Any, data: bytes, end: int, floor: int) -> list[int]:
    """The byte lengths that `token` may cover, ending at `end` and starting at `floor` or
    after: its exact forms first, then the lengths a text with U+FFFD may stand for."""
    if not isinstance(token, str):
        raise ValueError(f"a token is {str(token)[:40]!r}, not text")
    fits = [len(form) for form in _forms(token) if data[max(floor, end - len(form)) : end] == form]
    if "\ufffd" in token:
        clean = len(token.replace("\ufffd", "").encode("utf-8", "surrogatepass"))
        replaced = token.count("\ufffd")
        for size in range(clean + replaced, clean + 3 * replaced + 1):
            if end - size < floor:
                break
            piece = data[end - size : end]
            if size not in fits and piece.decode("utf-8", "replace") == token:
                fits.append(size)
    return [size for size in dict.fromkeys(fits) if size > 0]


def _forms(token: str) -> list[bytes]:
    """The byte strings a token text may stand for: itself; a byte-level (GPT-2) rendering,
    one character a byte; a SentencePiece one, `▁` for a space and `<0xNN>` for a byte."""
    forms = []
    if "\ufffd" not in token:
        forms.append(token.encode("utf-8", "surrogatepass"))
    if token and all(char in _BYTE_OF for char in token):
        forms.append(bytes(_BYTE_OF[char] for char in token))
    if "▁" in token or _SENTENCEPIECE_BYTE.search(token):
        pieces = _SENTENCEPIECE_BYTE.split(token.replace("▁", " "))
        forms.append(
            b"".join(
                bytes([int(piece, 16)]) if i % 2 else piece.encode("utf-8", "surrogatepass")
                for i, piece in enumerate(pieces)
            )
        )
    return forms


def _byte_level_alphabet() -> dict[str, int]:
    """GPT-2's byte-level alphabet: the character that stands for each byte in a raw token."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0x100)]
    chars, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            chars[chr(byte)] = byte
        else:
            chars[chr(256 + extra)] = byte
            extra += 1
    return chars


_BYTE_OF = _byte_level_alphabet()


def _in_order(choices: list[Any]) -> list[Any]:
    """The choices in prompt order: by their `index` where each has a distinct one in range."""
    indexes = [c.get("index") if isinstance(c, dict) else None for c in choices]
    numbered = [i for i in indexes if isinstance(i, int) and not isinstance(i, bool)]
    if sorted(numbered) != list(range(len(choices))):
        return list(choices)
    placed: list[Any] = [None] * len(choices)
    for index, choice in zip(numbered, choices, strict=True):
        placed[index] = choice
    return placed


def _number(value: Any, where: str) -> float | None:
    """A log-probability: a finite number, or None (null); ValueError for anything else."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where} holds {str(value)[:40]!r}, not a log-probability")
    return float(value)


def _alternatives(entry: Any) -> dict[str, float] | None:
    """One position's top_logprobs: token text -> log-probability, or None (null)."""
    if entry is None:
        return None
    if not isinstance(entry, dict):
        raise ValueError(f"top_logprobs holds a {type(entry).__name__}, not an object")
    found = {str(k): _number(v, "top_logprobs") for k, v in entry.items()}
    return {k: v for k, v in found.items() if v is not None}
