"""Per-sample metrics and their aggregation into tidy score records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from harness.metrics import BINARY
from harness.records import ScoredSample
from harness.stats import wilson_interval


def aggregate(results: Iterable[ScoredSample]) -> list[dict[str, Any]]:
    """One record per task x variant x language x metric, failed requests left out."""
    groups: dict[tuple[str, str, str, str], list[float]] = defaultdict(list)
    for result in results:
        if not result.scores:  # the request failed: missing, not wrong
            continue
        r = result.request
        for metric, value in result.scores.items():
            groups[(r.task, r.variant, r.language, metric)].append(value)
    records = []
    for (task, variant, language, metric), values in sorted(groups.items()):
        n = len(values)
        mean = sum(values) / n
        low, high = wilson_interval(sum(values), n) if metric in BINARY else (mean, mean)
        records.append(
            {
                "task": task,
                "variant": variant,
                "language": language,
                "metric": metric,
                "value": mean,
                "n": n,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return records
