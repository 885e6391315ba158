"""Readers for the upstream file formats: TSV/CSV (with or without header), JSONL, JSON,
SQuAD's nested JSON (one record per question, see harness.data.squad), Parquet, and plain text
with one item per line.

Each row comes back as (where, record): `where` is "file:line" (or "file[record N]" for a
JSON array), so that any later error about the row can name it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.data.squad import read_squad
from harness.data.timeqa import read_timeqa
from harness.errors import PolyevalError
from harness.spec import FileLayout

Row = tuple[str, dict[str, Any]]


def read_rows(path: Path, layout: FileLayout, strict: bool = False) -> list[Row]:
    """The file's rows; `strict`: delimited text read as strict CSV (a stray or unclosed quote
    is an error, not text that swallows the rows after it)."""
    fmt = layout.format or path.suffix.lstrip(".").lower()
    if fmt == "parquet":  # binary: read by pyarrow, not as text
        return _parquet(path)
    reader = (_STRICT_READERS if strict else {}).get(fmt) or _READERS.get(fmt)
    if reader is None:
        known = ", ".join([*_READERS, "parquet"])
        raise PolyevalError(f"unknown data format '{fmt}' ({known})", where=str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise PolyevalError(f"cannot read data file: {exc.strerror}", where=str(path)) from None
    except UnicodeDecodeError as exc:
        raise PolyevalError(f"not UTF-8 ({exc.reason})", where=str(path)) from None
    return list(reader(text, path, layout))


def read_aligned(paths: dict[str, Path]) -> list[Row]:
    """Line-aligned plain-text files (a parallel corpus: line i of each file is the same
    sentence), one row per line with one column per file; CRLF and a BOM are tolerated."""
    columns = {}
    for column, path in paths.items():
        try:
            columns[column] = lines_of(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise PolyevalError(f"cannot read data file: {exc.strerror}", where=str(path)) from None
        except UnicodeDecodeError as exc:
            raise PolyevalError(f"not UTF-8 ({exc.reason})", where=str(path)) from None
    first, *_ = paths.values()
    counts = {column: len(lines) for column, lines in columns.items()}
    if len(set(counts.values())) > 1:
        shown = ", ".join(f"{paths[c].name} {n}" for c, n in counts.items())
        raise PolyevalError(f"line-aligned files differ in length: {shown}", where=str(first))
    return [
        (f"{first}:{number}", {column: lines[number - 1] for column, lines in columns.items()})
        for number in range(1, len(next(iter(columns.values()))) + 1)
    ]


def lines_of(text: str) -> list[str]:
    """The lines of a file: split at LF (CRLF tolerated) only. `str.splitlines` would also
    split inside a sentence or a JSON string at U+2028, U+2029, U+0085 and the like."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _delimited(delimiter: str, strict: bool = False) -> Any:
    def read(text: str, path: Path, layout: FileLayout) -> Iterator[Row]:
        lines = lines_of(text)
        if not layout.quoting:
            yield from _split_lines(lines, delimiter, path, layout)
            return
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
        rows = _parsed(reader, path)
        header = layout.columns or _header(rows, path)
        for line, values in rows:
            if not any(v.strip() for v in values):
                continue
            yield _record(header, values, path, line)

    return read


def _parsed(reader: Any, path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each row of a csv reader with the line it ends on; the reader's errors (an unclosed
    quote in strict mode, a field over the csv module's size limit) one line naming the line
    where the row at fault starts."""
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problem = _csv_problem(str(exc), reader.line_num)
            raise PolyevalError(problem, where=f"{path}:{start}") from None
        yield reader.line_num, values


def _csv_problem(message: str, last: int) -> str:
    if message == "unexpected end of data":
        return (
            f"malformed CSV: a quote opened in this row is not closed before the end (line {last})"
        )
    return f"malformed CSV: {message}"


def _split_lines(lines: list[str], delim: str, path: Path, layout: FileLayout) -> Iterator[Row]:
    start = 0
    header = layout.columns
    if header is None:
        if not lines:
            raise PolyevalError("empty file: no header row", where=str(path))
        header, start = [h.strip() for h in lines[0].split(delim)], 1
    for number, line in enumerate(lines[start:], start=start + 1):
        if line.strip():
            yield _record(header, line.split(delim), path, number)


def _header(rows: Iterator[tuple[int, list[str]]], path: Path) -> list[str]:
    try:
        return [h.strip() for h in next(rows)[1]]
    except StopIteration:
        raise PolyevalError("empty file: no header row", where=str(path)) from None


def _record(header: list[str], values: list[str], path: Path, line: int) -> Row:
    if len(values) != len(header):
        raise PolyevalError(
            f"expected {len(header)} columns ({', '.join(header)}), found {len(values)}",
            where=f"{path}:{line}",
        )
    return f"{path}:{line}", dict(zip(header, values, strict=True))


def _jsonl(text: str, path: Path, layout: FileLayout) -> Iterator[Row]:
    for number, line in enumerate(lines_of(text), start=1):
        where = f"{path}:{number}"
        if (value := json_line(line, where)) is not None:
            yield where, value


def json_line(line: str, where: str) -> dict[str, Any] | None:
    """The JSON object on one line of a JSONL file (None for a blank line); a one-line error
    naming `where` for anything else."""
    if not line.strip():
        return None
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise PolyevalError(f"invalid JSON: {exc.msg}", where=where) from None
    if not isinstance(value, dict):
        raise PolyevalError("each line must be a JSON object", where=where)
    return value


def _json(text: str, path: Path, layout: FileLayout) -> Iterator[Row]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolyevalError(f"invalid JSON: {exc.msg}", where=f"{path}:{exc.lineno}") from None
    records = value.get("data", value) if isinstance(value, dict) else value
    if not isinstance(records, list):
        raise PolyevalError("expected a JSON array of records", where=str(path))
    for index, record in enumerate(records):
        where = f"{path}[record {index}]"
        if not isinstance(record, dict):
            raise PolyevalError("not a JSON object", where=where)
        yield where, record


def _lines(text: str, path: Path, layout: FileLayout) -> Iterator[Row]:
    """Plain text, one item per line (a sentence to translate): column `text`, or the one
    name in `columns`; blank lines are not items."""
    column = layout.columns[0] if layout.columns else "text"
    for number, line in enumerate(lines_of(text), start=1):
        if line.strip():
            yield f"{path}:{number}", {column: line}


def _parquet(path: Path) -> list[Row]:
    """A Parquet file (hub datasets), one row per record."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped]  # a dependency of datasets

    try:
        records: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise PolyevalError(f"cannot read Parquet file: {exc}", where=str(path)) from None
    return [(f"{path}[row {index}]", record) for index, record in enumerate(records)]


_READERS: dict[str, Any] = {
    "tsv": _delimited("\t"),
    "csv": _delimited(","),
    "jsonl": _jsonl,
    "json": _json,
    "squad": read_squad,
    "timeqa": read_timeqa,
    "lines": _lines,
}
_STRICT_READERS: dict[str, Any] = {
    "tsv": _delimited("\t", strict=True),
    "csv": _delimited(",", strict=True),
}
