"""The one language table: codes, aliases, names and resource tiers, read from languages.tsv.

Canonical codes are ISO 639-3 + "_" + ISO 15924 script, as FLORES-200 and Belebele spell them
(``urd_Arab``). Aliases (``ur``, ``urd``) resolve to one row each.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from harness.errors import PolyevalError

TIERS: tuple[str, ...] = ("high", "mid", "low")
"""Joshi et al. (2020) classes 4-5, 3 and 0-2."""

_TABLE_PATH = Path(__file__).with_name("languages.tsv")
_TABLE_NAME = "harness/languages.tsv"
_COLUMNS = ("code", "iso639_3", "script", "aliases", "name", "native_name", "tier")
_ISO639_3 = re.compile(r"[a-z]{3}")
_SCRIPT = re.compile(r"[A-Z][a-z]{3}")
_ALIAS = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    iso639_3: str
    script: str
    aliases: tuple[str, ...]
    name: str
    native_name: str
    tier: str


@dataclass(frozen=True, slots=True)
class _Table:
    languages: tuple[Language, ...]
    index: dict[str, Language]  # lower-cased code or alias -> row


def _key(code: str) -> str:
    return code.strip().replace("-", "_").lower()


def _row_problem(fields: list[str]) -> str | None:
    """What is wrong with one data row, or None."""
    if len(fields) != len(_COLUMNS):
        return (
            f"expected {len(_COLUMNS)} tab-separated columns ({', '.join(_COLUMNS)}), "
            f"found {len(fields)}"
        )
    code, iso639_3, script, alias_field, name, native_name, tier = fields
    if not _ISO639_3.fullmatch(iso639_3):
        return f"iso639_3 '{iso639_3}' is not three lower-case letters"
    if not _SCRIPT.fullmatch(script):
        return f"script '{script}' is not a four-letter ISO 15924 code like Arab"
    if code != f"{iso639_3}_{script}":
        return f"code '{code}' should be {iso639_3}_{script} (iso639_3, '_', script)"
    if tier not in TIERS:
        return f"tier '{tier}' is not one of {', '.join(TIERS)}"
    if not name or not native_name:
        return f"{code}: name and native_name must not be empty"
    for alias in alias_field.split(",") if alias_field else ():
        if not _ALIAS.fullmatch(alias.strip()):
            return f"alias '{alias}' is not a two- or three-letter lower-case code"
    return None


def _load(path: Path = _TABLE_PATH) -> _Table:
    """Parse and check a language table; errors name the file and line."""
    shown = _TABLE_NAME if path == _TABLE_PATH else str(path)
    languages: list[Language] = []
    index: dict[str, Language] = {}
    first_line: dict[str, int] = {}
    header_seen = False
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        for row in reader:
            line = reader.line_num
            where = f"{shown}:{line}"
            if not "".join(row).strip() or row[0].startswith("#"):
                continue
            fields = [field.strip() for field in row]
            if not header_seen:
                if tuple(fields) != _COLUMNS:
                    raise PolyevalError(f"header must be: {' '.join(_COLUMNS)}", where=where)
                header_seen = True
                continue
            problem = _row_problem(fields)
            if problem is not None:
                raise PolyevalError(problem, where=where)
            code, iso639_3, script, alias_field, name, native_name, tier = fields
            aliases = tuple(a.strip() for a in alias_field.split(",")) if alias_field else ()
            language = Language(code, iso639_3, script, aliases, name, native_name, tier)
            for key in (code, *aliases):
                lowered = key.lower()
                if lowered in index:
                    what = "code" if key == code else "alias"
                    raise PolyevalError(
                        f"duplicate {what} '{key}' (already used by {index[lowered].code} "
                        f"on line {first_line[lowered]})",
                        where=where,
                    )
                index[lowered] = language
                first_line[lowered] = line
            languages.append(language)
    if not header_seen:
        raise PolyevalError("no header row", where=shown)
    return _Table(tuple(languages), index)


@functools.cache
def _table() -> _Table:
    return _load()


def all_languages() -> tuple[Language, ...]:
    """Every language in table order."""
    return _table().languages


def get_language(code: str) -> Language:
    """The row for a canonical code (script case ignored) or an alias such as ``ur``/``urd``."""
    language = _table().index.get(_key(code))
    if language is None:
        raise PolyevalError(
            f"unknown language '{code}'; codes look like urd_Arab or ur "
            "— `evaluate languages` lists them"
        )
    return language


def resolve_language(code: str) -> str:
    """The canonical code (``urd_Arab``) for any accepted spelling."""
    return get_language(code).code


def is_known(code: str) -> bool:
    return _key(code) in _table().index
