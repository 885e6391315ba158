"""LCB hooks: each row's setting and language code from its file's path.

The prompt files are `test_sets/{setting}/{source folder}/{code}.csv`; `process_record` adds
`setting` (monolingual or crosslingual) and `code` (the file name's language code, which the
sample id uses) to the row, for the id pattern and the `setting` breakdown, and `reference`, a
fluent reply in the language from reference.tsv: LCB has no gold answer, so this placeholder is
what baseline:reference answers (and it passes line_pass).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from harness.errors import PolyevalError

SETTINGS = ("monolingual", "crosslingual")


def process_record(record: dict[str, Any], language: str) -> dict[str, Any]:
    path = PurePosixPath(str(record.get("_file", "")))
    setting = path.parts[-3] if len(path.parts) >= 3 else ""
    if setting not in SETTINGS:
        raise PolyevalError(
            f"an LCB prompt file lies in {SETTINGS[0]}/ or {SETTINGS[1]}/, not in {path.parent}"
        )
    return {**record, "setting": setting, "code": path.stem, "reference": references()[path.stem]}


@cache
def references() -> dict[str, str]:
    """Language code -> a fluent reply (reference.tsv)."""
    text = (Path(__file__).parent / "reference.tsv").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return {code: reply for code, reply in rows}
