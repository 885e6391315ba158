"""Round-trip translation, scored without references: a sentence goes source -> pivot in the
first leg and pivot -> source in the second, and the second leg's output is scored against the
original sentence. The first leg's output is kept in the sample's record (`pivot`, cleaned as
every translation is, and `pivot_output`, as the model wrote it).

Generation (harness.generation.runner.generate) asks the second legs once the first legs are
answered: this module makes a second leg's request from a first leg's answer, and folds the
second legs' records into the first legs' places.

A model that copies its input scores perfectly on a round trip; the pivot leg's language check
is what catches it, so read round-trip scores beside the consistency of `pivot`.
"""

from __future__ import annotations

from dataclasses import replace

from harness.prompting import PromptBuilder
from harness.record import SampleRecord
from harness.records import Hints, Request, Response, Sample
from harness.translation.keys import Pair
from harness.translation.pairs import language_fields


def second_leg(
    request: Request, response: Response | None, sample: Sample, builder: PromptBuilder
) -> tuple[Request, Sample] | None:
    """The request that translates a round trip's answered first leg back, and its sample;
    None for any other request, a failed first leg (recorded as it is) or one that gave
    nothing to translate back (scored as it is)."""
    pair = request.pair
    if pair is None or not pair.round_trip or response is None or not response.ok:
        return None
    from harness.translation.cleaning import clean_translation  # for runs with round trips

    pivot = clean_translation(
        response.text, str(sample.fields.get("source", "")), pair.source, pair.target
    ).text
    if not pivot:
        return None
    back = replace(
        sample,
        fields={**sample.fields, **language_fields(Pair(pair.target, pair.source))}
        | {"source": pivot},
    )
    messages, prompt = builder.build(request.variant, back, [])
    hints = Hints(gold=sample.gold, source_text=pivot)
    return replace(request, messages=messages, prompt=prompt, hints=hints), back


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
