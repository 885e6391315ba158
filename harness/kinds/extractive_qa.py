"""Extractive QA: the reply is a span of the passage, as it is written there (its digits
included), with nothing around it."""

from __future__ import annotations

from harness.kinds.answers import AnswerKind

EXTRACTIVE_QA = AnswerKind(name="extractive_qa", template="<answer>", local_digits=False)
