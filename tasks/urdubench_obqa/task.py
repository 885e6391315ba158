"""UrduBench OpenBookQA hooks: four lettered options from the `choices` mapping, flattened
into option_A ... option_D in the row's language (see harness.tasklib.urdubench for how the
Urdu columns are found)."""

from __future__ import annotations

from typing import Any

from harness.tasklib import urdubench as columns


def process_record(record: dict[str, Any], language: str) -> dict[str, Any]:
    result: dict[str, Any] = columns.mcq_record(
        record, language, "OpenBookQA", ("question_stem", "question"), 4
    )
    return result
