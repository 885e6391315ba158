"""Checks that hold for any model's replies, whatever it answers: what
tests/backends/test_real_model.py asserts on a real model's run and benchmarks/real_model.py
shows beside each reply.

Each check takes a recorded sample (harness.record.SampleRecord) and returns a problem (a short
sentence) or None. They read the reply as a person would, with rules of their own, not the
harness's parsers:

- `parsed_in_reply`: the parsed answer is literally in the reply in a recognised form: a
  number's digits in some locale form (grouped, with a decimal point or comma, native digits);
  a choice's label (Latin, the language's own labels) standing alone, or its option's text; a
  text answer's lines;
- `stated_answer`: a reply that states its answer in a form the parsers document is read as
  that answer: a lone label ("B", "**B**", "(B)"), or a number right after the answer phrase
  with no digit after it. `known_gap` tells apart the forms the parsers are known to miss
  today (the letter followed by its option's text, the exemplars' German "Die Antwort
  lautet", grouped numbers such as "70 000");
- `before_next_question`: in the completion format the answer is what the reply says before
  it writes a next question of its own (the template's question label);
- `has_verdict`: an answered sample has a language verdict.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from harness.literals import get_literals
from harness.record import SampleRecord

# The answer phrases a reply states a number with, per language: the phrasing of the
# exemplars of MGSM and the one models use most. German's exemplars say "lautet", which the
# parsers do not read yet (KNOWN_PHRASES).
ANSWER_PHRASES = {
    "eng_Latn": ("The answer is",),
    "deu_Latn": ("Die Antwort ist", "Die Antwort lautet"),
    "spa_Latn": ("La respuesta es",),
    "fra_Latn": ("La réponse est",),
}
KNOWN_PHRASES = frozenset({"Die Antwort lautet"})
_SEPARATORS = ".,'’\u00a0\u202f\u2009 "
_NUMBER = re.compile(rf"\d+(?:[{_SEPARATORS}]\d+)*")
_STATED_NUMBER = re.compile(rf"\s*[:：]?\s*[$€£]?\s*(\d+(?:[{_SEPARATORS}]\d{{3}})*(?:[.,]\d+)?)")
_LONE_LABEL = re.compile(r"[\s*_(\[]*([A-Z])[\s*_)\].:]*")
_LABEL_AND_TEXT = re.compile(r"[\s*_(\[]*([A-Z])[)\].:]\s*(.+)")


def ascii_digits(text: str) -> str:
    """Every Unicode decimal digit as its ASCII digit."""
    return "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text
    )


def number_readings(token: str) -> set[Decimal]:
    """Every value a run of digit groups can be read as in some locale: any stretch of its
    groups, joined as thousands, or with one decimal point between two of them."""
    groups = re.split(rf"[{_SEPARATORS}]", token)
    values: set[Decimal] = set()
    for i in range(len(groups)):
        for j in range(i, len(groups)):
            part = groups[i : j + 1]
            values.add(Decimal("".join(part)))
            for k in range(1, len(part)):
                values.add(Decimal("".join(part[:k]) + "." + "".join(part[k:])))
    return values


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text).copy_abs()
    except InvalidOperation:
        return None


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _labels(sample: SampleRecord, index: int) -> list[str]:
    literals = get_literals(sample.language)
    labels = [chr(ord("A") + index)]
    for row in (literals.choice_labels, literals.native_labels):
        if index < len(row):
            labels.append(row[index])
    return labels


def _standalone(label: str, text: str) -> bool:
    """The label as a word of its own; a Latin letter in lower case too ("(b)"), where it is no
    word of its own ("a" is one: only "(a)" or "a)" counts)."""
    pattern = rf"(?<![^\W_]){re.escape(label)}(?![^\W_])"
    if re.search(pattern, text):
        return True
    lower = label.lower()
    if len(label) != 1 or lower == label:
        return False
    if lower == "a":
        return re.search(r"(?<![^\W_])\(?a\)", text) is not None
    return re.search(rf"(?<![^\W_]){lower}(?![^\W_])", text) is not None


def parsed_in_reply(sample: SampleRecord, parser: str, reply: str | None = None) -> str | None:
    """None when the parsed answer is in the reply (or nothing was parsed)."""
    text = sample.output if reply is None else reply
    parsed = sample.parsed
    if parsed is None or text is None:
        return None
    if parser == "number":
        wanted = _decimal(parsed)
        if wanted is None:
            return f"parsed {parsed!r} is not a number"
        for token in _NUMBER.findall(ascii_digits(text)):
            if wanted in number_readings(token):
                return None
        return f"parsed {parsed} is not a number in the reply"
    if parser == "choice":
        if len(parsed) != 1 or not "A" <= parsed <= "Z":
            return f"parsed {parsed!r} is not a label"
        index = ord(parsed) - ord("A")
        if index >= len(sample.choices):
            return f"parsed {parsed} names no option"
        if any(_standalone(label, text) for label in _labels(sample, index)):
            return None
        if _folded(sample.choices[index]) in _folded(text):
            return None
        return f"neither label {parsed} nor its option's text is in the reply"
    folded = _folded(text)
    for line in parsed.splitlines():
        if line.strip() and _folded(line) not in folded:
            return f"parsed line {line.strip()[:40]!r} is not in the reply"
    return None


def stated_answer(sample: SampleRecord, parser: str) -> tuple[str, bool] | None:
    """(the answer the reply states, whether its form is a known gap of the parsers), or None
    when the reply states none in a form this check reads."""
    text = sample.output
    if not text:
        return None
    if parser == "choice":
        return _stated_choice(text, sample.choices)
    if parser == "number":
        if sample.truncated and text == text.rstrip() and text[-1:].isdigit():
            return None  # cut right after a digit: the number may have been cut too
        return _stated_number(ascii_digits(text), sample.language)
    return None


def _stated_choice(text: str, choices: list[str]) -> tuple[str, bool] | None:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return None
    if len(lines) == 1 and (lone := _LONE_LABEL.fullmatch(lines[0])):
        label = lone.group(1)
        return (label, False) if ord(label) - ord("A") < len(choices) else None
    first = _LABEL_AND_TEXT.fullmatch(lines[0])
    if first is None:
        return None
    label, rest = first.group(1), first.group(2)
    index = ord(label) - ord("A")
    if index >= len(choices) or _folded(rest).strip(" .*") != _folded(choices[index]).strip(" ."):
        return None
    # a reply that goes on to name another option (to list them, or to state another answer)
    # or to write more lines like its first (labels of options there are none of) is not
    # stating this one
    if any(_LABEL_AND_TEXT.fullmatch(line) for line in lines[1:]):
        return None
    rest_text = "\n".join(lines[1:])
    for other, choice in enumerate(choices):
        if other != index and (
            re.search(rf"(?<![^\W_]){chr(ord('A') + other)}(?![^\W_])", rest_text)
            or _folded(choice) in _folded(rest_text)
        ):
            return None
    return label, True


def _stated_number(text: str, language: str) -> tuple[str, bool] | None:
    found: tuple[int, str, str] | None = None  # (end, phrase, number) of the last statement
    for phrase in ANSWER_PHRASES.get(language, ()):
        for match in re.finditer(re.escape(phrase), text, re.IGNORECASE):
            number = _STATED_NUMBER.match(text, match.end())
            if number is not None and (found is None or number.end() > found[0]):
                found = (number.end(), phrase, number.group(1))
    if found is None:
        return None
    end, phrase, number = found
    rest = text[end:]
    if re.search(r"\d", rest) or re.match(r"\s*[-+*/×÷=]", rest):
        return None  # more numbers or a calculation after it: not a plain statement
    grouped = re.search(rf"[{_SEPARATORS}]\d{{3}}", number) is not None
    value = re.sub(rf"[{_SEPARATORS}]", "", number) if grouped else number.replace(",", ".")
    canonical = _decimal(value)
    if canonical is None:
        return None
    return format(canonical.normalize(), "f"), phrase in KNOWN_PHRASES or grouped


def stated_answer_read(sample: SampleRecord, parser: str) -> tuple[str | None, bool]:
    """(a problem or None, whether the statement's form is a known gap of the parsers)."""
    stated = stated_answer(sample, parser)
    if stated is None:
        return None, False
    answer, known = stated
    if sample.parsed == answer:
        return None, known
    return f"the reply states {answer}, parsed {sample.parsed}", known


def before_next_question(sample: SampleRecord) -> str | None:
    """The reply up to where it writes a next question of its own ("\\n\\nQuestion:"), or None
    when it writes none."""
    text = sample.output or ""
    label = get_literals(sample.language).question
    match = re.search(rf"\n\s*{re.escape(label)}\s*[:：]", text)
    return text[: match.start()] if match else None


def has_verdict(sample: SampleRecord) -> str | None:
    if not sample.ok:
        return None
    verdict = sample.langid
    if not verdict or verdict.get("consistent") not in {"yes", "no", "und"}:
        return f"no language verdict: {verdict}"
    return None
