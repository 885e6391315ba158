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

from harness.errors import PolyevalError
from harness.literals import REFERENCE_LANGUAGE
from harness.yamlfile import line_of, load_yaml

FILE_NAME = "literals.yaml"


def task_literals(folder: Path, language: str) -> dict[str, Any]:
    """The task's words for `language` (English where the row lacks a key); {} without a file."""
    table = _load(folder / FILE_NAME)
    return {**table.get(REFERENCE_LANGUAGE, {}), **table.get(language, {})}


def task_literals_hash(folder: Path, language: str) -> str:
    blob = json.dumps(task_literals(folder, language), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@lru_cache(maxsize=64)
def _load(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    data, root = load_yaml(path)
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise PolyevalError(
            "expected a mapping of language codes to rows of words", where=str(path)
        )
    reference = data.get(REFERENCE_LANGUAGE)
    if reference is None:
        raise PolyevalError(f"no {REFERENCE_LANGUAGE} row: it defines every key", where=str(path))
    for language, row in data.items():
        unknown = [key for key in row if key not in reference]
        if unknown:
            line = line_of(root, [language, unknown[0]])
            raise PolyevalError(
                f"{language}: key {unknown[0]!r} is not in the {REFERENCE_LANGUAGE} row",
                where=f"{path}:{line}" if line else str(path),
            )
    return data
