"""Scoring translations: each output cleaned of what wraps it, then BLEU, chrF++ and TER over
each pair's corpus, with sentence-level chrF++ per sample for drill-down.

Scores are fractions like every other metric in a run (BLEU 0.3412 is sacrebleu's 34.12);
TER can exceed 1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from harness.consistency import language_scores
from harness.metrics import CORPUS
from harness.records import Request, Response, Sample, ScoredSample
from harness.translation.cleaning import clean_translation
from harness.translation.pairs import pair_of

SampleKey = tuple[str, str, str, str]


def score_output(
    request: Request, response: Response, sample: Sample, cached: bool, detector: str = "default"
) -> ScoredSample:
    """One translation, cleaned; what was stripped goes into the sample's record."""
    pair = pair_of(request.language)
    source_language, target_language = _languages(request.language)
    cleaned = clean_translation(
        response.text, str(sample.fields.get("source", "")), source_language, target_language
    )
    language, details = language_scores(
        cleaned.text, response.reasoning, target_language, None, detector
    )
    if cleaned.stripped:
        details["stripped"] = list(cleaned.stripped)
    if pair is not None and pair.round_trip:
        details["round_trip"] = True
    scores = {"parse_rate": float(bool(cleaned.text)), **language}
    return ScoredSample(request, response, cleaned.text, scores, cached, details)


def score_corpora(
    results: Sequence[ScoredSample],
    samples: Mapping[SampleKey, Sample],
    metrics: Mapping[str, Sequence[str]],
    seed: int = 12345,
) -> tuple[list[ScoredSample], list[dict[str, Any]]]:
    """Corpus scores per task x variant x pair for the tasks in `metrics` (task -> its corpus
    metrics), and the results with each sample's sentence chrF++ added. Failed requests are
    left out of the corpus: missing, not wrong."""
    from harness.metrics.translation import corpus_scores  # TEMP until module lands

    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for index, result in enumerate(results):
        r = result.request
        if r.task in metrics and result.scores:
            groups[(r.task, r.variant, r.language)].append(index)
    updated = list(results)
    records = []
    for (task, variant, language), indices in sorted(groups.items()):
        hypotheses = [results[i].parsed or "" for i in indices]
        references = [_references(samples[results[i].request.key]) for i in indices]
        target = _languages(language)[1]
        wanted = [m for m in metrics[task] if m in CORPUS]
        outcome = corpus_scores(hypotheses, references, target, wanted, seed=seed)
        for i, sentence in zip(indices, outcome.sentence_chrf, strict=True):
            scores = {**results[i].scores, "sentence_chrf": sentence / 100}
            updated[i] = replace(results[i], scores=scores)
        for metric, score in outcome.scores.items():
            records.append(
                {
                    "task": task,
                    "variant": variant,
                    "language": language,
                    "metric": metric,
                    "by": None,
                    "group": None,
                    "value": score.value / 100,
                    "n": score.n,
                    "ci_low": score.ci_low / 100,
                    "ci_high": score.ci_high / 100,
                    "signature": score.signature,
                }
            )
    return updated, records


def _references(sample: Sample) -> list[str]:
    return list(sample.answers or (sample.gold,))


def _languages(key: str) -> tuple[str, str]:
    """The language a scored output translates from, and the one it is written in."""
    pair = pair_of(key)
    if pair is None:
        return key, key
    if pair.round_trip:  # the scored leg goes back from the pivot to the source
        return pair.target, pair.source
    return pair.source, pair.target
