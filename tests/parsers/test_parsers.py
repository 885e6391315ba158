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
    with_cue,
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


def test_a_cut_reply_that_ends_in_its_stated_number_states_nothing() -> None:
    """A reply cut by the token limit right after "The answer is 7" may have been cut inside
    the number (75): a real model's MGSM reply did so."""
    english = get_literals("eng_Latn")
    cut = "She earned 150 - 45 = 75 dollars from selling the mangoes. The answer is 7"
    assert parse_number(cut, english, complete=False) is None
    assert parse_number(cut, english) == "7"  # a reply that stopped there: its own answer
    assert parse_number(cut + "5 dollars, and then", english, complete=False) == "75"
    assert parse_number("Die Antwort lautet 2.", get_literals("deu_Latn"), complete=False) == "2"


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


# --- the classes of answers models write (issue: real replies read wrong) --------------------

NLI = ["entailment", "neutral", "contradiction"]


@pytest.mark.parametrize("complete", [True, False])
@pytest.mark.parametrize(
    ("language", "text", "choices", "expected"),
    [
        # a label with its own option's text, also when the reply goes on or is cut
        ("eng_Latn", "C. contradiction", NLI, "C"),
        ("fra_Latn", "C. contradiction\n\nLa prémise est d'un mot, mais", NLI, "C"),
        ("eng_Latn", "**(B) neutral** because the premise", NLI, "B"),
        ("eng_Latn", "C. contradiction, since the premise denies it", NLI, "C"),
        # a label set off at the reply's start, before a text that is no other option's
        ("eng_Latn", "C. The hypothesis denies what the premise", NLI, "C"),
        ("eng_Latn", "(B) The premise says nothing about", NLI, "B"),
        # a later line that is only a label and its own option's text
        (
            "deu_Latn",
            "Welche Probleme gibt es?\n\nD. Abgeschnittene Ränder\nE. E",
            ["Ein Bild", "Untertitel", "Ein Bildschirm", "Abgeschnittene Ränder"],
            "D",
        ),
        ("eng_Latn", "The premise is short.\n\n**B**\n\nThe premise", NLI, "B"),
        ("eng_Latn", "The premise.\n\nA. entailment\n\nC. contradiction", NLI, None),
        # a list of the options states none of them, on one line or several
        ("eng_Latn", "A. entailment\nB. neutral\nC. contradiction", NLI, None),
        ("eng_Latn", "B. neutral C. contradiction A. entailment", NLI, None),
        ("eng_Latn", "- A. entailment\n- B. neutral", NLI, None),
        ("eng_Latn", "A.\nB.\nC.", NLI, None),
        (
            "eng_Latn",
            "A. More pressure or speed\nB. More force\nC. Less finger motion",
            ["More speed", "More force", "Less pressure", "Less finger motion"],
            None,
        ),
        # an option's text alone, or opening the reply
        ("eng_Latn", "contradiction", NLI, "C"),
        ("eng_Latn", "Contradiction. The hypothesis says the opposite", NLI, "C"),
        ("eng_Latn", "Entailment, neutral or contradiction? The premise", NLI, None),
        ("vie_Latn", "Nó dễ vỡ. Nó dễ vỡ. Nó dễ v", ["Nó dễ vỡ.", "Nó nhỏ."], "A"),
        ("ita_Latn", "Era delicato.\nEra piccolo.", ["Era delicato.", "Era piccolo."], None),
        # ordinal forms, with or without an answer phrase
        ("ita_Latn", "La seconda alternativa", ["Era delicato.", "Era piccolo."], "B"),
        ("ita_Latn", "La seconda alternativa.\n\nIl premio", ["x y", "z w"], "B"),
        ("eng_Latn", "The answer is the second option.", NLI, "B"),
        ("eng_Latn", "The third option: contradiction", NLI, "C"),
        ("deu_Latn", "Die richtige Antwort ist die erste Option, weil", NLI, "A"),
        ("tur_Latn", "Doğru cevap: ikinci seçenek.", NLI, "B"),
        ("swh_Latn", "Jibu ni chaguo la pili.", NLI, "B"),
        ("zho_Hans", "答案是第三个选项。", NLI, "C"),
        ("rus_Cyrl", "Правильный ответ — второй вариант.", NLI, "B"),
        # a label named with an option word, in the language's order
        ("tur_Latn", "A şıkkı", ["Kırılgandı.", "Küçüktü."], "A"),
        ("tur_Latn", "B şıkkı: Küçüktü.", ["Kırılgandı.", "Küçüktü."], "B"),
        ("eng_Latn", "Option B:\nneutral", NLI, "B"),
        # hedged forms
        ("fra_Latn", "La réponse devrait être B", NLI, "B"),
        ("eng_Latn", "The answer should be B, given", NLI, "B"),
        ("eng_Latn", "Probably B. The premise", NLI, "B"),
        ("eng_Latn", "A is probably wrong, so probably C", NLI, "C"),
        ("deu_Latn", "Die Antwort ist wahrscheinlich C, denn", NLI, "C"),
        ("spa_Latn", "Creo que es la B", NLI, "B"),
        ("ita_Latn", "Probabilmente la seconda alternativa", ["x y", "z w"], "B"),
        # ordinals and hedges are no answer where no option follows them
        ("eng_Latn", "First, the premise says that", NLI, None),
        ("eng_Latn", "It is probably not", NLI, None),
    ],
)
def test_choice_classes(
    language: str, text: str, choices: list[str], expected: str | None, complete: bool
) -> None:
    literals = get_literals(language)
    assert parse_choice(text, literals, choices, complete=complete) == expected


def test_in_a_cut_reply_a_list_or_a_label_with_another_text_states_nothing() -> None:
    english = get_literals("eng_Latn")
    assert parse_choice("C. neutral\n\nThe premise", english, NLI, complete=False) is None
    assert parse_choice("Neutral is wrong here, since", english, NLI, complete=False) is None
    assert parse_choice("A: Let me think about the premise", english, NLI, complete=False) is None
    german = get_literals("deu_Latn")
    listing = "C. Widerspruch:\n\nB. neutral:\n\nC. Widerspruch:\n\nD."
    choices = ["Folgerung", "neutral", "Widerspruch"]
    assert parse_choice(listing, german, choices, complete=False) is None
    # a list cut right after a label (SmolLM2 on XNLI): the cut fell in that label's line
    chinese, labels = get_literals("zho_Hans"), ["蕴含", "中立", "矛盾"]
    cut = "A. 蕴含\nB. 中立\nC. 矛盾\n\nA. 蕴含\nB. 中立\nC"
    assert parse_choice(cut, chinese, labels, complete=False) is None
    # a lone label on a line the reply finished is still its answer
    assert parse_choice("Premise.\n\nC\n\nBecause the", english, NLI, complete=False) == "C"
    # a complete one: the label said most often (tier 5), as for "B) Vitamin C"
    assert parse_choice("C. neutral\n\nThe premise", english, NLI) == "C"


def test_a_list_of_the_options_is_no_mention_of_one() -> None:
    indonesian = get_literals("ind_Latn")
    choices = ["Saya ambil sebuah potongan tiket.", "Saya temukan sebuah senjata."]
    reply = (
        "Pemusit: Saya kosongkan kantong saya.\n\n"
        "A. Saya kosongkan kantong saya.\nB. Saya temukan sebuah senjata."
    )
    assert parse_choice(reply, indonesian, choices) is None
    chinese = get_literals("zho_Hans")
    repeated = "A. 它很易碎。\nB. 它很小。\n\nA. 它很易碎。\n\nA. 它很易碎。"
    assert parse_choice(repeated, chinese, ["它很易碎。", "它很小。"]) is None
    # a list that continues the answer cue of a completion prompt
    listing = "A. 白蚁从房子里消失了。\nB. 白蚁吃穿了房子里的木头。\n\nA. 白蚁从"
    termites = ["白蚁从房子里消失了。", "白蚁吃穿了房子里的木头。"]
    cue = "问题：白蚁入侵了房子。\n答案："
    assert parse_choice(listing, chinese, termites, complete=False, prompt=cue) is None
    # what the reply says besides its list still counts
    assert parse_choice(reply + "\n\nB is right.", indonesian, choices) == "B"


def test_a_listed_label_is_no_stated_answer_but_a_later_statement_is() -> None:
    english = get_literals("eng_Latn")
    listing = "Answer: A. entailment\nB. neutral\nC. contradiction"
    assert parse_choice(listing, english, NLI, complete=False) is None
    assert parse_choice(listing + "\n\nThe answer is C.", english, NLI, complete=False) == "C"


@pytest.mark.parametrize(
    ("language", "text", "form", "expected"),
    [
        # Spanish and Russian questions write "$80 000", "80 000 $": a space groups thousands
        ("spa_Latn", "La respuesta es 70 000.", None, "70000"),
        ("spa_Latn", "La respuesta es $80 000 más", "integer", "80000"),
        ("rus_Cyrl", "Ответ — 1 234 рубля.", None, "1234"),
        ("rus_Cyrl", "Ответ: 1 234,5", None, "1234.5"),
        ("fra_Latn", "La réponse est 70 000 $.", None, "70000"),
        # an integer answer settles "1,234" against "1.234": thousands in every language
        ("spa_Latn", "La respuesta es $57,500.", "integer", "57500"),
        ("spa_Latn", "La respuesta es $57,500.", "number", "57.5"),
        ("eng_Latn", "The answer is 1.234", "integer", "1234"),
        ("eng_Latn", "The answer is 1.234", None, "1.234"),
        ("deu_Latn", "Die Antwort ist 1,234", "integer", "1234"),
        ("deu_Latn", "Die Antwort ist 1,234", None, "1.234"),
        ("eng_Latn", "The answer is 70 000", "integer", "70000"),
        ("eng_Latn", "The answer is 70 000", None, "70"),
        # a decimal stays a decimal, and digits that are not thousands stay apart
        ("eng_Latn", "The answer is 12.50", "integer", "12.5"),
        ("deu_Latn", "Die Antwort ist 2,5", "integer", "2.5"),
        ("eng_Latn", "The answer is 1.5", "integer", "1.5"),
        ("eng_Latn", "The answer is 12,5", "integer", "12"),
        ("deu_Latn", "Antwort: 1.250,50 €", "integer", "1250.5"),
        # the phrasings of the exemplars and their hedged forms
        ("deu_Latn", "Die Antwort lautet 243 $ (… Schuhe: 126 $)", "integer", "243"),
        ("fra_Latn", "La réponse devrait être 14", "integer", "14"),
        ("eng_Latn", "So the final answer should be 18 dollars.", "integer", "18"),
        ("spa_Latn", "La respuesta debería ser 48.", "integer", "48"),
    ],
)
def test_number_formats_and_phrasings(
    language: str, text: str, form: str | None, expected: str
) -> None:
    """Each a stated answer: read in a reply cut by the token limit after it (on a new line),
    where only a stated answer counts."""
    literals = get_literals(language)
    assert parse_number(text + "\n", literals, form=form, complete=False) == expected


def test_the_german_exemplar_phrasing_in_a_cut_reply() -> None:
    german = get_literals("deu_Latn")
    reply = "Die Antwort lautet 2. " * 30 + "Die Antwo"
    assert parse_number(reply, german, complete=False, form="integer") == "2"


def test_a_completion_reply_continues_the_answer_cue_of_its_prompt() -> None:
    english = get_literals("eng_Latn")
    prompt = "Question: Janet has 16 eggs and eats 5.\nAnswer:"
    reply = " 11\n\nQuestion: Roger has 5 balls and buys 6 more. How many"
    assert parse_number(reply, english, complete=False) is None
    assert parse_number(reply, english, complete=False, prompt=prompt) == "11"
    assert parse_number(" 11", english, prompt=prompt) == "11"
    choice = " B because the passage says the fiber is blue, while A is"
    assert parse_choice(choice, english, NLI, complete=False) is None
    assert parse_choice(choice, english, NLI, complete=False, prompt="Premise: x\nAnswer:") == "B"
    # no cue: a header, a question, a chat prompt
    worked = "Question: Janet has 16 eggs.\nStep-by-Step Answer:"
    assert with_cue(" 16 - 5 = 11. The answer is 11.", worked, english).startswith(" 16")
    assert with_cue(" 11", "What is the answer?", english) == " 11"
    assert with_cue(" 11", [{"role": "user", "content": "Answer:"}], english) == " 11"
    # the language's cue, and an answer cue that already holds the copula
    french = get_literals("fra_Latn")
    assert parse_number("14\n", french, complete=False, prompt="Q\nRéponse :") == "14"
    assert parse_number("1998.", english, complete=False, prompt="Q\nThe answer is") == "1998"
