"""Round-trip translation, scored without references: a sentence goes source -> pivot in the
first leg and pivot -> source in the second, and the second leg's output is scored against the
original sentence. The first leg's output is kept in the sample's record (`pivot`).

A model that copies its input scores perfectly on a round trip; the pivot leg's language check
is what catches it, so read round-trip scores beside the consistency of `pivot`.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from harness.langid import judge
from harness.planner import Plan
from harness.records import Hints, Request, Sample, ScoredSample
from harness.runner import Counts, Execution
from harness.translation.pairs import Pair, language_fields, pair_of


def second_leg(plan: Plan, results: list[ScoredSample]) -> Plan | None:
    """The requests that translate each answered first leg back; None without round trips."""
    requests: list[Request] = []
    samples: dict[tuple[str, str, str, str], Sample] = {}
    for result in results:
        pair = pair_of(result.request.language)
        if pair is None or not pair.round_trip or not result.parsed:
            continue  # failed, or nothing to translate back: scored as it is
        first = result.request
        original = plan.samples[first.key]
        sample = replace(
            original,
            fields={
                **original.fields,
                **language_fields(Pair(pair.target, pair.source)),
                "source": result.parsed,
            },
        )
        builder = plan.task(first.task).builder
        messages, prompt = builder.build(first.variant, sample, [])
        hints = Hints(gold=original.gold, source_text=result.parsed)
        requests.append(replace(first, messages=messages, prompt=prompt, hints=hints))
        samples[first.key] = sample
    return replace(plan, requests=requests, samples=samples) if requests else None


def combine(first: Execution, second: Execution, detector: str = "default") -> Execution:
    """Both legs' executions as one: counts and timings added, results folded (the pivot legs
    judged for their language by `detector`)."""
    counts = Counts(
        **{
            f.name: getattr(first.counts, f.name) + getattr(second.counts, f.name)
            for f in fields(Counts)
        }
    )
    results = fold(first.results, second.results, detector)
    counts.failed = sum(1 for r in results if r.response is None or not r.response.ok)
    timings = {k: first.timings.get(k, 0.0) + second.timings.get(k, 0.0) for k in first.timings}
    return Execution(results, counts, timings)


def fold(
    first: list[ScoredSample], second: list[ScoredSample], detector: str = "default"
) -> list[ScoredSample]:
    """The first leg's results with each round trip replaced by its second leg, which keeps
    the pivot translation in its record. A first leg that failed stays, as a failure."""
    back = {r.request.key: r for r in second}
    folded = []
    for result in first:
        leg = back.get(result.request.key)
        if leg is None:
            folded.append(result)
            continue
        pivot: dict[str, Any] = {"pivot": result.parsed, "pivot_output": _text(result)}
        pair = pair_of(result.request.language)
        if pair is not None and result.parsed:  # is the pivot leg in the pivot language?
            pivot["pivot_langid"] = judge(result.parsed, pair.target, detector).as_record()
        folded.append(replace(leg, details={**leg.details, **pivot}))
    return folded


def _text(result: ScoredSample) -> str | None:
    return result.response.text if result.response is not None else None
