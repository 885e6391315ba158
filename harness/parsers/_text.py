"""Text helpers the answer parsers share: reasoning removal, folding, script-aware word
boundaries and finding the phrases that introduce a final answer ("The answer is", "Antwort:")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

from harness.literals import REFERENCE_LANGUAGE, Literals, get_literals
from harness.reasoning import split_reasoning


def strip_reasoning(text: str) -> str:
    """The text without its <think>…</think> reasoning (see harness.reasoning)."""
    return split_reasoning(text)[1]


Prompt: TypeAlias = str | Sequence[object] | None
"""A request's prompt as the parsers get it: a completion prompt's text, or a chat prompt's
messages (which give the reply nothing to continue)."""


def with_cue(reply: str, prompt: Prompt, literals: Literals) -> str:
    """The reply as the continuation of its prompt: where a completion prompt ends with an
    answer phrase awaiting its value ("Answer:", "The answer is"), that last line and the
    reply; otherwise the reply alone. A chat prompt, or one ending with a header ("Step-by-Step
    Answer:"), a question or nothing, adds nothing."""
    if not isinstance(prompt, str):
        return reply
    cue = prompt[prompt.rfind("\n") + 1 :].rstrip()
    if not cue or not _awaits_value(fold(cue), literals):
        return reply
    return cue + ("" if reply[:1].isspace() else " ") + reply


def _awaits_value(line: str, literals: Literals) -> bool:
    """Whether the line ends with an answer phrase that states a value, with nothing after."""
    phrases = find_phrases(line, literals)
    return bool(phrases) and phrases[-1].introduced and phrases[-1].value_at >= len(line)


# Fullwidth ASCII (not "，", a list comma), the ideographic space, cedilla ş ţ as comma-below
# ș ț, Arabic yeh/kaf as the Persian-Urdu forms, curly apostrophes; joiners, soft hyphen, BOM
# and the Arabic tatweel (a stretching stroke: "هـ" is "ه") dropped.
_FOLD: dict[int, int | None] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if cp != 0xFF0C}
_FOLD.update(str.maketrans("\u3000şŞţŢيىك‘’ʼ", " șȘțȚییک'''"))
_FOLD.update(dict.fromkeys(map(ord, "\u200c\u200d\u00ad\ufeff\u0640")))


def fold(text: str) -> str:
    """The form both replies and literals are matched in: NFC, ASCII for fullwidth forms, one
    spelling for characters that have look-alike variants."""
    return unicodedata.normalize("NFC", text).translate(_FOLD)


# Scripts written without spaces between words: a phrase may touch the next word.
_UNSPACED = frozenset(
    {
        "CJK",
        "HIRAGANA",
        "KATAKANA",
        "KATAKANA-HIRAGANA",
        "HALFWIDTH",
        "IDEOGRAPHIC",
        "THAI",
        "LAO",
        "KHMER",
        "MYANMAR",
        "TIBETAN",
    }
)


@lru_cache(maxsize=8192)
def script(char: str) -> str:
    """First word of the character's Unicode name: LATIN, BENGALI, CJK, DIGIT, ..."""
    return unicodedata.name(char, "?").split(" ", 1)[0]


def _wordlike(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char).startswith("M")


def _joins(edge: str, neighbour: str, *, label: bool) -> bool:
    """Whether `neighbour` continues the word that `edge` ends (or starts)."""
    if not neighbour or not _wordlike(neighbour):
        return False
    if label:  # a choice label touching a letter of its own script or a digit is part of a word
        return neighbour.isdigit() or script(neighbour) == script(edge)
    if script(edge) in _UNSPACED:
        return False
    return script(neighbour) in (script(edge), "COMBINING")


def bounded(text: str, start: int, end: int, *, label: bool = False) -> bool:
    """Whether text[start:end] is a whole word (scripts without spaces always are)."""
    return starts_word(text, start, label=label) and ends_word(text, end, label=label)


def starts_word(text: str, start: int, *, label: bool = False) -> bool:
    return start == 0 or not _joins(text[start], text[start - 1], label=label)


def ends_word(text: str, end: int, *, label: bool = False) -> bool:
    return end >= len(text) or not _joins(text[end - 1], text[end], label=label)


@dataclass(frozen=True)
class Phrase:
    """A place in a reply where an answer is announced."""

    start: int
    value_at: int  # where the announced value should begin
    introduced: bool  # the_answer_is, or an answer word followed by a colon, dash or copula


# What may stand between an answer phrase and its value: spaces, colons, markdown, quotes,
# brackets, dashes that are not minus signs, LaTeX wrappers.
_CONNECT = re.compile(
    r"(?:[\s:=*_#`'\"“”«»„(\[{<>|~՝་]|[-–—](?![\d$€£¥₹₽])"
    r"|\\boxed\s*\{|\\text(?:bf)?\s*\{|\\mathbf\s*\{|\\\(|\\\[|\$(?=[\\$]))*"
)
_SEPARATOR = re.compile(r"[\s*_]*(?:[:=]|[-–—](?![\d$€£¥₹₽])|՝)")


@dataclass(frozen=True)
class _PhrasePatterns:
    phrase: re.Pattern[str]  # groups: lead (the_answer_is), hedge, or word (answer_words)
    copula: re.Pattern[str] | None
    headers: re.Pattern[str]  # step_by_step_answer: "answer" inside it announces nothing


def find_phrases(text: str, literals: Literals, *, hedged: bool = False) -> list[Phrase]:
    """Every answer phrase in `text` (already folded), in order. The language's phrases and
    English ones are looked for: models often answer in English whatever the prompt. `hedged`
    adds the hedges ("probably", "wahrscheinlich"), which state a choice but not a number."""
    patterns = _phrase_patterns(literals, hedged)
    headers = [m.span() for m in patterns.headers.finditer(text)]
    found: list[Phrase] = []
    pos = 0
    while (match := patterns.phrase.search(text, pos)) is not None:
        start = match.start()
        end, introduced = _phrase_end(text, match, patterns)
        if not bounded(text, start, end) or any(a <= start < b for a, b in headers):
            pos = start + 1
            continue
        found.append(_announce(text, start, end, introduced))
        pos = end
    return found


def _phrase_end(text: str, match: re.Match[str], patterns: _PhrasePatterns) -> tuple[int, bool]:
    """Where the phrase ends, a copula included ("정답" + "은"), and whether it is the_answer_is
    or an answer word with its copula."""
    if match.lastgroup in ("lead", "hedge"):
        return match.end(), True
    copula = patterns.copula.match(text, match.end()) if patterns.copula else None
    if copula is not None and ends_word(text, copula.end()):
        return copula.end(), True
    return match.end(), False


def _announce(text: str, start: int, end: int, introduced: bool) -> Phrase:
    if _SEPARATOR.match(text, end):
        introduced = True
    return Phrase(start, skip_connector(text, end), introduced)


def skip_connector(text: str, pos: int) -> int:
    """Where a value may begin after `pos`: past spaces, colons, markdown, brackets, LaTeX."""
    connector = _CONNECT.match(text, pos)
    return connector.end() if connector else pos


def closed_by_copula(text: str, end: int, literals: Literals) -> bool:
    """Whether the value ending at `end` is followed by the copula and the end of the sentence,
    as verb-final languages state an answer ("सही उत्तर 18 है।", "درست جواب (ب) ہے۔")."""
    pattern = _closing_pattern(literals)
    return pattern is not None and pattern.match(text, end) is not None


@lru_cache(maxsize=256)
def _closing_pattern(literals: Literals) -> re.Pattern[str] | None:
    words = sorted(copula_words(literals), key=len, reverse=True)
    if not words:
        return None
    stops = re.escape("".join(sorted({*".!?。।۔։།", *fold(literals.full_stop).strip()})))
    copula = "|".join(map(re.escape, words))
    return re.compile(rf"[\s*_)\]]*(?:{copula})[\s*_]*(?:[{stops}]|\n|$)", re.I)


@lru_cache(maxsize=256)
def _phrase_patterns(literals: Literals, hedged: bool = False) -> _PhrasePatterns:
    rows = (literals, get_literals(REFERENCE_LANGUAGE))
    leads = [row.the_answer_is for row in rows]
    words = [word for row in rows for word in row.answer_words]
    hedges = [hedge for row in rows for hedge in row.hedges] if hedged else []
    copulas = sorted(
        {c for row in rows for c in (_copula(row), *map(_listed_copula, row.copulas)) if c},
        key=len,
        reverse=True,
    )
    phrase = rf"(?P<lead>{_alternation(leads)})|(?P<word>{_alternation(words)})"
    if hedges:
        phrase += rf"|(?P<hedge>{_alternation(hedges)})"
    copula = rf"(?:\s*(?:\*\*|__))?(?:{'|'.join(copulas)})" if copulas else None
    headers = _alternation([row.step_by_step_answer for row in rows], hyphens=True)
    return _PhrasePatterns(
        re.compile(phrase, re.I),
        re.compile(copula, re.I) if copula else None,
        re.compile(headers, re.I),
    )


@lru_cache(maxsize=256)
def copula_words(literals: Literals) -> frozenset[str]:
    """Case-folded last words of the language's and English's several-word the_answer_is
    ("is", "ist", "est", ...)."""
    rows = (literals, get_literals(REFERENCE_LANGUAGE))
    phrases = [fold(row.the_answer_is).split() for row in rows]
    return frozenset(words[-1].casefold() for words in phrases if len(words) > 1)


def _copula(row: Literals) -> str | None:
    """What turns an answer word into "the answer is", as a regex: the last word of a
    several-word the_answer_is ("is", "ist", "হল", "adalah": "the correct option is D"), or
    what the_answer_is adds to an answer word it starts with ("答えは" = "答え" + "は", "คือ", "은":
    "正解は B")."""
    phrase = fold(row.the_answer_is).strip()
    parts = phrase.split()
    if len(parts) > 1:
        return r"\s+" + re.escape(parts[-1])
    stems = [
        word
        for word in map(fold, row.answer_words)
        if len(word) < len(phrase) and phrase.casefold().startswith(word.casefold())
    ]
    return r"\s*" + re.escape(phrase[len(max(stems, key=len)) :]) if stems else None


def _listed_copula(copula: str) -> str | None:
    """A copula of the `copulas` list as a regex: after a space, or touching the answer word
    in scripts written without spaces ("答え" + "は")."""
    words = fold(copula).split()
    if not words:
        return None
    gap = r"\s*" if script(words[0][0]) in _UNSPACED else r"\s+"
    return gap + r"\s+".join(map(re.escape, words))


def _alternation(phrases: list[str], *, hyphens: bool = False) -> str:
    """Longest first; any run of spaces (and hyphens, for headers) matches any other."""
    split = re.compile(r"[\s\-‐]+" if hyphens else r"\s+")
    gap = r"[\s\-‐]+" if hyphens else r"\s+"
    unique = sorted({fold(p).strip() for p in phrases if p.strip()}, key=len, reverse=True)
    if not unique:
        return "(?!)"  # matches nothing
    return "|".join(gap.join(map(re.escape, split.split(p))) for p in unique)
