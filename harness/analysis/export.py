"""`evaluate export`: a run's tables as pandas DataFrames, written as CSV, Parquet or JSON.

Tables, one row per record, each with the run's id (`run`) and model (`model`) first, so that
the tables of several runs stack into one:

- `scores`: scores.json (task x variant x language x metric, and per breakdown);
- `summary`: summary.json (macro averages, gaps to English, ...: harness.analysis.summary), computed
  from the run's samples where the run has none;
- `gaps`: gaps.json (paired gaps between variants, and to English);
- `samples`: samples.jsonl, nested fields flattened with dots (`scores.accuracy`,
  `usage.prompt_tokens`); lists and the chat prompt are kept as JSON text.

Files are `<table>.<ext>` in the output folder, each written atomically. In CSV, text that a
spreadsheet would run as a formula is neutralised (harness.csv_safety); `read_table` restores it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from harness import leftovers
from harness.analysis.summary import summarize
from harness.csv_safety import neutralised, restored
from harness.errors import PolyevalError
from harness.record import RunFolder, open_run

Frame = Any  # a pandas DataFrame (pandas ships no type information without pandas-stubs)
FORMATS = {"csv": "csv", "parquet": "parquet", "json": "json"}  # format -> file extension
TABLES = ("scores", "summary", "gaps", "samples")


@dataclass(frozen=True, slots=True)
class Written:
    table: str
    path: Path
    rows: int
    runs: int


def check_choices(fmt: str, tables: Sequence[str]) -> list[str]:
    """The tables to export (all where none is named); a one-line error for an unknown format
    or table."""
    if fmt not in FORMATS:
        raise PolyevalError(f"unknown format '{fmt}' (one of: {', '.join(FORMATS)})", "--format")
    unknown = [t for t in tables if t not in TABLES]
    if unknown:
        raise PolyevalError(
            f"unknown table '{unknown[0]}' (one of: {', '.join(TABLES)})", where="--table"
        )
    return list(dict.fromkeys(tables)) or list(TABLES)


def export_runs(
    run_dirs: Sequence[Path], fmt: str, out: Path, tables: Sequence[str] = ()
) -> list[Written]:
    """Write the chosen tables of the runs (all tables where none is named) into `out`."""
    chosen = check_choices(fmt, tables)
    _check_folder(out)
    runs = list(dict.fromkeys(path.resolve() for path in run_dirs))
    written = []
    for table in chosen:
        frame = load_table(runs, table)
        path = out / f"{table}.{FORMATS[fmt]}"
        _write(frame, path, fmt)
        written.append(Written(table, path, len(frame), len(runs)))
    return written


def load_table(run_dirs: Sequence[Path], table: str) -> Frame:
    """One table of several runs, stacked, with `run` and `model` columns first."""
    pd = _pandas()
    frames = []
    for run_dir in run_dirs:
        folder = open_run(run_dir)
        frame = _frame(_records(folder, table), table)
        run, model = folder.manifest.run_id, folder.manifest.model_name or None
        frame.insert(0, "model", model)
        frame.insert(0, "run", run)
        frames.append(frame)
    found = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return _tidy(found)


def read_table(path: Path, fmt: str) -> Frame:
    """A table written by `export_runs`, read back (JSON values as written: no type guessing)."""
    pd = _pandas()
    if fmt == "csv":
        return _map_text(pd.read_csv(path), restored)
    if fmt == "parquet":
        return pd.read_parquet(path)
    return pd.DataFrame.from_records(json.loads(path.read_text(encoding="utf-8")))


def _records(folder: RunFolder, table: str) -> list[dict[str, Any]]:
    if table == "scores":
        return [r.as_json() for r in folder.scores()]
    if table == "gaps":
        return [r.as_json() for r in folder.gaps()]
    if table == "summary":
        found = folder.summary()
        if found is None:
            found = summarize(folder.samples(), folder.scores())
        return [r.as_json() for r in found]
    return [r.as_json() for r in folder.samples()]


def _frame(records: list[dict[str, Any]], table: str) -> Frame:
    pd = _pandas()
    if table != "samples":
        return pd.DataFrame.from_records(records)
    flat = [{**r, "prompt": _json_text(r.get("prompt"))} for r in records]
    return pd.json_normalize(flat, sep=".")


def _tidy(frame: Frame) -> Frame:
    """Columns every format can hold: lists and objects as JSON text, and a column whose
    values are of several kinds (numbers and text) as text."""
    for name in frame.columns:
        column = frame[name]
        if column.dtype != object:
            continue
        present = column.dropna()
        if present.map(lambda v: isinstance(v, list | dict | tuple)).any():
            frame[name] = column.map(lambda v: _json_text(v) if v is not None else None)
        elif len({type(v) for v in present}) > 1:
            frame[name] = column.map(lambda v: str(v) if v is not None else None)
    return frame


def _json_text(value: Any) -> Any:
    if isinstance(value, list | dict | tuple):
        return json.dumps(value, ensure_ascii=False)
    return value


def _check_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise PolyevalError("is a file, not a folder", where=str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PolyevalError(f"cannot create the folder: {exc.strerror}", where=str(out)) from None
    if not os.access(out, os.W_OK):
        raise PolyevalError("folder is not writable", where=str(out))


def _write(frame: Frame, path: Path, fmt: str) -> None:
    writers: dict[str, Callable[[Path], Any]] = {
        "csv": lambda p: _map_text(frame, neutralised).to_csv(p, index=False),
        "parquet": lambda p: frame.to_parquet(p, index=False),
        "json": lambda p: p.write_text(_json_records(frame), encoding="utf-8"),
    }
    if fmt == "parquet" and find_spec("pyarrow") is None:
        raise PolyevalError("Parquet needs pyarrow: pip install pyarrow")
    for leftover in leftovers.stale(path, ["."]):  # of exports killed before their rename
        leftovers.remove(leftover)
    tmp = leftovers.staged(path, ".", ".tmp")  # then renamed: never half a file
    try:
        writers[fmt](tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise PolyevalError(f"cannot write: {exc.strerror or exc}", where=str(path)) from None
    finally:
        tmp.unlink(missing_ok=True)


def _map_text(frame: Frame, cell: Callable[[Any], Any]) -> Frame:
    """A copy of the frame with `cell` applied to its text columns' values."""
    types = _pandas().api.types
    mapped = frame.copy()
    for name in mapped.columns:
        if types.is_object_dtype(mapped[name]) or types.is_string_dtype(mapped[name]):
            mapped[name] = mapped[name].map(cell)
    return mapped


def _json_records(frame: Frame) -> str:
    """JSON records as json writes them (pandas' own writer escapes every '/'); null for
    missing values."""
    plain = frame.astype(object).where(frame.notna(), None)
    records = plain.to_dict(orient="records")
    return json.dumps(records, ensure_ascii=False, indent=1, default=_scalar) + "\n"


def _scalar(value: Any) -> Any:
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _pandas() -> Any:
    import pandas  # type: ignore[import-untyped,unused-ignore]

    return pandas
