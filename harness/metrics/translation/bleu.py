"""BLEU sentence statistics of a whole corpus at once.

`FastBLEU` is sacrebleu's BLEU with `_extract_corpus_statistics` computed by `ngram_matches`
after sacrebleu's own tokenizer: the same rows (hypothesis length, closest reference length,
matches and totals per n-gram order), and the same warning for input that looks tokenized.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from sacrebleu.metrics.bleu import BLEU

from harness.metrics.translation.ngrams import IntArray, Tokens, ngram_matches, word_tokens

_sacrelogger = logging.getLogger("sacrebleu")
_TOKENIZED_WARNING = (  # what sacrebleu's BLEU logs for input that looks tokenized
    "That's 100 lines that end in a tokenized period ('.')",
    "It looks like you forgot to detokenize your test data, which may hurt your score.",
    "If you insist your data is detokenized, or don't care, you can suppress this message with "
    "the `force` parameter.",
)


class FastBLEU(BLEU):
    """sacrebleu's BLEU with the n-gram matches of the whole corpus counted at once (after
    sacrebleu's own tokenizer)."""

    def _extract_corpus_statistics(
        self, hypotheses: Sequence[str], references: Sequence[Sequence[str | None]] | None
    ) -> Any:
        if not references:
            return super()._extract_corpus_statistics(hypotheses, cast(Any, references))
        if not self._force and sum(h.endswith(" .") for h in hypotheses) >= 100:
            for line in _TOKENIZED_WARNING:
                _sacrelogger.warning(line)
        vocabulary: dict[str, int] = {}
        hyp = word_tokens([self._preprocess_segment(h).split() for h in hypotheses], vocabulary)
        refs = [self._stream_tokens(stream, vocabulary) for stream in references]
        ref_len = _closest_lengths(hyp, refs, references)
        order = self.max_ngram_order
        correct = ngram_matches(hyp, refs, order)
        total = np.stack([np.maximum(hyp.lengths - k, 0) for k in range(order)], axis=1)
        stats = np.column_stack([hyp.lengths, ref_len, correct, total])
        return stats.tolist()

    def _stream_tokens(self, stream: Sequence[str | None], vocabulary: dict[str, int]) -> Tokens:
        """One reference stream tokenized; no words where a sample has no reference."""
        words = [self._preprocess_segment(r).split() if r is not None else [] for r in stream]
        return word_tokens(words, vocabulary)


def _closest_lengths(
    hyp: Tokens, refs: Sequence[Tokens], streams: Sequence[Sequence[str | None]]
) -> IntArray:
    """sacrebleu's `_get_closest_ref_len` of every sentence: the reference length closest to the
    hypothesis length, the shorter one on a tie."""
    n = len(hyp.lengths)
    ref_len = np.zeros(n, np.int64)
    closest = np.full(n, -1, np.int64)  # distance to the closest reference length
    for ref, stream in zip(refs, streams, strict=True):
        present = np.fromiter((r is not None for r in stream), bool, n)
        diff = np.abs(hyp.lengths - ref.lengths)
        take = present & (
            (closest == -1) | (diff < closest) | ((diff == closest) & (ref.lengths < ref_len))
        )
        closest[take] = diff[take]
        ref_len[take] = ref.lengths[take]
    return ref_len
