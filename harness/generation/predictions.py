"""Scoring answers produced elsewhere: `evaluate run --predictions FILE` and `evaluate score RUN`.

A predictions file is JSONL (or CSV) with one answer per row: `sample_id` and `output`, and
optionally `task`, `variant` and `language` where a sample id alone is ambiguous (the same row
number in several languages), `reasoning` and `finish_reason` ("length" marks a reply cut by
the token limit). A run's own samples.jsonl is such a file. A task may also declare another
tool's output files (`predictions:` in its task.yaml: the sample id as a pattern over the
file's columns, and the reply's column); a row without `sample_id` that has those columns is
read that way, its other columns left aside.

Each row must name exactly one sample of the run; a row that names none is an error (the first
few are listed), and the run's samples without a row are reported and left out, not scored as
failures. No model is asked: the backend answers each request from its row.
"""

from __future__ import annotations

import hashlib
import string
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.data.readers import read_rows
from harness.errors import PolyevalError, shape_of
from harness.records import Request, Response
from harness.spec import FileFormat, FileLayout, PredictionsFormat

Key = tuple[str, str, str, str]  # Request.key: task, variant, language, sample id
NARROWING = ("task", "variant", "language")
SHOWN = 5  # unknown ids named in the error


@dataclass(frozen=True)
class Prediction:
    sample_id: str
    output: str | None  # None: the request failed where the answers were produced
    where: str  # file:line
    task: str | None = None
    variant: str | None = None
    language: str | None = None
    reasoning: str | None = None
    finish_reason: str | None = None
    error: str | None = None

    def fits(self, request: Request) -> bool:
        return all(getattr(self, name) in (None, getattr(request, name)) for name in NARROWING)


def read_predictions(
    path: Path, formats: Mapping[str, PredictionsFormat] | None = None
) -> list[Prediction]:
    """Every row of a JSONL or CSV predictions file; a row whose output is null (a failed
    request in a run's samples.jsonl) stays a failure. `formats`: the output files of other
    tools that the run's tasks declare (task name -> format)."""
    fmt: FileFormat = "csv" if path.suffix.lower() == ".csv" else "jsonl"
    rows = read_rows(path, FileLayout(files=[], format=fmt), strict=True)
    found = [_prediction(row, where, formats or {}) for where, row in rows]
    if not found:
        raise PolyevalError("no predictions in the file", where=str(path))
    return found


def match(requests: Sequence[Request], predictions: Sequence[Prediction]) -> dict[Key, Prediction]:
    """Each request's prediction. A row that fits no request is an error naming the first
    few; one that fits several, or a request given two rows, names what to add or remove."""
    by_id: dict[str, list[Request]] = defaultdict(list)
    for request in requests:
        by_id[request.sample_id].append(request)
    matched: dict[Key, Prediction] = {}
    unknown: list[Prediction] = []
    for prediction in predictions:
        fits = [r for r in by_id.get(prediction.sample_id, []) if prediction.fits(r)]
        if not fits:
            unknown.append(prediction)
            continue
        if len(fits) > 1:
            shown = ", ".join("/".join(r.key[:3]) for r in fits[:3])
            raise PolyevalError(
                f"sample id {prediction.sample_id!r} names {len(fits)} samples ({shown}, ...): "
                "add task, variant and language to the row",
                where=prediction.where,
            )
        key = fits[0].key
        if key in matched:
            raise PolyevalError(
                f"a second prediction for {'/'.join(key)} (the first: {matched[key].where})",
                where=prediction.where,
            )
        matched[key] = prediction
    if unknown:
        ids = ", ".join(repr(p.sample_id) for p in unknown[:SHOWN])
        more = f" and {len(unknown) - SHOWN} more" if len(unknown) > SHOWN else ""
        raise PolyevalError(
            f"{len(unknown)} predictions name samples this run does not have: {ids}{more}",
            where=unknown[0].where,
        )
    return matched


class PredictionsBackend:
    """Answers each request from its prediction; asks no model."""

    def __init__(self, path: Path, predictions: dict[Key, Prediction]) -> None:
        self.path = path
        self.predictions = predictions
        self.digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]

    def identity(self) -> dict[str, Any]:
        return {"kind": "predictions", "file": str(self.path), "sha256": self.digest}

    def cache_salt(self, request: Request) -> str:
        """Each sample is answered by its own row, whatever its prompt shares with others."""
        return "\x1f".join(request.key)

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        for index, request in enumerate(requests):
            found = self.predictions[request.key]
            if found.output is None:
                error = found.error or "no output in the predictions"
                yield index, Response(text="", error=error)
                continue
            yield (
                index,
                Response(
                    text=found.output,
                    reasoning=found.reasoning,
                    finish_reason=found.finish_reason or "stop",
                ),
            )

    async def aclose(self) -> None:
        return None


def _prediction(
    row: dict[str, Any], where: str, formats: Mapping[str, PredictionsFormat]
) -> Prediction:
    if "sample_id" not in row:
        for task, declared in formats.items():
            if _has_columns(row, declared):
                return _declared(row, where, task, declared)
    for name in ("sample_id", "output"):
        if name not in row:
            have = ", ".join(map(str, row)) or "none"
            raise PolyevalError(f"missing column '{name}' (columns here: {have})", where=where)
    optional = {
        name: _text(row, name, where)
        for name in (*NARROWING, "reasoning", "finish_reason", "error")
        if row.get(name) not in (None, "")
    }
    return Prediction(
        _sample_id(row["sample_id"], where), _text(row, "output", where), where, **optional
    )


def _text(row: dict[str, Any], name: str, where: str) -> str | None:
    """A column's text (None where null): a reply given as a JSON list, number, mapping or
    boolean is an error, not text made of it (`[18]` would be scored as 18)."""
    value = row[name]
    if value is None or isinstance(value, str):
        return value
    raise PolyevalError(f"'{name}' is {shape_of(value)}, not text", where=where)


def _sample_id(value: Any, where: str) -> str:
    """A sample id: text, or a whole number (another tool's row numbers)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise PolyevalError(f"'sample_id' is {shape_of(value)}, not text", where=where)


def _columns(declared: PredictionsFormat) -> set[str]:
    names = {name for _, name, _, _ in string.Formatter().parse(declared.sample_id) if name}
    return names | {declared.output}


def _has_columns(row: dict[str, Any], declared: PredictionsFormat) -> bool:
    return _columns(declared) <= set(row)


def _declared(
    row: dict[str, Any], where: str, task: str, declared: PredictionsFormat
) -> Prediction:
    """A row of another tool's output file, read as its task declares."""
    sample_id = declared.sample_id.format_map({k: str(v) for k, v in row.items()})
    return Prediction(sample_id, _text(row, declared.output, where), where, task=task)
