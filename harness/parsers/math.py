"""Math answers (MATH-500 style): the final answer as a LaTeX or text string.

The answer is the content of the last ``\\boxed{...}`` (or ``\\fbox{...}``; boxes in a row,
"\\boxed{2} and \\boxed{3}", are joined with commas), else the math right after the last answer
phrase (`the_answer_is`, or an answer word followed by a colon, dash or copula) up to the end of
its line or sentence, else, for a complete reply only, the reply's last number or numeric
fraction. Native digits and Arabic separators become ASCII. The string is scored by
`harness.metrics.math`, which decides mathematical equivalence; this parser only finds it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from harness.literals import Literals
from harness.parsers._text import Prompt, find_phrases, fold, strip_reasoning, with_cue

_BOX = re.compile(r"\\(?:boxed|fbox)\s*(?:\{|(?=[\s\d-]))")
_BOX_GAP = re.compile(r"(?:[\s,;$]|\\[,;!]|\\quad|\\text\{\s*(?:and|or)\s*\}|\band\b|\bor\b)*")
# A math span right after an answer phrase: $...$, $$...$$, \(...\), \[...\].
_MATH_SPAN = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.S)
# What may open an answer right after its phrase: a bracket, a dollar sign, a LaTeX wrapper.
_OPENER = re.compile(r"[(\[{$]|\\[(\[]|\\(?:text(?:bf)?|mathbf|boxed)\s*\{")
# The end of a stated answer: a line break, or a full stop, question mark or Urdu/Arabic full
# stop that is not a decimal point.
_SENTENCE_END = re.compile(r"\n|[.。](?=\s|$|\*)|[?؟۔]")
# A number: an integer (thousands grouped or not), a decimal, a fraction "3/4" or "\frac{3}{4}".
_LAST_NUMBER = re.compile(
    r"-?\\[dt]?frac\s*(?:\{\d+\}|\d)\s*(?:\{\d+\}|\d)"
    r"|(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?(?!\w)"
)
# Where a stated answer turns into an explanation: "12, since ...", "12 because ...".
_EXPLANATION = re.compile(
    r"\s*,?\s+(?:because|since|which|where|so that|given that|as shown|کیونکہ|چونکہ)\b.*",
    re.S | re.I,
)
_EDGE = " \t\r\n*_`\"'“”:=،,;"
# Arabic-script decimal and thousands separators and comma, and the minus sign, in ASCII.
_ASCII_PUNCT = str.maketrans({"٫": ".", "٬": ",", "،": ",", "−": "-"})


def parse_math(
    text: str,
    literals: Literals,
    choices: Sequence[str] | None = None,
    *,
    complete: bool = True,
    prompt: Prompt = None,
    form: str | None = None,
) -> str | None:
    """The reply's final answer as a string, or None. `choices` and `form` are ignored;
    `prompt`'s answer cue is read with the reply (see `with_cue`)."""
    clean = ascii_digits(fold(with_cue(strip_reasoning(text), prompt, literals)), literals.digits)
    boxed = _last_boxes(clean)
    if boxed is not None:
        return boxed
    stated = _after_phrase(clean, literals, complete=complete)
    if stated is not None:
        return stated
    if not complete:
        return None
    numbers = _LAST_NUMBER.findall(clean)
    return numbers[-1].replace(",", "") if numbers else None


def ascii_digits(text: str, digits: str = "") -> str:
    """`text` with every decimal digit (the language's `digits` and any Unicode decimal digit:
    "۱۲", "١٢") in ASCII, Arabic-script separators as "." and "," and "−" as "-"."""
    table = {ord(char): str(value) for value, char in enumerate(digits) if not char.isascii()}
    text = text.translate(table)
    if not text.isascii():
        text = "".join(_ascii_digit(char) for char in text)
    return text.translate(_ASCII_PUNCT)


def _ascii_digit(char: str) -> str:
    if char.isascii():
        return char
    value = unicodedata.decimal(char, None)
    return char if value is None else str(value)


def _last_boxes(text: str) -> str | None:
    """Content of the last closed box, joined with the boxes right before it."""
    boxes = _boxes(text)
    if not boxes:
        return None
    start, _, content = boxes[-1]
    found = [content]
    for prev_start, prev_end, prev in reversed(boxes[:-1]):
        if _BOX_GAP.fullmatch(text, prev_end, start) is None:
            break
        found.insert(0, prev)
        start = prev_start
    answer = ", ".join(part.strip() for part in found if part.strip())
    return answer or None


def _boxes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of every closed box; an unbraced "\\boxed 5" holds one token."""
    found = []
    for match in _BOX.finditer(text):
        if not match.group().endswith("{"):
            token = re.match(r"\s*(-?[\w.]+)", text[match.end() :])
            if token:
                found.append((match.start(), match.end() + token.end(), token.group(1)))
            continue
        end = closing_brace(text, match.end())
        if end is not None:
            found.append((match.start(), end + 1, text[match.end() : end]))
    return found


def closing_brace(text: str, pos: int) -> int | None:
    """Index of the "}" closing a brace opened just before `pos`; None when it never closes."""
    depth, i = 1, pos
    while i < len(text):
        if text[i] == "\\":  # an escaped character ("\\{", "\\}") or a command
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return i
        i += 1
    return None


def _after_phrase(text: str, literals: Literals, *, complete: bool) -> str | None:
    """The math stated after the last answer phrase that is followed by one. An answer word
    with no colon or copula after it counts only when a math span follows it directly
    ("حتمی جواب $5$ ہے")."""
    for phrase in reversed(find_phrases(text, literals)):
        start = _value_start(text, phrase.start, phrase.value_at)
        if not phrase.introduced and _MATH_SPAN.match(text, start) is None:
            continue
        value = _statement(text, start, complete=complete)
        if value:
            return value
    return None


def _value_start(text: str, phrase_start: int, value_at: int) -> int:
    """Where the stated answer begins: the phrase matcher skips brackets, dollar signs and
    LaTeX openers that belong to the answer here ("(1, 2)", "$x$", "\\[x\\]")."""
    opener = _OPENER.search(text, phrase_start, value_at)
    start = opener.start() if opener else value_at
    while start < len(text) and text[start] in " \t":
        start += 1
    return start


def _statement(text: str, start: int, *, complete: bool) -> str | None:
    """The answer that starts at `start`: its first math span if it opens with one, else the
    rest of the sentence. In a cut reply, an answer that runs to the very end may itself be
    cut."""
    span = _MATH_SPAN.match(text, start)
    if span is not None:
        return _trim(next(group for group in span.groups() if group is not None))
    end = _SENTENCE_END.search(text, start)
    if end is None and not complete:
        return None
    sentence = text[start : end.start() if end else len(text)]
    return _trim(_EXPLANATION.sub("", sentence))


def _trim(value: str) -> str | None:
    """The answer without the markdown, quotes, dollar signs and punctuation around it."""
    value = value.strip(_EDGE + "$").removesuffix("\\\\").strip(_EDGE)
    for opener, closer in (("\\(", "\\)"), ("\\[", "\\]")):
        value = value.removeprefix(opener).removesuffix(closer)
    value = value.strip(_EDGE).rstrip(".")
    return value.strip() or None
