"""DZEN hooks: cleaning the subject files' rows, and the chain-of-thought exemplars.

`process_record` reads a row of `DZEN/<grade>th-<Subject>[-I|-II].csv` by normalised header
name (the files spell the same column `A Dz .`, `A Dz.`, `B Dz `, `Dzongkha\\nQuestion`), lower-
cases the answer key and skips a row whose key is not a-d (`*`, counted in the manifest per
file), and gives every row the columns task.yaml names: `question` and `option_a`..`option_d`
in the sample's language, `question_en` and `options_en` in English, `answer`, `subject`,
`grade` and `_stem` (the file name without `.csv`).

`exemplars` picks the few-shot exemplars of the `cot` variant from `DZEN-Few_Shots/` (a split
that is never evaluated). The hook is asked once per language and variant, not per sample, so
the set is fixed: for each subject (Biology, Chemistry, Math, Physics, Science, in that order),
the first usable row of that subject's few-shot files, the files taken from the lowest grade
up. A row is usable when its columns are in place (its `Question_Type` is one of the three
types: the 10th-Physics file is shifted by a column), it has no diagram, its key is a-d, and
both its English and its Dzongkha responses are usable: in their own script (one Dzongkha
response is Bengali), 150-1,500 characters (a worked answer, not a one-liner, and a bounded
prompt), with exactly one final answer marker (`{{"Answer": "b"}}`, `{"ལན་": "ཁ"}`) that names
the key and closes the response. Requiring both responses makes the exemplar questions the
same in Dzongkha and English, so the two languages' cot scores stay comparable. The marker is
replaced by the option's label; the template adds the final "Answer: B" line.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path, PurePosixPath
from typing import Any

from harness.errors import PolyevalError
from harness.literals import get_literals
from harness.samples import SkipRow

KEYS = "abcd"
SIDES = {"dzo_Tibt": "dz", "eng_Latn": "en"}  # the task's languages -> column suffix
FEW_SHOT_DIR = "DZEN-Few_Shots"
FEW_SHOT_GLOB = "*-few_shot.csv"
QUESTION_TYPES = {"factualknowledge", "reasoning", "proceduralandapplication"}
MIN_CHARS, MAX_CHARS = 150, 1500  # of a usable exemplar response
MAX_AFTER_MARKER = 40  # characters after the final answer marker ("is correct.", "ཨིན།")

# normalised header -> our name, for the subject files
_MAIN_COLUMNS = {
    "englishquestion": "question_en",
    "dzongkhaquestion": "question_dz",
    **{letter: f"{letter}_en" for letter in KEYS},
    **{f"{letter}dz": f"{letter}_dz" for letter in KEYS},
    "correctanswer": "key",
}
# normalised header -> our name, for the few-shot files
_FEW_SHOT_COLUMNS = {
    "question": "question_en",
    "questiondz": "question_dz",
    **{letter: f"{letter}_en" for letter in KEYS},
    **{f"{letter}dz": f"{letter}_dz" for letter in KEYS},
    "correctanswer": "key",
    "questiontype": "type",
    "diagram": "diagram",
    "englishresponse": "response_en",
    "dzongkharesponse": "response_dz",
}
_FILE_NAME = re.compile(r"(?P<grade>\d+)(?:st|nd|rd|th)-(?P<subject>[A-Za-z ]+?)(?:-(?:I|II|III))?")
# `{{"Answer": "b"}}`, `{"ལན་": "ཁ"}`, `{{“ལན་”: “a”}}`, `{{"Answer'": "a"}}`
_MARKER = re.compile(r"\{+\s*[\"“]([^\"”{}]*)[\"”]\s*:\s*[\"“]([^\"”{}]*)[\"”]\s*\}+")
_MARKER_KEYS = {"answer", "ལན"}
_TIBETAN_KEYS = dict(zip("ཀཁགང", KEYS, strict=True))


def normalise(name: str) -> str:
    """A header name without case, whitespace (newlines included), dots or underscores."""
    return re.sub(r"[\s._]+", "", name).casefold()


def process_record(record: dict[str, Any], language: str) -> dict[str, Any]:
    file = str(record.get("_file", ""))
    row = _columns(record, _MAIN_COLUMNS, file)
    raw_key = row["key"].strip()
    key = raw_key.lower()
    if len(key) != 1 or key not in KEYS:
        raise SkipRow(f"answer key {raw_key!r} is not one of a-d ({file})")
    side = _side(language)
    stem = PurePosixPath(file).stem
    subject, grade = subject_and_grade(stem, file)
    return {
        "question": row[f"question_{side}"].strip(),
        "question_en": row["question_en"].strip(),
        **{f"option_{letter}": row[f"{letter}_{side}"] for letter in KEYS},
        "options_en": [row[f"{letter}_en"].strip() for letter in KEYS],
        "answer": key,
        "subject": subject,
        "grade": grade,
        "_stem": stem,
        "_file": file,
        "_row": record.get("_row", 0),
    }


def subject_and_grade(stem: str, where: str = "") -> tuple[str, str]:
    """("Biology", "12") from `12th-Biology-II`: parts I and II are one subject."""
    match = _FILE_NAME.fullmatch(stem)
    if match is None:
        raise PolyevalError(
            f"cannot tell subject and grade from the file name {stem!r} "
            "(expected <grade>th-<Subject>[-I|-II])",
            where=where or None,
        )
    return match["subject"].strip().title(), str(int(match["grade"]))


def exemplars(source: Any, language: str, code: str, variant: str) -> list[dict[str, Any]]:
    side = _side(language)
    labels = get_literals(language).choice_labels
    chosen: dict[str, dict[str, Any]] = {}
    for name, path in _few_shot_files(source):
        stem = name.removesuffix(".csv").removesuffix("-few_shot")
        subject, _ = subject_and_grade(stem, f"{FEW_SHOT_DIR}/{name}")
        if subject in chosen:
            continue
        for index, record in enumerate(_read_csv(path)):
            row = _columns(record, _FEW_SHOT_COLUMNS, f"{FEW_SHOT_DIR}/{name}", required=False)
            if _usable(row):
                chosen[subject] = _exemplar(row, side, labels, f"{FEW_SHOT_DIR}/{name}#{index}")
                break
    if not chosen:
        raise PolyevalError(f"no usable exemplar in {FEW_SHOT_DIR}/", where=source.describe())
    return [chosen[subject] for subject in sorted(chosen)]


def _side(language: str) -> str:
    try:
        return SIDES[language]
    except KeyError:
        raise PolyevalError(f"DZEN has no {language} text (only {', '.join(SIDES)})") from None


def _columns(
    record: dict[str, Any], names: dict[str, str], where: str, required: bool = True
) -> dict[str, str]:
    """The record's values under our names, matched by normalised header; other columns are
    dropped. A missing column is an error when `required`, else an empty value."""
    found: dict[str, str] = {}
    for header, value in record.items():
        ours = names.get(normalise(str(header)))
        if ours is not None:
            if ours in found:
                raise PolyevalError(
                    f"two columns read as {ours!r} (one is {header!r})", where=where
                )
            found[ours] = "" if value is None else str(value).replace("\r\n", "\n")
    missing = [ours for ours in names.values() if ours not in found]
    if missing and required:
        have = ", ".join(repr(h) for h in record if h != "_file")
        raise PolyevalError(f"no column for {', '.join(missing)} (columns: {have})", where=where)
    return dict.fromkeys(missing, "") | found


def _few_shot_files(source: Any) -> list[tuple[str, Path]]:
    """The few-shot files, lowest grade first, then by name; opened through `source.file`."""
    root = getattr(source, "root", None)
    if not isinstance(root, Path):
        raise PolyevalError(
            f"DZEN exemplars are read from a local folder ({FEW_SHOT_DIR}/ next to DZEN/)",
            where=source.describe(),
        )
    names = [path.name for path in (root / FEW_SHOT_DIR).glob(FEW_SHOT_GLOB) if path.is_file()]
    if not names:
        raise PolyevalError(f"no {FEW_SHOT_DIR}/{FEW_SHOT_GLOB}", where=source.describe())
    names.sort(key=lambda name: (_grade_of(name), name))
    return [(name, source.file(f"{FEW_SHOT_DIR}/{name}")) for name in names]


def _grade_of(name: str) -> int:
    digits = re.match(r"\d+", name)
    return int(digits[0]) if digits else 0


def _read_csv(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    return [dict(row) for row in csv.DictReader(io.StringIO(text, newline=""))]


def _usable(row: dict[str, str]) -> bool:
    key = row["key"].strip().lower()
    if key not in KEYS or normalise(row["type"]) not in QUESTION_TYPES:
        return False
    if not all(
        row[f"{part}_{side}"].strip() for part in ("question", *KEYS) for side in SIDES.values()
    ):
        return False
    if row.get("diagram", "").strip().upper() == "Y":
        return False
    return all(
        _rationale(row[f"response_{side}"], key, side) is not None for side in SIDES.values()
    )


def _rationale(response: str, key: str, side: str, label: str = "") -> str | None:
    """The response with its final answer marker replaced by `label`, or None when the
    response is not usable (see the module docstring)."""
    text = response.replace("\r\n", "\n").strip()
    markers = list(_MARKER.finditer(text))
    if not MIN_CHARS <= len(text) <= MAX_CHARS or len(markers) != 1:
        return None
    marker = markers[0]
    name, value = (part.strip(" '`་") for part in marker.groups())
    value = _TIBETAN_KEYS.get(value, value.lower())
    if name.casefold() not in _MARKER_KEYS or value != key:
        return None
    if len(text[marker.end() :].strip()) > MAX_AFTER_MARKER or not _in_script(text, side):
        return None
    after = text[marker.end() :]
    space = " " if after[:1].isalpha() else ""
    return text[: marker.start()] + label + space + after


def _in_script(text: str, side: str) -> bool:
    """English with no Tibetan or Bengali letters; Dzongkha mostly in Tibetan letters."""
    letters = [c for c in text if c.isalpha()]
    tibetan = sum("\u0f00" <= c <= "\u0fff" for c in letters)
    if any("\u0980" <= c <= "\u09ff" for c in letters):
        return False
    return tibetan == 0 if side == "en" else tibetan >= len(letters) / 2


def _exemplar(
    row: dict[str, str], side: str, labels: tuple[str, ...], where: str
) -> dict[str, Any]:
    key = row["key"].strip().lower()
    label = labels[KEYS.index(key)]
    rationale = _rationale(row[f"response_{side}"], key, side, label)
    return {
        "question": row[f"question_{side}"].strip(),
        "choices": [
            {"label": labels[i], "text": row[f"{letter}_{side}"].strip()}
            for i, letter in enumerate(KEYS)
        ],
        "rationale": rationale,
        "letter": label,
        "source": where,
    }
