"""Metrics for answers that may be dates: exact match and token F1 as for extractive QA
(harness.metrics.squad), with dates compared by value.

A text is a date when, read in the sample's language (and in English), it holds one year
number, at most one month (a name from dates.yaml, or a number: "03/2014", "2014-03") and
otherwise only filler words ("in 2014", "im Jahr 2014"). Digits of any script count; a
number with a zero fraction is that number ("2014.0", "2014,0"). So the gold "2014" matches
the replies "in 2014", "2014.0" and "٢٠١٤", and "Mar, 2011" matches "March 2011" and
"martie 2011", but not "2011". Texts that are no date are compared as the SQuAD metrics do.
With several acceptable answers the best one counts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StrictStr,
)
from pydantic_core import PydanticCustomError

from harness.languages import get_language, is_known
from harness.metrics.squad import IsoCode, exact_match, token_f1
from harness.schema import Problem, describe_field, load_model

DATES_PATH = Path(__file__).with_name("dates.yaml")
ALWAYS = "eng"  # read in every language besides its own
Date = tuple[int, int | None]  # year, month (1-12) or None

_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_ZERO_FRACTION = re.compile(r"(\d)[.,]0+(?!\d)")


def temporal_exact_match(parsed: str | None, answers: Sequence[str], language: str) -> float:
    """1.0 when the reply equals an answer: as dates where both are dates, else as SQuAD's
    exact match does (normalised text)."""
    if parsed is None:
        return 0.0
    guess = parse_date(parsed, language)
    for gold in answers or ("",):
        if guess is not None and guess == parse_date(gold, language):
            return 1.0
        if exact_match(parsed, [gold], language):
            return 1.0
    return 0.0


def temporal_f1(parsed: str | None, answers: Sequence[str], language: str) -> float:
    """The best F1 over the answers: over the date parts (year, month) where both are dates,
    else (or when higher) over the normalised tokens as SQuAD's F1."""
    if parsed is None:
        return 0.0
    guess = parse_date(parsed, language)
    best = 0.0
    for gold in answers or ("",):
        truth = parse_date(gold, language)
        score = _date_f1(guess, truth) if guess is not None and truth is not None else 0.0
        best = max(best, score, token_f1(parsed, [gold], language))
    return best


def parse_date(text: str, language: str) -> Date | None:
    """(year, month or None) when the whole text is one date, else None."""
    words = _words(_iso(language))
    text = _ZERO_FRACTION.sub(r"\1", _ascii_digits(unicodedata.normalize("NFKC", text)))
    numbers: list[int] = []
    months: list[int] = []
    for token in _TOKEN.findall(text.casefold()):
        if token.isdigit():
            numbers.append(int(token))
        elif token in words.months:
            months.append(words.months[token])
        elif token not in words.fillers:
            return None
    if len(months) > 1:
        return None
    if len(numbers) == 1:
        return numbers[0], months[0] if months else None
    if len(numbers) == 2 and not months:  # a numeric month: 03/2014, 2014-03
        low, high = sorted(numbers)
        if 1 <= low <= 12 < high:
            return high, low
    return None


def _date_f1(guess: Date, truth: Date) -> float:
    """F1 over the date parts: the year, and the month where given."""
    mine, theirs = _parts(guess), _parts(truth)
    same = len(mine & theirs)
    if same == 0:
        return 0.0
    precision, recall = same / len(mine), same / len(theirs)
    return 2 * precision * recall / (precision + recall)


def _parts(date: Date) -> set[str]:
    year, month = date
    return {f"year {year}"} | ({f"month {month}"} if month is not None else set())


@lru_cache(maxsize=4096)
def _ascii_digits(text: str) -> str:
    """Digits of any script as 0-9."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


@dataclass(frozen=True)
class DateWords:
    months: dict[str, int]  # form -> month number (1-12)
    fillers: frozenset[str]


@lru_cache(maxsize=256)
def _words(iso: str) -> DateWords:
    """The language's date words merged with English's (its own win a clash)."""
    table = dates_table()
    rows = [table[code] for code in dict.fromkeys((ALWAYS, iso)) if code in table]
    months = {form: number for row in rows for form, number in row.months.items()}
    return DateWords(months, frozenset().union(*(row.fillers for row in rows)))


def _iso(language: str) -> str:
    return get_language(language).iso639_3 if is_known(language) else language[:3].lower()


def _forms(value: tuple[str, ...]) -> tuple[str, ...]:
    if not all(form.strip() for form in value):
        raise PydanticCustomError("forms", "forms must not be blank")
    return value


_Forms = Annotated[tuple[StrictStr, ...], AfterValidator(_forms)]


class _Row(BaseModel):
    """One language's row of dates.yaml: the forms of each month, January first, and the
    words a date may hold besides ("in", "year")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    months: Annotated[tuple[_Forms, ...], Field(min_length=12, max_length=12)]
    fillers: _Forms = ()

    def words(self) -> DateWords:
        """The row folded as replies are."""
        return DateWords(
            {_fold(form): number for number, forms in enumerate(self.months, 1) for form in forms},
            frozenset(map(_fold, self.fillers)),
        )


class _Dates(RootModel[dict[IsoCode, _Row]]):
    """dates.yaml as written: ISO 639-3 code -> its row."""


@cache
def dates_table(path: Path = DATES_PATH) -> dict[str, DateWords]:
    """The date words file, checked: ISO 639-3 code -> its month forms and fillers, folded
    as replies are (NFKC, case-folded)."""
    table = load_model(
        path, _Dates, not_mapping="expected a mapping of ISO 639-3 codes", describe=_describe
    )
    return {code: row.words() for code, row in table.root.items()}


def _describe(problem: Problem) -> str:
    """The messages the table's readers know: what a row holds, what each list holds."""
    if problem.kind in ("iso_code", "missing", "extra_forbidden"):
        return problem.msg if problem.kind == "iso_code" else describe_field(problem)
    if len(problem.loc) < 2:
        return f"{problem.path}: expected a mapping with keys months and fillers"
    if problem.loc[1] == "months":
        return f"{problem.loc[0]}: 'months' must be 12 lists of non-empty strings"
    return f"{problem.loc[0]}: 'fillers' must be a list of non-empty strings"


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold().strip()
