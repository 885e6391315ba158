"""Per-sample metrics and their aggregation into tidy score records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from harness.errors import PolyevalError
from harness.records import ScoredSample
from harness.stats import wilson_interval

Metric = Callable[[str | None, str], float]

METRICS: dict[str, Metric] = {
    "accuracy": lambda parsed, gold: float(parsed is not None and parsed == gold),
    "parse_rate": lambda parsed, gold: float(parsed is not None),
}
BINARY = {"accuracy", "parse_rate"}


def check_metrics(names: Iterable[str], where: str) -> None:
    for name in names:
        if name not in METRICS:
            known = ", ".join(METRICS)
            raise PolyevalError(f"unknown metric '{name}' (known: {known})", where=where)


def score(metrics: Iterable[str], parsed: str | None, gold: str) -> dict[str, float]:
    return {name: METRICS[name](parsed, gold) for name in metrics}


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
