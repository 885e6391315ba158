"""Reading UrduBench rows, shared by the four UrduBench tasks' hooks.

The Urdu repos are bilingual (`question_stem` / `urdu_question_stem`, `choices` /
`urdu_choices`, ...); the English originals have the plain columns only. A column is looked up
in the row's language: for Urdu `urdu_<column>`, `<column>_urdu`, `<column>_ur`, or the plain
column where it holds Urdu text, should a release be re-exported with other spellings.
Options come as a mapping {"label": [...], "text": [...]}, a list of texts or of
{label, text}, or any of these as a JSON string.
"""

from __future__ import annotations

import json
import re
from typing import Any

from harness.errors import PolyevalError, SkipRow

URDU = "urd_Arab"
ANSWER_KEY = ("answerKey", "answer_key", "answer")
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
_LATIN = re.compile(r"[A-Za-z]")


def in_language(record: dict[str, Any], names: tuple[str, ...], language: str, dataset: str) -> Any:
    """The first of the columns `names` in the row's language (raw value)."""
    if language != URDU:
        return first(record, names)
    urdu = tuple(f"urdu_{n}" for n in names) + tuple(f"{n}_urdu" for n in names)
    urdu += tuple(f"{n}_ur" for n in names)
    if any(name in record for name in urdu):
        return first(record, urdu)
    plain = first(record, names)
    if plain is not None and is_urdu(json.dumps(plain, ensure_ascii=False)):
        return plain
    raise PolyevalError(missing(dataset, "Urdu " + names[0], urdu, record))


def first(record: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((record[n] for n in names if record.get(n) not in (None, "")), None)


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def is_urdu(value: str) -> bool:
    return len(_ARABIC.findall(value)) > len(_LATIN.findall(value))


def missing(dataset: str, what: str, names: tuple[str, ...], record: dict[str, Any]) -> str:
    have = ", ".join(k for k in record if not k.startswith("_"))
    return f"UrduBench {dataset}: no {what} (tried {', '.join(names)}; columns here: {have})"


def mcq_record(
    record: dict[str, Any], language: str, dataset: str, question_names: tuple[str, ...], n: int
) -> dict[str, Any]:
    """A multiple-choice row with `question`, `option_A`.. in its language and `answerKey`."""
    letters = "ABCDE"[:n]
    question = text(in_language(record, question_names, language, dataset))
    if not question:
        raise SkipRow("no question text" + (" in Urdu" if language == URDU else ""))
    found = options(in_language(record, ("choices",), language, dataset), letters)
    if len(found) != n or not all(found):
        raise SkipRow(f"{len([o for o in found if o])} options, not {n}")
    key = text(first(record, ANSWER_KEY)).upper()
    if len(key) != 1 or key not in letters:
        raise SkipRow(f"answer key {key!r} is not one of {', '.join(letters)}")
    item_id = text(record.get("id"))
    if not item_id:
        raise PolyevalError(missing(dataset, "an `id` column", ("id",), record))
    flat = {f"option_{letter}": option for letter, option in zip(letters, found, strict=True)}
    return {**record, **flat, "question": question, "answerKey": key, "id": item_id}


def options(value: Any, letters: str) -> list[str]:
    """Option texts in label order (A, B, ...), or in the order given when unlabeled."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return []
    if isinstance(value, dict):
        texts, labels = value.get("text") or [], value.get("label") or []
        pairs = list(zip(labels, texts, strict=False)) if len(labels) == len(texts) else []
    elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
        pairs = [(v.get("label", ""), v.get("text", "")) for v in value]
        texts = [t for _, t in pairs]
    elif isinstance(value, list):
        pairs, texts = [], value
    else:
        return []
    if pairs and sorted(str(label).strip().upper() for label, _ in pairs) == list(letters):
        texts = [t for _, t in sorted(pairs, key=lambda p: str(p[0]).strip().upper())]
    return [text(t) for t in texts]
