"""The `evaluate` command line. Heavy modules are imported inside the commands, so that
`evaluate --help` answers at once."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from harness.errors import PolyevalError

EXIT_USER_ERROR = 2
EXIT_INCOMPLETE = 3
FOLDER = click.Path(file_okay=False, path_type=Path)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PolyevalError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt:
            click.echo(
                "interrupted: answers received so far are in the cache; rerun to resume", err=True
            )
            sys.exit(130)


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


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


@main.command()
@click.option("--model", required=True, help="KIND:NAME, e.g. baseline:random.")
@click.option(
    "-M",
    "--model-arg",
    "model_args",
    multiple=True,
    metavar="KEY=VALUE",
    help="Backend option; repeatable.",
)
@click.option("--tasks", required=True, help="Comma-separated task names.")
@click.option("--languages", help="Comma-separated codes (ben_Beng or bn). Default: all.")
@click.option("--variants", help="Comma-separated prompt variants. Default: each task's own.")
@click.option("--limit", type=click.IntRange(min=1), help="First N samples per task and language.")
@click.option(
    "--source",
    type=click.Choice(["auto", "local", "hub", "sample"]),
    default="auto",
    show_default=True,
    help="Data source; auto = --data-dir copy, else the hub, else the shipped sample.",
)
@click.option(
    "--data-dir",
    type=FOLDER,
    help="Local copies in the upstream layout, one folder per benchmark.",
)
@click.option(
    "--hub-dir",
    type=FOLDER,
    help="Local clones of hub dataset repos, as DIR/<org>/<name>.",
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
@click.option(
    "--output",
    type=FOLDER,
    help="Run folder. Default: results/<run-id>.",
)
@click.option(
    "--results-dir",
    type=FOLDER,
    default=Path("results"),
    show_default=True,
)
@click.option(
    "--cache",
    "cache_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Response cache (SQLite). Default: ~/.cache/polyeval/responses.sqlite.",
)
@click.option("--seed", type=int, default=1234, show_default=True)
def run(**options: Any) -> None:
    """Evaluate a model on tasks and write a run folder."""
    from harness.session import RunOptions, run_evaluation

    options["tasks"] = _csv(options["tasks"]) or []
    options["languages"] = _csv(options["languages"])
    options["variants"] = _csv(options["variants"])
    options["model_args"] = _pairs(options["model_args"], "--model-arg")
    options["tasks_dirs"] = list(options["tasks_dirs"])
    outcome = run_evaluation(RunOptions(**options))
    if outcome.failed:
        sys.exit(EXIT_INCOMPLETE)


@main.command()
@click.option("--tasks-dir", "tasks_dirs", multiple=True, type=FOLDER)
def tasks(tasks_dirs: tuple[Path, ...]) -> None:
    """List the tasks: name, kind, languages, variants."""
    from rich.console import Console
    from rich.table import Table

    from harness.registry import TaskRegistry

    registry = TaskRegistry(list(tasks_dirs))
    table = Table("task", "kind", "languages", "variants", "version")
    for name in registry.names():
        spec = registry.get(name).spec
        table.add_row(
            name, spec.kind, str(len(spec.languages)), ", ".join(spec.variants), spec.version
        )
    Console().print(table)


@main.command()
@click.argument("run_ref", metavar="RUN")
@click.option(
    "--results-dir",
    type=FOLDER,
    default=Path("results"),
    show_default=True,
)
@click.option("--metric", default="accuracy", show_default=True)
def show(run_ref: str, results_dir: Path, metric: str) -> None:
    """Print the score table of a finished run (a folder, or a run id under --results-dir)."""
    from rich.console import Console

    from harness.report import score_table
    from harness.results import find_run, read_scores

    Console().print(score_table(read_scores(find_run(run_ref, results_dir)), metric))


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
