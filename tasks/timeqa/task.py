"""TimeQA hooks: a question of harness/data/timeqa.py's flat records gets its gold answers (the
texts of its spans) or, where its one span is empty (TimeQA's unanswerable questions), the
task's `no_answer` word, which the prompt tells the model to give; `answerable` (yes/no) is a
breakdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.task_literals import task_literals

FOLDER = Path(__file__).resolve().parent


def process_record(record: dict[str, Any], language: str) -> dict[str, Any]:
    answers = [str(text) for text in record.get("answers", []) if str(text).strip()]
    if answers:
        return {**record, "answers": answers, "answerable": "yes"}
    return {**record, "answers": [task_literals(FOLDER, language)["no_answer"]], "answerable": "no"}
