"""The unconditional scores of acc_pmi: each option scored again after the answer cue alone.

A log-likelihood request of a variant with `pmi: true` names its answer cue ("Answer:" in the
prompt's words: Request.unconditional). Before the run, each such request gets a companion: the
same continuations after the cue alone, a log-likelihood request like any other (cached,
pooled, and shared by every item with the same options: XNLI's three labels are scored once per
language). After it, each companion's scores are folded into its request's answer
(ContinuationScore.unconditional); a request whose companion failed fails with its error, and
the next run asks only what failed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from harness.records import Request, Response

Answered = tuple[Request, Response | None, bool]


def companions(requests: Sequence[Request]) -> list[Request]:
    """The unconditional request of each request that names an answer cue, in order. The
    baselines see no gold answer in it (harness.backends.baseline: no option wins)."""
    return [
        replace(r, prompt=r.unconditional, unconditional=None, hints=replace(r.hints, gold=""))
        for r in requests
        if r.unconditional is not None
    ]


def folded(answered: Sequence[Answered], extra: Sequence[Answered]) -> list[Answered]:
    """Each request's answer with its companion's scores (`extra`, in the order `companions`
    made them) as the unconditional ones."""
    found = iter(extra)
    merged = []
    for request, response, cached in answered:
        if request.unconditional is None:
            merged.append((request, response, cached))
            continue
        _, alone, alone_cached = next(found)
        merged.append((request, _with(response, alone), cached and alone_cached))
    return merged


def _with(response: Response | None, alone: Response | None) -> Response | None:
    if response is None or not response.ok:
        return response
    if alone is None or not alone.ok:
        why = alone.error if alone is not None else "no response"
        return Response(text="", error=f"the options after the answer cue alone: {why}")
    if len(alone.scores) != len(response.scores):
        error = f"{len(alone.scores)} unconditional scores for {len(response.scores)} options"
        return Response(text="", error=error)
    scores = tuple(
        replace(score, unconditional=other.logprob)
        for score, other in zip(response.scores, alone.scores, strict=True)
    )
    return replace(response, scores=scores)
