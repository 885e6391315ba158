"""Multiple choice: the reply names one of the item's options (a letter, or the option's label
in the prompt's language); a perfect reply reads "Answer: B" in the language's words."""

from __future__ import annotations

from harness.kinds.answers import AnswerKind

MULTIPLE_CHOICE = AnswerKind(
    name="multiple_choice",
    template="{lit.answer}{lit.colon}<answer>",
    local_digits=True,
    choices=True,
)
