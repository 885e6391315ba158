"""What differs between task kinds, as data: how a perfect answer is phrased per language."""

from __future__ import annotations

from harness.literals import Literals

# "{answer}" is filled in by the baselines; the rest comes from the language's literals
ANSWER_FORMATS: dict[str, str] = {
    "multiple_choice": "{lit.answer}{lit.colon}<answer>",
    "short_answer": "{lit.the_answer_is} <answer>{lit.full_stop}",
    "extractive_qa": "<answer>",
    "translation": "<answer>",
}


def answer_format(kind: str, literals: Literals) -> str:
    return ANSWER_FORMATS[kind].format(lit=literals).replace("<answer>", "{answer}")


# Kinds whose answers a baseline writes in the language's own digits; extractive spans and
# translations keep the digits of the text they copy.
LOCAL_DIGITS = frozenset({"multiple_choice", "short_answer"})

# Kinds whose parsed answers can be compared with one another, so that several completions of
# a sample can vote (maj@k, self-consistency): a letter, a number, a short text or span.
VOTED = frozenset({"multiple_choice", "short_answer", "extractive_qa"})
