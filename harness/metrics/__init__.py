"""Per-sample metrics: a parsed answer against the sample's acceptable answers.

A metric takes (parsed, answers, language) and returns a score in [0, 1]: `parsed` is the
parser's canonical answer (None when nothing was found), `answers` every acceptable gold answer
(extractive QA has several), `language` the sample's canonical language code (for
language-aware normalisation). Metrics are looked up by name from a task's `metrics:` list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from harness.errors import PolyevalError
from harness.metrics.math import math_equivalent
from harness.metrics.squad import exact_match, token_f1
from harness.metrics.temporal import temporal_exact_match, temporal_f1

Metric = Callable[[str | None, Sequence[str], str], float]


def accuracy(parsed: str | None, answers: Sequence[str], language: str) -> float:
    return float(parsed is not None and parsed in answers)


def parse_rate(parsed: str | None, answers: Sequence[str], language: str) -> float:
    return float(parsed is not None)


METRICS: dict[str, Metric] = {
    "accuracy": accuracy,
    "parse_rate": parse_rate,
    "exact_match": exact_match,
    "f1": token_f1,
    "math_equivalent": math_equivalent,
    "temporal_exact_match": temporal_exact_match,  # dates compared by value
    "temporal_f1": temporal_f1,
}
# 0/1 per sample: right or wrong (harness.summary's agreement with English)
BINARY = {"accuracy", "parse_rate", "exact_match", "math_equivalent", "temporal_exact_match"}
# computed over a whole corpus, not averaged over samples (harness.metrics.translation):
# chrF++ (chrf), BLEU and TER
CORPUS = ("chrf", "bleu", "ter")
# the language scores harness.consistency adds to every sample (a task may list them, e.g. LCB)
LANGUAGE = ("consistency", "line_pass", "word_pass", "language_normalised")


def get_metric(name: str) -> Metric:
    return METRICS[name]


def check_metrics(names: Iterable[str], where: str) -> None:
    for name in names:
        if name not in METRICS and name not in CORPUS and name not in LANGUAGE:
            known = ", ".join([*METRICS, *CORPUS, *LANGUAGE])
            raise PolyevalError(f"unknown metric '{name}' (known: {known})", where=where)


def score(
    names: Iterable[str], parsed: str | None, answers: Sequence[str], language: str
) -> dict[str, float]:
    """The per-sample metrics among `names` (corpus metrics are computed over the corpus, language
    scores by harness.consistency)."""
    return {name: METRICS[name](parsed, answers, language) for name in names if name in METRICS}
