"""Task kinds: one module per kind, and `get_kind`, the one place a task's `kind` is looked
up. Everything that differs between kinds (how samples are built, how a perfect reply is
phrased, how a reply is scored, which corpus metrics apply) is a member of its `Kind`
(harness.kinds.base); a new kind is a new row of `KINDS`."""

from __future__ import annotations

from harness.errors import PolyevalError
from harness.kinds.base import Kind
from harness.kinds.extractive_qa import EXTRACTIVE_QA
from harness.kinds.multiple_choice import MULTIPLE_CHOICE
from harness.kinds.short_answer import SHORT_ANSWER
from harness.kinds.translation import TRANSLATION

KINDS: dict[str, Kind] = {
    kind.name: kind for kind in (MULTIPLE_CHOICE, SHORT_ANSWER, EXTRACTIVE_QA, TRANSLATION)
}

__all__ = ["KINDS", "Kind", "get_kind"]


def get_kind(name: str) -> Kind:
    """The kind a task.yaml (or a run's manifest) names."""
    kind = KINDS.get(name)
    if kind is None:
        raise PolyevalError(f"unknown task kind {name!r}; known kinds: {', '.join(KINDS)}")
    return kind
