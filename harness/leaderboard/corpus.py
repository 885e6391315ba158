"""The 95% interval of a corpus metric's macro average (chrF++, BLEU, TER), where the run's
summary gives none.

The summary averages a translation task's corpus metric over its pairs without an interval
(recomputing a corpus metric on resamples of every pair would cost more than the summary
itself: harness.analysis.summary), but scores.json has each pair's own interval, from a
bootstrap of its sentences. The interval of the macro average is taken here as the mean of the
pairs' bounds. That is conservative: its half-width is the mean of the pairs' half-widths, at
least the standard error of a mean of estimates however their errors are correlated (pairs that
translate the same source sentences are). The same pairs are averaged as in the summary: all,
those of one resource tier, those of one script (a pair counts under the language it is scored
in). Where a pair lacks its interval, or the pairs found are not those the summary averaged
(its record's `languages`), there is no interval.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.languages import get_language, is_known
from harness.leaderboard.ranks import Estimate
from harness.leaderboard.runs import Record, finite
from harness.metrics import CORPUS
from harness.translation.keys import scored_language

METHOD = "pairs_sentence_bootstrap_mean_of_bounds"  # the downloads' `ci_method`
NOTE = "95% interval: the mean of the pairs' sentence-bootstrap bounds (conservative)"
EXPLAINED = "the mean of the bounds of its pairs' own (sentence-bootstrap) intervals, conservative"


def is_corpus(metric: str) -> bool:
    return metric in CORPUS


def pairs_interval(
    estimate: Estimate, scores: Sequence[Record], metric: str, view: str, languages: int | None
) -> Estimate | None:
    """`estimate` (a macro average in `view`: "all", "tier:low", "script:Deva") with the
    interval its pairs' bounds give; None where they give none."""
    chosen = [
        r
        for r in scores
        if r.get("metric") == metric
        and finite(r.get("value"))
        and _in_view(str(r["language"]), view)
    ]
    if not chosen or (languages is not None and len(chosen) != languages):
        return None
    lows = [low for r in chosen if finite(low := r.get("ci_low"))]
    highs = [high for r in chosen if finite(high := r.get("ci_high"))]
    if len(lows) != len(chosen) or len(highs) != len(chosen):
        return None
    low, high = sum(lows) / len(lows), sum(highs) / len(highs)
    return Estimate(estimate.value, min(low, estimate.value), max(high, estimate.value))


def _in_view(pair: str, view: str) -> bool:
    if view == "all":
        return True
    scored = scored_language(pair)
    if not is_known(scored):
        return False
    kind, _, group = view.partition(":")
    language = get_language(scored)
    return (language.tier if kind == "tier" else language.script) == group
