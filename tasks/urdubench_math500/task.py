"""UrduBench MATH-500 hooks: one record shape for the Urdu release and the English original.

The Urdu repo is bilingual (problem / urdu_problem, answer / urdu_answer, ...); the English
original has the same columns without the Urdu ones. `process_record` picks the problem in the
row's language and keeps MATH's own LaTeX `answer` as the gold in both languages (the Urdu
`urdu_answer` may put words around it in Urdu: it is read only where `answer` is empty). Other
spellings of the Urdu column (`problem_urdu`, `problem_ur`, or `problem` itself holding Urdu
text) are accepted too, should the release be re-exported.
"""

from __future__ import annotations

import re
from typing import Any

from harness.errors import PolyevalError, SkipRow
from harness.tasklib import urdubench as columns

DATASET = "MATH-500"
QUESTION = ("problem", "question")
ANSWER = ("answer", "final_answer", "urdu_answer")  # urdu_answer: a last resort
ID = ("unique_id", "id")
_LEVEL = re.compile(r"\d+")


def process_record(record: dict[str, Any], language: str) -> dict[str, Any]:
    question = columns.text(columns.in_language(record, QUESTION, language, DATASET))
    if not question:
        raise SkipRow("no problem text" + (" in Urdu" if language == columns.URDU else ""))
    answer = columns.text(columns.first(record, ANSWER))
    if not answer:
        raise SkipRow("no final answer")
    unique_id = columns.text(columns.first(record, ID))
    if not unique_id:
        raise PolyevalError(columns.missing(DATASET, "an item id", ID, record))
    return {
        **record,
        "question": question,
        "answer": answer,
        "unique_id": unique_id,
        "level": _level(record.get("level")),
        "subject": columns.text(record.get("subject")) or "unknown",
    }


def _level(value: Any) -> str:
    """MATH levels are 1-5 (ints in MATH-500; "Level 3" in the full MATH release)."""
    found = _LEVEL.search(columns.text(value))
    return found.group() if found else "unknown"
