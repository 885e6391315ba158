"""The log-likelihood requests of the vLLM backends' engine (harness.backends.vllm_engine): what
is sent (each distinct context + continuation once, as token ids, with where its continuation
starts) and what is made of the prompt log-probabilities that come back."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.backends import NOT_RETRIED
from harness.records import ContinuationScore, Request, Response, Usage


@dataclass(frozen=True, slots=True)
class Scoring:
    """What a batch of log-likelihood requests sends: each distinct (context, continuation)
    once, as the token ids of the whole, with where its continuation starts."""

    prompts: list[list[int]]
    starts: list[int]
    # per request: the prompt of each of its continuations, in order, or why it is not scored
    wanted: list[list[int] | str]


def continuation_start(whole: Sequence[int], context: Sequence[int]) -> int:
    """Where the continuation's tokens start in the tokens of context + continuation: after
    the longest prefix the whole shares with the context alone. A token that merges the
    context's last characters with the continuation's first differs from the context's own
    last token, so it is the continuation's (as in lm-evaluation-harness, which takes the
    whole's tokens past the context's)."""
    shared = 0
    for mine, theirs in zip(whole, context, strict=False):
        if mine != theirs:
            break
        shared += 1
    return shared


def plan_scoring(
    requests: Sequence[Request],
    encode: Callable[[str], list[int]],
    prefix: int | None,
    max_model_len: int | None,
) -> Scoring:
    """Tokenize every (context, continuation) of `requests` once. A continuation whose first
    token has nothing before it (an empty context, or one merged whole into that token) gets
    `prefix` (the tokenizer's BOS, else its EOS) in front, as lm-evaluation-harness does."""
    prompts: list[list[int]] = []
    starts: list[int] = []
    seen: dict[tuple[str, str], int] = {}
    contexts: dict[str, list[int]] = {}
    wanted: list[list[int] | str] = []
    for request in requests:
        context = request.context
        if context not in contexts:
            contexts[context] = encode(context)
        chosen: list[int] = []
        why = ""
        for number, continuation in enumerate(request.continuations, 1):
            key = (context, continuation)
            if key in seen:
                chosen.append(seen[key])
                continue
            whole = encode(context + continuation)
            start = continuation_start(whole, contexts[context])
            if start == len(whole):
                why = f"continuation {number} ({continuation!r}) takes no tokens"
                break
            if start == 0:
                if prefix is None:
                    why = f"continuation {number} has no token before it to be scored after"
                    break
                whole, start = [prefix, *whole], 1
            if max_model_len is not None and len(whole) >= max_model_len:
                why = (
                    f"context and continuation {number} take {len(whole)} tokens, more than"
                    f" the {max_model_len - 1} that max_model_len {max_model_len} leaves beside"
                    " the one token generated"
                )
                break
            seen[key] = len(prompts)
            chosen.append(len(prompts))
            prompts.append(whole)
            starts.append(start)
        wanted.append(f"{NOT_RETRIED}: {why}" if why else chosen)
    return Scoring(prompts, starts, wanted)


def summed(
    prompt_logprobs: Sequence[Mapping[int, Any] | None] | None,
    token_ids: Sequence[int],
    start: int,
) -> ContinuationScore:
    """The score of the tokens `token_ids[start:]` from a RequestOutput's prompt_logprobs: one
    entry per prompt token (None for the first), mapping token ids to vllm.logprobs.Logprob
    (logprob, rank from 1, decoded_token) for the token itself and the most likely ones. The
    continuation is greedy when each of its tokens has rank 1 (where an engine gives no rank:
    when none of its entry is more likely)."""
    if prompt_logprobs is None or len(prompt_logprobs) != len(token_ids):
        got = "none" if prompt_logprobs is None else str(len(prompt_logprobs))
        raise ValueError(f"{got} prompt log-probabilities for {len(token_ids)} prompt tokens")
    total = 0.0
    greedy = True
    for position in range(start, len(token_ids)):
        entry = prompt_logprobs[position]
        own = None if entry is None else entry.get(token_ids[position])
        if entry is None or own is None:
            raise ValueError(f"no log-probability for prompt token {position}")
        total += float(own.logprob)
        rank = getattr(own, "rank", None)
        if rank is not None:
            greedy = greedy and rank == 1
        else:
            greedy = greedy and all(other.logprob <= own.logprob for other in entry.values())
    return ContinuationScore(total, len(token_ids) - start, greedy)


def scored_response(
    wanted: list[int] | str, plan: Scoring, outputs: list[Any], latency: float
) -> Response:
    """One log-likelihood request's Response from the scored prompts it wanted."""
    if isinstance(wanted, str):
        return Response(text="", error=wanted, latency_s=latency)
    scores = []
    for number, prompt in enumerate(wanted, 1):
        output = outputs[prompt]
        try:
            scores.append(summed(output.prompt_logprobs, plan.prompts[prompt], plan.starts[prompt]))
        except ValueError as exc:
            error = f"{NOT_RETRIED}: vllm did not score continuation {number}: {exc}"
            return Response(text="", error=error, latency_s=latency)
    usage = Usage(prompt_tokens=sum(len(plan.prompts[prompt]) for prompt in wanted))
    return Response(
        text="", finish_reason="stop", usage=usage, latency_s=latency, scores=tuple(scores)
    )


def max_model_len(llm: Any) -> int | None:
    """The engine's context length (its model config's), where this vLLM shows it."""
    engine = getattr(llm, "llm_engine", None)
    value = getattr(getattr(engine, "model_config", None), "max_model_len", None)
    return value if isinstance(value, int) else None
