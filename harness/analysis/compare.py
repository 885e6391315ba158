"""`evaluate compare RUN_A RUN_B`: is B's score different from A's beyond chance?

Paired bootstrap over the items both runs answered, per task x variant x language: corpus
metrics (BLEU, chrF++, TER) are recomputed on each resample of the shared sentences
(harness.metrics.translation.paired_bootstrap), and so is bits per byte (a ratio over the
shared texts, harness.loglikelihood.scoring); per-sample metrics (accuracy, F1, ...) get B's
gap to A as gaps.json and summary.json compute gaps
(harness.analysis.stats.paired_gap_estimates). Items only one run answered are left out and
counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.analysis.stats import RESAMPLES, SEED, paired_gap_estimates
from harness.errors import PolyevalError
from harness.loglikelihood.formulations import BITS_PER_BYTE, SENTENCE_BITS_PER_BYTE
from harness.loglikelihood.scoring import paired_bits_per_byte
from harness.metrics import CORPUS
from harness.record import SampleRecord, open_run

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
    run_a: Path,
    run_b: Path,
    metric: str | None = None,
    resamples: int = RESAMPLES,
    seed: int = SEED,
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
    """chrF++ for translations, bits per byte for texts scored by log-likelihood, else the
    first per-sample metric the record has."""
    scores = record.scores
    if "sentence_chrf" in scores:
        return "chrf"
    if SENTENCE_BITS_PER_BYTE in scores:
        return BITS_PER_BYTE
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
    if metric == BITS_PER_BYTE:
        paired = paired_bits_per_byte(left, right, resamples, seed)
        return Comparison(*group, metric, len(left), only_one, *paired)
    if metric in CORPUS:
        from harness.metrics.translation import paired_bootstrap  # sacrebleu: where compared

        result = paired_bootstrap(
            [r.parsed or "" for r in left],
            [r.parsed or "" for r in right],
            [list(r.accepted) for r in left],
            left[0].scored_language,
            metric=metric,
            resamples=resamples,
            seed=seed,
        )
        scores = (result.score_a / 100, result.score_b / 100, result.delta / 100)
        interval = (result.ci_low / 100, result.ci_high / 100, result.p_value)
        return Comparison(*group, metric, len(left), only_one, *scores, *interval)
    if any(metric not in r.scores for r in (*left, *right)):
        raise PolyevalError(f"{task}/{variant}/{language}: no metric '{metric}' in the samples")
    gap = paired_gap_estimates(
        [r.scores[metric] for r in right],
        [r.scores[metric] for r in left],
        resamples=resamples,
        seed=seed,
    )[0]
    if gap is None:
        raise PolyevalError(f"{task}/{variant}/{language}: no finite '{metric}' in both runs")
    scores = (gap.base, gap.value, gap.gap)
    return Comparison(*group, metric, gap.n, only_one, *scores, gap.low, gap.high, gap.p_value)
