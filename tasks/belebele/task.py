"""Belebele hooks: few-shot exemplars.

The hub has one split per language (`test`, 900 questions), so the exemplars come from a fixed
held-out part of it: the questions whose parallel id hashes lowest, one per passage. They are
the same items in every language (ids are parallel), and the planner leaves them out of the
evaluation of the few-shot variant, so no exemplar is ever scored.
"""

from __future__ import annotations

import hashlib
from typing import Any

from harness.literals import get_literals

HELD_OUT = 5  # more than any variant asks for


def exemplars(source: Any, language: str, code: str, variant: str) -> list[dict[str, Any]]:
    labels = get_literals(language).choice_labels
    picked: dict[str, dict[str, Any]] = {}  # passage link -> its lowest-hash question
    for _, row in sorted(source.rows(language), key=lambda r: _rank(r[1])):
        if row["link"] not in picked:
            picked[row["link"]] = row
        if len(picked) == HELD_OUT:
            break
    return [_exemplar(row, labels) for row in picked.values()]


def _rank(row: dict[str, Any]) -> str:
    return hashlib.sha256(_parallel_id(row).encode("utf-8")).hexdigest()


def _parallel_id(row: dict[str, Any]) -> str:
    return f"{row['link']}#{row['question_number']}"  # as `parallel_id` in task.yaml


def _exemplar(row: dict[str, Any], labels: tuple[str, ...]) -> dict[str, Any]:
    options = [str(row[f"mc_answer{i}"]).strip() for i in range(1, 5)]
    return {
        "passage": row["flores_passage"],
        "question": row["question"],
        "choices": [{"label": labels[i], "text": text} for i, text in enumerate(options)],
        "answer": labels[int(row["correct_answer_num"]) - 1],
        "parallel_id": _parallel_id(row),
    }
