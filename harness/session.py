"""One `evaluate run`, end to end: plan, generate (with progress), score, write, report."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from harness.backends import Backend, create_backend
from harness.backends.options import BackendOptions
from harness.cache import ResponseCache, default_cache_path
from harness.data.sources import SourceChoice
from harness.gaps import paired_gaps
from harness.planner import Plan, Selection, TaskPlan, build_plan, resolve_languages
from harness.prompting import PromptFormat
from harness.registry import TaskRegistry
from harness.report import breakdowns, gap_tables, score_table
from harness.results import argv, build_manifest, new_run_dir, write_run
from harness.runner import Counts, Execution, execute
from harness.scoring import aggregate
from harness.translation.round_trip import combine, second_leg
from harness.translation.scoring import score_corpora

SECRET_WORDS = ("key", "token", "secret", "password")


@dataclass
class RunOptions:
    model: str
    tasks: list[str]
    backend: BackendOptions = field(default_factory=BackendOptions)
    generation: dict[str, Any] = field(default_factory=dict)  # overrides of the tasks' own
    system_prompt: str | None = None
    languages: list[str] | None = None
    variants: list[str] | None = None
    pairs: list[str] | None = None  # translation: SOURCE-TARGET
    direction: str | None = None  # translation: both, to-en, from-en
    limit: int | None = None
    source: SourceChoice = "auto"
    data_dir: Path | None = None
    hub_dir: Path | None = None
    alt_data: dict[str, Path] = field(default_factory=dict)
    task_options: dict[str, str] = field(default_factory=dict)  # -T: a user task's mapping
    data_file: Path | None = None  # a user task's data file
    tasks_dirs: list[Path] = field(default_factory=list)
    prompt_format: PromptFormat = "chat"
    output: Path | None = None
    results_dir: Path = Path("results")
    cache_path: Path | None = None
    seed: int = 1234
    similarity: str = "tfidf"  # exemplar selection: tfidf, or a sentence-transformers model folder


@dataclass
class Outcome:
    run_dir: Path
    counts: Counts
    scores: list[dict[str, Any]]

    @property
    def failed(self) -> int:
        return self.counts.failed


def run_evaluation(options: RunOptions, console: Console | None = None) -> Outcome:
    console = console or Console(stderr=True)
    started = datetime.now(UTC)
    selection = Selection(
        tasks=options.tasks,
        languages=resolve_languages(options.languages) if options.languages else None,
        variants=options.variants,
        pairs=options.pairs,
        direction=options.direction,
        limit=options.limit,
        source=options.source,
        data_dir=options.data_dir,
        hub_dir=options.hub_dir,
        prompt_format=options.prompt_format,
        seed=options.seed,
        generation=options.generation,
        system_prompt=options.system_prompt,
        alt_data=options.alt_data,
        task_options=options.task_options,
        data_file=options.data_file,
        similarity=options.similarity,
    )
    planning = time.perf_counter()
    plan = build_plan(TaskRegistry(options.tasks_dirs), selection)
    planning = time.perf_counter() - planning
    # after planning, so that a mistake in the tasks never waits for a model to load
    backend_options = replace(options.backend, seed=options.seed)
    backend = create_backend(options.model, backend_options)
    for task_plan in plan.tasks:
        _print_notes(task_plan, console)
    cache = ResponseCache(options.cache_path or default_cache_path())
    try:
        execution = asyncio.run(_generate(plan, backend, cache, console))
    finally:
        cache.close()
    execution.timings = {"plan_s": planning, **execution.timings}
    scores = _score(plan, execution)
    gaps = paired_gaps(execution.results, plan.comparisons())
    run_dir = options.output or new_run_dir(options.results_dir, options.model, started)
    model = {"name": options.model, **backend.identity(), **_public(backend_options)}
    manifest = build_manifest(run_dir.name, selection, plan, execution, model, started, argv())
    write_run(run_dir, plan, execution, scores, gaps, manifest)
    primary = dict.fromkeys(t.task.spec.metrics[0] for t in plan.tasks if t.task.spec.metrics)
    for metric in primary or ["accuracy"]:
        Console().print(score_table(scores, metric))
        for table in gap_tables(gaps, metric):
            Console().print(table)
    if names := breakdowns(scores):
        console.print(f"breakdowns: {', '.join(names)} (evaluate show RUN --by {names[0]})")
    c = execution.counts
    console.print(
        f"run folder: {run_dir}  requests: {c.requests} (sent {c.sent}, "
        f"from cache {c.from_cache}, failed {c.failed})"
    )
    if c.failed:
        console.print(f"[red]{c.failed} requests failed[/]; rerun the same command to retry them")
    return Outcome(run_dir, c, scores)


def _score(plan: Plan, execution: Execution) -> list[dict[str, Any]]:
    """Per-sample metrics averaged, and the corpus metrics of translation tasks (which also
    add each sample's sentence chrF++ to its record)."""
    started = time.perf_counter()
    corpus_metrics = {
        t.task.name: t.task.spec.metrics for t in plan.tasks if t.task.spec.translation
    }
    execution.results, corpus = score_corpora(execution.results, plan.samples, corpus_metrics)
    scores = aggregate(execution.results, plan.samples) + corpus
    execution.timings["score_s"] = execution.timings.get("score_s", 0.0) + (
        time.perf_counter() - started
    )
    return scores


async def _generate(
    plan: Plan, backend: Backend, cache: ResponseCache, console: Console
) -> Execution:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        job = bar.add_task("answering", total=len(plan.requests))

        def advance(n: int) -> None:
            bar.advance(job, n)

        try:
            execution = await execute(plan, backend, cache, advance)
            back = second_leg(plan, execution.results)
            if back is not None:  # round trips: translate the first legs' outputs back
                total = len(plan.requests) + len(back.requests)
                bar.update(job, total=total, description="round trips")
                execution = combine(execution, await execute(back, backend, cache, advance))
            return execution
        finally:
            await backend.aclose()


def _print_notes(task_plan: TaskPlan, console: Console) -> None:
    for note in task_plan.notes:
        console.print(f"[yellow]note:[/] {note}")
    for language, reasons in task_plan.skipped.items():
        for reason, count in reasons.items():
            console.print(
                f"[yellow]note:[/] {task_plan.task.name}/{language}: skipped {count} rows: {reason}"
            )
    fallback = task_plan.english_fallback()
    if fallback:
        console.print(
            f"[yellow]note:[/] {task_plan.task.name}: {len(fallback)} languages have no row in "
            "prompts/literals.yaml; their prompts use the English words"
        )


def _public(options: BackendOptions) -> dict[str, Any]:
    """Backend options for the manifest, without anything that looks like a secret."""
    public = asdict(options)
    public["args"] = {
        k: ("***" if any(w in k.lower() for w in SECRET_WORDS) else v)
        for k, v in options.args.items()
    }
    return public
