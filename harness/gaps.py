"""Paired gaps between two sets of scores over the same items.

Two comparisons, both paired by `parallel_id` (the same question in both):
- a variant against the variant it declares `compare_to` (XNLI from a machine-translated
  source against the human translation), per language;
- every language against English, per task and variant, where English was run.
The gap is mean(this) - mean(other) over the items both have, with a normal-approximation
95% interval of the paired differences.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from harness.record import GapRecord, SampleRecord
from harness.stats import mean_interval

ENGLISH = "eng_Latn"
Cell = tuple[str, str, str, str]  # task, variant, language, metric
Scores = dict[Cell, dict[str, float]]  # cell -> parallel id -> score


def paired_gaps(
    samples: Iterable[SampleRecord], compare_to: Mapping[tuple[str, str], str]
) -> list[GapRecord]:
    """Gap records; `compare_to` maps (task, variant) to the variant it is compared with, as
    `other` (the same language) or `other@language` (DZEN's Dzongkha variant against English)."""
    scores = _by_cell(samples)
    records = []
    for cell, values in sorted(scores.items()):
        task, variant, language, metric = cell
        if (target := compare_to.get((task, variant))) is not None:
            other, _, other_language = target.partition("@")
            base = scores.get((task, other, other_language or language, metric))
            if base:
                records.append(_gap(cell, values, base, f"variant:{target}"))
        english = scores.get((task, variant, ENGLISH, metric))
        if language != ENGLISH and english:
            records.append(_gap(cell, values, english, f"language:{ENGLISH}"))
    return [r for r in records if r is not None]


def _by_cell(samples: Iterable[SampleRecord]) -> Scores:
    scores: Scores = defaultdict(dict)
    for s in samples:
        for metric, value in s.scores.items():
            if metric != "parse_rate":
                scores[(s.task, s.variant, s.language, metric)][s.parallel_id] = value
    return scores


def _gap(
    cell: Cell, values: dict[str, float], base: dict[str, float], versus: str
) -> GapRecord | None:
    shared = [pid for pid in values if pid in base]
    if not shared:
        return None
    mine = sum(values[p] for p in shared) / len(shared)
    theirs = sum(base[p] for p in shared) / len(shared)
    low, high = mean_interval([values[p] - base[p] for p in shared])
    task, variant, language, metric = cell
    return GapRecord(
        task=task,
        variant=variant,
        language=language,
        metric=metric,
        versus=versus,
        value=mine,
        base=theirs,
        gap=mine - theirs,
        relative_gap=(mine - theirs) / theirs if theirs else None,
        n=len(shared),
        ci_low=low,
        ci_high=high,
    )
