"""Cleaning a model's translation before it is scored.

Chat models wrap a translation in things that are not part of it: reasoning blocks, a preamble
("Sure! Here is the translation:", "Traduction :", "翻译："), the source sentence restated above
it ("English: …" / "Source: …"), an explanation or a closing remark after it ("(Note: …)",
"I hope this helps!"), quotes or markdown around it. `clean_translation` removes them from the
edges of the reply, one at a time until none is left, and keeps every removed piece verbatim for
the sample record.

What counts as a preamble, a source label or a note label is data: preambles.yaml, English
patterns for every pair and literal phrases per language. The cleaning is careful not to damage
a real translation: a label counts only at the very start and only when a colon or a line break
ends it; when the source itself opens with a label ("He said: …", "Answer: yes") the
translation keeps its own; quotes stay when the source is quoted; a note is removed only where
the source has no note of its own; a reply that is only the source is left alone.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, RootModel, field_validator
from pydantic_core import PydanticCustomError

from harness.errors import PolyevalError
from harness.languages import get_language, is_known
from harness.parsers._text import strip_reasoning
from harness.schema import Problem, Where, at_line, describe_field, read_model

TABLE_PATH = Path(__file__).with_name("preambles.yaml")
_SHOWN = "harness/translation/preambles.yaml"
_NO_ENGLISH = "expected a mapping with an `english` row and language rows"


@dataclass(frozen=True)
class Cleaned:
    text: str  # what is scored
    stripped: tuple[str, ...]  # every piece removed, in order, verbatim (for the sample record)


def clean_translation(
    output: str, source: str, source_language: str, target_language: str
) -> Cleaned:
    """The translation in a model's `output`, without what the model wrapped around it."""
    answer = strip_reasoning(output)
    before, after = _reasoning_pieces(output, answer)
    context = _context(source, source_language, target_language)
    head: list[str] = []
    tail: list[str] = []
    text = answer.strip()
    context = replace(context, bare=not any(p.strip() for p in (*before, *after)))
    while (cut := _first_cut(text, context)) is not None:
        context = replace(context, bare=False)
        front, back = cut
        head.append(text[:front])
        tail.append(text[len(text) - back :])
        text = text[front : len(text) - back].strip()
    pieces = (piece.strip() for piece in (*before, *head, *reversed(tail), *after))
    return Cleaned(text, tuple(piece for piece in pieces if piece))


# --- What is removed ---------------------------------------------------------------------------

_SP = r"[^\S\n]"  # a space that is not a line break
_MARK = r"[*_]{0,2}"  # markdown emphasis
_HEADING = rf"(?:#{{1,6}}{_SP}*)?"
_ASIDE = rf"(?:{_SP}*[(\[][^)\]\n]{{1,40}}[)\]])?"  # "Translation (Nepali):", "Output [fr]:"
_COLON = rf"{_SP}*[:：፦]"  # "Traduction :" and the full-width and Ethiopic colons too
_QUOTE_MARKS = "\"'“”‘’«»„‹›「」『』`*_"
_END_OF_SENTENCE = ".!?。！？।॥۔؟։።"

# (opening, closing, kind): the whole translation in quotes or markdown. Longer marks first.
_WRAPPERS: tuple[tuple[str, str, str], ...] = (
    ("```", "```", "```"),
    ("**", "**", "**"),
    ("__", "__", "__"),
    ("`", "`", "`"),
    ("*", "*", "*"),
    ('"', '"', "quote"),
    ("“", "”", "quote"),
    ("„", "“", "quote"),
    ("„", "”", "quote"),
    ("«", "»", "quote"),
    ("»", "«", "quote"),
    ("‹", "›", "quote"),
    ("「", "」", "quote"),
    ("『", "』", "quote"),
    ("‘", "’", "quote"),
    ("'", "'", "quote"),
)
_APOSTROPHES = frozenset("'’")
_FENCE = re.compile(r"\A```[^\S\n]*[\w+.#-]*[^\S\n]*\n(?P<inner>.*?)\n[^\S\n]*```\Z", re.S)
# "He said: …", "Answer: yes": a short label and a colon at the start of the first line
_LABEL = re.compile(rf"\A\W{{0,3}}(?P<label>[^\W\d][^\n:：]{{0,40}}?){_COLON}")
_LINE_START = re.compile(r"\n\s*")
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")
_QUOTATION = re.compile(r"\A>[^\S\n]*(?=\S)")
# {quoted} in preambles.yaml: a quotation on one line
_QUOTED = r'(?:"[^"\n]*"|“[^”\n]*”|«[^»\n]*»|„[^“”\n]*[“”]|「[^」\n]*」)'


@dataclass(frozen=True)
class _Patterns:
    """The compiled table for one language pair."""

    preamble: re.Pattern[str]
    source_label: str  # a regex alternation
    note: re.Pattern[str]
    closing: re.Pattern[str]


@dataclass(frozen=True)
class _Context:
    """What the steps need to know about the pair and the source."""

    patterns: _Patterns
    source: str  # stripped
    bare: bool  # nothing removed yet: quotes around the whole reply are then its own
    source_labelled: bool
    source_has_note: bool
    source_paragraphs: int
    source_lines: int
    quoted_kinds: frozenset[str]  # wrapper kinds the source itself is wrapped in


_Cut = tuple[int, int]  # characters to remove from the front and from the back


def _first_cut(text: str, context: _Context) -> _Cut | None:
    for step in _STEPS:
        cut = step(text, context)
        if cut is not None and sum(cut) > 0:
            return cut
    return None


def _fence(text: str, context: _Context) -> _Cut | None:
    """A ``` code block around the whole translation (a language tag after ``` included)."""
    match = _FENCE.match(text)
    if match is None or "```" in match["inner"] or not match["inner"].strip():
        return None
    return match.start("inner"), len(text) - match.end("inner")


def _wrapper(text: str, context: _Context) -> _Cut | None:
    """Markdown around the whole translation, unless the source is wrapped alike; quotes only
    around what followed a label or the like ("Translation: “…”"): a bare quoted reply may be
    a quotation, as some references are."""
    for opening, closing, kind in _WRAPPERS:
        if kind == "quote" and context.bare:
            continue
        if kind not in context.quoted_kinds and _wraps(text, opening, closing):
            return len(opening), len(closing)
    return None


def _wraps(text: str, opening: str, closing: str) -> bool:
    """Whether `opening` at the start is closed by `closing` at the very end."""
    if not (text.startswith(opening) and text.endswith(closing)):
        return False
    inner = text[len(opening) : len(text) - len(closing)]
    if not inner.strip():
        return False
    depth = 0
    for at in range(len(inner)):
        if _apostrophe(inner, at):
            continue
        if opening != closing and inner.startswith(opening, at):
            depth += 1
        elif inner.startswith(closing, at):
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _apostrophe(text: str, at: int) -> bool:
    """An apostrophe between letters ("it's", "l’eau") is not a quotation mark."""
    return (
        text[at] in _APOSTROPHES
        and 0 < at < len(text) - 1
        and text[at - 1].isalpha()
        and text[at + 1].isalpha()
    )


def _preamble(text: str, context: _Context) -> _Cut | None:
    """A label at the start ending in a colon or a line break ("Translation:", "नेपाली:")."""
    match = context.patterns.preamble.match(text)
    if match is None:
        return None
    if context.source_labelled and not _labelled(text[match.end() :]):
        return None  # the label is the translation of the source's own
    return match.end(), 0


def _restated_source(text: str, context: _Context) -> _Cut | None:
    """The source sentence (labelled or not) on the first line(s), the translation after it."""
    source = context.source
    if not source or "\n" not in text or source.split()[-1] not in text:
        return None  # cannot match: the pattern needs the source's words and a line after
    match = _restated_pattern(source, context.patterns.source_label).match(text)
    return (match.end(), 0) if match else None


def _afterword(text: str, context: _Context) -> _Cut | None:
    """What follows the translation: a note ("Note: …") or a closing remark ("I hope this
    helps!") on a paragraph of its own, or a bracketed note ("(Note: …)") on a line of its own,
    and everything after it; only where the source has no note of its own."""
    if context.source_has_note:
        return None
    patterns = context.patterns
    for gap in _LINE_START.finditer(text):
        kept = text[: gap.start()]
        if gap.group().count("\n") > 1:  # after a blank line
            found = patterns.note.match(text, gap.end()) or patterns.closing.match(text, gap.end())
            enough = found is not None and _paragraphs(kept) >= context.source_paragraphs
        else:
            note = patterns.note.match(text, gap.end())
            enough = note is not None and note["open"] is not None
            enough = enough and _lines(kept) >= context.source_lines
        if enough:
            return 0, len(text) - gap.start()
    return None


def _blockquote(text: str, context: _Context) -> _Cut | None:
    """A one-line translation set off as a Markdown quotation ("> …")."""
    match = _QUOTATION.match(text)
    return (match.end(), 0) if match and "\n" not in text else None


_STEPS: tuple[Callable[[str, _Context], _Cut | None], ...] = (
    _fence,
    _wrapper,
    _preamble,
    _restated_source,
    _afterword,
    _blockquote,
)


def _labelled(text: str) -> bool:
    """Whether the text opens with a label: a few words and a colon, or a short first line
    without a full stop that more lines follow (a heading)."""
    first, _, more = text.strip().partition("\n")
    match = _LABEL.match(first)
    if match is not None and len(match["label"].split()) <= 5:
        return True
    heading = first.strip().rstrip("*_#")
    return (
        bool(more.strip())
        and 0 < len(heading) <= 40
        and len(heading.split()) <= 5
        and heading[-1] not in _END_OF_SENTENCE
    )


def _paragraphs(text: str) -> int:
    return sum(1 for part in _PARAGRAPH_BREAK.split(text) if part.strip())


def _lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


def _reasoning_pieces(output: str, answer: str) -> tuple[list[str], list[str]]:
    """The reasoning before and after the answer, verbatim. A reasoning block inside the answer
    (rare) is recorded after the rest."""
    if not answer:
        return [output], []
    at = output.find(answer)
    while at >= 0:
        before, after = output[:at], output[at + len(answer) :]
        if not strip_reasoning(before) and not strip_reasoning(after):
            return [before], [after]
        at = output.find(answer, at + 1)
    matcher = difflib.SequenceMatcher(None, output, answer, autojunk=False)
    gaps: list[str] = []
    end = 0
    for block in matcher.get_matching_blocks():
        gaps.append(output[end : block.a])
        end = block.a + block.size
    return gaps[:1], gaps[1:]


def _context(source: str, source_language: str, target_language: str) -> _Context:
    patterns = _patterns(source_language, target_language)
    source = source.strip()
    return _Context(
        patterns=patterns,
        source=source,
        bare=True,
        source_labelled=_labelled(source),
        source_has_note=any(
            patterns.note.match(source, at)
            for at in (0, *(gap.end() for gap in _LINE_START.finditer(source)))
        ),
        source_paragraphs=_paragraphs(source),
        source_lines=_lines(source),
        quoted_kinds=frozenset(
            kind
            for opening, closing, kind in _WRAPPERS
            if len(source) > len(opening + closing)
            and source.startswith(opening)
            and source.endswith(closing)
        ),
    )


@lru_cache(maxsize=256)
def _restated_pattern(source: str, label: str) -> re.Pattern[str]:
    """The source as written (any run of spaces for a space), maybe labelled and quoted, with
    more lines after it."""
    words = r"\s+".join(map(re.escape, source.split()))
    quote = f"[{re.escape(_QUOTE_MARKS)}]{{0,3}}"
    labelled = rf"(?:(?i:{label}){_ASIDE}{_SP}*{_MARK}{_COLON}{_MARK}\s*)?"
    return re.compile(rf"\A{_HEADING}{_MARK}{labelled}{quote}{words}{quote}(?={_SP}*\n\s*\S)")


# --- The table ---------------------------------------------------------------------------------


class _Row(BaseModel):
    """One row of preambles.yaml: regexes for `english`, literal phrases for a language."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    names: tuple[str, ...] = ()
    courtesies: tuple[str, ...] = ()
    preambles: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    closings: tuple[str, ...] = ()

    @field_validator("*")
    @classmethod
    def _not_blank(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not phrase.strip() for phrase in value):
            raise PydanticCustomError("phrases", "phrases must not be empty")
        return value


def _language(key: object) -> object:
    if key != "english" and not is_known(str(key)):
        raise PydanticCustomError("language", "unknown language {key}", {"key": repr(key)})
    return key


def _empty_row(value: object) -> object:
    return value or {}


_Language = Annotated[str, BeforeValidator(_language)]
_RowOrEmpty = Annotated[_Row, BeforeValidator(_empty_row)]


class _File(RootModel[dict[_Language, _RowOrEmpty]]):
    """preambles.yaml as written: `english` or a known language code -> its row."""


@dataclass(frozen=True)
class _Table:
    english: _Row
    languages: dict[str, _Row]


_KEYS = ("courtesies", "preambles", "sources", "notes", "closings")
_PLACEHOLDERS = ("{target}", "{source}", "{language}", "{quoted}")
# Spellings that stand for one another: comma-below and cedilla, Arabic and Persian-Urdu yeh
# and kaf, straight and curly apostrophes.
_VARIANTS = {
    "ș": "șş",
    "ş": "şș",
    "ț": "țţ",
    "ţ": "ţț",
    "ي": "يیى",
    "ی": "یيى",
    "ى": "ىیي",
    "ك": "كک",
    "ک": "کك",
    "'": "'’ʼ",
    "’": "’'ʼ",
}


@lru_cache(maxsize=256)
def _patterns(source_language: str, target_language: str) -> _Patterns:
    table = _table()
    rows = [table.languages.get(code) for code in dict.fromkeys((target_language, source_language))]
    literal = [row for row in rows if row is not None]
    target, source = _names(target_language), _names(source_language)
    fills = {
        "{target}": _alternation(target),
        "{source}": _alternation(source),
        "{language}": _alternation([*target, *source]),
        "{quoted}": _QUOTED,
    }

    def phrases(key: str) -> str:
        patterns = [_fill(pattern, fills) for pattern in getattr(table.english, key)]
        texts = {phrase for row in literal for phrase in getattr(row, key)}
        alternatives = [*patterns, *map(_literal, sorted(texts, key=len, reverse=True))]
        return "|".join(alternatives) or "(?!)"

    courtesy = rf"(?:(?:{phrases('courtesies')})(?:{_SP}*[!.,！，。、]+\s*|\s+))?"
    preamble = (
        rf"\A{courtesy}{_HEADING}{_MARK}{_SP}*(?:{phrases('preambles')}){_ASIDE}{_SP}*{_MARK}"
        rf"(?:{_COLON}{_MARK}|(?={_SP}*\n))"
    )
    note = (
        rf"(?P<open>[(\[])?{_SP}*{_MARK}(?:{phrases('notes')}){_MARK}{_ASIDE}{_SP}*{_MARK}"
        rf"{_COLON}"
    )
    english_target = target_language.partition("_")[0] == "eng"
    closings = "(?!)" if english_target else phrases("closings")
    closing = rf"{_MARK}(?:{closings})"
    source_label = f"{phrases('sources')}|{_alternation(source)}"
    return _Patterns(
        preamble=re.compile(preamble, re.IGNORECASE),
        source_label=source_label,
        note=re.compile(note, re.IGNORECASE),
        closing=re.compile(closing, re.IGNORECASE),
    )


def _names(code: str) -> list[str]:
    """The language's names: English (with and without a bracketed qualifier), native, extra."""
    row = _table().languages.get(code)
    names = list(row.names) if row else []
    if is_known(code):
        language = get_language(code)
        plain = re.sub(r"\s*\(.*?\)", "", language.name)
        names += [language.name, plain, language.native_name]
    return list(dict.fromkeys(name.strip() for name in names if name.strip()))


def _alternation(names: Sequence[str]) -> str:
    if not names:
        return "(?!)"
    return "(?:" + "|".join(_literal(name) for name in sorted(names, key=len, reverse=True)) + ")"


def _literal(phrase: str) -> str:
    """A regex for a literal phrase: any run of spaces for a space, variants for each other."""
    return r"\s+".join(
        "".join(f"[{_VARIANTS[char]}]" if char in _VARIANTS else re.escape(char) for char in word)
        for word in phrase.split()
    )


def _fill(pattern: str, fills: dict[str, str]) -> str:
    """An English pattern of the table, its spaces dropped and its placeholders filled."""
    pattern = "".join(pattern.split())
    for placeholder, value in fills.items():
        pattern = pattern.replace(placeholder, value)
    return pattern


@lru_cache(maxsize=4)
def _table(path: Path = TABLE_PATH) -> _Table:
    shown = _SHOWN if path == TABLE_PATH else str(path)
    data, root = read_model(path, _File, shown=shown, not_mapping=_NO_ENGLISH, describe=_describe)
    rows = dict(data.root)
    if "english" not in rows:
        raise PolyevalError(_NO_ENGLISH, shown)
    english = rows.pop("english")
    where = at_line(shown, root)
    for key, row in rows.items():
        if row.closings:
            raise PolyevalError(
                f"{key}.closings: closings are english only", where((key, "closings"))
            )
    _check_patterns(english, where)
    return _Table(english, rows)


def _describe(problem: Problem) -> str:
    """An unknown language as such; a bad phrase list by its place in the table."""
    if problem.kind == "language":
        return problem.msg
    if problem.kind in ("extra_forbidden", "missing"):
        return describe_field(problem)
    return f"{problem.path}: {problem.msg}"


def _check_patterns(row: _Row, where: Where) -> None:
    """Every English pattern compiles, whatever the placeholders stand for."""
    for key in _KEYS:
        for number, pattern in enumerate(getattr(row, key)):
            try:
                re.compile(_fill(pattern, dict.fromkeys(_PLACEHOLDERS, "(?:x)")))
            except re.error as exc:
                at = where(("english", key, number))
                raise PolyevalError(f"english.{key}[{number}]: {exc}", where=at) from None
