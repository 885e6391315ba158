"""The checks tests/backends/test_real_model.py applies to a real model's replies, on replies
written here: they must flag what is wrong and pass what is right, or the real-model tests prove
nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from harness.record import SampleRecord
from tests.real_answers import (
    before_next_question,
    has_verdict,
    number_readings,
    parsed_in_reply,
    stated_answer_read,
)

OPTIONS = ["entailment", "neutral", "contradiction"]


def sample(
    output: str | None, parsed: str | None, language: str = "eng_Latn", **more: Any
) -> SampleRecord:
    return SampleRecord(
        task="t",
        variant="v",
        language=language,
        sample_id="1",
        parallel_id="1",
        gold="A",
        prompt="p",
        output=output,
        parsed=parsed,
        **more,
    )


def test_number_readings_cover_locale_forms() -> None:
    assert {Decimal(70000), Decimal(70), Decimal("70.000")} <= number_readings("70 000")
    assert {Decimal(57500), Decimal("57.5")} <= number_readings("57,500")
    assert Decimal("1234.5") in number_readings("1.234,5")
    assert Decimal(126) not in number_readings("243")


def test_parsed_numbers_must_be_in_the_reply() -> None:
    assert parsed_in_reply(sample("Sie zahlt 1.250 Euro.", "1250", "deu_Latn"), "number") is None
    assert parsed_in_reply(sample("It costs ৩৫ taka.", "35", "ben_Beng"), "number") is None
    assert parsed_in_reply(sample("So 12 + 3 = 15.", "-15"), "number") is None
    problem = parsed_in_reply(sample("Die Antwort lautet 243 $.", "126", "deu_Latn"), "number")
    assert problem == "parsed 126 is not a number in the reply"
    assert parsed_in_reply(sample("No idea.", None), "number") is None


def test_parsed_choices_must_be_in_the_reply() -> None:
    choices = {"choices": OPTIONS}
    assert parsed_in_reply(sample("The answer is (b).", "B", **choices), "choice") is None
    assert parsed_in_reply(sample("It is a contradiction.", "C", **choices), "choice") is None
    bengali = {"choices": ["x", "y", "z", "w"]}
    assert parsed_in_reply(sample("সঠিক উত্তর খ", "B", "ben_Beng", **bengali), "choice") is None
    assert parsed_in_reply(sample("Answer: A", "C", **choices), "choice") is not None
    assert parsed_in_reply(sample("CAB", "A", **choices), "choice") is not None  # inside a word
    # "a" is a word: only "(a)" or "a)" is the label
    assert parsed_in_reply(sample("It is a guess.", "A", **choices), "choice") is not None
    assert parsed_in_reply(sample("I pick a) here.", "A", **choices), "choice") is None
    assert parsed_in_reply(sample("A", "D", **choices), "choice") == "parsed D names no option"


def test_parsed_text_must_be_in_the_reply() -> None:
    reply = "Translation:\n\nKathmandu is  the capital."
    assert parsed_in_reply(sample(reply, "Kathmandu is the capital."), "translation") is None
    assert parsed_in_reply(sample(reply, "Pokhara"), "translation") is not None


def test_stated_numbers() -> None:
    assert stated_answer_read(sample("... The answer is 18.", "18"), "number") == (None, False)
    assert stated_answer_read(sample("... The answer is $18.", "8"), "number") == (
        "the reply states 18, parsed 8",
        False,
    )
    # the known gaps are told apart
    german = sample("Die Antwort lautet 243 $ (126 $ Schuhe)", "126", "deu_Latn")
    assert stated_answer_read(german, "number") == (None, False)  # digits after: not plain
    german = sample("Die Antwort lautet 243 $.", "126", "deu_Latn")
    assert stated_answer_read(german, "number") == ("the reply states 243, parsed 126", True)
    spanish = sample("La respuesta es 70 000.", "70", "spa_Latn")
    assert stated_answer_read(spanish, "number") == ("the reply states 70000, parsed 70", True)
    # a calculation after the phrase, or no phrase: nothing is checked
    assert stated_answer_read(sample("The answer is 5 + 6 = 11.", "11"), "number")[0] is None
    assert stated_answer_read(sample("So 11.", None), "number") == (None, False)
    # a reply cut right after a digit may have been cut inside the number: no statement
    cut = sample("... = 2700 dollars earned. The answer is 2", None, finish_reason="length")
    assert stated_answer_read(cut, "number") == (None, False)
    whole = sample("... = 2700 dollars earned. The answer is 2", None, finish_reason="stop")
    assert stated_answer_read(whole, "number") == ("the reply states 2, parsed None", False)


def test_stated_choices() -> None:
    choices = {"choices": OPTIONS}
    assert stated_answer_read(sample("**B**", "B", **choices), "choice") == (None, False)
    assert stated_answer_read(sample("(C)", None, **choices), "choice") == (
        "the reply states C, parsed None",
        False,
    )
    cut = sample("C. contradiction\n\nThe premise says", None, **choices)
    assert stated_answer_read(cut, "choice") == ("the reply states C, parsed None", True)
    # reciting the options, or stating another answer later, states nothing
    listed = sample("A. entailment\nB. neutral\nC. contradiction", None, **choices)
    assert stated_answer_read(listed, "choice") == (None, False)
    looping = sample("C. contradiction\nD. contradiction\nE. contradiction", None, **choices)
    assert stated_answer_read(looping, "choice") == (None, False)
    other = sample("A. entailment\n\nThe correct answer is B.", "B", **choices)
    assert stated_answer_read(other, "choice") == (None, False)
    assert stated_answer_read(sample("D", None, **choices), "choice") == (None, False)


def test_the_answer_before_a_next_question() -> None:
    reply = "12 * 3 = 36. The answer is 36.\n\nQuestion: Tom has 5 apples.\nStep-by-Step Answer: 5"
    assert before_next_question(sample(reply, "5")) == "12 * 3 = 36. The answer is 36."
    assert before_next_question(sample("Die Antwort ist 4.\n\nFrage: x", "4", "deu_Latn")) == (
        "Die Antwort ist 4."
    )
    assert before_next_question(sample("The answer is 36.", "36")) is None


def test_verdicts() -> None:
    assert has_verdict(sample("Hello there.", None, langid={"consistent": "yes"})) is None
    assert has_verdict(sample(None, None)) is None  # a failed request has no reply to judge
    assert has_verdict(sample("Hello there.", None)) == "no language verdict: None"
