"""The `evaluate` command line. Heavy modules are imported inside the commands, so that
`evaluate --help` answers at once."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from harness import garbage
from harness.detectors import DETECTORS
from harness.errors import PolyevalError

if TYPE_CHECKING:
    from harness.record import Manifest, ScoreRecord

EXIT_USER_ERROR = 2
EXIT_INCOMPLETE = 3
# harness.backends.options' defaults (why they are what they are is told there), written out so
# that commands which ask no model import nothing of the backends
DEFAULT_TIMEOUT_S = 600.0
DEFAULT_MAX_ATTEMPTS = 6
FOLDER = click.Path(file_okay=False, path_type=Path)
KIND_CHOICES = ("multiple_choice", "short_answer", "extractive_qa", "translation")
"""The kinds `new-task` scaffolds: harness.authoring.scaffold.KINDS, without importing it here."""
FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),  # table, or harness.analysis.formats
    default="table",
    show_default=True,
    help="table: for reading, fitted to the terminal's width; json or csv: every row shown, "
    "untruncated, on standard output for scripts.",
)
LANGID_HELP = (
    "The language identifier of answers (consistency, LCB line/word pass): default = script "
    "check, letter rules and py3langid; lid176 = fastText lid.176 (lite model), the Language "
    "Confusion Benchmark's protocol (score above 0.3, jieba/MeCab tokens)."
)


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler ending a job, `kill`), taken as Ctrl-C is: what was received stays
    in the cache and the servers this process started are stopped (by default SIGTERM ends
    Python at once, leaving a managed model server running)."""


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises Terminated in this process while the command runs (a forked worker,
    which inherits the handler, ends as it would have)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread
        return
    owner = os.getpid()

    def terminate(signum: int, frame: Any) -> None:
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            with _sigterm_as_interrupt():
                return super().invoke(ctx)
        except PolyevalError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt as exc:
            signum = signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT
            why = "terminated" if signum == signal.SIGTERM else "interrupted"
            click.echo(
                f"{why}: answers received so far are in the cache; rerun to resume", err=True
            )
            sys.exit(128 + signum)


def _csv(options: dict[str, Any], name: str) -> list[str] | None:
    """A comma-separated option's items (removed from `options`), None where it was not given;
    given but naming nothing (`--tasks ''`) is an error, not a run of nothing or of all."""
    value = options.pop(name)
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise PolyevalError(f"--{name} names nothing (give comma-separated names)")
    return items


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise PolyevalError(f"{option} takes KEY=VALUE, not {item!r}")
        pairs[key.strip()] = value.strip()
    return pairs


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="polyeval")
def main() -> None:
    """polyeval: evaluate language models on multilingual benchmarks."""
    garbage.tune()


@main.command()
@click.option(
    "--model",
    help="KIND:NAME: baseline:random, openai:MODEL, vllm:MODEL, vllm-server:MODEL, "
    "llama-server:FILE.gguf. With --predictions: a name "
    "for the model that produced them.",
)
@click.option(
    "--predictions",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Score answers produced elsewhere, asking no model: JSONL (or CSV) rows with "
    "sample_id and output (and task, variant, language where an id is ambiguous).",
)
@click.option(
    "-M",
    "--model-arg",
    "model_args",
    multiple=True,
    metavar="KEY=VALUE",
    help="Backend option (vllm: dtype, tensor_parallel_size, ...; openai: max_reply_chars, "
    "backoff_base, backoff_max); repeatable.",
)
@click.option(
    "--tasks",
    required=True,
    help="Comma-separated task names; a path ending in .yaml/.yml is a user task's file.",
)
@click.option("--languages", help="Comma-separated codes (ben_Beng or bn). Default: all.")
@click.option("--variants", help="Comma-separated prompt variants. Default: each task's own.")
@click.option(
    "--pairs",
    help="Translation: comma-separated language pairs SOURCE-TARGET (eng_Latn-npi_Deva or en-ne). "
    "Default: every language of the task with English, in the task's direction.",
)
@click.option(
    "--direction",
    type=click.Choice(["both", "to-en", "from-en"]),
    help="Translation: into English, out of English, or both (default: the task's own).",
)
@click.option("--limit", type=click.IntRange(min=1), help="First N samples per task and language.")
@click.option(
    "--source",
    type=click.Choice(["auto", "local", "hub", "sample"]),
    default="auto",
    show_default=True,
    help="Data source; auto = --data-dir copy, else the hub, else the shipped sample.",
)
@click.option(
    "--data-dir", type=FOLDER, help="Local copies in the upstream layout, one folder per benchmark."
)
@click.option("--hub-dir", type=FOLDER, help="Local clones of hub dataset repos: DIR/<org>/<name>.")
@click.option(
    "--alt-data",
    "alt_data",
    multiple=True,
    metavar="[TASK:]NAME=PATH",
    help="A second source for the variants that read NAME (e.g. xnli's translate_test reads "
    "mt: a machine-translated copy in the task's local layout); repeatable.",
)
@click.option(
    "-T",
    "--task-option",
    "task_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Defines a user task (--tasks mcq or short_answer) or overrides a task YAML's setting: "
    "question=COL, passage=COL, choices=A,B,C,D, answer=COL, id=COL, "
    "form=letter|index1|index0|text|number, language=CODE, name=NAME, format=csv|tsv|jsonl|json; "
    "repeatable.",
)
@click.option(
    "--data-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The data file of a user task (--tasks mcq or short_answer with -T options).",
)
@click.option(
    "--tasks-dir",
    "tasks_dirs",
    multiple=True,
    type=FOLDER,
    help="Extra folder of task plugins; repeatable.",
)
@click.option(
    "--prompt-format", type=click.Choice(["chat", "completion"]), default="chat", show_default=True
)
@click.option("--system-prompt", help="Replaces the templates' system instruction.")
@click.option(
    "--output",
    type=FOLDER,
    help="Run folder: a new or empty folder. Default: a new folder under --results-dir.",
)
@click.option(
    "--overwrite", is_flag=True, help="Replace the run that --output holds (never other files)."
)
@click.option("--results-dir", type=FOLDER, default=Path("results"), show_default=True)
@click.option(
    "--cache",
    "cache_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Response cache (SQLite). Default: ~/.cache/polyeval/responses.sqlite.",
)
@click.option("--seed", type=int, default=1234, show_default=True)
@click.option(
    "--similarity",
    default="tfidf",
    show_default=True,
    metavar="tfidf|PATH",
    help="How variants that choose few-shot exemplars per question (`select`) rank them: "
    "character n-gram TF-IDF, or a local sentence-transformers model folder.",
)
@click.option(
    "--langid",
    type=click.Choice(DETECTORS),
    default="default",
    show_default=True,
    help=LANGID_HELP,
)
@click.option(
    "--base-url",
    "base_urls",
    multiple=True,
    help="OpenAI-compatible endpoint; repeat for replicas of the same model.",
)
@click.option(
    "--api-key-env",
    default="OPENAI_API_KEY",
    show_default=True,
    help="Name of the environment variable that holds the API key.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=32,
    show_default=True,
    help="Requests in flight at once, across all tasks and languages.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0.001),
    default=DEFAULT_TIMEOUT_S,
    show_default=True,
    help="Seconds one attempt of a request may take, whole: connecting, waiting, reading the "
    "reply. An attempt past it is abandoned (its connection closed) and tried once more at most.",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_ATTEMPTS,
    show_default=True,
    help="Attempts per request for faults worth another try (429, 5xx, dropped connections); "
    "client errors (400, 401, 403, 404, 413, 422) are not tried again.",
)
@click.option("--rpm", type=click.FloatRange(min=0.001), help="Requests per minute at most.")
@click.option("--tpm", type=click.FloatRange(min=1), help="Tokens per minute at most.")
@click.option("--temperature", type=float, help="Overrides the tasks' own.")
@click.option("--top-p", type=float)
@click.option("--max-tokens", type=click.IntRange(min=1))
@click.option("--stop", multiple=True, help="Stop string; repeatable.")
@click.option("--n", "n", type=click.IntRange(min=1), help="Completions per prompt.")
@click.option("--extra-body", help="JSON object passed through to the API request body.")
def run(**options: Any) -> None:
    """Evaluate a model on tasks and write a run folder."""
    from harness.backends.options import BackendOptions
    from harness.config import RunConfig
    from harness.session import run_evaluation

    if options["base_urls"]:  # checked before anything is planned or asked
        from harness.backends.urls import check_base_urls

        check_base_urls(options["base_urls"])
    backend = BackendOptions(
        args=_pairs(options.pop("model_args"), "--model-arg"),
        base_urls=tuple(options.pop("base_urls")),
        api_key_env=options.pop("api_key_env"),
        concurrency=options.pop("concurrency"),
        timeout_s=options.pop("timeout_s"),
        max_attempts=options.pop("max_attempts"),
        requests_per_minute=options.pop("rpm"),
        tokens_per_minute=options.pop("tpm"),
        cache_path=options["cache_path"],
    )
    generation = _generation(options)
    if options["model"] is None:
        if options["predictions"] is None:
            raise PolyevalError("--model is required (or --predictions FILE)")
        options["model"] = f"predictions:{options['predictions'].stem}"
    outcome = run_evaluation(
        RunConfig.given(
            backend=backend,
            generation=generation,
            tasks=_csv(options, "tasks") or [],
            languages=_csv(options, "languages"),
            variants=_csv(options, "variants"),
            pairs=_csv(options, "pairs"),
            tasks_dirs=list(options.pop("tasks_dirs")),
            alt_data={k: Path(v) for k, v in _pairs(options.pop("alt_data"), "--alt-data").items()},
            task_options=_pairs(options.pop("task_options"), "-T/--task-option"),
            **options,
        )
    )
    if outcome.failed:
        sys.exit(EXIT_INCOMPLETE)


GENERATION_FLAGS = ("temperature", "top_p", "max_tokens", "n")


def _generation(options: dict[str, Any]) -> dict[str, Any]:
    """Generation parameters given on the command line (removed from `options`)."""
    generation = {k: v for k in GENERATION_FLAGS if (v := options.pop(k)) is not None}
    if stop := options.pop("stop"):
        generation["stop"] = list(stop)
    if extra := options.pop("extra_body"):
        try:
            body = json.loads(extra)
        except json.JSONDecodeError as exc:
            raise PolyevalError(f"--extra-body is not JSON: {exc.msg}") from None
        if not isinstance(body, dict):
            raise PolyevalError("--extra-body must be a JSON object")
        generation["extra_body"] = body
    return generation


@main.command()
@click.option("--tasks-dir", "tasks_dirs", multiple=True, type=FOLDER)
def tasks(tasks_dirs: tuple[Path, ...]) -> None:
    """List the tasks: name, kind, languages, variants."""
    from rich.console import Console
    from rich.table import Table

    from harness.registry import TaskRegistry

    registry = TaskRegistry(list(tasks_dirs))
    table = Table("task", "kind", "languages", "variants (* default)", "version", show_lines=True)
    for name in registry.names():
        spec = registry.get(name).spec
        defaults = spec.chosen_default_variants()
        variants = [v + ("*" if v in defaults else "") for v in spec.variants]
        languages = f"({len(spec.languages)}) " + ", ".join(spec.languages)
        table.add_row(name, spec.kind, languages, ", ".join(variants), spec.version)
    console = Console(width=max(Console().width, 160))
    console.print(table)
    for suite in sorted(registry.suites()):
        console.print(f"suite {suite}: " + ", ".join(registry.expand([suite])))


@main.command()
@click.argument("run_ref", metavar="RUN")
@click.option(
    "--results-dir",
    type=FOLDER,
    default=Path("results"),
    show_default=True,
)
@click.option("--metric", help="Default: each task's primary metric.")
@click.option("--by", help="Show the scores per value of this breakdown (subject, grade, level).")
@FORMAT_OPTION
def show(run_ref: str, results_dir: Path, metric: str | None, by: str | None, fmt: str) -> None:
    """Print the score table of a finished run (a folder, or a run id under --results-dir):
    one table where it fits the terminal, else one per task."""
    from rich.console import Console

    from harness.analysis.fit import print_fitted
    from harness.analysis.formats import scores_as
    from harness.analysis.report import breakdown_table, gap_tables, lcb_table, score_table
    from harness.record import find_run
    from harness.requests_report import failure_lines

    folder = find_run(run_ref, results_dir)
    scores = folder.scores()
    metrics = _shown_metrics(folder.manifest, scores, metric)
    chosen = _shown_records(scores, metrics, by)
    if fmt != "table":
        click.echo(scores_as(fmt, chosen), nl=False)
        return
    console = Console()
    if by is not None:
        for grid in (breakdown_table(chosen, by, name) for name in metrics):
            if grid.rows:  # a metric without this breakdown (chrF of translations) has none
                print_fitted(console, grid)
        return
    if folder.manifest.status != "complete":
        click.echo(
            f"note: an incomplete run: {folder.manifest.failed} of "
            f"{folder.manifest.counts.requests} requests failed",
            err=True,
        )
        for line in failure_lines(folder.samples())[1:]:
            click.echo(line, err=True)
    for name in metrics:
        print_fitted(console, score_table(scores, name))
        for grid in gap_tables(folder.gaps(), name):
            print_fitted(console, grid)
    if (confusion := lcb_table(folder.summary() or [])) is not None:
        print_fitted(console, confusion)


def _shown_records(
    scores: list[ScoreRecord], metrics: list[str], by: str | None
) -> list[ScoreRecord]:
    """The records `show` shows: the score tables' cells of the metrics, or with `by` their
    values of that breakdown, which some of them must have."""
    from harness.analysis.report import breakdowns, shown_scores

    if by is None:
        return [r for name in metrics for r in shown_scores(scores, name)]
    if by not in (known := breakdowns(scores)):
        raise PolyevalError(
            f"no breakdown '{by}' in this run (it has: {', '.join(known) or 'none'})"
        )
    chosen = [r for name in metrics for r in scores if r.metric == name and r.by == by]
    if not chosen:
        raise PolyevalError(f"no {' or '.join(metrics)} scores by {by} in this run", "--by")
    return chosen


def _shown_metrics(manifest: Manifest, scores: list[ScoreRecord], metric: str | None) -> list[str]:
    """The metric asked for, which the run must have; else each task's primary metric and
    consistency."""
    if metric is not None:
        if metric not in (known := sorted({r.metric for r in scores})):
            raise PolyevalError(
                f"no metric '{metric}' in this run (it has: {', '.join(known) or 'none'})"
            )
        return [metric]
    return [*(manifest.primary_metrics() or ["accuracy"]), "consistency"]


@main.command()
@click.argument("run_ref", metavar="RUN")
@click.option("--results-dir", type=FOLDER, default=Path("results"), show_default=True)
@click.option(
    "--langid",
    type=click.Choice(DETECTORS),
    help=LANGID_HELP + " Default: the one the run was scored with.",
)
@click.option("--output", type=FOLDER, help="Write the new scoring into this new folder.")
def score(run_ref: str, results_dir: Path, langid: str | None, output: Path | None) -> None:
    """Score a finished run again from its own folder, asking no model and reading no data
    (after a parser, metric or language-ID fix, or with another language identifier). In
    place unless --output names a new folder; the record of the generation (command, times,
    answers, usage, latencies) is kept, and the manifest lists the scoring."""
    from harness.record import find_run
    from harness.session import rescore

    outcome = rescore(find_run(run_ref, results_dir).path, langid=langid, output=output)
    if outcome.failed:
        sys.exit(EXIT_INCOMPLETE)


@main.command()
@click.argument("run_a", metavar="RUN_A")
@click.argument("run_b", metavar="RUN_B")
@click.option("--results-dir", type=FOLDER, default=Path("results"), show_default=True)
@click.option("--metric", help="Default: chrf for translations, else the first sample metric.")
@click.option("--resamples", type=click.IntRange(min=100), default=1000, show_default=True)
@click.option("--seed", type=int, default=12345, show_default=True)
@FORMAT_OPTION
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
def compare(
    run_a: str,
    run_b: str,
    results_dir: Path,
    metric: str | None,
    resamples: int,
    seed: int,
    fmt: str,
    as_json: bool,
) -> None:
    """Paired bootstrap between two runs of the same tasks: B - A per task, variant and
    language, over the items both answered, with a 95% interval and a p-value."""
    from rich.console import Console

    from harness.analysis.compare import compare_runs
    from harness.analysis.fit import print_fitted
    from harness.analysis.formats import comparisons_as
    from harness.analysis.report import comparison_table
    from harness.record import find_run

    found = compare_runs(
        find_run(run_a, results_dir).path,
        find_run(run_b, results_dir).path,
        metric,
        resamples,
        seed,
    )
    if as_json or fmt != "table":
        click.echo(comparisons_as("json" if as_json else fmt, found), nl=False)
        return
    print_fitted(Console(), comparison_table(found, run_a, run_b))


@main.command()
@click.argument("runs", metavar="RUN...", nargs=-1, required=True)
@click.option("--format", "fmt", default="csv", show_default=True, metavar="csv|parquet|json")
@click.option(
    "--table",
    "tables",
    multiple=True,
    metavar="scores|summary|gaps|samples",
    help="The table to write; repeatable. Default: all of them.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder for the files, named <table>.<format>.",
)
@click.option("--results-dir", type=FOLDER, default=Path("results"), show_default=True)
def export(
    runs: tuple[str, ...], fmt: str, tables: tuple[str, ...], out: Path, results_dir: Path
) -> None:
    """Write the tables of one or several finished runs (folders, or run ids under
    --results-dir) as CSV, Parquet or JSON records, with `run` and `model` columns."""
    from harness.analysis.export import check_choices, export_runs
    from harness.record import find_run

    check_choices(fmt, tables)
    written = export_runs([find_run(run, results_dir).path for run in runs], fmt, out, tables)
    for item in written:
        click.echo(f"{item.path}: {item.table}, {item.rows} rows from {item.runs} run(s)")


@main.command()
@click.argument("text")
@click.option("--expect", required=True, help="The language TEXT should be in: urd_Arab or ur.")
@click.option(
    "--detector",
    type=click.Choice(DETECTORS),
    default="default",
    show_default=True,
    help="default: scripts, letter rules and py3langid; lid176: fastText lid.176 (lite model).",
)
def langid(text: str, expect: str, detector: str) -> None:
    """Show the language verdict on TEXT ("-" reads standard input), as the consistency check
    gives it: detected language, confidence, script shares, consistent yes/no/und, method, note;
    and the Language Confusion Benchmark's line and word levels, with what failed them."""
    from harness.langid import describe, judge, lcb_check
    from harness.languages import get_language

    try:
        get_language(expect)
    except PolyevalError as exc:
        raise PolyevalError(exc.message, where="--expect") from None
    if text == "-":
        text = sys.stdin.read()
    click.echo(describe(judge(text, expect, detector), lcb_check(text, expect, detector)))


@main.command()
@click.option(
    "--results",
    type=FOLDER,
    default=Path("results"),
    show_default=True,
    help="Folder of run folders (searched at any depth).",
)
@click.option(
    "--out",
    type=FOLDER,
    default=Path("leaderboard/site"),
    show_default=True,
    help="Folder for the site; a site built there before is replaced.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Build into a temporary folder and compare with --out: exit 1 if it is stale.",
)
def leaderboard(results: Path, out: Path, check: bool) -> None:
    """Build the static leaderboard (HTML, inline SVG, CSV/JSON downloads, drill-down sample
    files) from the runs under --results; it works from file:// and any static host. Where
    several runs of a model cover a column, the complete one with the most languages, then
    samples, without --limit, then the newest is used; each run set aside is named on stderr."""
    from harness.leaderboard import build_site, check_site

    if check:
        problem = check_site(results, out)
        if problem is not None:
            click.echo(problem, err=True)
            sys.exit(1)
        click.echo(f"{out}: up to date")
        return
    built = build_site(results, out)
    for line in built.set_aside:
        click.echo(line, err=True)
    click.echo(
        f"{built.out}: {built.pages} pages from {built.runs} run(s), {built.models} model(s), "
        f"{built.tasks} task(s); {built.sample_files} sample files"
    )


@main.command()
@click.argument(
    "sweep_file", metavar="SWEEP.yaml", type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@click.option(
    "--executor",
    type=click.Choice(["local", "slurm", "ray"]),
    help="Where the cells run. Default: the sweep file's `executor`.",
)
@click.option("--output", type=FOLDER, help="The sweep's folder. Default: the file's `output`.")
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    help="Runs again of a cell that exits 3 (some requests failed). Default: the file's.",
)
@click.option(
    "--dry-run", is_flag=True, help="Write the plan (sweep.json) and print the cells to run."
)
def sweep(
    sweep_file: Path, executor: str | None, output: Path | None, retries: int | None, dry_run: bool
) -> None:
    """Run every model of SWEEP.yaml on every task group (and language shard) as cells, each an
    ordinary `evaluate run` with its own folder under the sweep's `cells/`, on this machine
    (local), a Slurm cluster (slurm: submitit job arrays) or a Ray cluster (ray). Launched again,
    it runs only the cells that are not complete. Exit 0 when every cell is complete, 3 when
    some are not (listed; launch again to run them)."""
    from harness.sweep.executors import describe, launch

    launched = launch(
        sweep_file,
        executor=executor,
        output=output,
        retries=retries,
        dry_run=dry_run,
        echo=lambda line: click.echo(line, err=True),
    )
    if dry_run:
        return
    states = launched.states
    click.echo(
        f"{launched.planned.output}: {len(states) - len(launched.unfinished)} of {len(states)} "
        "cells complete"
    )
    if launched.unfinished:
        for cell in launched.unfinished:
            outcome = launched.outcomes.get(cell)
            why = f": {describe(outcome)}" if outcome is not None else ""
            click.echo(f"  {cell}: {states[cell]}{why}", err=True)
        click.echo(
            f"launch again to run the {len(launched.unfinished)} unfinished cell(s): "
            f"evaluate sweep {sweep_file}",
            err=True,
        )
        sys.exit(EXIT_INCOMPLETE)


@main.command()
@click.argument("results", metavar="RESULTS...", nargs=-1, required=True, type=FOLDER)
@click.option(
    "--out", type=FOLDER, required=True, help="The merged results tree: a new or empty folder, "
    "or one collect wrote before (its runs are replaced)."
)  # fmt: skip
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1, listing them, when any cell is not complete (incomplete, or planned and "
    "missing).",
)
def collect(results: tuple[Path, ...], out: Path, check: bool) -> None:
    """Merge the cell folders of sweeps (or any results folders) into one results tree
    (OUT/runs, each run read whole through the run record; where a cell ran more than once,
    the leaderboard's rule picks its run; language shards become one run), one response cache
    (OUT/cache.sqlite) and the sweep's status table (complete / incomplete / missing, with
    counts; OUT/status.tsv). With --check, exit 1 listing the cells to run again."""
    from harness.sweep.collect import collect as merge
    from harness.sweep.collect import status_lines

    collected = merge(list(results), out)
    for note in collected.notes:
        click.echo(note, err=True)
    for line in status_lines(collected):
        click.echo(line)
    click.echo(
        f"{collected.out}: {len(collected.written)} run(s) in runs/; {collected.cache_rows} "
        f"answers added to cache.sqlite from {collected.caches} cache(s)"
    )
    if check and (resubmit := collected.to_resubmit):
        click.echo(
            f"{len(resubmit)} cell(s) to run again: " + ", ".join(c.cell for c in resubmit),
            err=True,
        )
        sys.exit(1)


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--data-dir", type=FOLDER, help="Check this copy of the data, not the sample.")
@click.option(
    "--rows", type=click.IntRange(min=1), default=3, show_default=True,
    help="Rows of every language each template is rendered on.",
)  # fmt: skip
def validate(path: Path, data_dir: Path | None, rows: int) -> None:
    """Check a task folder (or its task.yaml): schema, data, templates, gold answers and a
    perfect baseline:reference run. Prints every problem as file:line: message; exit 1 if any."""
    from harness.authoring.validate import validate as check

    problems = check(path, data_dir, rows)
    for line in problems:
        click.echo(line)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {path}", err=True)
        sys.exit(1)
    click.echo(f"ok: {path} validates (schema, data, templates, baseline:reference 1.0)")


@main.command("new-task")
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice(KIND_CHOICES),
    required=True,
)
@click.option("--tasks-dir", type=FOLDER, default=Path("tasks"), show_default=True)
def new_task(name: str, kind: str, tasks_dir: Path) -> None:
    """Scaffold TASKS_DIR/NAME/: a commented task.yaml, a prompt template, sample data in the
    kind's shape and a test; it validates out of the box."""
    from harness.authoring.scaffold import scaffold

    folder = scaffold(name, kind, tasks_dir)
    click.echo(f"created {folder}; next: evaluate validate {folder}")


@main.command()
def languages() -> None:
    """List the known language codes."""
    from rich.console import Console
    from rich.table import Table

    from harness.languages import all_languages

    table = Table("code", "aliases", "name", "native name", "tier")
    for lang in all_languages():
        table.add_row(lang.code, ",".join(lang.aliases), lang.name, lang.native_name, lang.tier)
    Console().print(table)


if __name__ == "__main__":
    main()
