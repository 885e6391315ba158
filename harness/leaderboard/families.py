"""Task families for the overview's filter and means (which task is in which family:
harness.families).

A family's mean averages its columns' primary metric, but only metrics of one kind: for
translation chrF++ (`chrf`), for language confusion the line-level pass rate (`line_pass`,
LPR), for every other family the correctness metrics (accuracy, exact match, token F1,
mathematical equivalence, the temporal metrics). The headline mean over tasks averages the
families whose means are of correctness; translation and language confusion stay apart.
"""

from __future__ import annotations

from typing import NamedTuple

from harness.families import FAMILIES, family_of
from harness.metrics.registry import REGISTRY

# the metrics of whether an answer is right, from the answer itself
CORRECTNESS = frozenset(
    name
    for name, info in REGISTRY.items()
    if info.computed == "answer" and info.measures == "correctness"
)


class MeanOf(NamedTuple):
    """What a family's mean averages: the primary metrics admitted, and their name."""

    label: str
    metrics: frozenset[str]


CORRECTNESS_MEAN = MeanOf("correctness", CORRECTNESS)
_MEANS = {
    "translation": MeanOf("chrF++", frozenset({"chrf"})),
    "language confusion": MeanOf("LPR", frozenset({"line_pass"})),
}


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
