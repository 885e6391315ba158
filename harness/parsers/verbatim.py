"""The reply itself as the answer: for open-ended generation, where only the reply's form is
scored (the Language Confusion Benchmark judges its language) and no answer is looked for."""

from __future__ import annotations

from collections.abc import Sequence

from harness.literals import Literals
from harness.parsers._text import Prompt, strip_reasoning


def parse_verbatim(
    text: str,
    literals: Literals,
    choices: Sequence[str] | None = None,
    *,
    complete: bool = True,
    prompt: Prompt = None,
    form: str | None = None,
) -> str | None:
    """The reply outside its reasoning, stripped; None if nothing is left. A reply cut by the
    token limit counts as it is; the prompt and the answer form do not matter."""
    reply = strip_reasoning(text).strip()
    return reply or None
