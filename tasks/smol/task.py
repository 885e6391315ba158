"""SMOL: a SmolSent row holds one translation pair, its source text `src` in language `sl` and
its translation `trg` in language `tl`; each goes under its language's code, the column the
task reads (`text: "{code}"`)."""

from __future__ import annotations

from typing import Any

from harness.errors import SkipRow


def process_record(record: dict[str, Any], language: str) -> dict[str, Any]:
    missing = [key for key in ("sl", "tl", "src", "trg") if key not in record]
    if missing:
        raise SkipRow(f"not a SmolSent row (no {', '.join(missing)})")
    return {**record, str(record["sl"]): record["src"], str(record["tl"]): record["trg"]}
