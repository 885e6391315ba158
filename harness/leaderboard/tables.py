"""The leaderboard's numbers, from the runs: what every page shows, before any HTML.

- A column is a task and variant, scored by the task's primary metric (its first metric in the
  manifest). A model's cell in a column comes from the newest of its runs that has the column.
- A cell: the macro average over languages of the primary metric, the language-normalised score
  and the consistency rate (summary.json, kind `macro`), each with its 95% interval, the same
  over each resource tier and script (`macro_by_tier`, `macro_by_script`: the overview's
  filters), and the model's rank in the column (harness.leaderboard.ranks).
- A language cell: a model's score in one language of a column (scores.json) with its
  interval, the paired gap to English (summary.json `gap_to_english`), whether it is the
  model's worst language (`worst_language`), its consistency rate and failed requests.
- A cell's LCB rates (LPR, WPR, LCPR: summary.json `lcb_average`, `lcb_language`,
  `lcb_source`) where the column is the Language Confusion Benchmark's (confusion).
- A model's mean: over the columns of a family (or all) whose metric is higher-is-better.
- The language view across tasks: per model and language (a translation pair counts under the
  language it is scored in), the mean over columns of the language's score and gap to English.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.languages import TIERS
from harness.leaderboard.confusion import Confusion, Rates, read_confusion
from harness.leaderboard.families import FAMILIES, family
from harness.leaderboard.ranks import Estimate, mean_estimate, tied_ranks
from harness.leaderboard.runs import Record, Run, finite
from harness.summary import ENGLISH, LOWER_IS_BETTER
from harness.translation.keys import scored_language

ALL = "all"  # the view over every language, and the family filter's "every family"
NORMALISED, CONSISTENCY = "language_normalised", "consistency"
LANGUAGE_METRICS = {CONSISTENCY, "line_pass", "word_pass", NORMALISED, "parse_rate"}


@dataclass(frozen=True, slots=True)
class Column:
    task: str
    variant: str
    metric: str
    kind: str | None
    family: str

    @property
    def key(self) -> str:
        return f"{self.task}/{self.variant}"

    @property
    def lower_is_better(self) -> bool:
        return self.metric in LOWER_IS_BETTER


@dataclass(frozen=True, slots=True)
class Scores:
    """A cell's three numbers in one view: primary metric, language-normalised, consistency."""

    primary: Estimate | None
    normalised: Estimate | None
    consistency: Estimate | None


@dataclass(slots=True)
class Cell:
    model: str
    column: Column
    run: Run
    languages: int
    views: dict[str, Scores]  # "all", "tier:low", "script:Deva"
    ranks: dict[str, int | None] = field(default_factory=dict)  # per view
    confusion: Confusion | None = None  # LCB rates (harness.leaderboard.confusion)

    @property
    def scores(self) -> Scores:
        return self.views[ALL]


@dataclass(frozen=True, slots=True)
class LanguageCell:
    model: str
    column: Column
    language: str
    run: Run
    score: Estimate | None
    n: int
    errors: int
    gap: Estimate | None
    worst: bool
    consistency: float | None
    consistency_n: int
    und: int
    confusion: Rates | None = None  # the LCB rates in this language (LCB columns only)

    @property
    def consistency_failures(self) -> int:
        if self.consistency is None:
            return 0
        return round(self.consistency_n * (1 - self.consistency))


@dataclass(frozen=True, slots=True)
class Mean:
    estimate: Estimate
    tasks: int
    rank: int | None


@dataclass(frozen=True, slots=True)
class AcrossTasks:
    """One model and language in the language view across tasks."""

    model: str
    language: str
    value: float
    tasks: int
    gap: float | None
    worst: bool


@dataclass(slots=True)
class Board:
    runs: list[Run]
    models: list[str]  # by overall rank, then mean, then name
    columns: list[Column]  # by family, task, variant
    cells: dict[tuple[str, str], Cell]  # (model, column key)
    language_cells: dict[tuple[str, str], list[LanguageCell]]  # (model, column key)
    column_languages: dict[str, list[str]]  # column key -> languages, English first
    views: list[str]
    means: dict[tuple[str, str], dict[str, Mean]]  # (view, family or "all") -> model -> mean
    across: dict[tuple[str, str], AcrossTasks]  # (model, language)
    across_languages: list[str]

    def cell(self, model: str, column: Column) -> Cell | None:
        return self.cells.get((model, column.key))

    def model_runs(self, model: str) -> list[Run]:
        return [run for run in self.runs if run.model == model]

    def used_runs(self) -> list[Run]:
        """The runs some cell comes from, oldest first."""
        keys = {cell.run.key for cell in self.cells.values()}
        return [run for run in self.runs if run.key in keys]

    def confusion_keys(self) -> set[str]:
        """The columns some of whose cells have LCB rates."""
        return {key for (_, key), cell in self.cells.items() if cell.confusion is not None}

    def families(self) -> list[str]:
        present = {column.family for column in self.columns}
        return [f for f in FAMILIES if f in present] + sorted(present - set(FAMILIES))


def build_board(runs: list[Run], spec_info: dict[str, dict[str, Any]]) -> Board:
    """The board of the runs (oldest first). `spec_info`: task name -> known spec fields
    (`kind`, `metrics`), for tasks whose runs' manifests lack them."""
    chosen = _newest_runs(runs)
    columns = _columns(chosen, runs, spec_info)
    cells: dict[tuple[str, str], Cell] = {}
    language_cells: dict[tuple[str, str], list[LanguageCell]] = {}
    column_languages: dict[str, set[str]] = defaultdict(set)
    for (model, key), run in sorted(chosen.items()):
        column = columns[key]
        cell = cells[(model, key)] = _cell(model, column, run)
        found = _language_cells(model, column, run, cell.confusion)
        language_cells[(model, key)] = found
        column_languages[key].update(c.language for c in found)
    ordered = sorted(columns.values(), key=_column_order)
    views = _views(cells.values())
    _rank_cells(cells, ordered, views)
    models_seen = sorted({model for model, _ in cells})
    means = _means(cells, ordered, models_seen, views)
    overall = means[(ALL, ALL)]
    models = sorted(models_seen, key=lambda m: _model_order(m, overall.get(m)))
    across, across_languages = _across_tasks(language_cells, models)
    return Board(
        runs=runs,
        models=models,
        columns=ordered,
        cells=cells,
        language_cells=language_cells,
        column_languages={k: sorted(v, key=language_order) for k, v in column_languages.items()},
        views=views,
        means=means,
        across=across,
        across_languages=across_languages,
    )


def language_order(code: str) -> tuple[int, str]:
    return (0 if code == ENGLISH else 1, code)


# ---- which run, which columns


def _newest_runs(runs: list[Run]) -> dict[tuple[str, str], Run]:
    """(model, column key) -> the newest run of the model with the column (runs come oldest
    first, so later ones replace earlier ones)."""
    chosen: dict[tuple[str, str], Run] = {}
    for run in runs:
        for task, variant in run.columns:
            chosen[(run.model, f"{task}/{variant}")] = run
    return chosen


def _columns(
    chosen: dict[tuple[str, str], Run], runs: list[Run], spec_info: dict[str, dict[str, Any]]
) -> dict[str, Column]:
    """Each column's primary metric and kind, from the newest run that has it."""
    newest: dict[str, Run] = {}
    for run in runs:
        for task, variant in run.columns:
            newest[f"{task}/{variant}"] = run
    columns = {}
    for key in sorted({key for _, key in chosen}):
        run = newest[key]
        task, variant = key.split("/", 1)
        entry = run.tasks.get(task, {})
        known = spec_info.get(task, {})
        metrics = [str(m) for m in entry.get("metrics") or known.get("metrics") or []]
        kind = entry.get("kind") or known.get("kind")
        metric = metrics[0] if metrics else _first_metric(run, task, variant)
        columns[key] = Column(task, variant, metric, kind, family(task, kind, metrics))
    return columns


def _first_metric(run: Run, task: str, variant: str) -> str:
    found = [
        str(r["metric"])
        for r in run.scores_by_column.get((task, variant), [])
        if r["metric"] not in LANGUAGE_METRICS
    ]
    return found[0] if found else "accuracy"


def _column_order(column: Column) -> tuple[int, str, str]:
    rank = FAMILIES.index(column.family) if column.family in FAMILIES else len(FAMILIES)
    return (rank, column.task, column.variant)


# ---- cells


def _cell(model: str, column: Column, run: Run) -> Cell:
    macros: dict[tuple[str, str, str | None], Record] = {}
    records = run.summary_by_column.get((column.task, column.variant), [])
    for record in records:
        kind = str(record.get("kind"))
        if kind in ("macro", "macro_by_tier", "macro_by_script"):
            macros[(str(record["metric"]), kind, record.get("group"))] = record
    groups: list[tuple[str, str, str | None]] = [(ALL, "macro", None)]
    groups += [(f"tier:{t}", "macro_by_tier", t) for t in TIERS]
    scripts = sorted(
        {str(g) for (m, k, g) in macros if k == "macro_by_script" and m == column.metric}
    )
    groups += [(f"script:{s}", "macro_by_script", s) for s in scripts]
    views = {}
    for view, kind, group in groups:
        primary = _estimate(macros.get((column.metric, kind, group)))
        if primary is None and view != ALL:
            continue
        views[view] = Scores(
            primary,
            _estimate(macros.get((NORMALISED, kind, group))),
            _estimate(macros.get((CONSISTENCY, kind, group))),
        )
    macro = macros.get((column.metric, "macro", None))
    languages = int(macro.get("languages") or 0) if macro else 0
    return Cell(model, column, run, languages, views, confusion=read_confusion(records))


def _estimate(record: Record | None) -> Estimate | None:
    """A record's value and interval; None where it has no finite value (an interval bound
    that is missing or not finite is left out)."""
    if record is None or not finite(record.get("value")):
        return None
    low, high = record.get("ci_low"), record.get("ci_high")
    return Estimate(
        float(record["value"]),
        float(low) if low is not None and finite(low) else None,
        float(high) if high is not None and finite(high) else None,
    )


def _language_cells(
    model: str, column: Column, run: Run, confusion: Confusion | None
) -> list[LanguageCell]:
    mine = run.scores_by_column.get((column.task, column.variant), [])
    primary = {
        str(r["language"]): r for r in mine if r["metric"] == column.metric and finite(r["value"])
    }
    consistency = {str(r["language"]): r for r in mine if r["metric"] == CONSISTENCY}
    gaps, worst = {}, None
    for record in run.summary_by_column.get((column.task, column.variant), []):
        if record.get("metric") == column.metric:
            if record.get("kind") == "gap_to_english":
                gaps[str(record["group"])] = _estimate(record)
            elif record.get("kind") == "worst_language":
                worst = str(record["group"])
    if worst is None and len(primary) >= 2:
        pick = max if column.lower_is_better else min
        worst = pick(sorted(primary), key=lambda lang: float(primary[lang]["value"]))
    if len({float(r["value"]) for r in primary.values()}) < 2:
        worst = None  # every language scores the same: none is the worst
    languages = sorted(primary, key=language_order)
    cells = []
    for language in languages:
        record = primary[language]
        agreeing = consistency.get(language)
        cells.append(
            LanguageCell(
                model=model,
                column=column,
                language=language,
                run=run,
                score=_estimate(record),
                n=int(record.get("n") or 0),
                errors=run.errors_by_cell.get((column.task, column.variant, language), 0),
                gap=gaps.get(language),
                worst=language == worst,
                consistency=float(agreeing["value"])
                if agreeing and finite(agreeing["value"])
                else None,
                consistency_n=int(agreeing.get("n") or 0) if agreeing else 0,
                und=int(agreeing.get("und") or 0) if agreeing else 0,
                confusion=confusion.languages.get(language) if confusion else None,
            )
        )
    return cells


# ---- ranks and means


def _views(cells: Iterable[Cell]) -> list[str]:
    found = {view for cell in cells for view in cell.views}
    tiers = [f"tier:{t}" for t in TIERS if f"tier:{t}" in found]
    scripts = sorted(v for v in found if v.startswith("script:"))
    return [ALL, *tiers, *scripts]


def _rank_cells(
    cells: dict[tuple[str, str], Cell], columns: list[Column], views: list[str]
) -> None:
    by_column: dict[str, list[Cell]] = defaultdict(list)
    for (_, key), cell in sorted(cells.items()):
        by_column[key].append(cell)
    for column in columns:
        members = by_column[column.key]
        for view in views:
            estimates = [
                scores.primary if (scores := cell.views.get(view)) else None for cell in members
            ]
            for cell, rank in zip(
                members, tied_ranks(estimates, column.lower_is_better), strict=True
            ):
                cell.ranks[view] = rank


def _means(
    cells: dict[tuple[str, str], Cell], columns: list[Column], models: list[str], views: list[str]
) -> dict[tuple[str, str], dict[str, Mean]]:
    families = [ALL, *dict.fromkeys(c.family for c in columns)]
    means: dict[tuple[str, str], dict[str, Mean]] = {}
    for view in views:
        for chosen in families:
            picked = [
                c
                for c in columns
                if (chosen == ALL or c.family == chosen) and not c.lower_is_better
            ]
            found: dict[str, tuple[Estimate, int]] = {}
            for model in models:
                estimates = []
                for column in picked:
                    cell = cells.get((model, column.key))
                    scores = cell.views.get(view) if cell else None
                    if scores is not None and scores.primary is not None:
                        estimates.append(scores.primary)
                mean = mean_estimate(estimates)
                if mean is not None:
                    found[model] = (mean, len(estimates))
            ordered = sorted(found)
            ranks = tied_ranks([found[m][0] for m in ordered])
            means[(view, chosen)] = {
                m: Mean(found[m][0], found[m][1], r) for m, r in zip(ordered, ranks, strict=True)
            }
    return means


def _model_order(model: str, mean: Mean | None) -> tuple[int, float, str]:
    if mean is None:
        return (1 << 30, 0.0, model)
    return (mean.rank or 1 << 30, -mean.estimate.value, model)


# ---- the language view across tasks


def _across_tasks(
    language_cells: dict[tuple[str, str], list[LanguageCell]], models: list[str]
) -> tuple[dict[tuple[str, str], AcrossTasks], list[str]]:
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    gaps: dict[tuple[str, str], list[float]] = defaultdict(list)
    for (model, _), found in sorted(language_cells.items()):
        for cell in found:
            if cell.score is None or cell.column.lower_is_better:
                continue
            key = (model, scored_language(cell.language))
            values[key].append(cell.score.value)
            if cell.gap is not None:
                gaps[key].append(cell.gap.value)
    means = {key: sum(v) / len(v) for key, v in values.items()}
    worst: dict[str, str] = {}
    for model in models:
        mine = sorted((lang for m, lang in means if m == model), key=language_order)
        if len({means[(model, lang)] for lang in mine}) >= 2:  # not when all are equal
            worst[model] = min(mine, key=lambda lang: means[(model, lang)])
    across = {
        key: AcrossTasks(
            model=key[0],
            language=key[1],
            value=means[key],
            tasks=len(values[key]),
            gap=sum(gaps[key]) / len(gaps[key]) if gaps.get(key) else None,
            worst=worst.get(key[0]) == key[1],
        )
        for key in sorted(means)
    }
    languages = sorted({lang for _, lang in means}, key=language_order)
    return across, languages
