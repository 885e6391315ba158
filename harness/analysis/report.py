"""The compact score table printed at the end of a run and by `evaluate show`:
one row per language, one column per task/variant, accuracy with its 95% interval; and the
tables of gaps, breakdowns, comparisons and the Language Confusion Benchmark's rates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table

from harness.langid import judging_limit
from harness.languages import get_language, is_known
from harness.metrics.registry import metric_info
from harness.record import GapRecord, ScoreRecord, SummaryRecord
from harness.translation.keys import scored_language

Record = ScoreRecord | GapRecord | SummaryRecord
Cells = dict[str, dict[str, Any]]  # row -> column -> record
R = TypeVar("R", ScoreRecord, GapRecord)


CONSISTENCY = "consistency"
ANSWERED = "parse_rate"
"""The metric every answered sample has (harness.scorer): its n is a cell's answers."""


def score_table(scores: list[ScoreRecord], metric: str = "accuracy") -> Table:
    """One row per language, one column per task/variant. For language consistency every
    language with answers has its row, those with none judged (all `und`) too, and the
    caption names the languages whose answers are not judged, or judged only in part."""
    chosen = [r for r in scores if r.metric == metric and r.by is None]
    if metric == CONSISTENCY:
        chosen += unjudged_cells(scores)
    cells, columns = _pivot(chosen, "language", _task_variant)
    table = _table(f"{metric} (95% interval), n per cell", "language", columns)
    for language in sorted(cells, key=_language_order):
        table.add_row(_label(language), *[_cell(cells[language].get(c)) for c in columns])
    if len(cells) > 1:
        table.add_section()
        table.add_row("macro average", *[_macro(cells, c) for c in columns], style="bold")
    if metric == CONSISTENCY:
        table.caption = _limits_caption(cells)
        table.caption_justify = "left"
    return table


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


def breakdown_table(scores: list[ScoreRecord], by: str, metric: str = "accuracy") -> Table:
    """Scores per value of one breakdown (subject, grade, level): rows are the values,
    columns task/variant/language."""
    chosen = [r for r in scores if r.metric == metric and r.by == by]
    cells, columns = _pivot(chosen, "group", lambda r: f"{_task_variant(r)}/{r.language}")
    table = _table(f"{metric} by {by} (95% interval)", by, columns)
    for group in sorted(cells, key=_natural):
        table.add_row(group, *[_cell(cells[group].get(c)) for c in columns])
    return table


def breakdowns(scores: list[ScoreRecord]) -> list[str]:
    """The breakdown names present in a run's scores."""
    return list(dict.fromkeys(r.by for r in scores if r.by is not None))


def gap_tables(gaps: list[GapRecord], metric: str = "accuracy") -> list[Table]:
    """One table per comparison ("language:eng_Latn", "variant:zero_shot"): rows are
    languages, columns task/variant, cells the paired gap in points with its 95% interval."""
    tables = []
    for versus in dict.fromkeys(g.versus for g in gaps if g.metric == metric):
        chosen = [g for g in gaps if g.metric == metric and g.versus == versus]
        cells, columns = _pivot(chosen, "language", _task_variant)
        other = versus.split(":", 1)[1]
        title = f"{metric} gap in points to {'English' if other == 'eng_Latn' else other}"
        table = _table(f"{title} (paired items, 95% interval)", "language", columns)
        for language in sorted(cells, key=_language_order):
            table.add_row(_label(language), *[_gap(cells[language].get(c)) for c in columns])
        tables.append(table)
    return tables


LCB_METRICS = ("line_pass", "word_pass", "language_confusion_pass")


def lcb_table(summary: list[SummaryRecord]) -> Table | None:
    """The Language Confusion Benchmark's rates as its paper reports them (summary.json): per
    language the mean over sources, then the mean over languages; None if the run has none."""
    chosen = [r for r in summary if r.kind in ("lcb_language", "lcb_average")]
    if not chosen:
        return None
    rates: dict[str | None, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for r in chosen:  # by language (None: the average), task/variant and metric
        if r.value is not None:
            rates[r.language][_task_variant(r)][r.metric] = r.value
    columns = list(dict.fromkeys(_task_variant(r) for r in chosen))
    title = "Language Confusion Benchmark in points: LPR / WPR / LCPR (their harmonic mean)"
    table = _table(title, "language", columns)
    for language in sorted((c for c in rates if c is not None), key=_language_order):
        table.add_row(language, *[_lcb_cell(rates[language].get(c)) for c in columns])
    table.add_section()
    average = rates.get(None, {})
    table.add_row("average", *[_lcb_cell(average.get(c)) for c in columns], style="bold")
    return table


def _lcb_cell(found: dict[str, float] | None) -> str:
    if not found:
        return "-"
    return " / ".join(f"{100 * found[m]:.1f}" if m in found else "-" for m in LCB_METRICS)


def comparison_table(comparisons: list[Any], name_a: str, name_b: str) -> Table:
    """`evaluate compare`: one row per task/variant/language, B - A in points."""
    table = Table(
        title=f"B - A, paired bootstrap (A = {name_a}, B = {name_b})", title_justify="left"
    )
    for header in ("task/variant", "language", "metric", "n", "A", "B", "B - A [95%]", "p"):
        table.add_column(
            header, justify="left" if header in ("task/variant", "language") else "right"
        )
    for c in comparisons:
        mark = " *" if c.p_value < 0.05 else ""
        table.add_row(
            f"{c.task}/{c.variant}",
            _label(c.language),
            c.metric,
            str(c.n) + (f" (+{c.only_one} unpaired)" if c.only_one else ""),
            _shown(c.metric, c.score_a, 0),
            _shown(c.metric, c.score_b, 0),
            f"{_shown(c.metric, c.delta, 0, '+')} "
            f"[{_shown(c.metric, c.ci_low, 0, '+')}, {_shown(c.metric, c.ci_high, 0, '+')}]",
            f"{c.p_value:.4f}{mark}",
        )
    return table


def _pivot(
    records: list[R], row_key: str, column_of: Callable[[R], str]
) -> tuple[Cells, list[str]]:
    """Records by row (the value of `row_key`) and column, columns in order of appearance."""
    cells: Cells = defaultdict(dict)
    for record in records:
        cells[str(getattr(record, row_key))][column_of(record)] = record
    columns = list(dict.fromkeys(column_of(r) for r in records))
    return cells, columns


def _table(title: str, row_header: str, columns: list[str]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(row_header)
    for column in columns:
        table.add_column(column, justify="right")
    return table


def _task_variant(record: Record) -> str:
    return f"{record.task}/{record.variant}"


def _natural(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (1 << 30, text)


def print_scores(scores: list[ScoreRecord], console: Console | None = None) -> None:
    (console or Console()).print(score_table(scores))


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
        return "-"
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
        return "-"
    if record.ci_low is None or record.ci_high is None:
        return f"{100 * record.gap:+5.1f}"
    low, high = 100 * record.ci_low, 100 * record.ci_high
    return f"{100 * record.gap:+5.1f} [{low:+.1f}, {high:+.1f}]"


def _macro(cells: Cells, column: str) -> str:
    found = [row[column] for row in cells.values() if column in row and row[column].n]
    values = [record.value for record in found]
    unit = (
        "pairs"
        if any("-" in row for row, found in cells.items() if column in found)
        else "languages"
    )
    if not values:
        return "-"
    return f"{_shown(found[0].metric, sum(values) / len(values))} ({len(values)} {unit})"


def _label(code: str) -> str:
    """A language with its name; a pair of languages (translation) with both names."""
    legs = code.split("-")
    if all(is_known(leg) for leg in legs):
        return f"{code} {' → '.join(get_language(leg).name for leg in legs)}"
    return code


def _language_order(code: str) -> tuple[int, str]:
    return (0 if code == "eng_Latn" else 1, code)
