"""The in-memory records of generation: Sample -> Request -> Response, and a translation's Pair
(whose key is the `language` its records are written under). What scoring makes of
them lives in the run record (harness.record: SampleRecord).

A request is one of two types. A *generation* asks for a reply to `messages` or `prompt`. A
*log-likelihood* request (`continuations` not empty) asks how likely each continuation is after
the context `prompt`: its Response holds one ContinuationScore per continuation, in order, and
no text. Both go through the same runner, pool and cache (harness.generation)."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]
LETTERS = string.ascii_uppercase
SEPARATOR = "-"  # between the legs of a pair's key


@dataclass(frozen=True, slots=True)
class Pair:
    """A translation's languages. Its `key` is the `language` its records are written under."""

    source: str
    target: str
    round_trip: bool = False  # source -> target -> source

    @property
    def key(self) -> str:
        legs = [self.source, self.target] + ([self.source] if self.round_trip else [])
        return SEPARATOR.join(legs)

    @property
    def reference_language(self) -> str:
        """The language of what is scored: the target, or the source after a round trip."""
        return self.source if self.round_trip else self.target

    @property
    def scored_leg(self) -> tuple[str, str]:
        """The language the scored output translates from, and the one it is written in
        (a round trip's scored leg goes back from the pivot to the source)."""
        return (self.target, self.source) if self.round_trip else (self.source, self.target)

    def reversed(self) -> Pair:
        return Pair(self.target, self.source)


def pair_of(key: str) -> Pair | None:
    """The pair a run key stands for, or None for a plain language code."""
    if SEPARATOR not in key:
        return None
    legs = key.split(SEPARATOR)
    return Pair(legs[0], legs[1], round_trip=len(legs) == 3)


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class Sample:
    """One benchmark item in one language, or in one language pair (a translation)."""

    id: str
    language: str  # canonical code, e.g. ben_Beng; a pair's key (harness.translation.keys)
    fields: dict[str, Any]  # template variables taken from the data
    gold: str  # canonical gold answer (a letter for multiple choice, a number, a string)
    parallel_id: str  # the same item across languages shares this id
    choices: tuple[str, ...] = ()  # option texts for multiple choice
    answers: tuple[str, ...] = ()  # every acceptable answer (gold first); empty: just `gold`
    meta: dict[str, str] = field(default_factory=dict)  # breakdown keys: subject, grade, level
    pair: Pair | None = None  # a translation item's languages; None: an item of `language`

    @property
    def prompt_language(self) -> str:
        """The language its prompt is about: its own, or the one a pair translates into."""
        return self.pair.target if self.pair is not None else self.language


@dataclass(frozen=True, slots=True)
class Hints:
    """What the built-in baselines may know about a request. Never sent to a model."""

    gold: str
    answer_format: str = "{answer}"  # how an answer is phrased in the prompt's language
    choice_labels: tuple[str, ...] = ()  # localized labels of the options, by position
    digits: str = "0123456789"  # the language's digits, 0-9
    # the gold answers of the same task and language (left out of repr: thousands of strings)
    answer_pool: tuple[str, ...] = field(default=(), repr=False)
    source_text: str = ""

    def phrase(self, answer: str) -> str:
        """`answer` (a canonical letter or number) as a reply in the prompt's language."""
        if self.choice_labels and len(answer) == 1 and answer in LETTERS:
            answer = self.choice_labels[LETTERS.index(answer)]
        localized = answer.translate(str.maketrans("0123456789", self.digits))
        return self.answer_format.format(answer=localized)

    @property
    def reference(self) -> str:
        return self.phrase(self.gold)


@dataclass(frozen=True, slots=True)
class Request:
    task: str
    variant: str
    language: str
    sample_id: str
    parallel_id: str
    messages: tuple[Message, ...]  # chat form; empty when `prompt` is used
    prompt: str | None  # completion form
    generation: dict[str, Any]  # temperature, max_tokens, stop, seed, ...
    template_hash: str
    hints: Hints
    exemplars: tuple[str, ...] = ()  # the few-shot exemplars shown, "language/id", prompt order
    pair: Pair | None = None  # its sample's pair (a translation); `language` is then its key
    # not empty: a log-likelihood request, scoring each of these after the context `prompt`
    continuations: tuple[str, ...] = ()
    # the answer cue alone ("Answer:"), after which the continuations are scored again (for
    # acc_pmi: harness.generation.unconditional)
    unconditional: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.task, self.variant, self.language, self.sample_id)

    @property
    def loglikelihood(self) -> bool:
        """Whether it asks for the log-likelihood of its continuations, not for a reply."""
        return bool(self.continuations)

    @property
    def context(self) -> str:
        """A log-likelihood request's context: the text each continuation follows."""
        return self.prompt or ""


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Completion:
    """A further completion of a request that asked for several (n > 1)."""

    text: str
    reasoning: str | None = None
    finish_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ContinuationScore:
    """How likely one continuation is after its context, as the model scores it."""

    logprob: float  # the sum of its tokens' log-probabilities (natural log)
    tokens: int  # how many tokens it took (one straddling the context's end counts)
    greedy: bool  # every one of its tokens is the model's most likely next token
    # its log-probability after the answer cue alone (acc_pmi), where that was asked
    unconditional: float | None = None


@dataclass(frozen=True, slots=True)
class Response:
    text: str
    finish_reason: str | None = None
    reasoning: str | None = None
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    error: str | None = None
    alternatives: tuple[Completion, ...] = ()  # further completions when n > 1
    # a log-likelihood request's answer: one score per continuation, in the request's order
    scores: tuple[ContinuationScore, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def truncated(self) -> bool:
        """Cut by the token limit: the answer may be missing or unfinished."""
        return self.finish_reason == "length"
