"""Answer extraction: numbers and option letters across languages, scripts and reply styles."""

from __future__ import annotations

import pytest

from harness.errors import PolyevalError
from harness.literals import get_literals
from harness.parsers import (
    PARSERS,
    get_parser,
    normalize_number,
    parse_choice,
    parse_number,
    strip_reasoning,
)

NUMBER_CASES = [
    # English: phrase, currency, thousands, decimals, signs, markdown, LaTeX
    ("eng_Latn", "5 + 6 = 11. The answer is 11.", "11"),
    ("eng_Latn", "She earns $18 a day.\n\nThe answer is $18.", "18"),
    ("eng_Latn", "So the total is **2,125** dollars.", "2125"),
    ("eng_Latn", "The answer is: $\\boxed{1{,}250}$", "1250"),
    ("eng_Latn", "We get \\boxed{42}, then check with 7 more.", "42"),
    ("eng_Latn", "The temperature falls to -3 degrees.", "-3"),
    ("eng_Latn", "Final answer: 18.50", "18.5"),
    ("eng_Latn", "The answer is 5 + 6 = 11.", "11"),
    ("eng_Latn", "Step-by-Step Answer: 5 + 6 = 11.", "11"),
    ("eng_Latn", "Answer:\n1. Janet has 16 eggs.\n2. She sells 9.\nShe makes 18 dollars.", "18"),
    ("eng_Latn", "The answer is 18. Check: 3 * 6 = 18, and 20 - 2 = 18 too, so 99 is wrong.", "18"),
    ("eng_Latn", "Option 2 is cheaper: it costs 18", "18"),
    ("eng_Latn", "It grows by 150%.", "150"),
    ("eng_Latn", "1,25,000 rupees", "125000"),
    ("eng_Latn", "I cannot tell.", None),
    # German and French: decimal comma, "." or space for thousands
    ("deu_Latn", "Die Antwort ist 1.250.", "1250"),
    ("deu_Latn", "Die Antwort ist 2,5.", "2.5"),
    ("deu_Latn", "Die Antwort ist 1,250.", "1.25"),
    ("deu_Latn", "Er zahlt 18 €. Die Antwort ist 18.", "18"),
    ("deu_Latn", "Antwort: 1.250,50 €", "1250.5"),
    ("deu_Latn", "Die richtige Antwort ist 7", "7"),
    ("fra_Latn", "La réponse est 1 250.", "1250"),
    ("fra_Latn", "La réponse est 1\u202f250,5 €.", "1250.5"),
    ("spa_Latn", "La respuesta es 2.500.", "2500"),
    # native digits
    ("ben_Beng", "ধাপে ধাপে উত্তর: ৫ + ৬ = ১১। উত্তর হল ১১।", "11"),
    ("ben_Beng", "উত্তর হল 11।", "11"),
    ("tha_Thai", "ดังนั้น 5 + 6 = 11 คำตอบคือ ๑๑", "11"),
    ("tel_Telu", "5+6=11. సమాధానం ౧౧.", "11"),
    ("urd_Arab", "جواب ہے ۱۲۵۰۔", "1250"),
    ("arb_Arab", "الإجابة هي ٣٫٥", "3.5"),
    ("pes_Arab", "پاسخ نهایی: ۱۲", "12"),
    ("hin_Deva", "सही उत्तर है १८।", "18"),
    # scripts without spaces, fullwidth forms, other phrasing
    ("jpn_Jpan", "5+6=11。答えは11です。", "11"),
    ("jpn_Jpan", "正解は１８です", "18"),
    ("zho_Hans", "5 + 6 = 11。答案是 11。", "11"),
    ("zho_Hans", "答案：11", "11"),
    ("kor_Hang", "정답은 18입니다", "18"),
    ("rus_Cyrl", "5 + 6 = 11. Ответ — 11.", "11"),
    ("rus_Cyrl", "Ответ: 1 250 рублей", "1250"),
    ("swh_Latn", "5 + 6 = 11. Jibu ni 11.", "11"),
    # a reply in English under another language's literals still parses
    ("deu_Latn", "Let me think. 3 + 4 = 7. The answer is 7. Then 12 more.", "7"),
    # reasoning blocks
    ("eng_Latn", "<think>The answer is 5</think>The answer is 7", "7"),
    ("eng_Latn", "<think>The answer is 5 and then", None),
    ("eng_Latn", "the opening tag was in the prompt: 5</think> so 9", "9"),
]

CHOICES = ["Lyon", "Paris", "Vitamin C", "Nice"]

CHOICE_CASES = [
    ("eng_Latn", "B", "B"),
    ("eng_Latn", "B.", "B"),
    ("eng_Latn", "(B)", "B"),
    ("eng_Latn", "B)", "B"),
    ("eng_Latn", "[B]", "B"),
    ("eng_Latn", "**B**", "B"),
    ("eng_Latn", "**B.** Paris is the capital.", "B"),
    ("eng_Latn", "Answer: B", "B"),
    ("eng_Latn", "answer: b", "B"),
    ("eng_Latn", "The answer is (C)", "C"),
    ("eng_Latn", "**Answer:** D", "D"),
    ("eng_Latn", "I think the correct option is D because it fits.", "D"),
    ("eng_Latn", "Option B: Paris", "B"),
    ("eng_Latn", "B) Paris", "B"),
    ("eng_Latn", "B) Vitamin C", "B"),
    ("eng_Latn", "Paris", "B"),
    ("eng_Latn", "paris.", "B"),
    ("eng_Latn", "The passage says the city is Paris, not the other ones.", "B"),
    ("eng_Latn", "A robe takes 2 bolts of blue fiber.", None),
    ("eng_Latn", "Options A and C are wrong; the answer is B", "B"),
    ("eng_Latn", "A or B", None),
    ("eng_Latn", "B is the correct answer.", "B"),
    ("eng_Latn", "A. Lyon\nB. Paris\nC. Vitamin C\nD. Nice", None),
    ("eng_Latn", "A and C are wrong. B is right.", None),
    ("eng_Latn", "The answer is a bit unclear, maybe Paris.", "B"),
    ("eng_Latn", "<think>It is A</think>\nC", "C"),
    ("eng_Latn", "<think>It is A, surely", None),
    ("deu_Latn", "Antwort: C", "C"),
    ("deu_Latn", "Antwort:\n\nAntwort: C", "C"),
    ("deu_Latn", "Die richtige Antwort ist B.", "B"),
    ("fra_Latn", "La bonne réponse est B.", "B"),
    ("fra_Latn", "D'après le passage, c'est Paris.", "B"),
    ("spa_Latn", "La respuesta correcta es la opción C.", "C"),
    ("ita_Latn", "E poi la risposta: C", "C"),
    ("rus_Cyrl", "Правильный ответ: B", "B"),
    ("hin_Deva", "उत्तर: B", "B"),
    ("ben_Beng", "সঠিক উত্তর হল B", "B"),
    ("zho_Hans", "答案是 C", "C"),
    ("zho_Hans", "答案：Ｂ", "B"),
    ("jpn_Jpan", "答えは B です", "B"),
    ("jpn_Jpan", "正解はDです。", "D"),
    ("tha_Thai", "คำตอบที่ถูกต้องคือ ข้อ C", "C"),
    ("kor_Hang", "정답은 B입니다.", "B"),
    ("ind_Latn", "Jawaban yang benar adalah D.", "D"),
    ("swh_Latn", "Jibu sahihi ni A.", "A"),
]


@pytest.mark.parametrize(("language", "text", "expected"), NUMBER_CASES)
def test_parse_number(language: str, text: str, expected: str | None) -> None:
    assert parse_number(text, get_literals(language)) == expected


@pytest.mark.parametrize(("language", "text", "expected"), CHOICE_CASES)
def test_parse_choice(language: str, text: str, expected: str | None) -> None:
    assert parse_choice(text, get_literals(language), CHOICES) == expected


def test_cases_cover_enough_languages() -> None:
    languages = {case[0] for case in NUMBER_CASES + CHOICE_CASES}
    assert len(NUMBER_CASES) + len(CHOICE_CASES) >= 40
    assert len(languages) >= 8


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("eng_Latn", "The answer is 11."),
        ("ben_Beng", "উত্তর হল 11।"),
        ("deu_Latn", "Die Antwort ist 11."),
        ("spa_Latn", "La respuesta es 11."),
        ("fra_Latn", "La réponse est 11."),
        ("jpn_Jpan", "答えは11です。"),
        ("rus_Cyrl", "Ответ — 11."),
        ("swh_Latn", "Jibu ni 11."),
        ("tel_Telu", "సమాధానం 11."),
        ("tha_Thai", "คำตอบคือ 11"),
        ("zho_Hans", "答案是 11。"),
    ],
)
def test_mgsm_exemplar_phrasing(language: str, sentence: str) -> None:
    literals = get_literals(language)
    assert literals.the_answer_is in sentence
    reply = f"5 + 7 = 12{literals.full_stop} {sentence}\n(42)"
    assert parse_number(reply, literals) == "11"


def test_number_without_phrase_takes_boxed_then_last() -> None:
    english = get_literals("eng_Latn")
    assert parse_number("first \\boxed{3} then 4", english) == "3"
    assert parse_number("first 3 then 4", english) == "4"


def test_choice_without_options_uses_labels_only() -> None:
    english = get_literals("eng_Latn")
    assert parse_choice("The answer is E", english) == "E"
    assert parse_choice("The answer is E", english, ["w", "x", "y", "z"]) is None


def test_localized_labels_map_back_by_position() -> None:
    literals = get_literals("rus_Cyrl").model_copy(update={"choice_labels": ("А", "Б", "В", "Г")})
    assert parse_choice("Ответ: Б", literals) == "B"
    assert parse_choice("Ответ: B", literals) == "B"  # the Latin letter works too
    assert parse_choice("В", literals) == "C"


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("ben_Beng", "উত্তর: (খ)", "B"),
        ("ben_Beng", "ঘ", "D"),
        ("arb_Arab", "الإجابة هي (هـ)", "E"),
        ("arb_Arab", "الإجابة: ه", "E"),  # the tatweel is optional
        ("urd_Arab", "جواب: الف", "A"),
        ("urd_Arab", "درست جواب (ج) ہے۔", "C"),
        ("dzo_Tibt", "ལན: ཁ", "B"),
        ("hin_Deva", "(घ) सही है।", "D"),
        ("tha_Thai", "คำตอบคือข้อข", "B"),
        # a native letter counts only where it stands as a label
        ("arb_Arab", "أعتقد أن ب صحيح", None),
        ("arb_Arab", "الإجابة هي بسبب ذكر القطار", None),
        ("ben_Beng", "কখনো কখনো", None),
        ("dzo_Tibt", "ཁ་ཅིག་ ག་ཏེ་", None),
        ("tha_Thai", "เดือน ก.ค. ปี ค.ศ. 1990", None),
        ("deu_Latn", "Antwort: খ", None),  # another script's labels are not this language's
    ],
)
def test_native_labels_map_back_by_position(language: str, text: str, expected: str | None) -> None:
    assert parse_choice(text, get_literals(language)) == expected


@pytest.mark.parametrize(
    ("text", "complete", "expected"),
    [
        ("So far 12 * 4 = 48, and then 48 - 7 = 41, next", True, "41"),
        ("So far 12 * 4 = 48, and then 48 - 7 = 41, next", False, None),
        ("The answer is 41. Check: 48 - 7 = 41, and 2 more", False, "41"),
        ("So \\boxed{41}. Check: 48 - 7 = 41, and 2 more", False, "41"),
    ],
)
def test_truncated_number_needs_a_stated_answer(
    text: str, complete: bool, expected: str | None
) -> None:
    assert parse_number(text, get_literals("eng_Latn"), complete=complete) == expected


@pytest.mark.parametrize(
    ("text", "complete", "expected"),
    [
        ("Option A is wrong because", True, "A"),
        ("Option A is wrong because", False, None),
        ("A and C are unlikely, B", True, None),
        ("Looking at B again, B fits and", True, "B"),
        ("Looking at B again, B fits and", False, None),
        ("The answer is C. Option A is wrong because", False, "C"),
        ("C\n\nOption A is wrong because", False, "C"),
        ("Paris is", False, None),
    ],
)
def test_truncated_choice_needs_a_stated_answer(
    text: str, complete: bool, expected: str | None
) -> None:
    assert parse_choice(text, get_literals("eng_Latn"), CHOICES, complete=complete) == expected


def test_stated_answer_wins_over_options_discussed_after_it() -> None:
    english = get_literals("eng_Latn")
    assert parse_choice("**Answer: C**\n\nOption A is wrong, option B too.", english) == "C"
    assert parse_choice("B\n\nOption A is wrong.", english) == "B"
    assert parse_choice("La respuesta es la C.", get_literals("spa_Latn")) == "C"
    assert parse_choice("La réponse est l'option B.", get_literals("fra_Latn")) == "B"
    assert parse_choice("Die Antwort ist Paris.", get_literals("deu_Latn"), CHOICES) == "B"


def test_verb_final_copula_states_an_answer() -> None:
    hindi = get_literals("hin_Deva")
    assert parse_number("सही उत्तर 18 है। फिर 20", hindi, complete=False) == "18"
    assert parse_number("सही उत्तर 18 नहीं है। फिर 20", hindi, complete=False) is None


def test_korean_answer_word_with_particle_is_a_phrase() -> None:
    korean = get_literals("kor_Hang")
    assert parse_number("정답은 18입니다. 검산: 20", korean, complete=False) == "18"


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("eng_Latn", "2,125", "2125"),
        ("eng_Latn", "70000", "70000"),
        ("eng_Latn", "-3", "-3"),
        ("eng_Latn", "18.0", "18"),
        ("eng_Latn", "0.50", "0.5"),
        ("eng_Latn", "1.250.000", "1250000"),
        ("deu_Latn", "1.250", "1250"),
        ("deu_Latn", "2,5", "2.5"),
        ("ben_Beng", "১১", "11"),
        ("eng_Latn", "no digits", None),
    ],
)
def test_normalize_number(language: str, text: str, expected: str | None) -> None:
    assert normalize_number(text, get_literals(language)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<think>x</think>answer", "answer"),
        ("<THINKING>\nx\n</THINKING>\nanswer", "answer"),
        ("a <think>x</think>b<think>y</think>c", "a b c"),
        ("<think>unfinished", ""),
        ("  <think>unfinished", ""),
        ("answer <think>unfinished", "answer"),
        ("reasoning</think>answer", "answer"),
        ("no tags", "no tags"),
    ],
)
def test_strip_reasoning(text: str, expected: str) -> None:
    assert " ".join(strip_reasoning(text).split()) == expected


def test_get_parser() -> None:
    assert get_parser("choice") is parse_choice
    assert get_parser("number") is parse_number
    assert {"choice", "number"} <= set(PARSERS)


def test_unknown_parser_names_the_known_ones() -> None:
    with pytest.raises(PolyevalError) as caught:
        get_parser("letter")
    assert "'letter'" in str(caught.value)
    assert "choice" in str(caught.value) and "number" in str(caught.value)
