"""The line-level and word-level pass rates of the Language Confusion Benchmark (Marchisio et al.
2024, "Understanding and Mitigating Language Confusion in LLMs"; its compute_metrics.py), and their
harmonic mean, the language confusion pass rate.

A response is cut at the first "\\nQ:", ASCII punctuation is removed ("—" becomes a space, "،"
goes too), and it is split into lines. Lines of at least 5 tokens are judged. Tokens are the
paper's, by the expected language's writing system: jieba's for Chinese (spaces between words
count, as they do in `jieba.cut`), MeCab's for Japanese (fugashi with the unidic-lite
dictionary, `-O wakati`), whitespace-separated ones otherwise; scripts written without spaces
that LCB has no tokenizer for (Thai, Lao, Khmer, Burmese, Yi) count one token per `per_word`
characters of scripts.tsv, or no line of theirs would ever be long enough.

- `line_pass`: the response passes if every such line is in the target language. With
  `detector="lid176"` (the paper's protocol) a line is in it when fastText lid.176 (the "lite"
  model) labels it with the target language itself with a score above 0.3; a language lid.176
  does not know is judged as `judge` does. With the default detector a line is in it unless
  `judge` says it is not (a line judged "und", a formula, does not fail). None when no line
  has 5 tokens: not counted, as in LCB;
- `word_pass` (non-Latin-script targets only; None for Latin-script ones): the response passes
  if no token of those lines is an English word of the list (its lower-case words longer than
  3 letters, as LCB filters it). LCB counts it only for responses without line errors:
  `lcb_check` gives both verdicts that way, and `lcb_rates` the rates over a set of responses.

The English word list is Webster's Second International (`web2`, the /usr/share/dict/words of BSD
systems: the list LCB took) from the `english-words` package, pinned in pyproject.toml.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from harness.detectors import check_detector
from harness.langid import detectors
from harness.langid.judge import Target, judge, target
from harness.langid.tables import tables
from harness.langid.text import MAX_LINE_CHARS, bounded, count_words

ENGLISH_WORDS_SOURCE = "english-words==2.0.2 (web2: Webster's Second International)"
"""The English word list of `word_pass`, for run manifests."""
MIN_TOKENS = 5
_CUT = "\nQ:"
_PUNCTUATION = str.maketrans({**{c: None for c in string.punctuation}, "—": " ", "،": None})

Line = tuple[str, tuple[str, ...]]  # a judged line and its tokens


@dataclass(frozen=True)
class Rates:
    """LCB's rates over a set of responses (None where no response counts)."""

    line_pass_rate: float | None  # over responses with at least one line of 5 tokens
    word_pass_rate: float | None  # over those without line errors; None for Latin-script targets
    judged: int  # responses with at least one line of 5 tokens
    without_line_errors: int


def judged_lines(text: str, expected: str) -> list[Line]:
    """The lines LCB judges, with their tokens: cut at "\\nQ:", ASCII punctuation removed, at
    least 5 tokens. Of a long response only the first MAX_TEXT_CHARS characters are read, and of
    a long line its first MAX_LINE_CHARS (harness.langid.text.bounded): what the tokenizers and
    detectors are given is capped here."""
    system = target(expected).system
    text = bounded(text).split(_CUT)[0].strip().translate(_PUNCTUATION)
    cut = (bounded(line, MAX_LINE_CHARS) for line in text.split("\n"))
    lines = ((line, tokenize(line, system)) for line in cut)
    return [(line, tokens) for line, tokens in lines if _long_enough(line, tokens, system)]


@lru_cache(maxsize=2**16)
def tokenize(line: str, system: str) -> tuple[str, ...]:
    """The paper's tokens of a line written for a language of this writing system."""
    segment = _SEGMENTERS.get(system)
    return segment(line) if segment is not None else tuple(line.split())


def count_tokens(line: str) -> int:
    """Whitespace tokens, scripts written without spaces segmented by `per_word` characters."""
    return sum(count_words(chunk) for chunk in line.split())


@dataclass(frozen=True)
class LcbVerdict:
    """LCB's verdicts on one response, and what failed them."""

    line_pass: bool | None  # None: no line judged
    word_pass: bool | None  # None: a Latin-script target, or line errors (LCB does not count it)
    failed_line: str | None = None  # the first line not in the expected language
    english_words: tuple[str, ...] = ()  # the English words that fail the word level

    @property
    def levels(self) -> tuple[bool | None, bool | None]:
        return self.line_pass, self.word_pass

    def as_record(self) -> dict[str, Any]:
        """What failed, for the sample's record (empty where nothing did)."""
        record: dict[str, Any] = {}
        if self.failed_line is not None:
            record["failed_line"] = self.failed_line
        if self.english_words:
            record["english_words"] = list(self.english_words)
        return record


def lcb_check(text: str, expected: str, detector: str = "default") -> LcbVerdict:
    """LCB's verdicts on one response: whether its lines are all in the expected language, and
    whether it holds no English word."""
    check_detector(detector)
    want = target(expected)
    lines = judged_lines(text, want.code)
    verdicts = [(line, _line_ok(line, want, detector)) for line, _ in lines]
    judged = [(line, ok) for line, ok in verdicts if ok is not None]
    if not judged:
        return LcbVerdict(None, None)
    failed = next((line for line, ok in judged if not ok), None)
    if failed is not None:
        return LcbVerdict(False, None, failed_line=failed)
    if want.system == "Latn":
        return LcbVerdict(True, None)
    english = _english_words(lines)
    return LcbVerdict(True, not english, english_words=english)


def line_pass(text: str, expected: str, detector: str = "default") -> bool | None:
    """Whether every line of 5+ tokens is in the expected language; None if no such line."""
    return lcb_check(text, expected, detector).line_pass


def word_pass(text: str, expected: str) -> bool | None:
    """Whether no line of 5+ tokens holds an English word, whatever language the lines are in;
    None for Latin-script targets and for responses without such a line."""
    if target(expected).system == "Latn":
        return None
    lines = judged_lines(text, expected)
    return not _english_words(lines) if lines else None


def lcb_rates(texts: Iterable[str], expected: str, detector: str = "lid176") -> Rates:
    """LCB's line-level and word-level pass rates for responses in one language (the paper's
    detector, lid.176, by default)."""
    judged = passed = clean = 0
    for text in texts:
        line, word = lcb_check(text, expected, detector).levels
        judged += line is not None
        passed += line is True
        clean += word is True
    latin = target(expected).system == "Latn"
    return Rates(
        line_pass_rate=passed / judged if judged else None,
        word_pass_rate=None if latin or not passed else clean / passed,
        judged=judged,
        without_line_errors=passed,
    )


def harmonic_mean(line: float | None, word: float | None) -> float | None:
    """The language confusion pass rate: the harmonic mean of the line-level and word-level pass
    rates; the line-level rate alone where no word-level rate is computed (Latin scripts)."""
    if line is None or word is None:
        return line
    return 0.0 if line + word == 0 else 2 * line * word / (line + word)


@cache
def english_words() -> frozenset[str]:
    """The lower-case words longer than 3 letters of the web2 list."""
    from english_words import get_english_words_set  # type: ignore[import-untyped]

    words: set[str] = get_english_words_set(["web2"])
    return frozenset(w for w in words if w.islower() and len(w) > 3)


def _english_words(lines: list[Line]) -> tuple[str, ...]:
    """The English words among the lines' tokens, each once, in order."""
    words = english_words()
    found = (token.strip() for _, tokens in lines for token in tokens)
    return tuple(dict.fromkeys(token for token in found if token in words))


def _long_enough(line: str, tokens: tuple[str, ...], system: str) -> bool:
    script = tables().scripts.get(system)
    if system not in _SEGMENTERS and script is not None and script.per_word is not None:
        return count_tokens(line) >= MIN_TOKENS  # Thai, Lao...: no tokenizer in the protocol
    return len(tokens) >= MIN_TOKENS


def _line_ok(line: str, want: Target, detector: str) -> bool | None:
    if detector != "lid176" or not want.lid176_knows:
        return judge(line, want.code, detector).consistent
    (label, score), *_ = detectors.lid176_ranking(line, k=1) or [("", 0.0)]
    return (
        want.code in detectors.label_codes(label) and score > tables().thresholds.lid176_min_score
    )


@cache
def _jieba() -> Any:
    import jieba  # type: ignore[import-untyped]

    jieba.setLogLevel(logging.WARNING)  # not its "Building prefix dict" notes on every run
    jieba.initialize()
    return jieba


@cache
def _mecab() -> Any:
    from fugashi import Tagger  # type: ignore[import-untyped]

    return Tagger("-O wakati -b 50000")  # the unidic-lite dictionary, as the paper's script


def _jieba_tokens(line: str) -> tuple[str, ...]:
    return tuple(_jieba().cut(line))


def _mecab_tokens(line: str) -> tuple[str, ...]:
    return tuple(_mecab().parse(line).split())


_SEGMENTERS: dict[str, Callable[[str], tuple[str, ...]]] = {
    "Hani": _jieba_tokens,  # Chinese
    "Jpan": _mecab_tokens,  # Japanese
}
