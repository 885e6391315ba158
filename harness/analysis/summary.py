"""Cross-language summary of a run (summary.json): macro averages with clustered intervals,
gaps to English, the worst language and cross-lingual consistency.

Computed from the run's sample records (samples.jsonl); the corpus metrics of translation tasks
(chrF++, BLEU, TER), which no sample carries, from its score records (scores.json). Failed
requests (no scores) are left out; a sample's score that is not a finite number is too.

Every record is flat and has these keys:

- `task`, `variant`, `metric`;
- `kind`, one of
  - `macro`: the macro average over languages (each language weighted equally; a
    translation task's "languages" are its pairs), `group` null;
  - `macro_by_tier`, `macro_by_script`: the same over the languages of one resource tier
    (high/mid/low) or one script (`Deva`), `group` the tier or script, from the language table
    (a pair counts under the language it is scored in: its target, or its source after a round
    trip; a code the table does not know is left out of these two);
  - `worst_language`: the language (or pair) with the lowest score (the highest for TER),
    `group` the language, `value` its score, `share_worst` the share of resamples in which it
    is the worst (null for corpus metrics);
  - `gap_to_english`: the language's score minus English's over the items both have, each
    item's score the mean of its samples there (a fraction, like every score: 100x for
    points), `group` the language, with `score` and `english`, the two scores over those
    items: the numbers the run's gaps.json gives (harness.analysis.stats.paired_gap_estimates;
    gaps.json leaves parse rates out);
  - `relative_gap_to_english`: that gap divided by English's score (null where English
    scores 0), same keys;
  - `agreement_with_english`: the share of items both have whose correctness (right or
    wrong) is the same in the language as in English, `group` the language;
  - `correct_in_every_language`: the share of items, among those present in every language
    of the task and variant, that are right in all of them, `group` null;
- `group`: as above;
- `value`, `ci_low`, `ci_high`: the number and its 95% interval (null where none is computed);
- `n`: the samples behind the value (the items compared for gaps and agreement, the items
  present in every language for `correct_in_every_language`);
- `items`: the distinct parallel items behind the value (null for corpus metrics);
- `languages`: how many languages (or pairs) the value is computed over;
- `method`: how the interval was computed: `clustered_bootstrap` (resampling parallel ids:
  the same question in 11 languages is one draw; a language lacking an item lacks it in every
  resample), `paired_bootstrap` (resampling the items both languages have), `wilson` (a
  proportion over items), `sentence_bootstrap` (a corpus metric's worst pair: the pair's own
  interval from scores.json, resampling its sentences) or null (no interval).

Which metrics: every per-sample metric (accuracy, exact_match, f1, parse_rate,
math_equivalent, temporal_*, sentence_chrf, ...) gets the macro averages and the worst
language; gaps, agreement and all-correct shares are computed for tasks whose languages are
parallel, that is that have English (`eng_Latn`) and are not translation pairs. Agreement and
all-correct shares need right-or-wrong metrics (0/1 per sample: accuracy, exact_match,
math_equivalent, a metric the harness does not list whose every value is 0 or 1, such as
language-normalised accuracy), so not parse_rate nor the language-consistency rates, which are
about the form of an answer. An item that a language has several samples of is right when
their mean is at least one half. Resamples in which English scores 0 are left out of a
relative gap's interval.

Bits per byte (texts scored by log-likelihood, harness.loglikelihood.scoring) is a ratio: each
language's value is its texts' bits over their bytes (as in scores.json), its macro averages and
worst language use the same ratios (each resample recomputes them over the drawn parallel
texts), and its gap to English compares the two ratios over the texts both have, recomputed on
each resample of those texts. Its samples' `sentence_bits_per_byte` is not averaged.

The corpus metrics chrF++, BLEU and TER are macro-averaged over pairs (all, by tier, by
script), with their worst pair, from the per-pair values in scores.json and with no interval:
their own bootstrap (scores.json) resamples sentences within one pair, and recomputing a
corpus metric in each of 1,000 resamples of every pair would cost more than the whole summary.

The Language Confusion Benchmark's rates (line_pass, word_pass and their harmonic mean) get the
averages its paper reports, per source and language first (kinds `lcb_cell`, `lcb_language`,
`lcb_source`, `lcb_average`; harness/language_confusion.py), with keys `source` and `language`.

All intervals of one task and variant come from one bootstrap over its parallel ids (per set
of ids a metric has), with a fixed seed (`seed`, `resamples`), so that the summary is
reproducible and each number depends only on its own task and variant.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.analysis.stats import (
    RESAMPLES,
    SEED,
    FloatArray,
    clustered_means,
    paired_gap_estimates,
    percentile_interval,
    row_means,
    wilson_interval,
)
from harness.language_confusion import KINDS as LCB_KINDS
from harness.language_confusion import METHOD as LCB_METHOD
from harness.language_confusion import lcb_averages
from harness.languages import TIERS, Language, get_language, is_known
from harness.loglikelihood.formulations import BITS_PER_BYTE, SENTENCE_BITS_PER_BYTE
from harness.loglikelihood.scoring import bits_and_bytes
from harness.metrics import CORPUS
from harness.metrics.registry import lower_is_better, metric_info
from harness.record import SampleRecord, ScoreRecord, SummaryRecord
from harness.translation.keys import pair_of, scored_language

ENGLISH = "eng_Latn"
KINDS = (
    "macro",
    "macro_by_tier",
    "macro_by_script",
    "worst_language",
    "gap_to_english",
    "relative_gap_to_english",
    "agreement_with_english",
    "correct_in_every_language",
    *LCB_KINDS,
)

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Table:
    """One task and variant: each metric's sums and counts of scores per language and item."""

    task: str
    variant: str
    languages: list[str]  # sorted codes (or pair keys)
    items: list[str]  # sorted parallel ids: the bootstrap's clusters
    metrics: list[str]
    sums: FloatArray  # (metrics, languages, items)
    counts: FloatArray  # the samples behind each sum
    weights: FloatArray  # what each sum is divided by: its samples, or a ratio's bytes

    @property
    def translation(self) -> bool:
        return any(pair_of(language) is not None for language in self.languages)


@dataclass(frozen=True, slots=True)
class _Settings:
    resamples: int
    seed: int
    confidence: float


def summarize(
    samples: Iterable[SampleRecord],
    scores: Sequence[ScoreRecord] = (),
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    confidence: float = 0.95,
) -> list[SummaryRecord]:
    """The summary records of a run from its sample records and score records (for the
    corpus metrics), ordered by task, variant, metric and kind."""
    settings = _Settings(resamples, seed, confidence)
    records: list[Record] = []
    for table in _tables(samples):
        records += _table_records(table, settings)
    records += _corpus_records(scores)
    records += lcb_records(scores)
    order = {kind: i for i, kind in enumerate(KINDS)}
    records.sort(key=lambda r: (r["task"], r["variant"], r["metric"], order[r["kind"]]))
    return [SummaryRecord.model_validate(record) for record in records]


# ---- building the tables


Row = tuple[str, str, str, float, float]  # language, parallel id, metric, value, weight


def _tables(samples: Iterable[SampleRecord]) -> list[_Table]:
    found: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for sample in samples:
        cell = found[(sample.task, sample.variant)]
        language, item = sample.language, sample.parallel_id
        for metric, value in sample.scores.items():
            if metric in CORPUS or not _number(value):
                continue
            if metric == SENTENCE_BITS_PER_BYTE:  # a ratio: its bits over its bytes
                bits, size = bits_and_bytes(sample)
                cell.append((language, item, BITS_PER_BYTE, bits, float(size)))
            else:
                cell.append((language, item, metric, float(value), 1.0))
    return [_table(task, variant, rows) for (task, variant), rows in sorted(found.items()) if rows]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _table(task: str, variant: str, rows: list[Row]) -> _Table:
    languages = sorted({r[0] for r in rows})
    items = sorted({r[1] for r in rows})
    metrics = sorted({r[2] for r in rows})
    lang_at = {code: i for i, code in enumerate(languages)}
    item_at = {pid: i for i, pid in enumerate(items)}
    metric_at = {name: i for i, name in enumerate(metrics)}
    n_lang, n_item = len(languages), len(items)
    flat = np.fromiter(
        (
            (metric_at[m] * n_lang + lang_at[lang]) * n_item + item_at[pid]
            for lang, pid, m, _, _ in rows
        ),
        dtype=np.int64,
        count=len(rows),
    )
    values = np.fromiter((r[3] for r in rows), dtype=np.float64, count=len(rows))
    shape = (len(metrics), n_lang, n_item)
    size = shape[0] * n_lang * n_item
    sums = np.bincount(flat, weights=values, minlength=size).astype(np.float64).reshape(shape)
    counts = np.bincount(flat, minlength=size).astype(np.float64).reshape(shape)
    weighed = np.fromiter((r[4] for r in rows), dtype=np.float64, count=len(rows))
    weights = np.bincount(flat, weights=weighed, minlength=size).astype(np.float64).reshape(shape)
    return _Table(task, variant, languages, items, metrics, sums, counts, weights)


# ---- one task and variant


def _table_records(table: _Table, settings: _Settings) -> list[Record]:
    replicates = _language_replicates(table, settings)
    records: list[Record] = []
    parallel = ENGLISH in table.languages and not table.translation
    for m, metric in enumerate(table.metrics):
        records += _macro_records(table, m, replicates[m], settings)
        records += _worst_language(table, m, replicates[m], settings)
        if parallel:
            records += _gap_records(table, m, settings)
            if _right_or_wrong(metric, table, m):
                records += _agreement_records(table, m)
    return records


def _language_replicates(table: _Table, settings: _Settings) -> list[FloatArray]:
    """Per metric, the bootstrap replicates of each language's mean: (resamples, languages),
    from one bootstrap over the parallel ids that have the metric (metrics with the same ids
    share the bootstrap)."""
    n_metrics, n_lang, _ = table.sums.shape
    has_item = table.counts.sum(axis=1) > 0  # (metrics, items)
    out: list[FloatArray] = [np.empty(0)] * n_metrics
    by_mask: dict[bytes, list[int]] = defaultdict(list)
    for m in range(n_metrics):
        by_mask[has_item[m].tobytes()].append(m)
    for chosen in by_mask.values():
        columns = np.flatnonzero(has_item[chosen[0]])
        sums = table.sums[chosen][:, :, columns].reshape(len(chosen) * n_lang, len(columns))
        weights = table.weights[chosen][:, :, columns].reshape(sums.shape)
        found = clustered_means(sums, weights, settings.resamples, settings.seed)
        for i, m in enumerate(chosen):
            out[m] = found[:, i * n_lang : (i + 1) * n_lang]
    return out


def _macro_records(
    table: _Table, m: int, replicates: FloatArray, settings: _Settings
) -> list[Record]:
    means = _means(table.sums[m], table.weights[m])
    present = [int(i) for i in np.flatnonzero(np.isfinite(means))]
    groups: list[tuple[str, str | None, list[int]]] = [("macro", None, present)]
    languages = {i: _language_of(table.languages[i]) for i in present}
    for tier in TIERS:
        chosen = [i for i, lang in languages.items() if lang is not None and lang.tier == tier]
        groups.append(("macro_by_tier", tier, chosen))
    for script in sorted({lang.script for lang in languages.values() if lang is not None}):
        chosen = [i for i, lang in languages.items() if lang is not None and lang.script == script]
        groups.append(("macro_by_script", script, chosen))
    records = []
    for kind, group, rows in groups:
        if not rows:
            continue
        counts = table.counts[m][rows]
        low, high = percentile_interval(row_means(replicates[:, rows]), settings.confidence)
        records.append(
            _record(
                table,
                m,
                kind,
                group,
                float(np.mean(means[rows])),
                (low, high),
                n=int(counts.sum()),
                items=int((counts.sum(axis=0) > 0).sum()),
                languages=len(rows),
                method="clustered_bootstrap",
            )
        )
    return records


def _worst_language(
    table: _Table, m: int, replicates: FloatArray, settings: _Settings
) -> list[Record]:
    sign = -1.0 if lower_is_better(table.metrics[m]) else 1.0  # bits per byte: the highest
    means = sign * _means(table.sums[m], table.weights[m])
    present = np.flatnonzero(np.isfinite(means))
    if len(present) < 2:
        return []
    worst = int(present[np.argmin(means[present])])  # ties: the first code in sorted order
    drawn = np.where(np.isfinite(replicates[:, present]), sign * replicates[:, present], np.inf)
    share = float(np.mean(present[np.argmin(drawn, axis=1)] == worst))
    counts = table.counts[m][worst]
    record = _record(
        table,
        m,
        "worst_language",
        table.languages[worst],
        float(sign * means[worst]),
        percentile_interval(replicates[:, worst], settings.confidence),
        n=int(counts.sum()),
        items=int((counts > 0).sum()),
        languages=len(present),
        method="clustered_bootstrap",
    )
    record["share_worst"] = share
    return [record]


def _gap_records(table: _Table, m: int, settings: _Settings) -> list[Record]:
    """Each language against English over the items both have, each item's score the mean of
    its samples (harness.analysis.stats.paired_gap_estimates, as gaps.json)."""
    if table.metrics[m] == BITS_PER_BYTE:
        return _ratio_gap_records(table, m, settings)
    items = _item_means(table.sums[m], table.counts[m])
    english = table.languages.index(ENGLISH)
    others = [i for i in range(len(table.languages)) if i != english]
    estimates = paired_gap_estimates(
        items[others],
        items[english],
        resamples=settings.resamples,
        seed=settings.seed,
        confidence=settings.confidence,
    )
    records = []
    for lang, gap in zip(others, estimates, strict=True):
        if gap is None:
            continue
        for kind, value, interval in (
            ("gap_to_english", gap.gap, (gap.low, gap.high)),
            ("relative_gap_to_english", gap.relative_gap, (gap.relative_low, gap.relative_high)),
        ):
            record = _record(
                table,
                m,
                kind,
                table.languages[lang],
                value,
                interval,
                n=gap.n,
                items=gap.n,
                languages=2,
                method="paired_bootstrap",
            )
            records.append({**record, "score": gap.value, "english": gap.base})
    return sorted(records, key=lambda r: (r["kind"], r["group"]))


def _ratio_gap_records(table: _Table, m: int, settings: _Settings) -> list[Record]:
    """Bits per byte of each language against English's over the texts both have: both
    ratios recomputed on each resample of those texts (paired), the gap their difference."""
    sums, weights = table.sums[m], table.weights[m]
    english = table.languages.index(ENGLISH)
    records = []
    for lang in range(len(table.languages)):
        shared = np.flatnonzero((weights[lang] > 0) & (weights[english] > 0))
        if lang == english or not shared.size:
            continue
        pair = [lang, english]
        bits, sizes = sums[pair][:, shared], weights[pair][:, shared]
        score, base = bits.sum(axis=1) / sizes.sum(axis=1)
        drawn = clustered_means(bits, sizes, settings.resamples, settings.seed)
        gaps = drawn[:, 0] - drawn[:, 1]
        relative = np.full_like(gaps, np.nan)  # resamples where English scores 0: left out
        np.divide(gaps, drawn[:, 1], out=relative, where=drawn[:, 1] != 0)
        for kind, value, replicates in (
            ("gap_to_english", score - base, gaps),
            ("relative_gap_to_english", (score - base) / base if base else None, relative),
        ):
            record = _record(
                table,
                m,
                kind,
                table.languages[lang],
                None if value is None else float(value),
                percentile_interval(replicates, settings.confidence),
                n=int(shared.size),
                items=int(shared.size),
                languages=2,
                method="paired_bootstrap",
            )
            records.append({**record, "score": float(score), "english": float(base)})
    return sorted(records, key=lambda r: (r["kind"], r["group"]))


def _agreement_records(table: _Table, m: int) -> list[Record]:
    counts = table.counts[m]
    present = counts > 0
    correct = np.zeros(counts.shape, dtype=bool)
    np.greater_equal(table.sums[m], counts / 2, out=correct, where=present)
    english = table.languages.index(ENGLISH)
    records = []
    for lang in range(len(table.languages)):
        shared = present[lang] & present[english]
        if lang == english or not shared.any():
            continue
        agree = int((correct[lang][shared] == correct[english][shared]).sum())
        n = int(shared.sum())
        records.append(
            _record(
                table,
                m,
                "agreement_with_english",
                table.languages[lang],
                agree / n,
                wilson_interval(agree, n),
                n=n,
                items=n,
                languages=2,
                method="wilson",
            )
        )
    languages = np.flatnonzero(present.any(axis=1))
    everywhere = present[languages].all(axis=0)
    n = int(everywhere.sum())
    if len(languages) >= 2 and n:
        right = int(correct[languages][:, everywhere].all(axis=0).sum())
        records.append(
            _record(
                table,
                m,
                "correct_in_every_language",
                None,
                right / n,
                wilson_interval(right, n),
                n=n,
                items=n,
                languages=len(languages),
                method="wilson",
            )
        )
    return records


def _right_or_wrong(metric: str, table: _Table, m: int) -> bool:
    """Whether the metric says right or wrong: a 0/1 metric that is about correctness."""
    info = metric_info(metric)
    if info is not None and info.measures != "correctness":
        return False
    if info is not None and info.binary is not None:
        return info.binary
    sums, counts = table.sums[m], table.counts[m]
    single = counts == 1  # a metric the harness does not know: 0/1 in every sample
    return bool(np.all(counts <= 1) and np.isin(sums[single], (0.0, 1.0)).all())


def _means(sums: FloatArray, counts: FloatArray) -> FloatArray:
    """Each language's mean over its samples (NaN for a language without the metric)."""
    totals, sizes = sums.sum(axis=1), counts.sum(axis=1)
    means = np.full(totals.shape, np.nan)
    np.divide(totals, sizes, out=means, where=sizes > 0)
    return means


def _item_means(sums: FloatArray, counts: FloatArray) -> FloatArray:
    """Each language's mean per item (NaN where it lacks the item)."""
    means = np.full(sums.shape, np.nan)
    np.divide(sums, counts, out=means, where=counts > 0)
    return means


def _record(
    table: _Table,
    m: int,
    kind: str,
    group: str | None,
    value: float | None,
    interval: tuple[float | None, float | None],
    *,
    n: int,
    items: int | None,
    languages: int,
    method: str | None,
) -> Record:
    return _flat(
        table.task,
        table.variant,
        table.metrics[m],
        kind,
        group,
        value,
        interval,
        n,
        items,
        languages,
        method,
    )


def _flat(
    task: str,
    variant: str,
    metric: str,
    kind: str,
    group: str | None,
    value: float | None,
    interval: tuple[float | None, float | None],
    n: int,
    items: int | None,
    languages: int,
    method: str | None,
) -> Record:
    low, high = interval
    return {
        "task": task,
        "variant": variant,
        "metric": metric,
        "kind": kind,
        "group": group,
        "value": value,
        "ci_low": low,
        "ci_high": high,
        "n": n,
        "items": items,
        "languages": languages,
        "method": method,
    }


def _language_of(code: str) -> Language | None:
    """The language table's row for a language, or for a pair the language it is scored in
    (the target; the source again after a round trip); None for a code it does not know."""
    scored = scored_language(code)
    return get_language(scored) if is_known(scored) else None


# ---- the Language Confusion Benchmark's averages


def lcb_records(scores: Sequence[ScoreRecord]) -> list[Record]:
    """The LCB rates (harness.language_confusion) as summary records, with their source and
    language."""
    return [
        _flat(
            a.task,
            a.variant,
            a.metric,
            a.kind,
            a.group,
            a.value,
            (None, None),
            a.n,
            None,
            a.languages,
            LCB_METHOD,
        )
        | {"source": a.source, "language": a.language}
        for a in lcb_averages(scores)
    ]


# ---- corpus metrics of translation tasks


def _corpus_records(scores: Sequence[ScoreRecord]) -> list[Record]:
    """Macro averages (all, by tier, by script) and the worst pair of chrF++, BLEU and TER,
    from the per-pair values in scores.json, without an interval."""
    found: dict[tuple[str, str, str], dict[str, ScoreRecord]] = defaultdict(dict)
    for record in scores:
        if record.metric in CORPUS and record.by is None and _number(record.value):
            found[(record.task, record.variant, record.metric)][record.language] = record
    records = []
    for (task, variant, metric), by_pair in sorted(found.items()):
        pairs = sorted(by_pair)
        languages = {pair: _language_of(pair) for pair in pairs}
        groups: list[tuple[str, str | None, list[str]]] = [("macro", None, pairs)]
        for tier in TIERS:
            chosen = [p for p in pairs if (lang := languages[p]) is not None and lang.tier == tier]
            groups.append(("macro_by_tier", tier, chosen))
        scripts = sorted({lang.script for lang in languages.values() if lang is not None})
        for script in scripts:
            chosen = [
                p for p in pairs if (lang := languages[p]) is not None and lang.script == script
            ]
            groups.append(("macro_by_script", script, chosen))
        for kind, group, chosen in groups:
            if chosen:
                value = sum(by_pair[p].value for p in chosen) / len(chosen)
                n = sum(by_pair[p].n for p in chosen)
                records.append(
                    _flat(
                        task,
                        variant,
                        metric,
                        kind,
                        group,
                        value,
                        (None, None),
                        n,
                        None,
                        len(chosen),
                        None,
                    )
                )
        if len(pairs) >= 2:
            pick = max if lower_is_better(metric) else min
            worst = pick(pairs, key=lambda p: by_pair[p].value)
            record = by_pair[worst]
            records.append(
                {
                    **_flat(
                        task,
                        variant,
                        metric,
                        "worst_language",
                        worst,
                        record.value,
                        (record.ci_low, record.ci_high),
                        record.n,
                        None,
                        len(pairs),
                        "sentence_bootstrap",
                    ),
                    "share_worst": None,
                }
            )
    return records
