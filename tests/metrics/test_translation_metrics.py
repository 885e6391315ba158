"""Corpus translation metrics (harness.metrics.translation) against sacrebleu itself: its classes,
its bootstrap, its paired test and its command line."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tomllib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sacrebleu
from sacrebleu.metrics.bleu import BLEU
from sacrebleu.metrics.chrf import CHRF
from sacrebleu.metrics.lib_ter import translation_edit_rate
from sacrebleu.metrics.ter import TER
from sacrebleu.significance import PairedTest, _bootstrap_resample

from harness.errors import PolyevalError
from harness.metrics.translation import (
    CORPUS_METRICS,
    PINNED_SACREBLEU,
    bootstrap,
    corpus_scores,
    engine,
    metric_settings,
    ngrams,
    paired_bootstrap,
    ter,
)
from harness.metrics.translation.bleu import FastBLEU
from harness.metrics.translation.chrf import FastCHRF, chrf_f_scores
from harness.metrics.translation.settings import SETTINGS_PATH, load_table
from harness.metrics.translation.ter import FastTER
from tests.conftest import REPO, SHARED_DATA

FLORES = SHARED_DATA / "flores_v1_ne_si"

# Small parallel sets written for these tests: references, and hypotheses that differ from them
# the way translations do (reordered, shortened, other words, digits for numbers).
SETS: dict[str, tuple[list[str], list[str]]] = {
    "eng_Latn": (
        [
            "The cat sat on the mat.",
            "It is raining heavily in Kathmandu today.",
            "She bought three apples and a loaf of bread.",
            "The meeting has been moved to Friday afternoon.",
            "Water boils at one hundred degrees Celsius.",
            "He has lived in this village for twenty years.",
        ],
        [
            "The cat was sitting on the mat.",
            "Today it is raining a lot in Kathmandu.",
            "She bought three apples and bread.",
            "The meeting was moved to Friday afternoon.",
            "Water boils at 100 degrees Celsius.",
            "He lived twenty years in the village.",
        ],
    ),
    "zho_Hans": (
        [
            "今天天气很好。",
            "我昨天买了三本书。",
            "会议改到星期五下午了。",
            "水在一百摄氏度沸腾。",
            "她每天早上喝一杯咖啡。",
            "他在这个村子里住了二十年。",
        ],
        [
            "今天的天气非常好。",
            "我昨天买了三本书。",
            "会议已经改到周五下午。",
            "水在100摄氏度时沸腾。",
            "她每天早晨喝咖啡。",
            "他在村子里住了二十年了。",
        ],
    ),
    "jpn_Jpan": (
        [
            "今日はとても良い天気です。",
            "私は昨日本を三冊買いました。",
            "会議は金曜日の午後に変更されました。",
            "水は摂氏百度で沸騰します。",
            "彼女は毎朝コーヒーを一杯飲みます。",
            "彼はこの村に二十年住んでいます。",
        ],
        [
            "今日は天気がとても良いです。",
            "昨日、本を三冊買いました。",
            "会議は金曜の午後に変わりました。",
            "水は100度で沸騰する。",
            "彼女は毎朝コーヒーを飲む。",
            "彼は二十年間この村に住んでいる。",
        ],
    ),
    "kor_Hang": (
        [
            "오늘은 날씨가 아주 좋습니다.",
            "나는 어제 책을 세 권 샀다.",
            "회의가 금요일 오후로 변경되었습니다.",
            "물은 섭씨 백 도에서 끓는다.",
            "그녀는 매일 아침 커피를 한 잔 마신다.",
            "그는 이 마을에서 이십 년 동안 살았다.",
        ],
        [
            "오늘 날씨가 매우 좋습니다.",
            "어제 책 세 권을 샀어요.",
            "회의는 금요일 오후로 바뀌었습니다.",
            "물은 100도에서 끓습니다.",
            "그녀는 아침마다 커피를 마신다.",
            "그는 이 마을에 이십 년 살았다.",
        ],
    ),
    "tha_Thai": (
        [
            "วันนี้อากาศดีมาก",
            "ฉันซื้อหนังสือสามเล่มเมื่อวานนี้",
            "การประชุมถูกเลื่อนไปเป็นบ่ายวันศุกร์",
            "น้ำเดือดที่หนึ่งร้อยองศาเซลเซียส",
            "เธอดื่มกาแฟหนึ่งแก้วทุกเช้า",
            "เขาอาศัยอยู่ในหมู่บ้านนี้มายี่สิบปี",
        ],
        [
            "อากาศวันนี้ดีมาก",
            "เมื่อวานฉันซื้อหนังสือสามเล่ม",
            "การประชุมเลื่อนไปบ่ายวันศุกร์",
            "น้ำเดือดที่ 100 องศาเซลเซียส",
            "เธอดื่มกาแฟทุกเช้า",
            "เขาอยู่หมู่บ้านนี้ยี่สิบปีแล้ว",
        ],
    ),
    "npi_Deva": (
        [
            "आज मौसम धेरै राम्रो छ।",
            "मैले हिजो तीनवटा किताब किनें।",
            "बैठक शुक्रबार दिउँसोमा सारिएको छ।",
            "पानी सय डिग्री सेल्सियसमा उम्लन्छ।",
            "उनी हरेक बिहान एक कप कफी पिउँछिन्।",
            "उनी यो गाउँमा बीस वर्षदेखि बस्दै आएका छन्।",
        ],
        [
            "आज मौसम एकदम राम्रो छ।",
            "हिजो मैले तीन किताब किनें।",
            "बैठक शुक्रबार दिउँसो सारियो।",
            "पानी १०० डिग्री सेल्सियसमा उम्लिन्छ।",
            "उनी हरेक बिहान कफी पिउँछिन्।",
            "उनी बीस वर्षदेखि यो गाउँमा बस्छन्।",
        ],
    ),
}

# English with a varying number of references per sample
MULTI_REFS = [
    ["The cat sat on the mat.", "A cat was sitting on the mat."],
    ["It is raining heavily in Kathmandu today."],
    [
        "She bought three apples and a loaf of bread.",
        "She purchased three apples and some bread.",
        "Three apples and a loaf of bread, she bought.",
    ],
    ["The meeting has been moved to Friday afternoon.", "The meeting is now on Friday afternoon."],
    ["Water boils at one hundred degrees Celsius."],
    ["He has lived in this village for twenty years.", "For twenty years he has lived here."],
]


def sacrebleu_metrics(language: str) -> dict[str, Any]:
    """Stock sacrebleu metric objects, configured by hand the way the table says."""
    settings = metric_settings(language)
    return {
        "chrf": CHRF(word_order=2),
        "bleu": BLEU(tokenize=str(settings["bleu"]["tokenize"])),
        "ter": TER(
            normalized=bool(settings["ter"]["normalized"]),
            asian_support=bool(settings["ter"]["asian_support"]),
        ),
    }


def streams_of(references: Sequence[Sequence[str]]) -> list[list[str | None]]:
    width = max(map(len, references))
    return [[refs[k] if k < len(refs) else None for refs in references] for k in range(width)]


def noisy(sentences: Sequence[str], seed: int = 7) -> list[str]:
    """A realistic imperfect system, deterministically: ~15% of the words dropped, one pair of
    neighbouring words swapped."""
    rng = random.Random(seed)
    out = []
    for sentence in sentences:
        words = [w for w in sentence.split() if rng.random() > 0.15]
        if len(words) > 3:
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
        out.append(" ".join(words))
    return out


def synthetic_corpus(size: int, seed: int = 3) -> tuple[list[str], list[str]]:
    """A few hundred English-like references and a noisy system's output for them."""
    rng = random.Random(seed)
    vocabulary = [
        *("the", "a", "of", "to", "in", "and", "is", "was", "for", "on", "with", "as", "by"),
        *("at", "from", "river", "village", "school", "market", "water", "city", "people"),
        *("year", "government", "new", "old", "large", "small", "first", "last", "north"),
        *("south", "children", "teacher", "farmers", "road", "bridge", "festival", "temple"),
        *("mountain", "rain", "harvest"),
    ]
    references = [
        " ".join(rng.choice(vocabulary) for _ in range(rng.randint(6, 24))).capitalize() + "."
        for _ in range(size)
    ]
    return references, noisy(references, seed)


def flores(name: str) -> list[str]:
    path = FLORES / f"wikipedia.devtest.ne-en.{name}"
    if not path.is_file():
        pytest.skip(f"FLoRes v1 ne-en devtest not found at {path}")
    return path.read_text(encoding="utf-8").splitlines()


# --- settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "tokenizer", "ter_cjk"),
    [
        ("zho_Hans", "zh", True),
        ("zho_Hant", "zh", True),
        ("yue_Hant", "zh", True),  # by its script
        ("jpn_Jpan", "ja-mecab", True),
        ("kor_Hang", "ko-mecab", True),
        ("tha_Thai", "char", False),
        ("lao_Laoo", "char", False),
        ("khm_Khmr", "char", False),
        ("mya_Mymr", "char", False),
        ("dzo_Tibt", "char", False),
        ("npi_Deva", "13a", False),
        ("eng_Latn", "13a", False),
        ("zh", "zh", True),  # an alias the language table knows
    ],
)
def test_metric_settings(language: str, tokenizer: str, ter_cjk: bool) -> None:
    settings = metric_settings(language)
    assert settings["bleu"] == {"tokenize": tokenizer}
    assert settings["ter"] == {"normalized": ter_cjk, "asian_support": ter_cjk}
    assert settings["chrf"] == {"char_order": 6, "word_order": 2, "beta": 2}
    assert set(settings) == set(CORPUS_METRICS)


def test_ter_asian_support_needs_normalisation() -> None:
    """Why the CJK rows turn on ter_normalized too: sacrebleu ignores asian_support alone."""
    hyp, ref = ["我喜欢吃苹果。"], [["我很喜欢吃苹果。"]]
    assert TER(asian_support=True).corpus_score(hyp, ref).score == 100.0
    assert TER(normalized=True, asian_support=True).corpus_score(hyp, ref).score == 12.5
    result = corpus_scores(hyp, [[r] for r in ref[0]], "zho_Hans", bootstrap=0)
    assert result.scores["ter"].value == 12.5


@pytest.mark.parametrize("code", ["chinese", "zho-hans-cn", "", "zho_Hans_CN"])
def test_metric_settings_bad_code(code: str) -> None:
    with pytest.raises(PolyevalError, match="not a code like zho_Hans"):
        metric_settings(code)


def test_settings_table_errors(tmp_path: Path) -> None:
    path = tmp_path / "translation.yaml"
    good = SETTINGS_PATH.read_text(encoding="utf-8")
    path.write_text(good.replace("  zho: {bleu_tokenize: zh,", "  zho: {bleu_tokenize: zhh,"))
    with pytest.raises(PolyevalError, match="unknown BLEU tokenizer 'zhh'") as error:
        load_table(path)
    assert f"{path}:" in str(error.value)
    path.write_text(good.replace("Thai: {bleu_tokenize: char}", "Thai: {bleu_tokenise: char}"))
    with pytest.raises(PolyevalError, match="unknown setting 'bleu_tokenise'"):
        load_table(path)


# --- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", sorted(SETS))
def test_perfect_hypotheses(language: str) -> None:
    references, _ = SETS[language]
    result = corpus_scores(references, [[r] for r in references], language)
    assert result.scores["chrf"].value == 100.0
    assert result.scores["bleu"].value == pytest.approx(100.0, abs=1e-9)
    assert result.scores["ter"].value == 0.0
    for score in result.scores.values():
        assert score.ci_low == score.value == score.ci_high
        assert score.n == len(references)
    assert result.sentence_chrf == [100.0] * len(references)


@pytest.mark.parametrize("language", sorted(SETS))
def test_values_equal_sacrebleu(language: str) -> None:
    references, hypotheses = SETS[language]
    result = corpus_scores(hypotheses, [[r] for r in references], language, bootstrap=0)
    stock = sacrebleu_metrics(language)
    for name in CORPUS_METRICS:
        expected = stock[name].corpus_score(hypotheses, [references])
        assert result.scores[name].value == expected.score, name
        assert result.scores[name].signature == stock[name].get_signature().format()
    assert list(result.scores) == list(CORPUS_METRICS)
    assert 0 < result.scores["chrf"].value < 100


def test_values_equal_sacrebleu_with_several_references() -> None:
    _, hypotheses = SETS["eng_Latn"]
    result = corpus_scores(hypotheses, MULTI_REFS, "eng_Latn", bootstrap=0)
    stock = sacrebleu_metrics("eng_Latn")
    streams = streams_of(MULTI_REFS)
    for name in CORPUS_METRICS:
        expected = stock[name].corpus_score(hypotheses, streams)
        assert result.scores[name].value == expected.score, name
        assert "nrefs:var" in result.scores[name].signature
    one_ref = corpus_scores(hypotheses, [refs[:1] for refs in MULTI_REFS], "eng_Latn", bootstrap=0)
    assert result.scores["bleu"].value > one_ref.scores["bleu"].value  # more references help


def test_metrics_subset_and_order() -> None:
    references, hypotheses = SETS["eng_Latn"]
    result = corpus_scores(hypotheses, [[r] for r in references], "eng_Latn", ["ter", "bleu"])
    assert list(result.scores) == ["ter", "bleu"]
    assert len(result.sentence_chrf) == len(hypotheses)  # always there, for drill-down


@pytest.mark.parametrize("language", sorted(SETS))
def test_sentence_chrf_equals_sentence_score(language: str) -> None:
    references, hypotheses = SETS[language]
    result = corpus_scores(hypotheses, [[r] for r in references], language, bootstrap=0)
    chrf = CHRF(word_order=2)
    expected = [
        chrf.sentence_score(h, [r]).score for h, r in zip(hypotheses, references, strict=True)
    ]
    assert result.sentence_chrf == expected


def test_sentence_chrf_with_several_references() -> None:
    _, hypotheses = SETS["eng_Latn"]
    hypotheses = [*hypotheses[:-1], ""]  # an empty output scores 0
    result = corpus_scores(hypotheses, MULTI_REFS, "eng_Latn", bootstrap=0)
    chrf = CHRF(word_order=2)
    expected = [
        chrf.sentence_score(h, refs).score for h, refs in zip(hypotheses, MULTI_REFS, strict=True)
    ]
    assert result.sentence_chrf == expected
    assert result.sentence_chrf[-1] == 0.0


# --- the fast statistics are sacrebleu's ------------------------------------------------------


@pytest.mark.parametrize("language", sorted(SETS))
def test_statistics_rows_equal_sacrebleu(language: str) -> None:
    references, hypotheses = SETS[language]
    stock = sacrebleu_metrics(language)
    settings = metric_settings(language)
    for refs in ([references], streams_of(MULTI_REFS) if language == "eng_Latn" else None):
        if refs is None:
            continue
        ours = engine.chunk_statistics(CORPUS_METRICS, settings, hypotheses, refs)
        for name in CORPUS_METRICS:
            assert ours[name] == stock[name]._extract_corpus_statistics(hypotheses, refs), name


def test_statistics_rows_equal_sacrebleu_on_awkward_text() -> None:
    """Empty lines, whitespace only, punctuation alone, characters outside the BMP, control
    characters, a many-script mix, more distinct characters than fit the packed keys."""
    rng = random.Random(11)
    han = [chr(0x4E00 + i) for i in range(3000)]
    references = [
        "",
        "   ",
        "Hello , world !",
        "(hi) [there] 'quoted' \"double\" a.b.c",
        "\U0001f600 emoji \U00020000 ext-B \x00 nul \u200d zwj",
        "Ελληνικά кириллица עברית العربية हिन्दी ไทย 日本語 한국어",
        *("".join(rng.choice(han) for _ in range(60)) for _ in range(40)),
        "same same same same same same same",
    ]
    hypotheses = [
        "something",
        "",
        "Hello world!",
        "(hi) [there] 'quoted' a.b.c",
        "\U0001f600 emoji \x00 nul",
        "кириллица Ελληνικά हिन्दी 日本語",
        *("".join(rng.choice(han[:200]) for _ in range(50)) for _ in range(40)),
        "same same same",
    ]
    for language in ("eng_Latn", "zho_Hans", "tha_Thai"):
        stock = sacrebleu_metrics(language)
        ours = engine.chunk_statistics(
            CORPUS_METRICS, metric_settings(language), hypotheses, [references]
        )
        for name in CORPUS_METRICS:
            expected = stock[name]._extract_corpus_statistics(hypotheses, [references])
            assert ours[name] == expected, (language, name)


def test_statistics_rows_equal_sacrebleu_with_ties_between_references() -> None:
    """Several references per sample, built for ties: reference lengths as far above the
    hypothesis length as below (BLEU takes the shorter), and references sharing nothing with
    the hypothesis (chrF++ keeps the first of equal F scores)."""
    rng = random.Random(8)
    words = ["ab", "ba", "abc", "cab", "bca", "a", "b", "c", "acab", "bcc"]
    other = ["xy", "yx", "xyz", "zyx", "z", "x", "y", "zz"]  # no character in common
    hypotheses, references = [], []
    for _ in range(150):
        length = rng.randint(1, 12)
        hypotheses.append(" ".join(rng.choice(words) for _ in range(length)))
        refs = []
        for _ in range(rng.randint(1, 4)):
            size = max(1, length + rng.choice([-2, -1, 1, 2]))
            pool = other if rng.random() < 0.4 else words
            refs.append(" ".join(rng.choice(pool) for _ in range(size)))
        references.append(refs)
    streams = streams_of(references)
    stock = sacrebleu_metrics("eng_Latn")
    ours = engine.chunk_statistics(CORPUS_METRICS, metric_settings("eng_Latn"), hypotheses, streams)
    for name in CORPUS_METRICS:
        assert ours[name] == stock[name]._extract_corpus_statistics(hypotheses, streams), name


def brute_force_matches(
    hyp: list[list[int]], refs: list[list[list[int]]], order: int
) -> list[list[int]]:
    out = []
    for i, tokens in enumerate(hyp):
        row = []
        for n in range(1, order + 1):
            grams = Counter(tuple(tokens[j : j + n]) for j in range(len(tokens) - n + 1))
            best: Counter[tuple[int, ...]] = Counter()
            for ref in refs:
                ref_tokens = ref[i]
                counts = Counter(
                    tuple(ref_tokens[j : j + n]) for j in range(len(ref_tokens) - n + 1)
                )
                best = best | counts
            row.append(sum(min(c, best[g]) for g, c in grams.items()))
        out.append(row)
    return out


@pytest.mark.parametrize("key_bits", [63, 24, 9])
@pytest.mark.parametrize("vocabulary", [3, 40, 5000])
def test_ngram_matches_against_counting(key_bits: int, vocabulary: int) -> None:
    """The packed-key counting (one key, several keys, per-sentence renumbering) against plain
    Counters, with one and with two references."""
    rng = random.Random(vocabulary * 100 + key_bits)
    sentences = 30

    def side() -> list[list[int]]:
        return [
            [rng.randint(1, vocabulary) for _ in range(rng.randint(0, 25))]
            for _ in range(sentences)
        ]

    def tokens(lists: list[list[int]]) -> ngrams.Tokens:
        flat = np.array([t for lst in lists for t in lst], np.int64)
        return ngrams.Tokens(flat, np.array([len(lst) for lst in lists], np.int64))

    hyp, ref1, ref2 = side(), side(), side()
    ref1[0] = list(hyp[0])  # one perfect sentence
    for refs in ([ref1], [ref1, ref2]):
        got = ngrams.ngram_matches(tokens(hyp), [tokens(r) for r in refs], 4, key_bits)
        assert got.tolist() == brute_force_matches(hyp, refs, 4)


def test_chrf_f_scores_bit_for_bit() -> None:
    rng = np.random.default_rng(5)
    stats = rng.integers(0, 6, size=(3000, 24))
    stats[::7] = 0
    stats[1::11, 0::3] = 0  # no hypothesis n-grams
    stats[2::13, 1::3] = 0  # no reference n-grams
    stats[:, 2::3] = np.minimum(stats[:, 2::3], np.minimum(stats[:, 0::3], stats[:, 1::3]))
    chrf = CHRF(word_order=2)
    expected = [chrf._compute_f_score(row) for row in stats.tolist()]
    assert chrf_f_scores(stats, 2).tolist() == expected


def test_ter_edit_rate_equals_lib_ter() -> None:
    """Random sentences over a tiny vocabulary (many repeated words, many shift candidates),
    blocks moved just within and just beyond Tercom's shift distance (50 words), and very
    unequal lengths (a wider beam)."""
    rng = random.Random(2)
    words = ["a", "b", "c", "d", "e", "the", "of"]
    for case in range(300):
        ref = [rng.choice(words) for _ in range(rng.randint(0, 30))]
        if case % 3 == 0:
            hyp = [rng.choice(words) for _ in range(rng.randint(0, 30))]
        else:
            hyp = [w for w in ref if rng.random() > 0.2]
            for _ in range(rng.randint(0, 3)):
                if len(hyp) > 2:
                    i, j = rng.randrange(len(hyp)), rng.randrange(len(hyp))
                    moved = hyp[i : i + 3]
                    del hyp[i : i + 3]
                    hyp[j:j] = moved
        assert ter.translation_edit_rate(hyp, ref) == translation_edit_rate(hyp, ref), (hyp, ref)
    distinct = [f"w{i}" for i in range(90)]
    cases = [(distinct[:5], distinct)]  # a wide beam
    shifted: dict[int, list[str]] = {}
    for distance in (48, 50, 51, 53, 56):
        shifted[distance] = distinct[5 : 5 + distance] + distinct[:5] + distinct[5 + distance :]
        cases.append((shifted[distance], distinct))
    cases += [(distinct, distinct[:2]), ([], distinct), (distinct, []), (distinct, list(distinct))]
    for hyp, ref in cases:
        assert ter.translation_edit_rate(hyp, ref) == translation_edit_rate(hyp, ref)
    assert ter.translation_edit_rate(shifted[50], distinct) == (1, 90)  # one shift
    assert ter.translation_edit_rate(shifted[51], distinct) == (10, 90)  # too far for a shift


def test_parallel_equals_in_process() -> None:
    references, hypotheses = synthetic_corpus(120)
    refs = [[r] for r in references]
    one = corpus_scores(hypotheses, refs, "eng_Latn", processes=1)
    three = corpus_scores(hypotheses, refs, "eng_Latn", processes=3)
    assert one == three
    tiny = corpus_scores(hypotheses[:2], refs[:2], "eng_Latn", processes=2)
    assert tiny == corpus_scores(hypotheses[:2], refs[:2], "eng_Latn", processes=1)


# --- bootstrap -------------------------------------------------------------------------------


def test_bootstrap_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SACREBLEU_SEED", raising=False)  # sacrebleu's default seed, 12345
    references, hypotheses = synthetic_corpus(300)
    refs = [[r] for r in references]
    result = corpus_scores(hypotheses, refs, "eng_Latn")
    again = corpus_scores(hypotheses, refs, "eng_Latn")
    other_seed = corpus_scores(hypotheses, refs, "eng_Latn", seed=1)
    assert result == again
    stock = sacrebleu_metrics("eng_Latn")
    for name in CORPUS_METRICS:
        score = result.scores[name]
        assert score.ci_low < score.value < score.ci_high, name
        assert score.ci_high - score.ci_low < 15
        other = other_seed.scores[name]
        assert (other.ci_low, other.ci_high) != (score.ci_low, score.ci_high)
        assert other.value == score.value
        # exactly sacrebleu's resamples: the same percentiles of the same scores
        stats = stock[name]._extract_corpus_statistics(hypotheses, [references])
        seed, resampled = _bootstrap_resample(stats, stock[name], 1000)
        ordered = sorted(float(s.score) for s in resampled)
        assert seed == "12345"
        assert (score.ci_low, score.ci_high) == (ordered[25], ordered[974]), name
        # and sacrebleu's report, mean ± half the interval's width
        reported = stock[name].corpus_score(hypotheses, [references], n_bootstrap=1000)
        assert reported.score == score.value
        assert (score.ci_high - score.ci_low) / 2 == pytest.approx(reported._ci, rel=1e-6)
        assert score.ci_low <= reported._mean <= score.ci_high
        assert score.signature == stock[name].get_signature().format()
        assert "bs:1000|seed:12345" in score.signature


def test_no_interval_without_resampling() -> None:
    references, hypotheses = SETS["eng_Latn"]
    one = corpus_scores(hypotheses[:1], [references[:1]], "eng_Latn")
    none = corpus_scores(hypotheses, [[r] for r in references], "eng_Latn", bootstrap=1)
    for result in (one, none):
        for score in result.scores.values():
            assert score.ci_low == score.value == score.ci_high
            assert "bs:" not in score.signature


# --- paired bootstrap ------------------------------------------------------------------------


def sacrebleu_paired(hyps_a: list[str], hyps_b: list[str], references: list[str], name: str) -> Any:
    metric = sacrebleu_metrics("eng_Latn")[name]
    _, scores = PairedTest(
        [("a", hyps_a), ("b", hyps_b)], {name: metric}, [references], "bs", n_samples=1000
    )()
    key = next(k for k in scores if k != "System")
    return scores[key][1]


def test_paired_bootstrap_against_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SACREBLEU_SEED", raising=False)
    references, hypotheses = synthetic_corpus(200)
    result = paired_bootstrap(hypotheses, hypotheses, [[r] for r in references], "eng_Latn")
    assert result.delta == 0.0
    assert result.score_a == result.score_b
    assert (result.ci_low, result.ci_high) == (0.0, 0.0)
    assert result.p_value == 1.0
    # sacrebleu's strict count gives 1/(R+1) here, which would call it significant
    assert sacrebleu_paired(hypotheses, hypotheses, references, "chrf").p_value == 1 / 1001


@pytest.mark.parametrize("name", CORPUS_METRICS)
def test_paired_bootstrap_equals_sacrebleu(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SACREBLEU_SEED", raising=False)
    references, worse = synthetic_corpus(200)
    rng = random.Random(4)
    # B repairs a few of A's sentences: a small difference, not an obvious one
    close = [r if rng.random() < 0.04 else h for h, r in zip(worse, references, strict=True)]
    refs = [[r] for r in references]
    result = paired_bootstrap(worse, close, refs, "eng_Latn", metric=name)
    expected = sacrebleu_paired(worse, close, references, name)
    assert result.score_b == expected.score
    assert result.p_value == expected.p_value
    assert 0.001 < result.p_value < 1
    assert result.delta == result.score_b - result.score_a
    assert result.ci_low <= result.delta <= result.ci_high
    # a clearly better system
    better = paired_bootstrap(worse, references, refs, "eng_Latn", metric=name)
    assert (
        better.p_value == 1 / 1001 == sacrebleu_paired(worse, references, references, name).p_value
    )
    sign = -1 if name == "ter" else 1
    assert sign * better.ci_low > 0 and sign * better.delta > 0


# --- a sacrebleu other than the pinned one ---------------------------------------------------


def test_pinned_sacrebleu_is_the_pin_of_pyproject() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [d for d in pyproject["project"]["dependencies"] if d.startswith("sacrebleu")]
    assert pins == [f"sacrebleu[ja,ko]=={PINNED_SACREBLEU}"]
    assert sacrebleu.__version__ == PINNED_SACREBLEU  # what the tests above check against


def another_sacrebleu(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sacrebleu other than the pinned one, and none of the fast code allowed to run."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fast path ran with another sacrebleu")

    monkeypatch.setattr(sacrebleu, "__version__", "2.6.0")
    monkeypatch.setattr(FastCHRF, "_extract_corpus_statistics", refuse)
    monkeypatch.setattr(FastBLEU, "_extract_corpus_statistics", refuse)
    monkeypatch.setattr(FastTER, "_compute_segment_statistics", refuse)
    monkeypatch.setattr(bootstrap, "resampled_sums", refuse)
    monkeypatch.setattr(engine, "chrf_f_scores", refuse)
    monkeypatch.setattr(engine, "forked_map", refuse)


OTHER_VERSION = r"sacrebleu 2\.6\.0 is installed, not the pinned 2\.5\.1"


def test_another_sacrebleu_falls_back_to_its_own_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """With another sacrebleu, sacrebleu's own classes and arithmetic compute everything, in
    this process, with a warning; at the pinned version the results are the same."""
    monkeypatch.delenv("SACREBLEU_SEED", raising=False)
    references, hypotheses = synthetic_corpus(300)
    refs = [[r] for r in references]
    _, few = SETS["eng_Latn"]
    fast = corpus_scores(hypotheses, refs, "eng_Latn", processes=2)
    fast_multi = corpus_scores(few, MULTI_REFS, "eng_Latn", bootstrap=0)
    another_sacrebleu(monkeypatch)
    with pytest.warns(RuntimeWarning, match=OTHER_VERSION):
        slow = corpus_scores(hypotheses, refs, "eng_Latn", processes=2)
    with pytest.warns(RuntimeWarning, match=OTHER_VERSION):
        slow_multi = corpus_scores(few, MULTI_REFS, "eng_Latn", bootstrap=0)
    assert slow == fast
    assert slow_multi == fast_multi
    stock = sacrebleu_metrics("eng_Latn")
    for name in CORPUS_METRICS:
        assert slow.scores[name].value == stock[name].corpus_score(hypotheses, [references]).score
    chrf = CHRF(word_order=2)
    assert slow_multi.sentence_chrf == [
        chrf.sentence_score(h, r).score for h, r in zip(few, MULTI_REFS, strict=True)
    ]


@pytest.mark.parametrize("name", CORPUS_METRICS)
def test_another_sacrebleu_paired_bootstrap(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SACREBLEU_SEED", raising=False)
    references, worse = synthetic_corpus(200)
    rng = random.Random(4)
    close = [r if rng.random() < 0.04 else h for h, r in zip(worse, references, strict=True)]
    refs = [[r] for r in references]
    fast = paired_bootstrap(worse, close, refs, "eng_Latn", metric=name)
    another_sacrebleu(monkeypatch)
    with pytest.warns(RuntimeWarning, match=OTHER_VERSION):
        slow = paired_bootstrap(worse, close, refs, "eng_Latn", metric=name)
    assert slow == fast
    assert slow.p_value == sacrebleu_paired(worse, close, references, name).p_value


# --- the sacrebleu command line --------------------------------------------------------------


def cli_scores(
    tmp_path: Path, hypotheses: list[str], references: list[str], language: str
) -> list[float]:
    hyp_file, ref_file = tmp_path / "hyp.txt", tmp_path / "ref.txt"
    hyp_file.write_text("\n".join(hypotheses) + "\n", encoding="utf-8")
    ref_file.write_text("\n".join(references) + "\n", encoding="utf-8")
    settings = metric_settings(language)
    argv = [sys.executable, "-m", "sacrebleu", str(ref_file), "-i", str(hyp_file)]
    argv += ["-m", "bleu", "chrf", "ter", "--chrf-word-order", "2", "-b", "-w", "4"]
    argv += ["-tok", str(settings["bleu"]["tokenize"])]
    if settings["ter"]["normalized"]:
        argv.append("--ter-normalized")
    if settings["ter"]["asian_support"]:
        argv.append("--ter-asian-support")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=True)
    return [float(v) for v in json.loads(done.stdout)]


def assert_agrees_with_cli(
    tmp_path: Path, hypotheses: list[str], references: list[str], language: str
) -> None:
    ours = corpus_scores(hypotheses, [[r] for r in references], language, bootstrap=0).scores
    cli = cli_scores(tmp_path, hypotheses, references, language)
    for name, value in zip(("bleu", "chrf", "ter"), cli, strict=True):
        assert abs(ours[name].value - value) <= 1e-4, (name, ours[name].value, value)
        assert round(ours[name].value, 2) == pytest.approx(round(value, 2))


@pytest.mark.parametrize("language", sorted(SETS))
def test_agrees_with_sacrebleu_cli(tmp_path: Path, language: str) -> None:
    references, hypotheses = SETS[language]
    assert_agrees_with_cli(tmp_path, hypotheses, references, language)


@pytest.mark.parametrize("direction", ["ne-en", "en-ne"])
def test_agrees_with_sacrebleu_cli_on_flores(tmp_path: Path, direction: str) -> None:
    """Copy-source outputs (the source sentence given as its translation) on FLoRes v1 ne-en."""
    source, target = direction.split("-")
    hypotheses, references = flores(source), flores(target)
    language = {"en": "eng_Latn", "ne": "npi_Deva"}[target]
    assert_agrees_with_cli(tmp_path, hypotheses, references, language)


def test_flores_statistics_equal_sacrebleu() -> None:
    """Every statistic row on the real devtest, for a realistic noisy output, in worker
    processes, against sacrebleu."""
    references = flores("en")
    hypotheses = noisy(references)
    ours = engine.statistics(
        CORPUS_METRICS, metric_settings("eng_Latn"), hypotheses, [references], 2
    )
    stock = sacrebleu_metrics("eng_Latn")
    for name in CORPUS_METRICS:
        assert ours[name] == stock[name]._extract_corpus_statistics(hypotheses, [references])


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hypotheses", "references", "message"),
    [
        ([], [], "the corpus is empty"),
        (["a", "b"], [["a"]], "2 hypotheses but 1 reference lists"),
        (["a"], [["a"], ["b"]], "1 hypotheses but 2 reference lists"),
        (["a", "b"], ["a", "b"], "references[0] is a string"),
        (["a", "b"], [["a"], []], "sample 1 has no reference"),
        (["a", "b"], [["a"], [None]], "sample 1 has no reference"),
        (["a", None], [["a"], ["b"]], "hypotheses[1] is NoneType, not a string"),
        ("ab", [["a"], ["b"]], "must be a list of strings"),
        (["a"], [[3]], "a reference of sample 0 is int"),
    ],
)
def test_bad_corpus(hypotheses: Any, references: Any, message: str) -> None:
    with pytest.raises(PolyevalError) as error:
        corpus_scores(hypotheses, references, "eng_Latn")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_bad_metric_and_language() -> None:
    with pytest.raises(PolyevalError, match=r"unknown translation metric 'meteor' \(known: chrf"):
        corpus_scores(["a"], [["a"]], "eng_Latn", ["meteor"])
    with pytest.raises(PolyevalError, match="not a code like zho_Hans"):
        corpus_scores(["a"], [["a"]], "english")
    with pytest.raises(PolyevalError, match="system A has 2 hypotheses but system B 1"):
        paired_bootstrap(["a", "b"], ["a"], [["a"], ["b"]], "eng_Latn")
    with pytest.raises(PolyevalError, match="the corpus is empty"):
        paired_bootstrap([], [], [], "eng_Latn")
