"""Metrics: per-sample metrics of a parsed answer against the sample's gold answers, corpus
metrics of translation (the harness.metrics.translation package) and the language scores of
every reply (harness.consistency). What each metric is, is said once, in
harness.metrics.registry; the names below are views of it.

A per-sample metric takes (parsed, answers, language) and returns a score in [0, 1]: `parsed` is
the parser's canonical answer (None when nothing was found), `answers` every acceptable gold
answer (extractive QA has several), `language` the sample's canonical language code (for
language-aware normalisation); one that needs more sees the whole judged answer
(`registry.Judged`). Metrics are looked up by name from a task's `metrics:` list.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.errors import PolyevalError
from harness.metrics.registry import (
    REGISTRY,
    Judged,
    ParsedMetric,
    accuracy,
    computed_by,
    parse_rate,
)

__all__ = ["BINARY", "CORPUS", "LANGUAGE", "METRICS", "Judged", "accuracy", "parse_rate"]

Metric = ParsedMetric

METRICS: dict[str, Metric] = {
    e.name: e.of_parsed for e in REGISTRY.values() if e.of_parsed is not None
}
# 0/1 per sample: right or wrong (harness.analysis.summary's agreement with English)
BINARY = {e.name for e in REGISTRY.values() if e.computed == "answer" and e.binary}
# computed over a whole corpus, not averaged over samples: chrF++ (chrf), BLEU and TER
CORPUS = computed_by("corpus")
# the language scores harness.consistency adds to every sample (a task may list them, e.g. LCB)
LANGUAGE = computed_by("language")


def get_metric(name: str) -> Metric:
    return METRICS[name]


def check_metrics(names: Iterable[str], where: str) -> None:
    for name in names:
        info = REGISTRY.get(name)
        if info is None or not info.listable:
            known = ", ".join(n for n, e in REGISTRY.items() if e.listable)
            raise PolyevalError(f"unknown metric '{name}' (known: {known})", where=where)


def score(names: Iterable[str], judged: Judged) -> dict[str, float]:
    """The per-sample metrics among `names` of one judged answer (corpus metrics are computed
    over the corpus, language scores by harness.consistency)."""
    found = {}
    for name in names:
        info = REGISTRY.get(name)
        if info is not None and info.computed == "answer":
            found[name] = info.measure(judged)
    return found
