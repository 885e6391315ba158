"""The overview (index.html): models x tasks, each cell the macro average over languages with
its interval and rank, the language-normalised score and consistency rate beside it, the model's
mean over tasks, and the data the filters (family, script, tier) switch to."""

from __future__ import annotations

from typing import Any

from harness.leaderboard.drill import Available
from harness.leaderboard.families import family_class
from harness.leaderboard.names import model_page, task_page, variant_anchor
from harness.leaderboard.pages import (
    Page,
    drill_href,
    interval,
    points,
    sort_value,
)
from harness.leaderboard.ranks import Estimate
from harness.leaderboard.svg import Bar, bar_chart
from harness.leaderboard.tables import ALL, Board


def overview_page(board: Board, available: Available) -> Page:
    columns = [
        {
            "key": c.key,
            "task": c.task,
            "variant": c.variant,
            "metric": c.metric,
            "family": c.family,
            "fam": family_class(c.family),
            "href": f"{task_page(c.task)}#{variant_anchor(c.variant)}",
            "col": 3 + 3 * i,
            "lower": c.lower_is_better,
        }
        for i, c in enumerate(board.columns)
    ]
    means = board.means[(ALL, ALL)]
    rows = []
    for m, model in enumerate(board.models):
        mean = means.get(model)
        cells: list[dict[str, Any] | None] = []
        for c, column in enumerate(board.columns):
            cell = board.cell(model, column)
            if cell is None:
                cells.append(None)
                continue
            s = cell.scores
            cells.append(
                {
                    "c": c,
                    "text": points(s.primary.value if s.primary else None),
                    "value": sort_value(s.primary.value if s.primary else None),
                    "ci": interval(s.primary),
                    "rank": cell.ranks.get(ALL),
                    "ln": points(s.normalised.value if s.normalised else None),
                    "ln_value": sort_value(s.normalised.value if s.normalised else None),
                    "ln_ci": interval(s.normalised),
                    "cons": points(s.consistency.value if s.consistency else None),
                    "cons_value": sort_value(s.consistency.value if s.consistency else None),
                    "cons_ci": interval(s.consistency),
                    "drill": drill_href("", available, cell.run, column),
                }
            )
        rows.append(
            {
                "m": m,
                "model": model,
                "href": model_page(model),
                "rank": mean.rank if mean else None,
                "mean": points(mean.estimate.value if mean else None),
                "mean_value": sort_value(mean.estimate.value if mean else None),
                "mean_ci": interval(mean.estimate if mean else None),
                "tasks": mean.tasks if mean else 0,
                "cells": cells,
            }
        )
    chart = bar_chart(
        "Mean over tasks (points, 95% interval)",
        [Bar(model, means[model].estimate if model in means else None) for model in board.models],
    )
    views = board.views
    return Page(
        "index.html",
        "index.html.j2",
        "Overview",
        board.used_runs(),
        {
            "columns": columns,
            "rows": rows,
            "families": board.families(),
            "tiers": [v.split(":", 1)[1] for v in views if v.startswith("tier:")],
            "scripts": [v.split(":", 1)[1] for v in views if v.startswith("script:")],
            "views": _views_data(board),
            "chart": chart,
            "downloads": [("CSV", "index.csv"), ("JSON", "index.json")],
        },
    )


def _views_data(board: Board) -> dict[str, Any]:
    """What the overview's filters switch to: per view (tier, script), per column and model,
    [value, low, high, rank, language-normalised, consistency] in points; per view and family,
    each model's [mean, low, high, rank, tasks]."""
    cells: dict[str, list[list[Any]]] = {}
    for view in board.views:
        per_column = []
        for column in board.columns:
            entries: list[Any] = []
            for model in board.models:
                cell = board.cell(model, column)
                s = cell.views.get(view) if cell else None
                if cell is None or s is None or s.primary is None:
                    entries.append(None)
                    continue
                entries.append(
                    [
                        *(_compact(s.primary) or []),
                        cell.ranks.get(view),
                        _round(s.normalised.value) if s.normalised else None,
                        _round(s.consistency.value) if s.consistency else None,
                    ]
                )
            per_column.append(entries)
        cells[view] = per_column
    means: dict[str, dict[str, list[Any]]] = {}
    for (view, family), found in board.means.items():
        means.setdefault(view, {})[family] = [
            [*(_compact(mean.estimate) or []), mean.rank, mean.tasks]
            if (mean := found.get(model))
            else None
            for model in board.models
        ]
    return {"cells": cells, "means": means, "families": [ALL, *board.families()]}


def _compact(e: Estimate | None) -> list[float | None] | None:
    """An estimate in points, one decimal: [value, low, high]."""
    if e is None:
        return None
    return [_round(e.value), _round(e.low), _round(e.high)]


def _round(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)
