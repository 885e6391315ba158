"""mTEMPREASON hooks: each row's level, answers and facts (harness.tasklib.tempreason, shared
with tempreason), and the few-shot pools: per level, the first records of the language's train
split, which the task never evaluates: `train_l<n>_<language>.json` (mTEMPREASON, assumed) or
`train_l<n>.json` (TempReason, English), at the root of a hub clone or in the language's folder
of a local copy or the sample."""

from __future__ import annotations

from typing import Any

from harness.tasklib import tempreason as levels

TRAIN_FILES = (
    "{lang}/{split}_l{n}_{code}.json",  # a local copy or the sample: <lang>/ per language
    "{lang}/{split}_l{n}.json",
    "{split}_l{n}_{code}.json",  # a hub clone
    "{split}_l{n}.json",
)


def process_record(record: dict[str, Any], language: str) -> dict[str, Any]:
    result: dict[str, Any] = levels.process_record(record, language)
    return result


def exemplars(source: Any, language: str, code: str, variant: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = levels.pool(source, language, code, TRAIN_FILES)
    return found
