"""Extractive-QA data in the SQuAD shape, flattened to one record per question.

The nested SQuAD v1.1/v2.0 JSON (also FQuAD and TyDiQA-GoldP's original files) is read by
`read_squad`; the flat rows the hub gives (XQuAD, MLQA, TyDiQA-GoldP: `answers` is
``{"text": [...], "answer_start": [...]}``) are brought to the same shape by `flatten_answers`.
A flat record has: id, title, context, question, answers (texts), answer_starts (ints),
is_impossible (bool).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from harness.errors import PolyevalError, SkipRow
from harness.spec import FileLayout

Row = tuple[str, dict[str, Any]]


def read_squad(text: str, path: Path, layout: FileLayout | None = None) -> Iterator[Row]:
    """One flat record per question of a SQuAD JSON file; `where` is
    ``file[article i, paragraph j, question k]`` (counted from 0)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolyevalError(f"invalid JSON: {exc.msg}", where=f"{path}:{exc.lineno}") from None
    articles = value.get("data") if isinstance(value, dict) else None
    if not isinstance(articles, list):
        raise PolyevalError(
            'expected a SQuAD JSON object with a "data" array of articles', where=str(path)
        )
    for i, article in enumerate(articles):
        where = f"{path}[article {i}]"
        article = _mapping(article, "an article", where)
        title = _string(article, "title", where, default="")
        for j, paragraph in enumerate(_list(article, "paragraphs", where)):
            yield from _paragraph(paragraph, title, f"{path}[article {i}, paragraph {j}")


def _paragraph(paragraph: Any, title: str, place: str) -> Iterator[Row]:
    """The paragraph's questions; `place` is its where without the closing bracket."""
    paragraph = _mapping(paragraph, "a paragraph", place + "]")
    context = _string(paragraph, "context", place + "]")
    for k, qa in enumerate(_list(paragraph, "qas", place + "]")):
        where = f"{place}, question {k}]"
        qa = _mapping(qa, "a question", where)
        texts, starts = _answers(_list(qa, "answers", where, default=[]), where)
        impossible = qa.get("is_impossible", False)
        if not isinstance(impossible, bool):
            raise PolyevalError("'is_impossible' must be true or false", where=where)
        yield (
            where,
            {
                "id": _identifier(qa, where),
                "title": title,
                "context": context,
                "question": _string(qa, "question", where),
                "answers": texts,
                "answer_starts": starts,
                "is_impossible": impossible,
            },
        )


def flatten_answers(record: Mapping[str, Any], *, where: str | None = None) -> dict[str, Any]:
    """A copy of a hub row with `answers` as a list of texts and `answer_starts` as a list of
    ints. `answers` may be ``{"text": [...], "answer_start": [...]}``, a list of ``{"text",
    "answer_start"}`` objects, or a list of texts (then `answer_starts` stays as given, else
    empty). `is_impossible` defaults to having no answer. `where` names the row in errors."""
    answers: Any = record.get("answers")
    if isinstance(answers, Mapping):
        texts = _texts(answers.get("text", []), where)
        starts = [_start(s, where) for s in _sequence(answers.get("answer_start", []), where)]
        if "answer_start" in answers and len(starts) != len(texts):
            raise PolyevalError(
                f"'answers' has {len(texts)} texts but {len(starts)} answer_start values",
                where=where,
            )
    elif _is_sequence(answers) and any(isinstance(a, Mapping) for a in answers):
        texts, starts = _answers(list(answers), where)
    else:
        texts = _texts(answers, where)
        starts = [_start(s, where) for s in _sequence(record.get("answer_starts", []), where)]
    flat = dict(record)
    flat.update(
        answers=texts,
        answer_starts=starts,
        is_impossible=bool(record.get("is_impossible", not texts)),
    )
    return flat


def _answers(items: list[Any], where: str | None) -> tuple[list[str], list[int]]:
    """Texts and starts of a list of {"text", "answer_start"} objects."""
    texts: list[str] = []
    starts: list[int] = []
    for n, item in enumerate(items):
        text = item.get("text") if isinstance(item, Mapping) else None
        if not isinstance(text, str):
            raise PolyevalError(f"answer {n}: expected an object with a string 'text'", where)
        texts.append(text)
        starts.append(_start(item.get("answer_start"), where, f"answer {n}: "))
    return texts, starts


def _texts(value: Any, where: str | None) -> list[str]:
    items = _sequence(value, where)
    if not all(isinstance(text, str) for text in items):
        raise PolyevalError("answer texts must be strings", where=where)
    return [str(text) for text in items]


def _sequence(value: Any, where: str | None) -> list[Any]:
    if not _is_sequence(value):
        raise PolyevalError(
            "'answers' must be {text: [...], answer_start: [...]} or a list", where=where
        )
    return list(value)


def _is_sequence(value: Any) -> bool:
    """A list-like (list, tuple, array) that is not a string or a mapping."""
    return hasattr(value, "__iter__") and not isinstance(value, str | bytes | Mapping)


def _start(value: Any, where: str | None, prefix: str = "") -> int:
    if isinstance(value, bool) or not hasattr(value, "__index__"):  # int or a numpy integer
        raise PolyevalError(f"{prefix}'answer_start' must be an integer, found {value!r}", where)
    return operator.index(value)


def _mapping(value: Any, what: str, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolyevalError(f"expected {what} (a JSON object)", where=where)
    return value


def _list(node: Mapping[str, Any], key: str, where: str, default: Any = None) -> list[Any]:
    value = node.get(key, default)
    if not isinstance(value, list):
        raise PolyevalError(f"'{key}' must be a JSON array", where=where)
    return value


def _string(node: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = node.get(key, default)
    if not isinstance(value, str):
        raise PolyevalError(f"'{key}' must be a string", where=where)
    return value


def _identifier(qa: Mapping[str, Any], where: str) -> str:
    value = qa.get("id")
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise PolyevalError("'id' must be a non-empty string", where=where)
    return str(value)


def answerable_record(record: Mapping[str, Any], language: str) -> dict[str, Any]:
    """A `process_record` hook for extractive-QA tasks: the row with `answers` as a list of
    acceptable texts; an unanswerable question (SQuAD 2.0 `is_impossible`, or no answer) is
    skipped and counted, since a sample needs a gold answer."""
    flat = flatten_answers(record, where=f"question {record.get('id')!r}")
    if flat["is_impossible"] or not flat["answers"]:
        raise SkipRow("unanswerable question (no gold answer span)")
    return flat
