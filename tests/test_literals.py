"""The per-language literals table: coverage, fallbacks, validation errors with file:line."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import yaml

from harness.errors import PolyevalError
from harness.literals import (
    KEYS,
    Literals,
    default_table_path,
    get_literals,
    literals_table_hash,
    table_languages,
)

REQUIRED = [
    "eng_Latn", "ben_Beng", "deu_Latn", "spa_Latn", "fra_Latn", "jpn_Jpan", "rus_Cyrl",
    "swh_Latn", "tel_Telu", "tha_Thai", "zho_Hans", "urd_Arab", "hin_Deva", "npi_Deva",
    "sin_Sinh", "hye_Armn", "kaz_Cyrl", "lug_Latn", "dzo_Tibt", "arb_Arab", "pes_Arab",
    "ind_Latn", "tam_Taml", "kor_Hang", "por_Latn", "ita_Latn", "tur_Latn", "vie_Latn",
    "ron_Latn",
]  # fmt: skip

MINI_TABLE = """\
eng_Latn:
  question: "Question"
  answer: "Answer"
  passage: "Passage"
  options: "Options"
  step_by_step_answer: "Step-by-Step Answer"
  the_answer_is: "The answer is"
  answer_words: ["answer"]
  choice_labels: ["A", "B", "C", "D"]
  digits: "0123456789"
  decimal_separator: "."
  thousands_separator: "'"
  colon: ": "
  full_stop: "."
  mcq_instruction: "Pick a letter."
  cot_instruction: "Think."
  direct_instruction: "Number only."
xxx_Latn:
  question: "Kwestion"
  the_answer_is: "Di ansa na"
"""


def _raw_rows() -> dict[str, dict[str, object]]:
    rows: dict[str, dict[str, object]] = yaml.safe_load(default_table_path().read_text("utf-8"))
    return rows


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "literals.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_table_covers_the_required_languages() -> None:
    assert set(REQUIRED) <= set(table_languages())
    assert table_languages()[0] == "eng_Latn"


def test_english_defines_every_key() -> None:
    assert set(_raw_rows()["eng_Latn"]) == set(KEYS)


@pytest.mark.parametrize("language", REQUIRED)
def test_every_language_has_its_answer_phrase_and_ten_digits(language: str) -> None:
    assert str(_raw_rows()[language]["the_answer_is"]).strip()
    digits = get_literals(language).digits
    assert len(digits) == 10
    assert [unicodedata.decimal(d) for d in digits] == list(range(10))


@pytest.mark.parametrize(
    ("language", "zero"),
    [("ben_Beng", "০"), ("hin_Deva", "०"), ("urd_Arab", "۰"), ("arb_Arab", "٠"), ("tha_Thai", "๐"),
     ("tel_Telu", "౦"), ("dzo_Tibt", "༠"), ("deu_Latn", "0")],
)  # fmt: skip
def test_native_digits(language: str, zero: str) -> None:
    assert get_literals(language).digits[0] == zero


def test_separators_and_punctuation() -> None:
    german, french = get_literals("deu_Latn"), get_literals("fra_Latn")
    assert (german.decimal_separator, german.thousands_separator) == (",", ".")
    assert french.colon == " : "
    assert get_literals("zho_Hans").colon == "："
    assert get_literals("ben_Beng").full_stop == "।"
    assert get_literals("urd_Arab").full_stop == "۔"


def test_missing_key_falls_back_to_english() -> None:
    # lug_Latn leaves the instructions to English
    assert "mcq_instruction" not in _raw_rows()["lug_Latn"]
    english = get_literals("eng_Latn")
    luganda = get_literals("lug_Latn")
    assert luganda.mcq_instruction == english.mcq_instruction
    assert luganda.question != english.question


def test_number_format_keys_fall_back_to_ascii_not_english(tmp_path: Path) -> None:
    path = _write(tmp_path, MINI_TABLE)
    other = get_literals("xxx_Latn", path)
    assert other.question == "Kwestion"
    assert other.answer == "Answer"  # from English
    assert other.thousands_separator == ","  # ASCII default, not English's "'"
    assert other.digits == "0123456789"


def test_unknown_language_gets_english_values() -> None:
    unknown = get_literals("qqq_Latn")
    english = get_literals("eng_Latn")
    assert unknown.language == "qqq_Latn"
    assert unknown.model_dump(exclude={"language"}) == english.model_dump(exclude={"language"})


def test_literals_are_frozen_and_cached() -> None:
    german = get_literals("deu_Latn")
    assert get_literals("deu_Latn") is german
    with pytest.raises(ValueError):
        german.question = "Fragen"  # type: ignore[misc]
    with pytest.raises(ValueError):
        Literals(**{**german.model_dump(), "colour": "blue"})


def test_template_vars() -> None:
    variables = get_literals("deu_Latn").as_template_vars()
    assert variables["the_answer_is"] == "Die Antwort ist"
    assert variables["language"] == "deu_Latn"
    assert set(variables) == {"language", *KEYS}


def test_table_hash() -> None:
    german = literals_table_hash("deu_Latn")
    assert len(german) == 64
    assert german == literals_table_hash("deu_Latn")
    assert german != literals_table_hash("fra_Latn")


def test_typo_key_names_file_and_line(tmp_path: Path) -> None:
    text = default_table_path().read_text("utf-8")
    lines = text.splitlines()
    row = lines.index("deu_Latn:")
    lines.insert(row + 2, '  the_answr_is: "Die Antwort ist"')
    path = _write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(PolyevalError) as caught:
        get_literals("deu_Latn", path)
    assert caught.value.where == f"{path}:{row + 3}"
    assert "the_answr_is" in caught.value.message
    assert "the_answer_is" in caught.value.message  # the suggestion


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, MINI_TABLE.replace('question: "Kwestion"', 'question: "Kwestion'))
    with pytest.raises(PolyevalError) as caught:
        get_literals("xxx_Latn", path)
    assert caught.value.where is not None
    assert caught.value.where.startswith(f"{path}:")


def test_bad_value_names_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, MINI_TABLE + '  digits: "012345"\n')
    with pytest.raises(PolyevalError) as caught:
        get_literals("eng_Latn", path)
    assert caught.value.where == f"{path}:{MINI_TABLE.count(chr(10)) + 1}"
    assert "digits" in caught.value.message


def test_english_must_define_every_key(tmp_path: Path) -> None:
    path = _write(tmp_path, MINI_TABLE.replace('  full_stop: "."\n', "", 1))
    with pytest.raises(PolyevalError) as caught:
        get_literals("eng_Latn", path)
    assert caught.value.where == f"{path}:1"
    assert "full_stop" in caught.value.message


def test_default_table_is_shown_relative() -> None:
    text = default_table_path().read_text("utf-8")
    assert "eng_Latn:" in text
    # the error location for the built-in table reads prompts/literals.yaml:LINE
    from harness.literals import _shown

    assert _shown(default_table_path()) == "prompts/literals.yaml"


@pytest.mark.parametrize(
    ("language", "labels"),
    [("ben_Beng", "ক খ গ ঘ ঙ"), ("arb_Arab", "أ ب ج د هـ"), ("urd_Arab", "الف ب ج د"),
     ("dzo_Tibt", "ཀ ཁ ག ང ཅ"), ("hin_Deva", "क ख ग घ ङ"), ("eng_Latn", ""), ("deu_Latn", "")],
)  # fmt: skip
def test_native_labels(language: str, labels: str) -> None:
    assert get_literals(language).native_labels == tuple(labels.split())


def test_native_labels_are_never_inherited(tmp_path: Path) -> None:
    table = MINI_TABLE.replace(
        '  digits: "0123456789"\n', '  native_labels: ["α", "β"]\n  digits: "0123456789"\n', 1
    )
    path = _write(tmp_path, table)
    assert get_literals("eng_Latn", path).native_labels == ("α", "β")
    assert get_literals("xxx_Latn", path).native_labels == ()
    # the reference row may leave them out
    (tmp_path / "plain").mkdir()
    plain = _write(tmp_path / "plain", MINI_TABLE)
    assert get_literals("eng_Latn", plain).native_labels == ()


def test_native_labels_must_be_distinct(tmp_path: Path) -> None:
    path = _write(tmp_path, MINI_TABLE + '  native_labels: ["ক", "ক"]\n')
    with pytest.raises(PolyevalError) as caught:
        get_literals("xxx_Latn", path)
    assert "native_labels" in caught.value.message
    assert caught.value.where == f"{path}:{MINI_TABLE.count(chr(10)) + 1}"


def test_answer_forms_belong_to_their_language(tmp_path: Path) -> None:
    """copulas, hedges, option words, ordinals and thousands_also are a language's own: a row
    without them has none (the parsers add English's), never English's copied in."""
    table = MINI_TABLE.replace(
        '  digits: "0123456789"\n',
        '  copulas: ["should be"]\n  hedges: ["probably"]\n  option_words: ["option"]\n'
        '  ordinals: [["first", "1st"], ["second"]]\n  thousands_also: [" "]\n'
        '  digits: "0123456789"\n',
        1,
    )
    path = _write(tmp_path, table)
    english = get_literals("eng_Latn", path)
    assert english.copulas == ("should be",) and english.ordinals == (("first", "1st"), ("second",))
    other = get_literals("xxx_Latn", path)
    assert (other.copulas, other.hedges, other.option_words, other.ordinals) == ((), (), (), ())
    assert other.thousands_also == ()


@pytest.mark.parametrize(
    ("row", "key"),
    [
        ('  ordinals: [["first"], []]\n', "ordinals"),
        ('  ordinals: [["first", " "]]\n', "ordinals"),
        ('  copulas: ["is", ""]\n', "copulas"),
        ('  hedges: [" "]\n', "hedges"),
        (
            '  thousands_separator: "."\n  decimal_separator: ","\n  thousands_also: [","]\n',
            "thousands_also",
        ),
    ],
)
def test_answer_forms_are_checked(tmp_path: Path, row: str, key: str) -> None:
    path = _write(tmp_path, MINI_TABLE + row)
    with pytest.raises(PolyevalError) as caught:
        get_literals("xxx_Latn", path)
    assert key in caught.value.message


def test_every_language_with_ordinals_names_each_position_once() -> None:
    for language in table_languages():
        literals = get_literals(language)
        forms = [form.casefold() for position in literals.ordinals for form in position]
        assert len(forms) == len(set(forms)), language
        assert len(literals.ordinals) in (0, 5), language
