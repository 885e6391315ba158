"""chrF++ sentence statistics of a whole corpus at once, and the chrF++ of every sentence.

`FastCHRF` is sacrebleu's CHRF with `_extract_corpus_statistics` computed by `ngram_matches`:
the same rows (hypothesis n-grams, reference n-grams, matches per character and word order) for
the reference with the best F score, the first of equal ones, as sacrebleu keeps it.
`chrf_f_scores` is `CHRF._compute_f_score` of every row, the same float64 operations in the same
order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from sacrebleu.metrics.chrf import CHRF

from harness.metrics.translation.ngrams import (
    IntArray,
    Tokens,
    char_tokens,
    ngram_matches,
    word_tokens,
)

FloatArray = npt.NDArray[np.float64]


class FastCHRF(CHRF):
    """sacrebleu's CHRF with the sentence statistics counted for the whole corpus at once."""

    def _extract_corpus_statistics(
        self, hypotheses: Sequence[str], references: Sequence[Sequence[str | None]] | None
    ) -> Any:
        if self.eps_smoothing or not references:
            return super()._extract_corpus_statistics(hypotheses, cast(Any, references))
        hyps = [self._preprocess_segment(h) for h in hypotheses]
        vocabulary: dict[str, int] = {}
        hyp_chars = self._chars(hyps)
        hyp_words = self._words(hyps, vocabulary)
        n = len(hyps)
        best = np.zeros((n, 3 * self.order), np.int64)
        best_f = np.full(n, -1.0)
        for stream in references:
            present = np.fromiter((ref is not None for ref in stream), bool, n)
            refs = [self._preprocess_segment(ref) if ref is not None else "" for ref in stream]
            stats = self._stream_statistics(hyp_chars, hyp_words, refs, vocabulary)
            f_scores = chrf_f_scores(stats, self.beta)
            # sacrebleu keeps the first reference with the best F score
            better = present & (f_scores > best_f)
            best[better] = stats[better]
            best_f[better] = f_scores[better]
        return best.tolist()

    def _chars(self, texts: Sequence[str]) -> Tokens:
        """The characters chrF counts: whitespace left out unless `whitespace` is set."""
        return char_tokens(texts if self.whitespace else ["".join(t.split()) for t in texts])

    def _words(self, texts: Sequence[str], vocabulary: dict[str, int]) -> Tokens:
        """The words chrF++ counts, punctuation split off as sacrebleu does."""
        return word_tokens([self._remove_punctuation(t) for t in texts], vocabulary)

    def _stream_statistics(
        self, hyp_chars: Tokens, hyp_words: Tokens, refs: Sequence[str], vocabulary: dict[str, int]
    ) -> IntArray:
        """Every sentence's statistics row against its reference in one stream."""
        ref_chars = self._chars(refs)
        ref_words = self._words(refs, vocabulary)
        char_matches = ngram_matches(hyp_chars, [ref_chars], self.char_order)
        word_matches = ngram_matches(hyp_words, [ref_words], self.word_order)
        columns: list[IntArray] = []
        for k in range(self.char_order):
            columns += _order_columns(hyp_chars, ref_chars, k + 1, char_matches[:, k])
        for k in range(self.word_order):
            columns += _order_columns(hyp_words, ref_words, k + 1, word_matches[:, k])
        return np.stack(columns, axis=1)


def _order_columns(hyp: Tokens, ref: Tokens, n: int, matched: IntArray) -> list[IntArray]:
    """chrF's [hypothesis n-grams (0 when the reference has none), reference n-grams, matches]."""
    hyp_total = np.maximum(hyp.lengths - n + 1, 0)
    ref_total = np.maximum(ref.lengths - n + 1, 0)
    return [np.where(ref_total > 0, hyp_total, 0), ref_total, matched]


def chrf_f_scores(stats: IntArray, beta: int) -> FloatArray:
    """`CHRF._compute_f_score` (effective-order smoothing) of every row, bit for bit: the same
    float64 operations in the same order."""
    rows = stats.shape[0]
    factor = beta**2
    avg_prec = np.zeros(rows)
    avg_rec = np.zeros(rows)
    effective = np.zeros(rows)
    for i in range(stats.shape[1] // 3):
        n_hyp, n_ref, n_match = stats[:, 3 * i], stats[:, 3 * i + 1], stats[:, 3 * i + 2]
        counted = (n_hyp > 0) & (n_ref > 0)
        avg_prec += np.divide(n_match, n_hyp, out=np.zeros(rows), where=counted)
        avg_rec += np.divide(n_match, n_ref, out=np.zeros(rows), where=counted)
        effective += counted
    avg_prec = np.divide(avg_prec, effective, out=np.zeros(rows), where=effective > 0)
    avg_rec = np.divide(avg_rec, effective, out=np.zeros(rows), where=effective > 0)
    numerator = (1 + factor) * avg_prec * avg_rec
    denominator = factor * avg_prec + avg_rec
    score = np.divide(numerator, denominator, out=np.zeros(rows), where=(avg_prec + avg_rec) != 0)
    return cast(FloatArray, 100 * score)
