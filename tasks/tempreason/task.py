"""TempReason hooks: each row's level, answers and facts (harness.tasklib.tempreason, shared
with mtempreason), and the few-shot pools: per level, the first records of the train split
(`train_l<n>.json`), which the task never evaluates."""

from __future__ import annotations

from typing import Any

from harness.tasklib import tempreason as levels

TRAIN_FILES = ("{split}_l{n}.json",)


def process_record(record: dict[str, Any], language: str) -> dict[str, Any]:
    result: dict[str, Any] = levels.process_record(record, language)
    return result


def exemplars(source: Any, language: str, code: str, variant: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = levels.pool(source, language, code, TRAIN_FILES)
    return found
