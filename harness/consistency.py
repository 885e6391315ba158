"""Language consistency of every answer: is it written in the language it should be?

Each sample's record in samples.jsonl gets `langid`, the verdict on the reply outside any
reasoning block (detected language, confidence, script shares, consistent yes/no/und, how it
was decided), and `langid_reasoning`, the verdict on the reasoning where the model gave one.
Per-sample scores aggregate like every other metric; a sample whose language cannot be told
("und": too short, or no clear evidence either way) has none of them, so it is counted apart
and never as a failure:

- `consistency`: 1 if the reply is in the expected language, 0 if not;
- `language_normalised`: the task's primary per-sample metric, 0 where the reply is in the
  wrong language (right answer *and* right language, as SEA-HELM reports it);
- `line_pass`, `word_pass`, only for a task that lists them among its metrics (the Language
  Confusion Benchmark): LCB's line-level pass (every line of 5+ tokens in the expected
  language) and word-level pass (no English word inside a reply in a non-Latin script, counted
  only for replies that pass the line level, as LCB counts it). Other tasks skip these checks
  and their tokenizers (jieba, MeCab).

The expected language is the item's, a translation's target (after a round trip: the source
again), or the variant's `reply_language` (MGSM's EN-COT reasons in English). The judge is the
run's detector (`--langid`): the project's default, or fastText lid.176 as LCB uses it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from harness.langid import judge
from harness.langid.lcb import lcb_check
from harness.metrics import LANGUAGE
from harness.reasoning import split_reasoning

LANGUAGE_METRICS = LANGUAGE  # the scores added here: harness.metrics.registry
LCB_LEVELS = ("line_pass", "word_pass")
"""The metrics that need the Language Confusion Benchmark's line and word checks."""


def expected_language(reply_language: str | None, scored: str) -> str:
    """The language a reply should be in: the variant's `reply_language` where it sets one,
    else the one its item is scored in (SampleRecord.scored_language)."""
    return reply_language if reply_language is not None else scored


def language_scores(
    output: str,
    reasoning: str | None,
    expected: str,
    primary: float | None,
    detector: str = "default",
    metrics: Collection[str] = (),
) -> tuple[dict[str, float], dict[str, Any]]:
    """The per-sample language scores of a reply, and the verdicts for its record.
    `primary` is the sample's primary metric (None where the task has no per-sample one);
    `detector` the language identifier (`--langid`: default or lid176); `metrics` the task's
    metrics: LCB's line and word checks run only where they list `line_pass` or `word_pass`."""
    thought, answer = split_reasoning(output)
    verdict = judge(answer, expected, detector)
    scores: dict[str, float] = {}
    if verdict.consistent is not None:
        scores["consistency"] = float(verdict.consistent)
    if primary is not None:
        scores["language_normalised"] = 0.0 if verdict.consistent is False else primary
    details: dict[str, Any] = {"langid": verdict.as_record()}
    if any(name in metrics for name in LCB_LEVELS):
        lcb = lcb_check(answer, expected, detector)
        for name, passed in (("line_pass", lcb.line_pass), ("word_pass", lcb.word_pass)):
            if passed is not None:
                scores[name] = float(passed)
        if failed := lcb.as_record():  # the line or the English words that failed LCB's levels
            details["lcb"] = failed
    reasoned = reasoning or thought
    if reasoned:
        details["langid_reasoning"] = judge(reasoned, expected, detector).as_record()
    return scores, details
