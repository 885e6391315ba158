"""One `evaluate run`, end to end: plan, generate (with progress), score, write, report.

What only a run uses (planning, the backends, the response cache, generation) is imported by
`run_evaluation`: `evaluate score` (`rescore`) scores a run folder again without them. What
only scoring, summaries and the report use (numpy, the language tables) is imported where they
are: a run's first request does not wait for them; the run imports them in a thread once its
last requests are out (`_Preload`), while its event loop waits for their answers."""

from __future__ import annotations

import contextlib
import importlib
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from harness import garbage
from harness.backends.secrets import masked, public_url
from harness.detectors import check_detector
from harness.errors import PolyevalError
from harness.live_scoring import Planned, live_scoring
from harness.manifest import (
    argv,
    build_manifest,
    describe_code,
    harness_info,
    langid_info,
    model_record,
    new_run_dir,
    now,
    tasks_info,
)
from harness.progress import bars, stages
from harness.record import (
    Claim,
    Counts,
    Manifest,
    RunContents,
    RunFolderError,
    SampleRecord,
    ScoreRecord,
    Scoring,
    claim,
    open_run,
)
from harness.requests_report import failure_lines, generation_line, rescore_line, retry_lines
from harness.wording import counted

if TYPE_CHECKING:
    from harness.backends import Backend
    from harness.backends.options import BackendOptions
    from harness.config import RunConfig
    from harness.generation.cache import ResponseCache
    from harness.generation.predictions import PredictionsBackend
    from harness.generation.runner import Counts as RunCounts
    from harness.generation.runner import Finished, Stopped
    from harness.planner import Plan, TaskPlan
    from harness.scorer import Ahead


@dataclass
class Outcome:
    run_dir: Path
    counts: Counts
    scores: list[ScoreRecord]

    @property
    def failed(self) -> int:
        return self.counts.failed


def _check_cache_outside(cache_path: Path, run_dir: Path) -> None:
    """The cache may not live in the run folder, which the finished run replaces whole."""
    if cache_path.resolve().is_relative_to(run_dir.resolve()):
        raise PolyevalError(
            "the response cache is inside the run folder, which the finished run replaces: "
            "give --cache a file outside it",
            where=str(cache_path),
        )


def run_evaluation(options: RunConfig, console: Console | None = None) -> Outcome:
    from harness.planner import build_plan
    from harness.registry import TaskRegistry

    console = console or Console(stderr=True)
    started = datetime.now(UTC)
    describe_code()  # the code that runs, recorded in the manifest: git looks meanwhile
    options = secrets_apart(options)
    planning = time.perf_counter()
    with garbage.settling() as settled:
        plan = build_plan(TaskRegistry(options.tasks_dirs), options)
        settled()  # the plan lives as long as the run: out of the collector's passes
        planning = time.perf_counter() - planning
        return _run(options, plan, planning, started, console)


def _run(
    options: RunConfig, plan: Plan, planning: float, started: datetime, console: Console
) -> Outcome:
    import asyncio

    from harness.backends import create_backend
    from harness.generation.cache import ResponseCache, default_cache_path

    run_dir = options.output or new_run_dir(options.results_dir, options.model, started)
    predicted = None
    if options.predictions is not None:  # the plan cut to the samples the file answers
        plan, predicted = _answers_from(options.predictions, plan, console)
    else:
        _check_cache_outside(options.cache_path or default_cache_path(), run_dir)
    # answers are scored as they arrive, by a worker forked now (with the plan, whose records
    # it makes too), before any backend exists; the folder is claimed before any model is
    # asked: a second run given the same --output, or a folder that is not a run, is an error
    # at once, not after the answers are paid for
    planned = Planned(tasks_info(plan), options.langid, plan.requests, plan.samples)
    with live_scoring(planned) as live, claim(run_dir, overwrite=options.overwrite) as claimed:
        # after planning, so that a mistake in the tasks never waits for a model to load
        backend_options = replace(options.backend, seed=options.seed)
        backend: Backend
        if predicted is not None:
            backend = predicted
            cache_path = Path(":memory:")  # answers given, not generated: nothing to cache
        else:
            backend = create_backend(options.model, backend_options)
            cache_path = options.cache_path or default_cache_path()
        for task_plan in plan.tasks:
            _print_notes(task_plan, console)
        cache = ResponseCache(
            cache_path, note=lambda text: console.print(f"[yellow]note:[/] {escape(text)}")
        )
        try:
            label = "answering" if options.predictions is None else "reading answers"
            generated = asyncio.run(
                _generate(
                    plan, backend, cache, console, label, live.add, backend_options.concurrency
                )
            )
        finally:
            cache.close()
        notes = backend_notes(backend)
        for note in notes:
            console.print(f"[yellow]note:[/] {note}")
        # a backend's identity may name the model itself (llama-server: by its file name)
        identity = masked(backend.identity())
        model = model_record(options.model, identity, _public(backend_options), backend)
        if notes:
            model["notes"] = notes
        timings = {"plan_s": planning, **generated.timings}
        manifest = build_manifest(
            run_dir.name, options, plan, generated.counts, timings, model, started
        ).model_copy(update={"replay": options.replay()})
        try:
            contents = score_and_write(claimed, manifest, generated.records, console, live)
        except RunFolderError as exc:
            raise (generated.stopped.unwritten(exc) if generated.stopped else exc) from None
    failed = contents.manifest.counts.failed
    _report(
        contents, run_dir, console, generation_line(generated.counts, failed, options.predictions)
    )
    if options.predictions is None:
        for line in retry_lines(contents.samples):
            console.print(f"[red]{escape(line)}[/]")
    if generated.stopped is not None:  # the cache failed: the answers received are written
        raise generated.stopped.after_write(run_dir)
    return Outcome(run_dir, contents.manifest.counts, list(contents.scores))


def score_and_write(
    claimed: Claim,
    manifest: Manifest,
    samples: list[SampleRecord],
    console: Console | None = None,
    ahead: Ahead | None = None,
) -> RunContents:
    """Score the recorded answers (those not scored `ahead` as they arrived) and summarize
    them (with progress bars where a `console` is given), then write the run folder whole."""
    from harness.analysis.summary import summarize
    from harness.scorer import score_run

    started = time.perf_counter()
    with stages(console) as stage:
        scored = score_run(manifest, samples, stage, ahead)
        score_s = round(time.perf_counter() - started, 3)
        summarized = stage("summary", 1)
        summary = summarize(scored.samples, scored.scores)
        summarized(1)
    failed = sum(1 for sample in scored.samples if not sample.ok)
    manifest = manifest.model_copy(
        update={
            "status": "complete" if failed == 0 else "incomplete",
            "counts": manifest.counts.model_copy(update={"failed": failed}),
            "timings_s": {**manifest.timings_s, "score_s": score_s},
        }
    )
    contents = RunContents(
        manifest, scored.samples, scored.scores, scored.gaps, summary, scored.lines
    )
    claimed.write(contents)
    return contents


def rescore(
    run_dir: Path,
    console: Console | None = None,
    langid: str | None = None,
    output: Path | None = None,
) -> Outcome:
    """Score a finished run again from its own folder (after a parser, metric or
    language-ID fix, or with another language identifier), asking no model and reading no
    data: the recorded answers, scored by the recorded tasks' parsers and metrics, judged by
    the recorded language identifier unless `langid` names another.

    Into `output` (a new run folder) where given, else in place. Either way the record of
    the generation is kept as it was (command, times, counts, each sample's answers, usage and
    latency) and the manifest lists this scoring under `scorings`."""
    console = console or Console(stderr=True)
    folder = open_run(run_dir)
    if not folder.rescorable:
        raise PolyevalError(
            f"this run was written in run format {folder.manifest.format}, before a sample's "
            "record held all that scoring needs; run it again to score it",
            where=str(run_dir),
        )
    detector = langid or folder.manifest.langid.detector
    check_detector(detector)
    target = output or run_dir
    with claim(target, overwrite=output is None) as claimed:
        manifest = folder.manifest.model_copy(
            update={
                "run_id": target.name,
                "langid": langid_info(detector),
                "scorings": [
                    *folder.manifest.scorings,
                    Scoring(
                        command=argv(),
                        scored=now(),
                        harness=harness_info(),
                        langid=detector,
                        scored_from=str(run_dir),
                    ),
                ],
            }
        )
        contents = score_and_write(claimed, manifest, list(folder.samples()), console)
    failed = contents.manifest.counts.failed
    _report(contents, target, console, rescore_line(len(contents.samples), failed))
    return Outcome(target, contents.manifest.counts, list(contents.scores))


def _answers_from(path: Path, plan: Plan, console: Console) -> tuple[Plan, PredictionsBackend]:
    """The plan cut to the samples the predictions file answers, and a backend that answers
    from it; the samples without an answer are reported, not scored."""
    from harness.generation.predictions import PredictionsBackend, match, read_predictions

    if any(t.task.variant(v).round_trip for t in plan.tasks for v in t.variants):
        raise PolyevalError("round-trip variants need a model: their second leg is generated")
    formats = {t.task.name: f for t in plan.tasks if (f := t.task.spec.predictions) is not None}
    found = match(plan.requests, read_predictions(path, formats))
    kept = [r for r in plan.requests if r.key in found]
    if missing := len(plan.requests) - len(kept):
        console.print(
            f"[yellow]note:[/] {missing} of {counted(len(plan.requests), 'sample')} have no "
            f"answer in {path}: left out, not scored"
        )
    return replace(plan, requests=kept), PredictionsBackend(path, found)


def _report(contents: RunContents, run_dir: Path, console: Console, requests: str) -> None:
    """The score tables (on standard output, fitted to its width), then on `console` the run
    folder, what the requests came to, and the failed ones with their cause."""
    from harness.analysis.fit import print_fitted
    from harness.analysis.report import (
        breakdowns,
        gap_tables,
        lcb_table,
        score_table,
        unjudged_cells,
    )

    manifest, scores = contents.manifest, list(contents.scores)
    out = Console()
    for metric in manifest.primary_metrics() or ["accuracy"]:
        print_fitted(out, score_table(scores, metric))
        for grid in gap_tables(list(contents.gaps), metric):
            print_fitted(out, grid)
    if any(r.metric == "consistency" for r in scores) or unjudged_cells(scores):
        print_fitted(out, score_table(scores, "consistency"))
    if scored := [
        f"{name}/{variant}"
        for name, task in manifest.tasks.items()
        for variant, info in task.variants.items()
        if info.loglikelihood is not None
    ]:
        console.print(
            f"consistency: not applicable to {', '.join(scored)}: a log-likelihood answer is "
            "one of the continuations given, not text the model wrote"
        )
    if (confusion := lcb_table(list(contents.summary))) is not None:
        print_fitted(out, confusion)
    if names := breakdowns(scores):
        console.print(f"breakdowns: {', '.join(names)} (evaluate show RUN --by {names[0]})")
    console.print(f"run folder: {escape(str(run_dir))}")
    console.print(escape(requests))
    for line in failure_lines(contents.samples):
        console.print(f"[red]{escape(line)}[/]" if not line.startswith(" ") else escape(line))


@dataclass
class Generated:
    """What generation gave: each sample's record (not yet scored), counts and timings."""

    records: list[SampleRecord]
    counts: RunCounts
    timings: dict[str, float]
    stopped: Stopped | None = None  # the cache could not store an answer: the run stopped

    def __repr__(self) -> str:
        from harness.generation.runner import short_repr

        return short_repr(self, self.records, self.counts)


async def _generate(
    plan: Plan,
    backend: Backend,
    cache: ResponseCache,
    console: Console,
    label: str,
    finished: Finished,
    concurrency: int,
) -> Generated:
    """The plan's requests answered, with a progress bar labelled `label` on `console`;
    `finished` is given each sample's record as soon as it is final. Once the last requests
    are out (no more than `concurrency` left unanswered), scoring's modules are imported in a
    thread, while the event loop waits for their answers."""
    from harness.generation.runner import generate

    preload = _Preload(SCORING_MODULES)
    last = plan.asked - concurrency  # once this many are answered, the last requests are out
    with bars(console) as shown:
        advance = shown.stage(label, plan.asked)
        done = 0

        def answered(n: int) -> None:
            nonlocal done
            done += n
            if done >= last:
                preload.start()
            advance(n)

        def more(legs: int) -> None:  # round trips: their way back is asked next
            shown.relabel(f"{label} + {counted(legs, 'round-trip return')}", plan.asked + legs)

        try:
            made = await generate(plan, backend, cache, answered, more, finished)
            return Generated(made.records, made.counts, made.timings, made.stopped)
        finally:
            await backend.aclose()
            preload.join()


SCORING_MODULES = (
    "harness.scorer",
    "harness.consistency",
    "harness.analysis.summary",
    "harness.analysis.report",
    "harness.analysis.fit",
    "numpy.random",
    "numpy.ma",
)
"""What scoring the run, summarizing it and its report import (numpy, the language tables),
and what numpy loads only when first used (the bootstrap's generator, np.quantile's masked
arrays)."""


class _Preload:
    """`modules` imported in a thread of their own, started once by `start` and joined by
    `join`. A run starts it when its last requests are out: its event loop then only waits
    for their answers (earlier, the thread would hold up the requests the answers let go out,
    and with them every later wave), and the modules are loaded by the time the answers are
    in. Joined before the run scores: a fork finds no other thread. An import that fails is
    left to fail where the module is used, with its own error."""

    def __init__(self, modules: Sequence[str]) -> None:
        self._thread = threading.Thread(target=_import_all, args=(modules,), daemon=True)
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def join(self) -> None:
        if self._started:
            self._thread.join()


def _import_all(modules: Sequence[str]) -> None:
    for name in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def _print_notes(task_plan: TaskPlan, console: Console) -> None:
    for note in task_plan.notes:
        console.print(f"[yellow]note:[/] {note}")
    for language, reasons in task_plan.skipped.items():
        for reason, count in reasons.items():
            console.print(
                f"[yellow]note:[/] {task_plan.task.name}/{language}: skipped "
                f"{counted(count, 'row')}: {reason}"
            )
    fallback = task_plan.english_fallback()
    if fallback:
        console.print(
            f"[yellow]note:[/] {task_plan.task.name}: {counted(len(fallback), 'language')} "
            f"{'has' if len(fallback) == 1 else 'have'} no row in prompts/literals.yaml; "
            f"{'its' if len(fallback) == 1 else 'their'} prompts use the English words"
        )


def secrets_apart(options: RunConfig) -> RunConfig:
    """The options with the secrets of the generation settings (harness.backends.secrets)
    masked, and given whole to the backend alone: what is planned, cached and recorded never
    holds them."""
    public = masked(options.generation)
    if public == options.generation:
        return options
    backend = replace(options.backend, secret_generation=dict(options.generation))
    return options.model_copy(update={"generation": public, "backend": backend})


def backend_notes(backend: Backend) -> list[str]:
    """What a backend noted about the replies (replies cut at the reply cap, usages ignored)."""
    notes = getattr(backend, "notes", None)
    return [str(note) for note in notes()] if callable(notes) else []


def _public(options: BackendOptions) -> dict[str, Any]:
    """Backend options for the manifest, without anything that looks like a secret, nor the
    cache's path (a path of this machine; the run's cache is not part of what it ran)."""
    public = asdict(options)
    del public["secret_generation"], public["cache_path"]
    public["args"] = masked(options.args)
    public["base_urls"] = [public_url(url) for url in options.base_urls]
    return public
