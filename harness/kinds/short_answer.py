"""Short answer: the reply ends in a number or a short text ("The answer is 42."), written in
the language's own words and digits."""

from __future__ import annotations

from harness.kinds.answers import AnswerKind

SHORT_ANSWER = AnswerKind(
    name="short_answer",
    template="{lit.the_answer_is} <answer>{lit.full_stop}",
    local_digits=True,
)
