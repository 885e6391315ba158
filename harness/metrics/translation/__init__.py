"""Corpus-level machine-translation metrics through sacrebleu: chrF++, BLEU and TER, with 95%
bootstrap intervals, sentence-level chrF++ for drill-down, and a paired bootstrap test between two
systems.

Every number is sacrebleu's (the pinned version): corpus values, sentence chrF++, bootstrap
resamples and p-values equal those of sacrebleu's own code, which the tests check. Only the work
is organised differently, for speed. The modules:

- settings.py: the sacrebleu settings per target language (translation.yaml);
- inputs.py: checks of the hypotheses, references and metric names, and sacrebleu's streams;
- engine.py: which code computes the sentence statistics (the fast subclasses below at the
  pinned sacrebleu, sacrebleu's own classes otherwise) and in how many processes;
- ngrams.py: clipped n-gram matches of a whole corpus at once, with numpy;
- chrf.py, bleu.py: chrF++ and BLEU statistics from those matches; chrF++ of every sentence;
- ter.py: TER statistics by sacrebleu's algorithm, doing less work;
- bootstrap.py: the resampled sums, scores, percentiles and paired p-value;
- corpus.py: `corpus_scores`; paired.py: `paired_bootstrap`.
"""

from harness.metrics.translation.corpus import CorpusResult, CorpusScore, corpus_scores
from harness.metrics.translation.engine import PARALLEL_MIN_SENTENCES, PINNED_SACREBLEU
from harness.metrics.translation.paired import PairedResult, paired_bootstrap
from harness.metrics.translation.settings import CORPUS_METRICS, SETTINGS_PATH, metric_settings

__all__ = [
    "CORPUS_METRICS",
    "PARALLEL_MIN_SENTENCES",
    "PINNED_SACREBLEU",
    "SETTINGS_PATH",
    "CorpusResult",
    "CorpusScore",
    "PairedResult",
    "corpus_scores",
    "metric_settings",
    "paired_bootstrap",
]
