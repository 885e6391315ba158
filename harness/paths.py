"""Where the built-in tasks and prompts live: beside the package in a checkout, in it in a wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _builtin(name: str) -> Path:
    packaged = _PACKAGE / "_builtin" / name
    return packaged if packaged.is_dir() else _PACKAGE.parent / name


TASKS_DIR = _builtin("tasks")
PROMPTS_DIR = _builtin("prompts")
LEADERBOARD_DIR = _builtin("leaderboard")  # the static site's templates/ and static/
