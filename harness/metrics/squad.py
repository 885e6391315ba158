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
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, RootModel, StrictStr
from pydantic_core import PydanticCustomError

from harness.languages import get_language, is_known
from harness.schema import Problem, describe_field, load_model

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


def _iso_code(value: object) -> object:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z]{3}", value):
        raise PydanticCustomError(
            "iso_code", "key {code} is not an ISO 639-3 code", {"code": repr(value)}
        )
    return value


def _strings(value: tuple[str, ...]) -> tuple[str, ...]:
    if not all(value):
        raise PydanticCustomError("strings", "strings must not be empty")
    return value


def _elisions(value: tuple[str, ...]) -> tuple[str, ...]:
    if not all(_form(item).endswith("'") for item in value):
        raise PydanticCustomError("elisions", "elisions must end with an apostrophe")
    return value


IsoCode = Annotated[str, BeforeValidator(_iso_code)]
"""A key of a table by language: an ISO 639-3 code ("eng")."""
_Strings = Annotated[tuple[StrictStr, ...], AfterValidator(_strings)]


class _Entry(BaseModel):
    """One language's row of articles.yaml: what the normalisation removes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    words: _Strings = ()  # articles as whole words
    elisions: Annotated[_Strings, AfterValidator(_elisions)] = ()  # "l'", removed before words
    anywhere: _Strings = ()  # strings removed wherever they are ("ال")


class _Articles(RootModel[dict[IsoCode, _Entry]]):
    """articles.yaml as written: ISO 639-3 code -> its row."""


@cache
def articles_table(path: Path = ARTICLES_PATH) -> dict[str, dict[str, tuple[str, ...]]]:
    """The articles file, checked: ISO 639-3 code -> kind (words, elisions, anywhere) ->
    strings."""
    table = load_model(
        path, _Articles, not_mapping="expected a mapping of ISO 639-3 codes", describe=_describe
    )
    return {code: entry.model_dump(exclude_unset=True) for code, entry in table.root.items()}


def _describe(problem: Problem) -> str:
    """The messages the table's readers know: what a row holds, what each list holds."""
    if problem.kind in ("iso_code", "elisions"):
        return problem.msg
    kinds = ", ".join(_KINDS)
    if problem.kind == "extra_forbidden":
        return f"{describe_field(problem)} (keys among {kinds})"
    if len(problem.loc) < 2:
        return f"{problem.path}: expected a mapping with keys among {kinds}"
    return f"{problem.loc[0]}: '{problem.loc[1]}' must be a list of non-empty strings"
