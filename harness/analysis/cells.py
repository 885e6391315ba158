"""Per-sample metrics and their aggregation into tidy score records."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from harness.analysis.stats import mean_score_interval
from harness.metrics.registry import REGISTRY
from harness.record import SampleRecord, ScoreRecord

Key = tuple[str, str, str, str]  # task, variant, language, metric
UNBOUNDED = frozenset(name for name, info in REGISTRY.items() if not info.bounded)


def aggregate(samples: Iterable[SampleRecord]) -> list[ScoreRecord]:
    """One record per task x variant x language x metric (`by` and `group` None), then one per
    breakdown value (`by`: "subject", `group`: "Biology"); failed requests are left out. Each
    value is the mean over the samples, with its 95% interval
    (harness.analysis.stats.mean_score_interval: Wilson for rates, else a normal interval
    clipped to [0, 1])."""
    overall: dict[Key, list[float]] = defaultdict(list)
    broken: dict[tuple[Key, str, str], list[float]] = defaultdict(list)
    answered: Counter[tuple[str, str, str]] = Counter()
    failed: Counter[tuple[str, str, str]] = Counter()
    for sample in samples:
        cell = (sample.task, sample.variant, sample.language)
        if not sample.scores:  # the request failed: missing, not wrong
            failed[cell] += 1
            continue
        answered[cell] += 1
        for metric, value in sample.scores.items():
            if metric in UNBOUNDED:  # its cell is its corpus value (bits per byte)
                continue
            key = (*cell, metric)
            overall[key].append(value)
            for by, group in sample.breakdowns.items():
                broken[(key, by, group)].append(value)
    records = [
        _record(key, values, None, None).model_copy(
            update=_counts(key, len(values), answered, failed)
        )
        for key, values in sorted(overall.items())
    ]
    records += [_record(k, v, by, group) for (k, by, group), v in sorted(broken.items())]
    return records


def _counts(
    key: Key,
    judged: int,
    answered: Counter[tuple[str, str, str]],
    failed: Counter[tuple[str, str, str]],
) -> dict[str, int]:
    """A cell's failed requests (`errors`), and for language consistency the answers too
    short or too mixed to judge (`und`), counted apart from `n`."""
    cell = key[:3]
    counts = {"errors": failed[cell]}
    if key[3] == "consistency":
        counts["und"] = answered[cell] - judged
    return counts


def _record(key: Key, values: list[float], by: str | None, group: str | None) -> ScoreRecord:
    task, variant, language, metric = key
    n = len(values)
    low, high = mean_score_interval(values)
    return ScoreRecord(
        task=task,
        variant=variant,
        language=language,
        metric=metric,
        by=by,
        group=group,
        value=sum(values) / n,
        n=n,
        ci_low=low,
        ci_high=high,
    )
