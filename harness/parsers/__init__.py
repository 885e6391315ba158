"""Answer parsers: turn a model's reply into the canonical answer that is scored.

Every parser reads only the reply's text outside reasoning blocks, and takes its
language-specific words (answer phrases, labels, digits, separators) from the literals table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from harness.errors import PolyevalError
from harness.literals import Literals
from harness.parsers._text import Prompt, strip_reasoning, with_cue
from harness.parsers.choice import parse_choice
from harness.parsers.math import parse_math
from harness.parsers.number import INTEGER, normalize_number, parse_number
from harness.parsers.span import parse_span
from harness.parsers.verbatim import parse_verbatim

__all__ = [
    "INTEGER",
    "PARSERS",
    "AnswerParser",
    "Prompt",
    "get_parser",
    "normalize_number",
    "parse_choice",
    "parse_math",
    "parse_number",
    "parse_span",
    "parse_verbatim",
    "strip_reasoning",
    "with_cue",
]


class AnswerParser(Protocol):
    def __call__(
        self,
        text: str,
        literals: Literals,
        choices: Sequence[str] | None = None,
        *,
        complete: bool = True,
        prompt: Prompt = None,
        form: str | None = None,
    ) -> str | None:
        """The canonical answer in `text`, or None. `complete` is False when the reply was
        cut by the token limit: then only an explicitly stated final answer counts. `prompt`
        is the request's prompt: a completion prompt that ends with an answer phrase
        ("Answer:") makes the reply that phrase's value. `form` is the task's gold form: answers
        of form "integer" are whole numbers, which settles how digit groups read."""


PARSERS: dict[str, AnswerParser] = {
    "choice": parse_choice,
    "math": parse_math,
    "number": parse_number,
    "span": parse_span,
    "verbatim": parse_verbatim,
}


def get_parser(name: str) -> AnswerParser:
    try:
        return PARSERS[name]
    except KeyError:
        known = ", ".join(sorted(PARSERS))
        raise PolyevalError(f"unknown parser {name!r}; known parsers: {known}") from None
