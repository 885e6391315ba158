"""`evaluate compare RUN_A RUN_B`: is B's score different from A's beyond chance?

Paired bootstrap over the items both runs answered, per task x variant x language: corpus
metrics (BLEU, chrF++, TER) are recomputed on each resample of the shared sentences
(harness.metrics.translation.paired_bootstrap); per-sample metrics (accuracy, F1, ...) compare
the resampled means. Items only one run answered are left out and counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.errors import PolyevalError
from harness.metrics import CORPUS
from harness.metrics.translation import paired_bootstrap
from harness.record import SampleRecord, open_run
from harness.translation.keys import scored_language

Group = tuple[str, str, str]  # task, variant, language
Records = dict[Group, dict[str, SampleRecord]]  # group -> sample id -> sample record


@dataclass(frozen=True)
class Comparison:
    task: str
    variant: str
    language: str
    metric: str
    n: int  # items both runs answered
    only_one: int  # items only one of the runs answered
    score_a: float
    score_b: float
    delta: float  # b - a
    ci_low: float
    ci_high: float
    p_value: float


def compare_runs(
    run_a: Path, run_b: Path, metric: str | None = None, resamples: int = 1000, seed: int = 12345
) -> list[Comparison]:
    a, b = read_samples(run_a), read_samples(run_b)
    shared = sorted(a.keys() & b.keys())
    if not shared:
        raise PolyevalError(f"runs {run_a} and {run_b} share no task, variant and language")
    comparisons = []
    for group in shared:
        ids = sorted(a[group].keys() & b[group].keys())
        only_one = len(a[group].keys() ^ b[group].keys())
        if not ids:
            continue
        chosen = metric or _default_metric(a[group][ids[0]])
        left, right = [a[group][i] for i in ids], [b[group][i] for i in ids]
        comparisons.append(_compare(group, chosen, left, right, only_one, resamples, seed))
    return comparisons


def read_samples(run_dir: Path) -> Records:
    """A run's answered samples (failed requests left out), by group and sample id."""
    found: Records = defaultdict(dict)
    for record in open_run(run_dir).samples():
        if record.scores:
            found[(record.task, record.variant, record.language)][record.sample_id] = record
    return found


def _default_metric(record: SampleRecord) -> str:
    """chrF++ for translations, else the first per-sample metric the record has."""
    scores = record.scores
    if "sentence_chrf" in scores:
        return "chrf"
    return next((m for m in scores if m != "parse_rate"), "parse_rate")


def _compare(
    group: Group,
    metric: str,
    left: Sequence[SampleRecord],
    right: Sequence[SampleRecord],
    only_one: int,
    resamples: int,
    seed: int,
) -> Comparison:
    task, variant, language = group
    if metric in CORPUS:
        target = scored_language(language)
        result = paired_bootstrap(
            [r.parsed or "" for r in left],
            [r.parsed or "" for r in right],
            [list(r.accepted) for r in left],
            target,
            metric=metric,
            resamples=resamples,
            seed=seed,
        )
        values = (result.score_a / 100, result.score_b / 100, result.delta / 100)
        interval = (result.ci_low / 100, result.ci_high / 100, result.p_value)
    else:
        missing = [r.sample_id for r in (*left, *right) if metric not in r.scores]
        if missing:
            raise PolyevalError(f"{task}/{variant}/{language}: no metric '{metric}' in the samples")
        va = np.array([r.scores[metric] for r in left], dtype=float)
        vb = np.array([r.scores[metric] for r in right], dtype=float)
        values = (float(va.mean()), float(vb.mean()), float((vb - va).mean()))
        interval = paired_mean_bootstrap(vb - va, resamples, seed)
    return Comparison(task, variant, language, metric, len(left), only_one, *values, *interval)


def paired_mean_bootstrap(
    differences: np.ndarray, resamples: int, seed: int
) -> tuple[float, float, float]:
    """95% percentile interval of the mean paired difference, and the two-sided p-value of
    "no difference": how often a resampled mean, centred on zero, is at least as far from
    zero as the observed one."""
    rng = np.random.default_rng(seed)
    n = len(differences)
    means = differences[rng.integers(0, n, size=(resamples, n))].mean(axis=1)
    observed = differences.mean()
    extreme = np.abs(means - observed) >= abs(observed)
    p_value = float((extreme.sum() + 1) / (resamples + 1))
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high), p_value
