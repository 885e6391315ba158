"""Extractive-QA metrics: exact match and token F1, each the best over the acceptable answers, as
the SQuAD and MLQA evaluation scripts compute them, with language-aware normalisation.

Reply and answers are normalised alike: NFKC, lower case, the language's elided articles
("l'") removed, then punctuation (every Unicode P* character and ASCII symbols, as MLQA does)
and format characters (joiners, soft hyphens), then the language's articles (articles.yaml).
Tokens are the whitespace-separated words, except in languages written without spaces
(UNSPACED_SCRIPTS): there every character of such a script is a token of its own (with its
combining marks) and runs of other characters (Latin, digits) are words, as MLQA's "mixed
segmentation" does for Chinese.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from harness.errors import PolyevalError
from harness.languages import get_language, is_known
from harness.yamlfile import load_yaml

ARTICLES_PATH = Path(__file__).with_name("articles.yaml")

UNSPACED_SCRIPTS = frozenset(
    {"Hans", "Hant", "Hani", "Jpan", "Hira", "Kana", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"}
)
"""ISO 15924 scripts written without spaces between words: tokens are characters."""

# First words of the Unicode names of the characters that are tokens of their own there.
_CHARACTER_TOKENS = frozenset(
    {
        "CJK",
        "IDEOGRAPHIC",
        "HIRAGANA",
        "KATAKANA",
        "KATAKANA-HIRAGANA",
        "HALFWIDTH",
        "THAI",
        "LAO",
        "KHMER",
        "MYANMAR",
        "TIBETAN",
    }
)
_APOSTROPHES = str.maketrans("’‘ʼ´", "''''")
_KINDS = ("words", "elisions", "anywhere")


def exact_match(parsed: str | None, answers: Sequence[str], language: str) -> float:
    """1.0 when the normalised reply equals a normalised answer. No answers (an unanswerable
    question) count as one empty answer."""
    if parsed is None:
        return 0.0
    guess = normalize_answer(parsed, language)
    return float(any(guess == normalize_answer(gold, language) for gold in answers or ("",)))


def token_f1(parsed: str | None, answers: Sequence[str], language: str) -> float:
    """The best token-overlap F1 between the reply and an answer (SQuAD v2 rule: when either
    side has no tokens, 1.0 if both have none)."""
    if parsed is None:
        return 0.0
    guess = answer_tokens(parsed, language)
    return max(_f1(guess, answer_tokens(gold, language)) for gold in answers or ("",))


def normalize_answer(text: str, language: str) -> str:
    """The form exact match compares: the tokens joined by single spaces."""
    return " ".join(answer_tokens(text, language))


def answer_tokens(text: str, language: str) -> list[str]:
    """The normalised tokens that F1 counts (see the module docstring)."""
    rules = _rules(language)
    text = unicodedata.normalize("NFKC", text.translate(_APOSTROPHES)).lower()
    if rules.elisions is not None:
        text = rules.elisions.sub(" ", text)
    text = "".join(char for char in text if not _dropped(char))
    if rules.removals is not None:
        text = rules.removals.sub(" ", text)
    return _mixed_tokens(text) if rules.unspaced else text.split()


def _f1(guess: list[str], gold: list[str]) -> float:
    if not guess or not gold:
        return float(guess == gold)
    same = sum((Counter(guess) & Counter(gold)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(guess), same / len(gold)
    return 2 * precision * recall / (precision + recall)


@lru_cache(maxsize=8192)
def _dropped(char: str) -> bool:
    """Punctuation (P*), ASCII symbols and format characters."""
    category = unicodedata.category(char)
    return category[0] == "P" or category == "Cf" or char in string.punctuation


@lru_cache(maxsize=8192)
def _alone(char: str) -> bool:
    """Whether the character is a token of its own in an unspaced language (digits are not)."""
    name = unicodedata.name(char, "")
    return not char.isdigit() and name.split(" ", 1)[0] in _CHARACTER_TOKENS


def _mixed_tokens(text: str) -> list[str]:
    """Characters of unspaced scripts (with their combining marks) one by one, other runs
    split on whitespace."""
    pieces: list[str] = []
    in_character = False
    for char in text:
        if in_character and unicodedata.category(char)[0] == "M":
            pieces.append(char)
        elif _alone(char):
            pieces += (" ", char)
            in_character = True
        else:
            if in_character:
                pieces.append(" ")
                in_character = False
            pieces.append(char)
    return "".join(pieces).split()


@dataclass(frozen=True)
class _Rules:
    elisions: re.Pattern[str] | None  # removed before punctuation goes
    removals: re.Pattern[str] | None  # articles as words, strings anywhere
    unspaced: bool


@lru_cache(maxsize=512)
def _rules(language: str) -> _Rules:
    iso, script = _parts(language)
    entry = articles_table().get(iso, {})
    words = _alternation(entry.get("words", ()))
    anywhere = _alternation(entry.get("anywhere", ()))
    elisions = _alternation(entry.get("elisions", ()))
    removals = [f"(?<!\\S)(?:{words})(?!\\S)" if words else "", anywhere]
    joined = "|".join(f"(?:{r})" for r in removals if r)
    return _Rules(
        re.compile(f"(?<!\\w)(?:{elisions})") if elisions else None,
        re.compile(joined) if joined else None,
        script in UNSPACED_SCRIPTS,
    )


def _parts(language: str) -> tuple[str, str]:
    """ISO 639-3 code and ISO 15924 script of a canonical code (or an alias)."""
    if is_known(language):
        row = get_language(language)
        return row.iso639_3, row.script
    iso, _, script = language.partition("_")
    return iso.lower(), script.title()


def _alternation(items: Sequence[str]) -> str:
    """Longest first; any run of spaces matches any other."""
    forms = sorted({_form(item) for item in items}, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, form.split())) for form in forms)


def _form(item: str) -> str:
    return unicodedata.normalize("NFKC", item.translate(_APOSTROPHES)).lower()


@cache
def articles_table(path: Path = ARTICLES_PATH) -> dict[str, dict[str, tuple[str, ...]]]:
    """The articles file, checked: ISO 639-3 code -> kind (words, elisions, anywhere) ->
    strings."""
    data, _ = load_yaml(path)
    if not isinstance(data, dict):
        raise PolyevalError("expected a mapping of ISO 639-3 codes", where=str(path))
    return {str(code): _entry(code, value, path) for code, value in data.items()}


def _entry(code: Any, value: Any, path: Path) -> dict[str, tuple[str, ...]]:
    where = f"{path} ({code})"
    if not isinstance(code, str) or not re.fullmatch(r"[a-z]{3}", code):
        raise PolyevalError(f"key {code!r} is not an ISO 639-3 code", where=str(path))
    if not isinstance(value, dict) or not set(value) <= set(_KINDS):
        raise PolyevalError(f"expected a mapping with keys among {', '.join(_KINDS)}", where)
    entry: dict[str, tuple[str, ...]] = {}
    for kind, items in value.items():
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise PolyevalError(f"'{kind}' must be a list of non-empty strings", where)
        if kind == "elisions" and not all(_form(i).endswith("'") for i in items):
            raise PolyevalError("elisions must end with an apostrophe", where)
        entry[kind] = tuple(items)
    return entry
