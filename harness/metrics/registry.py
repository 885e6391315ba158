"""The metric registry: one entry per metric, the one place that says what a metric is.

Each entry says how the metric is computed (from a sample's answer, over a whole corpus, by the
language check, or per sentence of a corpus metric), what it measures (whether an answer is
right, its form, its language), whether a sample's score is 0/1 (right or wrong) and whether a
lower value is better. Scoring, the summary, comparisons and the site ask the registry; a new
metric is one more entry here.

A per-sample metric sees the whole judged answer (`Judged`: the parsed answer, the sample with
its gold answers, choices and breakdowns, and the reply). Most metrics need only the parsed
answer, the gold answers and the language: they are written as (parsed, answers, language) and
the registry hands them those.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from harness.metrics.math import math_equivalent
from harness.metrics.squad import exact_match, token_f1
from harness.metrics.temporal import temporal_exact_match, temporal_f1

if TYPE_CHECKING:
    from harness.record import SampleRecord

Computed = Literal["answer", "corpus", "language", "sentence", "likelihood"]
"""answer: from each sample's parsed answer (harness.scorer); corpus: over all samples of a
language (harness.translation.scoring, harness.loglikelihood.scoring); language: by the language
check of every reply (harness.consistency); sentence: a corpus metric's value for one sample, for
drill-down; likelihood: from the log-probabilities of a sample's continuations
(harness.loglikelihood.scoring)."""

Measures = Literal["correctness", "form", "language"]
"""correctness: whether an answer is right; form: whether it could be read; language: whether it
is in the expected language."""

ParsedMetric = Callable[[str | None, Sequence[str], str], float]
"""(parsed answer or None, every acceptable gold answer, the sample's language) → [0, 1]."""


@dataclass(frozen=True, slots=True)
class Judged:
    """What a per-sample metric sees: the parsed answer, the sample and the reply."""

    parsed: str | None
    sample: SampleRecord
    output: str = ""
    finish_reason: str | None = None


SampleMetric = Callable[[Judged], float]


@dataclass(frozen=True, slots=True)
class MetricInfo:
    name: str
    about: str
    computed: Computed
    measures: Measures
    binary: bool | None  # 0/1 per sample; None: as the values say (0/1 in every sample or not)
    lower_is_better: bool = False
    bounded: bool = True  # its values lie in [0, 1] (else a sample's has no mean cell)
    of_parsed: ParsedMetric | None = None  # the function of an `answer` metric on its inputs
    of_sample: SampleMetric | None = None  # or one that needs the whole sample and reply

    def measure(self, judged: Judged) -> float:
        """The metric's score of one judged answer (an `answer` metric only)."""
        if self.of_sample is not None:
            return self.of_sample(judged)
        assert self.of_parsed is not None, f"{self.name} is not computed from an answer"
        sample = judged.sample
        return self.of_parsed(judged.parsed, sample.accepted, sample.language)

    @property
    def listable(self) -> bool:
        """Whether a task may list it in `metrics:` (a sentence score comes with its corpus
        metric)."""
        return self.computed != "sentence"

    @property
    def primary_candidate(self) -> bool:
        """Whether it can be a column's headline number: about correctness, not the language
        check's."""
        return self.measures == "correctness" and self.computed != "language"


def accuracy(parsed: str | None, answers: Sequence[str], language: str) -> float:
    return float(parsed is not None and parsed in answers)


def parse_rate(parsed: str | None, answers: Sequence[str], language: str) -> float:
    return float(parsed is not None)


_ENTRIES = (
    MetricInfo(
        "accuracy", "the parsed answer is a gold answer", "answer", "correctness", True,
        of_parsed=accuracy,
    ),
    MetricInfo(
        "parse_rate", "an answer could be read from the reply", "answer", "form", True,
        of_parsed=parse_rate,
    ),
    MetricInfo(
        "exact_match", "SQuAD exact match after normalisation", "answer", "correctness", True,
        of_parsed=exact_match,
    ),
    MetricInfo(
        "f1", "SQuAD token F1 with the best gold answer", "answer", "correctness", False,
        of_parsed=token_f1,
    ),
    MetricInfo(
        "math_equivalent", "the number equals the gold number", "answer", "correctness", True,
        of_parsed=math_equivalent,
    ),
    MetricInfo(
        "temporal_exact_match", "the answer equals a gold answer, dates compared by value",
        "answer", "correctness", True, of_parsed=temporal_exact_match,
    ),
    MetricInfo(
        "temporal_f1", "token F1, dates compared by value", "answer", "correctness", False,
        of_parsed=temporal_f1,
    ),
    MetricInfo("chrf", "chrF++ of the corpus (0-100)", "corpus", "correctness", False),
    MetricInfo("bleu", "BLEU of the corpus (0-100)", "corpus", "correctness", False),
    MetricInfo(
        "ter", "translation edit rate of the corpus", "corpus", "correctness", False,
        lower_is_better=True,
    ),
    MetricInfo("sentence_chrf", "chrF++ of one sentence (0-1)", "sentence", "correctness", False),
    MetricInfo(
        "acc", "the gold option's continuation is the most likely", "likelihood", "correctness",
        True,
    ),
    MetricInfo(
        "acc_norm_chars", "... the most likely per character", "likelihood", "correctness", True
    ),
    MetricInfo(
        "acc_norm_tokens", "... the most likely per token", "likelihood", "correctness", True
    ),
    MetricInfo(
        "acc_pmi", "... the most likely relative to after the answer cue alone", "likelihood",
        "correctness", True,
    ),
    MetricInfo(
        "bits_per_byte", "the texts' negative log-likelihood in bits per UTF-8 byte", "likelihood",
        "correctness", False, lower_is_better=True, bounded=False,
    ),
    MetricInfo(
        "sentence_bits_per_byte", "bits per byte of one text", "sentence", "correctness", False,
        lower_is_better=True, bounded=False,
    ),
    MetricInfo(
        "consistency", "the reply is in the expected language", "language", "language", True
    ),
    MetricInfo(
        "line_pass", "every line is in the expected language", "language", "language", True
    ),
    MetricInfo(
        "word_pass", "no line holds words of another language", "language", "language", True
    ),
    MetricInfo(
        "language_normalised", "the primary score where the reply is in the expected language",
        "language", "correctness", None,
    ),
)  # fmt: skip

REGISTRY: dict[str, MetricInfo] = {entry.name: entry for entry in _ENTRIES}


def metric_info(name: str) -> MetricInfo | None:
    """The registry's entry, or None for a metric it does not know (a task's own)."""
    return REGISTRY.get(name)


def computed_by(computed: Computed) -> tuple[str, ...]:
    """The names of the metrics computed one way, in the registry's order."""
    return tuple(entry.name for entry in _ENTRIES if entry.computed == computed)


def lower_is_better(name: str) -> bool:
    info = REGISTRY.get(name)
    return info is not None and info.lower_is_better
