"""XNLI hooks: the gold relation as an option index, the three relation names in the row's
language as the item's options, and the split the row comes from (part of its parallel id)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.samples import SkipRow
from harness.task_literals import task_literals

FOLDER = Path(__file__).resolve().parent
RELATIONS = ("entailment", "neutral", "contradiction")  # hub label ids 0, 1, 2; options A, B, C
# the label as the XTREME files spell it, as the hub stores it, and MultiNLI's variant spelling
_GOLD = {
    **{name: i for i, name in enumerate(RELATIONS)},
    **{str(i): i for i in range(3)},
    "contradictory": 2,
}
NO_LABEL = "no gold label (not entailment, neutral or contradiction)"


def process_record(record: dict[str, Any], language: str) -> dict[str, Any]:
    gold = _GOLD.get(str(record.get("label", "")).strip().lower())
    if gold is None:  # the hub marks unlabelled rows -1
        raise SkipRow(NO_LABEL)
    words = task_literals(FOLDER, language)
    return {
        **record,
        "gold_index": gold,
        "split": split_of(record),
        **{f"label_{name}": words[name] for name in RELATIONS},
    }


def split_of(record: dict[str, Any]) -> str:
    """`dev` or `test`: rows of different splits must never pair up in a gap. A local file
    says it in its name (dev-ur.tsv, ur/validation.jsonl); hub rows are the test split."""
    name = Path(str(record.get("_file", ""))).name.lower()
    if not name:
        return "test"
    if name.startswith(("dev", "valid")) or ".dev" in name or "validation" in name:
        return "dev"
    if "test" in name:
        return "test"
    return Path(name).stem
