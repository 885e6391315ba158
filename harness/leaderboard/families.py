"""Column groups for the overview's filter and means: the task families (which task is in
which family: harness.families), and two groups of log-likelihood variants, whatever their
task's family.

A column of a variant that scores continuations by their log-probability (its manifest entry
records a formulation, `loglikelihood`, and its own metrics) is in no task family: the
multiple-choice formulations (letter, cloze, hybrid; primary metric `acc`) are the group
`log-likelihood`, the `text` formulation (primary metric `bits_per_byte`) the group
`bits per byte`. Neither is ever averaged with generative accuracy.

A group's mean averages its columns' primary metric, but only metrics of one kind: for
translation chrF++ (`chrf`), for language confusion the line-level pass rate (`line_pass`,
LPR), for log-likelihood `acc` (the gold continuation is the most likely; its length-normalised
variants are other metrics, not averaged with it), for bits per byte `bits_per_byte` (lower
is better: the mean ranks the lowest first), for every other family the correctness metrics
of generated answers (accuracy, exact match, token F1, mathematical equivalence, the temporal
metrics: computed from the answer, so never a log-likelihood metric). The headline mean over
tasks averages the families whose means are of correctness; translation, language confusion,
log-likelihood and bits per byte stay apart.
"""

from __future__ import annotations

from typing import NamedTuple

from harness.families import FAMILIES, family_of
from harness.leaderboard.scales import Scale, scale_of
from harness.metrics.registry import REGISTRY

# the metrics of whether an answer is right, from the answer itself (never a likelihood)
CORRECTNESS = frozenset(
    name
    for name, info in REGISTRY.items()
    if info.computed == "answer" and info.measures == "correctness"
)
LIKELIHOOD = frozenset(name for name, info in REGISTRY.items() if info.computed == "likelihood")

LOGLIKELIHOOD, BITS_PER_BYTE = "log-likelihood", "bits per byte"
GROUPS: tuple[str, ...] = (*FAMILIES, LOGLIKELIHOOD, BITS_PER_BYTE)  # in the order shown


class MeanOf(NamedTuple):
    """What a family's mean averages: the primary metrics admitted, their name, and whether
    lower is better (the mean's ranks)."""

    label: str
    metrics: frozenset[str]
    lower_is_better: bool = False

    @property
    def scale(self) -> Scale:
        """How the mean is shown: as its metrics are (all of one kind)."""
        return scale_of(min(self.metrics, default=None))


CORRECTNESS_MEAN = MeanOf("correctness", CORRECTNESS)
_MEANS = {
    "translation": MeanOf("chrF++", frozenset({"chrf"})),
    "language confusion": MeanOf("LPR", frozenset({"line_pass"})),
    LOGLIKELIHOOD: MeanOf("acc", frozenset({"acc"})),
    BITS_PER_BYTE: MeanOf("bits per byte", frozenset({"bits_per_byte"}), lower_is_better=True),
}


def column_family(task_family: str, metric: str, formulation: str | None) -> str:
    """A column's group: its task's family, or for a log-likelihood variant (one that records
    a formulation, or is scored by a likelihood metric) `bits per byte` (formulation `text`,
    or an unbounded metric) or `log-likelihood`."""
    if formulation is None and metric not in LIKELIHOOD:
        return task_family
    info = REGISTRY.get(metric)
    if formulation == "text" or (info is not None and not info.bounded):
        return BITS_PER_BYTE
    return LOGLIKELIHOOD


def family_class(name: str) -> str:
    """The CSS class of a family's columns: `fam-translated-qa`."""
    return "fam-" + name.lower().replace(" ", "-")


def mean_of(name: str) -> MeanOf:
    """What a family's mean averages."""
    return _MEANS.get(name, CORRECTNESS_MEAN)


def in_headline(name: str) -> bool:
    """Whether a family's mean is part of the headline mean over tasks."""
    return mean_of(name) == CORRECTNESS_MEAN


__all__ = ["FAMILIES", "family_of"]
