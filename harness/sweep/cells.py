"""A sweep's cells: one ordinary `evaluate run` per model, task group and language shard.

A cell's id is `<model>__<group>` (`qwen7b__reasoning`), with `__<k>of<n>` for the k-th of n
language shards (`qwen7b__reading__2of4`): the same file gives the same ids. Its run folder is
`<output>/cells/<id>`, its log `<output>/logs/<id>.log`, and its response cache
`<output>/caches/<id>.sqlite` unless the sweep names one cache for all.

The plan, every cell with its arguments, is written to `<output>/sweep.json` before anything
runs, so that `evaluate collect` can tell a cell that never wrote its folder (killed, or not
run yet) from one that is not part of the sweep. A cell is done when its folder holds a
complete run (read through harness.record) made with the arguments the plan gives it now; a
re-launch runs the others only.

Each cell's options are parsed by `evaluate run`'s own command line before anything runs, so a
mistake in the sweep file is one error naming the file and line, not a failed job an hour later.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import PolyevalError
from harness.record import RunFolderError, open_run
from harness.schema import did_you_mean
from harness.sweep.spec import ModelEntry, Options, OptionValue, SweepSpec, TaskGroup
from harness.yamlfile import line_of

if TYPE_CHECKING:
    from harness.registry import TaskRegistry

PLAN, CELLS, CACHES, LOGS = "sweep.json", "cells", "caches", "logs"
PLAN_FORMAT = 1
SEPARATOR = "__"
# `evaluate run` options that the sweep itself sets for every cell (click parameter names)
RESERVED = {"model", "tasks", "output", "overwrite", "results_dir", "cache_path"}
GROUP_LISTS = ("languages", "variants", "pairs")
COMPLETE, INCOMPLETE, MISSING = "complete", "incomplete", "missing"
_REGISTRIES: dict[tuple[str, ...], TaskRegistry] = {}


class PlanCell(BaseModel):
    """One cell of the plan, as sweep.json holds it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    model: str  # KIND:NAME
    name: str  # the model's part of the id
    group: str
    merged: str  # the id of the run its shards make together (the id itself where unsharded)
    shard: int | None = None  # 1-based
    shards: int | None = None
    args: list[str]  # `evaluate` arguments, without --output, --cache and --overwrite
    folder: str  # its run folder, relative to the sweep folder
    cache: str  # its response cache: relative to the sweep folder, or absolute (shared)
    slurm: dict[str, Any] = Field(default_factory=dict)
    ray: dict[str, Any] = Field(default_factory=dict)

    def argv(self, sweep_dir: Path) -> list[str]:
        """The whole `evaluate` argument list of this cell in the sweep folder `sweep_dir`."""
        return [
            *self.args,
            "--output",
            str(sweep_dir / self.folder),
            "--cache",
            str(sweep_dir / self.cache),
            "--overwrite",  # a folder left incomplete is run again in place
        ]

    def log(self, sweep_dir: Path) -> Path:
        return sweep_dir / LOGS / f"{self.id}.log"


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    format: int = PLAN_FORMAT
    sweep: str = ""  # the sweep file it was made from
    created: str = ""
    cells: list[PlanCell]

    def by_id(self) -> dict[str, PlanCell]:
        return {cell.id: cell for cell in self.cells}


@dataclass(frozen=True)
class Planned:
    """A sweep file made into cells, and the folder they run in."""

    spec: SweepSpec
    output: Path  # absolute
    plan: Plan


def plan_sweep(
    spec: SweepSpec, node: Any, shown: str, output: Path | None = None, base: Path | None = None
) -> Planned:
    """Every cell of `spec`, its arguments checked by `evaluate run`'s own parser. Relative
    paths are taken from `base`, the sweep file's folder (default: the current folder), so
    that a launch from anywhere plans the same cells."""
    base = Path(os.path.abspath(base or Path.cwd()))
    out = Path(os.path.abspath(output if output is not None else base / spec.output))

    def where(*loc: str | int) -> str:
        line = line_of(node, list(loc))
        return f"{shown}:{line}" if line else shown

    _REGISTRIES.clear()  # task folders read afresh by each plan
    groups = spec.groups()
    shared = _absolute(spec.cache, base) if spec.cache else None
    cells: list[PlanCell] = []
    for number, entry in enumerate(spec.models):
        for group_name, group in groups.items():
            here = where("tasks", group_name) if isinstance(spec.tasks, dict) else where("tasks")
            options: Options = {**spec.options, **entry.options, **group.options}
            tasks_dirs = _as_list(options.get("tasks_dir", options.get("tasks-dir", [])))
            tasks = _check_tasks(group, [_absolute(str(d), base) for d in tasks_dirs], here)
            shards = _shards(group, tasks, tasks_dirs, base, here)
            merged = f"{entry.slug}{SEPARATOR}{group_name}"
            for index, languages in enumerate(shards):
                part = f"{SEPARATOR}{index + 1}of{len(shards)}" if len(shards) > 1 else ""
                cell_id = merged + part
                given = dict(options)
                for key in GROUP_LISTS:
                    if (value := getattr(group, key)) is not None:
                        given[key] = value
                if languages is not None:
                    given["languages"] = list[str | int | float | bool](languages)
                args = _cell_args(entry, tasks, given, base, where("models", number), here)
                cells.append(
                    PlanCell(
                        id=cell_id,
                        model=entry.model,
                        name=entry.slug,
                        group=group_name,
                        merged=merged,
                        shard=index + 1 if len(shards) > 1 else None,
                        shards=len(shards) if len(shards) > 1 else None,
                        args=args,
                        folder=f"{CELLS}/{cell_id}",
                        cache=shared or f"{CACHES}/{cell_id}.sqlite",
                        slurm=_resources(spec.slurm, entry.slurm, exclude={"cluster"}),
                        ray=_resources(spec.ray, entry.ray, exclude={"address", "max_retries"}),
                    )
                )
    created = datetime.now(UTC).isoformat(timespec="seconds")
    return Planned(spec, out, Plan(sweep=shown, created=created, cells=cells))


def _registry(tasks_dirs: tuple[str, ...]) -> TaskRegistry:
    """One registry per set of task folders, for one plan (it keeps the tasks it has read)."""
    from harness.registry import TaskRegistry

    if tasks_dirs not in _REGISTRIES:
        _REGISTRIES[tasks_dirs] = TaskRegistry([Path(d) for d in tasks_dirs])
    return _REGISTRIES[tasks_dirs]


def _check_tasks(group: TaskGroup, tasks_dirs: list[str], where: str) -> list[str]:
    """The group's tasks (a suite stays one name), each one known: an unknown task is an
    error here, not in every cell."""
    registry = _registry(tuple(tasks_dirs))
    try:
        for name in registry.expand(group.tasks):
            if not name.endswith((".yaml", ".yml")):  # a user task's file: checked by its run
                registry.get(name)
    except PolyevalError as exc:
        raise PolyevalError(exc.message, where=where) from None
    return list(group.tasks)


def _shards(
    group: TaskGroup, tasks: list[str], tasks_dirs: list[OptionValue], base: Path, where: str
) -> list[list[str] | None]:
    """The languages of each shard (contiguous runs of the group's languages, in order), or
    one shard of all where the group is not sharded."""
    count = group.shard_languages or 1
    if count == 1:
        return [None]
    if group.languages is not None:
        languages = _as_text_list(group.languages)
    else:
        registry = _registry(tuple(_absolute(str(d), base) for d in tasks_dirs))
        expanded = registry.expand(tasks)
        if len(expanded) != 1:
            raise PolyevalError(
                "shard_languages needs the group's `languages` where it has more than one task",
                where=where,
            )
        languages = list(registry.get(expanded[0]).spec.languages)
    count = min(count, len(languages))
    size, extra = divmod(len(languages), count)
    shards: list[list[str] | None] = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        shards.append(languages[start:end])
        start = end
    return shards


def _cell_args(
    entry: ModelEntry,
    tasks: list[str],
    options: Options,
    base: Path,
    model_where: str,
    group_where: str,
) -> list[str]:
    """`run --model M --tasks a,b OPTIONS`, checked by `evaluate run`'s parser."""
    from harness.cli import run as run_command

    params = _params(run_command)
    args = ["run", "--model", entry.model, "--tasks", ",".join(_task_path(t, base) for t in tasks)]
    for key, value in options.items():
        param = params.get(key.replace("_", "-"))
        if param is None or param.name in RESERVED:
            hint = did_you_mean(
                key.replace("_", "-"),
                [k for k, p in params.items() if p.name not in RESERVED and len(k) > 1],
            )
            reason = "is the sweep's own" if param is not None else "is no option of evaluate run"
            raise PolyevalError(f"option '{key}' {reason}{hint}", where=model_where)
        args += _option_args(param, key, value, base, model_where)
    try:
        run_command.make_context("run", list(args[1:]))
    except click.ClickException as exc:
        raise PolyevalError(
            f"model {entry.model}, tasks {','.join(tasks)}: {exc.format_message()}",
            where=group_where,
        ) from None
    return args


def _params(command: click.Command) -> dict[str, click.Option]:
    """`evaluate run`'s options by each of their names without dashes (base-url, M, ...)."""
    found: dict[str, click.Option] = {}
    for param in command.params:
        if isinstance(param, click.Option):
            for opt in param.opts:
                found[opt.lstrip("-")] = param
            if param.name:
                found.setdefault(param.name.replace("_", "-"), param)
    return found


def _option_args(
    param: click.Option, key: str, value: OptionValue, base: Path, where: str
) -> list[str]:
    flag = max(param.opts, key=len)
    if param.is_flag:
        if not isinstance(value, bool):
            raise PolyevalError(f"option '{key}' is a flag: true or false", where=where)
        return [flag] if value else []
    if param.multiple:
        if isinstance(value, dict):
            items = [f"{k}={_text(v)}" for k, v in value.items()]
        else:
            items = [_text(v) for v in (value if isinstance(value, list) else [value])]
        if isinstance(param.type, click.Path):
            items = [_absolute(item, base) for item in items]
        return [part for item in items for part in (flag, item)]
    if isinstance(value, dict):
        raise PolyevalError(f"option '{key}' takes one value, not a mapping", where=where)
    text = ",".join(_text(v) for v in value) if isinstance(value, list) else _text(value)
    if isinstance(param.type, click.Path):
        text = _absolute(text, base)
    return [flag, text]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _as_list(value: OptionValue) -> list[OptionValue]:
    return list(value) if isinstance(value, list) else [value]


def _as_text_list(value: list[str] | str) -> list[str]:
    items = value if isinstance(value, list) else value.split(",")
    return [item.strip() for item in items if item.strip()]


def _absolute(path: str, base: Path) -> str:
    return os.path.abspath(base / Path(path).expanduser())


def _task_path(task: str, base: Path) -> str:
    """A user task's YAML file as an absolute path (a cell may run in another folder)."""
    return _absolute(task, base) if task.endswith((".yaml", ".yml")) else task


def _resources(settings: BaseModel, entry: BaseModel | None, exclude: set[str]) -> dict[str, Any]:
    """The sweep's resources, with the model's own over them."""
    merged = settings.model_dump(exclude_none=True, exclude=exclude)
    if entry is not None:
        merged.update(entry.model_dump(exclude_none=True))
    return merged


# ---- the plan on disk


def write_plan(output: Path, plan: Plan) -> Path:
    """sweep.json in the sweep folder, replaced whole."""
    output.mkdir(parents=True, exist_ok=True)
    path = output / PLAN
    data = plan.model_dump(mode="json")
    for cell, shown in zip(data["cells"], plan.cells, strict=True):
        cell["command"] = shlex.join(["evaluate", *shown.argv(output)])
    temporary = output / f".{PLAN}.{os.getpid()}"
    temporary.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path


def read_plan(folder: Path) -> Plan | None:
    """The plan of the sweep in `folder`, or None where it holds none."""
    path = folder / PLAN
    if not path.is_file():
        return None
    try:
        return Plan.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        message = str(exc).splitlines()[0]
        raise PolyevalError(f"not a sweep plan: {message}", where=str(path)) from None


def cell_state(sweep_dir: Path, cell: PlanCell) -> str:
    """complete, incomplete (a run with failed requests) or missing (no whole run)."""
    try:
        manifest = open_run(sweep_dir / cell.folder).manifest
    except RunFolderError:
        return MISSING
    return COMPLETE if manifest.status == COMPLETE and manifest.failed == 0 else INCOMPLETE


def to_run(planned: Planned, previous: Plan | None) -> list[PlanCell]:
    """The cells a launch runs: all but those whose folder holds a complete run made with
    the arguments they have now."""
    before = previous.by_id() if previous is not None else {}
    todo = []
    for cell in planned.plan.cells:
        old = before.get(cell.id)
        same = old is None or (old.args == cell.args and old.cache == cell.cache)
        if not same or cell_state(planned.output, cell) != COMPLETE:
            todo.append(cell)
    return todo
