"""Turning a source's rows into Samples: field mapping, gold answers, stable ids."""

from __future__ import annotations

import string
from typing import Any

from harness.data.sources import DataSource
from harness.errors import PolyevalError
from harness.literals import get_literals
from harness.parsers import normalize_number
from harness.records import Sample
from harness.registry import Task
from harness.spec import GoldSpec, TaskSpec

LETTERS = string.ascii_uppercase


def load_samples(task: Task, source: DataSource, language: str, limit: int | None) -> list[Sample]:
    process = task.hook("process_record")
    samples: list[Sample] = []
    seen: dict[str, str] = {}  # sample id -> where it was first seen
    for index, (where, record) in enumerate(source.rows(language)):
        if limit is not None and len(samples) >= limit:
            break
        if process is not None:
            record = process(record, language)
            if record is None:
                continue
        sample = make_sample(task.spec, index, where, record, language)
        if sample.id in seen:
            raise PolyevalError(
                f"duplicate sample id {sample.id!r} (first at {seen[sample.id]}); make the task's "
                "`id` pattern unique",
                where=where,
            )
        seen[sample.id] = where
        samples.append(sample)
    return samples


def make_sample(
    spec: TaskSpec, index: int, where: str, record: dict[str, Any], language: str
) -> Sample:
    values = {"row": index, **record}
    fields = {var: _column(record, col, spec, where) for var, col in spec.fields.items()}
    choices = tuple(str(_column(record, col, spec, where)).strip() for col in spec.choices)
    gold = gold_answer(spec.gold, _column(record, spec.gold.field, spec, where), len(choices))
    if gold is None:
        raise PolyevalError(f"gold answer {record[spec.gold.field]!r} is not valid", where=where)
    return Sample(
        id=_format(spec.id, values, where),
        language=language,
        fields=fields,
        gold=gold,
        parallel_id=_format(spec.parallel_id, values, where),
        choices=choices,
    )


def gold_answer(gold: GoldSpec, value: Any, n_choices: int) -> str | None:
    """The canonical gold: a letter for choices, a normalised number, or stripped text.
    Gold numbers are written the English way in the data (`2,125`)."""
    text = str(value).strip()
    if gold.form == "number":
        number: str | None = normalize_number(text, get_literals("eng_Latn"))
        return number
    if gold.form in ("index1", "index0"):
        offset = 1 if gold.form == "index1" else 0
        if not text.lstrip("-").isdigit() or not 0 <= int(text) - offset < n_choices:
            return None
        return LETTERS[int(text) - offset]
    if gold.form == "letter":
        letter = text.upper()
        return letter if len(letter) == 1 and letter in LETTERS[:n_choices] else None
    return text or None


def _column(record: dict[str, Any], column: str, spec: TaskSpec, where: str) -> Any:
    try:
        return record[column]
    except KeyError:
        have = ", ".join(map(str, record)) or "none"
        raise PolyevalError(
            f"missing column '{column}' that task {spec.name} needs (columns here: {have})",
            where=where,
        ) from None


def _format(pattern: str, values: dict[str, Any], where: str) -> str:
    try:
        return pattern.format(**values)
    except (KeyError, IndexError) as exc:
        raise PolyevalError(
            f"id pattern {pattern!r} names a missing column {exc}", where=where
        ) from None
