"""UrduBench MGSM hooks: one record shape for the Urdu release and MGSM's English TSV.

The Urdu repo is assumed bilingual like UrduBench's MATH-500 (question / urdu_question,
answer / urdu_answer); its card could not be checked, so the columns are looked up tolerantly:
the question in Urdu from `urdu_question`, `question_urdu` or `question_ur`, or `question`
itself where it holds Urdu text; the gold from `answer_number`, `answer` or `urdu_answer`
(Urdu digits allowed; a GSM8K-style "... #### 18" solution gives the number after ####).
"""

from __future__ import annotations

import re
from typing import Any

from harness.errors import SkipRow
from harness.tasklib import urdubench as columns

QUESTION = ("question", "problem")
ANSWER = ("answer_number", "answer", "urdu_answer_number", "urdu_answer")
_DIGIT = re.compile(r"\d")


def process_record(record: dict[str, Any], language: str) -> dict[str, Any]:
    question = columns.text(columns.in_language(record, QUESTION, language, "MGSM"))
    if not question:
        raise SkipRow("no question text" + (" in Urdu" if language == columns.URDU else ""))
    answer = _gold(record)
    if not answer:
        raise SkipRow("no numeric answer")
    return {**record, "question": question, "answer": answer}


def _gold(record: dict[str, Any]) -> str:
    """The first answer column that holds a number (any script's digits)."""
    for name in ANSWER:
        text = columns.text(record.get(name))
        if "####" in text:
            text = text.rsplit("####", 1)[1].strip()
        if _DIGIT.search(text):
            return text
    return ""
