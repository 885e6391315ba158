"""Number answers.

The answer is the number right after the last answer phrase that states one (`the_answer_is`, an
answer word followed by a colon, dash or copula, or an answer word whose number the copula
closes: "सही उत्तर 18 है।"), else the one in the last ``\\boxed{}``, else the last number in the
reply. A reply cut by the token limit (`complete=False`) has an answer only if it states one
after an answer phrase or in a ``\\boxed{}``: its last number is just where the reasoning stopped,
and a stated number that runs to the reply's very end may have been cut too ("The answer is 7"
of a reply cut before "5"), so it is not read either.
In the completion format, where the prompt ends with an answer phrase ("Answer:"), the reply is
read as that phrase's value.

Native digits (any Unicode decimal digit) become ASCII; currency signs, units, percent signs,
markdown and LaTeX wrappers are skipped. If the answer phrase is followed by a
calculation ("5 + 6 = 11"), the result after the last "=" is taken. Output is canonical:
"2125", "2.5", "-3" (no thousands separators, no trailing zeros).

Separators inside a number are read with the language's conventions (literals):
- a separator used more than once groups thousands ("1.250.000", "1,25,000");
- where "." and "," both appear, the last one, used once, is the decimal point ("1.250,5");
- a lone "." is a decimal point, unless the language groups thousands with "." and it has
  at most three digits before it and exactly three after ("1.250" is 1250 in German);
- a lone "," is a decimal comma where the language's decimal separator is "," ("1,5" and
  "1,250" are 1.5 and 1.25 in German); elsewhere it groups thousands when exactly three digits
  follow ("2,125" is 2125 in English) and separates two numbers otherwise ("1,2");
- "٫" is always a decimal point; a space (only where the language groups with one:
  `thousands_separator` or `thousands_also`), no-break and thin spaces, apostrophes and "٬"
  only group thousands.
Where the task's answers are integers (`form="integer"`: its gold form), digits grouped like
thousands are thousands whatever the language: "1,234" and "1.234" are 1234 in every language,
"$57,500" is 57500 in Spanish and "70 000" is 70000 in English; a decimal stays a decimal
("12.50", "1 234,5").
Thousands groups must look like thousands: the last of three digits, any middle ones of two or
three (Indian grouping). Digits that fit none of these are read as separate numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from harness.literals import Literals
from harness.parsers._text import (
    Prompt,
    closed_by_copula,
    find_phrases,
    fold,
    strip_reasoning,
    with_cue,
)

INTEGER = "integer"
"""The answer form (a task's gold form) whose answers are whole numbers."""

_CURRENCY = r"(?:US\$|R\$|Rs\.?|Rp\.?|रु\.?|[KT]Sh|[$€£¥₹₽৳₺₩₫฿₦₱₴₸₪])"
_GROUPING_ONLY = "'\u00a0\u202f\u2009\u066c"
_DECIMAL_ONLY = "\u066b"
_OPERATOR = re.compile(r"\s*(?:[-+*/×÷·xX=]|\\times|\\cdot|\\div)\s*")
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_LIST_ITEM = re.compile(r"[.)]\s+[^\W\d_]")
_SPLIT = re.compile(r"(\D)")


@dataclass(frozen=True)
class _Reading:
    """How numbers are read: the language's conventions, and whether answers are integers."""

    literals: Literals
    integer: bool = False


def parse_number(
    text: str,
    literals: Literals,
    choices: Sequence[str] | None = None,
    *,
    complete: bool = True,
    prompt: Prompt = None,
    form: str | None = None,
) -> str | None:
    """The reply's final number in canonical form, or None. `choices` is ignored. When
    `complete` is False only a stated answer counts; `prompt`'s answer cue is read with the
    reply; `form` "integer" reads digit groups as thousands (see the module docstring)."""
    reading = _Reading(literals, form == INTEGER)
    clean = _prepare(with_cue(strip_reasoning(text), prompt, literals), literals)
    # a reply cut by the token limit right after a number (not even a space after it) may have
    # been cut inside that number
    open_end = not complete and text == text.rstrip()
    stated = _stated(clean, reading, open_end=open_end)
    if stated is not None:
        return stated
    for content in reversed(_boxed(clean)):
        value = _first_value(content, reading)
        if value is not None:
            return value
    numbers = list(_number_pattern(reading).finditer(clean)) if complete else []
    return _read(numbers[-1], reading)[-1] if numbers else None


def _stated(text: str, reading: _Reading, *, open_end: bool = False) -> str | None:
    """The number after the last answer phrase that states one; with `open_end` (a reply cut
    right at its last character), not a number that runs to the end: the cut may have cut it."""
    for phrase in reversed(find_phrases(text, reading.literals)):
        found = _value_at(text, phrase.value_at, reading, after_phrase=True)
        if found is None:
            continue
        value, end = found
        if open_end and end >= len(text):
            continue
        if phrase.introduced or closed_by_copula(text, end, reading.literals):
            return value
    return None


def normalize_number(text: str, literals: Literals) -> str | None:
    """The first number in `text`, canonical ("1,250" -> "1250" in English, "2,5" -> "2.5" in
    German, "১১" -> "11"); None if there is none. Also used for gold answers."""
    return _first_value(_prepare(text, literals), _Reading(literals))


def _prepare(text: str, literals: Literals) -> str:
    """Folded text with ASCII digits and LaTeX number spacing undone."""
    text = fold(text).translate(_digit_table(literals.digits)).translate(_UNICODE_DIGITS)
    return text.replace("{,}", ",").replace("\\,", "\u2009").replace("\\!", "")


def _first_value(text: str, reading: _Reading) -> str | None:
    match = _number_pattern(reading).search(text)
    found = _value_at(text, match.start(), reading) if match else None
    return found[0] if found else None


def _value_at(
    text: str, pos: int, reading: _Reading, *, after_phrase: bool = False
) -> tuple[str, int] | None:
    """(value, end) of the number starting at `pos`; for a calculation, its result after the
    last "=". After an answer phrase, a list item's number on a new line ("Answer:\n1. First,
    ...") is not a value."""
    pattern = _number_pattern(reading)
    match = pattern.match(text, pos)
    if match is None or (after_phrase and _list_marker(text, match)):
        return None
    value = _read(match, reading)[0]
    end = match.end()
    while (op := _OPERATOR.match(text, end)) and (term := pattern.match(text, op.end())):
        if "=" in op.group():
            value = _read(term, reading)[0]
        end = term.end()
    return value, end


def _list_marker(text: str, match: re.Match[str]) -> bool:
    line_start = text[: match.start()].rstrip(" \t").endswith("\n")
    return line_start and _LIST_ITEM.match(text, match.end()) is not None


def _boxed(text: str) -> list[str]:
    """Contents of every \\boxed{...}, braces balanced."""
    contents = []
    for match in _BOXED.finditer(text):
        depth, i = 1, match.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        contents.append(text[match.end() : i - 1 if depth == 0 else i])
    return contents


def _read(match: re.Match[str], reading: _Reading) -> tuple[str, ...]:
    """Canonical value(s) of one matched number: several when its separators fit no number."""
    parts = _SPLIT.split(match.group("body"))
    groups, seps = parts[0::2], parts[1::2]
    # an integer answer's digit groups are thousands, whatever separates them
    grouped = reading.integer and _thousands(groups, seps)
    decimal = not grouped and _decimal_last(groups, seps, reading.literals)
    if decimal and _thousands(groups[:-1], seps[:-1]):
        values: tuple[str, ...] = (_canon("".join(groups[:-1]), groups[-1]),)
    elif _thousands(groups, seps):
        values = (_canon("".join(groups), ""),)
    else:
        values = tuple(_canon(group, "") for group in groups)
    if match.group("sign") and values[0] != "0":
        values = ("-" + values[0], *values[1:])
    return values


def _decimal_last(groups: list[str], seps: list[str], literals: Literals) -> bool:
    """Whether the last separator is the decimal point (see the module docstring)."""
    if not seps:
        return False
    last, head = seps[-1], seps[:-1]
    if last in head:
        return False
    if last == _DECIMAL_ONLY or (head and last in ".,"):
        return True
    if last == ",":
        return literals.decimal_separator == ","
    if last == ".":
        grouped = literals.thousands_separator == "."
        return not (grouped and len(groups[-1]) == 3 and len(groups[0]) <= 3)
    return False


def _thousands(groups: list[str], seps: list[str]) -> bool:
    if not seps:
        return True
    if len(set(seps)) > 1 or seps[0] == _DECIMAL_ONLY:
        return False
    first, *middle, last = groups
    return 1 <= len(first) <= 3 and len(last) == 3 and all(len(g) in (2, 3) for g in middle)


def _canon(integer: str, fraction: str) -> str:
    integer = integer.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{integer}.{fraction}" if fraction else integer


@lru_cache(maxsize=256)
def _number_pattern(reading: _Reading) -> re.Pattern[str]:
    """A number: optional minus sign and currency sign, digits and separators between them."""
    literals = reading.literals
    grouping = {literals.thousands_separator, *literals.thousands_also}
    space = " " if reading.integer or any(mark.isspace() for mark in grouping) else ""
    seps = re.escape("".join(sorted({*".,", *_GROUPING_ONLY, *_DECIMAL_ONLY, *space, *grouping})))
    return re.compile(
        rf"(?:(?<![\w)\]}}])(?P<sign>[-−]))?(?:{_CURRENCY}\s?)?(?P<body>\d+(?:[{seps}]\d+)*)"
    )


@lru_cache(maxsize=64)
def _digit_table(digits: str) -> dict[int, int]:
    return {ord(char): ord("0") + value for value, char in enumerate(digits)}


class _UnicodeDigits(dict[int, int]):
    """str.translate table taking every Unicode decimal digit to ASCII, filled as met."""

    def __missing__(self, codepoint: int) -> int:
        value = unicodedata.decimal(chr(codepoint), None) if codepoint > 127 else None
        result = ord("0") + value if value is not None else codepoint
        self[codepoint] = result
        return result


_UNICODE_DIGITS = _UnicodeDigits()
