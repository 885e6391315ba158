"""Formulations: how a log-likelihood variant puts an item to the model.

The context is the variant's template rendered as a completion prompt, ending where the answer
starts ("Answer:"); each continuation is what the template's assistant block adds after that
point when it writes one target, so a language whose colon has no space ("答案：") gets none.

| formulation | options shown | a continuation is            | (FineTasks / lighteval) |
|-------------|---------------|------------------------------|-------------------------|
| letter      | yes           | an option's label: " B"      | MCF                     |
| cloze       | no            | an option's text             | CF                      |
| hybrid      | yes           | an option's text             | hybrid                  |
| text        | no prompt     | the item's text, whole       | bits per byte           |

The options are labelled with the script's own letters where the literals table has enough of
them (`native_labels`: ক খ গ ঘ, أ ب ج د), else with the labels generative prompts show
(`choice_labels`); the prompt shows the labels that `letter` scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

Formulation = Literal["letter", "cloze", "hybrid", "text"]
FORMULATIONS: tuple[str, ...] = get_args(Formulation)
TEXT_FIELDS = ("text", "source", "sentence")
"""Where the `text` formulation finds an item's text, first found first."""
MULTIPLE_CHOICE_METRICS = ("acc", "acc_norm_chars", "acc_norm_tokens")
PMI = "acc_pmi"
BITS_PER_BYTE = "bits_per_byte"
SENTENCE_BITS_PER_BYTE = "sentence_bits_per_byte"


def metrics_of(formulation: str, pmi: bool = False) -> list[str]:
    """The metrics a formulation's variant is scored by, its primary first
    (harness.loglikelihood.scoring computes them)."""
    if formulation == "text":
        return [BITS_PER_BYTE]
    return [*MULTIPLE_CHOICE_METRICS, *([PMI] if pmi else [])]


@dataclass(frozen=True, slots=True)
class Shape:
    """What a formulation shows and scores."""

    shows_options: bool
    scores_labels: bool  # the continuations are the labels (else the options' texts)


SHAPES: dict[str, Shape] = {
    "letter": Shape(shows_options=True, scores_labels=True),
    "cloze": Shape(shows_options=False, scores_labels=False),
    "hybrid": Shape(shows_options=True, scores_labels=False),
}


def option_labels(literals: Mapping[str, Any], count: int) -> list[str]:
    """The labels of `count` options: the script's own where there are enough, else the
    generative prompts' (literals: a language's template variables, harness.literals)."""
    native = list(literals.get("native_labels") or ())
    return native[:count] if len(native) >= count else list(literals["choice_labels"])[:count]


def targets(formulation: str, labels: list[str], options: tuple[str, ...]) -> list[str]:
    """What each continuation writes as the answer: the labels, or the options' texts."""
    return labels[: len(options)] if SHAPES[formulation].scores_labels else list(options)


def split_context(prefix: str, answers: list[str]) -> tuple[str, tuple[str, ...]]:
    """The context and each continuation, from the prompt up to the answer (`prefix`, its
    trailing space included) and each whole answer rendered after it: the context ends without
    whitespace, which goes to the start of every continuation (a tokenizer reads " B" as one
    token, "Answer: " + "B" as two)."""
    context = prefix.rstrip()
    return context, tuple(answer[len(context) :] for answer in answers)
