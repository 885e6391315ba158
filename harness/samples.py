"""Turning a source's rows into Samples: field mapping, gold answers, stable ids, and the rows
a task's `process_record(record, language)` hook skips. The hook returns the record to use,
None for a row of another language (files that mix languages), or raises SkipRow for an
invalid row, which is counted by reason in the manifest, never dropped silently."""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from harness.data.readers import Row
from harness.errors import PolyevalError, SkipRow
from harness.literals import get_literals
from harness.parsers import normalize_number
from harness.records import Sample
from harness.registry import Task
from harness.spec import GoldSpec, TaskSpec
from harness.translation.keys import Pair

LETTERS = string.ascii_uppercase
__all__ = ["Loaded", "SkipRow", "column", "format_id", "gold_answer", "load_samples", "make_sample"]


@dataclass
class Loaded:
    samples: list[Sample]
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> rows
    rows: int = 0  # the language's rows read (skipped ones included; stops at --limit)
    pair: Pair | None = None  # a translation pair's samples; None: a language's


def load_samples(task: Task, rows: Sequence[Row], language: str, limit: int | None) -> Loaded:
    process = task.hook("process_record")
    loaded = Loaded([])
    seen: dict[str, str] = {}  # sample id -> where it was first seen
    for index, (where, record) in enumerate(rows):
        if limit is not None and len(loaded.samples) >= limit:
            break
        if process is not None:
            try:
                record = process(record, language)
            except SkipRow as skip:
                loaded.rows += 1
                loaded.skipped[skip.reason] += 1
                continue
            if record is None:  # not this language's row (a file that mixes languages)
                continue
        loaded.rows += 1
        sample = make_sample(task.spec, index, where, record, language)
        if sample.id in seen:
            raise PolyevalError(
                f"duplicate sample id {sample.id!r} (first at {seen[sample.id]}); make the task's "
                "`id` pattern unique",
                where=where,
            )
        seen[sample.id] = where
        loaded.samples.append(sample)
    return loaded


def make_sample(
    spec: TaskSpec, index: int, where: str, record: dict[str, Any], language: str
) -> Sample:
    values = {"row": index, **record}
    fields = {var: column(record, col, spec, where) for var, col in spec.fields.items()}
    choices = tuple(str(column(record, col, spec, where)).strip() for col in spec.choices)
    if spec.gold is None:
        raise PolyevalError(f"task {spec.name} has no `gold` field", where=where)
    raw = column(record, spec.gold.field, spec, where)
    answers = _answers(spec.gold, raw, len(choices))
    if not answers:
        raise PolyevalError(f"gold answer {raw!r} is not valid", where=where)
    meta = {name: str(column(record, col, spec, where)) for name, col in spec.breakdowns.items()}
    return Sample(
        id=format_id(spec.id, values, where),
        language=language,
        fields=fields,
        gold=answers[0],
        parallel_id=format_id(spec.parallel_id, values, where),
        choices=choices,
        answers=answers if len(answers) > 1 else (),
        meta=meta,
    )


def _answers(gold: GoldSpec, raw: Any, n_choices: int) -> tuple[str, ...]:
    """Every acceptable gold answer, canonical; a list-valued gold column gives several."""
    values = raw if isinstance(raw, list | tuple) else [raw]
    canonical = (gold_answer(gold, value, n_choices) for value in values)
    return tuple(dict.fromkeys(a for a in canonical if a is not None))


def gold_answer(gold: GoldSpec, value: Any, n_choices: int) -> str | None:
    """The canonical gold: a letter for choices, a normalised number, or stripped text.
    Gold numbers are written the English way in the data (`2,125`)."""
    text = str(value).strip()
    if gold.form in ("number", "integer"):
        return _gold_number(text)
    if gold.form in ("index1", "index0"):
        offset = 1 if gold.form == "index1" else 0
        if not text.lstrip("-").isdigit() or not 0 <= int(text) - offset < n_choices:
            return None
        return LETTERS[int(text) - offset]
    if gold.form == "letter":
        letter = text.upper()
        return letter if len(letter) == 1 and letter in LETTERS[:n_choices] else None
    return text or None


def column(record: dict[str, Any], column: str, spec: TaskSpec, where: str) -> Any:
    """A column's value; "a.b" reads key b of the mapping in column a (hub `answers.text`)."""
    value: Any = record
    for part in column.split(".") if column not in record else [column]:
        if not isinstance(value, dict) or part not in value:
            have = ", ".join(map(str, record)) or "none"
            raise PolyevalError(
                f"missing column '{column}' that task {spec.name} needs (columns here: {have})",
                where=where,
            )
        value = value[part]
    return value


def format_id(pattern: str, values: dict[str, Any], where: str) -> str:
    try:
        return pattern.format(**values)
    except (KeyError, IndexError) as exc:
        raise PolyevalError(
            f"id pattern {pattern!r} names a missing column {exc}", where=where
        ) from None


@lru_cache(maxsize=4096)
def _gold_number(text: str) -> str | None:
    """A gold number, canonical: the languages of a parallel set share their golds (MGSM's
    11 languages, one number each problem), worked out once each."""
    number: str | None = normalize_number(text, get_literals("eng_Latn"))
    return number
