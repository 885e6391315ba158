"""Where the built-in tasks and prompts live: beside the package in a checkout, in it in a wheel;
and where polyeval keeps what it can make again (the user's cache folder)."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _builtin(name: str) -> Path:
    packaged = _PACKAGE / "_builtin" / name
    return packaged if packaged.is_dir() else _PACKAGE.parent / name


TASKS_DIR = _builtin("tasks")
PROMPTS_DIR = _builtin("prompts")
LEADERBOARD_DIR = _builtin("leaderboard")  # the static site's templates/ and static/


def cache_folder() -> Path:
    """polyeval's folder under XDG_CACHE_HOME (default ~/.cache), read when asked, so that a
    changed environment variable is seen."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "polyeval"
