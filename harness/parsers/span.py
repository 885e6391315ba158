"""Extractive-QA answers: the span of text the reply gives as its answer, or None.

The reply's text outside reasoning is read from the last answer phrase ("The answer is",
"Réponse :", "答案是") on (an earlier one where nothing follows the last), or from its start
where it has none; a cut-off reply needs the phrase. The answer is the first line there with
something left after the wrapping is removed: markdown bold and code marks, a bullet or heading
mark, a leading "Answer:", a trailing full stop (the language's and "."), quotes around it
(“ ” « » 「 」 " ' ...), ``\\boxed{}`` and closing marks whose opening the phrase finder skipped.
A line that opens with a quotation ("「東京」です") answers with the quoted text; a line that is
only an answer word ("## Answer") is skipped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from harness.literals import REFERENCE_LANGUAGE, Literals, get_literals
from harness.parsers._text import Prompt, find_phrases, fold, strip_reasoning, with_cue

# Opening quote -> closing quote; "'" only counts around the whole answer ('s-Hertogenbosch).
_QUOTES = {
    "“": "”",
    "”": "”",
    "„": "“",
    "«": "»",
    "»": "«",
    "‹": "›",
    "「": "」",
    "『": "』",
    "《": "》",
    '"': '"',
    "‘": "’",
    "'": "'",
}
# Closing mark -> the marks that open it; symmetric marks close when their count is odd.
_CLOSERS = {
    "”": "“„",
    "»": "«",
    "›": "‹",
    "」": "「",
    "』": "『",
    "》": "《",
    "’": "‘",
    ")": "(",
    "]": "[",
    "}": "{",
}
_SYMMETRIC = frozenset('"`$')
_BULLET = re.compile(r"^(?:[-•*]|#+)\s+")
_BOXED = re.compile(r"^\$*\\boxed\s*\{(.*)\}\$*$")
_SPACES = " \t\u00a0\u3000"


def parse_span(
    text: str,
    literals: Literals,
    choices: Sequence[str] | None = None,
    *,
    complete: bool = True,
    prompt: Prompt = None,
    form: str | None = None,
) -> str | None:
    """The answer span the reply states, or None. `choices` and `form` are ignored;
    `prompt`'s answer cue is read with the reply (see `with_cue`)."""
    body = unicodedata.normalize("NFC", with_cue(strip_reasoning(text), prompt, literals))
    starts = _answer_starts(body, literals)
    for start in starts:
        span = _first_line(body[start:], literals)
        if span is not None:
            return span
    return _first_line(body, literals) if complete and not starts else None


def _answer_starts(body: str, literals: Literals) -> list[int]:
    """Where the values of the reply's answer phrases begin in `body`, last phrase first."""
    folded, origin = _folded(body)
    starts = []
    for phrase in reversed(find_phrases(folded, literals)):
        if phrase.introduced:
            start = origin[phrase.value_at] if phrase.value_at < len(folded) else len(body)
            starts.append(_reopen(body, start))
    return starts


def _reopen(body: str, start: int) -> int:
    """Back to the quote that opens the value, which the phrase finder skips ("« Paris »")."""
    at = start
    while at > 0 and (body[at - 1] in _QUOTES or body[at - 1] in _SPACES):
        at -= 1
        if body[at] in _QUOTES:
            start = at
    return start


def _folded(text: str) -> tuple[str, Sequence[int]]:
    """`text` folded for the phrase finder, and where each folded character comes from."""
    pieces = [_fold_char(char) for char in text]
    folded = "".join(pieces)
    if len(folded) == len(text) and all(len(piece) == 1 for piece in pieces):
        return folded, range(len(text))  # one for one, as almost always
    origin = [index for index, piece in enumerate(pieces) for _ in piece]
    return folded, origin


@lru_cache(maxsize=1 << 16)
def _fold_char(char: str) -> str:
    return fold(char)


def _first_line(text: str, literals: Literals) -> str | None:
    for line in text.splitlines():
        span = _clean(line, literals)
        if span and span.casefold() not in _labels(literals):
            return span
    return None


def _clean(line: str, literals: Literals) -> str:
    """The line without the wrapping around its answer, removed until nothing changes."""
    stops = tuple({literals.full_stop.strip(), "."} - {""})
    previous = None
    while line != previous:
        previous = line
        line = line.replace("**", "").strip(_SPACES)
        line = _BULLET.sub("", line)
        line = _without_label(line, literals)
        line = _BOXED.sub(r"\1", line)
        if line.endswith(stops):
            line = line[: -len(next(s for s in stops if line.endswith(s)))]
        line = _unclosed(_unquote(_strip_pair(line, "`")))
    return line


def _unclosed(line: str) -> str:
    """The line without a last character that closes what the line never opens (the rest of
    a wrapper that the phrase finder skipped: "Paris»", "42}$")."""
    last = line[-1:]
    if last in _CLOSERS and line.count(last) > sum(line.count(o) for o in _CLOSERS[last]):
        return line[:-1]
    if last in _SYMMETRIC and line.count(last) % 2:
        return line[:-1]
    return line


def _unquote(line: str) -> str:
    """The quoted text of a line that opens with a quotation."""
    close = _QUOTES.get(line[:1])
    if close is None or len(line) < 2:
        return line
    if line[0] == "'":
        return _strip_pair(line, "'")
    end = line.find(close, 1)
    return line[1:end] if end > 0 else line


def _strip_pair(line: str, mark: str) -> str:
    both = len(line) > 1 and line.startswith(mark) and line.endswith(mark)
    return line[1:-1] if both else line


def _without_label(line: str, literals: Literals) -> str:
    """The line without a leading "Answer:" (the language's or English)."""
    match = _label_pattern(literals).match(line)
    return line[match.end() :] if match else line


@lru_cache(maxsize=256)
def _label_pattern(literals: Literals) -> re.Pattern[str]:
    words = sorted(_labels(literals), key=len, reverse=True)
    alternation = "|".join(re.escape(word) for word in words)
    return re.compile(rf"(?:{alternation})\s*[:：]\s*", re.IGNORECASE)


@lru_cache(maxsize=256)
def _labels(literals: Literals) -> frozenset[str]:
    """Case-folded answer words of the language and English ("answer", "réponse", "答え")."""
    rows = (literals, get_literals(REFERENCE_LANGUAGE))
    words = [word for row in rows for word in (row.answer, *row.answer_words)]
    return frozenset(word.strip().casefold() for word in words if word.strip())
