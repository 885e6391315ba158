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
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StrictBool, StrictStr
from pydantic_core import PydanticCustomError
from sacrebleu.metrics.bleu import BLEU

from harness.errors import PolyevalError
from harness.languages import get_language, is_known
from harness.metrics.registry import computed_by
from harness.schema import Problem, describe_field, did_you_mean, load_model

CORPUS_METRICS: tuple[str, ...] = computed_by("corpus")
"""chrf is chrF++ (character 6-grams and word 2-grams), the primary metric; bleu, ter (the
registry, harness.metrics.registry, lists them)."""

SETTINGS_PATH = Path(__file__).with_name("translation.yaml")

MetricSettings = dict[str, dict[str, object]]
"""sacrebleu keyword arguments by metric name."""

_CHRF_SETTINGS: dict[str, object] = {"char_order": 6, "word_order": 2, "beta": 2}
_CODE = re.compile(r"([a-z]{3})_([A-Z][a-z]{3})")
_NOT_SECTIONS = "expected the sections default, languages and scripts"


def _tokenizer(value: str) -> str:
    if value not in BLEU.TOKENIZERS:
        known = ", ".join(BLEU.TOKENIZERS)
        raise PydanticCustomError(
            "tokenizer",
            "unknown BLEU tokenizer '{value}' (known: {known})",
            {"value": value, "known": known},
        )
    return value


Tokenizer = Annotated[StrictStr, AfterValidator(_tokenizer)]


class _Row(BaseModel):
    """A row of the languages or scripts section: the settings it changes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bleu_tokenize: Tokenizer | None = None
    ter_normalized: StrictBool | None = None
    ter_asian_support: StrictBool | None = None

    def settings(self) -> dict[str, object]:
        """The settings the row gives, by name."""
        return self.model_dump(exclude_none=True)


class _Default(_Row):
    """The default row: every setting."""

    bleu_tokenize: Tokenizer
    ter_normalized: StrictBool
    ter_asian_support: StrictBool


def _empty_is_none(value: object) -> object:
    return {} if value is None else value


_Section = Annotated[dict[str, _Row], BeforeValidator(_empty_is_none)]


class _File(BaseModel):
    """translation.yaml as written."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: _Default
    languages: _Section
    scripts: _Section


@dataclass(frozen=True)
class Table:
    """translation.yaml, checked: the default row and the rows by language and by script."""

    default: dict[str, object]
    languages: dict[str, dict[str, object]]
    scripts: dict[str, dict[str, object]]


@cache
def load_table(path: Path = SETTINGS_PATH) -> Table:
    """The checked table at `path` (read once)."""
    data = load_model(path, _File, not_mapping=_NOT_SECTIONS, describe=_describe)
    return Table(
        data.default.settings(),
        {key: row.settings() for key, row in data.languages.items()},
        {key: row.settings() for key, row in data.scripts.items()},
    )


def _describe(problem: Problem) -> str:
    """An unknown key of a row is an unknown setting; the tokenizer check says what it is."""
    if problem.kind == "extra_forbidden" and problem.parent in (_Row, _Default):
        key = str(problem.loc[-1])
        return f"unknown setting '{key}'{did_you_mean(key, problem.known())}"
    if problem.kind == "tokenizer":
        return problem.msg
    return describe_field(problem)


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
