"""User-facing errors: one line, naming what is wrong and where."""

from __future__ import annotations


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
