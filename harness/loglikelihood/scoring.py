"""Scoring log-likelihood answers from the record alone: each continuation's summed
log-probability and token count (SampleRecord.likelihoods) are all it needs, so `evaluate
score` recomputes every metric here without the model.

A multiple-choice item is right under a metric when the gold option's continuation scores
highest (the first one on a tie):
- `acc`: by its summed log-probability;
- `acc_norm_chars`: by log-probability per character of the continuation (lm-eval's acc_norm);
- `acc_norm_tokens`: by log-probability per token (lighteval's token normalisation);
- `acc_pmi` (variants with `pmi: true`): by its log-probability less the one it has after the
  answer cue alone ("Answer:"): how much the question raises it (pointwise mutual information).

Bits per byte (the `text` formulation): a language's negative log-likelihood in bits over the
UTF-8 bytes of its texts, as one ratio Σ bits / Σ bytes; its 95% interval treats each text as a
cluster of bytes (the linearised variance of a ratio estimator), so long and short sentences
weigh as their bytes do. The texts are translations of one another, so the values compare
across languages.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from harness.analysis.stats import RESAMPLES, SEED, Z95, clustered_means
from harness.errors import PolyevalError
from harness.loglikelihood.formulations import (
    BITS_PER_BYTE,
    SENTENCE_BITS_PER_BYTE,
)
from harness.record import Likelihood, SampleRecord, ScoreRecord
from harness.records import LETTERS

Ranking = Callable[[str, Likelihood], float | None]
RANKINGS: dict[str, Ranking] = {
    "acc": lambda text, scored: scored.logprob,
    "acc_norm_chars": lambda text, scored: scored.logprob / max(1, len(text)),
    "acc_norm_tokens": lambda text, scored: scored.logprob / max(1, scored.tokens),
    "acc_pmi": lambda text, scored: (
        None if scored.unconditional is None else scored.logprob - scored.unconditional
    ),
}
"""Metric -> the value its options compete on, from a continuation and its score (None: the
metric cannot be computed, as acc_pmi without the unconditional scores)."""
LN2 = math.log(2)


def score_likelihoods(sample: SampleRecord, formulation: str) -> dict[str, Any]:
    """The fields of an answered log-likelihood sample's record that scoring sets."""
    scored = _checked(sample)
    if formulation == "text":
        return {"parsed": None, "scores": {SENTENCE_BITS_PER_BYTE: _bits_per_byte([sample])}}
    gold = _gold_index(sample)
    texts = sample.continuations or []
    picks = {
        metric: pick for metric in RANKINGS if (pick := choice(texts, scored, metric)) is not None
    }
    return {
        "parsed": LETTERS[picks["acc"]],
        "scores": {metric: float(pick == gold) for metric, pick in picks.items()},
    }


def choice(continuations: Sequence[str], scored: Sequence[Likelihood], metric: str) -> int | None:
    """The option a metric picks: the highest value it ranks them by, the first on a tie;
    None where it cannot rank them."""
    rank = RANKINGS[metric]
    values = [rank(text, s) for text, s in zip(continuations, scored, strict=True)]
    known = [v for v in values if v is not None]
    if len(known) != len(values):
        return None
    return known.index(max(known))


def bits_per_byte_cells(samples: Sequence[SampleRecord]) -> list[ScoreRecord]:
    """One bits-per-byte cell per task x variant x language of the answered `text` samples
    (those scored with a sentence bits per byte)."""
    groups: dict[tuple[str, str, str], list[SampleRecord]] = defaultdict(list)
    for sample in samples:
        if SENTENCE_BITS_PER_BYTE in sample.scores:
            groups[(sample.task, sample.variant, sample.language)].append(sample)
    return [_cell(key, group) for key, group in sorted(groups.items())]


class PairedRatio(NamedTuple):
    """Two systems' bits per byte on the same texts, B - A, its 95% interval and p-value."""

    score_a: float
    score_b: float
    delta: float
    low: float
    high: float
    p_value: float


def paired_bits_per_byte(
    left: Sequence[SampleRecord],
    right: Sequence[SampleRecord],
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> PairedRatio:
    """A paired bootstrap of bits per byte over texts both systems scored (in the same order):
    each resample draws texts with replacement and recomputes both ratios on them. The p-value
    is the share of centred resampled differences at least as far from 0 as the observed one
    (two-sided; 1.0 where the two systems are identical)."""
    bits = np.array([[_bits(x) for x in left], [_bits(x) for x in right]])
    sizes = np.array([[_bytes(x) for x in left]] * 2, dtype=np.float64)
    a, b = bits.sum(axis=1) / sizes.sum(axis=1)
    replicates = clustered_means(bits, sizes, resamples, seed)
    deltas = replicates[:, 1] - replicates[:, 0]
    low, high = (float(q) for q in np.quantile(deltas, [0.025, 0.975]))
    centred = np.abs(deltas - deltas.mean())
    observed = abs(b - a)
    p = 1.0 if observed == 0 else (int((centred >= observed).sum()) + 1) / (len(deltas) + 1)
    return PairedRatio(float(a), float(b), float(b - a), low, high, p)


def _cell(key: tuple[str, str, str], samples: list[SampleRecord]) -> ScoreRecord:
    bits = [_bits(x) for x in samples]
    sizes = [_bytes(x) for x in samples]
    value = sum(bits) / sum(sizes)
    low, high = _ratio_interval(bits, sizes, value)
    task, variant, language = key
    return ScoreRecord(
        task=task,
        variant=variant,
        language=language,
        metric=BITS_PER_BYTE,
        value=value,
        n=len(samples),
        ci_low=low,
        ci_high=high,
    )


def _ratio_interval(
    bits: list[float], sizes: list[int], ratio: float
) -> tuple[float | None, float | None]:
    """The 95% interval of Σ bits / Σ bytes with each text a cluster: the ratio ± z times
    sqrt(Σ (bits_i - ratio * bytes_i)² / (n (n - 1))) / mean bytes. None with one text."""
    n = len(bits)
    if n < 2:
        return None, None
    residuals = sum((b - ratio * s) ** 2 for b, s in zip(bits, sizes, strict=True))
    error = math.sqrt(residuals / (n * (n - 1))) / (sum(sizes) / n)
    return max(0.0, ratio - Z95 * error), ratio + Z95 * error


def bits_and_bytes(sample: SampleRecord) -> tuple[float, int]:
    """A scored text's negative log-likelihood in bits, and its UTF-8 bytes: the two sums
    whose ratio is bits per byte (harness.analysis.summary averages them so)."""
    return _bits(sample), _bytes(sample)


def _bits_per_byte(samples: list[SampleRecord]) -> float:
    return sum(_bits(x) for x in samples) / sum(_bytes(x) for x in samples)


def _bits(sample: SampleRecord) -> float:
    """The negative log-likelihood of what was scored, in bits."""
    return -sum(s.logprob for s in _checked(sample)) / LN2


def _bytes(sample: SampleRecord) -> int:
    """The UTF-8 bytes of what was scored (at least one)."""
    text = "".join(sample.continuations or [])
    return max(1, len(text.encode("utf-8", "surrogatepass")))


def _checked(sample: SampleRecord) -> list[Likelihood]:
    scored, texts = sample.likelihoods or [], sample.continuations or []
    if not texts or len(scored) != len(texts):
        raise PolyevalError(
            f"sample {sample.sample_id} of {sample.task}/{sample.variant}/{sample.language} has "
            f"{len(scored)} scores for {len(texts)} continuations"
        )
    return scored


def _gold_index(sample: SampleRecord) -> int:
    gold = sample.gold.strip()
    if len(gold) == 1 and gold in LETTERS and LETTERS.index(gold) < len(sample.continuations or []):
        return LETTERS.index(gold)
    raise PolyevalError(
        f"sample {sample.sample_id} of {sample.task}/{sample.variant}/{sample.language}: gold "
        f"{sample.gold!r} names none of its {len(sample.continuations or [])} options"
    )
