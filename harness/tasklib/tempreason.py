"""TempReason's records, shared by the tempreason and mtempreason tasks' hooks.

A data file holds one level's questions, one JSON object per line (named .json):
`<split>_l<n>.json` in TempReason, `<split>_l<n>_<language>.json` in mTEMPREASON (assumed, see
tasks/mtempreason/task.yaml). A record has `question`, `text_answers` (``{"text": [...]}``:
every acceptable answer) and, on levels 2 and 3, `fact_context` (the facts of the question's
subject, for reasoning over them) and `neg_answers`.

`process_record` gives each row: `level` (L1, L2 or L3, from its file's name), `answers` (the
acceptable answers, each once), `fact_context` ("" where there is none), `question` stripped,
`_stem` (the file's name without .json: `test_l2`) and `_lang` (the canonical language code).

`pool` gives the few-shot exemplars of one language: per level, the first POOL_PER_LEVEL usable
records of that level's train file (a split never evaluated), read line by line, so that the
train files (up to 166 MB) are not read whole. Each exemplar has `id` (`train_l2:17`: the file
and record, counted from 0), `question`, `answer` (the first acceptable answer), `level` and
`context` (its facts).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from harness.data.sources import PerLanguageHubSource
from harness.errors import PolyevalError, SkipRow

LEVELS = ("L1", "L2", "L3")
POOL_SPLIT = "train"
POOL_PER_LEVEL = 500
_LEVEL = re.compile(r"_l([123])(?![0-9])", re.IGNORECASE)


def process_record(record: dict[str, Any], language: str) -> dict[str, Any]:
    file = str(record.get("_file", ""))
    level = level_of(file) or str(record.get("level", "")).upper()
    if level not in LEVELS:
        raise PolyevalError(
            f"cannot tell the level of a row of {file or 'an unnamed file'}: TempReason files "
            "are named <split>_l<n>.json (or <split>_l<n>_<language>.json)"
        )
    question = str(record.get("question") or "").strip()
    if not question:
        raise SkipRow("no question text")
    answers = answer_texts(record.get("text_answers"))
    if not answers:
        raise SkipRow("no answer text")
    return {
        **record,
        "question": question,
        "answers": answers,
        "level": level,
        "fact_context": str(record.get("fact_context") or "").strip(),
        "_stem": PurePosixPath(file).stem,
        "_lang": language,
    }


def level_of(file: str) -> str | None:
    """L1, L2 or L3 from a file name (`test_l2.json`, `train_l3_german.json`), else None."""
    match = _LEVEL.search(PurePosixPath(file).stem)
    return f"L{match.group(1)}" if match else None


def answer_texts(value: Any) -> list[str]:
    """The acceptable answers of a `text_answers` value: ``{"text": [...]}``, a list or a text."""
    if isinstance(value, dict):
        value = value.get("text", [])
    items = value if isinstance(value, list | tuple) else [value]
    texts = (str(item).strip() for item in items if item is not None)
    return list(dict.fromkeys(text for text in texts if text))


def pool(source: Any, language: str, code: str, names: Sequence[str]) -> list[dict[str, Any]]:
    """A language's exemplars (see the module docstring). `names` are candidate file names of
    a level's train file, formatted with n (the level's number), code and lang; the first that
    exists is read."""
    if isinstance(source, PerLanguageHubSource):  # each language's own repo
        source = source.sources[language]
    exemplars: list[dict[str, Any]] = []
    for number, level in enumerate(LEVELS, start=1):
        tried = [
            name.format(n=number, code=code, lang=language, split=POOL_SPLIT) for name in names
        ]
        path = _first_file(source, tried, level)
        for row, record in _records(path, POOL_PER_LEVEL):
            question = str(record.get("question") or "").strip()
            answers = answer_texts(record.get("text_answers"))
            if not question or not answers:
                continue
            exemplars.append(
                {
                    "id": f"{path.stem}:{row}",
                    "question": question,
                    "answer": answers[0],
                    "level": level,
                    "context": str(record.get("fact_context") or "").strip(),
                }
            )
    return exemplars


def _first_file(source: Any, names: list[str], level: str) -> Path:
    problems = []
    for name in names:
        try:
            path: Path = source.file(name)
            return path
        except PolyevalError as exc:
            problems.append(str(exc))
    raise PolyevalError(
        f"no {POOL_SPLIT} file of level {level} for few-shot exemplars: " + "; ".join(problems)
    )


def _records(path: Path, limit: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """The first `limit` records of a JSON Lines file, with their index (blank lines skipped)."""
    index = 0
    try:
        with path.open(encoding="utf-8-sig") as lines:
            for number, line in enumerate(lines, start=1):
                if index >= limit:
                    return
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    where = f"{path}:{number}"
                    raise PolyevalError(f"invalid JSON: {exc.msg}", where=where) from None
                if isinstance(record, dict):
                    yield index, record
                index += 1
    except OSError as exc:
        raise PolyevalError(f"cannot read: {exc.strerror}", where=str(path)) from None
    except UnicodeDecodeError as exc:
        raise PolyevalError(f"not UTF-8 ({exc.reason})", where=str(path)) from None
