"""The line-level and word-level pass rates of the Language Confusion Benchmark (Marchisio et al.
2024, "Understanding and Mitigating Language Confusion in LLMs"; its compute_metrics.py).

A response is cut at the first "\\nQ:", ASCII punctuation is removed ("—" becomes a space, "،"
goes too), and it is split into lines. Lines of at least 5 tokens are judged:

- tokens are whitespace-separated, except in scripts written without spaces (Han, kana, Thai,
  Lao, Khmer, Burmese), where `per_word` characters of scripts.tsv make one token (1.5 for Han
  and hiragana, 2.5 for katakana, 4 for Thai...): an approximation of the jieba (zh) and MeCab
  (ja) segmentations the paper uses, which would need dictionaries this package does not ship;
- `line_pass`: the response passes if every such line is in the target language. With
  `detector="lid176"` a line is in it when fastText lid.176 (the "lite" model) gives it the
  target language with a score above 0.3, as in the paper, except that equivalent languages
  (langid.yaml) count as the target and languages lid.176 does not know are judged as `judge`
  does; with the default detector a line is in it unless `judge` says it is not (a line judged
  "und", a formula, does not fail). None when no line has 5 tokens (not counted, as in LCB);
- `word_pass` (non-Latin-script targets only; None for Latin-script ones): the response passes
  if none of those lines holds an English word: a run of ASCII letters found, as written, in the
  word list (its lower-case words longer than 3 letters, as LCB filters it). LCB's word-level
  rate counts only responses without line errors: `lcb_rates` does both.

The English word list is Webster's Second International (`web2`, the /usr/share/dict/words of BSD
systems: the list LCB took) from the `english-words` package, pinned in pyproject.toml.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from harness.langid import detectors
from harness.langid.judge import check_detector, judge, target
from harness.langid.tables import tables
from harness.langid.text import count_words

ENGLISH_WORDS_SOURCE = "english-words==2.0.2 (web2: Webster's Second International)"
"""The English word list of `word_pass`, for run manifests."""
MIN_TOKENS = 5
_CUT = "\nQ:"
_PUNCTUATION = str.maketrans({**{c: None for c in string.punctuation}, "—": " ", "،": None})
_ASCII_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Rates:
    """LCB's rates over a set of responses (None where no response counts)."""

    line_pass_rate: float | None  # over responses with at least one line of 5 tokens
    word_pass_rate: float | None  # over those without line errors; None for Latin-script targets
    judged: int  # responses with at least one line of 5 tokens
    without_line_errors: int


def judged_lines(text: str) -> list[str]:
    """The lines LCB judges: cut at "\\nQ:", ASCII punctuation removed, at least 5 tokens."""
    text = text.split(_CUT)[0].strip().translate(_PUNCTUATION)
    return [line for line in text.split("\n") if count_tokens(line) >= MIN_TOKENS]


def count_tokens(line: str) -> int:
    """Whitespace tokens, scripts written without spaces segmented by `per_word` characters."""
    return sum(count_words(chunk) for chunk in line.split())


def line_pass(text: str, expected: str, detector: str = "default") -> bool | None:
    """Whether every line of 5+ tokens is in the expected language; None if no such line."""
    check_detector(detector)
    target(expected)
    lines = judged_lines(text)
    if not lines:
        return None
    judged = [_line_ok(line, expected, detector) for line in lines]
    verdicts = [ok for ok in judged if ok is not None]
    return all(verdicts) if verdicts else None


def word_pass(text: str, expected: str) -> bool | None:
    """Whether no line of 5+ tokens holds an English word; None for Latin-script targets and
    for responses without such a line."""
    if target(expected).system == "Latn":
        return None
    lines = judged_lines(text)
    if not lines:
        return None
    words = english_words()
    return not any(word in words for line in lines for word in _ASCII_WORD.findall(line))


def lcb_rates(texts: Iterable[str], expected: str, detector: str = "lid176") -> Rates:
    """LCB's line-level and word-level pass rates for responses in one language (the paper's
    detector, lid.176, by default)."""
    judged = passed = clean = 0
    for text in texts:
        line = line_pass(text, expected, detector)
        if line is None:
            continue
        judged += 1
        if line:
            passed += 1
            if word_pass(text, expected) is not False:
                clean += 1
    latin = target(expected).system == "Latn"
    return Rates(
        line_pass_rate=passed / judged if judged else None,
        word_pass_rate=None if latin or not passed else clean / passed,
        judged=judged,
        without_line_errors=passed,
    )


@cache
def english_words() -> frozenset[str]:
    """The lower-case words longer than 3 letters of the web2 list."""
    from english_words import get_english_words_set  # type: ignore[import-untyped]

    words: set[str] = get_english_words_set(["web2"])
    return frozenset(w for w in words if w.islower() and len(w) > 3)


def _line_ok(line: str, expected: str, detector: str) -> bool | None:
    if detector != "lid176":
        return judge(line, expected, detector).consistent
    want = target(expected)
    if not want.lid176_knows:
        return judge(line, expected, detector).consistent
    (label, score), *_ = detectors.lid176_ranking(line, k=1) or [("", 0.0)]
    codes = set(detectors.label_codes(label))
    return bool(codes & want.accepted) and score > tables().thresholds.lid176_min_score
