"""The data tables read through load_model/read_model: each shipped file, copied and broken in
one place, is reported at that file:line, a misspelt key with the key it misspells."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.errors import PolyevalError
from harness.literals import KEYS, default_table_path, get_literals
from harness.metrics.squad import ARTICLES_PATH, articles_table
from harness.metrics.temporal import DATES_PATH, dates_table
from harness.metrics.translation.settings import SETTINGS_PATH, load_table
from harness.paths import TASKS_DIR
from harness.task_literals import task_literals
from harness.translation.cleaning import TABLE_PATH, _table


def _broken(shipped: Path, folder: Path, old: str, new: str) -> tuple[Path, int]:
    """A copy of `shipped` in `folder` with `old` (found once) replaced by `new`, and the line
    where `new` starts."""
    text = shipped.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = folder / shipped.name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path, text[: text.index(old)].count("\n") + 1


def _literals(path: Path) -> object:
    return get_literals("deu_Latn", path)


def _task_literals(path: Path) -> object:
    return task_literals(path.parent, "est_Latn")


def _articles(path: Path) -> object:
    return articles_table(path)


def _dates(path: Path) -> object:
    return dates_table(path)


def _settings(path: Path) -> object:
    return load_table(path)


def _preambles(path: Path) -> object:
    return _table(path)


XCOPA = TASKS_DIR / "xcopa" / "literals.yaml"
Loader = Callable[[Path], object]

# (loader, shipped file, text, the text with a key misspelt, the key it misspells)
MISSPELT: list[tuple[Loader, Path, str, str, str]] = [
    (_literals, default_table_path(), '  question: "Frage"', '  qestion: "Frage"', "question"),
    (_task_literals, XCOPA, '  effect_question: "Mis selle', '  efect_question: "Mis selle',
     "effect_question"),
    (_preambles, TABLE_PATH, '  notes: ["नोट", "टिप्पणी"]\n\nhin_Deva',
     '  note: ["नोट", "टिप्पणी"]\n\nhin_Deva', "notes"),
    (_settings, SETTINGS_PATH, "  ter_asian_support: false", "  ter_asian_suport: false",
     "ter_asian_support"),
    (_articles, ARTICLES_PATH, "ita:\n  words:", "ita:\n  wrds:", "words"),
    (_dates, DATES_PATH, '  fillers: ["im",', '  filers: ["im",', "fillers"),
]  # fmt: skip

# (loader, shipped file, text, the text with a value of the wrong type, what the message names)
WRONG_TYPE: list[tuple[Loader, Path, str, str, str]] = [
    (_literals, default_table_path(), '  question: "Frage"', "  question: [Frage]", "question"),
    (_literals, default_table_path(), '  question: "Frage"', "  question: {a: b}", "question"),
    (_task_literals, XCOPA, '  effect_question: "Mis selle tagajärjel juhtus?"',
     "  effect_question: 12", "effect_question"),
    (_preambles, TABLE_PATH, '  notes: ["नोट", "टिप्पणी"]\n\nhin_Deva',
     '  notes: 3\n\nhin_Deva', "notes"),
    (_settings, SETTINGS_PATH, "  ter_normalized: false", '  ter_normalized: "no"',
     "ter_normalized"),
    (_articles, ARTICLES_PATH, "ita:\n  words:", "ita:\n  words: 3\n  anywhere:", "words"),
    (_dates, DATES_PATH, '  fillers: ["im",', '  fillers: [3,', "fillers"),
]  # fmt: skip


def _error(loader: Loader, path: Path) -> PolyevalError:
    with pytest.raises(PolyevalError) as caught:
        loader(path)
    return caught.value


def _ids(cases: list[tuple[Loader, Path, str, str, str]]) -> list[str]:
    return [f"{shipped.parent.name}/{shipped.name}-{name}" for _, shipped, _, _, name in cases]


@pytest.mark.parametrize(("loader", "shipped", "old", "new", "key"), MISSPELT, ids=_ids(MISSPELT))
def test_a_misspelt_key_names_its_line_and_the_key(
    tmp_path: Path, loader: Loader, shipped: Path, old: str, new: str, key: str
) -> None:
    loader(shipped)  # the shipped file loads
    path, line = _broken(shipped, tmp_path, old, new)
    error = _error(loader, path)
    assert error.where == f"{path}:{line + old[: old.index(key)].count(chr(10))}"
    assert f"did you mean '{key}'?" in error.message


@pytest.mark.parametrize(
    ("loader", "shipped", "old", "new", "field"), WRONG_TYPE, ids=_ids(WRONG_TYPE)
)
def test_a_value_of_the_wrong_type_names_its_line(
    tmp_path: Path, loader: Loader, shipped: Path, old: str, new: str, field: str
) -> None:
    path, line = _broken(shipped, tmp_path, old, new)
    error = _error(loader, path)
    assert error.where == f"{path}:{line + new[: new.index(field)].count(chr(10))}"
    assert field in error.message


def test_the_task_literals_name_the_row_a_value_is_in(tmp_path: Path) -> None:
    path, line = _broken(XCOPA, tmp_path, '  premise: "Premise"', "  premise: true")
    error = _error(_task_literals, path)
    assert (error.where, error.message) == (
        f"{path}:{line}",
        "eng_Latn.premise: Input should be a valid string",
    )


def test_the_literals_row_schema_has_every_key() -> None:
    from harness.literals import _Row

    assert set(_Row.model_fields) == set(KEYS)


@pytest.mark.parametrize(
    ("old", "new", "message", "below"),
    [
        ("deu_Latn:\n", "deu_Latn:\n  question: x\n", "deu_Latn: key 'question' is given twice",
         2),
        ("deu_Latn:\n", "eng_Latn:\ndeu_Latn:\n", "language eng_Latn is given twice", 0),
        ('  question: "Frage"', "  question: 3", "deu_Latn.question: Input should be", 0),
        ("deu_Latn:\n", "deu_Latn: 3\nxxx_Latn:\n", "deu_Latn: expected a mapping of keys", 0),
    ],
)  # fmt: skip
def test_the_literals_table_names_a_repeated_key_or_bad_row(
    tmp_path: Path, old: str, new: str, message: str, below: int
) -> None:
    """`below`: how many lines below the replaced text the fault is (a repeat: the second)."""
    path, line = _broken(default_table_path(), tmp_path, old, new)
    error = _error(_literals, path)
    assert error.message.startswith(message)
    assert error.where == f"{path}:{line + below}"


def test_a_bad_literal_value_is_reported_where_the_row_gives_it(tmp_path: Path) -> None:
    """Values are checked once merged over English's; the place is the key where the row
    gives it."""
    path, line = _broken(default_table_path(), tmp_path, '  question: "Frage"', '  digits: "01"')
    error = _error(_literals, path)
    assert error.where == f"{path}:{line}"
    assert error.message.startswith("deu_Latn.digits: ")


def test_a_translation_row_may_leave_settings_out() -> None:
    table = load_table(SETTINGS_PATH)
    assert table.scripts["Thai"] == {"bleu_tokenize": "char"}
    assert set(table.default) == {"bleu_tokenize", "ter_normalized", "ter_asian_support"}


def test_the_translation_default_row_sets_every_setting(tmp_path: Path) -> None:
    path, _ = _broken(SETTINGS_PATH, tmp_path, "  ter_normalized: false\n", "")
    error = _error(_settings, path)
    assert error.message.startswith("missing field 'default.ter_normalized'")
