"""Extractive-QA hooks: every row, a hub row (`answers` is ``{"text": [...], "answer_start":
[...]}``) or a question of a SQuAD JSON file (`answers` is already a list of texts), becomes a
record whose `answers` lists the acceptable answer texts. Unanswerable questions (SQuAD 2.0
`is_impossible`, or no answer at all) are skipped and counted: a sample needs a gold answer."""

from __future__ import annotations

from typing import Any

from harness.data.squad import flatten_answers
from harness.samples import SkipRow


def process_record(record: dict[str, Any], language: str) -> dict[str, Any]:
    flat = flatten_answers(record, where=f"question {record.get('id')!r}")
    if flat["is_impossible"] or not flat["answers"]:
        raise SkipRow("unanswerable question (no gold answer span)")
    return flat
