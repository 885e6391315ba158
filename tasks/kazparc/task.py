"""KazParC: a row of a pair's file holds the text in the pair's first language (`source_lang`)
and in its second (`target_lang`), the pair named in `pair` ("kk_en"); each text goes under its
language's code, the column the task reads (`text: "{code}"`)."""

from __future__ import annotations

from typing import Any

from harness.errors import SkipRow


def process_record(record: dict[str, Any], language: str) -> dict[str, Any]:
    first, _, second = str(record.get("pair", "")).partition("_")
    if not first or not second or "source_lang" not in record or "target_lang" not in record:
        raise SkipRow("not a KazParC pair row (pair, source_lang, target_lang)")
    return {**record, first: record["source_lang"], second: record["target_lang"]}
