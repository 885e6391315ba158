"""TER sentence statistics: sacrebleu's algorithm (lib_ter, after Tercom) doing less work.

`FastTER` is sacrebleu's TER with `translation_edit_rate` in place of lib_ter's: the same greedy
search for the shift that most lowers the beam edit distance, repeated until none helps or the
candidates run out, hence the same edits. The work saved:

- `FastBeamEditDistance` fills the beam's cells with the inner loop written out (same cells,
  same costs, same preference among equal costs, same trace);
- `shifted_pairs` visits only the reference positions whose word matches the hypothesis word,
  in the order lib_ter's `_find_shifted_pairs` finds them;
- a hypothesis with the reference's very words needs no search: 0 edits, which is what the
  search finds there.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from sacrebleu.metrics.lib_ter import (
    _BEAM_WIDTH,
    _MAX_SHIFT_CANDIDATES,
    _MAX_SHIFT_DIST,
    _MAX_SHIFT_SIZE,
    BeamEditDistance,
    _perform_shift,
    trace_to_alignment,
)
from sacrebleu.metrics.ter import TER

_INFINITY = int(1e16)  # lib_ter's _INT_INFINITY
_FLIP_OPS = str.maketrans("id", "di")  # lib_ter._flip_trace: the edits from reference to hypothesis

Cell = tuple[int, str]  # cost, edit operation
Candidate = tuple[int, int, int, int, list[str]]  # gain, length, -start, -target, shifted words


class FastTER(TER):
    """sacrebleu's TER with the faster `translation_edit_rate`."""

    def _compute_segment_statistics(
        self, hypothesis: str, ref_kwargs: dict[str, Any]
    ) -> list[float]:
        ref_lengths = 0
        best_num_edits = _INFINITY
        words_hyp = hypothesis.split()
        ref_words = ref_kwargs["ref_words"]
        for words_ref in ref_words:
            num_edits, ref_len = translation_edit_rate(words_hyp, words_ref)
            ref_lengths += ref_len
            best_num_edits = min(best_num_edits, num_edits)
        return [best_num_edits, ref_lengths / len(ref_words)]


def translation_edit_rate(words_hyp: list[str], words_ref: list[str]) -> tuple[int, int]:
    """lib_ter.translation_edit_rate with the faster edit distance: (edits, reference words)."""
    n_words_ref = len(words_ref)
    if n_words_ref == 0:
        return len(words_hyp), 0
    if words_hyp == words_ref:  # no edit, so no shift either
        return 0, n_words_ref
    cached_ed = FastBeamEditDistance(words_ref)
    shifts = 0
    input_words = words_hyp
    checked_candidates = 0
    while True:
        delta, new_input_words, checked_candidates = _shift(
            input_words, words_ref, cached_ed, checked_candidates
        )
        if checked_candidates >= _MAX_SHIFT_CANDIDATES or delta <= 0:
            break
        shifts += 1
        input_words = new_input_words
    edit_distance, _ = cached_ed(input_words)
    return shifts + edit_distance, n_words_ref


class FastBeamEditDistance(BeamEditDistance):
    """lib_ter's BeamEditDistance with the inner loop of `_edit_distance` written out: the same
    cells, the same costs, the same preference among equal costs (substitution or match, then
    deletion, then insertion), hence the same distance and trace."""

    def _edit_distance(
        self, words_h: list[str], start_h: int, cache: list[list[Cell]]
    ) -> tuple[int, list[Any], str]:
        n_words_h = len(words_h)
        n_ref = self._n_words_ref
        words_ref = self._words_ref
        empty = self._empty_row
        dist = cache + [list(empty) for _ in range(n_words_h - start_h)]
        length_ratio = n_ref / n_words_h if words_h else 1
        beam_width = _beam_width(length_ratio)
        for i in range(start_h + 1, n_words_h + 1):
            pseudo_diag = math.floor(i * length_ratio)
            first = max(0, pseudo_diag - beam_width)
            max_j = n_ref + 1 if i == n_words_h else min(n_ref + 1, pseudo_diag + beam_width)
            above = dist[i - 1]
            row = dist[i]
            if first == 0 and first < max_j:
                row[0] = (above[0][0] + 1, "d")
                first = 1
            if first < max_j:
                _fill_row(row, above, words_h[i - 1], words_ref, first, max_j)
        return dist[-1][-1][0], dist[len(cache) :], _trace(dist, n_words_h, n_ref)


def _fill_row(
    row: list[Cell], above: list[Cell], word: str, words_ref: list[str], first: int, end: int
) -> None:
    """Cells first..end-1 of the row of hypothesis word `word`, from the row above: lib_ter's
    costs, preferring substitution or match, then deletion, then insertion."""
    left = row[first - 1][0]
    diagonal = above[first - 1][0]
    for j in range(first, end):
        up = above[j][0]
        if word == words_ref[j - 1]:
            cost, op = diagonal, " "
        else:
            cost, op = diagonal + 1, "s"
        if cost >= _INFINITY:  # lib_ter leaves the cell undefined
            cost, op = _INFINITY, "x"
        if cost > up + 1:
            cost, op = up + 1, "d"
        if cost > left + 1:
            cost, op = left + 1, "i"
        row[j] = (cost, op)
        left = cost
        diagonal = up


def _beam_width(length_ratio: float) -> int:
    """lib_ter's beam: wider where the reference is much longer than the hypothesis."""
    if length_ratio / 2 > _BEAM_WIDTH:
        return math.ceil(length_ratio / 2 + _BEAM_WIDTH)
    return _BEAM_WIDTH


def _trace(dist: list[list[Cell]], i: int, j: int) -> str:
    """The edit operations from the top-left cell to cell (i, j), in order."""
    trace = []
    while i > 0 or j > 0:
        op = dist[i][j][1]
        trace.append(op)
        if op in ("s", " "):
            i -= 1
            j -= 1
        elif op == "i":
            j -= 1
        elif op == "d":
            i -= 1
        else:
            raise RuntimeError(f"unknown TER edit operation {op!r}")
    return "".join(reversed(trace))


def shifted_pairs(words_h: list[str], words_r: list[str]) -> Iterator[tuple[int, int, int]]:
    """lib_ter._find_shifted_pairs, visiting only the reference positions whose word matches:
    the same (start_h, start_r, length) in the same order."""
    positions: dict[str, list[int]] = {}
    for index, word in enumerate(words_r):
        positions.setdefault(word, []).append(index)
    n_words_h = len(words_h)
    n_words_r = len(words_r)
    for start_h in range(n_words_h):
        for start_r in positions.get(words_h[start_h], ()):
            if abs(start_r - start_h) > _MAX_SHIFT_DIST:
                continue
            length = 0
            while (
                words_h[start_h + length] == words_r[start_r + length] and length < _MAX_SHIFT_SIZE
            ):
                length += 1
                yield start_h, start_r, length
                if n_words_h == start_h + length or n_words_r == start_r + length:
                    break


def _shift(
    words_h: list[str],
    words_r: list[str],
    cached_ed: FastBeamEditDistance,
    checked_candidates: int,
) -> tuple[int, list[str], int]:
    """lib_ter._shift: the best shift by Tercom's ranking, over `shifted_pairs`. Returns its gain
    in edits, the words after it, and the candidates checked so far."""
    pre_score, inv_trace = cached_ed(words_h)
    align, ref_err, hyp_err = trace_to_alignment(inv_trace.translate(_FLIP_OPS))
    best: Candidate | None = None
    for start_h, start_r, length in shifted_pairs(words_h, words_r):
        if sum(hyp_err[start_h : start_h + length]) == 0:
            continue
        if sum(ref_err[start_r : start_r + length]) == 0:
            continue
        if start_h <= align[start_r] < start_h + length:
            continue
        for idx in _targets(start_r, length, align):
            shifted_words = _perform_shift(words_h, start_h, length, idx)
            gain = pre_score - cached_ed(shifted_words)[0]
            candidate = (gain, length, -start_h, -idx, shifted_words)
            checked_candidates += 1
            if not best or candidate > best:
                best = candidate
        if checked_candidates >= _MAX_SHIFT_CANDIDATES:
            break
    if not best:
        return 0, words_h, checked_candidates
    return best[0], best[4], checked_candidates


def _targets(start_r: int, length: int, align: dict[int, int]) -> Iterator[int]:
    """Where lib_ter tries to move a block matching the reference from `start_r` on: after the
    hypothesis word aligned to each reference position from just before the block to its end,
    each place once in a row, stopping at the first unaligned position."""
    prev_idx = -1
    for offset in range(-1, length):
        if start_r + offset == -1:
            idx = 0
        elif start_r + offset in align:
            idx = align[start_r + offset] + 1
        else:
            break
        if idx == prev_idx:
            continue
        prev_idx = idx
        yield idx
