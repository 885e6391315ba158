"""Extractive QA: the SQuAD reader, hub-row flattening, EM/F1 across languages, span answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.data.readers import read_rows
from harness.data.squad import flatten_answers, read_squad
from harness.errors import PolyevalError
from harness.languages import all_languages
from harness.literals import get_literals
from harness.metrics import BINARY, METRICS
from harness.metrics.squad import (
    answer_tokens,
    articles_table,
    exact_match,
    normalize_answer,
    token_f1,
)
from harness.parsers import PARSERS, get_parser, parse_span
from harness.spec import FileLayout

# --- SQuAD reader ------------------------------------------------------------------------------

SQUAD_V1 = {
    "version": "1.1",
    "data": [
        {
            "title": "Super_Bowl_50",
            "paragraphs": [
                {
                    "context": "Super Bowl 50 was played at Levi's Stadium in Santa Clara.",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "Where was Super Bowl 50 played?",
                            "answers": [
                                {"text": "Levi's Stadium", "answer_start": 28},
                                {"text": "Levi's Stadium in Santa Clara", "answer_start": 28},
                            ],
                        },
                        {
                            "id": "q2",
                            "question": "In which city?",
                            "answers": [{"text": "Santa Clara", "answer_start": 46}],
                        },
                    ],
                }
            ],
        },
        {
            "title": "Paris",
            "paragraphs": [
                {"context": "Empty.", "qas": []},
                {
                    "context": "Paris est la capitale de la France.",
                    "qas": [
                        {
                            "id": "q3",
                            "question": "Quelle est la capitale ?",
                            "answers": [{"text": "Paris", "answer_start": 0}],
                        }
                    ],
                },
            ],
        },
    ],
}

SQUAD_V2 = {
    "version": "v2.0",
    "data": [
        {
            "title": "Normans",
            "paragraphs": [
                {
                    "context": "The Normans gave their name to Normandy.",
                    "qas": [
                        {
                            "id": "a1",
                            "question": "Who gave their name to Normandy?",
                            "answers": [{"text": "The Normans", "answer_start": 0}],
                            "is_impossible": False,
                        },
                        {
                            "id": "a2",
                            "question": "Who named Brittany?",
                            "answers": [],
                            "plausible_answers": [{"text": "Normans", "answer_start": 4}],
                            "is_impossible": True,
                        },
                    ],
                }
            ],
        }
    ],
}


def _write(tmp_path: Path, value: Any, name: str = "data.json") -> Path:
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return path


def _squad_layout() -> FileLayout:
    return FileLayout.model_construct(files=["*.json"], format="squad", columns=None, quoting=True)


def test_squad_v1_one_record_per_question(tmp_path: Path) -> None:
    path = _write(tmp_path, SQUAD_V1)
    rows = read_rows(path, _squad_layout())
    assert [where for where, _ in rows] == [
        f"{path}[article 0, paragraph 0, question 0]",
        f"{path}[article 0, paragraph 0, question 1]",
        f"{path}[article 1, paragraph 1, question 0]",
    ]
    first = rows[0][1]
    assert first == {
        "id": "q1",
        "title": "Super_Bowl_50",
        "context": "Super Bowl 50 was played at Levi's Stadium in Santa Clara.",
        "question": "Where was Super Bowl 50 played?",
        "answers": ["Levi's Stadium", "Levi's Stadium in Santa Clara"],
        "answer_starts": [28, 28],
        "is_impossible": False,
    }
    assert first["context"][28 : 28 + len("Levi's Stadium")] == "Levi's Stadium"
    assert rows[2][1]["title"] == "Paris" and rows[2][1]["answers"] == ["Paris"]


def test_squad_v2_unanswerable(tmp_path: Path) -> None:
    rows = list(read_squad(json.dumps(SQUAD_V2), tmp_path / "v2.json"))
    assert [record["is_impossible"] for _, record in rows] == [False, True]
    assert rows[1][1]["answers"] == [] and rows[1][1]["answer_starts"] == []
    assert rows[0][1]["answers"] == ["The Normans"]


def test_squad_defaults_title_and_integer_ids(tmp_path: Path) -> None:
    data = {"data": [{"paragraphs": [{"context": "c", "qas": [{"id": 7, "question": "q"}]}]}]}
    [(_, record)] = read_squad(json.dumps(data), tmp_path / "x.json")
    assert record["id"] == "7" and record["title"] == "" and record["answers"] == []


def test_squad_file_with_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_text(json.dumps(SQUAD_V2), encoding="utf-8-sig")
    assert len(read_rows(path, _squad_layout())) == 2


def _article(qa: Any = None, **paragraph: Any) -> dict[str, Any]:
    para = {"context": "ctx", "qas": [qa or {"id": "q", "question": "?", "answers": []}]}
    para.update(paragraph)
    return {"version": "1.1", "data": [{"title": "t", "paragraphs": [para]}]}


MALFORMED = [
    ("{not json", "invalid JSON", ":1"),
    ([1, 2], '"data" array of articles', ""),
    ({"version": "1.1"}, '"data" array of articles', ""),
    ({"data": ["x"]}, "expected an article", "[article 0]"),
    ({"data": [{"title": "t"}]}, "'paragraphs' must be a JSON array", "[article 0]"),
    ({"data": [{"title": 3, "paragraphs": []}]}, "'title' must be a string", "[article 0]"),
    (_article(context=None), "'context' must be a string", "[article 0, paragraph 0]"),
    (_article(qas={"id": "q"}), "'qas' must be a JSON array", "[article 0, paragraph 0]"),
    (
        _article({"id": "q", "question": "?", "answers": [{"answer_start": 0}]}),
        "answer 0: expected an object with a string 'text'",
        "[article 0, paragraph 0, question 0]",
    ),
    (
        _article({"id": "q", "question": "?", "answers": [{"text": "a", "answer_start": "0"}]}),
        "answer 0: 'answer_start' must be an integer",
        "[article 0, paragraph 0, question 0]",
    ),
    (
        _article({"id": "q", "question": "?", "answers": [], "is_impossible": "no"}),
        "'is_impossible' must be true or false",
        "[article 0, paragraph 0, question 0]",
    ),
    (
        _article({"question": "?", "answers": []}),
        "'id' must be a non-empty string",
        "[article 0, paragraph 0, question 0]",
    ),
    (
        _article({"id": "q", "answers": []}),
        "'question' must be a string",
        "[article 0, paragraph 0, question 0]",
    ),
]


@pytest.mark.parametrize(("content", "message", "place"), MALFORMED)
def test_squad_malformed_names_the_place(
    tmp_path: Path, content: Any, message: str, place: str
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(PolyevalError) as caught:
        read_rows(path, _squad_layout())
    assert message in caught.value.message
    assert caught.value.where == f"{path}{place}"


def test_unknown_format_lists_squad(tmp_path: Path) -> None:
    path = _write(tmp_path, "{}", name="data.xml")
    layout = FileLayout(files=["data.xml"])
    with pytest.raises(PolyevalError, match="squad"):
        read_rows(path, layout)


# --- hub rows ----------------------------------------------------------------------------------

HUB_ROW = {
    "id": "56be4db0acb8001400a502ec",
    "title": "Super_Bowl_50",
    "context": "Denver Broncos defeated the Carolina Panthers.",
    "question": "Who won?",
    "answers": {"text": ["Denver Broncos", "Broncos"], "answer_start": [0, 7]},
}


def test_flatten_hub_answers() -> None:
    flat = flatten_answers(HUB_ROW)
    assert flat["answers"] == ["Denver Broncos", "Broncos"]
    assert flat["answer_starts"] == [0, 7]
    assert flat["is_impossible"] is False
    assert flat["id"] == HUB_ROW["id"] and flat["context"] == HUB_ROW["context"]
    assert isinstance(HUB_ROW["answers"], dict)  # the input row is left alone


def test_flatten_other_shapes() -> None:
    squad_style = {"answers": [{"text": "Paris", "answer_start": 0}]}
    assert flatten_answers(squad_style)["answers"] == ["Paris"]
    assert flatten_answers(squad_style)["answer_starts"] == [0]
    texts = flatten_answers({"answers": ("Paris", "la ville de Paris")})
    assert texts["answers"] == ["Paris", "la ville de Paris"] and texts["answer_starts"] == []
    no_starts = flatten_answers({"answers": {"text": ["x"]}})
    assert no_starts["answers"] == ["x"] and no_starts["answer_starts"] == []
    empty = flatten_answers({"answers": {"text": [], "answer_start": []}})
    assert empty["answers"] == [] and empty["is_impossible"] is True
    kept = flatten_answers({"answers": {"text": [], "answer_start": []}, "is_impossible": False})
    assert kept["is_impossible"] is False


def test_flatten_numpy_values() -> None:
    np = pytest.importorskip("numpy")
    row = {"answers": {"text": np.array(["a", "b"]), "answer_start": np.array([3, 9])}}
    flat = flatten_answers(row)
    assert flat["answers"] == ["a", "b"] and flat["answer_starts"] == [3, 9]
    assert all(type(start) is int for start in flat["answer_starts"])


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (None, "'answers' must be"),
        ("Paris", "'answers' must be"),
        ({"text": ["a", "b"], "answer_start": [0]}, "2 texts but 1 answer_start"),
        ({"text": [1], "answer_start": [0]}, "answer texts must be strings"),
        ({"text": ["a"], "answer_start": ["0"]}, "'answer_start' must be an integer"),
    ],
)
def test_flatten_malformed(answers: Any, message: str) -> None:
    with pytest.raises(PolyevalError, match=message) as caught:
        flatten_answers({"answers": answers}, where="hub row 3")
    assert caught.value.where == "hub row 3"


# --- EM / F1 -----------------------------------------------------------------------------------

# (language, prediction, gold answers, exact match, F1), computed by hand.
METRIC_CASES: list[tuple[str, str, list[str], float, float]] = [
    # English: the official SQuAD normalisation; max over answers; partial overlap
    ("eng_Latn", "the Eiffel Tower", ["Eiffel Tower"], 1, 1),
    ("eng_Latn", "Eiffel tower in Paris", ["the Eiffel Tower"], 0, 2 / 3),  # P 2/4, R 2/2
    ("eng_Latn", "Denver Broncos", ["Denver Broncos", "The Denver Broncos", "Broncos"], 1, 1),
    ("eng_Latn", "the Broncos of Denver", ["Denver Broncos", "Broncos"], 0, 0.8),  # P 2/3, R 1
    ("eng_Latn", "U.S. Army!", ["US army"], 1, 1),
    ("eng_Latn", "Carolina Panthers", ["Denver Broncos"], 0, 0),
    ("eng_Latn", "an apple a day", ["apple day"], 1, 1),
    ("eng_Latn", "$5 million", ["5 million"], 1, 1),  # ASCII symbols go, as in MLQA
    ("eng_Latn", "Levi’s Stadium", ["Levi's Stadium"], 1, 1),
    ("eng_Latn", "Paris Paris", ["Paris"], 0, 2 / 3),  # counts are clipped: P 1/2, R 1
    # French: articles and elisions
    ("fra_Latn", "l'homme", ["homme"], 1, 1),
    ("fra_Latn", "L’Homme", ["l'homme"], 1, 1),
    ("fra_Latn", "la tour Eiffel", ["Tour Eiffel"], 1, 1),
    ("fra_Latn", "de la Seine", ["la Seine"], 1, 1),
    ("fra_Latn", "d'Artagnan", ["Artagnan"], 1, 1),
    ("fra_Latn", "de l'Assemblée nationale", ["Assemblée nationale"], 1, 1),
    ("fra_Latn", "aujourd'hui", ["aujourd’hui"], 1, 1),  # not an elided article
    ("fra_Latn", "le président de la République", ["président"], 0, 2 / 3),
    ("fra_Latn", "des pommes", ["les pommes", "une pomme"], 1, 1),
    # Spanish, German, Portuguese, Italian, Catalan, Romanian, Greek, Dutch
    ("spa_Latn", "los Andes", ["Andes"], 1, 1),
    ("spa_Latn", "el río Amazonas", ["Amazonas"], 0, 2 / 3),
    ("deu_Latn", "Die Berliner Mauer", ["Berliner Mauer"], 1, 1),
    ("deu_Latn", "der Fall der Mauer", ["Mauer"], 0, 2 / 3),
    ("deu_Latn", "Straße", ["STRASSE"], 0, 0),  # lower(), not casefold(), as the scripts do
    ("por_Latn", "o Brasil", ["Brasil"], 1, 1),
    ("ita_Latn", "l'Italia", ["Italia"], 1, 1),
    ("ita_Latn", "gli Stati Uniti", ["Stati Uniti"], 1, 1),
    ("cat_Latn", "l'Ebre", ["Ebre"], 1, 1),
    ("ron_Latn", "un oraș", ["oraș"], 1, 1),
    ("ell_Grek", "Η Αθήνα", ["Αθήνα"], 1, 1),
    ("nld_Latn", "het Rijksmuseum", ["Rijksmuseum"], 1, 1),
    # Arabic: MLQA removes "ال" wherever it occurs
    ("arb_Arab", "القاهرة", ["قاهرة"], 1, 1),
    ("arb_Arab", "مدينة القاهرة", ["القاهرة"], 0, 2 / 3),
    ("arb_Arab", "المال", ["مال"], 1, 1),  # "م" both: MLQA's rule, kept for comparability
    ("arz_Arab", "القاهرة", ["قاهرة"], 1, 1),
    ("arb_Arab", "القاهرة.", ["القاهرة،"], 1, 1),
    # Chinese: characters are tokens, Latin and digit runs are words
    ("zho_Hans", "北京市", ["北京"], 0, 0.8),  # P 2/3, R 1
    ("zho_Hans", "2008年北京奥运会", ["北京奥运会"], 0, 10 / 12),  # P 5/7, R 1
    ("zho_Hans", "《红楼梦》", ["红楼梦"], 1, 1),
    ("zho_Hant", "臺北 市", ["臺北市"], 1, 1),
    ("zho_Hans", "iPhone 手机", ["iphone手机"], 1, 1),
    ("zho_Hans", "长城", ["故宫"], 0, 0),
    # Japanese: kanji and kana one by one; fullwidth Latin folded
    ("jpn_Jpan", "東京タワー", ["東京"], 0, 4 / 7),  # P 2/5, R 1
    ("jpn_Jpan", "「東京」", ["東京"], 1, 1),
    ("jpn_Jpan", "ＮＨＫ", ["NHK"], 1, 1),
    ("jpn_Jpan", "とうきょう", ["トウキョウ"], 0, 0),
    # Thai: characters with their vowel and tone marks
    ("tha_Thai", "กรุงเทพ", ["กรุงเทพมหานคร"], 0, 2 / 3),  # 6 of 12 tokens: P 1, R 1/2
    ("tha_Thai", "กรุงเทพมหานคร", ["กรุงเทพ มหานคร"], 1, 1),
    # Hindi: whitespace words, danda is punctuation, no articles
    ("hin_Deva", "नई दिल्ली", ["दिल्ली"], 0, 2 / 3),
    ("hin_Deva", "नई दिल्ली।", ["नई दिल्ली"], 1, 1),
    # Vietnamese: MLQA's list
    ("vie_Latn", "những ngôi nhà", ["ngôi nhà"], 1, 1),
    ("vie_Latn", "Hà Nội", ["thành phố Hà Nội"], 0, 2 / 3),  # P 1, R 1/2
    # aliases resolve; a language without an entry removes no articles
    ("fr", "la tour", ["tour"], 1, 1),
    ("xxx_Latn", "the cat", ["cat"], 0, 2 / 3),
    ("kor_Hang", "서울", ["서울특별시"], 0, 0),  # spaced script: words, not characters
]


@pytest.mark.parametrize(("language", "prediction", "golds", "em", "f1"), METRIC_CASES)
def test_exact_match_and_f1(
    language: str, prediction: str, golds: list[str], em: float, f1: float
) -> None:
    assert exact_match(prediction, golds, language) == em
    assert token_f1(prediction, golds, language) == pytest.approx(f1)


def test_metric_languages_span_the_brief() -> None:
    prefixes = {case[0][:3] for case in METRIC_CASES}
    assert {"eng", "fra", "spa", "deu", "arb", "zho", "jpn", "tha", "hin", "vie"} <= prefixes


def test_no_parse_scores_zero() -> None:
    assert exact_match(None, ["Paris"], "eng_Latn") == 0.0
    assert token_f1(None, ["Paris"], "eng_Latn") == 0.0
    assert exact_match(None, [], "eng_Latn") == 0.0


def test_unanswerable_and_empty_answers() -> None:
    # SQuAD v2: no answers is one empty answer; a side without tokens matches only another.
    assert exact_match("", [], "eng_Latn") == 1.0
    assert token_f1("", [], "eng_Latn") == 1.0
    assert token_f1("the", ["The"], "eng_Latn") == 1.0
    assert exact_match("Paris", [], "eng_Latn") == 0.0
    assert token_f1("Paris", [], "eng_Latn") == 0.0
    assert token_f1("", ["Paris"], "eng_Latn") == 0.0


def test_tokens_and_normal_form() -> None:
    assert answer_tokens("The Eiffel Tower!", "eng_Latn") == ["eiffel", "tower"]
    assert answer_tokens("東京都 2020年 Tokyo", "jpn_Jpan") == [
        *"東京都",
        "2020",
        "年",
        "tokyo",
    ]
    assert answer_tokens("မြန်မာ", "mya_Mymr") == ["မြ", "န်", "မာ"]
    assert answer_tokens("བོད་ཡིག", "bod_Tibt") == ["བོ", "ད", "ཡི", "ག"]  # tsheg is punctuation
    assert normalize_answer("  L'Homme,  de la   Tour ", "fra_Latn") == "homme tour"
    assert answer_tokens("zero\u200bwidth soft\u00adhyphen", "eng_Latn") == [
        "zerowidth",
        "softhyphen",
    ]


def test_articles_table_is_valid() -> None:
    table = articles_table()
    known = {language.iso639_3 for language in all_languages()}
    assert set(table) <= known
    assert {"eng", "fra", "spa", "deu", "por", "ita", "cat", "ron", "arb", "vie"} <= set(table)
    assert table["eng"]["words"] == ("a", "an", "the")
    assert table["arz"] == table["arb"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- eng\n", "expected a mapping of ISO 639-3 codes"),
        ("english: {words: [the]}\n", "not an ISO 639-3 code"),
        ("eng: {articles: [the]}\n", "keys among words, elisions, anywhere"),
        ("eng: {words: the}\n", "'words' must be a list of non-empty strings"),
        ("nob: {words: [en, no]}\n", "'words' must be a list of non-empty strings"),  # no: false
        ("fra: {elisions: [l]}\n", "elisions must end with an apostrophe"),
    ],
)
def test_articles_table_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "articles.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolyevalError, match=message):
        articles_table(path)


def test_metrics_registered() -> None:
    assert METRICS["exact_match"] is exact_match
    assert METRICS["f1"] is token_f1
    assert "exact_match" in BINARY and "f1" not in BINARY


# --- span answers ------------------------------------------------------------------------------

SPAN_CASES: list[tuple[str, str, str | None]] = [
    # English: phrases, markdown, quotes, full stops, explanations after the answer
    ("eng_Latn", "Paris", "Paris"),
    ("eng_Latn", "The answer is Paris.", "Paris"),
    ("eng_Latn", "**Answer:** Denver Broncos", "Denver Broncos"),
    ("eng_Latn", 'The answer is "Santa Clara, California".', "Santa Clara, California"),
    ("eng_Latn", "Answer: 1492\n\nExplanation: Columbus sailed in 1492.", "1492"),
    ("eng_Latn", "## Answer\nthe Normans", "the Normans"),
    ("eng_Latn", "Based on the passage, the answer is **Carolina Panthers**.", "Carolina Panthers"),
    ("eng_Latn", "Answer: The answer is Levi's Stadium.", "Levi's Stadium"),
    ("eng_Latn", "'s-Hertogenbosch", "'s-Hertogenbosch"),
    ("eng_Latn", "'Paris'", "Paris"),
    ("eng_Latn", "`gold`", "gold"),
    ("eng_Latn", "- Beyoncé", "Beyoncé"),
    ("eng_Latn", "The answer is $\\boxed{42}$", "42"),
    ("eng_Latn", "\\boxed{Marie Curie}", "Marie Curie"),
    ("eng_Latn", "Final answer: Washington, D.C.", "Washington, D.C"),
    ("eng_Latn", "\n\n  Gustave Eiffel  \n", "Gustave Eiffel"),
    (
        "eng_Latn",
        "The Normans were from Normandy.\nThey spoke French.",
        "The Normans were from Normandy",
    ),
    ("eng_Latn", "<think>It says 1491. Answer: 1491</think>\n1492", "1492"),
    ("eng_Latn", "The answer is:\n\n**Nikola Tesla**", "Nikola Tesla"),
    ("eng_Latn", "The answer is", None),
    ("eng_Latn", "", None),
    ("eng_Latn", "  \n\n", None),
    ("eng_Latn", "**.**", None),
    # other languages: their phrases, quotes and full stops
    ("fra_Latn", "La réponse est « la tour Eiffel ».", "la tour Eiffel"),
    ("fra_Latn", "Réponse : l'Assemblée nationale", "l'Assemblée nationale"),
    ("deu_Latn", "Die Antwort ist „Berliner Mauer“.", "Berliner Mauer"),
    ("deu_Latn", "Antwort: **1989**", "1989"),
    ("spa_Latn", "Respuesta: el río Amazonas.", "el río Amazonas"),
    ("spa_Latn", "La respuesta es: «Simón Bolívar».", "Simón Bolívar"),
    ("arb_Arab", "الإجابة هي: القاهرة.", "القاهرة"),
    ("hin_Deva", "उत्तर: नई दिल्ली।", "नई दिल्ली"),
    ("vie_Latn", "Đáp án là: Hà Nội.", "Hà Nội"),
    ("tha_Thai", "คำตอบคือ กรุงเทพมหานคร", "กรุงเทพมหานคร"),
    ("zho_Hans", "答案是：北京。", "北京"),
    ("zho_Hans", "根据文章，答案是“长城”。", "长城"),
    ("zho_Hans", "答案：《红楼梦》", "红楼梦"),
    ("jpn_Jpan", "答えは「東京」です。", "東京"),
    ("jpn_Jpan", "答え：富士山", "富士山"),
    ("jpn_Jpan", "『源氏物語』", "源氏物語"),
    ("rus_Cyrl", "Ответ — Москва.", "Москва"),
    ("eng_Latn", "The passage says so. Answer: Tokyo", "Tokyo"),  # English phrases anywhere
    ("fra_Latn", "The answer is Lyon.", "Lyon"),
]


@pytest.mark.parametrize(("language", "reply", "expected"), SPAN_CASES)
def test_parse_span(language: str, reply: str, expected: str | None) -> None:
    assert parse_span(reply, get_literals(language)) == expected


def test_cut_off_reply_needs_a_phrase() -> None:
    english = get_literals("eng_Latn")
    assert parse_span("The passage discusses it at length and", english, complete=False) is None
    assert parse_span("Answer: Paris. Because the passage", english, complete=False) == (
        "Paris. Because the passage"
    )


def test_choices_are_ignored() -> None:
    english = get_literals("eng_Latn")
    assert parse_span("The answer is B.", english, ["x", "y"]) == "B"


def test_span_parser_registered() -> None:
    assert PARSERS["span"] is parse_span
    assert get_parser("span") is parse_span


def test_parsed_span_scores() -> None:
    english = get_literals("eng_Latn")
    parsed = parse_span("The answer is **the Denver Broncos**.", english)
    assert exact_match(parsed, ["Denver Broncos"], "eng_Latn") == 1.0
    french = get_literals("fra_Latn")
    parsed = parse_span("Réponse : « L’Assemblée nationale ».", french)
    assert exact_match(parsed, ["Assemblée nationale"], "fra_Latn") == 1.0
