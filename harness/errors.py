"""User-facing errors: one line, naming what is wrong and where."""

from __future__ import annotations

from typing import Any


class PolyevalError(Exception):
    """A mistake in the user's input: printed as one line, exit code 2, no traceback.

    `where` names the file (and line, where there is one) or the option at fault.
    """

    def __init__(self, message: str, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class SkipRow(Exception):
    """Raised by a task's `process_record(record, language)` hook: this row is not a valid
    item (e.g. its answer key is `*`). The reason is counted in the run's manifest."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def shape_of(value: Any) -> str:
    """What a parsed YAML or JSON value is, in words: "a list", "a mapping", "a number" ..."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a text"
    return "empty" if value is None else f"a {type(value).__name__}"
