"""The corpus metrics of translation tasks: BLEU, chrF++ and TER over each pair's corpus, with
sentence-level chrF++ per sample for drill-down (each output is cleaned and judged for its
language by harness.scorer first).

Scores are fractions like every other metric in a run (BLEU 0.3412 is sacrebleu's 34.12);
TER can exceed 1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from harness.progress import Stage, quiet
from harness.record import SampleRecord, ScoreRecord


def score_corpora(
    samples: Sequence[SampleRecord],
    metrics: Mapping[str, Sequence[str]],
    seed: int = 12345,
    stage: Stage = quiet,
) -> tuple[list[SampleRecord], list[ScoreRecord]]:
    """Corpus scores per task x variant x pair for the tasks in `metrics` (task -> its corpus
    metrics: harness.scorer.corpus_metrics), and the samples with each one's sentence chrF++
    added. Failed requests are left out of the corpus: missing, not wrong; so are texts
    scored by log-likelihood (bits per byte: harness.loglikelihood.scoring). `stage` is told
    of the corpora's samples, and of each corpus scored."""
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for index, sample in enumerate(samples):
        if sample.task in metrics and sample.scores and sample.continuations is None:
            groups[(sample.task, sample.variant, sample.language)].append(index)
    if not groups:  # sacrebleu (and numpy) only for runs with a corpus to score
        return list(samples), []
    from harness.metrics.translation import corpus_scores

    updated = list(samples)
    records = []
    advance = stage("corpus metrics", sum(map(len, groups.values())))
    for (task, variant, language), indices in sorted(groups.items()):
        hypotheses = [samples[i].parsed or "" for i in indices]
        references = [list(samples[i].accepted) for i in indices]
        target = samples[indices[0]].scored_language
        outcome = corpus_scores(hypotheses, references, target, list(metrics[task]), seed=seed)
        for i, sentence in zip(indices, outcome.sentence_chrf, strict=True):
            scores = {**samples[i].scores, "sentence_chrf": sentence / 100}
            updated[i] = samples[i].model_copy(update={"scores": scores})
        records += [
            ScoreRecord(
                task=task,
                variant=variant,
                language=language,
                metric=metric,
                value=score.value / 100,
                n=score.n,
                ci_low=score.ci_low / 100,
                ci_high=score.ci_high / 100,
                signature=score.signature,
            )
            for metric, score in outcome.scores.items()
        ]
        advance(len(indices))
    return updated, records
