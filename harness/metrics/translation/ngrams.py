"""Clipped n-gram matches of a whole corpus at once, with numpy: what chrF++ and BLEU count per
sentence, without one Counter per n-gram order per sentence.

A side (the hypotheses, or one reference stream) is a flat array of token ids with the number of
tokens of each sentence (`Tokens`): characters as code points, words as ids from a shared
vocabulary. `ngram_matches` turns every token position of every side into a packed integer key
holding its sentence, its next `order` tokens (0 past the sentence end) and its side; one sort
makes the occurrences of an n-gram in a sentence adjacent for every n at once, and the clipped
matches come from the run lengths. Keys that would not fit 63 bits are split over several int64
keys (sorted together), after the token ids are renumbered within each sentence if that helps.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Field = tuple[IntArray, int]  # values, bits

KEY_BITS = 63  # bits of one packed n-gram key (int64, sign bit unused)


class Tokens(NamedTuple):
    """One side of a corpus as token ids."""

    ids: IntArray  # token ids (characters: code points; words: vocabulary ids), all >= 1
    lengths: IntArray  # tokens per sentence


def char_tokens(texts: Sequence[str]) -> Tokens:
    """Every character of every text, as its code point + 1."""
    joined = "".join(texts).encode("utf-32-le", "surrogatepass")
    codes = np.frombuffer(joined, dtype="<u4").astype(np.int64) + 1
    return Tokens(codes, np.fromiter(map(len, texts), np.int64, len(texts)))


def word_tokens(words: Sequence[Sequence[str]], vocabulary: dict[str, int]) -> Tokens:
    """Every word of every sentence, as its id in `vocabulary` (new words are added to it)."""
    lookup = vocabulary.setdefault
    ids = [lookup(word, len(vocabulary) + 1) for sentence in words for word in sentence]
    return Tokens(np.array(ids, np.int64), np.fromiter(map(len, words), np.int64, len(words)))


def ngram_matches(
    hyp: Tokens, refs: Sequence[Tokens], order: int, key_bits: int = KEY_BITS
) -> IntArray:
    """Clipped n-gram matches per sentence and order (1..order): for each sentence, the sum over
    the distinct n-grams of its hypothesis of min(count there, highest count in one reference), as
    chrF (one reference at a time) and BLEU (all references at once) count them."""
    n = len(hyp.lengths)
    out = np.zeros((n, order), np.int64)
    sides = [hyp, *refs]
    if order == 0 or not any(side.ids.size for side in sides):
        return out
    keys = _sorted_keys(sides, n, order, key_bits)
    sorted_side = keys.keys[-1] & ((1 << keys.side_bits) - 1)
    on_side = [sorted_side == k for k in range(len(sides))]
    sentence_key, sentence_shift = keys.layout[0]
    sorted_sentence = keys.keys[sentence_key] >> sentence_shift
    for gram, starts, valid in _runs(keys, order):
        counts = [np.add.reduceat((valid & here).astype(np.int64), starts) for here in on_side]
        matched = np.minimum(counts[0], np.maximum.reduce(counts[1:]))
        sums = np.bincount(sorted_sentence[starts], weights=matched, minlength=n)
        out[:, gram - 1] = sums.astype(np.int64)
    return out


class _SortedKeys(NamedTuple):
    keys: list[IntArray]  # the packed keys of all positions, most significant first, sorted
    layout: list[tuple[int, int]]  # per field (sentence, token 1..order, side): (key, shift)
    token_bits: int
    side_bits: int


def _sorted_keys(sides: Sequence[Tokens], n: int, order: int, key_bits: int) -> _SortedKeys:
    """The packed keys of every token position of every side, sorted."""
    fields, token_bits, side_bits = _position_fields(sides, n, order, key_bits)
    keys, layout = _pack(fields, key_bits)
    if len(keys) == 1:
        keys[0].sort()
    else:
        permutation = np.lexsort(keys[::-1])
        keys = [key[permutation] for key in keys]
    return _SortedKeys(keys, layout, token_bits, side_bits)


def _position_fields(
    sides: Sequence[Tokens], n: int, order: int, key_bits: int
) -> tuple[list[Field], int, int]:
    """The fields of each position's key, most significant first: its sentence, its next `order`
    tokens (0 past the sentence end), its side; with the bits of a token and of a side."""
    ids = np.concatenate([side.ids for side in sides])
    lengths = np.concatenate([side.lengths for side in sides])
    sentence = np.repeat(np.tile(np.arange(n, dtype=np.int64), len(sides)), lengths)
    left = np.repeat(np.cumsum(lengths), lengths) - np.arange(ids.size)  # tokens to the end
    side = np.repeat(np.arange(len(sides), dtype=np.int64), [s.ids.size for s in sides])
    sentence_bits = max(1, (n - 1).bit_length())
    side_bits = max(1, (len(sides) - 1).bit_length())
    ids = _dense_ids(ids)
    if sentence_bits + order * int(ids.max()).bit_length() + side_bits > key_bits:
        ids = _local_ids(ids, sentence, n)
    bits = int(ids.max()).bit_length()
    padded = np.concatenate((ids, np.zeros(order, np.int64)))
    fields = [(sentence, sentence_bits)]
    fields += [(np.where(left > k, padded[k : k + ids.size], 0), bits) for k in range(order)]
    fields.append((side, side_bits))
    return fields, bits, side_bits


def _dense_ids(ids: IntArray) -> IntArray:
    """The ids renumbered 1..distinct, in the same order."""
    top = int(ids.max())
    if top < 1 << 22:
        present = np.zeros(top + 1, np.int64)
        present[ids] = 1
        return np.cumsum(present)[ids]
    return np.unique(ids, return_inverse=True)[1].reshape(-1).astype(np.int64) + 1


def _local_ids(ids: IntArray, sentence: IntArray, n: int) -> IntArray:
    """The ids renumbered 1..distinct within each sentence: equality is all a key needs."""
    width = int(ids.max()) + 1
    pairs = sentence * width + ids
    distinct = np.sort(pairs)
    distinct = distinct[np.concatenate(([True], distinct[1:] != distinct[:-1]))]
    first = np.searchsorted(distinct, np.arange(n, dtype=np.int64) * width)
    return np.searchsorted(distinct, pairs).astype(np.int64) - first[sentence] + 1


def _pack(fields: list[Field], key_bits: int) -> tuple[list[IntArray], list[tuple[int, int]]]:
    """Pack (values, bits) fields, most significant first, into as few int64 keys as needed.
    Returns the keys and, per field, (key index, shift)."""
    groups: list[list[int]] = [[]]
    used = 0
    for index, (_, bits) in enumerate(fields):
        if used + bits > key_bits and groups[-1]:
            groups.append([])
            used = 0
        groups[-1].append(index)
        used += bits
    keys: list[IntArray] = []
    layout: list[tuple[int, int]] = [(0, 0)] * len(fields)
    for key_index, group in enumerate(groups):
        key = np.zeros(len(fields[0][0]), np.int64)
        shift = sum(fields[i][1] for i in group)
        for i in group:
            values, bits = fields[i]
            shift -= bits
            key |= values << shift
            layout[i] = (key_index, shift)
        keys.append(key)
    return keys, layout


def _runs(keys: _SortedKeys, order: int) -> Iterator[tuple[int, IntArray, BoolArray]]:
    """For each n in 1..order: n, the first sorted position of each run of positions that share
    their sentence and next n tokens, and whether each position's n-gram lies within its
    sentence (its n-th token is not 0)."""
    size = keys.keys[0].size
    mask = (1 << keys.token_bits) - 1
    changed_before = np.zeros(size - 1, bool)  # a key wholly inside the prefix changed
    done = 0
    for gram in range(1, order + 1):
        key_index, shift = keys.layout[gram]
        while done < key_index:
            changed_before |= keys.keys[done][1:] != keys.keys[done][:-1]
            done += 1
        head = keys.keys[key_index] >> shift
        changed = changed_before | (head[1:] != head[:-1])
        starts = np.flatnonzero(np.concatenate(([True], changed)))
        yield gram, starts, (head & mask) != 0
