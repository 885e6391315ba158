"""The overview (index.html): models x tasks, each cell the macro average over languages with
its interval and rank, the language-normalised score and consistency rate beside it, and on
hover what it rests on (pages.basis_title; a mark where its run is incomplete); the model's
headline mean over tasks (harness.leaderboard.tables: the macro average over correctness
families), each family's mean in a table of its own, and the data the filters (family, script,
tier) switch to. Columns on a shipped sample say so in their header. Columns of log-likelihood
variants come after the others, in groups of their own (log-likelihood, bits per byte:
harness.leaderboard.families), their values on their own scale (bits per byte as is:
harness.leaderboard.scales) and their language-normalised score and consistency rate not
applicable (n/a). Columns with Language Confusion Benchmark rates
(harness.leaderboard.confusion) come last, as a group of their own, and show LPR, WPR and LCPR
instead."""

from __future__ import annotations

from typing import Any

from harness.leaderboard.confusion import GROUP, LABELS, TITLES
from harness.leaderboard.drill import Available
from harness.leaderboard.families import (
    BITS_PER_BYTE,
    LOGLIKELIHOOD,
    family_class,
    in_headline,
    mean_of,
)
from harness.leaderboard.names import model_page, task_page
from harness.leaderboard.pages import (
    INCOMPLETE_MARK,
    Page,
    basis_title,
    drill_href,
    interval,
    points,
    sort_value,
)
from harness.leaderboard.ranks import Estimate
from harness.leaderboard.scales import NOT_APPLICABLE, POINTS, Scale
from harness.leaderboard.selection import REAL, TIER_LABELS
from harness.leaderboard.svg import Bar, bar_chart
from harness.leaderboard.tables import ALL, Board, Column, Mean


def overview_page(board: Board, available: Available) -> Page:
    columns = _columns(board)
    means = board.means[(ALL, ALL)]
    rows = []
    for m, model in enumerate(board.models):
        mean = means.get(model)
        rows.append(
            {
                "m": m,
                "model": model,
                "href": model_page(model),
                "rank": mean.rank if mean else None,
                "mean": points(mean.estimate.value if mean else None),
                "mean_value": sort_value(mean.estimate.value if mean else None),
                "mean_ci": interval(mean.estimate if mean else None),
                "mean_title": _mean_title(mean),
                "cells": [_entry(board, model, c, available) for c in columns],
            }
        )
    chart = bar_chart(
        "Mean over tasks: macro average over correctness families (points, 95% interval)",
        [Bar(model, means[model].estimate if model in means else None) for model in board.models],
    )
    views = board.views
    families = board.families()
    return Page(
        "index.html",
        "index.html.j2",
        "Overview",
        board.used_runs(),
        {
            "columns": columns,
            "groups": _groups(columns),
            "lcb": [c for c in columns if c["lcb"]],
            "loglik": [c for c in columns if c["na"]],
            "group": GROUP,
            "labels": list(zip(LABELS, TITLES, strict=True)),
            "rows": rows,
            "families": families,
            "family_digits": {
                f: mean_of(f).scale.digits for f in families if mean_of(f).scale != POINTS
            },
            "tiers": [v.split(":", 1)[1] for v in views if v.startswith("tier:")],
            "scripts": [v.split(":", 1)[1] for v in views if v.startswith("script:")],
            "views": _views_data(board),
            "chart": chart,
            "mean_tier": TIER_LABELS[board.mean_tier] if board.mean_tier else "",
            "family_means": _family_means(board),
            "marked": INCOMPLETE_MARK,
            "na": NOT_APPLICABLE,
            "downloads": [("CSV", "index.csv"), ("JSON", "index.json")],
        },
    )


_GROUPS = {  # the overview's column groups, in the order shown, and their headers
    LOGLIKELIHOOD: "Log-likelihood: options by probability",
    BITS_PER_BYTE: "Bits per byte (lower is better)",
    "lcb": GROUP,
}


def _columns(board: Board) -> list[dict[str, Any]]:
    """The overview's columns in the order shown: those in no group first, then the
    log-likelihood groups, then the LCB columns, each a group of its own; `c` is the column's
    index in the board (its cells' class c<i> and filter data), `col` its first cell's number
    in a row, `group` its group (None: none), `digits` the decimals of a value not in points,
    `na` whether LN and Cons. do not apply."""
    confused = board.confusion_keys()

    def group(column: Column) -> str | None:
        if column.key in confused:
            return "lcb"
        return column.family if column.loglikelihood and column.family in _GROUPS else None

    order = sorted(
        enumerate(board.columns),
        key=lambda pair: -1 if (g := group(pair[1])) is None else list(_GROUPS).index(g),
    )
    return [
        {
            "c": i,
            "key": c.key,
            "task": c.task,
            "variant": c.variant,
            "metric": c.metric,
            "family": c.family,
            "data": "" if c.data == REAL else c.data_label,
            "label": c.label,
            "fam": family_class(c.family),
            "href": f"{task_page(c.task)}#{c.anchor}",
            "col": 3 + 3 * shown,
            "lower": c.lower_is_better,
            "lcb": c.key in confused,
            "group": group(c),
            "digits": c.scale.digits if c.scale != POINTS else None,
            "ci_digits": c.scale.interval_digits,
            "na": c.loglikelihood and c.key not in confused,
        }
        for shown, (i, c) in enumerate(order)
    ]


def _groups(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The column groups present, in order: header, CSS class and columns."""
    return [
        {"label": label, "class": "lcb" if name == "lcb" else "loglik", "columns": members}
        for name, label in _GROUPS.items()
        if (members := [c for c in columns if c["group"] == name])
    ]


def _entry(
    board: Board, model: str, c: dict[str, Any], available: Available
) -> dict[str, Any] | None:
    """A model's cells in one column: the generic triple, or the LCB rates."""
    column = board.columns[c["c"]]
    cell = board.cell(model, column)
    if cell is None:
        return None
    drill = drill_href("", available, cell.run, column)
    marks = {"title": basis_title(cell), "mark": "" if cell.complete else INCOMPLETE_MARK}
    if c["lcb"]:
        rates = cell.confusion.average.values if cell.confusion else (None, None, None)
        return {
            "drill": drill,
            "rates": [{"text": points(v), "value": sort_value(v)} for v in rates],
            **marks,
        }
    s = cell.scores
    scale = column.scale
    beside = (
        {"ln": NOT_APPLICABLE, "ln_value": "", "ln_ci": ""}
        | {"cons": NOT_APPLICABLE, "cons_value": "", "cons_ci": ""}
        if c["na"]
        else {
            "ln": points(s.normalised.value if s.normalised else None),
            "ln_value": sort_value(s.normalised.value if s.normalised else None),
            "ln_ci": interval(s.normalised),
            "cons": points(s.consistency.value if s.consistency else None),
            "cons_value": sort_value(s.consistency.value if s.consistency else None),
            "cons_ci": interval(s.consistency),
        }
    )
    return {
        "text": scale.text(s.primary.value if s.primary else None),
        "value": scale.sort_value(s.primary.value if s.primary else None),
        "ci": scale.interval(s.primary),
        "rank": cell.ranks.get(ALL),
        **beside,
        "drill": drill,
        **marks,
    }


def _mean_title(mean: Mean | None) -> str:
    if mean is None:
        return "no complete run of a correctness task"
    title = f"{_counted(mean.tasks, 'task column')} in {_counted(mean.families, 'family')}"
    return title + (f"; 95%: {interval(mean.estimate)}" if interval(mean.estimate) else "")


def _counted(count: int, noun: str) -> str:
    """`1 family`, `3 families`, `2 task columns`."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def _family_means(board: Board) -> dict[str, Any]:
    """Each family's mean per model (of the mean tier's columns), the families of the
    headline first."""
    families = sorted(
        (f for f in board.families() if (ALL, f) in board.means),
        key=lambda f: not in_headline(f),
    )
    heads = [
        {
            "family": f,
            "metric": mean_of(f).label,
            "headline": in_headline(f),
            "lower": mean_of(f).lower_is_better,
        }
        for f in families
    ]
    rows = []
    for model in board.models:
        cells = []
        for name in families:
            mean = board.means[(ALL, name)].get(model)
            value = mean.estimate.value if mean else None
            scale = mean_of(name).scale
            cells.append(
                {
                    "text": scale.text(value),
                    "value": scale.sort_value(value),
                    "ci": scale.interval(mean.estimate if mean else None),
                    "title": _counted(mean.tasks, "task column") if mean else "",
                }
            )
        rows.append({"model": model, "href": model_page(model), "cells": cells})
    return {"heads": heads, "rows": rows}


def _views_data(board: Board) -> dict[str, Any]:
    """What the overview's filters switch to: per view (tier, script), per column and model,
    [value, low, high, rank, language-normalised, consistency] in points (bits per byte as
    is); per view and family, each model's [mean, low, high, rank, tasks]; per view, LCB column
    and model, the rates."""
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
                        *(_compact(s.primary, column.scale) or []),
                        cell.ranks.get(view),
                        _round(s.normalised.value) if s.normalised else None,
                        _round(s.consistency.value) if s.consistency else None,
                    ]
                )
            per_column.append(entries)
        cells[view] = per_column
    means: dict[str, dict[str, list[Any]]] = {}
    for (view, family), found in board.means.items():
        scale = mean_of(family).scale if family != ALL else POINTS
        means.setdefault(view, {})[family] = [
            [*(_compact(mean.estimate, scale) or []), mean.rank, mean.tasks]
            if (mean := found.get(model))
            else None
            for model in board.models
        ]
    return {
        "cells": cells,
        "means": means,
        "families": [ALL, *board.families()],
        "lcb": _lcb_views(board),
    }


def _lcb_views(board: Board) -> dict[str, dict[str, list[Any]]]:
    """Per view, per LCB column (its index, as text) and model: [LPR, WPR, LCPR] in points."""
    confused = board.confusion_keys()
    return {
        view: {
            str(c): _lcb_entries(board, column, view)
            for c, column in enumerate(board.columns)
            if column.key in confused
        }
        for view in board.views
    }


def _lcb_entries(board: Board, column: Column, view: str) -> list[list[float | None] | None]:
    entries: list[list[float | None] | None] = []
    for model in board.models:
        cell = board.cell(model, column)
        rates = cell.confusion.in_view(view) if cell and cell.confusion else None
        entries.append([_round(v) for v in rates.values] if rates else None)
    return entries


def _compact(e: Estimate | None, scale: Scale = POINTS) -> list[float | None] | None:
    """An estimate as shown (in points, one decimal; bits per byte as is): [value, low,
    high]."""
    if e is None:
        return None
    return [scale.rounded(e.value), scale.rounded(e.low), scale.rounded(e.high)]


def _round(value: float | None) -> float | None:
    """A rate in points, one decimal."""
    return POINTS.rounded(value)
