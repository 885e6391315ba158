"""The compact score table printed at the end of a run and by `evaluate show`:
one row per language, one column per task/variant, accuracy with its 95% interval; and the
tables of gaps, breakdowns, comparisons and the Language Confusion Benchmark's rates.

Each is built as what to show (a harness.analysis.fit `Grid` or `Listing`, cells as text);
harness.analysis.fit lays it out in tables that fit the terminal."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from harness.analysis.fit import EMPTY, Grid, Listing
from harness.langid import judging_limit
from harness.languages import get_language, is_known
from harness.metrics.registry import metric_info
from harness.record import GapRecord, ScoreRecord, SummaryRecord
from harness.translation.keys import scored_language
from harness.wording import counted

Record = ScoreRecord | GapRecord | SummaryRecord
Column = tuple[str, str]  # task, variant (or variant/language)
Cells = dict[str, dict[Column, Any]]  # row -> column -> record
R = TypeVar("R", ScoreRecord, GapRecord)


CONSISTENCY = "consistency"
ANSWERED = "parse_rate"
"""The metric every answered sample has (harness.scorer): its n is a cell's answers."""


def score_table(scores: list[ScoreRecord], metric: str = "accuracy") -> Grid:
    """One row per language, one column per task/variant. For language consistency every
    language with answers has its row, those with none judged (all `und`) too, and the
    caption names the languages whose answers are not judged, or judged only in part."""
    chosen = shown_scores(scores, metric)
    cells, columns = _pivot(chosen, "language", _task_variant)
    rows = [
        (_label(language), [_cell(cells[language].get(c)) for c in columns])
        for language in sorted(cells, key=_language_order)
    ]
    footer = [("macro average", [_macro(cells, c) for c in columns])] if len(cells) > 1 else []
    return Grid(
        title=f"{metric} (95% interval), n per cell",
        row_header="language",
        columns=columns,
        rows=rows,
        footer=footer,
        caption=_limits_caption(cells) if metric == CONSISTENCY else None,
        value_header=metric,
    )


def shown_scores(scores: list[ScoreRecord], metric: str) -> list[ScoreRecord]:
    """The cells a score table shows: the metric's overall records, and for language
    consistency the cells with no answer judged (unjudged_cells)."""
    chosen = [r for r in scores if r.metric == metric and r.by is None]
    return chosen + unjudged_cells(scores) if metric == CONSISTENCY else chosen


def unjudged_cells(scores: list[ScoreRecord]) -> list[ScoreRecord]:
    """For each task/variant/language whose answers were all `und` (too short, or no clear
    evidence either way), a consistency record with n=0 and every answer counted as `und`:
    scoring writes no consistency record for such a cell, and its table row must not vanish.
    For the table only: such a record has no value to average."""
    judged = {(r.task, r.variant, r.language) for r in scores if r.metric == CONSISTENCY}
    return [
        r.model_copy(update={"metric": CONSISTENCY, "value": 0.0, "n": 0, "und": r.n})
        for r in scores
        if r.metric == ANSWERED and r.by is None and (r.task, r.variant, r.language) not in judged
    ]


def _limits_caption(cells: Cells) -> str | None:
    """The table's languages whose answers are not judged, or judged only in part, and why."""
    lines = [
        f"{_label(language)}: {limit}"
        for language in sorted(cells, key=_language_order)
        if (limit := judging_limit(scored_language(language)))
    ]
    return "\n".join(["language checks:", *lines]) if lines else None


def breakdown_table(scores: list[ScoreRecord], by: str, metric: str = "accuracy") -> Grid:
    """Scores per value of one breakdown (subject, grade, level): rows are the values,
    columns task/variant/language (empty where the metric has no such breakdown)."""
    chosen = [r for r in scores if r.metric == metric and r.by == by]
    cells, columns = _pivot(chosen, "group", lambda r: (r.task, f"{r.variant}/{r.language}"))
    return Grid(
        title=f"{metric} by {by} (95% interval), n per cell",
        row_header=by,
        columns=columns,
        rows=[
            (group, [_cell(cells[group].get(c)) for c in columns])
            for group in sorted(cells, key=_natural)
        ],
        column_header="variant/language",
        value_header=metric,
    )


def breakdowns(scores: list[ScoreRecord]) -> list[str]:
    """The breakdown names present in a run's scores."""
    return list(dict.fromkeys(r.by for r in scores if r.by is not None))


def gap_tables(gaps: list[GapRecord], metric: str = "accuracy") -> list[Grid]:
    """One table per comparison ("language:eng_Latn", "variant:zero_shot"): rows are
    languages, columns task/variant, cells the paired gap in points with its 95% interval."""
    tables = []
    for versus in dict.fromkeys(g.versus for g in gaps if g.metric == metric):
        chosen = [g for g in gaps if g.metric == metric and g.versus == versus]
        cells, columns = _pivot(chosen, "language", _task_variant)
        other = versus.split(":", 1)[1]
        title = f"{metric} gap in points to {'English' if other == 'eng_Latn' else other}"
        rows = [
            (_label(language), [_gap(cells[language].get(c)) for c in columns])
            for language in sorted(cells, key=_language_order)
        ]
        title = f"{title} (paired items, 95% interval)"
        tables.append(Grid(title, "language", columns, rows, value_header=f"{metric} gap"))
    return tables


LCB_METRICS = ("line_pass", "word_pass", "language_confusion_pass")


def lcb_table(summary: list[SummaryRecord]) -> Grid | None:
    """The Language Confusion Benchmark's rates as its paper reports them (summary.json): per
    language the mean over sources, then the mean over languages; None if the run has none."""
    chosen = [r for r in summary if r.kind in ("lcb_language", "lcb_average")]
    if not chosen:
        return None
    rates: dict[str | None, dict[Column, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for r in chosen:  # by language (None: the average), task/variant and metric
        if r.value is not None:
            rates[r.language][_task_variant(r)][r.metric] = r.value
    columns = list(dict.fromkeys(_task_variant(r) for r in chosen))
    title = "Language Confusion Benchmark in points: LPR / WPR / LCPR (their harmonic mean)"
    rows = [
        (language, [_lcb_cell(rates[language].get(c)) for c in columns])
        for language in sorted((c for c in rates if c is not None), key=_language_order)
    ]
    average = rates.get(None, {})
    footer = [("average", [_lcb_cell(average.get(c)) for c in columns])]
    return Grid(title, "language", columns, rows, footer, value_header="LPR / WPR / LCPR")


def _lcb_cell(found: dict[str, float] | None) -> str:
    if not found:
        return EMPTY
    return " / ".join(f"{100 * found[m]:.1f}" if m in found else "-" for m in LCB_METRICS)


COMPARISON_HEADERS = ["variant", "language", "metric", "n", "A", "B", "B - A [95%]", "p"]


def comparison_table(comparisons: list[Any], name_a: str, name_b: str) -> Listing:
    """`evaluate compare`: one row per task/variant/language, B - A in points."""
    rows = []
    for c in comparisons:
        mark = " *" if c.p_value < 0.05 else ""
        cells = [
            c.variant,
            _label(c.language),
            c.metric,
            str(c.n) + (f" (+{c.only_one} unpaired)" if c.only_one else ""),
            _shown(c.metric, c.score_a, 0),
            _shown(c.metric, c.score_b, 0),
            f"{_shown(c.metric, c.delta, 0, '+')} "
            f"[{_shown(c.metric, c.ci_low, 0, '+')}, {_shown(c.metric, c.ci_high, 0, '+')}]",
            f"{c.p_value:.4f}{mark}",
        ]
        rows.append((c.task, cells))
    return Listing(
        title=f"B - A, paired bootstrap (A = {name_a}, B = {name_b})",
        group_header="task",
        headers=COMPARISON_HEADERS,
        rows=rows,
        right=frozenset(COMPARISON_HEADERS[2:]),
        label="language",
        said_once=frozenset({"variant", "metric"}),
    )


def _pivot(
    records: list[R], row_key: str, column_of: Callable[[R], Column]
) -> tuple[Cells, list[Column]]:
    """Records by row (the value of `row_key`) and column, columns in order of appearance."""
    cells: Cells = defaultdict(dict)
    for record in records:
        cells[str(getattr(record, row_key))][column_of(record)] = record
    columns = list(dict.fromkeys(column_of(r) for r in records))
    return cells, columns


def _task_variant(record: Record) -> Column:
    return (record.task, record.variant)


def _natural(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (1 << 30, text)


def _shown(metric: str, value: float, width: int = 5, sign: str = "") -> str:
    """A value as the tables show it: a rate in percent, another value (bits per byte) as is;
    `width` 0 (compare's table) shows one more digit."""
    info = metric_info(metric)
    digits = 1 if width else 2
    if info is not None and not info.bounded:
        return f"{value:{sign}{width}.{digits + 2}f}"
    return f"{100 * value:{sign}{width}.{digits}f}"


def _cell(record: ScoreRecord | None) -> str:
    if record is None:
        return EMPTY
    if record.n == 0:  # no answer judged (consistency): nothing to show but the counts
        return f"    - n=0 und={record.und or 0}"
    metric = record.metric
    interval = (
        f" [{_shown(metric, record.ci_low, 4)}-{_shown(metric, record.ci_high)}]"
        if record.ci_low is not None and record.ci_high is not None
        else ""
    )
    und = f" und={record.und}" if record.und else ""
    return f"{_shown(metric, record.value)}{interval} n={record.n}{und}"


def _gap(record: GapRecord | None) -> str:
    if record is None:
        return EMPTY
    if record.ci_low is None or record.ci_high is None:
        return f"{100 * record.gap:+5.1f}"
    low, high = 100 * record.ci_low, 100 * record.ci_high
    return f"{100 * record.gap:+5.1f} [{low:+.1f}, {high:+.1f}]"


def _macro(cells: Cells, column: Column) -> str:
    found = [row[column] for row in cells.values() if column in row and row[column].n]
    values = [record.value for record in found]
    unit = (
        "pair" if any("-" in row for row, found in cells.items() if column in found) else "language"
    )
    if not values:
        return EMPTY
    return f"{_shown(found[0].metric, sum(values) / len(values))} ({counted(len(values), unit)})"


def _label(code: str) -> str:
    """A language with its name; a pair of languages (translation) with both names."""
    legs = code.split("-")
    if all(is_known(leg) for leg in legs):
        return f"{code} {' → '.join(get_language(leg).name for leg in legs)}"
    return code


def _language_order(code: str) -> tuple[int, str]:
    return (0 if code == "eng_Latn" else 1, code)
