"""The language view across tasks (languages.html): per model and language, the mean over the
task columns that have the language (those of the board's mean tier scored by a correctness
metric of generated answers: translation, LCB rates and log-likelihood variants left out,
harness.leaderboard.tables), the mean gap to English and the model's worst language."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from harness.leaderboard.heat import heat_td
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


def languages_page(board: Board) -> Page:
    languages = board.across_languages
    rows = []
    for model in board.models:
        cells: list[dict[str, Any] | None] = []
        for lang in languages:
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
    return Page(
        "languages.html",
        "languages.html.j2",
        "Languages",
        board.used_runs(),
        {
            "languages": [
                {"code": lang, "label": language_label(lang), "title": language_title(lang)}
                for lang in languages
            ],
            "rows": rows,
            "legend": legend("score (points)"),
            "mean_tier": TIER_LABELS[board.mean_tier] if board.mean_tier else "",
            "loglik": any(c.loglikelihood for c in board.columns),
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
            "downloads": [("CSV", "languages.csv"), ("JSON", "languages.json")],
        },
    )
