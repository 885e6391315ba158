"""A sample's record from the in-memory records of a run: the item, its request and the answer,
not yet scored (harness.scorer scores records)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from harness.record.model import ChatTurn, Completion, Likelihood, SampleRecord, Usage
from harness.records import Request, Response, Sample


def sample_record(
    sample: Sample, request: Request, response: Response | None, cached: bool
) -> SampleRecord:
    """The record of one request: the whole sample, the request, and every completion. Built
    without validation (`model_construct`): every value comes from typed in-memory records."""
    answered = response is not None and response.ok
    prompt: str | list[ChatTurn] = (
        request.prompt
        if request.prompt is not None
        else [ChatTurn.model_construct(role=m.role, content=m.content) for m in request.messages]
    )
    return SampleRecord.model_construct(
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
        usage=Usage.model_construct(**asdict(response.usage)) if response else None,
        latency_s=round(response.latency_s, 4) if response else None,
        error=(response.error if response else "no response") if not answered else None,
        cached=cached,
    )


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


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Values as JSON has them (a value JSON cannot hold becomes its text)."""
    plain: dict[str, Any] = json.loads(json.dumps(values, ensure_ascii=False, default=str))
    return plain
