"""UrduBench OpenBookQA hooks: four lettered options from the `choices` mapping, flattened
into option_A ... option_D in the row's language (see ../urdubench/columns.py for how the
Urdu columns are found)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.registry import import_file

columns = import_file(Path(__file__).resolve().parents[1] / "urdubench" / "columns.py")


def process_record(record: dict[str, Any], language: str) -> dict[str, Any]:
    result: dict[str, Any] = columns.mcq_record(
        record, language, "OpenBookQA", ("question_stem", "question"), 4
    )
    return result
