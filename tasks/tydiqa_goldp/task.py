"""TyDi QA GoldP hooks.

The hub's `secondary_task` split, like the official `tydiqa-goldp-v1.1-dev.json`, holds all
nine languages in one table; a row's language is the first part of its id
("bengali-7140383958329740101-0", "swahili--3158839201774452117-0"). Each language keeps its own
rows and skips the others, counted under one reason. Answers become a list of acceptable texts
(hub rows and SQuAD-file questions alike); questions without an answer are skipped too.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from harness.data.squad import answerable_record
from harness.errors import PolyevalError
from harness.spec import load_spec


@cache
def language_names() -> dict[str, str]:
    """Canonical code -> TyDi QA's language name (the id prefix), from task.yaml."""
    return dict(load_spec(Path(__file__).with_name("task.yaml")).languages)


def row_language(row_id: str) -> str:
    """The language name an id starts with ("english-7307893093014017016-0" -> "english")."""
    return row_id.split("-", 1)[0]


def process_record(record: dict[str, Any], language: str) -> dict[str, Any] | None:
    names = language_names()
    row_id = str(record.get("id", ""))
    name = row_language(row_id)
    if name not in names.values():
        known = ", ".join(sorted(names.values()))
        raise PolyevalError(
            f"id {row_id!r} does not start with a TyDi QA language name ({known})",
            where=f"question {row_id!r}",
        )
    if name != names[language]:
        return None  # another language's row: not counted as a skip
    return answerable_record(record, language)
