"""XCOPA hooks: a check of the question type, and few-shot exemplars from the validation split
(`val.<code>.jsonl` beside the test file, or the hub config's `validation` split), which the
task never evaluates, so no exemplar is held out of the test items."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from harness.data.readers import Row, read_rows
from harness.data.sources import HubDataSource
from harness.errors import PolyevalError
from harness.literals import get_literals
from harness.samples import SkipRow
from harness.spec import FileLayout, load_spec

FOLDER = Path(__file__).resolve().parent
QUESTIONS = ("cause", "effect")
VALIDATION_FILES = ("val.{code}.jsonl", "data/{code}/val.{code}.jsonl")  # flat, GitHub clone
HUB_VALIDATION_SPLIT = "validation"


def process_record(record: dict[str, Any], language: str) -> dict[str, Any]:
    question = str(record.get("question", "")).strip().lower()
    if question not in QUESTIONS:
        raise SkipRow("question is neither cause nor effect")
    return {**record, "question": question}


def exemplars(source: Any, language: str, code: str, variant: str) -> list[dict[str, Any]]:
    """Every validation item in file order, as template fields: premise, question, the two
    lettered alternatives, and `answer`, the letter of the right one."""
    labels = get_literals(_literals_language(variant) or language).choice_labels
    found = []
    for _, row in _validation_rows(source, language, code):
        question = str(row.get("question", "")).strip().lower()
        if question not in QUESTIONS or str(row.get("label")) not in ("0", "1"):
            continue
        found.append(
            {
                "premise": row["premise"],
                "question": question,
                "choices": [
                    {"label": labels[i], "text": str(row[f"choice{i + 1}"]).strip()}
                    for i in range(2)
                ],
                "answer": labels[int(row["label"])],
            }
        )
    return found


@cache
def _literals_language(variant: str) -> str | None:
    """The language whose words a variant shows (its `literals`), for the exemplars' labels."""
    return load_spec(FOLDER / "task.yaml").variants[variant].literals


def _validation_rows(source: Any, language: str, code: str) -> list[Row]:
    if isinstance(source, HubDataSource):
        spec = source.spec.model_copy(update={"split": HUB_VALIDATION_SPLIT})
        return HubDataSource(spec, source.codes, source.hub_dir).rows(language)
    problems = []
    for pattern in VALIDATION_FILES:
        try:
            path: Path = source.file(pattern.format(code=code))
        except PolyevalError as exc:
            problems.append(str(exc))
            continue
        return read_rows(path, FileLayout(files=[pattern], format="jsonl"))
    raise PolyevalError("no XCOPA validation split for few-shot exemplars: " + "; ".join(problems))
