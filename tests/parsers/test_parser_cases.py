"""The answer parsers on realistic model replies across languages (cases in parser_cases.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.literals import get_literals, table_languages
from harness.parsers import get_parser

CASES_PATH = Path(__file__).with_name("parser_cases.yaml")
FIELDS = {"parser", "language", "text", "expected", "choices", "complete", "prompt", "form"}
REQUIRED = {"parser", "language", "text", "expected"}


def _load() -> list[dict[str, Any]]:
    data = yaml.safe_load(CASES_PATH.read_text("utf-8"))
    cases: list[dict[str, Any]] = data["cases"]
    return cases


CASES = _load()


def _case_id(number: int, case: dict[str, Any]) -> str:
    cut = "-cut" if case.get("complete") is False else ""
    return f"{number:03d}-{case['language']}-{case['parser']}{cut}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(i, case) for i, case in enumerate(CASES)])
def test_parser_case(case: dict[str, Any]) -> None:
    parser = get_parser(case["parser"])
    literals = get_literals(case["language"])
    got = parser(
        case["text"],
        literals,
        case.get("choices"),
        complete=case.get("complete", True),
        prompt=case.get("prompt"),
        form=case.get("form"),
    )
    expected = case["expected"]
    assert got == (None if expected is None else str(expected)), case["text"]


def test_cases_are_well_formed() -> None:
    known = set(table_languages())
    for case in CASES:
        assert REQUIRED <= set(case) <= FIELDS, case
        assert case["parser"] in {"choice", "number"}, case
        assert case["language"] in known, case
        assert case.get("complete", True) in (True, False), case
        assert case.get("form") in (None, "number", "integer"), case
        assert isinstance(case.get("prompt", ""), str), case


def test_enough_cases_and_languages() -> None:
    languages = {case["language"] for case in CASES}
    assert len(CASES) >= 200
    assert len(languages) >= 10
    for parser in ("choice", "number"):
        assert len({c["language"] for c in CASES if c["parser"] == parser}) >= 10, parser
    assert any(case.get("complete") is False for case in CASES)
