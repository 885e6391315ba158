"""A user task's rows in the task's internal columns: each row's question, passage, options,
id and answer under `_question`, `_passage`, `_choice_1`.., `_id` and `_gold`, the answer checked
against its form (an option's text becomes its letter)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.data.readers import Row
from harness.errors import PolyevalError
from harness.literals import REFERENCE_LANGUAGE, get_literals
from harness.parsers import normalize_number
from harness.records import LETTERS
from harness.usertasks.schema import Places


@dataclass(frozen=True)
class RowMapping:
    """Resolved columns and answer form; turns one row into the task's internal columns."""

    base: str
    question: str
    passage: str | None
    choices: tuple[str, ...]  # option columns; one column that holds a list: `listed`
    listed: bool
    n_options: int
    answer: str
    form: str
    form_note: str  # where the answer form comes from, for messages about answers
    id: str | None
    places: Places

    def convert(self, record: dict[str, Any], where: str) -> dict[str, Any]:
        out = {**record, "_question": self._value(record, "question", where)}
        if self.passage is not None:
            out["_passage"] = self._value(record, "passage", where)
        if self.id is not None:
            out["_id"] = str(self._value(record, "id", where)).strip()
        raw = self._value(record, "answer", where)
        if self.base == "mcq":
            options = self._options(record, where)
            out.update({f"_choice_{i + 1}": text for i, text in enumerate(options)})
            out["_gold"] = self._letter(raw, options, where)
        else:
            self._check_short(raw, where)
            out["_gold"] = raw
        return out

    def _value(self, record: dict[str, Any], key: str, where: str) -> Any:
        column: str = getattr(self, key)
        if column not in record:
            raise PolyevalError(
                f"row has no column '{column}' ({self.places.key(key, column)})", where=where
            )
        return record[column]

    def _options(self, record: dict[str, Any], where: str) -> list[str]:
        if not self.listed:
            missing = [c for c in self.choices if c not in record]
            if missing:
                raise PolyevalError(f"row has no option column '{missing[0]}'", where=where)
            return [str(record[c]).strip() for c in self.choices]
        column = self.choices[0]
        value = record.get(column)
        if not isinstance(value, list):
            raise PolyevalError(f"column '{column}' does not hold a list of options", where=where)
        if len(value) != self.n_options:
            raise PolyevalError(
                f"row has {len(value)} options in '{column}', the first row {self.n_options}; "
                "every row needs the same number",
                where=where,
            )
        return [str(v).strip() for v in value]

    def _letter(self, raw: Any, options: list[str], where: str) -> str:
        text = str(raw).strip()
        n = len(options)
        letter: str | None = None
        if self.form == "text":
            matches = _matching_options(text, options)
            if len(matches) == 1:
                return LETTERS[matches[0]]
            if len(matches) > 1:
                which = " and ".join(LETTERS[i] for i in matches)
                raise PolyevalError(
                    f"answer '{text}' is the text of several options ({which})", where=where
                )
            problem = f"answer '{text}' is the text of none of the {n} options"
        elif self.form == "letter":
            letter = text.upper() if len(text) == 1 and text.upper() in LETTERS[:n] else None
            problem = f"answer '{text}' is not a letter A-{LETTERS[n - 1]}"
        else:
            offset = 1 if self.form == "index1" else 0
            number = int(text) if text.lstrip("-").isdigit() else None
            if number is not None and 0 <= number - offset < n:
                letter = LETTERS[number - offset]
            problem = f"answer '{text}' is not an option number {offset}-{n - 1 + offset}"
        if letter is not None:
            return letter
        hint = self._form_hint(text, options)
        raise PolyevalError(f"{problem} ({self.form_note}){hint}", where=where)

    def _form_hint(self, text: str, options: list[str]) -> str:
        guesses = []
        if text.isdigit():
            guesses = ["index1", "index0"]
        elif len(text) == 1 and text.upper() in LETTERS[: len(options)]:
            guesses = ["letter"]
        elif _matching_options(text, options):
            guesses = ["text"]
        guesses = [g for g in guesses if g != self.form]
        if not guesses:
            return ""
        return "; did you mean " + " or ".join(self.places.key("form", g) for g in guesses) + "?"

    def _check_short(self, raw: Any, where: str) -> None:
        values = raw if isinstance(raw, list) else [raw]
        setting = self.form_note
        if not values:
            raise PolyevalError("the answer list is empty", where=where)
        english = get_literals(REFERENCE_LANGUAGE)
        for value in values:
            text = str(value).strip()
            if self.form == "number" and normalize_number(text, english) is None:
                raise PolyevalError(f"answer '{text}' is not a number ({setting})", where=where)
            if not text:
                raise PolyevalError(f"the answer is empty ({setting})", where=where)


def _matching_options(text: str, options: list[str]) -> list[int]:
    """The options whose text is `text`: exactly, else ignoring case and spacing."""
    exact = [i for i, option in enumerate(options) if option == text]
    if exact:
        return exact
    key = " ".join(text.casefold().split())
    return [i for i, option in enumerate(options) if " ".join(option.casefold().split()) == key]


def check_rows(mapping: RowMapping, rows: list[Row]) -> None:
    """Every row converts (its answer fits its options); ids, where given, are unique."""
    seen: dict[str, str] = {}
    for where, record in rows:
        converted = mapping.convert(record, where)
        if mapping.id is None:
            continue
        sample_id = converted["_id"]
        if sample_id in seen:
            raise PolyevalError(
                f"id '{sample_id}' (column '{mapping.id}') is also the id of {seen[sample_id]}",
                where=where,
            )
        seen[sample_id] = where
