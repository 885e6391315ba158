"""CSV cells that a spreadsheet would run as formulas, neutralised.

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return (a model's output,
a model's name) is read by spreadsheets as a formula; written to CSV it gets a leading `'`,
which shows the text as it is. Plain numbers in text ("-12", a parsed answer) are left alone,
and a text that already begins with `'` before such a character gets one more, so that
`restored` gives back every text exactly.
"""

from __future__ import annotations

import re
from typing import Any

_FORMULA = re.compile(r"'*[=+\-@\t\r]")  # apostrophes (ours or the text's), then a trigger
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralised(value: Any) -> Any:
    """The value as a CSV cell: text a spreadsheet would run prefixed with `'`."""
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def restored(value: Any) -> Any:
    """The value `neutralised` was given."""
    if isinstance(value, str) and _NEUTRALISED.match(value):
        return value[1:]
    return value
