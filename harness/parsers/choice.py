"""Multiple-choice answers: the letter (A, B, ...) of the option the reply picks, or None.

Tried in order, the first that decides wins:
1. the label right after the last answer phrase ("The answer is (C)", "Antwort: C", "答案是 C",
   "the correct option is D", "Option B: ...");
2. a first line that is only a label ("B", "**B.**", "(B)");
3. a reply that is exactly one option's text;
4. the label mentioned most often, with the options' texts blanked out first (so "B) Vitamin C"
   is B); a tie between different labels decides nothing;
5. the one option whose text the reply contains.
Labels are the language's `choice_labels` and the Latin letters, mapped back by position. A
label must stand alone (not inside a word, next to a digit); outside an answer phrase only its
exact case counts, and a label opening a sentence and followed by a lowercase word ("A robe
takes ...", "E poi ...") is read as a word.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from harness.literals import Literals
from harness.parsers._text import bounded, copula_words, find_phrases, fold, strip_reasoning

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_MARKS_BEFORE = ("(", "[", "*")
_MARKS_AFTER = ("", ".", ")", "]", ":", ",", ";", "*", "\n")
_ELISION = re.compile(r"'[^\W\d_]")
_NEXT_WORD = re.compile(r"\s+([^\W\d_]+)[\s,]*")
_SENTENCE_END = (".", "!", "?", ":", "\n", "。", "।", "۔", "։")


@dataclass(frozen=True)
class _Labels:
    pairs: tuple[tuple[str, int], ...]  # (label, option index), longest label first
    pattern: re.Pattern[str]  # any label, exact case

    def index(self, label: str) -> int | None:
        for text, index in self.pairs:
            if label == text or label.casefold() == text.casefold():
                return index
        return None


@dataclass(frozen=True)
class _Reply:
    text: str
    literals: Literals
    labels: _Labels
    choices: tuple[str, ...]


def parse_choice(
    text: str,
    literals: Literals,
    choices: Sequence[str] | None = None,
    *,
    complete: bool = True,
) -> str | None:
    """The picked option's Latin letter ("A" for the first), or None when undecided.
    `choices` are the option texts, used to recognise a restated option."""
    body = fold(strip_reasoning(text))
    if not body:
        return None
    count = len(choices) if choices else len(literals.choice_labels)
    reply = _Reply(
        body, literals, _labels(literals, min(count, len(LETTERS))), tuple(choices or ())
    )
    for tier in _TIERS:
        index = tier(reply)
        if index is not None:
            return LETTERS[index]
    return None


def _after_phrase(reply: _Reply) -> int | None:
    for phrase in reversed(find_phrases(reply.text, reply.literals)):
        index = _label_at(reply.text, phrase.value_at, reply.labels)
        if index is not None:
            return index
    return None


def _first_line(reply: _Reply) -> int | None:
    line = next((line for line in reply.text.splitlines() if line.strip()), "")
    return reply.labels.index(line.strip().strip("*_()[]{}.:#> \t"))


def _exact_option(reply: _Reply) -> int | None:
    said = _normal(reply.text)
    matches = [i for i, choice in enumerate(reply.choices) if _normal(choice) == said]
    return matches[0] if len(matches) == 1 else None


def _most_mentioned(reply: _Reply) -> int | None:
    text = _mask_options(reply.text, reply.choices)
    counts: Counter[int] = Counter()
    for match in reply.labels.pattern.finditer(text):
        start, end = match.span()
        index = reply.labels.index(match.group())
        if index is None or not bounded(text, start, end, label=True):
            continue
        if not _reads_as_word(text, start, end, reply):
            counts[index] += 1
    ranked = counts.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def _contained_option(reply: _Reply) -> int | None:
    said = _normal(reply.text)
    found = {i: _normal(c) for i, c in enumerate(reply.choices) if _contains(said, _normal(c))}
    kept = [i for i, t in found.items() if not any(t != u and t in u for u in found.values())]
    return kept[0] if len(kept) == 1 else None


_TIERS: tuple[Callable[[_Reply], int | None], ...] = (
    _after_phrase,
    _first_line,
    _exact_option,
    _most_mentioned,
    _contained_option,
)


def _label_at(text: str, pos: int, labels: _Labels) -> int | None:
    """The option whose label stands at `pos` (a lowercase letter only when set off: "(b)",
    "b." or "b" at the end)."""
    for label, index in labels.pairs:
        end = pos + len(label)
        found = text[pos:end]
        exact = found == label
        if not exact and not (found.casefold() == label.casefold() and _set_off(text, pos, end)):
            continue
        if bounded(text, pos, end, label=True):
            return index
    return None


def _set_off(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return before in _MARKS_BEFORE or after in _MARKS_AFTER


def _reads_as_word(text: str, start: int, end: int, reply: _Reply) -> bool:
    """Whether the label is a word: elided ("C'est", "D'après"), or opening a sentence and
    followed by a lowercase word ("A robe takes ...", "E poi ...") that is neither a copula
    ("B is right") nor a link to another label ("A or B")."""
    if _ELISION.match(text, end):
        return True
    if _set_off(text, start, end):
        return False
    word = _NEXT_WORD.match(text, end)
    if word is None or not word.group(1)[0].islower():
        return False
    if word.group(1).casefold() in copula_words(reply.literals):
        return False
    other = reply.labels.pattern.match(text, word.end())
    if other is not None and bounded(text, *other.span(), label=True):
        return False
    before = text[:start].rstrip(" \t*_")
    return not before or before.endswith(_SENTENCE_END)


def _mask_options(text: str, choices: tuple[str, ...]) -> str:
    for choice in sorted(choices, key=len, reverse=True):
        words = fold(choice).split()
        if len("".join(words)) >= 2:
            text = re.sub(r"\s+".join(map(re.escape, words)), " ", text, flags=re.I)
    return text


def _normal(text: str) -> str:
    """Case-folded, punctuation and symbols (markdown) dropped, spaces collapsed."""
    kept = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in fold(text))
    return " ".join(kept.casefold().split())


def _contains(text: str, part: str) -> bool:
    start = text.find(part) if part else -1
    while start >= 0:
        if bounded(text, start, start + len(part)):
            return True
        start = text.find(part, start + 1)
    return False


@lru_cache(maxsize=256)
def _labels(literals: Literals, count: int) -> _Labels:
    localized = [(fold(label), i) for i, label in enumerate(literals.choice_labels[:count])]
    latin = [(LETTERS[i], i) for i in range(count)]
    pairs = tuple(sorted(dict.fromkeys(localized + latin), key=lambda p: -len(p[0])))
    pattern = "|".join(re.escape(label) for label, _ in pairs)
    return _Labels(pairs, re.compile(pattern))
