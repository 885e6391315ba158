"""Round-trip translation, scored without references: a sentence goes source -> pivot in the
first leg and pivot -> source in the second, and the second leg's output is scored against the
original sentence. The first leg's output is kept in the sample's record (`pivot`, cleaned as
every translation is, and `pivot_output`, as the model wrote it).

A model that copies its input scores perfectly on a round trip; the pivot leg's language check
is what catches it, so read round-trip scores beside the consistency of `pivot`.
"""

from __future__ import annotations

from dataclasses import fields, replace

from harness.planner import Plan
from harness.record import SampleRecord
from harness.records import Hints, Request, Sample
from harness.runner import Answered, Counts, Execution
from harness.translation.cleaning import clean_translation
from harness.translation.keys import Pair
from harness.translation.pairs import language_fields


def second_leg(plan: Plan, answered: list[Answered]) -> Plan | None:
    """The requests that translate each answered first leg back; None without round trips."""
    requests: list[Request] = []
    samples: dict[tuple[str, str, str, str], Sample] = {}
    for first, response, _ in answered:
        pair = first.pair
        if pair is None or not pair.round_trip or response is None or not response.ok:
            continue  # not a round trip, or failed: recorded as it is
        original = plan.samples[first.key]
        pivot = clean_translation(
            response.text, str(original.fields.get("source", "")), pair.source, pair.target
        ).text
        if not pivot:
            continue  # nothing to translate back: scored as it is
        sample = replace(
            original,
            fields={**original.fields, **language_fields(Pair(pair.target, pair.source))}
            | {"source": pivot},
        )
        builder = plan.task(first.task).builder
        messages, prompt = builder.build(first.variant, sample, [])
        hints = Hints(gold=original.gold, source_text=pivot)
        requests.append(replace(first, messages=messages, prompt=prompt, hints=hints))
        samples[first.key] = sample
    return replace(plan, requests=requests, samples=samples) if requests else None


def combine(first: Execution, second: Execution) -> Execution:
    """Both legs' counts and timings added (the answers are the first leg's: `fold` puts the
    second legs' records in their place)."""
    counts = Counts(
        **{
            f.name: getattr(first.counts, f.name) + getattr(second.counts, f.name)
            for f in fields(Counts)
        }
    )
    timings = {k: v + second.timings.get(k, 0.0) for k, v in first.timings.items()}
    return Execution(first.answered, counts, timings)


def fold(first: list[SampleRecord], second: list[SampleRecord]) -> list[SampleRecord]:
    """The first leg's records with each round trip replaced by its second leg's, which keeps
    the pivot translation (its source) and the first leg's output. A first leg that failed, or
    gave nothing to translate back, stays as it is."""
    back = {record.key: record for record in second}
    folded = []
    for record in first:
        leg = back.get(record.key)
        if leg is None:
            folded.append(record)
            continue
        pivot = {"pivot": str(leg.fields.get("source", "")), "pivot_output": record.output}
        folded.append(leg.model_copy(update=pivot))
    return folded
