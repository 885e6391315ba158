"""`evaluate validate`: every problem of a task folder, each as `file:line: message`.

Checks, in order: the task.yaml schema (every pydantic error), the data of every language
(each row), every variant's template on the first rows of every language, multiple-choice
gold answers, and finally a `baseline:reference` run that must score perfectly."""

from __future__ import annotations

import contextlib
import copy
import io
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.errors import PolyevalError, SkipRow
from harness.kinds import get_kind
from harness.loglikelihood.formulations import metrics_of
from harness.metrics.registry import lower_is_better
from harness.record import ScoreRecord
from harness.registry import Task
from harness.schema import describe_field
from harness.schema import problems as problems_of
from harness.spec import TaskSpec, _check_consistency
from harness.yamlfile import line_of, load_yaml

PERFECT = 1.0


class Problems:
    """An ordered, duplicate-free list of `where: message` lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, message: str, where: str | None) -> None:
        line = f"{where}: {message}" if where else message
        if line not in self.lines:
            self.lines.append(line)

    def error(self, exc: PolyevalError) -> None:
        self.add(exc.message, exc.where)


def validate(path: Path, data_dir: Path | None = None, rows: int = 3) -> list[str]:
    """Every problem found in the task at `path` (a folder or its task.yaml)."""
    yaml_path = path / "task.yaml" if path.is_dir() else path
    problems = Problems()
    try:
        spec = _schema(yaml_path, problems)
    except PolyevalError as exc:
        problems.error(exc)
        return problems.lines
    if spec is None:
        return problems.lines
    task = Task(spec, yaml_path.parent)
    if spec.name != task.folder.name:
        problems.add(
            f"task name '{spec.name}' differs from its folder name '{task.folder.name}'",
            f"{yaml_path}:{line_of(load_yaml(yaml_path)[1], ['name'])}",
        )
    before = len(problems.lines)
    samples = _data(task, data_dir, problems)
    _templates(task, samples, rows, problems)
    if len(problems.lines) == before:
        _reference_run(task, data_dir, problems)
    return problems.lines


def _schema(path: Path, problems: Problems) -> TaskSpec | None:
    """The spec, with every schema problem reported; unknown fields are dropped so that the
    other checks still run. None where the spec cannot be built."""
    data, node = load_yaml(path)
    if not isinstance(data, dict):
        problems.add("a task.yaml must be a mapping of fields", str(path))
        return None
    try:
        spec = TaskSpec.model_validate(data)
    except ValidationError as exc:
        cleaned = copy.deepcopy(data)
        for problem in problems_of(exc, TaskSpec):
            line = line_of(node, list(problem.loc))
            where = f"{path}:{line}" if line else str(path)
            problems.add(describe_field(problem), where)
            if problem.kind == "extra_forbidden":
                _drop(cleaned, list(problem.loc))
        try:
            spec = TaskSpec.model_validate(cleaned)
        except ValidationError:
            return None
    try:
        _check_consistency(spec, path, node)
    except PolyevalError as exc:
        problems.error(exc)
        return None
    return spec


def _drop(data: Any, loc: list[str | int]) -> None:
    for part in loc[:-1]:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(data, dict):
        data.pop(loc[-1], None)


def _data(task: Task, data_dir: Path | None, problems: Problems) -> dict[str, list[Any]]:
    """Each language's samples (pair key for translation), every row problem reported."""
    from harness.config import RunConfig
    from harness.data.sources import SourceChoice, select_source

    spec = task.spec
    try:
        choice: SourceChoice = "local" if data_dir is not None else "sample"
        source, _ = select_source(spec, task.folder, choice, data_dir, None)
        kind = get_kind(spec.kind)
        if kind.pairs:  # a pair's samples are built from several languages' rows at once
            selection = RunConfig(tasks=[spec.name], data_dir=data_dir)
            variants = [v for v, s in spec.variants.items() if s.source is None]
            loaded = kind.load(task, source, variants, selection, None)
            return {key: value.samples for key, value in loaded.items()}
        languages = source.languages()
    except PolyevalError as exc:
        problems.error(exc)
        return {}
    if not languages:
        problems.add(f"no data for task {spec.name}", source.describe())
    samples: dict[str, list[Any]] = {}
    for language in languages:
        try:
            found = source.rows(language)
        except PolyevalError as exc:
            problems.error(exc)
            continue
        samples[language] = _samples(task, found, language, problems)
    return samples


def _samples(task: Task, rows: list[Any], language: str, problems: Problems) -> list[Any]:
    from harness.samples import column, gold_answer, make_sample

    spec, process = task.spec, task.hook("process_record")
    made: list[Any] = []
    seen: dict[str, str] = {}
    for index, (where, record) in enumerate(rows):
        if process is not None:
            try:
                record = process(record, language)
            except SkipRow:
                continue
            if record is None:
                continue
        try:
            if get_kind(spec.kind).choices and spec.gold is not None:
                raw = column(record, spec.gold.field, spec, where)
                if gold_answer(spec.gold, raw, len(spec.choices)) is None:
                    problems.add(
                        f"gold answer {raw!r} ({spec.gold.form}) is not among the "
                        f"{len(spec.choices)} options",
                        where,
                    )
                    continue
            sample = make_sample(spec, index, where, record, language)
        except PolyevalError as exc:
            problems.error(exc)
            continue
        if sample.id in seen:
            problems.add(f"duplicate sample id {sample.id!r} (first at {seen[sample.id]})", where)
        seen[sample.id] = where
        made.append(sample)
    return made


def _templates(task: Task, samples: dict[str, list[Any]], rows: int, problems: Problems) -> None:
    """Every variant's template on the first `rows` samples of every language, in both the
    chat and the completion form (which renders the assistant block too)."""
    from harness.prompting import PromptBuilder

    builders = [PromptBuilder(task, "chat"), PromptBuilder(task, "completion")]
    pairs = get_kind(task.spec.kind).pairs
    for name, variant in task.spec.variants.items():
        for language, found in samples.items():
            if variant.languages is not None and language not in variant.languages:
                continue
            for sample in found[:rows]:
                if pairs and (sample.pair is None) != (variant.loglikelihood == "text"):
                    continue  # a translation's pairs are translated, its languages' texts scored
                for builder in builders:
                    try:
                        if variant.loglikelihood is not None:  # one form: the context
                            builder.scoring(name, sample, [])
                        else:
                            builder.build(name, sample, [])
                    except PolyevalError as exc:
                        problems.error(exc)


def _reference_run(task: Task, data_dir: Path | None, problems: Problems) -> None:
    """`baseline:reference` through the normal pipeline: every cell's primary score must be
    perfect."""
    from rich.console import Console

    from harness.config import RunConfig
    from harness.session import run_evaluation

    spec = task.spec
    where = str(task.folder / "task.yaml")
    variants = [v for v, s in spec.variants.items() if s.source is None]
    quiet = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="polyeval-validate-") as tmp:
        options = RunConfig(
            model="baseline:reference",
            tasks=[spec.name],
            tasks_dirs=[task.folder],
            variants=variants,
            source="local" if data_dir is not None else "sample",
            data_dir=data_dir,
            output=Path(tmp) / "run",
            cache_path=Path(tmp) / "cache.sqlite",
        )
        try:
            with contextlib.redirect_stdout(quiet):
                outcome = run_evaluation(options, Console(file=quiet))
        except PolyevalError as exc:
            problems.add(f"baseline:reference run: {exc.message}", exc.where or where)
            return
    if outcome.failed:
        problems.add(f"baseline:reference run: {outcome.failed} requests failed", where)
    for variant in variants:
        formulation = spec.variants[variant].loglikelihood
        pmi = spec.variants[variant].pmi
        metrics = metrics_of(formulation, pmi) if formulation else spec.metrics or ["accuracy"]
        _perfect(outcome.scores, variant, metrics[0], problems, where)


def _perfect(
    scores: list[ScoreRecord], variant: str, metric: str, problems: Problems, where: str
) -> None:
    """A variant's cells of its primary metric must be perfect: 1.0 (or 0 bits per byte)."""
    cells = [s for s in scores if s.variant == variant and s.metric == metric and s.by is None]
    if not cells:
        problems.add(f"baseline:reference run gave no '{metric}' score for {variant}", where)
    perfect = 0.0 if lower_is_better(metric) else PERFECT
    for cell in cells:
        if (cell.value > perfect) if lower_is_better(metric) else (cell.value < perfect):
            problems.add(
                f"baseline:reference scores {metric} {cell.value} (not {perfect}) on "
                f"{cell.variant}/{cell.language}: the gold answers do not survive the "
                "parser",
                where,
            )
