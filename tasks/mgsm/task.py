"""MGSM hooks: the few-shot exemplars, from the upstream `exemplars.py` (read as data with
`ast`, never executed) or from its JSON export `mgsm_exemplars.json`."""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from harness.errors import PolyevalError

EXEMPLAR_FILES = ("mgsm_exemplars.json", "exemplars.py")
# "Question: ...", "Question : ...", "問題：...": the localized label before the first colon
_PREFIX = re.compile(r"^[^:：\n]{1,40}[:：]\s*")


def exemplars(source: Any, language: str, code: str, variant: str) -> list[dict[str, Any]]:
    table = _exemplar_table(_find(source))
    native, english = table["MGSM_EXEMPLARS"][code], table["MGSM_EXEMPLARS"]["en"]
    answers = table["EXEMPLAR_NUMBER_ANSWERS"]
    return [
        {
            "question": _strip(native[key]["q"]),
            "rationale": _strip(native[key]["a"]),
            "rationale_en": _strip(english[key]["a"]),
            "answer": str(answers[i]),
        }
        for i, key in enumerate(sorted(native, key=int))
    ]


def _find(source: Any) -> Path:
    problems = []
    for name in EXEMPLAR_FILES:
        try:
            path: Path = source.file(name)
            return path
        except PolyevalError as exc:
            problems.append(str(exc))
    raise PolyevalError("no MGSM exemplars: " + "; ".join(problems))


@cache
def _exemplar_table(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data: dict[str, Any] = json.loads(text)
        return data
    values = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return values


def _strip(text: str) -> str:
    return _PREFIX.sub("", text.strip(), count=1)
