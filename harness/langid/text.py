"""What in a text carries language, and in which scripts.

`language_bearing` strips what carries no language: fenced and inline code, LaTeX and math
(`$...$`, `$$...$$`, `\\(...\\)`, `\\[...\\]`, environments, `\\boxed`, `\\frac` and every other
command), URLs, e-mail addresses, HTML tags, digits of any script, option labels ("(B)", "B)",
"B.", and any single Latin letter standing alone, as "Answer: B" leaves it), then punctuation and
symbols. What remains is words: runs of letters (with their combining marks, and apostrophes
between letters) of the scripts listed in scripts.tsv.

`letters` gives those words by script, the weighted letter count per script and the number of
words, where a script written without spaces (Han, kana, Thai, ...) counts one word per
`per_word` characters (scripts.tsv).

`bounded` is where the length of what is judged is capped: a verdict reads the first
`MAX_TEXT_CHARS` characters of a text, and a tokenizer or detector the first `MAX_LINE_CHARS` of
a line. Whatever a model or a predictions file gives, no input can crash or stall scoring: MeCab
crashes the process on a line of some 200,000 characters (and takes quadratic time on long runs
of unknown letters before that), and the stripping patterns above take quadratic time on texts
made of unclosed openers such as `\\(`. A prefix of that size is ample to tell a language.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from harness.langid.tables import INHERITED, tables

# Applied in this order, each only to texts holding one of its trigger strings; each match becomes
# a space.
_STRIP: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (triggers, re.compile(pattern, flags))
    for triggers, pattern, flags in (
        (("```", "~~~"), r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)", re.DOTALL),  # fenced code
        (("`",), r"`[^`\n]*`", 0),  # inline code
        (
            ("$$", "\\[", "\\(", "\\begin"),
            r"\$\$.*?\$\$|\\\[.*?\\\]|\\\(.*?\\\)|\\begin\{([A-Za-z*]+)\}.*?\\end\{\1\}",
            re.DOTALL,
        ),
        # inline math as pandoc reads it: no space inside the dollars, no digit after the closing
        # one, so that "$5 and $10" stays prose
        (("$",), r"\$(?=[^\s$])[^$\n]*?[^\s$\\]\$(?!\d)|\$[^\s$]\$", 0),
        (("\\",), r"\\[A-Za-z]+\*?", 0),  # LaTeX commands left: \boxed, \frac, \text, \times ...
        (("://", "www.", "WWW."), r"\b(?:https?|ftp)://\S+|\bwww\.\S+", re.IGNORECASE),
        (("@",), r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", 0),
        (("<",), r"</?[A-Za-z][^<>\n]*>", 0),  # HTML tags (their text stays)
        ((), r"\d+", 0),  # digits of every script
        (("(", "[", "（"), r"[(\[（]\s*[^\W\d_]\s*[)\]）]", 0),  # (B) [B] (ক) (أ)
        ((")", "."), r"(?<!\S)[^\W\d_][).](?=\s|$)", 0),  # B) B. ক)
        ((), r"(?<![^\W\d_])(?<!['’])[A-Za-z](?![^\W\d_]|['’])", 0),  # a Latin letter alone
    )
)
_APOSTROPHES = "'’"
MAX_TEXT_CHARS = 20_000
"""What a verdict reads of a text: its first characters (judge, and LCB's lines together)."""
MAX_LINE_CHARS = 5_000
"""What LCB's tokenizers (jieba, MeCab) and detectors read of one line: its first characters."""


def bounded(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """The text cut to its first `limit` characters: the one cap on what the language
    identifiers and tokenizers are given."""
    return text if len(text) <= limit else text[:limit]


@dataclass(frozen=True)
class Letters:
    """The language-bearing words of a text, by script."""

    runs: tuple[tuple[str, str], ...]  # (script, word) in text order
    weighted: dict[str, float]  # script -> letters, weighted as scripts.tsv says
    words: int

    @property
    def total(self) -> float:
        return sum(self.weighted.values())

    def shares(self) -> dict[str, float]:
        """Share of the weighted letters in each script, largest first."""
        total = self.total
        if not total:
            return {}
        ranked = sorted(self.weighted.items(), key=lambda item: -item[1])
        return {script: count / total for script, count in ranked}

    def text_in(self, scripts: Iterable[str]) -> str:
        """The words written in these scripts, space-separated."""
        wanted = set(scripts)
        return " ".join(word for script, word in self.runs if script in wanted)

    def count_in(self, scripts: Iterable[str]) -> tuple[float, int]:
        """The weighted letters and the words written in these scripts."""
        wanted = set(scripts)
        found = [(script, word) for script, word in self.runs if script in wanted]
        return sum(self.weighted.get(s, 0.0) for s in wanted), _count(found)


def prepare(text: str) -> str:
    """The text with code, math, URLs, digits and labels blanked out (punctuation still there)."""
    text = unicodedata.normalize("NFC", text)
    for triggers, pattern in _STRIP:
        if not triggers or any(trigger in text for trigger in triggers):
            text = pattern.sub(" ", text)
    return text


def runs(prepared: str) -> list[tuple[str, str]]:
    """(script, word) for every run of letters of one script in a prepared text."""
    found: list[tuple[str, str]] = []
    for match in _word_pattern().finditer(prepared):
        script = match.lastgroup
        if script is not None:
            found.append((script, match.group()))
    return found


def language_bearing(text: str) -> str:
    """The text without what carries no language: its words, space-separated."""
    return " ".join(word for _, word in runs(prepare(text)))


def letters(text: str) -> Letters:
    """The words of a text by script, with weighted letter counts and the number of words."""
    found = runs(prepare(text))
    scripts = tables().scripts
    weighted: dict[str, float] = {}
    for script, word in found:
        weighted[script] = weighted.get(script, 0.0) + _size(word) * scripts[script].weight
    return Letters(tuple(found), weighted, _count(found))


def _size(word: str) -> int:
    """Letters of a word (apostrophes left out)."""
    if "'" in word or "’" in word:
        return len(word) - word.count("'") - word.count("’")
    return len(word)


def _count(found: Iterable[tuple[str, str]]) -> int:
    """Words among runs of letters: one per run, or one per `per_word` letters for a script
    written without spaces."""
    scripts = tables().scripts
    words = 0
    for script, word in found:
        per_word = scripts[script].per_word
        words += 1 if per_word is None else max(1, round(_size(word) / per_word))
    return words


def count_words(chunk: str) -> int:
    """Words in a whitespace-free chunk of text: one, unless it holds letters of scripts written
    without spaces, which count one word per `per_word` characters, plus one for whatever else
    the chunk holds (a Latin name inside Chinese, digits)."""
    scripts = tables().scripts
    count = 0
    rest = chunk
    for script, word in runs(chunk):
        per_word = scripts[script].per_word
        if per_word is not None:
            count += max(1, round(len(word) / per_word))
            rest = rest.replace(word, " ", 1)
    if count == 0:
        return 1
    return count + (1 if rest.strip() else 0)


@cache
def _word_pattern() -> re.Pattern[str]:
    """One alternative per script, named after it: a letter of the script followed by letters,
    combining marks, or an apostrophe between two letters of the script."""
    scripts = tables().scripts
    inherited = _char_class(scripts[INHERITED].ranges)
    alternatives = []
    letters = ""
    for code, script in scripts.items():
        if code == INHERITED:
            continue
        own = _char_class(script.ranges)
        if not own:
            continue
        letters += own
        alternatives.append(
            f"(?P<{code}>[{own}](?:[{own}{inherited}]|[{_APOSTROPHES}](?=[{own}]))*)"
        )
    # the lookahead lets the engine skip a non-letter with one test instead of one per script
    return re.compile(f"(?=[{letters}])(?:{'|'.join(alternatives)})")


def _char_class(ranges: Iterable[tuple[int, int]]) -> str:
    """The letters and marks (categories L*, M*; ZWNJ and ZWJ) in the ranges, as the inside of a
    regular-expression character class."""
    keep = [
        point
        for first, last in ranges
        for point in range(first, min(last, sys.maxunicode) + 1)
        if unicodedata.category(chr(point))[0] in "LM" or point in (0x200C, 0x200D)
    ]
    parts: list[str] = []
    start = previous = -2
    for point in [*sorted(keep), -2]:
        if point == previous + 1:
            previous = point
            continue
        if start >= 0:
            parts.append(
                _escape(start) if start == previous else f"{_escape(start)}-{_escape(previous)}"
            )
        start = previous = point
    return "".join(parts)


def _escape(point: int) -> str:
    return f"\\U{point:08X}" if point > 0xFFFF else f"\\u{point:04X}"
