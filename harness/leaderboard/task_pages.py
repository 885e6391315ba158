"""The task pages: what the task is (description, licence, citation, data), its version,
templates and data source in the runs, and per column (variant and data tier) a chart of the
models' macro averages and the model x language heatmap, each macro average with what it rests
on on hover (pages.basis_title) and a mark where its run is incomplete; for the Language
Confusion Benchmark, its rates (LPR, WPR, LCPR) per language and per source. Each column's
values are on its own scale (harness.leaderboard.scales: a log-likelihood variant's bits per
byte as is, coloured within the column's range, lower is better)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from harness.leaderboard.confusion import GROUP, LABELS, TITLES, Confusion, Rates
from harness.leaderboard.corpus import EXPLAINED, is_corpus
from harness.leaderboard.corpus import METHOD as CORPUS_METHOD
from harness.leaderboard.drill import Available
from harness.leaderboard.heat import HeatCells
from harness.leaderboard.names import model_page, slug, task_page
from harness.leaderboard.pages import (
    INCOMPLETE_MARK,
    Page,
    basis_title,
    drill_href,
    interval_line,
    language_label,
    language_title,
    points,
    rank_label,
    sort_value,
)
from harness.leaderboard.runs import Run
from harness.leaderboard.scales import NOT_APPLICABLE, POINTS
from harness.leaderboard.svg import Bar, bar_chart, legend
from harness.leaderboard.tables import ALL, Board, Cell, Column, LanguageCell, language_order


def _variant_section(
    board: Board, column: Column, available: Available, spec: dict[str, Any], heat: HeatCells
) -> dict[str, Any]:
    languages = board.column_languages.get(column.key, [])
    scale = column.scale
    rows = []
    bars = []
    for model in board.models:
        cell = board.cell(model, column)
        if cell is None:
            continue
        by_language = {c.language: c for c in board.language_cells.get((model, column.key), [])}
        primary = cell.scores.primary
        bars.append(Bar(model, primary, rank_label(cell)))
        rows.append(
            {
                "model": model,
                "href": f"../{model_page(model)}",
                "rank": cell.ranks.get(ALL),
                "macro": scale.text(primary.value if primary else None),
                "macro_value": scale.sort_value(primary.value if primary else None),
                "macro_ci": scale.interval(primary),
                "title": basis_title(cell) + interval_line(primary, scale, cell.scores.method),
                "mark": "" if cell.complete else INCOMPLETE_MARK,
                "drill": drill_href("../", available, cell.run, column),
                "cells": heat.row([by_language.get(lang) for lang in languages]),
                "run": cell.run.run_id,
            }
        )
    rows.sort(key=lambda r: (r["rank"] or 1 << 30, r["model"]))
    return {
        "id": column.anchor,
        "column": column,
        "description": spec.get("variants", {}).get(column.variant, ""),
        "languages": [
            {"code": lang, "label": language_label(lang), "title": language_title(lang)}
            for lang in languages
        ],
        "rows": rows,
        "chart": bar_chart(
            f"{column.metric}: macro average over languages",  # the section's heading: column
            bars,
            column.lower_is_better,
            scale,
        ),
        "legend": _legend(board, column),
        "unit": "in points" if scale == POINTS else f"{column.metric}, as is",
        "interval_note": _interval_note(board, column),
        "loglikelihood": column.loglikelihood,
        "lcb": _lcb_tables(board, column, available),
    }


def _interval_note(board: Board, column: Column) -> str:
    """What the page says of a corpus metric's macro intervals (harness.leaderboard.corpus)."""
    if not is_corpus(column.metric):
        return ""
    methods = {cell.scores.method for model in board.models if (cell := board.cell(model, column))}
    said = f"; {column.metric} is a corpus metric: a macro average's interval is {EXPLAINED}"
    return said if methods == {CORPUS_METHOD} else said + " (where it has one: see on hover)"


def _legend(board: Board, column: Column) -> Markup:
    """The heatmap's colour scale: 0 to 100 points, or the column's range (as is)."""
    scale = column.scale
    if scale == POINTS:
        return legend(f"{column.metric} (points)", column.lower_is_better)
    low, high = board.spans.get(column.key, (0.0, 0.0))
    lower = ", lower is better" if column.lower_is_better else ""
    return legend(
        f"{column.metric} (as is{lower}; from the column's least to its greatest value)",
        column.lower_is_better,
        (scale.text(low), scale.text((low + high) / 2), scale.text(high)),
    )


def _lcb_tables(board: Board, column: Column, available: Available) -> dict[str, Any] | None:
    """The LCB rates of a column's models: per language (and their average) and per source;
    None where no model has them."""
    found = _confused(board, column)
    if not found:
        return None
    languages = sorted({lang for _, c in found for lang in c.languages}, key=language_order)
    sources = sorted({source for _, c in found for source in c.sources})
    return {
        "group": GROUP,
        "labels": list(zip(LABELS, TITLES, strict=True)),
        "models": [
            {"model": cell.model, "href": f"../{model_page(cell.model)}"} for cell, _ in found
        ],
        "languages": [
            {
                "code": lang,
                "label": language_label(lang),
                "title": language_title(lang),
                "cells": [
                    rate
                    for cell, c in found
                    for rate in _rates(
                        c.languages.get(lang), drill_href("../", available, cell.run, column, lang)
                    )
                ],
            }
            for lang in languages
        ],
        "average": [rate for _, c in found for rate in _rates(c.average)],
        "sources": sources,
        "source_rows": [_source_row(cell.model, c, sources) for cell, c in found],
    }


def _confused(board: Board, column: Column) -> list[tuple[Cell, Confusion]]:
    """The column's cells that have LCB rates, in the board's model order."""
    found = []
    for model in board.models:
        cell = board.cell(model, column)
        if cell is not None and cell.confusion is not None:
            found.append((cell, cell.confusion))
    return found


def _rates(rates: Rates | None, drill: str | None = None) -> list[dict[str, Any]]:
    """LPR, WPR and LCPR in points; the first with its drill-down link."""
    values = rates.values if rates else (None, None, None)
    return [
        {
            "text": points(v),
            "value": sort_value(v),
            "class": label.lower(),
            "drill": drill if i == 0 else None,
        }
        for i, (label, v) in enumerate(zip(LABELS, values, strict=True))
    ]


def _source_row(model: str, confusion: Confusion, sources: list[str]) -> dict[str, Any]:
    """A model's LCPR per source (its LPR and WPR in the title)."""
    found = confusion.sources
    entries = []
    for source in sources:
        rates = found.get(source)
        lpr, wpr, lcpr = rates.values if rates else (None, None, None)
        title = f"{source}: LPR {points(lpr)}, WPR {points(wpr)}, LCPR {points(lcpr)}"
        entries.append({"text": points(lcpr), "value": sort_value(lcpr), "title": title})
    return {"model": model, "href": f"../{model_page(model)}", "cells": entries}


def task_pages(
    board: Board,
    available: Available,
    specs: dict[str, dict[str, Any]],
    heat: HeatCells | None = None,
) -> list[tuple[Page, list[LanguageCell]]]:
    """One page per task, and the language cells its download holds."""
    heat = heat or HeatCells(available, board.spans)
    pages = []
    for task in sorted({c.task for c in board.columns}):
        columns = [c for c in board.columns if c.task == task]
        spec = specs.get(task, {})
        keys = {c.key for c in columns}
        used = {cell.run.key for (_, key), cell in board.cells.items() if key in keys}
        runs = [run for run in board.runs if run.key in used]
        entries = _task_entries(task, runs)
        cells = [
            cell
            for column in columns
            for model in board.models
            for cell in board.language_cells.get((model, column.key), [])
        ]
        page = Page(
            task_page(task),
            "task.html.j2",
            task,
            runs,
            {
                "task": task,
                "spec": spec,
                "family": columns[0].task_family,
                "kind": columns[0].kind or "",
                "metrics": list(dict.fromkeys(c.metric for c in columns)),
                "entries": entries,
                "marked": INCOMPLETE_MARK,
                "na": NOT_APPLICABLE,
                "sections": [_variant_section(board, c, available, spec, heat) for c in columns],
                "downloads": [("CSV", f"{slug(task)}.csv"), ("JSON", f"{slug(task)}.json")],
            },
        )
        pages.append((page, cells))
    return pages


def _task_entries(task: str, runs: Sequence[Run]) -> list[dict[str, Any]]:
    """The task's version, templates (with hashes) and data source in the runs, one entry per
    distinct combination, with the runs (and their models) that share it."""
    grouped: dict[tuple[str, tuple[str, ...], str], list[Run]] = {}
    for run in runs:
        entry = run.tasks.get(task, {})
        source = _mapping(entry.get("source"))
        variants = _mapping(entry.get("variants"))
        key = (
            str(entry.get("version", "")),
            tuple(
                f"{name}: {info.get('template', '')} #{info.get('template_hash', '')}"
                for name, info in sorted(variants.items())
                if isinstance(info, dict)
            ),
            " ".join(str(source.get(k)) for k in ("kind", "location") if source.get(k)),
        )
        grouped.setdefault(key, []).append(run)
    return [
        {
            "version": version,
            "templates": list(templates),
            "source": source,
            "runs": [(run.run_id, run.model) for run in members],
        }
        for (version, templates, source), members in grouped.items()
    ]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
