"""Per-sample metrics and their aggregation into tidy score records."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from harness.records import Sample, ScoredSample
from harness.stats import mean_score_interval

Key = tuple[str, str, str, str]  # task, variant, language, metric


def aggregate(
    results: Iterable[ScoredSample], samples: Mapping[tuple[str, str, str, str], Sample]
) -> list[dict[str, Any]]:
    """One record per task x variant x language x metric (`by` and `group` None), then one per
    breakdown value (`by`: "subject", `group`: "Biology"); failed requests are left out. Each
    value is the mean over the samples, with its 95% interval (harness.stats.mean_score_interval:
    Wilson for rates, else a normal interval clipped to [0, 1])."""
    overall: dict[Key, list[float]] = defaultdict(list)
    broken: dict[tuple[Key, str, str], list[float]] = defaultdict(list)
    answered: Counter[tuple[str, str, str]] = Counter()
    failed: Counter[tuple[str, str, str]] = Counter()
    for result in results:
        r = result.request
        if not result.scores:  # the request failed: missing, not wrong
            failed[(r.task, r.variant, r.language)] += 1
            continue
        answered[(r.task, r.variant, r.language)] += 1
        meta = samples[r.key].meta
        for metric, value in result.scores.items():
            key = (r.task, r.variant, r.language, metric)
            overall[key].append(value)
            for by, group in meta.items():
                broken[(key, by, group)].append(value)
    records = [
        _record(key, values, None, None) | _counts(key, len(values), answered, failed)
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


def _record(key: Key, values: list[float], by: str | None, group: str | None) -> dict[str, Any]:
    task, variant, language, metric = key
    n = len(values)
    low, high = mean_score_interval(values)
    return {
        "task": task,
        "variant": variant,
        "language": language,
        "metric": metric,
        "by": by,
        "group": group,
        "value": sum(values) / n,
        "n": n,
        "ci_low": low,
        "ci_high": high,
    }
