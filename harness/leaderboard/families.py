"""Task families for the overview's filter: translated QA, reasoning, temporal, translation,
language confusion.

A task's family is named here for the built-in tasks whose kind does not tell it (MGSM is a
short-answer task, but a reasoning one), and otherwise follows from its kind and metrics:
translation tasks are `translation`, tasks scored by temporal metrics `temporal`, tasks scored by
mathematical equivalence `reasoning`, tasks scored first by the LCB line-level pass (whose
replies are judged only for their language) `language confusion`, the rest `translated QA`.
"""

from __future__ import annotations

from collections.abc import Sequence

FAMILIES = ("translated QA", "reasoning", "temporal", "translation", "language confusion")

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
