"""Cleaning translation replies (cases in translation_cleaning_cases.yaml): what is scored, what
is recorded as removed, and that cleaning is idempotent and loses nothing unrecorded."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.errors import PolyevalError
from harness.languages import is_known
from harness.translation.cleaning import Cleaned, _table, clean_translation

CASES_PATH = Path(__file__).with_name("translation_cleaning_cases.yaml")
FIELDS = {"why", "from", "to", "source", "output", "text", "stripped"}


def _load() -> list[dict[str, Any]]:
    data = yaml.safe_load(CASES_PATH.read_text("utf-8"))
    cases: list[dict[str, Any]] = data["cases"]
    return cases


CASES = _load()
IDS = [f"{number:02d}-{case['to']}" for number, case in enumerate(CASES)]


def _clean(case: dict[str, Any], output: str | None = None) -> Cleaned:
    text = case["output"] if output is None else output
    return clean_translation(text, case["source"], case["from"], case["to"])


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_case(case: dict[str, Any]) -> None:
    cleaned = _clean(case)
    assert cleaned.text == case["text"], case["why"]
    assert list(cleaned.stripped) == case["stripped"], case["why"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_cleaning_is_idempotent(case: dict[str, Any]) -> None:
    cleaned = _clean(case)
    assert _clean(case, cleaned.text) == Cleaned(cleaned.text, ())


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_pieces_and_text_account_for_the_output(case: dict[str, Any]) -> None:
    """The pieces, in order, with the text somewhere among them, are the output (whitespace
    aside); each piece is verbatim from the output."""
    cleaned = _clean(case)
    pieces = list(cleaned.stripped)
    assert all(piece and piece in case["output"] for piece in pieces)
    whole = _squash(case["output"])
    rebuilt = {
        _squash("".join(pieces[:at]) + cleaned.text + "".join(pieces[at:]))
        for at in range(len(pieces) + 1)
    }
    assert whole in rebuilt


def test_cases_are_well_formed() -> None:
    for case in CASES:
        assert set(case) == FIELDS, case
        assert is_known(case["from"]) and is_known(case["to"]), case
        assert all(isinstance(piece, str) for piece in case["stripped"]), case


def test_enough_cases_and_languages() -> None:
    assert len(CASES) >= 40
    assert len({case["to"] for case in CASES}) >= 8
    assert any(not case["stripped"] for case in CASES)  # do-not-damage cases
    assert any(case["text"] == "" for case in CASES)


def test_reasoning_inside_the_translation_is_recorded() -> None:
    cleaned = clean_translation(
        "Bonjour <think>hmm</think>le monde.", "Hello world.", "eng_Latn", "fra_Latn"
    )
    assert _squash(cleaned.text) == "Bonjourlemonde."
    assert cleaned.stripped == ("<think>hmm</think>",)


def test_empty_output() -> None:
    assert clean_translation("", "Hello.", "eng_Latn", "fra_Latn") == Cleaned("", ())
    assert clean_translation("  \n ", "Hello.", "eng_Latn", "fra_Latn") == Cleaned("", ())


def test_unknown_language_gets_the_english_patterns() -> None:
    cleaned = clean_translation("Translation: abc", "xyz", "eng_Latn", "xxx_Latn")
    assert cleaned == Cleaned("abc", ("Translation:",))


def test_the_table_names_known_languages_only() -> None:
    table = _table()
    assert table.english.preambles
    assert all(is_known(code) for code in table.languages)


def test_a_bad_table_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "preambles.yaml"
    path.write_text("english:\n  preambles: ['ok']\nxx_Nope:\n  preambles: ['a']\n", "utf-8")
    with pytest.raises(PolyevalError, match="unknown language") as raised:
        _table(path)
    assert raised.value.where == f"{path}:3"
    path.write_text("english:\n  preambles: ['(unclosed']\n", "utf-8")
    with pytest.raises(PolyevalError, match=r"english\.preambles\[0\]"):
        _table(path)
