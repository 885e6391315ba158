"""Per-language literals ("Question", "The answer is", digits, separators, instructions).

One table, `prompts/literals.yaml`, lets a single template serve every language and drives the
answer parsers. eng_Latn defines every key; another language may omit keys and then gets
eng_Latn's value, except the number-format keys, which default to ASCII conventions, and the
keys in LOCAL_DEFAULTS (a language's own ways of stating and labelling an answer), which default
to none: the parsers read each language's together with English's.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    RootModel,
    field_validator,
    model_validator,
)

from harness.errors import PolyevalError
from harness.paths import PROMPTS_DIR
from harness.schema import (
    Loc,
    Problem,
    Where,
    at_line,
    describe_field,
    did_you_mean,
    read_model,
    validate,
)

REFERENCE_LANGUAGE = "eng_Latn"
# Number-format keys do not inherit English: a missing value means the ASCII convention.
ASCII_DEFAULTS: dict[str, str] = {
    "digits": "0123456789",
    "decimal_separator": ".",
    "thousands_separator": ",",
}
# Keys that belong to one language only: a missing value means none, never English's.
LOCAL_DEFAULTS: dict[str, object] = {
    "native_labels": (),
    "copulas": (),
    "hedges": (),
    "option_words": (),
    "ordinals": (),
    "thousands_also": (),
}

_NOT_MAPPING = "expected a mapping of language codes to literals"

_log = logging.getLogger(__name__)


class Literals(BaseModel):
    """One language's merged row of the literals table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    language: str
    question: str
    answer: str
    passage: str
    options: str
    step_by_step_answer: str
    the_answer_is: str
    answer_words: tuple[str, ...]
    choice_labels: tuple[str, ...]
    native_labels: tuple[str, ...] = ()  # the script's own option labels, read but never shown
    copulas: tuple[str, ...] = ()  # what states an answer word's value ("lautet", "should be")
    hedges: tuple[str, ...] = ()  # what states a choice with doubt ("probably B")
    option_words: tuple[str, ...] = ()  # nouns for an option next to a label or ordinal
    ordinals: tuple[tuple[str, ...], ...] = ()  # per position, the words for first, second...
    digits: str
    decimal_separator: str
    thousands_separator: str
    thousands_also: tuple[str, ...] = ()  # other marks the language groups thousands with
    colon: str
    full_stop: str
    mcq_instruction: str
    cot_instruction: str
    direct_instruction: str

    @field_validator("the_answer_is")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("answer_words", "copulas", "hedges", "option_words")
    @classmethod
    def _words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not word.strip() for word in value):
            raise ValueError("words must not be empty")
        return value

    @field_validator("ordinals")
    @classmethod
    def _ordinals(cls, value: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        if any(not forms or any(not form.strip() for form in forms) for forms in value):
            raise ValueError("each position needs at least one non-empty word")
        return value

    @field_validator("choice_labels")
    @classmethod
    def _labels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or any(not label.strip() for label in value):
            raise ValueError("needs at least one non-empty label")
        if len(set(value)) != len(value):
            raise ValueError("labels must be distinct")
        return value

    @field_validator("native_labels")
    @classmethod
    def _native(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not label.strip() or label != label.strip() for label in value):
            raise ValueError("labels must be non-empty and have no surrounding spaces")
        if len(set(value)) != len(value):
            raise ValueError("labels must be distinct")
        return value

    @field_validator("digits")
    @classmethod
    def _ten_digits(cls, value: str) -> str:
        if len(value) != 10 or len(set(value)) != 10:
            raise ValueError("must be the 10 distinct digit characters for 0-9")
        return value

    @model_validator(mode="after")
    def _separators(self) -> Literals:
        if not self.decimal_separator or self.decimal_separator == self.thousands_separator:
            raise ValueError("decimal_separator must be set and differ from thousands_separator")
        if self.decimal_separator in self.thousands_also:
            raise ValueError("thousands_also must not hold the decimal_separator")
        return self

    def as_template_vars(self) -> dict[str, object]:
        """What templates see as `lit`."""
        return self.model_dump()


KEYS: tuple[str, ...] = tuple(name for name in Literals.model_fields if name != "language")


class _Row(BaseModel):
    """One row of the table as written: any of the keys (Literals checks the merged row)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question: str | None = None
    answer: str | None = None
    passage: str | None = None
    options: str | None = None
    step_by_step_answer: str | None = None
    the_answer_is: str | None = None
    answer_words: tuple[str, ...] | None = None
    choice_labels: tuple[str, ...] | None = None
    native_labels: tuple[str, ...] | None = None
    copulas: tuple[str, ...] | None = None
    hedges: tuple[str, ...] | None = None
    option_words: tuple[str, ...] | None = None
    ordinals: tuple[tuple[str, ...], ...] | None = None
    digits: str | None = None
    decimal_separator: str | None = None
    thousands_separator: str | None = None
    thousands_also: tuple[str, ...] | None = None
    colon: str | None = None
    full_stop: str | None = None
    mcq_instruction: str | None = None
    cot_instruction: str | None = None
    direct_instruction: str | None = None


class _Table(RootModel[dict[str, _Row | None]]):
    """The table as written: language code -> its row (empty rows allowed)."""


DEFAULT_TABLE = PROMPTS_DIR / "literals.yaml"  # one Path: looked up for every prompt


def default_table_path() -> Path:
    return DEFAULT_TABLE


def get_literals(language: str, table_path: Path | None = None) -> Literals:
    """The literals for `language`; an unknown language gets eng_Latn's values (logged once)."""
    return _get(language, table_path or DEFAULT_TABLE)


def table_languages(table_path: Path | None = None) -> tuple[str, ...]:
    """The languages the table has a row for, in file order."""
    return tuple(_load_table(table_path or default_table_path()))


def literals_table_hash(language: str, table_path: Path | None = None) -> str:
    """sha256 of the language's merged row, for run provenance."""
    row = get_literals(language, table_path).model_dump(mode="json")
    blob = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@lru_cache(maxsize=512)
def _get(language: str, path: Path) -> Literals:
    table = _load_table(path)
    if language in table:
        return table[language]
    _log.debug("no literals for %s in %s: using %s", language, path, REFERENCE_LANGUAGE)
    return table[REFERENCE_LANGUAGE].model_copy(update={"language": language})


@lru_cache(maxsize=16)
def _load_table(path: Path) -> dict[str, Literals]:
    shown = _shown(path)
    table, root = read_model(
        path, _Table, shown=shown, not_mapping=_NOT_MAPPING, describe=_describe
    )
    where = at_line(shown, root)
    _check_twice(root, shown)
    rows = {
        lang: row.model_dump(exclude_unset=True) if row else {} for lang, row in table.root.items()
    }
    reference = rows.get(REFERENCE_LANGUAGE)
    if reference is None:
        raise PolyevalError(f"no {REFERENCE_LANGUAGE} row: it defines every key", where=shown)
    missing = [key for key in KEYS if key not in reference and key not in LOCAL_DEFAULTS]
    if missing:
        where_ = where((REFERENCE_LANGUAGE,))
        raise PolyevalError(
            f"{REFERENCE_LANGUAGE} must define every key; missing {missing}", where_
        )
    return {lang: _build(lang, row, reference, where) for lang, row in rows.items()}


def _build(language: str, row: dict[str, Any], reference: dict[str, Any], where: Where) -> Literals:
    """The language's row merged over its fallbacks, checked as a whole."""
    fallback = {**reference, **ASCII_DEFAULTS} if language != REFERENCE_LANGUAGE else {}
    fallback.update(LOCAL_DEFAULTS)

    def place(loc: Loc) -> str:  # the key where the row gives it, else the row
        return where((language, loc[0]) if loc and loc[0] in row else (language,))

    def describe(problem: Problem) -> str:
        field = str(problem.loc[0]) if problem.loc else ""
        return f"{language}.{field}: {problem.msg}" if field else f"{language}: {problem.msg}"

    return validate(Literals, {**fallback, **row, "language": language}, place, describe)


def _describe(problem: Problem) -> str:
    """A row's problem named by its language: an unknown key with the key it misspells."""
    language = problem.loc[0] if problem.loc else ""
    if problem.kind == "extra_forbidden":
        key = str(problem.loc[-1])
        hint = did_you_mean(key, KEYS) or f"; known keys: {', '.join(KEYS)}"
        return f"{language}: unknown key {key!r}{hint}"
    if len(problem.loc) == 1:
        return f"{language}: expected a mapping of keys"
    if len(problem.loc) > 1:
        return f"{language}.{problem.loc[1]}: {problem.msg}"
    return describe_field(problem)


def _check_twice(root: yaml.Node | None, shown: str) -> None:
    """Each language, and each key of a row, is given once (YAML would keep the last)."""
    if not isinstance(root, yaml.MappingNode):
        return
    _once(root, shown, "language {} is given twice")
    for key_node, value_node in root.value:
        if isinstance(value_node, yaml.MappingNode):
            _once(value_node, shown, f"{key_node.value}: key {{!r}} is given twice")


def _once(node: yaml.MappingNode, shown: str, message: str) -> None:
    """`message` (its {} the key) for the first key of `node` given a second time, at that
    line."""
    seen: set[str] = set()
    for key_node, _ in node.value:
        key = str(key_node.value)
        if key in seen:
            raise PolyevalError(
                message.format(key), where=f"{shown}:{key_node.start_mark.line + 1}"
            )
        seen.add(key)


def _shown(path: Path) -> str:
    """`prompts/literals.yaml` for the built-in table, the path as given otherwise."""
    try:
        return path.resolve().relative_to(PROMPTS_DIR.resolve().parent).as_posix()
    except ValueError:
        return str(path)
