"""Task families: translated QA, reasoning, temporal, translation, language confusion.

A task declares its family in task.yaml (`family:`) where its kind does not tell it (MGSM is a
short-answer task, but a reasoning one); otherwise it follows from its kind and metrics: the
family a kind gives all its tasks (harness.kinds: translation tasks are `translation`), tasks
scored by temporal metrics `temporal`, tasks scored by mathematical equivalence `reasoning`,
tasks scored first by the LCB line-level pass (whose replies are judged only for their
language) `language confusion`, the rest `translated QA`.
The run records each task's family (harness.manifest), and the site groups its columns by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

Family = Literal["translated QA", "reasoning", "temporal", "translation", "language confusion"]
FAMILIES: tuple[str, ...] = get_args(Family)


def family_of(kind: str | None, metrics: Sequence[str], declared: str | None = None) -> str:
    """The task's family: the one it declares, else the one its kind and metrics tell."""
    if declared is not None:
        return declared
    from harness.kinds import get_kind, kind_names  # not at the top: kinds build samples from specs

    if kind in kind_names() and (family := get_kind(kind).family) is not None:
        return family
    if any(m.startswith("temporal") for m in metrics):
        return "temporal"
    if "math_equivalent" in metrics:
        return "reasoning"
    if list(metrics[:1]) == ["line_pass"]:
        return "language confusion"
    return "translated QA"
