"""The tasks of a run: user tasks (a YAML file, or a generic task with `-T` options and
`--data-file`) built from their settings, the other names looked up in the registry."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import PolyevalError
from harness.registry import Task, TaskRegistry
from harness.usertasks.names import USER_TASKS, is_task_file

if TYPE_CHECKING:
    from harness.usertasks.build import UserTask


def resolve_tasks(
    registry: TaskRegistry,
    names: Sequence[str],
    options: dict[str, str] | None = None,
    data_file: Path | None = None,
) -> list[Task]:
    """The tasks of a run: user tasks built here, the others from the registry. `-T` options
    and `--data-file` apply to the one generic task or task YAML in `names`."""
    options = options or {}
    given = bool(options) or data_file is not None
    generic = [n for n in names if is_task_file(n) or (given and n in USER_TASKS)]
    if given and not generic:
        raise PolyevalError(
            "-T/--task-option and --data-file define a user task: --tasks needs mcq, "
            "short_answer, extractive_qa, round_trip or a task YAML file"
        )
    if given and len(generic) > 1:
        raise PolyevalError(
            f"-T/--task-option and --data-file apply to one user task; --tasks has "
            f"{', '.join(generic)} (give each its own YAML file)"
        )
    tasks = [
        user_task(registry, name, options, data_file) if name in generic else registry.get(name)
        for name in names
    ]
    seen: dict[str, str] = {}
    for name, task in zip(names, tasks, strict=True):
        if task.name in seen:
            raise PolyevalError(
                f"two tasks of this run are named '{task.name}' ({seen[task.name]} and {name}); "
                "give the user task another name"
            )
        seen[task.name] = name
    return tasks


def user_task(
    registry: TaskRegistry,
    name: str,
    options: dict[str, str] | None = None,
    data_file: Path | None = None,
) -> UserTask:
    """A user task from a YAML file (`name` ends in .yaml/.yml) or from `name` (a generic task)
    and the `-T` options, which also override a YAML file's settings."""
    # the settings' schema and the builders: only for a run that has a user task
    from harness.usertasks.build import round_trip_task, squad_task, table_task
    from harness.usertasks.schema import RoundTripTask, SquadTask, read_settings

    settings, places, stem = read_settings(name, options or {}, data_file)
    base = registry.get(settings.task)
    if isinstance(settings, SquadTask):
        return squad_task(base, settings, places, stem)
    if isinstance(settings, RoundTripTask):
        return round_trip_task(base, settings, places, stem)
    return table_task(base, settings, places, stem)
