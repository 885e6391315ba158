"""The leaderboard's numbers, from the runs: what every page shows, before any HTML.

- A column is a task, variant and data tier (real data, or the task's shipped sample: never
  ranked together), scored by the variant's primary metric: the first of the variant's own
  metrics in the manifest (a log-likelihood variant's: `acc`, `bits_per_byte`), else of the
  task's. A log-likelihood variant's column is in a group of its own, not its task's family
  (harness.leaderboard.families: `log-likelihood`, `bits per byte`).
  A model's cell in a column comes from one of its runs that have the column, picked by the
  rule in harness.leaderboard.selection (complete, then most languages and samples, then
  without --limit, then newest); the runs set aside are listed (`Board.set_aside`).
- A cell: the macro average over languages of the primary metric, the language-normalised score
  and the consistency rate (summary.json, kind `macro`), each with its 95% interval, the same
  over each resource tier and script (`macro_by_tier`, `macro_by_script`: the overview's
  filters; for bits per byte, which the summary does not average, from the per-language
  scores: harness.leaderboard.runs), what it rests on (coverage: languages, samples, failed
  requests; the run's data source, limit, prompt format and status), and the model's rank in
  the column (harness.leaderboard.ranks; the lowest first where lower is better). Only cells
  of complete runs are ranked: a cell of an incomplete run is shown, marked, but neither
  ranked nor averaged. A log-likelihood variant has no language-normalised score nor
  consistency rate (its answer is one of the continuations given): they do not apply
  (`Column.loglikelihood`).
- A language cell: a model's score in one language of a column (scores.json) with its
  interval, the paired gap to English (summary.json `gap_to_english`), whether it is the
  model's worst language (`worst_language`), its consistency rate and failed requests.
- A cell's LCB rates (LPR, WPR, LCPR: summary.json `lcb_average`, `lcb_language`,
  `lcb_source`) where the column is the Language Confusion Benchmark's (confusion).
- Means never mix metrics of different kinds, nor data tiers: they average the columns of one
  tier (`Board.mean_tier`: real data where the board has any, else the shipped samples; a
  family with no column of it, such as log-likelihood variants run on the samples only, has
  its mean over the first tier it has, `Board.tier_of`, and stays out of the headline). A
  family's mean is the mean of its columns' primary metric where that is the family's kind of
  metric (harness.leaderboard.families: correctness; chrF++ for translation; LPR for language
  confusion; acc for log-likelihood; bits per byte, lower is better, for bits per byte). The
  headline mean over tasks is the macro average over the families of correctness (translated
  QA, reasoning, temporal, ...) of their family means; translation, language confusion,
  log-likelihood and bits per byte have their own family means, not part of it.
- The language view across tasks: per model and language, the mean over the columns of the
  mean tier whose primary metric is a correctness metric of generated answers (translation,
  LCB and log-likelihood variants left out) of the language's score and gap to English.
- How values are shown (points, or as is for bits per byte) is harness.leaderboard.scales'.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.analysis.summary import ENGLISH
from harness.languages import TIERS as RESOURCE_TIERS
from harness.leaderboard.confusion import Confusion, Rates, read_confusion
from harness.leaderboard.corpus import METHOD as CORPUS_METHOD
from harness.leaderboard.corpus import is_corpus, pairs_interval
from harness.leaderboard.families import (
    CORRECTNESS,
    GROUPS,
    LIKELIHOOD,
    column_family,
    family_of,
    in_headline,
    mean_of,
)
from harness.leaderboard.names import column_anchor
from harness.leaderboard.ranks import Estimate, clipped, mean_estimate, tied_ranks
from harness.leaderboard.runs import Record, Run, finite
from harness.leaderboard.scales import Scale, scale_of
from harness.leaderboard.selection import (
    TIER_LABELS,
    TIERS,
    Coverage,
    SetAside,
    Slot,
    column_key,
    column_label,
    select_runs,
    slots,
)
from harness.metrics.registry import lower_is_better, metric_info
from harness.translation.keys import scored_language

ALL = "all"  # the view over every language, and the family filter's "every family"
NORMALISED, CONSISTENCY = "language_normalised", "consistency"


@dataclass(frozen=True, slots=True)
class Column:
    task: str
    variant: str
    data: str  # the data tier (harness.leaderboard.selection: real, sample, other)
    metric: str
    kind: str | None
    family: str  # its group: the task's family, or a log-likelihood group
    task_family: str  # the task's family
    formulation: str | None  # a log-likelihood variant's (letter, cloze, hybrid, text)

    @property
    def key(self) -> str:
        """`mgsm/native_cot`; `mgsm/native_cot@sample` on the shipped sample."""
        return column_key(self.task, self.variant, self.data)

    @property
    def label(self) -> str:
        """`mgsm/native_cot`; `mgsm/native_cot · shipped sample`."""
        return column_label(self.task, self.variant, self.data)

    @property
    def data_label(self) -> str:
        return TIER_LABELS[self.data]

    @property
    def anchor(self) -> str:
        """The column's section on its task page."""
        return column_anchor(self.variant, self.data)

    @property
    def lower_is_better(self) -> bool:
        return lower_is_better(self.metric)

    @property
    def loglikelihood(self) -> bool:
        """Whether the variant scores continuations by their log-probability: its cells have
        no language-normalised score nor consistency rate (they do not apply)."""
        return self.formulation is not None or self.metric in LIKELIHOOD

    @property
    def scale(self) -> Scale:
        """How its values are shown (harness.leaderboard.scales)."""
        return scale_of(self.metric)


@dataclass(frozen=True, slots=True)
class Scores:
    """A cell's three numbers in one view: primary metric, language-normalised, consistency."""

    primary: Estimate | None
    normalised: Estimate | None
    consistency: Estimate | None
    method: str = ""  # how the primary metric's interval was computed ("": none)


@dataclass(slots=True)
class Cell:
    model: str
    column: Column
    run: Run
    coverage: Coverage  # languages, samples and failed requests behind the cell
    views: dict[str, Scores]  # "all", "tier:low", "script:Deva"
    ranks: dict[str, int | None] = field(default_factory=dict)  # per view
    confusion: Confusion | None = None  # LCB rates (harness.leaderboard.confusion)

    @property
    def scores(self) -> Scores:
        return self.views[ALL]

    @property
    def complete(self) -> bool:
        """Whether the cell's run is complete: only then is the cell ranked and averaged."""
        return self.run.complete


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
    tasks: int  # the columns behind it
    families: int  # the families behind it (1 for a family's mean)
    rank: int | None
    samples: int = 0  # the scored samples behind its columns


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
    spans: dict[str, tuple[float, float]]  # column key -> least and greatest language score
    views: list[str]
    means: dict[tuple[str, str], dict[str, Mean]]  # (view, family or "all") -> model -> mean
    mean_tier: str | None  # the data tier the headline and the language view average over
    family_tiers: dict[str, str]  # family -> the tier of its mean (mean_tier where it has any)
    across: dict[tuple[str, str], AcrossTasks]  # (model, language)
    across_languages: list[str]
    set_aside: list[SetAside]  # runs that cover a column but were not used there

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

    def in_language_view(self, column: Column) -> bool:
        return in_language_view(column, self.mean_tier)

    def tier_of(self, family: str) -> str | None:
        """The data tier a family's mean averages: the board's mean tier where the family has
        columns of it, else the first tier it has (log-likelihood variants run on the shipped
        samples only, beside generative runs on real data)."""
        return self.family_tiers.get(family, self.mean_tier)

    def in_headline(self, family: str) -> bool:
        """Whether a family's mean is part of the headline mean over tasks."""
        return family in _headline_families(self.family_tiers, self.mean_tier)

    def counts_in_means(self, column: Column) -> bool:
        """Whether a column is of the tier its family's mean averages."""
        return column.data == self.tier_of(column.family)

    def families(self) -> list[str]:
        present = {column.family for column in self.columns}
        return [f for f in GROUPS if f in present] + sorted(present - set(GROUPS))


def build_board(runs: list[Run], spec_info: dict[str, dict[str, Any]]) -> Board:
    """The board of the runs (oldest first). `spec_info`: task name -> known spec fields
    (`kind`, `metrics`), for tasks whose runs' manifests lack them."""
    selection = select_runs(runs)
    columns = _columns(runs, spec_info)
    cells: dict[tuple[str, str], Cell] = {}
    language_cells: dict[tuple[str, str], list[LanguageCell]] = {}
    column_languages: dict[str, set[str]] = defaultdict(set)
    for slot, (run, covered) in selection.chosen.items():
        column = columns[slot.key]
        cell = cells[(slot.model, column.key)] = _cell(slot.model, column, run, covered)
        found = _language_cells(slot.model, column, run, cell.confusion)
        language_cells[(slot.model, column.key)] = found
        column_languages[column.key].update(c.language for c in found)
    ordered = sorted(columns.values(), key=_column_order)
    views = _views(cells.values())
    _rank_cells(cells, ordered, views)
    models_seen = sorted({model for model, _ in cells})
    tier = next((t for t in TIERS if any(c.data == t for c in ordered)), None)
    family_tiers = _family_tiers(ordered, tier)
    counted = [c for c in ordered if c.data == family_tiers[c.family]]
    headline = _headline_families(family_tiers, tier)
    means = _means(cells, counted, models_seen, views, headline)
    overall = means[(ALL, ALL)]
    models = sorted(models_seen, key=lambda m: _model_order(m, overall.get(m)))
    across, across_languages = _across_tasks(language_cells, models, tier)
    return Board(
        runs=runs,
        models=models,
        columns=ordered,
        cells=dict(sorted(cells.items())),
        language_cells=dict(sorted(language_cells.items())),
        column_languages={k: sorted(v, key=language_order) for k, v in column_languages.items()},
        spans=_spans(language_cells),
        views=views,
        means=means,
        mean_tier=tier,
        family_tiers=family_tiers,
        across=across,
        across_languages=across_languages,
        set_aside=selection.set_aside,
    )


def basis(cell: Cell) -> dict[str, Any]:
    """What a cell rests on, by the names the downloads give it: scored samples (`n`) and
    languages, failed requests in this column (`errors`), the data tier, and its run's facts
    (`run_facts`)."""
    covered = cell.coverage
    return {
        "n": covered.samples,
        "languages": len(covered.languages),
        "language_codes": " ".join(sorted(covered.languages, key=language_order)),
        "errors": covered.failed,
        "data": cell.column.data,
        **run_facts(cell.run, cell.column.task),
    }


def run_facts(run: Run, task: str) -> dict[str, Any]:
    """A run's data source kind for a task, --limit, prompt format, status, whether it is
    complete, and its failed of all requests."""
    return {
        "source": run.sources.get(task, ""),
        "limit": run.limit,
        "prompt_format": run.prompt_format,
        "status": run.status,
        "complete": run.complete,
        "failed": run.failed,
        "requests": run.requests,
    }


def language_order(code: str) -> tuple[int, str]:
    return (0 if code == ENGLISH else 1, code)


# ---- which run, which columns


def _columns(runs: list[Run], spec_info: dict[str, dict[str, Any]]) -> dict[str, Column]:
    """Each column's primary metric (the variant's own, else the task's), kind and group,
    from the newest run that has it."""
    newest: dict[str, tuple[Run, Slot]] = {}
    for run in runs:  # oldest first
        for slot in slots(run):
            newest[slot.key] = (run, slot)
    columns = {}
    for key, (run, slot) in sorted(newest.items()):
        entry = run.tasks.get(slot.task, {})
        known = spec_info.get(slot.task, {})
        task_metrics = [str(m) for m in entry.get("metrics") or known.get("metrics") or []]
        variant = _variant_entry(entry, slot.variant)
        formulation = variant.get("loglikelihood")
        metrics = [str(m) for m in variant.get("metrics") or []] or task_metrics
        kind = entry.get("kind") or known.get("kind")
        metric = metrics[0] if metrics else _first_metric(run, slot.task, slot.variant)
        task_family = family_of(kind, task_metrics, entry.get("family") or known.get("family"))
        columns[key] = Column(
            slot.task,
            slot.variant,
            slot.data,
            metric,
            kind,
            column_family(task_family, metric, formulation),
            task_family,
            str(formulation) if formulation else None,
        )
    return columns


def _variant_entry(entry: dict[str, Any], variant: str) -> dict[str, Any]:
    """A variant's entry in a manifest's task entry (empty where it has none)."""
    variants = entry.get("variants")
    found = variants.get(variant) if isinstance(variants, dict) else None
    return found if isinstance(found, dict) else {}


def _first_metric(run: Run, task: str, variant: str) -> str:
    found = [
        str(r["metric"])
        for r in run.scores_by_column.get((task, variant), [])
        if (info := metric_info(str(r["metric"]))) is None or info.primary_candidate
    ]
    return found[0] if found else "accuracy"


def _column_order(column: Column) -> tuple[int, str, str, int]:
    rank = GROUPS.index(column.family) if column.family in GROUPS else len(GROUPS)
    return (rank, column.task, column.variant, TIERS.index(column.data))


# ---- cells


def _cell(model: str, column: Column, run: Run, covered: Coverage) -> Cell:
    macros: dict[tuple[str, str, str | None], Record] = {}
    records = run.summary_by_column.get((column.task, column.variant), [])
    for record in records:
        kind = str(record.get("kind"))
        if kind in ("macro", "macro_by_tier", "macro_by_script"):
            macros[(str(record["metric"]), kind, record.get("group"))] = record
    groups: list[tuple[str, str, str | None]] = [(ALL, "macro", None)]
    groups += [(f"tier:{t}", "macro_by_tier", t) for t in RESOURCE_TIERS]
    scripts = sorted(
        {str(g) for (m, k, g) in macros if k == "macro_by_script" and m == column.metric}
    )
    groups += [(f"script:{s}", "macro_by_script", s) for s in scripts]
    views = {}
    scores = run.scores_by_column.get((column.task, column.variant), [])
    for view, kind, group in groups:
        found = macros.get((column.metric, kind, group))
        primary, method = _primary(found, column.metric, view, scores)
        if primary is None and view != ALL:
            continue
        views[view] = Scores(
            primary,
            _estimate(macros.get((NORMALISED, kind, group))),
            _estimate(macros.get((CONSISTENCY, kind, group))),
            method,
        )
    return Cell(model, column, run, covered, views, confusion=read_confusion(records))


def _primary(
    record: Record | None, metric: str, view: str, scores: list[Record]
) -> tuple[Estimate | None, str]:
    """A view's macro average of the primary metric and how its interval was computed: the
    summary's, or for a corpus metric without one the pairs' (harness.leaderboard.corpus)."""
    estimate = _estimate(record)
    if estimate is None or record is None:
        return None, ""
    if estimate.has_interval:
        return estimate, str(record.get("method") or "")
    if is_corpus(metric):
        languages = record.get("languages")
        count = int(languages) if isinstance(languages, int) else None
        found = pairs_interval(estimate, scores, metric, view, count)
        if found is not None:
            return found, CORPUS_METHOD
    return estimate, ""


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


def _spans(
    language_cells: dict[tuple[str, str], list[LanguageCell]],
) -> dict[str, tuple[float, float]]:
    """Per column, the least and greatest score of any model in any language: where an
    unbounded metric's heatmap colours run from and to (harness.leaderboard.scales)."""
    values: dict[str, list[float]] = defaultdict(list)
    for (_, key), found in language_cells.items():
        values[key] += [c.score.value for c in found if c.score is not None]
    return {key: (min(v), max(v)) for key, v in sorted(values.items()) if v}


# ---- ranks and means


def _views(cells: Iterable[Cell]) -> list[str]:
    found = {view for cell in cells for view in cell.views}
    tiers = [f"tier:{t}" for t in RESOURCE_TIERS if f"tier:{t}" in found]
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
            estimates = [_ranked(cell, view) for cell in members]
            for cell, rank in zip(
                members, tied_ranks(estimates, column.lower_is_better), strict=True
            ):
                cell.ranks[view] = rank


def _ranked(cell: Cell, view: str) -> Estimate | None:
    """The cell's score in a view where it counts in ranks and means (its run is complete)."""
    scores = cell.views.get(view)
    return scores.primary if scores is not None and cell.complete else None


def _family_tiers(columns: list[Column], tier: str | None) -> dict[str, str]:
    """Each family's data tier: the board's where the family has columns of it, else the first
    tier it has. A family's mean never mixes tiers; the headline averages only the families of
    the board's tier."""
    found: dict[str, str] = {}
    for family in dict.fromkeys(c.family for c in columns):
        tiers = {c.data for c in columns if c.family == family}
        found[family] = tier if tier in tiers else next(t for t in TIERS if t in tiers)
    return found


def _headline_families(family_tiers: dict[str, str], tier: str | None) -> set[str]:
    """The families the headline averages: those of correctness, of the board's tier."""
    return {f for f, t in family_tiers.items() if t == tier and in_headline(f)}


def _means(
    cells: dict[tuple[str, str], Cell],
    columns: list[Column],
    models: list[str],
    views: list[str],
    headline: set[str],
) -> dict[tuple[str, str], dict[str, Mean]]:
    """Per view: each family's mean of each model (over the family's columns whose metric is of
    the family's kind) and the headline (the macro average of the means of the families in
    `headline`: those of correctness, of the board's tier), with ranks."""
    families = list(dict.fromkeys(c.family for c in columns))
    means: dict[tuple[str, str], dict[str, Mean]] = {}
    for view in views:
        per_family = {f: _family_means(cells, columns, models, view, f) for f in families}
        means[(view, ALL)] = _headline(
            [found for f, found in per_family.items() if f in headline], models
        )
        for name, found in per_family.items():
            means[(view, name)] = found
    return means


def _family_means(
    cells: dict[tuple[str, str], Cell],
    columns: list[Column],
    models: list[str],
    view: str,
    name: str,
) -> dict[str, Mean]:
    admitted = mean_of(name)
    picked = [c for c in columns if c.family == name and c.metric in admitted.metrics]
    found: dict[str, tuple[Estimate, int, int, int]] = {}
    for model in models:
        ranked = [
            (cell, e)
            for column in picked
            if (cell := cells.get((model, column.key))) and (e := _ranked(cell, view))
        ]
        mean = clipped(mean_estimate([e for _, e in ranked]), admitted.scale.bounded)
        if mean is not None:
            samples = sum(cell.coverage.samples for cell, _ in ranked)
            found[model] = (mean, len(ranked), 1, samples)
    return _ranked_means(found, admitted.lower_is_better)


def _headline(families: list[dict[str, Mean]], models: list[str]) -> dict[str, Mean]:
    found: dict[str, tuple[Estimate, int, int, int]] = {}
    for model in models:
        mine = [means[model] for means in families if model in means]
        mean = clipped(mean_estimate([m.estimate for m in mine]))  # of correctness rates
        if mean is not None:
            tasks, samples = sum(m.tasks for m in mine), sum(m.samples for m in mine)
            found[model] = (mean, tasks, len(mine), samples)
    return _ranked_means(found)


def _ranked_means(
    found: dict[str, tuple[Estimate, int, int, int]], lower_is_better: bool = False
) -> dict[str, Mean]:
    ordered = sorted(found)
    ranks = tied_ranks([found[m][0] for m in ordered], lower_is_better)
    return {
        m: Mean(found[m][0], found[m][1], found[m][2], r, found[m][3])
        for m, r in zip(ordered, ranks, strict=True)
    }


def _model_order(model: str, mean: Mean | None) -> tuple[int, float, str]:
    if mean is None:
        return (1 << 30, 0.0, model)
    return (mean.rank or 1 << 30, -mean.estimate.value, model)


# ---- the language view across tasks


def in_language_view(column: Column, tier: str | None) -> bool:
    """Whether the language view averages a column: of the data tier `tier`, scored by a
    correctness metric of generated answers (never a log-likelihood variant)."""
    return column.data == tier and column.metric in CORRECTNESS and not column.loglikelihood


def _across_tasks(
    language_cells: dict[tuple[str, str], list[LanguageCell]], models: list[str], tier: str | None
) -> tuple[dict[tuple[str, str], AcrossTasks], list[str]]:
    """Per model and language: the mean over the columns of the data tier `tier` scored by a
    correctness metric (no translation, no LCB rates, no log-likelihood), complete runs only."""
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    gaps: dict[tuple[str, str], list[float]] = defaultdict(list)
    for (model, _), found in sorted(language_cells.items()):
        for cell in found:
            averaged = cell.run.complete and in_language_view(cell.column, tier)
            if cell.score is None or not averaged:
                continue
            key = (model, scored_language(cell.language))  # a pair: its scored language
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
