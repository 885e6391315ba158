"""Paired gaps between two sets of scores over the same items (gaps.json).

Two comparisons, both paired by `parallel_id` (the same question in both):
- a variant against the variant it declares `compare_to` (XNLI from a machine-translated
  source against the human translation), per language;
- every language against English, per task and variant, where English was run.
Each item's score is the mean of its samples there (an item a language has several samples
of counts once); the gap is mean(this) - mean(other) over the items both have, with the 95%
interval of a paired bootstrap over those items and its p-value
(harness.analysis.stats.paired_gap_estimates, with the seed and resamples summary.json uses: a
gap to English here is summary.json's `gap_to_english`). Failed requests and scores that are
not finite numbers are left out, as in summary.json.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np

from harness.analysis.stats import PairedGap, paired_gap_estimates
from harness.record import GapRecord, SampleRecord

ENGLISH = "eng_Latn"
METHOD = "paired_bootstrap"
Cell = tuple[str, str, str, str]  # task, variant, language, metric
Means = dict[Cell, dict[str, float]]  # cell -> parallel id -> mean score of its samples
Comparison = tuple[Cell, Cell, str]  # the cell, the cell it is compared with, `versus`


def paired_gaps(
    samples: Iterable[SampleRecord], compare_to: Mapping[tuple[str, str], str]
) -> list[GapRecord]:
    """Gap records; `compare_to` maps (task, variant) to the variant it is compared with, as
    `other` (the same language) or `other@language` (DZEN's Dzongkha variant against English)."""
    means = _item_means((s.task, s.variant, s.language, s.parallel_id, s.scores) for s in samples)
    comparisons = _comparisons(means, compare_to)
    by_base: dict[Cell, list[Comparison]] = defaultdict(list)
    for comparison in comparisons:
        by_base[comparison[1]].append(comparison)
    found: dict[tuple[Cell, str], PairedGap] = {}
    for base, chosen in by_base.items():
        items = sorted(means[base])
        rows = [[means[cell].get(pid, math.nan) for pid in items] for cell, _, _ in chosen]
        estimates = paired_gap_estimates(np.array(rows), [means[base][pid] for pid in items])
        for (cell, _, versus), gap in zip(chosen, estimates, strict=True):
            if gap is not None:
                found[(cell, versus)] = gap
    return [
        _record(cell, versus, found[(cell, versus)])
        for cell, _, versus in comparisons
        if (cell, versus) in found
    ]


def _item_means(
    scored: Iterable[tuple[str, str, str, str, Mapping[str, float]]],
) -> Means:
    """Each cell's mean score per parallel item, from (task, variant, language, parallel id,
    scores) of each sample; parse rates, and scores that are not finite numbers, left out."""
    sums: dict[Cell, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for task, variant, language, pid, scores in scored:
        for metric, value in scores.items():
            if metric != "parse_rate" and math.isfinite(value):
                sums[(task, variant, language, metric)][pid].append(value)
    return {
        cell: {pid: sum(values) / len(values) for pid, values in by_item.items()}
        for cell, by_item in sums.items()
    }


def _comparisons(means: Means, compare_to: Mapping[tuple[str, str], str]) -> list[Comparison]:
    """Every cell against the variant it is compared with and against English, in cell order."""
    found = []
    for cell in sorted(means):
        task, variant, language, metric = cell
        if (target := compare_to.get((task, variant))) is not None:
            other, _, other_language = target.partition("@")
            base = (task, other, other_language or language, metric)
            if base in means:
                found.append((cell, base, f"variant:{target}"))
        english = (task, variant, ENGLISH, metric)
        if language != ENGLISH and english in means:
            found.append((cell, english, f"language:{ENGLISH}"))
    return found


def _record(cell: Cell, versus: str, gap: PairedGap) -> GapRecord:
    task, variant, language, metric = cell
    return GapRecord(
        task=task,
        variant=variant,
        language=language,
        metric=metric,
        versus=versus,
        value=gap.value,
        base=gap.base,
        gap=gap.gap,
        relative_gap=gap.relative_gap,
        n=gap.n,
        ci_low=gap.low,
        ci_high=gap.high,
        p_value=gap.p_value,
        method=METHOD,
    )
