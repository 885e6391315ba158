"""YAML tables read into pydantic models (harness/schema.py): one error naming file:line, with a
did-you-mean from the model's own fields, for every table that goes through load_model."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from harness.errors import PolyevalError
from harness.langid.tables import DATA_PATH, SCRIPTS_PATH, _load_data, _load_scripts
from harness.registry import TaskRegistry
from harness.schema import load_model


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    colour: str
    size: int = 1


class _Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    items: list[_Inner] = []


def _write(tmp_path: Path, text: str, name: str = "table.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_file_is_the_model(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\nitems:\n  - colour: red\n    size: 2\n")
    assert load_model(path, _Outer) == _Outer(name="x", items=[_Inner(colour="red", size=2)])


def test_a_misspelt_key_names_its_line_and_the_field_it_misspells(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\nitems:\n  - colour: red\n  - color: blue\n")
    with pytest.raises(PolyevalError) as caught:
        load_model(path, _Outer)
    assert caught.value.where == f"{path}:4"
    assert caught.value.message == (
        "unknown field 'items.1.color'; did you mean 'colour'? (and 1 more problem)"
    )


def test_a_wrong_value_names_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\nitems:\n  - colour: red\n    size: big\n")
    with pytest.raises(PolyevalError, match=r":4: field 'items\.0\.size': Input should be"):
        load_model(path, _Outer)
    with pytest.raises(PolyevalError) as caught:
        load_model(path, _Outer, shown="tables/table.yaml")
    assert caught.value.where == "tables/table.yaml:4"


def test_a_document_that_is_no_mapping(tmp_path: Path) -> None:
    path = _write(tmp_path, "- a\n- b\n")
    with pytest.raises(PolyevalError, match="a table is a mapping") as caught:
        load_model(path, _Outer, not_mapping="a table is a mapping")
    assert caught.value.where == str(path)


def _langid(tmp_path: Path, old: str, new: str) -> Path:
    text = DATA_PATH.read_text(encoding="utf-8")
    assert text.count(old) == 1
    return _write(tmp_path, text.replace(old, new), "langid.yaml")


def _line(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def test_a_misspelt_key_in_the_langid_table_names_its_line(tmp_path: Path) -> None:
    path = _langid(tmp_path, "  min_letters: 12", "  min_leters: 12")
    with pytest.raises(PolyevalError) as caught:
        _load_data(path, _load_scripts(SCRIPTS_PATH))
    assert caught.value.where == f"{path}:{_line(path, 'min_leters')}"
    assert "unknown field 'thresholds.min_leters'; did you mean 'min_letters'?" in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "marker", "message"),
    [
        ("absence_words: 6", "absence_words: 600", "absence_words: 600", "absence_words"),
        ("Hans: Hani", "Hans: Hanx", "Hans: Hanx", "'Hanx' is not a script of scripts.tsv"),
        ("Hans: Hani", "hans: Hani", "hans: Hani", "'hans' is not an ISO 15924 code"),
    ],
)
def test_a_wrong_value_in_the_langid_table_names_its_line(
    tmp_path: Path, old: str, new: str, marker: str, message: str
) -> None:
    path = _langid(tmp_path, old, new)
    with pytest.raises(PolyevalError, match=message) as caught:
        _load_data(path, _load_scripts(SCRIPTS_PATH))
    assert caught.value.where == f"{path}:{_line(path, marker)}"


def test_a_misspelt_key_in_a_suite_names_its_line(tmp_path: Path) -> None:
    suite = tmp_path / "quizzes"
    suite.mkdir()
    path = _write(suite, "description: two\ntask: [mcq, short_answer]\n", "suite.yaml")
    with pytest.raises(PolyevalError) as caught:
        TaskRegistry(extra_dirs=[tmp_path]).expand(["quizzes"])
    assert caught.value.where == f"{path}:2"
    assert caught.value.message.startswith("unknown field 'task'; did you mean 'tasks'?")
