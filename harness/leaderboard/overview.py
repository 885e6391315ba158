"""The overview (index.html): a page to choose a model from.

Each model's row starts with its headline, the mean over tasks (harness.leaderboard.tables:
the macro average over correctness families) with its 95% interval and its rank (tied where
intervals overlap, harness.leaderboard.ranks); then come the task families
(harness.leaderboard.families), in the board's order, each collapsed to its family mean (with
its interval and rank) and expanding, at a click on its header, to its task columns. A task
column's cells are the macro average over languages with its interval and rank, the
language-normalised score and consistency rate beside it, each with its interval, and on hover
what the number rests on (pages.basis_title; a mark where its run is incomplete). Columns on
a shipped sample say so in their header. Log-likelihood variants are families of their own
(log-likelihood, bits per byte), their values on their own scale (bits per byte as is:
harness.leaderboard.scales) and their language-normalised score and consistency rate not
applicable (n/a). Columns with Language Confusion Benchmark rates
(harness.leaderboard.confusion) show LPR, WPR and LCPR, which have no interval (said so on
hover). A corpus metric's interval (chrF++) is its pairs' (harness.leaderboard.corpus), said
so on hover.

The filters (family, script, tier) switch every number, rank and the chart to the data this
module puts in the page (`_views_data`); the chart is drawn here (harness.leaderboard.svg)
and redrawn by the script from that data.
"""

from __future__ import annotations

from typing import Any

from harness.leaderboard.confusion import GROUP, LABELS, TITLES
from harness.leaderboard.drill import Available
from harness.leaderboard.families import family_class, mean_of
from harness.leaderboard.names import model_page, task_page
from harness.leaderboard.pages import (
    INCOMPLETE_MARK,
    NO_INTERVAL,
    Page,
    basis_title,
    drill_href,
    interval,
    interval_line,
    points,
    sort_value,
)
from harness.leaderboard.ranks import Estimate
from harness.leaderboard.scales import NOT_APPLICABLE, POINTS, Scale
from harness.leaderboard.selection import REAL, TIER_LABELS
from harness.leaderboard.svg import BAR_FILLS, Bar, bar_chart
from harness.leaderboard.tables import ALL, Board, Column, Mean

CHART_TITLE = "Mean over tasks"
LCB_NO_INTERVAL = "no interval: the LCB's averages over sources and languages have none"


def overview_page(board: Board, available: Available) -> Page:
    families = _families(board)
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
                "mean": _mean_cell(mean, POINTS, _mean_title(mean, board.mean_tier)),
                "families": [
                    {
                        "score": _family_cell(board, f["family"], model),
                        "cells": [_entry(board, model, c, available) for c in f["columns"]],
                    }
                    for f in families
                ],
            }
        )
    views = board.views
    return Page(
        "index.html",
        "index.html.j2",
        "Overview",
        board.used_runs(),
        {
            "families": families,
            "lcb": any(c["lcb"] for f in families for c in f["columns"]),
            "loglik": any(c["na"] for f in families for c in f["columns"]),
            "group": GROUP,
            "labels": list(zip(LABELS, TITLES, strict=True)),
            "lcb_no_interval": LCB_NO_INTERVAL,
            "rows": rows,
            "tiers": [v.split(":", 1)[1] for v in views if v.startswith("tier:")],
            "scripts": [v.split(":", 1)[1] for v in views if v.startswith("script:")],
            "views": _views_data(board),
            "chart": _chart(board),
            "mean_tier": TIER_LABELS[board.mean_tier] if board.mean_tier else "",
            "marked": INCOMPLETE_MARK,
            "na": NOT_APPLICABLE,
            "downloads": [("CSV", "index.csv"), ("JSON", "index.json")],
        },
    )


def _chart(board: Board) -> Any:
    """The chart of the headline, as wide as the longest title a filter gives it needs."""
    means = board.means[(ALL, ALL)]
    bars = [
        Bar(model, means[model].estimate, f"#{means[model].rank}" if means[model].rank else "")
        if model in means
        else Bar(model, None)
        for model in board.models
    ]
    titles = [spec["title"] for spec in _chart_data(board)["families"].values()]
    return bar_chart(_chart_title(ALL), bars, title_chars=max(map(len, titles)))


def _chart_title(family: str) -> str:
    """`Mean over tasks (points)`, `translation: chrF++ mean (points)`."""
    if family == ALL:
        return f"{CHART_TITLE} (points)"
    admitted = mean_of(family)
    lower = ", lower is better" if admitted.lower_is_better else ""
    return f"{family}: {admitted.label} mean ({admitted.scale.unit}{lower})"


# ---- the families and their columns


def _families(board: Board) -> list[dict[str, Any]]:
    """The families in the board's order, each with its columns: `col` is the index of the
    family mean's cell in a row (its columns' cells follow, three each)."""
    confused = board.confusion_keys()
    found = []
    col = 3  # rank, model, mean over tasks
    for f, name in enumerate(board.families()):
        members = [(i, c) for i, c in enumerate(board.columns) if c.family == name]
        admitted = mean_of(name)
        columns = [
            _column(i, c, c.key in confused, col + 1 + 3 * k) for k, (i, c) in enumerate(members)
        ]
        found.append(
            {
                "f": f,
                "family": name,
                "fam": family_class(name),
                "headline": board.in_headline(name),
                "tier": _other_tier(board, name),
                "metric": admitted.label,
                "lower": admitted.lower_is_better,
                "digits": admitted.scale.digits if admitted.scale != POINTS else None,
                "ci_digits": admitted.scale.interval_digits,
                "col": col,
                "columns": columns,
            }
        )
        col += 1 + 3 * len(columns)
    return found


def _column(i: int, c: Column, lcb: bool, col: int) -> dict[str, Any]:
    """A task column: `c` its index in the board (its cells' class c<i> and filter data),
    `col` its first cell's number in a row, `digits` the decimals of a value not in points,
    `na` whether LN and Cons. do not apply."""
    return {
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
        "col": col,
        "lower": c.lower_is_better,
        "lcb": lcb,
        "digits": c.scale.digits if c.scale != POINTS else None,
        "ci_digits": c.scale.interval_digits,
        "na": c.loglikelihood and not lcb,
    }


# ---- cells


def _mean_cell(mean: Mean | None, scale: Scale, title: str) -> dict[str, Any]:
    value = mean.estimate.value if mean else None
    return {
        "text": scale.text(value),
        "value": scale.sort_value(value),
        "ci": scale.interval(mean.estimate if mean else None),
        "rank": mean.rank if mean else None,
        "title": title,
    }


def _other_tier(board: Board, family: str) -> str:
    """The data tier of a family's mean where it is not the board's (a family run on the
    shipped samples only, beside others on real data), to be said in its header; else ""."""
    tier = board.tier_of(family)
    return TIER_LABELS[tier] if tier and tier != board.mean_tier else ""


def _family_cell(board: Board, family: str, model: str) -> dict[str, Any]:
    mean = board.means.get((ALL, family), {}).get(model)
    admitted = mean_of(family)
    tier = board.tier_of(family)
    columns = [c for c in board.columns if c.family == family and c.data == tier]
    if mean is None:
        title = f"{family}: no complete run of a column scored by {admitted.label}"
    else:
        title = (
            f"{family}: mean of {admitted.label} over {mean.tasks} of {len(columns)} task "
            f"columns ({TIER_LABELS[tier] if tier else 'none'}), "
            f"n={mean.samples:,} samples"
            + interval_line(mean.estimate, admitted.scale)
            + (f"\nrank {mean.rank}, tied where intervals overlap" if mean.rank else "")
        )
    return _mean_cell(mean, admitted.scale, title)


def _entry(
    board: Board, model: str, c: dict[str, Any], available: Available
) -> dict[str, Any] | None:
    """A model's cells in one column: the generic triple, or the LCB rates."""
    column = board.columns[c["c"]]
    cell = board.cell(model, column)
    if cell is None:
        return None
    drill = drill_href("", available, cell.run, column)
    marks = {"mark": "" if cell.complete else INCOMPLETE_MARK}
    if c["lcb"]:
        rates = cell.confusion.average.values if cell.confusion else (None, None, None)
        return {
            "drill": drill,
            "rates": [{"text": points(v), "value": sort_value(v)} for v in rates],
            "title": f"{basis_title(cell)}\n{LCB_NO_INTERVAL}",
            **marks,
        }
    s = cell.scores
    scale = column.scale
    beside = (
        {"ln": _na(), "cons": _na()}
        if c["na"]
        else {"ln": _rate(s.normalised), "cons": _rate(s.consistency)}
    )
    return {
        "text": scale.text(s.primary.value if s.primary else None),
        "value": scale.sort_value(s.primary.value if s.primary else None),
        "ci": scale.interval(s.primary),
        "rank": cell.ranks.get(ALL),
        **beside,
        "drill": drill,
        "title": basis_title(cell) + interval_line(s.primary, scale, s.method),
        **marks,
    }


def _rate(e: Estimate | None) -> dict[str, str]:
    """A language-normalised score or consistency rate, in points, with its interval."""
    return {
        "text": points(e.value if e else None),
        "value": sort_value(e.value if e else None),
        "ci": interval(e),
        "title": NO_INTERVAL if e is not None and not interval(e) else "",  # else: shown
    }


def _na() -> dict[str, str]:
    return {"text": NOT_APPLICABLE, "value": "", "ci": "", "title": "does not apply"}


def _mean_title(mean: Mean | None, tier: str | None) -> str:
    if mean is None:
        return "no complete run of a correctness task"
    title = (
        f"macro average over {_counted(mean.families, 'family')} of their means "
        f"({_counted(mean.tasks, 'task column')} of {TIER_LABELS[tier] if tier else 'none'}, "
        f"n={mean.samples:,} samples)"
    )
    title += interval_line(mean.estimate, POINTS)
    return title + (f"\nrank {mean.rank}, tied where intervals overlap" if mean.rank else "")


def _counted(count: int, noun: str) -> str:
    """`1 family`, `3 families`, `2 task columns`."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


# ---- what the filters switch to


def _views_data(board: Board) -> dict[str, Any]:
    """What the overview's filters switch to: per view (tier, script), per column and model,
    [value, low, high, rank, LN, LN low, LN high, Cons., Cons. low, Cons. high] in points
    (bits per byte as is; a column with no language in the view: null); per view and family
    ("all": the headline), each model's [mean, low, high, rank, tasks, samples]; per view,
    LCB column and model, the rates; and for the chart, per family its title, the top of its
    axis (in the units shown), whether lower is better, and the bars' fills."""
    cells: dict[str, list[list[Any] | None]] = {}
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
                        *(_compact(s.normalised) or [None] * 3),
                        *(_compact(s.consistency) or [None] * 3),
                    ]
                )
            per_column.append(entries if any(e is not None for e in entries) else None)
        cells[view] = per_column
    means: dict[str, dict[str, list[Any]]] = {}
    for (view, family), found in board.means.items():
        scale = _scale(family)
        means.setdefault(view, {})[family] = [
            [*(_compact(mean.estimate, scale) or []), mean.rank, mean.tasks, mean.samples]
            if (mean := found.get(model))
            else None
            for model in board.models
        ]
    return {
        "cells": cells,
        "means": means,
        "families": [ALL, *board.families()],
        "lcb": _lcb_views(board),
        "chart": _chart_data(board),
    }


def _scale(family: str) -> Scale:
    return mean_of(family).scale if family != ALL else POINTS


def _chart_data(board: Board) -> dict[str, Any]:
    """Per family ("all": the headline) the chart's title, the top of its axis in the units
    shown (one for every view, so that views compare) and whether lower is better."""
    found = {}
    for family in [ALL, *board.families()]:
        scale = _scale(family)
        values = [
            v
            for (_, name), means in board.means.items()
            if name == family
            for mean in means.values()
            for v in (mean.estimate.value, mean.estimate.high)
            if v is not None
        ]
        admitted = mean_of(family)
        found[family] = {
            "title": _chart_title(family),
            "top": scale.factor * scale.axis(values),
            "lower": family != ALL and admitted.lower_is_better,
            "digits": scale.digits,
        }
    return {"families": found, "fills": list(BAR_FILLS)}


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
