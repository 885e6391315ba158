"""A task's hooks: the functions its `task.py` may define, typed, and checked when they load.

- `process_record(record, language)` turns one data row into the columns task.yaml maps: it
  returns the row (a dict), None for a row of another language (a file that mixes them), or
  raises `harness.errors.SkipRow` for a row that cannot be used;
- `exemplars(source, language, code, variant)` gives the few-shot exemplars of one language
  and variant from the task's data source (`harness.data.sources.DataSource`).

Helpers that several tasks share live in `harness.tasklib`. A task.py whose hook does not take
these arguments, or that defines a function whose name is one letter off a hook's, is a one-line
error naming the file and line when the task is first used, not a TypeError in the middle of a
run.
"""

from __future__ import annotations

import difflib
import importlib.util
import inspect
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from harness.errors import PolyevalError

if TYPE_CHECKING:
    from harness.data.sources import DataSource

Row = dict[str, Any]


class ProcessRecord(Protocol):
    def __call__(self, record: Row, language: str, /) -> Row | None: ...


class Exemplars(Protocol):
    def __call__(
        self, source: DataSource, language: str, code: str, variant: str, /
    ) -> list[Row]: ...


PARAMETERS = {
    "process_record": ("record", "language"),
    "exemplars": ("source", "language", "code", "variant"),
}
"""Each hook and the arguments it is called with, in order."""


@dataclass(frozen=True)
class TaskHooks:
    """The hooks a task.py defines; None where it defines none."""

    process_record: ProcessRecord | None = None
    exemplars: Exemplars | None = None


def load_hooks(path: Path, module_name: str) -> TaskHooks:
    """The hooks of the task.py at `path`, each checked against the arguments it is called
    with."""
    module = _import(path, module_name)
    _check_names(module, path)
    found = {name: _checked(module, name, path) for name in PARAMETERS}
    return TaskHooks(**{name: hook for name, hook in found.items() if hook is not None})


def _import(path: Path, name: str) -> ModuleType:
    """A Python file as a module (a task's `task.py`)."""
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise PolyevalError("cannot import task hooks", where=str(path))
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def _checked(module: ModuleType, name: str, path: Path) -> Any:
    hook = getattr(module, name, None)
    if hook is None:
        return None
    wanted = PARAMETERS[name]
    if not callable(hook):
        raise PolyevalError(f"{name} must be a function of ({', '.join(wanted)})", where=str(path))
    try:
        inspect.signature(hook).bind(*wanted)
    except TypeError:
        raise PolyevalError(
            f"{name}{inspect.signature(hook)} cannot be called with ({', '.join(wanted)})",
            where=_where(hook, path),
        ) from None
    except ValueError:  # a builtin without a signature: taken as it is
        pass
    return hook


def _check_names(module: ModuleType, path: Path) -> None:
    """A function named one letter off a hook (`process_records`) would never be called."""
    for name, value in vars(module).items():
        if name.startswith("_") or name in PARAMETERS or not inspect.isfunction(value):
            continue
        if value.__module__ != module.__name__:  # imported, not defined here
            continue
        close = difflib.get_close_matches(name, PARAMETERS, n=1, cutoff=0.85)
        if close:
            raise PolyevalError(
                f"{name}() is not a hook: did you mean {close[0]}()? (hooks: "
                f"{', '.join(PARAMETERS)})",
                where=_where(value, path),
            )


def _where(function: Any, path: Path) -> str:
    code = getattr(function, "__code__", None)
    return f"{path}:{code.co_firstlineno}" if code is not None else str(path)
