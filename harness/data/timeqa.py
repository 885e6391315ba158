"""TimeQA's document files (Chen, Wang and Wang 2021, `dataset/human_annotated_test.json`),
flattened to one record per question, as SQuAD's nested JSON is in harness.data.squad.

The file is one JSON array of documents, each ``{"index", "type", "link", "questions",
"paras"}``: `paras` holds the Wikipedia page's title and then its paragraphs (section headings
included), and `questions` is a list of ``[question, [{"para", "from", "end", "answer"}, ...]]``
pairs, where ``paras[para][from:end] == answer``; an unanswerable question's one span is empty
(``{"para": 0, "from": 0, "end": 0, "answer": ""}``).

A flat record has: id (``<index>:<k>``, the question's position k in its document, counted
from 0: the text of a question may repeat in a document), document (the index), type (the
Wikidata property, e.g. P108), link, title, question, answers (the non-empty answer texts, in
order, each once), paragraphs (the page's paragraphs without the title) and context (the
paragraphs joined by newlines). `where` is ``file[document i, question k]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from harness.errors import PolyevalError
from harness.spec import FileLayout

Row = tuple[str, dict[str, Any]]


def read_timeqa(text: str, path: Path, layout: FileLayout | None = None) -> Iterator[Row]:
    try:
        documents = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolyevalError(f"invalid JSON: {exc.msg}", where=f"{path}:{exc.lineno}") from None
    if not isinstance(documents, list):
        raise PolyevalError("expected a JSON array of TimeQA documents", where=str(path))
    for i, document in enumerate(documents):
        where = f"{path}[document {i}]"
        if not isinstance(document, Mapping):
            raise PolyevalError("expected a document (a JSON object)", where=where)
        yield from _questions(document, f"{path}[document {i}")


def _questions(document: Mapping[str, Any], place: str) -> Iterator[Row]:
    """The document's questions; `place` is its where without the closing bracket."""
    where = place + "]"
    index = _string(document, "index", where)
    paras = document.get("paras")
    if not isinstance(paras, list) or not paras or not all(isinstance(p, str) for p in paras):
        raise PolyevalError("'paras' must be a non-empty array of strings", where=where)
    questions = document.get("questions")
    if not isinstance(questions, list):
        raise PolyevalError("'questions' must be a JSON array", where=where)
    shared = {
        "document": index,
        "type": document.get("type", ""),
        "link": document.get("link", ""),
        "title": paras[0],
        "paragraphs": paras[1:],
        "context": "\n".join(paras[1:]),
    }
    for k, item in enumerate(questions):
        at = f"{place}, question {k}]"
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            raise PolyevalError("expected [question, [answer spans]]", where=at)
        question, spans = item
        yield (
            at,
            {"id": f"{index}:{k}", **shared, "question": question, "answers": _answers(spans, at)},
        )


def _answers(spans: Any, where: str) -> list[str]:
    if not isinstance(spans, list):
        raise PolyevalError("the answer spans must be a JSON array", where=where)
    texts: list[str] = []
    for n, span in enumerate(spans):
        text = span.get("answer") if isinstance(span, Mapping) else None
        if not isinstance(text, str):
            raise PolyevalError(f"answer {n}: expected an object with a string 'answer'", where)
        texts.append(text.strip())
    return list(dict.fromkeys(t for t in texts if t))


def _string(node: Mapping[str, Any], key: str, where: str) -> str:
    value = node.get(key)
    if not isinstance(value, str) or not value:
        raise PolyevalError(f"'{key}' must be a non-empty string", where=where)
    return value
