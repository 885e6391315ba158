"""A user task's data files: their format (from the extension, unless given) and their columns,
checked against the columns the task names, with a did-you-mean for a misspelt one."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from harness.data.readers import Row, read_rows
from harness.errors import PolyevalError
from harness.literals import get_literals
from harness.spec import FileLayout
from harness.usertasks.schema import Columns, Places

FORMATS = ("csv", "tsv", "jsonl", "json")
FORMS: dict[str, tuple[str, ...]] = {
    "mcq": ("letter", "index1", "index0", "text"),
    "short_answer": ("text", "number"),
}
DEFAULT_COLUMNS: dict[str, str] = {"question": "question", "answer": "answer"}
DEFAULT_CHOICES = ["A", "B", "C", "D"]
_TEXT_FORMATS = {"txt": "lines", "text": "lines", "lines": "lines", **{f: f for f in FORMATS}}

Given = tuple[Any, str]  # a setting's value and where it was given


def read_table(path: Path, where: str, fmt: str | None) -> list[Row]:
    """The rows of a CSV, TSV, JSONL or JSON file (the format from its extension if not given)."""
    found = fmt or path.suffix.lstrip(".").lower()
    if found not in FORMATS:
        raise PolyevalError(
            f"cannot tell the format of {path.name} from its extension; "
            f"add format: {'|'.join(FORMATS)}",
            where=where,
        )
    rows = read_rows(path, FileLayout.model_validate({"files": [], "format": found}))
    if not rows:
        raise PolyevalError("the data file has no rows", where=str(path))
    return rows


def text_format(path: Path, fmt: str | None, where: str) -> str:
    """`lines` for plain text (.txt: one sentence per line), else the tabular format."""
    if fmt is not None:
        return _TEXT_FORMATS[fmt]
    found = _TEXT_FORMATS.get(path.suffix.lstrip(".").lower())
    if found is None:
        raise PolyevalError(
            f"cannot tell the format of {path.name} from its extension; add -T format="
            "lines (one sentence per line) or csv, tsv, jsonl, json",
            where=where,
        )
    return found


def text_column(path: Path, fmt: str, given: Given | None, file_where: str) -> str:
    """The column that holds the text (`text` unless -T text=COLUMN), checked against the
    file's rows; a plain-text file has just its lines."""
    if fmt == "lines":
        if given is not None:
            raise PolyevalError(
                "text= names a column of a CSV, TSV, JSONL or JSON file; a plain-text file "
                "has one sentence per line",
                where=given[1],
            )
        return "text"
    rows = read_rows(path, FileLayout.model_validate({"files": [], "format": fmt}))
    if not rows:
        raise PolyevalError("the data file has no rows", where=str(path))
    column = str(given[0]).strip() if given is not None else "text"
    names = list(dict.fromkeys(str(key) for _, record in rows for key in record))
    if column not in names:
        close = difflib.get_close_matches(column, names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        how = "text" if given is not None else "text, by default; set -T text=COLUMN"
        raise PolyevalError(
            f"unknown column '{column}' ({how}): {path.name} has {', '.join(names)}{hint}",
            where=given[1] if given is not None else file_where,
        )
    return column


class ColumnCheck:
    """The user's column names, checked against the files' columns."""

    def __init__(
        self,
        rows: dict[str, list[Row]],
        paths: dict[str, Path],
        columns: Columns,
        places: Places,
    ) -> None:
        self.rows = rows
        self.paths = paths
        self.given = columns
        self.places = places
        self.columns: dict[str, list[str]] = {}  # language -> the file's columns, in order
        for language, lang_rows in rows.items():
            names: dict[str, None] = {}
            for _, record in lang_rows:
                names.update(dict.fromkeys(map(str, record)))
            self.columns[language] = list(names)

    def setting(self, key: str) -> Given | None:
        value = getattr(self.given, key)
        return None if value is None else (value, self.places.where(("columns", key)))

    def required(self, key: str) -> str:
        setting = self.setting(key)
        column = self._name(setting, key) if setting else DEFAULT_COLUMNS[key]
        self._check(column, key, setting)
        return column

    def optional(self, key: str) -> str | None:
        setting = self.setting(key)
        if setting is not None:
            column = self._name(setting, key)
            self._check(column, key, setting)
            return column
        everywhere = all(key in names for names in self.columns.values())
        return key if everywhere else None

    def choices(self, base: str) -> tuple[tuple[str, ...], bool, int]:
        """(option columns, whether one column holds a list, number of options)."""
        setting = self.setting("choices")
        if base != "mcq":
            if setting is not None:
                raise PolyevalError("a short_answer task has no choices", where=setting[1])
            return (), False, 0
        value = setting[0] if setting else DEFAULT_CHOICES
        if isinstance(value, str):
            value = value.split(",")
        names = tuple(str(v).strip() for v in value if str(v).strip())
        for column in names:
            self._check(column, "choices", setting)
        listed = len(names) == 1
        count = self._listed_count(names[0], setting) if listed else len(names)
        if count < 2:
            raise PolyevalError("a question needs at least 2 options", where=self._where(setting))
        for language in self.rows:
            labels = get_literals(language).choice_labels
            if count > len(labels):
                raise PolyevalError(
                    f"{count} options, but prompts/literals.yaml has {len(labels)} option "
                    f"labels for {language}",
                    where=self._where(setting),
                )
        return names, listed, count

    def _listed_count(self, column: str, setting: Given | None) -> int:
        first = next(iter(self.rows.values()))[0][1].get(column)
        if not isinstance(first, list):
            raise PolyevalError(
                "choices: name two or more option columns (A, B, C, D), or one column "
                "that holds a list of options",
                where=self._where(setting),
            )
        return len(first)

    def _name(self, setting: Given, key: str) -> str:
        if not str(setting[0]).strip():
            raise PolyevalError(f"{key}: a column name", where=setting[1])
        return str(setting[0]).strip()

    def _where(self, setting: Given | None) -> str:
        return setting[1] if setting else self.places.defined_in

    def _check(self, column: str, key: str, setting: Given | None) -> None:
        for language, names in self.columns.items():
            if column in names:
                continue
            file = self.paths[language].name
            close = difflib.get_close_matches(column, names, n=1)
            suggestion = f"; did you mean '{close[0]}'?" if close else ""
            if key == "answer" and any(column in forms for forms in FORMS.values()):
                suggestion += f"; the answer form is set with {self.places.key('form', column)}"
            what = key if setting else f"{key}, by default; set {self.places.key(key, 'COLUMN')}"
            raise PolyevalError(
                f"unknown column '{column}' ({what}): {file} has {', '.join(names)}{suggestion}",
                where=self._where(setting),
            )
