"""The data behind language identification, read and checked once: the Unicode ranges of scripts
(scripts.tsv) and what is known about languages and scripts (langid.yaml). Errors name the file
and line."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from harness.errors import PolyevalError
from harness.languages import all_languages
from harness.yamlfile import line_of, load_yaml

SCRIPTS_PATH = Path(__file__).with_name("scripts.tsv")
DATA_PATH = Path(__file__).with_name("langid.yaml")
INHERITED = "Zinh"
"""The scripts.tsv row of combining marks (and ZWNJ/ZWJ) that continue a word of any script."""

_SCRIPT_COLUMNS = ("script", "name", "weight", "per_word", "ranges")
_SCRIPT = re.compile(r"[A-Z][a-z]{3}")
_CODE = re.compile(r"[a-z]{3}_[A-Z][a-z]{3}")
_RANGE = re.compile(r"([0-9A-F]{4,6})(?:-([0-9A-F]{4,6}))?")
_SECTIONS = {
    "thresholds",
    "script_aliases",
    "systems",
    "letters",
    "equivalent",
    "unknown_near",
    "not_judged",
    "romanized",
    "detector_codes",
    "also_written_in",
    "lid176_labels",
}


@dataclass(frozen=True)
class Script:
    code: str  # ISO 15924
    name: str
    weight: float  # letters one character is worth (a Han character: 3)
    per_word: float | None  # characters per word for scripts written without spaces
    ranges: tuple[tuple[int, int], ...]


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


@dataclass(frozen=True)
class DetectorCode:
    code: str
    name: str


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


class _Reader:
    """Typed access to the YAML document, with errors that name the line."""

    def __init__(self, path: Path, node: Any) -> None:
        self.shown = f"harness/langid/{path.name}" if path == DATA_PATH else str(path)
        self.node = node

    def fail(self, loc: list[str | int], message: str) -> PolyevalError:
        return PolyevalError(message, where=f"{self.shown}:{line_of(self.node, loc)}")

    def mapping(self, value: Any, loc: list[str | int]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(loc, f"{'.'.join(map(str, loc))} must be a mapping")
        return {str(key): item for key, item in value.items()}

    def items(self, value: Any, loc: list[str | int]) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(loc, f"{'.'.join(map(str, loc))} must be a list")
        return value

    def number(self, value: Any, loc: list[str | int], low: float, high: float) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise self.fail(loc, f"{'.'.join(map(str, loc))} must be a number in [{low}, {high}]")
        return float(value)

    def text(self, value: Any, loc: list[str | int]) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(loc, f"{'.'.join(map(str, loc))} must be a non-empty string")
        return value.strip()

    def code(self, value: Any, loc: list[str | int]) -> str:
        if not isinstance(value, str) or not _CODE.fullmatch(value):
            raise self.fail(loc, f"'{value}' is not a language code like urd_Arab")
        return value

    def codes(self, value: Any, loc: list[str | int]) -> frozenset[str]:
        return frozenset(
            self.code(item, [*loc, i]) for i, item in enumerate(self.items(value, loc))
        )


DETECTOR_KEYS = ("py3langid", "lid176")


def _bars(
    read: _Reader, value: Any, loc: list[str | int], default: bool = True
) -> dict[str, dict[str, float]]:
    bars: dict[str, dict[str, float]] = {}
    for detector in DETECTOR_KEYS:
        row = read.mapping(read.mapping(value, loc).get(detector), [*loc, detector])
        if default and "default" not in row:
            raise read.fail([*loc, detector], f"{detector} needs a default")
        bars[detector] = {
            key if key == "default" else read.code(key, [*loc, detector, key]): read.number(
                number, [*loc, detector, key], 0, 1
            )
            for key, number in row.items()
        }
    return bars


def _evidence(read: _Reader, value: Any, loc: list[str | int]) -> dict[str, Evidence]:
    found: dict[str, Evidence] = {}
    for detector in DETECTOR_KEYS:
        where = [*loc, detector]
        row = read.mapping(read.mapping(value, loc).get(detector), where)
        found[detector] = Evidence(
            accept=read.number(row.get("accept"), [*where, "accept"], 0, 1),
            reject=read.number(row.get("reject"), [*where, "reject"], 0, 1),
            margin=read.number(row.get("margin"), [*where, "margin"], 0, 1),
            short_words=int(read.number(row.get("short_words"), [*where, "short_words"], 0, 100)),
            short_reject=read.number(row.get("short_reject"), [*where, "short_reject"], 0, 1),
            below=read.number(row.get("below"), [*where, "below"], 0, 1),
        )
    return found


def _load_data(path: Path, scripts: dict[str, Script]) -> Tables:
    data, node = load_yaml(path)
    read = _Reader(path, node)
    sections = read.mapping(data, [])
    if set(sections) != _SECTIONS:
        missing = ", ".join(sorted(_SECTIONS - set(sections))) or "none"
        extra = ", ".join(sorted(set(sections) - _SECTIONS)) or "none"
        raise read.fail([], f"sections missing: {missing}; unknown: {extra}")

    loc: list[str | int] = ["thresholds"]
    limits = read.mapping(sections["thresholds"], loc)
    thresholds = Thresholds(
        min_letters=read.number(limits.get("min_letters"), [*loc, "min_letters"], 0, 1000),
        min_words=int(read.number(limits.get("min_words"), [*loc, "min_words"], 0, 100)),
        script_min_letters=read.number(
            limits.get("script_min_letters"), [*loc, "script_min_letters"], 0, 1000
        ),
        script_min_words=int(
            read.number(limits.get("script_min_words"), [*loc, "script_min_words"], 0, 100)
        ),
        min_script_share=read.number(
            limits.get("min_script_share"), [*loc, "min_script_share"], 0, 1
        ),
        mixed_script_share=read.number(
            limits.get("mixed_script_share"), [*loc, "mixed_script_share"], 0, 1
        ),
        evidence=_evidence(read, limits.get("evidence"), [*loc, "evidence"]),
        unknown_reject=_bars(read, limits.get("unknown_reject"), [*loc, "unknown_reject"]),
        lid176_min_score=read.number(
            limits.get("lid176_min_score"), [*loc, "lid176_min_score"], 0, 1
        ),
    )

    def script(value: Any, where: list[str | int]) -> str:
        if not isinstance(value, str) or value not in scripts or value == INHERITED:
            raise read.fail(where, f"'{value}' is not a script of scripts.tsv")
        return value

    aliases: dict[str, str] = {}
    for key, value in read.mapping(sections["script_aliases"], ["script_aliases"]).items():
        if not _SCRIPT.fullmatch(key):
            raise read.fail(["script_aliases", key], f"'{key}' is not an ISO 15924 code")
        aliases[key] = script(value, ["script_aliases", key])

    systems: dict[str, System] = {}
    for key, value in read.mapping(sections["systems"], ["systems"]).items():
        loc = ["systems", key]
        row = read.mapping(value, loc)
        members = frozenset(
            script(s, [*loc, "scripts"]) for s in read.items(row.get("scripts"), loc)
        )
        markers = frozenset(
            script(s, [*loc, "markers"]) for s in read.items(row.get("markers"), [*loc, "markers"])
        )
        if not markers or not markers < members:
            raise read.fail(loc, f"{key}: markers must be some of its scripts")
        min_share = read.number(row.get("min_share"), [*loc, "min_share"], 0, 1)
        name = read.text(row.get("name"), [*loc, "name"])
        systems[key] = System(key, name, members, markers, min_share)

    letters: dict[str, LetterRules] = {}
    for key, value in read.mapping(sections["letters"], ["letters"]).items():
        loc = ["letters", key]
        row = read.mapping(value, loc)
        default = read.code(row.get("default"), [*loc, "default"])
        groups: list[LetterGroup] = []
        for i, group in enumerate(read.items(row.get("groups"), [*loc, "groups"])):
            gloc: list[str | int] = [*loc, "groups", i]
            fields = read.mapping(group, gloc)
            minimum = int(read.number(fields.get("min"), [*gloc, "min"], 1, 100))
            languages = {
                read.code(code, [*gloc, "languages", code]): frozenset(
                    read.text(chars, [*gloc, "languages", code])
                )
                for code, chars in read.mapping(
                    fields.get("languages"), [*gloc, "languages"]
                ).items()
            }
            groups.append(LetterGroup(minimum, languages))
        for code in [default, *(c for g in groups for c in g.languages)]:
            if aliases.get(code[4:], code[4:]) != key:
                raise read.fail(loc, f"{code} is not written in {key}")
        absence = int(read.number(row.get("absence_words"), [*loc, "absence_words"], 1, 100))
        letters[key] = LetterRules(default, tuple(groups), absence)

    classes: dict[str, Equivalence] = {}
    for i, value in enumerate(read.items(sections["equivalent"], ["equivalent"])):
        loc = ["equivalent", i]
        row = read.mapping(value, loc)
        members = read.codes(row.get("languages"), [*loc, "languages"])
        equivalence = Equivalence(members, read.text(row.get("note"), [*loc, "note"]))
        for code in members:
            if code in classes:
                raise read.fail(loc, f"{code} is in two equivalence classes")
            classes[code] = equivalence

    near = {
        read.code(key, ["unknown_near", key]): read.codes(value, ["unknown_near", key])
        for key, value in read.mapping(sections["unknown_near"], ["unknown_near"]).items()
    }

    not_judged: dict[str, str] = {}
    for i, value in enumerate(read.items(sections["not_judged"], ["not_judged"])):
        loc = ["not_judged", i]
        row = read.mapping(value, loc)
        note = read.text(row.get("note"), [*loc, "note"])
        for code in read.codes(row.get("languages"), [*loc, "languages"]):
            not_judged[code] = note

    loc = ["romanized"]
    section = read.mapping(sections["romanized"], loc)
    romanized = {
        read.code(key, [*loc, "languages", key]): read.code(value, [*loc, "languages", key])
        for key, value in read.mapping(section.get("languages"), [*loc, "languages"]).items()
    }
    for code, own in romanized.items():
        if code[4:] != "Latn" or own[:3] != code[:3] or own[4:] == "Latn":
            raise read.fail([*loc, "languages", code], f"{code} is not a romanized {own}")
    romanized_note = read.text(section.get("note"), [*loc, "note"])
    romanized_reject = _bars(read, section.get("reject"), [*loc, "reject"], default=False)

    detector_codes: dict[str, DetectorCode] = {}
    for key, value in read.mapping(sections["detector_codes"], ["detector_codes"]).items():
        loc = ["detector_codes", key]
        row = read.mapping(value, loc)
        detector_codes[key] = DetectorCode(
            read.code(row.get("code"), [*loc, "code"]), read.text(row.get("name"), [*loc, "name"])
        )

    also = {
        key: tuple(sorted(read.codes(value, ["also_written_in", key])))
        for key, value in read.mapping(sections["also_written_in"], ["also_written_in"]).items()
    }
    lid176 = frozenset(read.text(sections["lid176_labels"], ["lid176_labels"]).split())

    known = {language.code for language in all_languages()}
    for code in [
        *near,
        *not_judged,
        *romanized,
        *romanized.values(),
        *(r.default for r in letters.values()),
    ]:
        if code not in known:
            raise read.fail([], f"{code} is not in harness/languages.tsv")
    return Tables(
        scripts=scripts,
        thresholds=thresholds,
        script_aliases=aliases,
        systems=systems,
        letters=letters,
        classes=classes,
        unknown_near=near,
        not_judged=not_judged,
        romanized=romanized,
        romanized_note=romanized_note,
        romanized_reject=romanized_reject,
        detector_codes=detector_codes,
        also_written_in=also,
        lid176_labels=lid176,
    )
