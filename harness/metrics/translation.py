"""Corpus-level machine-translation metrics through sacrebleu: chrF++, BLEU and TER, with 95%
bootstrap intervals, sentence-level chrF++ for drill-down, and a paired bootstrap test between two
systems.

Every number is sacrebleu's (the pinned version): the corpus value is `metric.corpus_score`'s,
the sentence chrF++ is `CHRF(word_order=2).sentence_score`'s, the bootstrap resamples are those of
sacrebleu's `_bootstrap_resample` (the same indices from `np.random.default_rng(seed)`, the same
float32 sums, each scored by the metric's own `_compute_score_from_stats`, which keeps sacrebleu's
float32 arithmetic whatever the numpy version), and the paired test's p-value is
`_paired_bs_test`'s. Only the work is organised differently, for speed:

- the sentence statistics are computed once per metric and everything is derived from them:
  the corpus score (their sum), the sentence chrF++ (each chrF row) and the bootstrap;
- chrF++ and BLEU n-gram matches are counted for the whole corpus at once with numpy
  (`_ngram_matches`: each token position becomes a packed integer key holding its sentence and
  next tokens, one sort makes the occurrences of an n-gram in a sentence adjacent for every n,
  and the clipped matches come from the run lengths) instead of one Counter per n-gram order per
  sentence; BLEU still tokenizes with sacrebleu's tokenizer;
- TER runs sacrebleu's algorithm (lib_ter) with a leaner beam edit distance and a shift search
  that only visits matching words, and skips the search when hypothesis and reference have the
  same words (0 edits, which is what the search finds there);
- bootstrap sums come from one bincount of the resampled indices and one matrix product
  (`counts @ stats`, exact in float64, then rounded to float32 like sacrebleu's sums: identical
  while the integer totals stay below 2**24) instead of a gathered copy of the statistics per
  resample;
- on large corpora (`PARALLEL_MIN_SENTENCES`) the statistics are computed in forked worker
  processes, one contiguous chunk of sentences each, every worker building its own metrics.

The tests compare the statistic rows, values, resamples and p-values with sacrebleu's own code.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt
from sacrebleu.metrics.base import Metric
from sacrebleu.metrics.bleu import BLEU
from sacrebleu.metrics.chrf import CHRF
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
from sacrebleu.significance import _compute_p_value

from harness.errors import PolyevalError
from harness.languages import get_language, is_known
from harness.parallel import fork_workers, forked_map
from harness.yamlfile import line_of, load_yaml

CORPUS_METRICS: tuple[str, ...] = ("chrf", "bleu", "ter")
"""chrf is chrF++ (character 6-grams and word 2-grams), the primary metric."""

SETTINGS_PATH = Path(__file__).with_name("translation.yaml")

PARALLEL_MIN_SENTENCES = 1000
"""Below this many sentences the statistics are computed in-process: forking does not pay."""
_MIN_CHUNK = 500  # sentences per worker process, at least

_sacrelogger = logging.getLogger("sacrebleu")
_TOKENIZED_WARNING = (  # what sacrebleu's BLEU logs for input that looks tokenized
    "That's 100 lines that end in a tokenized period ('.')",
    "It looks like you forgot to detokenize your test data, which may hurt your score.",
    "If you insist your data is detokenized, or don't care, you can suppress this message with "
    "the `force` parameter.",
)
_CHRF_SETTINGS: dict[str, object] = {"char_order": 6, "word_order": 2, "beta": 2}
_ROW_KEYS = {"bleu_tokenize": str, "ter_normalized": bool, "ter_asian_support": bool}
_CODE = re.compile(r"([a-z]{3})_([A-Z][a-z]{3})")
_KEY_BITS = 63  # bits of one packed n-gram key (int64, sign bit unused)
_RESAMPLE_BLOCK = 1 << 22  # resampled indices turned into counts at a time

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Streams = Sequence[Sequence[str | None]]  # sacrebleu's reference streams, None for no reference


@dataclass(frozen=True)
class CorpusScore:
    metric: str  # "chrf" | "bleu" | "ter"
    value: float  # 0-100, as sacrebleu reports it
    ci_low: float  # 95% bootstrap percentile interval; equal to value when n < 2
    ci_high: float
    n: int  # sentences
    signature: str  # sacrebleu's signature of the metric (tokenizer, version, resamples, seed)


@dataclass(frozen=True)
class CorpusResult:
    scores: dict[str, CorpusScore]  # by metric name, in the order asked for
    sentence_chrf: list[float]  # chrF++ of each sample on its own, 0-100


@dataclass(frozen=True)
class PairedResult:
    metric: str
    score_a: float
    score_b: float
    delta: float  # score_b - score_a
    ci_low: float  # 95% bootstrap percentile interval of the delta
    ci_high: float
    p_value: float  # sacrebleu's paired bootstrap p-value (see paired_bootstrap)
    n: int  # sentences


# --- settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    default: dict[str, object]
    languages: dict[str, dict[str, object]]
    scripts: dict[str, dict[str, object]]


@cache
def _table(path: Path = SETTINGS_PATH) -> _Table:
    data, node = load_yaml(path)
    if not isinstance(data, dict) or set(data) != {"default", "languages", "scripts"}:
        raise PolyevalError("expected the sections default, languages and scripts", where=str(path))
    sections: dict[str, dict[str, dict[str, object]]] = {}
    for section in ("languages", "scripts"):
        rows = data[section] or {}
        if not isinstance(rows, dict):
            raise PolyevalError(
                f"'{section}' must be a mapping", where=f"{path}:{line_of(node, [section])}"
            )
        sections[section] = {
            str(key): _row(row, path, node, [section, key]) for key, row in rows.items()
        }
    default = _row(data["default"], path, node, ["default"])
    missing = set(_ROW_KEYS) - set(default)
    if missing:
        where = f"{path}:{line_of(node, ['default'])}"
        raise PolyevalError(f"default must set {', '.join(sorted(missing))}", where=where)
    return _Table(default, sections["languages"], sections["scripts"])


def _row(row: object, path: Path, node: Any, loc: list[str]) -> dict[str, object]:
    where = f"{path}:{line_of(node, loc)}"
    if not isinstance(row, dict):
        raise PolyevalError(f"'{loc[-1]}' must map settings to values", where=where)
    for key, value in row.items():
        kind = _ROW_KEYS.get(key)
        if kind is None:
            raise PolyevalError(
                f"unknown setting '{key}' (known: {', '.join(_ROW_KEYS)})", where=where
            )
        if not isinstance(value, kind):
            raise PolyevalError(f"'{key}' must be a {kind.__name__}", where=where)
    tokenizer = row.get("bleu_tokenize")
    if tokenizer is not None and tokenizer not in BLEU.TOKENIZERS:
        known = ", ".join(BLEU.TOKENIZERS)
        raise PolyevalError(f"unknown BLEU tokenizer '{tokenizer}' (known: {known})", where=where)
    return dict(row)


def _split_code(code: str) -> tuple[str, str]:
    match = _CODE.fullmatch(code)
    if match:
        return match.group(1), match.group(2)
    if is_known(code):
        language = get_language(code)
        return language.iso639_3, language.script
    raise PolyevalError(
        f"target language '{code}' is not a code like zho_Hans (ISO 639-3, '_', ISO 15924 script)"
    )


def metric_settings(target_language: str) -> dict[str, dict[str, object]]:
    """The sacrebleu keyword args per metric for a target language (canonical code like
    'zho_Hans', 'jpn_Jpan', 'kor_Hang', 'tha_Thai', 'npi_Deva', 'eng_Latn'; an alias such as 'zh'
    that the language table knows is accepted too). The BLEU tokenizer and TER options come from
    translation.yaml: the language's row, else its script's row, else the default."""
    iso, script = _split_code(target_language)
    table = _table()
    row = {**table.default, **table.scripts.get(script, {}), **table.languages.get(iso, {})}
    return {
        "chrf": dict(_CHRF_SETTINGS),
        "bleu": {"tokenize": row["bleu_tokenize"]},
        "ter": {"normalized": row["ter_normalized"], "asian_support": row["ter_asian_support"]},
    }


def _build_metric(name: str, settings: Mapping[str, object]) -> Metric:
    kwargs = cast(dict[str, Any], dict(settings))
    if name == "chrf":
        return _FastCHRF(**kwargs)
    if name == "bleu":
        return _FastBLEU(**kwargs)
    return _FastTER(**kwargs)


# --- input -----------------------------------------------------------------------------------


def _check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    if isinstance(metrics, str):
        metrics = (metrics,)
    for name in metrics:
        if name not in CORPUS_METRICS:
            known = ", ".join(CORPUS_METRICS)
            raise PolyevalError(f"unknown translation metric '{name}' (known: {known})")
    return tuple(dict.fromkeys(metrics))


def _check_hypotheses(hypotheses: Sequence[str], what: str = "hypotheses") -> None:
    if isinstance(hypotheses, str):
        raise PolyevalError(f"{what} must be a list of strings, not one string")
    for i, hypothesis in enumerate(hypotheses):
        if not isinstance(hypothesis, str):
            kind = type(hypothesis).__name__
            raise PolyevalError(f"{what}[{i}] is {kind}, not a string")


def _streams(
    hypotheses: Sequence[str], references: Sequence[Sequence[str]]
) -> list[list[str | None]]:
    """sacrebleu's reference streams from one list of references per sample.

    `references[i]` holds sample i's references (one or several; None entries are ignored).
    sacrebleu wants the transpose: a list of streams, stream k holding the k-th reference of every
    sample, padded with None where a sample has fewer references (sacrebleu skips None)."""
    if len(hypotheses) == 0:
        raise PolyevalError("no sentences to score: the corpus is empty")
    if isinstance(references, str) or len(references) != len(hypotheses):
        count = 1 if isinstance(references, str) else len(references)
        raise PolyevalError(
            f"{len(hypotheses)} hypotheses but {count} reference lists (one list per sample)"
        )
    kept: list[list[str]] = []
    for i, sample in enumerate(references):
        if isinstance(sample, str):
            raise PolyevalError(
                f"references[{i}] is a string: give each sample a list of its references"
            )
        refs = [ref for ref in sample if ref is not None]
        if not refs:
            raise PolyevalError(f"sample {i} has no reference")
        for ref in refs:
            if not isinstance(ref, str):
                raise PolyevalError(
                    f"a reference of sample {i} is {type(ref).__name__}, not a string"
                )
        kept.append(refs)
    width = max(map(len, kept))
    return [[refs[k] if k < len(refs) else None for refs in kept] for k in range(width)]


def _reference_count(streams: Streams) -> int:
    """sacrebleu's `num_refs`: the references per sample, -1 when it varies."""
    counts = {sum(stream[i] is not None for stream in streams) for i in range(len(streams[0]))}
    return counts.pop() if len(counts) == 1 else -1


# --- n-gram statistics (chrF++, BLEU), vectorised --------------------------------------------


class _Tokens(NamedTuple):
    ids: IntArray  # token ids (characters: code points; words: vocabulary ids), all >= 1
    lengths: IntArray  # tokens per sentence


def _char_tokens(texts: Sequence[str]) -> _Tokens:
    joined = "".join(texts).encode("utf-32-le", "surrogatepass")
    codes = np.frombuffer(joined, dtype="<u4").astype(np.int64) + 1
    return _Tokens(codes, np.fromiter(map(len, texts), np.int64, len(texts)))


def _word_tokens(words: Sequence[Sequence[str]], vocabulary: dict[str, int]) -> _Tokens:
    lookup = vocabulary.setdefault
    ids = [lookup(word, len(vocabulary) + 1) for sentence in words for word in sentence]
    return _Tokens(np.array(ids, np.int64), np.fromiter(map(len, words), np.int64, len(words)))


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


def _pack(
    fields: list[tuple[IntArray, int]], key_bits: int
) -> tuple[list[IntArray], list[tuple[int, int]]]:
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


def _ngram_matches(
    hyp: _Tokens, refs: Sequence[_Tokens], order: int, key_bits: int = _KEY_BITS
) -> IntArray:
    """Clipped n-gram matches per sentence and order (1..order): for each sentence, the sum over
    the distinct n-grams of its hypothesis of min(count there, highest count in one reference), as
    chrF (one reference at a time) and BLEU (all references at once) count them.

    Every token position of every side becomes one key (sentence, its next `order` tokens with 0
    past the sentence end, side: 0 for the hypothesis, k for reference k); after one sort the
    positions sharing an n-gram of a sentence are adjacent for every n, and each run of them
    gives that n-gram's counts per side."""
    n = len(hyp.lengths)
    out = np.zeros((n, order), np.int64)
    sides = [hyp, *refs]
    ids = np.concatenate([side.ids for side in sides])
    if order == 0 or ids.size == 0:
        return out
    lengths = np.concatenate([side.lengths for side in sides])
    sentence = np.repeat(np.tile(np.arange(n, dtype=np.int64), len(sides)), lengths)
    left = np.repeat(np.cumsum(lengths), lengths) - np.arange(ids.size)  # tokens to the end
    side = np.repeat(np.arange(len(sides), dtype=np.int64), [s.ids.size for s in sides])
    sentence_bits = max(1, (n - 1).bit_length())
    side_bits = max(1, len(refs).bit_length())
    ids = _dense_ids(ids)
    if sentence_bits + order * int(ids.max()).bit_length() + side_bits > key_bits:
        ids = _local_ids(ids, sentence, n)
    bits = int(ids.max()).bit_length()
    padded = np.concatenate((ids, np.zeros(order, np.int64)))
    fields = [(sentence, sentence_bits)]
    fields += [(np.where(left > k, padded[k : k + ids.size], 0), bits) for k in range(order)]
    fields.append((side, side_bits))
    keys, layout = _pack(fields, key_bits)
    if len(keys) == 1:
        keys[0].sort()
    else:
        permutation = np.lexsort(keys[::-1])
        keys = [key[permutation] for key in keys]
    sorted_side = keys[-1] & ((1 << side_bits) - 1)
    on_side = [sorted_side == k for k in range(len(sides))]
    sentence_key, sentence_shift = layout[0]
    sorted_sentence = keys[sentence_key] >> sentence_shift
    mask = (1 << bits) - 1
    changed_before = np.zeros(ids.size - 1, bool)  # a key wholly inside the prefix changed
    done = 0
    for gram in range(1, order + 1):
        key_index, shift = layout[gram]
        while done < key_index:
            changed_before |= keys[done][1:] != keys[done][:-1]
            done += 1
        head = keys[key_index] >> shift
        changed = changed_before | (head[1:] != head[:-1])
        starts = np.flatnonzero(np.concatenate(([True], changed)))
        valid = (head & mask) != 0  # the n-gram does not run past its sentence
        counts = [np.add.reduceat((valid & here).astype(np.int64), starts) for here in on_side]
        matched = np.minimum(counts[0], np.maximum.reduce(counts[1:]))
        sums = np.bincount(sorted_sentence[starts], weights=matched, minlength=n)
        out[:, gram - 1] = sums.astype(np.int64)
    return out


def _order_columns(
    hyp_lengths: IntArray, ref_lengths: IntArray, n: int, matched: IntArray
) -> list[IntArray]:
    """chrF's [hypothesis n-grams (0 when the reference has none), reference n-grams, matches]."""
    hyp_total = np.maximum(hyp_lengths - n + 1, 0)
    ref_total = np.maximum(ref_lengths - n + 1, 0)
    return [np.where(ref_total > 0, hyp_total, 0), ref_total, matched]


def _chrf_f_scores(stats: IntArray, beta: int) -> FloatArray:
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


class _FastCHRF(CHRF):
    """sacrebleu's CHRF with the sentence statistics counted for the whole corpus at once."""

    def _extract_corpus_statistics(
        self, hypotheses: Sequence[str], references: Sequence[Sequence[str | None]] | None
    ) -> Any:
        if self.eps_smoothing or not references:
            return super()._extract_corpus_statistics(hypotheses, cast(Any, references))
        hyps = [self._preprocess_segment(h) for h in hypotheses]
        hyp_chars = _char_tokens(hyps if self.whitespace else ["".join(h.split()) for h in hyps])
        vocabulary: dict[str, int] = {}
        hyp_words = _word_tokens([self._remove_punctuation(h) for h in hyps], vocabulary)
        n = len(hyps)
        best = np.zeros((n, 3 * self.order), np.int64)
        best_f = np.full(n, -1.0)
        for stream in references:
            present = np.fromiter((ref is not None for ref in stream), bool, n)
            refs = [self._preprocess_segment(ref) if ref is not None else "" for ref in stream]
            ref_chars = _char_tokens(
                refs if self.whitespace else ["".join(r.split()) for r in refs]
            )
            ref_words = _word_tokens([self._remove_punctuation(r) for r in refs], vocabulary)
            char_matches = _ngram_matches(hyp_chars, [ref_chars], self.char_order)
            word_matches = _ngram_matches(hyp_words, [ref_words], self.word_order)
            columns: list[IntArray] = []
            for k in range(self.char_order):
                columns += _order_columns(
                    hyp_chars.lengths, ref_chars.lengths, k + 1, char_matches[:, k]
                )
            for k in range(self.word_order):
                columns += _order_columns(
                    hyp_words.lengths, ref_words.lengths, k + 1, word_matches[:, k]
                )
            stats = np.stack(columns, axis=1)
            f_scores = _chrf_f_scores(stats, self.beta)
            # sacrebleu keeps the first reference with the best F score
            better = present & (f_scores > best_f)
            best[better] = stats[better]
            best_f[better] = f_scores[better]
        return best.tolist()


class _FastBLEU(BLEU):
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
        n = len(hypotheses)
        refs: list[_Tokens] = []
        ref_len = np.zeros(n, np.int64)
        closest = np.full(n, -1, np.int64)  # distance to the closest reference length
        hyp = _word_tokens([self._preprocess_segment(h).split() for h in hypotheses], vocabulary)
        for stream in references:
            present = np.fromiter((ref is not None for ref in stream), bool, n)
            words = [self._preprocess_segment(r).split() if r is not None else [] for r in stream]
            refs.append(_word_tokens(words, vocabulary))
            # sacrebleu's _get_closest_ref_len: the closest length, the shorter one on a tie
            diff = np.abs(hyp.lengths - refs[-1].lengths)
            take = present & (
                (closest == -1)
                | (diff < closest)
                | ((diff == closest) & (refs[-1].lengths < ref_len))
            )
            closest[take] = diff[take]
            ref_len[take] = refs[-1].lengths[take]
        order = self.max_ngram_order
        correct = _ngram_matches(hyp, refs, order)
        total = np.stack([np.maximum(hyp.lengths - k, 0) for k in range(order)], axis=1)
        stats = np.column_stack([hyp.lengths, ref_len, correct, total])
        return stats.tolist()


# --- TER, with a leaner edit distance --------------------------------------------------------

_INFINITY = int(1e16)  # lib_ter's _INT_INFINITY
_FLIP_OPS = str.maketrans("id", "di")  # lib_ter._flip_trace: the edits from reference to hypothesis


class _FastBeamEditDistance(BeamEditDistance):
    """lib_ter's BeamEditDistance with the inner loop of `_edit_distance` written out: the same
    cells, the same costs, the same preference among equal costs (substitution or match, then
    deletion, then insertion), hence the same distance and trace."""

    def _edit_distance(
        self, words_h: list[str], start_h: int, cache: list[list[tuple[int, str]]]
    ) -> tuple[int, list[Any], str]:
        n_words_h = len(words_h)
        n_ref = self._n_words_ref
        words_ref = self._words_ref
        empty = self._empty_row
        dist = cache + [list(empty) for _ in range(n_words_h - start_h)]
        length_ratio = n_ref / n_words_h if words_h else 1
        if length_ratio / 2 > _BEAM_WIDTH:
            beam_width = math.ceil(length_ratio / 2 + _BEAM_WIDTH)
        else:
            beam_width = _BEAM_WIDTH
        for i in range(start_h + 1, n_words_h + 1):
            pseudo_diag = math.floor(i * length_ratio)
            min_j = max(0, pseudo_diag - beam_width)
            max_j = n_ref + 1 if i == n_words_h else min(n_ref + 1, pseudo_diag + beam_width)
            above = dist[i - 1]
            row = dist[i]
            word = words_h[i - 1]
            first = min_j
            if first == 0 and first < max_j:
                row[0] = (above[0][0] + 1, "d")
                first = 1
            if first >= max_j:
                continue
            left = row[first - 1][0]
            diagonal = above[first - 1][0]
            for j in range(first, max_j):
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
        trace = []
        i, j = n_words_h, n_ref
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
        return dist[-1][-1][0], dist[len(cache) :], "".join(reversed(trace))


def _shifted_pairs(words_h: list[str], words_r: list[str]) -> Iterator[tuple[int, int, int]]:
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
    cached_ed: _FastBeamEditDistance,
    checked_candidates: int,
) -> tuple[int, list[str], int]:
    """lib_ter._shift (the best shift by Tercom's ranking) over `_shifted_pairs`."""
    pre_score, inv_trace = cached_ed(words_h)
    align, ref_err, hyp_err = trace_to_alignment(inv_trace.translate(_FLIP_OPS))
    best: tuple[int, int, int, int, list[str]] | None = None
    for start_h, start_r, length in _shifted_pairs(words_h, words_r):
        if sum(hyp_err[start_h : start_h + length]) == 0:
            continue
        if sum(ref_err[start_r : start_r + length]) == 0:
            continue
        if start_h <= align[start_r] < start_h + length:
            continue
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
            shifted_words = _perform_shift(words_h, start_h, length, idx)
            candidate = (
                pre_score - cached_ed(shifted_words)[0],
                length,
                -start_h,
                -idx,
                shifted_words,
            )
            checked_candidates += 1
            if not best or candidate > best:
                best = candidate
        if checked_candidates >= _MAX_SHIFT_CANDIDATES:
            break
    if not best:
        return 0, words_h, checked_candidates
    return best[0], best[4], checked_candidates


def _translation_edit_rate(words_hyp: list[str], words_ref: list[str]) -> tuple[int, int]:
    """lib_ter.translation_edit_rate with the faster edit distance."""
    n_words_ref = len(words_ref)
    if n_words_ref == 0:
        return len(words_hyp), 0
    if words_hyp == words_ref:  # no edit, so no shift either
        return 0, n_words_ref
    cached_ed = _FastBeamEditDistance(words_ref)
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


class _FastTER(TER):
    def _compute_segment_statistics(
        self, hypothesis: str, ref_kwargs: dict[str, Any]
    ) -> list[float]:
        ref_lengths = 0
        best_num_edits = _INFINITY
        words_hyp = hypothesis.split()
        ref_words = ref_kwargs["ref_words"]
        for words_ref in ref_words:
            num_edits, ref_len = _translation_edit_rate(words_hyp, words_ref)
            ref_lengths += ref_len
            best_num_edits = min(best_num_edits, num_edits)
        return [best_num_edits, ref_lengths / len(ref_words)]


# --- statistics, in-process or in forked workers ---------------------------------------------


def _chunk_statistics(
    names: tuple[str, ...],
    settings: Mapping[str, Mapping[str, object]],
    hypotheses: Sequence[str],
    streams: Streams,
) -> dict[str, list[list[float]]]:
    """Each metric's sentence statistics for a run of sentences, with metrics built here (so
    that a worker process builds its own)."""
    return {
        name: _build_metric(name, settings[name])._extract_corpus_statistics(
            hypotheses, cast(Any, streams)
        )
        for name in names
    }


def _bounds(hypotheses: Sequence[str], streams: Streams, parts: int) -> list[tuple[int, int]]:
    """`parts` contiguous runs of sentences of about equal text length."""
    sizes = np.fromiter(map(len, hypotheses), np.int64, len(hypotheses))
    for stream in streams:
        sizes += np.fromiter((len(ref or "") for ref in stream), np.int64, len(stream))
    cumulative = np.cumsum(sizes + 1)
    cuts = np.searchsorted(cumulative, cumulative[-1] * np.arange(1, parts) / parts)
    edges = [0, *sorted({int(c) for c in cuts} - {0, len(hypotheses)}), len(hypotheses)]
    return list(itertools.pairwise(edges))


def _statistics(
    names: tuple[str, ...],
    settings: Mapping[str, Mapping[str, object]],
    hypotheses: Sequence[str],
    streams: Streams,
    processes: int | None,
) -> dict[str, list[list[float]]]:
    parts = fork_workers(len(hypotheses), PARALLEL_MIN_SENTENCES, _MIN_CHUNK, processes)
    if parts <= 1:
        return _chunk_statistics(names, settings, hypotheses, streams)
    bounds = _bounds(hypotheses, streams, parts)
    calls = [
        (names, settings, list(hypotheses[a:b]), [stream[a:b] for stream in streams])
        for a, b in bounds
    ]
    chunks = forked_map(_chunk_statistics, calls)
    return {name: [row for chunk in chunks for row in chunk[name]] for name in names}


# --- bootstrap -------------------------------------------------------------------------------


def _resample_indices(n: int, resamples: int, seed: int) -> IntArray:
    """The indices sacrebleu's bootstrap draws: row r holds resample r's sentences."""
    rng = np.random.default_rng(seed)
    return rng.choice(n, size=(resamples, n), replace=True)


def _resampled_sums(stats: FloatArray, indices: IntArray) -> npt.NDArray[np.float32]:
    """The column sums of `stats` over each resample, as float32 like sacrebleu's.

    sacrebleu sums a float32 copy of the statistics per resample; counting how often each
    sentence is drawn and multiplying gives the same sums (integer statistics are summed exactly
    in float64, then rounded to float32) for a fraction of the work."""
    resamples, n = indices.shape
    sums = np.empty((resamples, stats.shape[1]))
    block = max(1, _RESAMPLE_BLOCK // n)
    for start in range(0, resamples, block):
        rows = indices[start : start + block]
        offsets = (rows + n * np.arange(len(rows))[:, None]).ravel()
        counts = np.bincount(offsets, minlength=len(rows) * n).reshape(len(rows), n)
        sums[start : start + len(rows)] = counts.astype(np.float64) @ stats  # BLAS: float64
    return sums.astype(np.float32)


def _resampled_scores(metric: Metric, sums: npt.NDArray[np.float32]) -> list[Any]:
    """sacrebleu's score of each resample (np.float32 for chrF and TER, float for BLEU)."""
    compute = cast(Any, metric)._compute_score_from_stats
    return [compute(row).score for row in sums]


def _percentiles(values: FloatArray) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles as sacrebleu picks them from sorted resamples."""
    ordered = np.sort(values)
    low = len(ordered) // 40
    return float(ordered[low]), float(ordered[len(ordered) - low - 1])


# --- API -------------------------------------------------------------------------------------


def corpus_scores(
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]],
    target_language: str,
    metrics: Sequence[str] = CORPUS_METRICS,
    bootstrap: int = 1000,
    seed: int = 12345,
    *,
    processes: int | None = None,
) -> CorpusResult:
    """chrF++, BLEU and TER of a corpus, each with a 95% bootstrap interval, and the chrF++ of
    every sentence.

    `references[i]` lists sample i's references (one or more; samples may have different
    numbers). `target_language` picks the BLEU tokenizer and TER options (`metric_settings`).
    The values are sacrebleu's `corpus_score`; the interval is the 2.5th-97.5th percentile of
    `bootstrap` resamples drawn as sacrebleu's `corpus_score(..., n_bootstrap=bootstrap)` draws them
    with SACREBLEU_SEED=`seed` (sacrebleu prints their mean ± half the interval's width). With
    fewer than 2 sentences or `bootstrap` < 2 the interval is the value itself.
    `processes`: worker processes for the statistics; None decides by corpus size (forking only
    on platforms that have it, from a process with no other thread running), 1 is in-process.
    Bad input raises PolyevalError."""
    names = _check_metrics(metrics)
    _check_hypotheses(hypotheses)
    streams = _streams(hypotheses, references)
    settings = metric_settings(target_language)
    n = len(hypotheses)
    wanted = names if "chrf" in names else ("chrf", *names)  # sentence chrF++ needs its stats
    stats = _statistics(wanted, settings, hypotheses, streams, processes)
    indices = _resample_indices(n, bootstrap, seed) if bootstrap > 1 and n > 1 else None
    num_refs = _reference_count(streams)
    matrices = [np.array(stats[name], np.float64) for name in names]
    sums = _resampled_sums(np.hstack(matrices), indices) if indices is not None else None
    scores: dict[str, CorpusScore] = {}
    column = 0
    for name, matrix in zip(names, matrices, strict=True):
        metric = _build_metric(name, settings[name])
        metric.num_refs = num_refs
        value = float(metric._aggregate_and_compute(stats[name]).score)
        low = high = value
        signature = metric.get_signature()
        if sums is not None:
            resampled = _resampled_scores(metric, sums[:, column : column + matrix.shape[1]])
            low, high = _percentiles(np.array(resampled, np.float64))
            signature.update("bs", bootstrap)
            signature.update("seed", str(seed))
        column += matrix.shape[1]
        scores[name] = CorpusScore(name, value, low, high, n, signature.format())
    beta = int(cast(Any, settings["chrf"]["beta"]))
    sentence_chrf = _chrf_f_scores(np.array(stats["chrf"], np.int64), beta).tolist()
    return CorpusResult(scores, sentence_chrf)


def paired_bootstrap(
    hyps_a: Sequence[str],
    hyps_b: Sequence[str],
    references: Sequence[Sequence[str]],
    target_language: str,
    metric: str = "chrf",
    resamples: int = 1000,
    seed: int = 12345,
    *,
    processes: int | None = None,
) -> PairedResult:
    """Paired bootstrap significance test of system B against system A (the baseline), as
    sacrebleu's `_paired_bs_test` does it (Koehn 2004, after Moses'
    bootstrap-hypothesis-difference-significance.pl), on the same resampled sentences for both.

    p-value: sacrebleu's. The resampled absolute differences |B - A| are centred on their mean
    (the bootstrap's picture of the null hypothesis of no difference), and p = (c + 1) / (R + 1)
    where c counts centred differences strictly greater than the observed |B - A| and R is the
    number of resamples. A two-sided test; small p means B and A differ. One exception: when the
    two systems' statistics are identical (every resampled difference is 0, as for a system
    against itself), sacrebleu's formula gives 1 / (R + 1), which would call a system
    significantly different from itself; p is 1.0 there. `ci_low`/`ci_high` are the 2.5th-97.5th
    percentiles of the resampled B - A. With fewer than 2 sentences or `resamples` < 2 the
    interval is the delta and p is 1.0."""
    (name,) = _check_metrics([metric])
    _check_hypotheses(hyps_a, "hyps_a")
    _check_hypotheses(hyps_b, "hyps_b")
    if len(hyps_a) != len(hyps_b):
        raise PolyevalError(f"system A has {len(hyps_a)} hypotheses but system B {len(hyps_b)}")
    streams = _streams(hyps_a, references)
    settings = metric_settings(target_language)
    n = len(hyps_a)
    both = _statistics((name,), settings, [*hyps_a, *hyps_b], [s + s for s in streams], processes)[
        name
    ]
    stats_a, stats_b = both[:n], both[n:]
    scorer = _build_metric(name, settings[name])
    score_a = float(scorer._aggregate_and_compute(stats_a).score)
    score_b = float(scorer._aggregate_and_compute(stats_b).score)
    delta = score_b - score_a
    if n < 2 or resamples < 2:
        return PairedResult(name, score_a, score_b, delta, delta, delta, 1.0, n)
    indices = _resample_indices(n, resamples, seed)
    width = len(stats_a[0])
    sums = _resampled_sums(np.hstack([np.array(stats_a, float), np.array(stats_b, float)]), indices)
    scores_a = np.array(_resampled_scores(scorer, sums[:, :width]))
    scores_b = np.array(_resampled_scores(scorer, sums[:, width:]))
    sample_diffs = np.abs(scores_b - scores_a)
    observed = abs(score_a - score_b)
    if observed == 0 and not sample_diffs.any():
        p_value = 1.0
    else:
        p_value = float(_compute_p_value(sample_diffs - sample_diffs.mean(), observed))
    low, high = _percentiles(scores_b.astype(np.float64) - scores_a.astype(np.float64))
    return PairedResult(name, score_a, score_b, delta, low, high, p_value, n)
