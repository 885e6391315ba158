"""Per-language literals ("Question", "The answer is", digits, separators, instructions).

One table, `prompts/literals.yaml`, lets a single template serve every language and drives the
answer parsers. eng_Latn defines every key; another language may omit keys and then gets
eng_Latn's value, except the number-format keys, which default to ASCII conventions, and the
keys in LOCAL_DEFAULTS (a language's own ways of stating and labelling an answer), which default
to none: the parsers read each language's together with English's.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from harness.errors import PolyevalError
from harness.paths import PROMPTS_DIR
from harness.yamlfile import line_of, load_yaml

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


def default_table_path() -> Path:
    return PROMPTS_DIR / "literals.yaml"


def get_literals(language: str, table_path: Path | None = None) -> Literals:
    """The literals for `language`; an unknown language gets eng_Latn's values (logged once)."""
    return _get(language, table_path or default_table_path())


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
    try:
        data, root = load_yaml(path)
    except PolyevalError as exc:  # name the file the way users know it
        where = exc.where.replace(str(path), shown, 1) if exc.where else shown
        raise PolyevalError(exc.message, where=where) from None
    _check_keys(data, root, shown)
    rows: dict[str, dict[str, Any]] = data
    reference = rows.get(REFERENCE_LANGUAGE)
    if reference is None:
        raise PolyevalError(f"no {REFERENCE_LANGUAGE} row: it defines every key", where=shown)
    missing = [key for key in KEYS if key not in reference and key not in LOCAL_DEFAULTS]
    if missing:
        where = _where(shown, root, [REFERENCE_LANGUAGE])
        raise PolyevalError(f"{REFERENCE_LANGUAGE} must define every key; missing {missing}", where)
    return {lang: _build(lang, row or {}, reference, root, shown) for lang, row in rows.items()}


def _build(
    language: str,
    row: dict[str, Any],
    reference: dict[str, Any],
    root: yaml.Node | None,
    shown: str,
) -> Literals:
    fallback = {**reference, **ASCII_DEFAULTS} if language != REFERENCE_LANGUAGE else {}
    fallback.update(LOCAL_DEFAULTS)
    try:
        return Literals.model_validate({**fallback, **row, "language": language})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else ""
        loc = [language, field] if field in row else [language]
        message = f"{language}.{field}: {error['msg']}" if field else f"{language}: {error['msg']}"
        raise PolyevalError(message, where=_where(shown, root, loc)) from None


def _check_keys(data: Any, root: yaml.Node | None, shown: str) -> None:
    """The file is a mapping of language -> mapping of known keys, each key given once."""
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        raise PolyevalError("expected a mapping of language codes to literals", where=shown)
    seen: set[str] = set()
    for key_node, value_node in root.value:
        language = str(key_node.value)
        line = key_node.start_mark.line + 1
        if language in seen:
            raise PolyevalError(f"language {language} is given twice", where=f"{shown}:{line}")
        seen.add(language)
        if isinstance(value_node, yaml.MappingNode):
            _check_row(language, value_node, shown)
        elif data[language] is not None:
            raise PolyevalError(f"{language}: expected a mapping of keys", where=f"{shown}:{line}")


def _check_row(language: str, node: yaml.MappingNode, shown: str) -> None:
    seen: set[str] = set()
    for key_node, _ in node.value:
        key = str(key_node.value)
        where = f"{shown}:{key_node.start_mark.line + 1}"
        if key in seen:
            raise PolyevalError(f"{language}: key {key!r} is given twice", where=where)
        seen.add(key)
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(KEYS)}"
            raise PolyevalError(f"{language}: unknown key {key!r}{hint}", where=where)


def _where(shown: str, root: yaml.Node | None, loc: list[str]) -> str:
    line = line_of(root, loc)
    return f"{shown}:{line}" if line is not None else shown


def _shown(path: Path) -> str:
    """`prompts/literals.yaml` for the built-in table, the path as given otherwise."""
    try:
        return path.resolve().relative_to(PROMPTS_DIR.resolve().parent).as_posix()
    except ValueError:
        return str(path)
