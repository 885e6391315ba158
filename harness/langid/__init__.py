"""Language identification of answers: is a text in the language it was asked for?

    judge(text, expected, detector="default") -> Verdict
    judging_limit(code) -> str               what a verdict on a language cannot tell ("" if none)
    language_bearing(text) -> str            the text without what carries no language
    line_pass(text, expected, detector) -> bool | None    LCB line level
    word_pass(text, expected) -> bool | None              LCB word level (non-Latin targets)
    lcb_check(text, expected, detector)                   both, as LCB counts them
    harmonic_mean(line_rate, word_rate)                   LCB's language confusion pass rate

How a verdict is reached is told in harness/langid/judge.py; the knowledge behind it is data:
scripts.tsv (Unicode ranges of scripts) and langid.yaml (letter rules, equivalence classes,
thresholds, detector labels). Accuracy is measured by benchmarks/langid_accuracy.py, and when a
verdict says "no" is calibrated by benchmarks/langid_pairs.py.
"""

from __future__ import annotations

from harness.detectors import DETECTORS
from harness.langid.judge import (
    METHODS,
    Verdict,
    judge,
    judging_limit,
    language_name,
)
from harness.langid.lcb import (
    ENGLISH_WORDS_SOURCE,
    LcbVerdict,
    Rates,
    harmonic_mean,
    lcb_check,
    lcb_rates,
    line_pass,
    word_pass,
)
from harness.langid.text import language_bearing

__all__ = [
    "DETECTORS",
    "ENGLISH_WORDS_SOURCE",
    "METHODS",
    "LcbVerdict",
    "Rates",
    "Verdict",
    "describe",
    "harmonic_mean",
    "judge",
    "judging_limit",
    "language_bearing",
    "lcb_check",
    "lcb_rates",
    "line_pass",
    "word_pass",
]


def describe(verdict: Verdict, lcb: LcbVerdict | None = None) -> str:
    """The verdict (and LCB's, where given) as lines for people: `evaluate langid` prints it."""

    def named(code: str | None) -> str:
        if code is None:
            return "-"
        name = language_name(code)
        return f"{code} ({name})" if name else code

    shares = ", ".join(f"{script} {share:.2f}" for script, share in verdict.scripts.items())
    rows = [
        ("expected", named(verdict.expected)),
        ("detected", named(verdict.detected)),
        ("confidence", "-" if verdict.confidence is None else f"{verdict.confidence:.2f}"),
        ("scripts", shares or "-"),
        ("consistent", verdict.label),
        ("method", verdict.method),
    ]
    if verdict.note:
        rows.append(("note", verdict.note))
    if lcb is not None:
        rows.append(("LCB line", _level(lcb.line_pass) + _quoted(lcb.failed_line)))
        rows.append(("LCB word", _level(lcb.word_pass) + _quoted(", ".join(lcb.english_words))))
    return "\n".join(f"{key:<11} {value}" for key, value in rows)


def _level(passed: bool | None) -> str:
    return "not counted" if passed is None else "pass" if passed else "fail"


def _quoted(text: str | None) -> str:
    return f": {text}" if text else ""
