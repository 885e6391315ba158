"""Finding tasks: built-in folders, --tasks-dir folders, and the `polyeval.tasks` entry points.

Discovery is lazy: listing names reads directory entries only; a task's YAML is parsed
when that task is asked for, and its `task.py` hooks are imported when first used.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import PolyevalError
from harness.hooks import TaskHooks, load_hooks
from harness.paths import PROMPTS_DIR, TASKS_DIR
from harness.schema import load_model
from harness.spec import TaskSpec, Variant, load_spec

if TYPE_CHECKING:
    from harness.data.sources import DataSource

ENTRY_POINT_GROUP = "polyeval.tasks"
SUITE_FILE = "suite.yaml"


@dataclass
class Task:
    spec: TaskSpec
    folder: Path
    # a user task (harness.usertasks): the user's data, whatever --source, and what the
    # manifest records of it (its files with hashes, column mapping and answer form)
    source: DataSource | None = field(default=None, kw_only=True)
    user_task: dict[str, Any] | None = field(default=None, kw_only=True)

    @property
    def name(self) -> str:
        return self.spec.name

    @cached_property
    def hooks(self) -> TaskHooks:
        """The functions of its `task.py`, checked (harness.hooks)."""
        path = self.folder / "task.py"
        if not path.is_file():
            return TaskHooks()
        return load_hooks(path, f"polyeval_task_{self.name}")

    def hook(self, name: str) -> Any:
        """A hook by name (`process_record`, `exemplars`), or None."""
        return getattr(self.hooks, name)

    def template_dirs(self) -> list[Path]:
        """A task's own folder first (plugins may ship templates), then the shared prompts."""
        return [self.folder, PROMPTS_DIR]

    def variant(self, name: str) -> Variant:
        try:
            return self.spec.variants[name]
        except KeyError:
            known = ", ".join(self.spec.variants)
            raise PolyevalError(f"task {self.name} has no variant '{name}' ({known})") from None


@dataclass
class TaskRegistry:
    extra_dirs: list[Path] = field(default_factory=list)
    _loaded: dict[str, Task] = field(default_factory=dict)

    def folders(self) -> dict[str, Path]:
        """Task name -> folder, from directory listings and entry-point names only."""
        found: dict[str, Path] = {}
        for root in [TASKS_DIR, *self._entry_point_dirs(), *self.extra_dirs]:
            found.update(_task_folders(root))  # later roots override earlier ones
        return found

    def names(self) -> list[str]:
        return sorted(self.folders())

    def suites(self) -> dict[str, Path]:
        """Suite name -> its `suite.yaml` (a named list of tasks, e.g. urdubench)."""
        found: dict[str, Path] = {}
        for root in [TASKS_DIR, *self._entry_point_dirs(), *self.extra_dirs]:
            if root.is_dir():
                found.update(
                    {p.name: p / SUITE_FILE for p in root.iterdir() if (p / SUITE_FILE).is_file()}
                )
        return found

    def expand(self, names: Iterable[str]) -> list[str]:
        """Task names with each suite replaced by its tasks, each task once."""
        suites = self.suites()
        expanded: list[str] = []
        for name in names:
            expanded += _suite_tasks(suites[name]) if name in suites else [name]
        return list(dict.fromkeys(expanded))

    def get(self, name: str) -> Task:
        if name not in self._loaded:
            folder = self._find(name)
            spec = load_spec(folder / "task.yaml")
            if spec.name != name:
                raise PolyevalError(
                    f"task name '{spec.name}' differs from its folder name '{name}'",
                    where=str(folder / "task.yaml"),
                )
            self._loaded[name] = Task(spec, folder)
        return self._loaded[name]

    def _find(self, name: str) -> Path:
        for root in [*reversed(self.extra_dirs), TASKS_DIR]:
            if (root / name / "task.yaml").is_file():
                return root / name
            if root.name == name and (root / "task.yaml").is_file():
                return root
        folders = self.folders()
        if name in folders:
            return folders[name]
        raise PolyevalError(f"unknown task '{name}'; known tasks: {', '.join(sorted(folders))}")

    def _entry_point_dirs(self) -> Iterable[Path]:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            spec = importlib.util.find_spec(ep.value.split(":")[0])
            locations = spec.submodule_search_locations if spec else None
            if locations:
                yield from (Path(p) for p in locations)
            elif spec is not None and spec.origin:
                yield Path(spec.origin).parent


class Suite(BaseModel):
    """A `suite.yaml`: a named list of tasks."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str = ""
    tasks: list[str] = Field(min_length=1)


def _suite_tasks(path: Path) -> list[str]:
    return load_model(path, Suite, not_mapping="a suite needs `tasks:`, a list of task names").tasks


def _task_folders(root: Path) -> dict[str, Path]:
    if (root / "task.yaml").is_file():
        return {root.name: root}
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if (p / "task.yaml").is_file()}
