"""`evaluate show` and `compare` for scripts (`--format json|csv`): the rows their tables show,
complete and untruncated, on standard output, whatever the terminal's width.

JSON is a list of records; CSV has a header and one line per record, in the same columns. Both
hold every field of a row (null / an empty cell where it has none), numbers in full precision
as fractions, as the run's files hold them (the tables show points). In CSV, text a spreadsheet
would run as a formula is neutralised as `evaluate export` does (harness.csv_safety).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

from harness.csv_safety import neutralised
from harness.record import ScoreRecord

if TYPE_CHECKING:
    from harness.analysis.compare import Comparison


def scores_as(fmt: str, records: Sequence[ScoreRecord]) -> str:
    """Score records with every field; a cell with no answer judged (n 0: language
    consistency where every answer was `und`) has no value."""
    rows = []
    for record in records:
        row = record.model_dump(mode="json")
        if record.n == 0:
            row["value"] = None
        rows.append(row)
    return rendered(rows, fmt, list(ScoreRecord.model_fields))


def comparisons_as(fmt: str, comparisons: Sequence[Comparison]) -> str:
    from harness.analysis.compare import Comparison  # its metrics: loaded where compared

    names = [f.name for f in fields(Comparison)]
    return rendered([asdict(c) for c in comparisons], fmt, names)


def rendered(rows: list[dict[str, Any]], fmt: str, names: Sequence[str]) -> str:
    """The rows as JSON records or CSV (a header of `names`, then one line per row)."""
    if fmt == "json":
        return json.dumps(rows, indent=1, ensure_ascii=False) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(names), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: neutralised(row.get(name)) for name in names})
    return out.getvalue()
