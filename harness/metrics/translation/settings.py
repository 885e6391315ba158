"""The sacrebleu settings of each corpus metric for a target language.

chrF++ is the same everywhere (character 6-grams, word 2-grams, beta 2). BLEU's tokenizer and
TER's options come from translation.yaml, next to this module: the row of the target's ISO 639-3
code, else the row of its ISO 15924 script, else the default. The table is checked when first
read; a bad row is a PolyevalError naming its file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sacrebleu.metrics.bleu import BLEU

from harness.errors import PolyevalError
from harness.languages import get_language, is_known
from harness.metrics.registry import computed_by
from harness.yamlfile import line_of, load_yaml

CORPUS_METRICS: tuple[str, ...] = computed_by("corpus")
"""chrf is chrF++ (character 6-grams and word 2-grams), the primary metric; bleu, ter (the
registry, harness.metrics.registry, lists them)."""

SETTINGS_PATH = Path(__file__).with_name("translation.yaml")

MetricSettings = dict[str, dict[str, object]]
"""sacrebleu keyword arguments by metric name."""

_CHRF_SETTINGS: dict[str, object] = {"char_order": 6, "word_order": 2, "beta": 2}
_ROW_KEYS = {"bleu_tokenize": str, "ter_normalized": bool, "ter_asian_support": bool}
_SECTIONS = ("languages", "scripts")
_CODE = re.compile(r"([a-z]{3})_([A-Z][a-z]{3})")


@dataclass(frozen=True)
class Table:
    """translation.yaml, checked: the default row and the rows by language and by script."""

    default: dict[str, object]
    languages: dict[str, dict[str, object]]
    scripts: dict[str, dict[str, object]]


@cache
def load_table(path: Path = SETTINGS_PATH) -> Table:
    """The checked table at `path` (read once)."""
    data, node = load_yaml(path)
    if not isinstance(data, dict) or set(data) != {"default", *_SECTIONS}:
        raise PolyevalError("expected the sections default, languages and scripts", where=str(path))
    sections = {section: _section(data, section, path, node) for section in _SECTIONS}
    default = _row(data["default"], path, node, ["default"])
    missing = set(_ROW_KEYS) - set(default)
    if missing:
        where = f"{path}:{line_of(node, ['default'])}"
        raise PolyevalError(f"default must set {', '.join(sorted(missing))}", where=where)
    return Table(default, sections["languages"], sections["scripts"])


def _section(
    data: dict[str, Any], section: str, path: Path, node: Any
) -> dict[str, dict[str, object]]:
    """The checked rows of one section (languages or scripts) by key."""
    rows = data[section] or {}
    if not isinstance(rows, dict):
        raise PolyevalError(
            f"'{section}' must be a mapping", where=f"{path}:{line_of(node, [section])}"
        )
    return {str(key): _row(row, path, node, [section, key]) for key, row in rows.items()}


def _row(row: object, path: Path, node: Any, loc: list[str]) -> dict[str, object]:
    """One row, checked: known settings with values of the right type, a known tokenizer."""
    where = f"{path}:{line_of(node, loc)}"
    if not isinstance(row, dict):
        raise PolyevalError(f"'{loc[-1]}' must map settings to values", where=where)
    for key, value in row.items():
        kind = _ROW_KEYS.get(key)
        if kind is None:
            raise PolyevalError(
                f"unknown setting '{key}' (known: {', '.join(_ROW_KEYS)})", where=where
            )
        if not isinstance(value, kind):
            raise PolyevalError(f"'{key}' must be a {kind.__name__}", where=where)
    tokenizer = row.get("bleu_tokenize")
    if tokenizer is not None and tokenizer not in BLEU.TOKENIZERS:
        known = ", ".join(BLEU.TOKENIZERS)
        raise PolyevalError(f"unknown BLEU tokenizer '{tokenizer}' (known: {known})", where=where)
    return dict(row)


def _split_code(code: str) -> tuple[str, str]:
    """(ISO 639-3 code, ISO 15924 script) of a code like zho_Hans or of a known alias."""
    match = _CODE.fullmatch(code)
    if match:
        return match.group(1), match.group(2)
    if is_known(code):
        language = get_language(code)
        return language.iso639_3, language.script
    raise PolyevalError(
        f"target language '{code}' is not a code like zho_Hans (ISO 639-3, '_', ISO 15924 script)"
    )


def metric_settings(target_language: str) -> MetricSettings:
    """The sacrebleu keyword args per metric for a target language (canonical code like
    'zho_Hans', 'jpn_Jpan', 'kor_Hang', 'tha_Thai', 'npi_Deva', 'eng_Latn'; an alias such as 'zh'
    that the language table knows is accepted too). The BLEU tokenizer and TER options come from
    translation.yaml: the language's row, else its script's row, else the default."""
    iso, script = _split_code(target_language)
    table = load_table()
    row = {**table.default, **table.scripts.get(script, {}), **table.languages.get(iso, {})}
    return {
        "chrf": dict(_CHRF_SETTINGS),
        "bleu": {"tokenize": row["bleu_tokenize"]},
        "ter": {"normalized": row["ter_normalized"], "asian_support": row["ter_asian_support"]},
    }
