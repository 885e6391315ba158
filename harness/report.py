"""The compact score table printed at the end of a run and by `evaluate show`:
one row per language, one column per task/variant, accuracy with its 95% interval."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.languages import get_language, is_known


def score_table(scores: list[dict[str, Any]], metric: str = "accuracy") -> Table:
    cells: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    columns: list[str] = []
    for record in scores:
        if record["metric"] != metric or record.get("by") is not None:
            continue
        column = f"{record['task']}/{record['variant']}"
        if column not in columns:
            columns.append(column)
        cells[record["language"]][column] = record
    table = Table(title=f"{metric} (95% interval), n per cell", title_justify="left")
    table.add_column("language")
    for column in columns:
        table.add_column(column, justify="right")
    for language in sorted(cells, key=_language_order):
        row = [_label(language)] + [_cell(cells[language].get(c)) for c in columns]
        table.add_row(*row)
    if len(cells) > 1:
        table.add_section()
        table.add_row("macro average", *[_macro(cells, c) for c in columns], style="bold")
    return table


def breakdown_table(scores: list[dict[str, Any]], by: str, metric: str = "accuracy") -> Table:
    """Scores per value of one breakdown (subject, grade, level): rows are the values,
    columns task/variant/language."""
    cells: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    columns: list[str] = []
    for record in scores:
        if record["metric"] != metric or record.get("by") != by:
            continue
        column = f"{record['task']}/{record['variant']}/{record['language']}"
        columns += [column] if column not in columns else []
        cells[str(record["group"])][column] = record
    table = Table(title=f"{metric} by {by} (95% interval)", title_justify="left")
    table.add_column(by)
    for column in columns:
        table.add_column(column, justify="right")
    for group in sorted(cells, key=_natural):
        table.add_row(group, *[_cell(cells[group].get(c)) for c in columns])
    return table


def breakdowns(scores: list[dict[str, Any]]) -> list[str]:
    """The breakdown names present in a run's scores."""
    return list(dict.fromkeys(r["by"] for r in scores if r.get("by") is not None))


def _natural(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (1 << 30, text)


def gap_tables(gaps: list[dict[str, Any]], metric: str = "accuracy") -> list[Table]:
    """One table per comparison ("language:eng_Latn", "variant:zero_shot"): rows are
    languages, columns task/variant, cells the paired gap in points with its 95% interval."""
    tables = []
    for versus in dict.fromkeys(g["versus"] for g in gaps if g["metric"] == metric):
        other = versus.split(":", 1)[1]
        cells: dict[str, dict[str, str]] = defaultdict(dict)
        columns: list[str] = []
        for g in gaps:
            if g["metric"] != metric or g["versus"] != versus:
                continue
            column = f"{g['task']}/{g['variant']}"
            columns += [column] if column not in columns else []
            low, high = 100 * g["ci_low"], 100 * g["ci_high"]
            cells[g["language"]][column] = f"{100 * g['gap']:+5.1f} [{low:+.1f}, {high:+.1f}]"
        title = f"{metric} gap in points to {'English' if other == 'eng_Latn' else other}"
        table = Table(title=f"{title} (paired items, 95% interval)", title_justify="left")
        table.add_column("language")
        for column in columns:
            table.add_column(column, justify="right")
        for language in sorted(cells, key=_language_order):
            table.add_row(_label(language), *[cells[language].get(c, "-") for c in columns])
        tables.append(table)
    return tables


def print_scores(scores: list[dict[str, Any]], console: Console | None = None) -> None:
    (console or Console()).print(score_table(scores))


def _cell(record: dict[str, Any] | None) -> str:
    if record is None:
        return "-"
    value, low, high = (100 * record[k] for k in ("value", "ci_low", "ci_high"))
    return f"{value:5.1f} [{low:4.1f}-{high:5.1f}] n={record['n']}"


def _macro(cells: dict[str, dict[str, dict[str, Any]]], column: str) -> str:
    values = [row[column]["value"] for row in cells.values() if column in row]
    return f"{100 * sum(values) / len(values):5.1f} ({len(values)} languages)" if values else "-"


def _label(code: str) -> str:
    return f"{code} {get_language(code).name}" if is_known(code) else code


def _language_order(code: str) -> tuple[int, str]:
    return (0 if code == "eng_Latn" else 1, code)
