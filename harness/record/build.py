"""A sample's record from the in-memory records of a run: the item, its request and the answer,
not yet scored (harness.scorer scores records)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from harness.record.model import ChatTurn, Completion, Likelihood, SampleRecord, Usage
from harness.records import Request, Response, Sample
from harness.records import Usage as ResponseUsage


def sample_record(
    sample: Sample, request: Request, response: Response | None, cached: bool
) -> SampleRecord:
    """The record of one request: the whole sample, the request, and every completion. Built
    without validation: every value comes from typed in-memory records. Every field is given,
    the unscored ones as None (or empty), onto a copy of a blank record (`model_copy`): pydantic
    would otherwise work out each default again for every record, and `model_construct` goes
    through every field in Python (a run builds a record per request, twice with a scoring
    worker: a copy takes a third of the time)."""
    answered = response is not None and response.ok
    prompt: str | list[ChatTurn] = (
        request.prompt
        if request.prompt is not None
        else [_turn(m.role, m.content) for m in request.messages]
    )
    return _BLANK.model_copy(
        update=dict(
            task=request.task,
            variant=request.variant,
            language=request.language,
            sample_id=request.sample_id,
            parallel_id=request.parallel_id,
            gold=sample.gold,
            answers=list(sample.answers),
            choices=list(sample.choices),
            breakdowns=dict(sample.meta),
            fields=_plain(sample.fields),
            prompt=prompt,
            generation=_plain(request.generation),
            template_hash=request.template_hash,
            exemplars=list(request.exemplars),
            continuations=list(request.continuations) if request.loglikelihood else None,
            likelihoods=_likelihoods(response) if request.loglikelihood and answered else None,
            output=_output(request, response) if answered and response else None,
            reasoning=response.reasoning if response else None,
            finish_reason=response.finish_reason if response else None,
            completions=[
                Completion.model_construct(
                    output=c.text, reasoning=c.reasoning, finish_reason=c.finish_reason
                )
                for c in (response.alternatives if answered and response else ())
            ],
            usage=_usage(response.usage) if response else None,
            latency_s=round(response.latency_s, 4) if response else None,
            error=(response.error if response else "no response") if not answered else None,
            cached=cached,
            pivot=None,
            pivot_output=None,
            parsed=None,
            scores={},
            langid=None,
            langid_reasoning=None,
            lcb=None,
            pivot_langid=None,
            stripped=None,
            round_trip=None,
        )
    )


LEFT_OUT = object()
"""The blank record's value of every field: one that sample_record left out stays this, which
no record can be written with (a TypeError at once, not a silent None)."""
_FIELDS: dict[str, Any] = dict.fromkeys(SampleRecord.model_fields, LEFT_OUT)
_BLANK = SampleRecord.model_construct(**_FIELDS)
"""Every field given: a copy's fields set is every field, as it is for a record made with
model_construct(every field)."""


@lru_cache(maxsize=4096)
def _turn(role: str, content: str) -> ChatTurn:
    """A chat turn of a prompt; the turns that many prompts share (a language's few-shot
    exemplars) are made once (records are frozen: sharing them is safe)."""
    return ChatTurn.model_construct(role=role, content=content)


def _likelihoods(response: Response | None) -> list[Likelihood]:
    return [
        Likelihood.model_construct(
            logprob=s.logprob, tokens=s.tokens, greedy=s.greedy, unconditional=s.unconditional
        )
        for s in (response.scores if response else ())
    ]


def _output(request: Request, response: Response) -> str:
    """The reply; for a log-likelihood request, the continuation it scored highest."""
    if not request.loglikelihood or len(response.scores) != len(request.continuations):
        return response.text
    best = max(range(len(response.scores)), key=lambda i: response.scores[i].logprob)
    return request.continuations[best]


def _usage(usage: ResponseUsage) -> Usage:
    return Usage.model_construct(
        prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens
    )


_SCALARS = (str, int, float, bool, type(None))  # JSON values as they are (float: as JSON reads)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Values as JSON has them (a value JSON cannot hold becomes its text). Text keys and
    scalar values, the common case, are JSON's already: copied as they are (what the round
    trip through JSON would give), the rest goes through JSON."""
    if all(type(k) is str and type(v) in _SCALARS for k, v in values.items()):
        return dict(values)
    plain: dict[str, Any] = json.loads(json.dumps(values, ensure_ascii=False, default=str))
    return plain
