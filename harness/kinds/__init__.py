"""Task kinds: one module per kind, and `get_kind`, the one place a task's `kind` is looked
up. Everything that differs between kinds (how samples are built, how a perfect reply is
phrased, how a reply is scored, which corpus metrics apply) is a member of its `Kind`
(harness.kinds.base); a new kind is a new row of `BUILT_IN` (or of `KINDS`, where it is made
elsewhere).

A kind's module is imported when the kind is first asked for: checking a task's `kind`
(listing or validating tasks) needs only the names, and a run imports the kinds it runs."""

from __future__ import annotations

import importlib

from harness.errors import PolyevalError
from harness.kinds.base import Kind

BUILT_IN: dict[str, str] = {
    "multiple_choice": "harness.kinds.multiple_choice:MULTIPLE_CHOICE",
    "short_answer": "harness.kinds.short_answer:SHORT_ANSWER",
    "extractive_qa": "harness.kinds.extractive_qa:EXTRACTIVE_QA",
    "translation": "harness.kinds.translation:TRANSLATION",
}
"""kind -> "module:NAME" of its `Kind`."""

KINDS: dict[str, Kind] = {}
"""The kinds imported so far (a built-in one on first use), and any kind added here."""

__all__ = ["BUILT_IN", "KINDS", "Kind", "get_kind", "kind_names"]


def kind_names() -> tuple[str, ...]:
    """Every kind a task may name: the built-in ones, then those added to `KINDS`."""
    return tuple(dict.fromkeys([*BUILT_IN, *KINDS]))


def get_kind(name: str) -> Kind:
    """The kind a task.yaml (or a run's manifest) names."""
    kind = KINDS.get(name)
    if kind is None and name in BUILT_IN:
        module, attribute = BUILT_IN[name].split(":")
        kind = KINDS[name] = getattr(importlib.import_module(module), attribute)
    if kind is None:
        known = ", ".join(kind_names())
        raise PolyevalError(f"unknown task kind {name!r}; known kinds: {known}")
    return kind
