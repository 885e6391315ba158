"""The language view (languages.html): what a person choosing a model for a language reads.

First the best model(s) per language and, per model, its gap to English and worst languages;
then per language the models ranked across the tasks that cover it, one ranking per metric
kind (harness.leaderboard.language_ranks: never one average of accuracy, chrF++ and pass
rates), each score with its interval, its rank (tied where intervals overlap), and the tasks
and samples behind it; last, folded, the heatmap of every model and language (the mean over
the correctness columns, harness.leaderboard.tables' language view across tasks) and the
columns averaged. A select jumps to a language (leaderboard/static/views.js); the index's
links do the same without a script."""

from __future__ import annotations

from collections import Counter
from typing import Any

from markupsafe import Markup

from harness.leaderboard.figures import (
    basis_text,
    columns_text,
    figure,
    gap_figure,
    language_anchor,
    language_entry,
    rank_text,
    rank_title,
    score_title,
)
from harness.leaderboard.heat import heat_td
from harness.leaderboard.language_ranks import (
    Kind,
    LanguageRanks,
    LanguageScore,
    language_ranks,
    model_languages,
)
from harness.leaderboard.names import model_page, task_page
from harness.leaderboard.pages import (
    Page,
    language_label,
    language_title,
    points,
    signed,
    sort_value,
)
from harness.leaderboard.selection import TIER_LABELS
from harness.leaderboard.svg import cell_style, legend
from harness.leaderboard.tables import Board

LEADERS = 3  # models named as a language's best (the rest of a tie is counted)


def languages_page(board: Board, ranks: LanguageRanks | None = None) -> Page:
    ranks = ranks or language_ranks(board)
    return Page(
        "languages.html",
        "languages.html.j2",
        "Languages",
        board.used_runs(),
        {
            "languages": [
                {
                    "code": lang,
                    "label": language_label(lang),
                    "title": language_title(lang),
                    "anchor": language_anchor(lang),
                }
                for lang in ranks.languages
            ],
            "leaders": _leaders(ranks),
            "gaps": _gaps(board, ranks),
            "sections": [_section(ranks, lang) for lang in ranks.languages],
            "heat_languages": [
                {"code": lang, "label": language_label(lang), "title": language_title(lang)}
                for lang in board.across_languages
            ],
            "rows": _heat_rows(board),
            "legend": legend("score (points)"),
            "mean_tier": TIER_LABELS[board.mean_tier] if board.mean_tier else "",
            "columns": [
                {
                    "label": c.label,
                    "averaged": board.in_language_view(c),
                    "metric": c.metric,
                    "family": c.family,
                    "href": f"{task_page(c.task)}#{c.anchor}",
                    "languages": len(board.column_languages.get(c.key, [])),
                }
                for c in board.columns
            ],
            "downloads": [
                ("rankings CSV", "language-ranks.csv"),
                ("rankings JSON", "language-ranks.json"),
                ("heatmap CSV", "languages.csv"),
                ("heatmap JSON", "languages.json"),
            ],
        },
    )


def _leaders(ranks: LanguageRanks) -> list[dict[str, Any]]:
    """Per language, the models ranked first in its first kind (up to LEADERS where tied)."""
    rows = []
    for lang in ranks.languages:
        found = ranks.leaders(lang)
        if found is None:
            continue
        kind, leaders = found
        scores = ranks.ranked[(lang, kind.name)]
        rows.append(
            {
                "label": language_label(lang),
                "title": language_title(lang),
                "anchor": language_anchor(lang),
                "kind": kind.name,
                "models": [_entry(score, len(scores)) for score in leaders[:LEADERS]],
                "more": max(0, len(leaders) - LEADERS),
            }
        )
    return rows


def _gaps(board: Board, ranks: LanguageRanks) -> list[dict[str, Any]]:
    """Per model: its gap to English over its languages, the language furthest behind, and
    its worst languages (in its first kind)."""
    rows = []
    for model in board.models:
        found = model_languages(ranks, model)
        if found is None:
            continue
        scale = found.kind.scale
        behind = found.largest_gap
        rows.append(
            {
                "model": model,
                "href": model_page(model),
                "kind": found.kind.name,
                "gap": gap_figure(found.gap, scale),
                "behind": {
                    **language_entry(behind),
                    "gap": gap_figure(behind.gap, scale),
                }
                if behind is not None
                else None,
                "worst": [language_entry(score) for score in found.worst],
                "sort": [  # what its columns sort by
                    scale.sort_value(found.gap.value if found.gap else None),
                    scale.sort_value(behind.gap.value if behind and behind.gap else None),
                    scale.sort_value(found.worst[0].estimate.value if found.worst else None),
                ],
            }
        )
    return rows


def _section(ranks: LanguageRanks, lang: str) -> dict[str, Any]:
    return {
        "code": lang,
        "label": language_label(lang),
        "title": language_title(lang),
        "anchor": language_anchor(lang),
        "kinds": [_ranking(kind, scores) for kind, scores in ranks.of_language(lang)],
    }


def _ranking(kind: Kind, scores: list[LanguageScore]) -> dict[str, Any]:
    """One kind's ranking in a language: the tasks most scores rest on are named once, in the
    caption's hover; a row names its own only where they differ."""
    common = _common(scores)
    return {
        "name": kind.name,
        "title": kind.title,
        "lower": kind.lower_is_better,
        "gaps": any(score.gap is not None for score in scores),
        "tasks": common,
        "tasks_title": "the tasks behind the scores: " + columns_text(common),
        "rows": [_entry(score, len(scores), common) for score in scores],
    }


def _common(scores: list[LanguageScore]) -> tuple[str, ...]:
    """The tasks behind most of a ranking's scores (those of the most models; the first
    model's where as many have others): named once, in its caption's hover."""
    counts = Counter(score.columns for score in scores)
    return max(counts, key=lambda columns: counts[columns]) if counts else ()


def _entry(score: LanguageScore, of: int = 0, shared: tuple[str, ...] = ()) -> dict[str, Any]:
    """A model's row in a language's ranking."""
    scale = score.kind.scale
    return {
        "model": score.model,
        "href": model_page(score.model),
        "rank": score.rank,
        "rank_text": rank_text(score.rank, score.tied),
        "rank_title": rank_title(score.rank, score.tied, of),
        "tied": score.tied,
        "fewer": score.fewer,
        "score": figure(score.estimate, scale),
        "gap": gap_figure(score.gap, scale),
        "basis": basis_text(score),
        "title": score_title(score, shared),
    }


def _heat_rows(board: Board) -> list[dict[str, Any]]:
    """The heatmap: per model, its mean over the correctness columns in each language."""
    rows = []
    for model in board.models:
        cells: list[dict[str, Any] | None] = []
        for lang in board.across_languages:
            found = board.across.get((model, lang))
            if found is None:
                cells.append(None)
                continue
            title = f"{lang}: mean over {found.tasks} task(s) {points(found.value)}"
            if found.gap is not None:
                title += f"; mean gap to English {signed(found.gap)}"
            if found.worst:
                title += "; worst language of this model"
            cells.append(
                {
                    "text": points(found.value),
                    "value": sort_value(found.value),
                    "style": cell_style(found.value),
                    "gap": signed(found.gap),
                    "worst": found.worst,
                    "title": title,
                    "drill": None,
                }
            )
        rows.append(
            {
                "model": model,
                "href": model_page(model),
                "cells": Markup("".join(heat_td(cell) for cell in cells)),
            }
        )
    return rows
