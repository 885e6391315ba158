"""The data behind language identification, read and checked once: the Unicode ranges of scripts
(scripts.tsv) and what is known about languages and scripts (langid.yaml). Errors name the file
and line."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from harness.errors import PolyevalError
from harness.languages import all_languages
from harness.schema import Loc, Problem, at_line, describe_field, read_model

SCRIPTS_PATH = Path(__file__).with_name("scripts.tsv")
DATA_PATH = Path(__file__).with_name("langid.yaml")
INHERITED = "Zinh"
"""The scripts.tsv row of combining marks (and ZWNJ/ZWJ) that continue a word of any script."""

_SCRIPT_COLUMNS = ("script", "name", "weight", "per_word", "ranges")
_SCRIPT = re.compile(r"[A-Z][a-z]{3}")
_CODE = re.compile(r"[a-z]{3}_[A-Z][a-z]{3}")
_RANGE = re.compile(r"([0-9A-F]{4,6})(?:-([0-9A-F]{4,6}))?")


@dataclass(frozen=True)
class Script:
    code: str  # ISO 15924
    name: str
    weight: float  # letters one character is worth (a Han character: 3)
    per_word: float | None  # characters per word for scripts written without spaces
    ranges: tuple[tuple[int, int], ...]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _code(value: str) -> str:
    if not _CODE.fullmatch(value):
        raise PydanticCustomError(
            "language_code", "'{value}' is not a language code like urd_Arab", {"value": value}
        )
    return value


def _bar_key(value: str) -> str:
    return value if value == "default" else _code(value)


def _script_code(value: str) -> str:
    if not _SCRIPT.fullmatch(value):
        raise PydanticCustomError(
            "script_code", "'{value}' is not an ISO 15924 code", {"value": value}
        )
    return value


def _text(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("text", "must be a non-empty string")
    return value.strip()


Share = Annotated[float, Field(ge=0, le=1, strict=True)]
Letters = Annotated[float, Field(ge=0, le=1000, strict=True)]
Count = Annotated[int, Field(ge=0, le=100, strict=True)]
Positive = Annotated[int, Field(ge=1, le=100, strict=True)]
Code = Annotated[str, AfterValidator(_code)]
Text = Annotated[str, AfterValidator(_text)]
DETECTOR_KEYS = ("py3langid", "lid176")
Bars = dict[Annotated[str, AfterValidator(_bar_key)], Share]  # language or default -> bar


def _each_detector(value: dict[str, Any]) -> dict[str, Any]:
    if set(value) != set(DETECTOR_KEYS):
        raise PydanticCustomError(
            "detectors",
            "needs a row for each of {detectors}",
            {"detectors": ", ".join(DETECTOR_KEYS)},
        )
    return value


def _with_default(value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    for detector, bars in value.items():
        if "default" not in bars:
            raise PydanticCustomError(
                "default", "{detector} needs a default", {"detector": detector}
            )
    return value


PerDetector = Annotated[dict[str, Bars], AfterValidator(_each_detector)]


@dataclass(frozen=True)
class Evidence:
    """When a detector's ranking decides a verdict (`evidence` in langid.yaml)."""

    accept: float  # the expected language first with at least this: consistent
    reject: float  # another language first with at least this ...
    margin: float  # ... and this much more than the expected language: inconsistent
    short_words: int  # under this many words, a rejection needs `short_reject` instead
    short_reject: float
    below: float  # or another language first and the expected one under this: inconsistent


@dataclass(frozen=True)
class Thresholds:
    min_letters: float
    min_words: int
    script_min_letters: float
    script_min_words: int
    min_script_share: float
    mixed_script_share: float
    evidence: dict[str, Evidence]  # by detector: py3langid, lid176
    # by detector (py3langid, lid176): language (or "default") -> probability that rejects
    unknown_reject: dict[str, dict[str, float]]
    lid176_min_score: float


@dataclass(frozen=True)
class System:
    """A writing system of several Unicode scripts (Japanese: Han + kana)."""

    code: str
    name: str
    scripts: frozenset[str]
    markers: frozenset[str]  # the scripts whose share makes the system
    min_share: float


@dataclass(frozen=True)
class LetterGroup:
    min: int
    languages: dict[str, frozenset[str]]  # language -> its characteristic letters


@dataclass(frozen=True)
class LetterRules:
    default: str
    groups: tuple[LetterGroup, ...]
    # words a text needs before the absence of a language's letters speaks for or against it
    absence_words: int


@dataclass(frozen=True)
class Equivalence:
    languages: frozenset[str]
    note: str


class DetectorCode(_Row):
    code: Code
    name: Text


@dataclass(frozen=True)
class Tables:
    scripts: dict[str, Script]  # by ISO 15924 code, Zinh included
    thresholds: Thresholds
    script_aliases: dict[str, str]
    systems: dict[str, System]
    letters: dict[str, LetterRules]  # by system
    classes: dict[str, Equivalence]  # by member language
    unknown_near: dict[str, frozenset[str]]
    not_judged: dict[str, str]  # language -> why its verdicts are always "und"
    romanized: dict[str, str]  # romanized language -> the language in its own script
    romanized_note: str  # what a verdict on romanized text can tell
    # by detector: language (or "default", where there is one) -> probability that rejects
    romanized_reject: dict[str, dict[str, float]]
    detector_codes: dict[str, DetectorCode]
    also_written_in: dict[str, tuple[str, ...]]
    lid176_labels: frozenset[str]


@cache
def tables() -> Tables:
    """Both data files, checked."""
    scripts = _load_scripts(SCRIPTS_PATH)
    return _load_data(DATA_PATH, scripts)


# --- scripts.tsv ---------------------------------------------------------------------------------


def _load_scripts(path: Path) -> dict[str, Script]:
    shown = f"harness/langid/{path.name}" if path == SCRIPTS_PATH else str(path)
    scripts: dict[str, Script] = {}
    owner: list[tuple[int, int, str]] = []
    header_seen = False
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        for row in reader:
            where = f"{shown}:{reader.line_num}"
            if not "".join(row).strip() or row[0].startswith("#"):
                continue
            fields = [field.strip() for field in row]
            if not header_seen:
                if tuple(fields) != _SCRIPT_COLUMNS:
                    raise PolyevalError(f"header must be: {' '.join(_SCRIPT_COLUMNS)}", where=where)
                header_seen = True
                continue
            script = _script_row(fields, where)
            if script.code in scripts:
                raise PolyevalError(f"script {script.code} listed twice", where=where)
            for first, last in script.ranges:
                for other_first, other_last, other in owner:
                    if first <= other_last and other_first <= last:
                        raise PolyevalError(
                            f"{script.code} range {first:04X}-{last:04X} overlaps {other}'s",
                            where=where,
                        )
                owner.append((first, last, script.code))
            scripts[script.code] = script
    if INHERITED not in scripts:
        raise PolyevalError(f"the {INHERITED} row (combining marks) is missing", where=shown)
    return scripts


def _script_row(fields: list[str], where: str) -> Script:
    if len(fields) != len(_SCRIPT_COLUMNS):
        raise PolyevalError(
            f"expected {len(_SCRIPT_COLUMNS)} tab-separated columns "
            f"({', '.join(_SCRIPT_COLUMNS)}), found {len(fields)}",
            where=where,
        )
    code, name, weight_text, per_word_text, range_text = fields
    if not _SCRIPT.fullmatch(code):
        raise PolyevalError(f"script '{code}' is not a four-letter ISO 15924 code", where=where)
    try:
        weight = float(weight_text)
        per_word = float(per_word_text) if per_word_text else None
    except ValueError:
        raise PolyevalError(f"{code}: weight and per_word must be numbers", where=where) from None
    if weight < 0 or (per_word is not None and per_word <= 0):
        raise PolyevalError(f"{code}: weight must be >= 0 and per_word > 0", where=where)
    ranges: list[tuple[int, int]] = []
    for item in range_text.split():
        match = _RANGE.fullmatch(item)
        if match is None:
            raise PolyevalError(
                f"{code}: range '{item}' is not hexadecimal FIRST-LAST or one code point",
                where=where,
            )
        first = int(match.group(1), 16)
        last = int(match.group(2) or match.group(1), 16)
        if last < first or last > 0x10FFFF:
            raise PolyevalError(f"{code}: range '{item}' is empty or beyond Unicode", where=where)
        ranges.append((first, last))
    if not ranges:
        raise PolyevalError(f"{code}: no ranges", where=where)
    return Script(code, name, weight, per_word, tuple(ranges))


# --- langid.yaml ---------------------------------------------------------------------------------


class _System(_Row):
    name: Text
    scripts: list[str]
    markers: list[str]
    min_share: Share


class _Group(_Row):
    min: Positive
    languages: dict[Code, Text]  # language -> its characteristic letters


class _Letters(_Row):
    default: Code
    absence_words: Positive
    groups: list[_Group]


class _Noted(_Row):
    languages: list[Code]
    note: Text


class _Romanized(_Row):
    languages: dict[Code, Code]  # romanized language -> the language in its own script
    note: Text
    reject: PerDetector


class _Evidence(_Row):
    accept: Share
    reject: Share
    margin: Share
    short_words: Count
    short_reject: Share
    below: Share


class _Thresholds(_Row):
    min_letters: Letters
    min_words: Count
    script_min_letters: Letters
    script_min_words: Count
    min_script_share: Share
    mixed_script_share: Share
    evidence: Annotated[dict[str, _Evidence], AfterValidator(_each_detector)]
    unknown_reject: Annotated[PerDetector, AfterValidator(_with_default)]
    lid176_min_score: Share

    def thresholds(self) -> Thresholds:
        fields = dict(self)
        fields["evidence"] = {k: Evidence(**dict(v)) for k, v in self.evidence.items()}
        return Thresholds(**fields)


class _DataFile(_Row):
    """langid.yaml as written."""

    thresholds: _Thresholds
    script_aliases: dict[Annotated[str, AfterValidator(_script_code)], str]
    systems: dict[str, _System]
    letters: dict[str, _Letters]
    equivalent: list[_Noted]
    unknown_near: dict[Code, list[Code]]
    not_judged: list[_Noted]
    romanized: _Romanized
    detector_codes: dict[str, DetectorCode]
    also_written_in: dict[str, list[Code]]
    lid176_labels: Text


def _describe(problem: Problem) -> str:
    """This file's own checks say what is wrong with a value (naming the field where the value
    does not tell it); pydantic's name the field."""
    if problem.kind in ("language_code", "script_code"):
        return problem.msg
    if problem.kind in ("detectors", "default", "text"):
        return f"{problem.path}: {problem.msg}"
    return describe_field(problem)


def _load_data(path: Path, scripts: dict[str, Script]) -> Tables:
    shown = f"harness/langid/{path.name}" if path == DATA_PATH else str(path)
    data, node = read_model(path, _DataFile, shown=shown, describe=_describe)
    check = _Check(at_line(shown, node), scripts)
    aliases = {
        key: check.script(value, ("script_aliases", key))
        for key, value in data.script_aliases.items()
    }
    tables = Tables(
        scripts=scripts,
        thresholds=data.thresholds.thresholds(),
        script_aliases=aliases,
        systems={key: check.system(key, row) for key, row in data.systems.items()},
        letters={key: check.letters(key, row, aliases) for key, row in data.letters.items()},
        classes=check.classes(data.equivalent),
        unknown_near={key: frozenset(codes) for key, codes in data.unknown_near.items()},
        not_judged={code: row.note for row in data.not_judged for code in row.languages},
        romanized=check.romanized(data.romanized.languages),
        romanized_note=data.romanized.note,
        romanized_reject=data.romanized.reject,
        detector_codes=data.detector_codes,
        also_written_in={key: tuple(sorted(set(v))) for key, v in data.also_written_in.items()},
        lid176_labels=frozenset(data.lid176_labels.split()),
    )
    check.known(tables)
    return tables


class _Check:
    """What the schema cannot see: scripts of scripts.tsv, letters' scripts, languages.tsv."""

    def __init__(self, where: Callable[[Loc], str], scripts: dict[str, Script]) -> None:
        self.where = where
        self.scripts = scripts

    def fail(self, loc: Loc, message: str) -> PolyevalError:
        return PolyevalError(message, where=self.where(loc))

    def script(self, value: str, loc: Loc) -> str:
        if value not in self.scripts or value == INHERITED:
            raise self.fail(loc, f"'{value}' is not a script of scripts.tsv")
        return value

    def system(self, key: str, row: _System) -> System:
        loc = ("systems", key)
        members = frozenset(self.script(s, (*loc, "scripts")) for s in row.scripts)
        markers = frozenset(self.script(s, (*loc, "markers")) for s in row.markers)
        if not markers or not markers < members:
            raise self.fail(loc, f"{key}: markers must be some of its scripts")
        return System(key, row.name, members, markers, row.min_share)

    def letters(self, key: str, row: _Letters, aliases: dict[str, str]) -> LetterRules:
        groups = tuple(
            LetterGroup(g.min, {code: frozenset(chars) for code, chars in g.languages.items()})
            for g in row.groups
        )
        for code in [row.default, *(c for g in groups for c in g.languages)]:
            if aliases.get(code[4:], code[4:]) != key:
                raise self.fail(("letters", key), f"{code} is not written in {key}")
        return LetterRules(row.default, groups, row.absence_words)

    def classes(self, rows: list[_Noted]) -> dict[str, Equivalence]:
        classes: dict[str, Equivalence] = {}
        for i, row in enumerate(rows):
            equivalence = Equivalence(frozenset(row.languages), row.note)
            for code in equivalence.languages:
                if code in classes:
                    raise self.fail(("equivalent", i), f"{code} is in two equivalence classes")
                classes[code] = equivalence
        return classes

    def romanized(self, languages: dict[str, str]) -> dict[str, str]:
        for code, own in languages.items():
            if code[4:] != "Latn" or own[:3] != code[:3] or own[4:] == "Latn":
                raise self.fail(
                    ("romanized", "languages", code), f"{code} is not a romanized {own}"
                )
        return languages

    def known(self, tables: Tables) -> None:
        known = {language.code for language in all_languages()}
        for code in [
            *tables.unknown_near,
            *tables.not_judged,
            *tables.romanized,
            *tables.romanized.values(),
            *(r.default for r in tables.letters.values()),
        ]:
            if code not in known:
                raise self.fail((), f"{code} is not in harness/languages.tsv")
