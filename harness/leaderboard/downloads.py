"""The site's tables as CSV and JSON, next to the page that shows them.

- `index.csv|json`: one row per model and column (task, variant, data tier) of the overview,
  with what the cell rests on (`n` scored samples, `languages` and `language_codes`, `data`
  tier, data `source` kind, `limit`, `prompt_format`, the run's `status` and whether it is
  `complete`, failed requests in the column (`errors`) and in the run (`failed` of
  `requests`); tables.basis), how the score's interval was computed (`ci_method`: the
  summary's method, or for a corpus metric's macro average its pairs' bounds,
  harness.leaderboard.corpus; empty where there is none), the model's mean over tasks (the
  headline: `model_mean` with its interval, the task columns and samples behind it) and its
  rank, the same of the column's family (`family_mean`, `family_rank`), and the Language
  Confusion Benchmark's average rates (`lcb_lpr`, `lcb_wpr`, `lcb_lcpr`, which have no
  interval; empty for other tasks);
- `languages.csv|json`: the language view across tasks, one row per model and language;
- `language-ranks.csv|json`: the language view's rankings, one row per language, metric kind
  and model (harness.leaderboard.language_ranks): score, interval, rank, whether tied, gap to
  English with its interval, and the tasks (`tasks`: their labels, `;`-separated) and
  samples behind it;
- `tasks/<task>.csv|json`, `models/<model>.csv|json`: one row per model, task, variant, data
  tier (`data`) and language (the task's rows; the model's rows), with the language's LCB rates
  where the task is the Language Confusion Benchmark's (`lcb_lpr`, `lcb_wpr`, `lcb_lcpr`) and
  whether the run is `complete` (the rest of what a cell rests on is in `index`, per cell).

Scores are as in scores.json (fractions; bits per byte as it is), missing values empty (CSV)
or null (JSON; a log-likelihood variant's language-normalised score and consistency rate, which
do not apply, are null); JSON records have sorted keys, one record a line. Written with the csv
and json modules: a site has a hundred such tables, and pandas' writer costs ten times as much
per table. The raw score, summary, gap and sample tables of runs are what `evaluate export`
writes (harness.analysis.export).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.csv_safety import neutralised
from harness.leaderboard.confusion import LABELS, Confusion, Rates
from harness.leaderboard.language_ranks import LanguageRanks
from harness.leaderboard.ranks import Estimate
from harness.leaderboard.tables import ALL, Board, LanguageCell, Mean, basis

Row = dict[str, Any]

LANGUAGE_COLUMNS = (
    "model", "task", "variant", "language", "metric", "value", "ci_low", "ci_high", "n", "errors",
    "gap_to_english", "gap_ci_low", "gap_ci_high", "worst_language", "consistency",
    "consistency_n", "und", "lcb_lpr", "lcb_wpr", "lcb_lcpr", "data", "complete", "run",
)  # fmt: skip


def overview_rows(board: Board) -> list[Row]:
    means = board.means[(ALL, ALL)]
    rows = []
    for model in board.models:
        mean = means.get(model)
        for column in board.columns:
            cell = board.cell(model, column)
            if cell is None:
                continue
            family = board.means.get((ALL, column.family), {})
            scores = cell.scores
            rows.append(
                {
                    "model": model,
                    "task": column.task,
                    "variant": column.variant,
                    "data": column.data,
                    "family": column.family,
                    "metric": column.metric,
                    **_estimate("", scores.primary),
                    "ci_method": scores.method or None,
                    "rank": cell.ranks.get(ALL),
                    **_estimate("language_normalised", scores.normalised),
                    **_estimate("consistency", scores.consistency),
                    **_lcb(cell.confusion),
                    **basis(cell),
                    **_mean("model_mean", mean),
                    "model_rank": mean.rank if mean else None,
                    **_mean("family_mean", family.get(model)),
                    "family_rank": rank.rank if (rank := family.get(model)) else None,
                    "run": cell.run.run_id,
                }
            )
    return rows


def language_rows(cells: Sequence[LanguageCell]) -> list[Row]:
    rows = []
    for c in cells:
        score, gap = c.score, c.gap
        rows.append(
            {
                "model": c.model,
                "task": c.column.task,
                "variant": c.column.variant,
                "language": c.language,
                "metric": c.column.metric,
                "value": score.value if score else None,
                "ci_low": score.low if score else None,
                "ci_high": score.high if score else None,
                "n": c.n,
                "errors": c.errors,
                "gap_to_english": gap.value if gap else None,
                "gap_ci_low": gap.low if gap else None,
                "gap_ci_high": gap.high if gap else None,
                "worst_language": c.worst,
                "consistency": c.consistency,
                "consistency_n": c.consistency_n,
                "und": c.und,
                **_rates(c.confusion),
                "data": c.column.data,
                "complete": c.run.complete,
                "run": c.run.run_id,
            }
        )
    return rows


def across_rows(board: Board) -> list[Row]:
    rows = []
    for model in board.models:
        for language in board.across_languages:
            found = board.across.get((model, language))
            if found is not None:
                rows.append(
                    {
                        "model": model,
                        "language": language,
                        "value": found.value,
                        "tasks": found.tasks,
                        "gap_to_english": found.gap,
                        "worst_language": found.worst,
                    }
                )
    return rows


def ranking_rows(ranks: LanguageRanks) -> list[Row]:
    return [
        {
            "language": language,
            "kind": kind,
            "model": s.model,
            **_estimate("", s.estimate),
            "rank": s.rank,
            "tied": s.tied,
            "gap_to_english": s.gap.value if s.gap else None,
            "gap_ci_low": s.gap.low if s.gap else None,
            "gap_ci_high": s.gap.high if s.gap else None,
            "n_tasks": len(s.columns),
            "tasks": ";".join(s.columns),
            "n": s.samples,
            "fewer_tasks": s.fewer,
        }
        for (language, kind), scores in ranks.ranked.items()
        for s in scores
    ]


def write_table(path_stem: Path, rows: list[Row], columns: Sequence[str] = ()) -> None:
    """`<stem>.csv` and `<stem>.json` of the rows (columns in the rows' key order). The stem
    may hold dots (a model page's, `models/org-model.Q4_1.gguf-3956f336`): the suffixes are
    added to it, never put in place of what follows its last dot."""
    names = list(columns) or (list(rows[0]) if rows else [])
    csv_path, json_path = (path_stem.with_name(path_stem.name + s) for s in (".csv", ".json"))
    with open(csv_path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([_csv_value(row.get(name)) for name in names] for row in rows)
    lines = (json.dumps(r, ensure_ascii=False, sort_keys=True, allow_nan=False) for r in rows)
    text = "[\n" + ",\n".join(lines) + "\n]\n" if rows else "[]\n"  # one record a line
    json_path.write_text(text, encoding="utf-8")


def _lcb(confusion: Confusion | None) -> Row:
    """The LCB average rates (fractions), null where the cell has none."""
    return _rates(confusion.average if confusion else None)


def _rates(rates: Rates | None) -> Row:
    """LPR, WPR and LCPR (fractions) as `lcb_lpr`, `lcb_wpr`, `lcb_lcpr`; null where none."""
    values = rates.values if rates else (None, None, None)
    return {f"lcb_{label.lower()}": v for label, v in zip(LABELS, values, strict=True)}


def _csv_value(value: Any) -> Any:
    """As pandas writes it: empty for missing, True/False for flags, repr for numbers; text a
    spreadsheet would run as a formula neutralised."""
    return "" if value is None else neutralised(value)


def _mean(name: str, mean: Mean | None) -> Row:
    """A mean with its interval and what it rests on: `<name>`, `<name>_ci_low`,
    `<name>_ci_high`, `<name>_tasks` (columns averaged), `<name>_samples`."""
    e = mean.estimate if mean else None
    return {
        name: e.value if e else None,
        f"{name}_ci_low": e.low if e else None,
        f"{name}_ci_high": e.high if e else None,
        f"{name}_tasks": mean.tasks if mean else None,
        f"{name}_samples": mean.samples if mean else None,
    }


def _estimate(prefix: str, estimate: Estimate | None) -> Row:
    name = f"{prefix}_" if prefix else ""
    return {
        prefix or "value": estimate.value if estimate else None,
        f"{name}ci_low": estimate.low if estimate else None,
        f"{name}ci_high": estimate.high if estimate else None,
    }
