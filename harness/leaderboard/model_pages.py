"""The model pages: first what a reader choosing a model looks for (harness.leaderboard.
model_summary): the headline score and family scores with intervals and ranks, the best and
worst languages with the gap to English, the language consistency; then, folded, the details:
the macro average per task with its rank, languages x tasks, consistency failures, failed
requests and token usage per run. Each column's values are on its own scale
(harness.leaderboard.scales): the chart of macro averages holds the columns in points, and a
second chart the columns shown as they are (bits per byte, lower is better)."""

from __future__ import annotations

from typing import Any

from harness.leaderboard.drill import Available
from harness.leaderboard.figures import (
    figure,
    gap_figure,
    language_entry,
    rank_text,
    rank_title,
)
from harness.leaderboard.heat import HeatCells
from harness.leaderboard.language_ranks import LanguageRanks, language_ranks
from harness.leaderboard.model_summary import FamilyScore, ModelSummary, model_summary
from harness.leaderboard.names import model_page, slug, task_page
from harness.leaderboard.pages import (
    INCOMPLETE_MARK,
    Page,
    basis_title,
    drill_href,
    language_label,
    language_title,
    points,
    rank_label,
)
from harness.leaderboard.scales import AS_IS, NOT_APPLICABLE, POINTS, Scale
from harness.leaderboard.selection import TIER_LABELS
from harness.leaderboard.svg import Bar, bar_chart, legend
from harness.leaderboard.tables import ALL, Board, LanguageCell
from harness.wording import counted

LISTED = 100  # rows of a model's consistency failures and errors shown (all in its download)


def model_pages(
    board: Board,
    available: Available,
    heat: HeatCells | None = None,
    ranks: LanguageRanks | None = None,
) -> list[tuple[Page, list[LanguageCell]]]:
    """One page per model, and the language cells its download holds."""
    heat = heat or HeatCells(available, board.spans)
    ranks = ranks or language_ranks(board)
    pages = []
    for model in board.models:
        columns = [c for c in board.columns if board.cell(model, c) is not None]
        cells = [cell for c in columns for cell in board.language_cells.get((model, c.key), [])]
        languages = sorted({c.language for c in cells}, key=lambda code: (code != "eng_Latn", code))
        grid = {(c.column.key, c.language): c for c in cells}
        head = []
        bars: dict[Scale, list[Bar]] = {POINTS: [], AS_IS: []}
        lower = all(c.lower_is_better for c in columns if c.scale == AS_IS)
        for column in columns:
            cell = board.cell(model, column)
            assert cell is not None
            primary = cell.scores.primary
            scale = column.scale
            bars[scale].append(Bar(column.label, primary, rank_label(cell)))
            head.append(
                {
                    "key": column.label,
                    "title": basis_title(cell),
                    "mark": "" if cell.complete else INCOMPLETE_MARK,
                    "metric": column.metric,
                    "lower": column.lower_is_better,
                    "href": f"../{task_page(column.task)}#{column.anchor}",
                    "macro": scale.text(primary.value if primary else None),
                    "macro_ci": scale.interval(primary),
                    "rank": cell.ranks.get(ALL),
                    "ln": NOT_APPLICABLE
                    if column.loglikelihood
                    else points(cell.scores.normalised.value if cell.scores.normalised else None),
                    "cons": NOT_APPLICABLE
                    if column.loglikelihood
                    else points(cell.scores.consistency.value if cell.scores.consistency else None),
                    "drill": drill_href("../", available, cell.run, column),
                }
            )
        rows = [
            {
                "code": lang,
                "label": language_label(lang),
                "title": language_title(lang),
                "cells": heat.row([grid.get((c.key, lang)) for c in columns]),
            }
            for lang in languages
        ]
        failures = sorted(
            (c for c in cells if c.consistency_failures > 0),
            key=lambda c: (-c.consistency_failures, c.column.key, c.language),
        )
        errors = sorted(
            (c for c in cells if c.errors > 0), key=lambda c: (-c.errors, c.column.key, c.language)
        )
        more = {"failures": len(failures) - LISTED, "errors": len(errors) - LISTED}
        failures, errors = failures[:LISTED], errors[:LISTED]
        runs = board.model_runs(model)
        used = {cell.run.key for (owner, _), cell in board.cells.items() if owner == model}
        usage_keys = ("requests", "sent", "from_cache", "failed", "truncated",
                      "prompt_tokens", "completion_tokens")  # fmt: skip
        usage = [
            {
                "run": r.run_id,
                "used": r.key in used,
                "counts": [r.counts.get(k) for k in usage_keys],
            }
            for r in runs
        ]
        totals = [sum(r.counts.get(k, 0) for r in runs if r.key in used) for k in usage_keys]
        page = Page(
            model_page(model),
            "model.html.j2",
            model,
            [r for r in runs if r.key in used],
            {
                "model": model,
                "summary": summary_context(model_summary(board, ranks, model)),
                "mean_tier": TIER_LABELS[board.mean_tier] if board.mean_tier else "",
                "languages_count": len(languages),
                "head": head,
                "rows": rows,
                "chart": bar_chart(f"{model}: macro average per task", bars[POINTS]),
                "chart_as_is": bar_chart(
                    f"{model}: macro average per task, as is{', lower is better' if lower else ''}",
                    bars[AS_IS],
                    lower_is_better=lower,
                    scale=AS_IS,
                )
                if bars[AS_IS]
                else "",
                "legend": legend("score (points)"),
                "legend_as_is": bool(bars[AS_IS]),
                "loglik": any(c.loglikelihood for c in columns),
                "na": NOT_APPLICABLE,
                "failures": [
                    {
                        "column": c.column.key,
                        "language": language_label(c.language),
                        "failures": c.consistency_failures,
                        "judged": c.consistency_n,
                        "und": c.und,
                        "rate": points(c.consistency),
                        "drill": drill_href("../", available, c.run, c.column, c.language),
                    }
                    for c in failures
                ],
                "errors": [
                    {
                        "column": c.column.key,
                        "language": language_label(c.language),
                        "errors": c.errors,
                        "drill": drill_href("../", available, c.run, c.column, c.language),
                    }
                    for c in errors
                ],
                "more": more,
                "usage_keys": usage_keys,
                "usage": usage,
                "totals": totals,
                "downloads": [
                    ("CSV", f"{slug(model)}.csv"),
                    ("JSON", f"{slug(model)}.json"),
                ],
            },
        )
        pages.append((page, cells))
    return pages


def summary_context(summary: ModelSummary) -> dict[str, Any]:
    """The summary's numbers as the page places them: each with its interval and rank."""
    found = summary.languages
    consistency = summary.consistency
    return {
        "headline": _family(summary.headline) if summary.headline else None,
        "families": [_family(f) for f in summary.families],
        "languages": {
            "kind": found.kind.name,
            "best": [language_entry(s) for s in found.best],
            "worst": [language_entry(s) for s in found.worst],
            "gap": gap_figure(found.gap, found.kind.scale) if found.gap else None,
            "behind": {
                **language_entry(found.largest_gap),
                "gap": gap_figure(found.largest_gap.gap, found.kind.scale),
            }
            if found.largest_gap
            else None,
        }
        if found
        else None,
        "consistency": {
            "rate": figure(consistency.estimate, POINTS),
            "columns": consistency.columns,
            "judged": consistency.judged,
            "failures": consistency.failures,
            "least": [
                {
                    "label": language_label(r.language),
                    "title": language_title(r.language),
                    "rate": points(r.rate),
                    "failures": r.failures,
                    "judged": r.judged,
                }
                for r in consistency.least
            ],
        },
    }


def _family(found: FamilyScore) -> dict[str, Any]:
    mean = found.mean
    over = counted(mean.tasks, "task")
    if found.kind == "headline":
        over += f" in {counted(mean.families, 'family', 'families')}"
    return {
        "family": found.family,
        "kind": found.kind,
        "score": figure(mean.estimate, found.scale),
        "rank": rank_text(mean.rank, found.tied),
        "rank_title": rank_title(mean.rank, found.tied, found.ranked),
        "of": found.ranked,
        "over": over,
        "lower": found.lower_is_better,
        "in_headline": found.in_headline,
    }
