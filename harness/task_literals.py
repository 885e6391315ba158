"""A task's own per-language words: `literals.yaml` in the task folder.

Words only one task needs (XNLI's label names, XCOPA's "What was the cause?") live with the
task rather than in the shared `prompts/literals.yaml`. The file maps language codes to rows of
keys; the eng_Latn row defines every key and fills in what another language leaves out.
Templates see the merged row as `tlit`; hooks call `task_literals(folder, language)`.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import RootModel, StrictStr

from harness.errors import PolyevalError
from harness.literals import REFERENCE_LANGUAGE
from harness.schema import Problem, at_line, did_you_mean, read_model

FILE_NAME = "literals.yaml"
_NOT_ROWS = "expected a mapping of language codes to rows of words"


def task_literals(folder: Path, language: str) -> dict[str, Any]:
    """The task's words for `language` (English where the row lacks a key); {} without a file."""
    table = _load(folder / FILE_NAME)
    return {**table.get(REFERENCE_LANGUAGE, {}), **table.get(language, {})}


def task_literals_hash(folder: Path, language: str) -> str:
    blob = json.dumps(task_literals(folder, language), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class _Table(RootModel[dict[str, dict[str, StrictStr]]]):
    """The file as written: language code -> key -> words."""


@lru_cache(maxsize=64)
def _load(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    table, root = read_model(path, _Table, not_mapping=_NOT_ROWS, describe=_describe)
    reference = table.root.get(REFERENCE_LANGUAGE)
    if reference is None:
        raise PolyevalError(f"no {REFERENCE_LANGUAGE} row: it defines every key", where=str(path))
    where = at_line(str(path), root)
    for language, row in table.root.items():
        unknown = [key for key in row if key not in reference]
        if unknown:
            hint = did_you_mean(unknown[0], list(reference))
            message = f"{language}: key {unknown[0]!r} is not in the {REFERENCE_LANGUAGE} row"
            raise PolyevalError(message + hint, where=where((language, unknown[0])))
    return dict(table.root)


def _describe(problem: Problem) -> str:
    """A row that is no mapping as such; a value by its language and key."""
    if len(problem.loc) < 2:
        return _NOT_ROWS
    return f"{problem.loc[0]}.{problem.loc[1]}: {problem.msg}"
