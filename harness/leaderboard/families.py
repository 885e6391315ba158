"""Task families for the overview's filter: translated QA, reasoning, temporal, translation,
language confusion.

A task's family is named here for the built-in tasks whose kind does not tell it (MGSM is a
short-answer task, but a reasoning one), and otherwise follows from its kind and metrics:
translation tasks are `translation`, tasks scored by temporal metrics `temporal`, tasks scored by
mathematical equivalence `reasoning`, tasks scored first by the LCB line-level pass (whose
replies are judged only for their language) `language confusion`, the rest `translated QA`.

A family's mean averages its columns' primary metric, but only metrics of one kind: for
translation chrF++ (`chrf`), for language confusion the line-level pass rate (`line_pass`,
LPR), for every other family the correctness metrics (accuracy, exact match, token F1,
mathematical equivalence, the temporal metrics). The headline mean over tasks averages the
families whose means are of correctness; translation and language confusion stay apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from harness.metrics.registry import REGISTRY

FAMILIES = ("translated QA", "reasoning", "temporal", "translation", "language confusion")
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

_NAMED = {
    "mgsm": "reasoning",
    "urdubench_mgsm": "reasoning",
    "urdubench_math500": "reasoning",
    "urdubench_csqa": "reasoning",
    "xcopa": "reasoning",
    "xnli": "reasoning",
    "tempreason": "temporal",
    "mtempreason": "temporal",
    "timeqa": "temporal",
}


def family(task: str, kind: str | None, metrics: Sequence[str]) -> str:
    if task in _NAMED:
        return _NAMED[task]
    if kind == "translation":
        return "translation"
    if any(m.startswith("temporal") for m in metrics):
        return "temporal"
    if "math_equivalent" in metrics:
        return "reasoning"
    if list(metrics[:1]) == ["line_pass"]:
        return "language confusion"
    return "translated QA"


def family_class(name: str) -> str:
    """The CSS class of a family's columns: `fam-translated-qa`."""
    return "fam-" + name.lower().replace(" ", "-")


def mean_of(name: str) -> MeanOf:
    """What a family's mean averages."""
    return _MEANS.get(name, CORRECTNESS_MEAN)


def in_headline(name: str) -> bool:
    """Whether a family's mean is part of the headline mean over tasks."""
    return mean_of(name) == CORRECTNESS_MEAN
