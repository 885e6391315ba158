"""`evaluate new-task`: a task folder, per kind, that validates out of the box."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from harness.errors import PolyevalError
from harness.kinds import kind_names
from harness.spec import TaskSpec

TEMPLATES = Path(__file__).parent / "templates"
PLACEHOLDER = "__NAME__"
KINDS = tuple(name for name in kind_names() if (TEMPLATES / name).is_dir())
"""The kinds that have a task folder to start from, in templates/."""


def scaffold(name: str, kind: str, tasks_dir: Path) -> Path:
    """Write `tasks_dir/name/`: task.yaml, `name.j2`, sample/ and `test_name.py`."""
    pattern = TaskSpec.model_fields["name"].metadata[0].pattern
    if not re.fullmatch(pattern, name):
        raise PolyevalError(
            f"task name {name!r} must match {pattern} (lowercase letters, digits and _)"
        )
    if kind not in KINDS:
        raise PolyevalError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    folder = tasks_dir / name
    if folder.exists():
        raise PolyevalError("already exists; pick another name or remove it", where=str(folder))
    shutil.copytree(TEMPLATES / kind, folder)
    (folder / "prompt.j2").rename(folder / f"{name}.j2")
    test = (TEMPLATES / "test_task.py.tmpl").read_text(encoding="utf-8")
    (folder / f"test_{name}.py").write_text(test, encoding="utf-8")
    for path in (folder / "task.yaml", folder / f"{name}.j2", folder / f"test_{name}.py"):
        path.write_text(path.read_text(encoding="utf-8").replace(PLACEHOLDER, name), "utf-8")
    return folder
