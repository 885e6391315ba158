"""Per-sample metrics and their aggregation into tidy score records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from harness.metrics import BINARY
from harness.records import Sample, ScoredSample
from harness.stats import mean_interval, wilson_interval

Key = tuple[str, str, str, str]  # task, variant, language, metric


def aggregate(
    results: Iterable[ScoredSample], samples: Mapping[tuple[str, str, str, str], Sample]
) -> list[dict[str, Any]]:
    """One record per task x variant x language x metric (`by` and `group` None), then one per
    breakdown value (`by`: "subject", `group`: "Biology"); failed requests are left out."""
    overall: dict[Key, list[float]] = defaultdict(list)
    broken: dict[tuple[Key, str, str], list[float]] = defaultdict(list)
    for result in results:
        if not result.scores:  # the request failed: missing, not wrong
            continue
        r = result.request
        meta = samples[r.key].meta
        for metric, value in result.scores.items():
            key = (r.task, r.variant, r.language, metric)
            overall[key].append(value)
            for by, group in meta.items():
                broken[(key, by, group)].append(value)
    records = [_record(key, values, None, None) for key, values in sorted(overall.items())]
    records += [_record(k, v, by, group) for (k, by, group), v in sorted(broken.items())]
    return records


def _record(key: Key, values: list[float], by: str | None, group: str | None) -> dict[str, Any]:
    task, variant, language, metric = key
    n = len(values)
    mean = sum(values) / n
    low, high = wilson_interval(sum(values), n) if metric in BINARY else mean_interval(values)
    return {
        "task": task,
        "variant": variant,
        "language": language,
        "metric": metric,
        "by": by,
        "group": group,
        "value": mean,
        "n": n,
        "ci_low": low,
        "ci_high": high,
    }
