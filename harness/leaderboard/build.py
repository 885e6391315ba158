"""`evaluate leaderboard`: the static site built from the runs under a results folder.

The site is written into a fresh folder beside the target and then put in its place, so that
a reader never sees half a site and files of models or runs that are gone do not linger; what
a killed build left beside it is removed by the next build (harness.leftovers). A folder that
is neither empty nor a site built here (it has no SITE_MARKER) is never replaced.
The same runs always give the same bytes: everything is ordered, JSON keys are sorted and the
only dates are the runs' own. Where several runs of a model cover a column, one is used
(harness.leaderboard.selection states the rule); the build returns a line for each run set
aside (`Built.set_aside`), which the command prints.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import harness
from harness import garbage, leftovers
from harness.errors import PolyevalError
from harness.leaderboard import pages
from harness.leaderboard.downloads import (
    LANGUAGE_COLUMNS,
    across_rows,
    language_rows,
    overview_rows,
    ranking_rows,
    write_table,
)
from harness.leaderboard.drill import write_samples
from harness.leaderboard.heat import HeatCells
from harness.leaderboard.language_ranks import language_ranks
from harness.leaderboard.language_view import languages_page
from harness.leaderboard.model_pages import model_pages
from harness.leaderboard.overview import overview_page
from harness.leaderboard.runs import Run, load_runs
from harness.leaderboard.tables import Board, build_board
from harness.leaderboard.task_pages import task_pages
from harness.registry import TaskRegistry

SITE_MARKER = "polyeval-site.json"
BUILDING, OLD = ".building-", ".old-"  # a site staged beside its folder, and one set aside


@dataclass(frozen=True, slots=True)
class Built:
    out: Path
    runs: int
    models: int
    tasks: int
    pages: int
    sample_files: int
    set_aside: list[str]  # a line for each run set aside, and why (selection.SetAside)


def build_site(results: Path, out: Path) -> Built:
    """Build the site of the runs under `results` into `out` (replacing a site built there)."""
    with garbage.paused():  # millions of small dicts and no cycles: the collector's passes
        return _build_site(results, out)  # over them would cost a tenth of the build


def _build_site(results: Path, out: Path) -> Built:
    _clean_leftovers(out)
    loaded = load_runs(results)
    _check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = leftovers.staged(out, BUILDING)
    leftovers.remove(staging)
    try:
        built = write_site(loaded.runs, staging)
        _replace(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    unread = [f"set aside {path}: {why}" for path, why in loaded.skipped]
    return Built(
        out,
        built.runs,
        built.models,
        built.tasks,
        built.pages,
        built.sample_files,
        unread + built.set_aside,
    )


def write_site(runs: list[Run], folder: Path) -> Built:
    """Write the site of `runs` into `folder` (created; expected not to exist)."""
    folder.mkdir(parents=True)
    specs = spec_info(sorted({task for run in runs for task, _ in run.columns}))
    board = build_board(runs, specs)
    wanted = [(c.run, c.column.task, c.column.variant) for _, c in sorted(board.cells.items())]
    available = write_samples(folder, wanted)
    env = pages.environment()
    written = 0
    overview = overview_page(board, available)
    ranks = language_ranks(board)
    for page in (overview, languages_page(board, ranks), pages.samples_page(board)):
        _write(folder / page.path, pages.render(env, page))
        written += 1
    write_table(folder / "index", overview_rows(board))
    write_table(folder / "languages", across_rows(board))
    write_table(folder / "language-ranks", ranking_rows(ranks))
    heat = HeatCells(available, board.spans)
    for page, cells in [
        *task_pages(board, available, specs, heat),
        *model_pages(board, available, heat, ranks),
    ]:
        _write(folder / page.path, pages.render(env, page))
        write_table((folder / page.path).with_suffix(""), language_rows(cells), LANGUAGE_COLUMNS)
        written += 1
    _copy_static(folder / "static")
    _write(folder / SITE_MARKER, _marker(board))
    samples = sum(1 for _ in (folder / "data").rglob("*.js")) if (folder / "data").is_dir() else 0
    tasks = len({c.task for c in board.columns})
    set_aside = [found.message for found in board.set_aside]
    return Built(
        folder, len(board.used_runs()), len(board.models), tasks, written, samples, set_aside
    )


def spec_info(tasks: list[str]) -> dict[str, dict[str, Any]]:
    """What the task registry knows of each task (nothing for a task it does not know: a
    user task, or one from a plugin not installed here)."""
    registry = TaskRegistry()
    known = set(registry.folders())
    found: dict[str, dict[str, Any]] = {}
    for task in tasks:
        if task not in known:
            continue
        try:
            spec = registry.get(task).spec
        except PolyevalError:
            continue
        hub = spec.data.hub
        repos = (
            [hub.repo]
            if hub is not None and not isinstance(hub, dict)
            else sorted({h.repo for h in hub.values()})
            if isinstance(hub, dict)
            else []
        )
        found[task] = {
            "kind": spec.kind,
            "family": spec.family,
            "metrics": list(spec.metrics),
            "version": spec.version,
            "description": spec.description.strip(),
            "license": spec.license,
            "citation": spec.citation,
            "hub": repos,
            "variants": {name: v.description for name, v in spec.variants.items()},
        }
    return found


def _marker(board: Board) -> str:
    data = {
        "generator": f"polyeval {harness.__version__}",
        "runs": sorted(run.run_id for run in board.used_runs()),
        "models": sorted(board.models),
        "columns": [c.key for c in board.columns],
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _copy_static(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for source in sorted(pages.STATIC.iterdir()):
        if source.is_file():
            (target / source.name).write_bytes(source.read_bytes())


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise PolyevalError("is a file, not a folder", where=str(out))
    if out.is_dir() and any(out.iterdir()) and not (out / SITE_MARKER).is_file():
        raise PolyevalError(
            f"folder is not empty and holds no leaderboard ({SITE_MARKER}); not replacing it",
            where=str(out),
        )


def _clean_leftovers(out: Path) -> None:
    """Remove what builds of `out` killed before the end left beside it; an old site set aside
    by a build killed between its two renames is put back where `out` is missing."""
    for leftover in leftovers.stale(out, [BUILDING, OLD]):
        if leftover.name.startswith(f".{out.name}{OLD}") and not out.exists():
            os.replace(leftover, out)
        else:
            leftovers.remove(leftover)


def _replace(staging: Path, out: Path) -> None:
    """Put the new site in place of the old one (kept until the new one is in place)."""
    old = leftovers.staged(out, OLD)
    try:
        if out.exists():
            os.replace(out, old)
        try:
            os.replace(staging, out)
        except OSError:
            if old.exists():
                os.replace(old, out)
            raise
    except OSError as exc:
        raise PolyevalError(
            f"cannot write the site: {exc.strerror or exc}", where=str(out)
        ) from None
    shutil.rmtree(old, ignore_errors=True)
