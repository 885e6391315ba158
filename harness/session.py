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
from harness.errors import PolyevalError
from harness.gaps import paired_gaps
from harness.planner import Plan, Selection, TaskPlan, build_plan, resolve_languages
from harness.predictions import PredictionsBackend, match, read_predictions
from harness.prompting import PromptFormat
from harness.registry import TaskRegistry
from harness.report import breakdowns, gap_tables, lcb_table, score_table
from harness.results import SAMPLES, argv, build_manifest, new_run_dir, read_manifest, write_run
from harness.runner import Counts, Execution, execute
from harness.scoring import aggregate
from harness.summary import write_summary
from harness.translation.round_trip import combine, second_leg
from harness.translation.scoring import score_corpora

SECRET_WORDS = ("key", "token", "secret", "password")
REFRESH_S = 0.1  # the progress bar's refresh interval


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
    predictions: Path | None = None  # answers produced elsewhere (JSONL/CSV): no model is asked
    model_record: dict[str, Any] | None = None  # the manifest's model, when re-scoring a run
    similarity: str = "tfidf"  # exemplar selection: tfidf, or a sentence-transformers model folder
    langid: str = "default"  # the language identifier of answers: default or lid176


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
    selection = _selection(options)
    planning = time.perf_counter()
    plan = build_plan(TaskRegistry(options.tasks_dirs), selection)
    planning = time.perf_counter() - planning
    # after planning, so that a mistake in the tasks never waits for a model to load
    backend_options = replace(options.backend, seed=options.seed)
    backend: Backend
    if options.predictions is not None:
        plan, backend = _answers_from(options.predictions, plan, console)
        cache_path = Path(":memory:")  # answers given, not generated: nothing worth caching
    else:
        backend = create_backend(options.model, backend_options)
        cache_path = options.cache_path or default_cache_path()
    for task_plan in plan.tasks:
        _print_notes(task_plan, console)
    cache = ResponseCache(cache_path)
    try:
        execution = asyncio.run(_generate(plan, backend, cache, console))
    finally:
        cache.close()
    execution.timings = {"plan_s": planning, **execution.timings}
    scores = _score(plan, execution)
    gaps = paired_gaps(execution.results, plan.comparisons())
    run_dir = options.output or new_run_dir(options.results_dir, options.model, started)
    model = options.model_record or {
        "name": options.model,
        **backend.identity(),
        **_public(backend_options),
    }
    manifest = build_manifest(run_dir.name, selection, plan, execution, model, started, argv())
    manifest["replay"] = replay_record(options)
    records = write_run(run_dir, plan, execution, scores, gaps, manifest)
    summary = write_summary(run_dir, records, scores)  # macro averages, gaps: summary.json
    _report(plan, scores, gaps, summary, execution, run_dir, console)
    return Outcome(run_dir, execution.counts, scores)


def rescore(run_dir: Path, console: Console | None = None, langid: str | None = None) -> Outcome:
    """Score a finished run again from its samples.jsonl (after a parser, metric or
    language-ID fix), asking no model: the same tasks, data and prompts, the recorded answers,
    judged by the recorded language identifier unless `langid` names another.
    The run's files are replaced; its model stays as recorded."""
    manifest = read_manifest(run_dir)
    if "replay" not in manifest:
        raise PolyevalError(
            "this run was written before runs recorded how to replay them; run it again",
            where=str(run_dir),
        )
    replay = manifest["replay"] | ({"langid": langid} if langid else {})
    options = RunOptions(
        model=manifest["model"]["name"],
        predictions=run_dir / SAMPLES,
        output=run_dir,
        model_record={**manifest["model"], "rescored_from": SAMPLES},
        **{k: _path_fields(k, v) for k, v in replay.items()},
    )
    return run_evaluation(options, console)


REPLAYED = (
    "tasks", "languages", "variants", "pairs", "direction", "limit", "source", "data_dir",
    "hub_dir", "alt_data", "task_options", "data_file", "tasks_dirs", "prompt_format", "seed",
    "generation", "system_prompt", "similarity", "langid",
)  # fmt: skip


def replay_record(options: RunOptions) -> dict[str, Any]:
    """What `evaluate score` needs to rebuild the run's plan: the selection, paths as text."""
    record = {}
    for name in REPLAYED:
        value = getattr(options, name)
        if isinstance(value, Path):
            value = str(value)
        elif isinstance(value, list) and value and isinstance(value[0], Path):
            value = [str(v) for v in value]
        elif isinstance(value, dict) and any(isinstance(v, Path) for v in value.values()):
            value = {k: str(v) for k, v in value.items()}
        record[name] = value
    return record


def _path_fields(name: str, value: Any) -> Any:
    if name in ("data_dir", "hub_dir", "data_file") and value is not None:
        return Path(value)
    if name == "tasks_dirs":
        return [Path(v) for v in value]
    if name == "alt_data":
        return {k: Path(v) for k, v in value.items()}
    return value


def _selection(options: RunOptions) -> Selection:
    return Selection(
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
        langid=options.langid,
    )


def _answers_from(path: Path, plan: Plan, console: Console) -> tuple[Plan, PredictionsBackend]:
    """The plan cut to the samples the predictions file answers, and a backend that answers
    from it; the samples without an answer are reported, not scored."""
    if any(t.task.variant(v).round_trip for t in plan.tasks for v in t.variants):
        raise PolyevalError("round-trip variants need a model: their second leg is generated")
    formats = {t.task.name: f for t in plan.tasks if (f := t.task.spec.predictions) is not None}
    found = match(plan.requests, read_predictions(path, formats))
    kept = [r for r in plan.requests if r.key in found]
    if missing := len(plan.requests) - len(kept):
        console.print(
            f"[yellow]note:[/] {missing} of {len(plan.requests)} samples have no answer in "
            f"{path}: left out, not scored"
        )
    return replace(plan, requests=kept), PredictionsBackend(path, found)


def _report(
    plan: Plan,
    scores: list[dict[str, Any]],
    gaps: list[dict[str, Any]],
    summary: list[dict[str, Any]],
    execution: Execution,
    run_dir: Path,
    console: Console,
) -> None:
    primary = dict.fromkeys(t.task.spec.metrics[0] for t in plan.tasks if t.task.spec.metrics)
    for metric in primary or ["accuracy"]:
        Console().print(score_table(scores, metric))
        for table in gap_tables(gaps, metric):
            Console().print(table)
    if any(r["metric"] == "consistency" for r in scores):
        Console().print(score_table(scores, "consistency"))
    if (confusion := lcb_table(summary)) is not None:
        Console().print(confusion)
    if names := breakdowns(scores):
        console.print(f"breakdowns: {', '.join(names)} (evaluate show RUN --by {names[0]})")
    c = execution.counts
    console.print(
        f"run folder: {run_dir}  requests: {c.requests} (sent {c.sent}, "
        f"from cache {c.from_cache}, failed {c.failed})"
    )
    if c.failed:
        console.print(f"[red]{c.failed} requests failed[/]; rerun the same command to retry them")


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
    # refreshed here, not by rich's refresh thread: with no other thread running, the answers
    # of a predictions file or a re-scored run are scored in forked workers (harness.parallel)
    with Progress(*columns, console=console, transient=False, auto_refresh=False) as bar:
        job = bar.add_task("answering", total=len(plan.requests))
        shown = [0.0]

        def advance(n: int) -> None:
            bar.advance(job, n)
            if (now := time.monotonic()) - shown[0] >= REFRESH_S:
                shown[0] = now
                bar.refresh()

        try:
            execution = await execute(plan, backend, cache, advance)
            back = second_leg(plan, execution.results)
            if back is not None:  # round trips: translate the first legs' outputs back
                total = len(plan.requests) + len(back.requests)
                bar.update(job, total=total, description="round trips")
                second = await execute(back, backend, cache, advance)
                execution = combine(execution, second, plan.detector)
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
