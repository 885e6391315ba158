"""The language table: coverage, alias resolution, table checks and script sanity."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from harness import languages
from harness.errors import PolyevalError
from harness.languages import (
    Language,
    all_languages,
    get_language,
    is_known,
    resolve_language,
)

# fmt: off
BELEBELE = [
    "acm_Arab", "afr_Latn", "als_Latn", "amh_Ethi", "apc_Arab", "arb_Arab", "arb_Latn", "ars_Arab",
    "ary_Arab", "arz_Arab", "asm_Beng", "azj_Latn", "bam_Latn", "ben_Beng", "ben_Latn", "bod_Tibt",
    "bul_Cyrl", "cat_Latn", "ceb_Latn", "ces_Latn", "ckb_Arab", "dan_Latn", "deu_Latn", "ell_Grek",
    "eng_Latn", "est_Latn", "eus_Latn", "fin_Latn", "fra_Latn", "fuv_Latn", "gaz_Latn", "grn_Latn",
    "guj_Gujr", "hat_Latn", "hau_Latn", "heb_Hebr", "hin_Deva", "hin_Latn", "hrv_Latn", "hun_Latn",
    "hye_Armn", "ibo_Latn", "ilo_Latn", "ind_Latn", "isl_Latn", "ita_Latn", "jav_Latn", "jpn_Jpan",
    "kac_Latn", "kan_Knda", "kat_Geor", "kaz_Cyrl", "kea_Latn", "khk_Cyrl", "khm_Khmr", "kin_Latn",
    "kir_Cyrl", "kor_Hang", "lao_Laoo", "lin_Latn", "lit_Latn", "lug_Latn", "luo_Latn", "lvs_Latn",
    "mal_Mlym", "mar_Deva", "mkd_Cyrl", "mlt_Latn", "mri_Latn", "mya_Mymr", "nld_Latn", "nob_Latn",
    "npi_Deva", "npi_Latn", "nso_Latn", "nya_Latn", "ory_Orya", "pan_Guru", "pbt_Arab", "pes_Arab",
    "plt_Latn", "pol_Latn", "por_Latn", "ron_Latn", "rus_Cyrl", "shn_Mymr", "sin_Latn", "sin_Sinh",
    "slk_Latn", "slv_Latn", "sna_Latn", "snd_Arab", "som_Latn", "sot_Latn", "spa_Latn", "srp_Cyrl",
    "ssw_Latn", "sun_Latn", "swe_Latn", "swh_Latn", "tam_Taml", "tel_Telu", "tgk_Cyrl", "tgl_Latn",
    "tha_Thai", "tir_Ethi", "tsn_Latn", "tso_Latn", "tur_Latn", "ukr_Cyrl", "urd_Arab", "urd_Latn",
    "uzn_Latn", "vie_Latn", "war_Latn", "wol_Latn", "xho_Latn", "yor_Latn", "zho_Hans", "zho_Hant",
    "zsm_Latn", "zul_Latn",
]

OTHER_BENCHMARKS = [
    "dzo_Tibt", "ach_Latn", "teo_Latn", "lgg_Latn", "nyn_Latn", "ace_Latn", "ban_Latn", "bbc_Latn",
    "bjn_Latn", "bug_Latn", "mad_Latn", "min_Latn", "nij_Latn", "quy_Latn", "nno_Latn",
]
# fmt: on

# ISO 15924 code -> prefixes of the Unicode character names of that script's letters.
SCRIPT_LETTERS: dict[str, tuple[str, ...]] = {
    "Arab": ("ARABIC",),
    "Armn": ("ARMENIAN",),
    "Beng": ("BENGALI",),
    "Cyrl": ("CYRILLIC",),
    "Deva": ("DEVANAGARI",),
    "Ethi": ("ETHIOPIC",),
    "Geor": ("GEORGIAN",),
    "Grek": ("GREEK",),
    "Gujr": ("GUJARATI",),
    "Guru": ("GURMUKHI",),
    "Hang": ("HANGUL",),
    "Hans": ("CJK",),
    "Hant": ("CJK",),
    "Hebr": ("HEBREW",),
    "Jpan": ("CJK", "HIRAGANA", "KATAKANA"),
    "Khmr": ("KHMER",),
    "Knda": ("KANNADA",),
    "Laoo": ("LAO",),
    "Latn": ("LATIN",),
    "Mlym": ("MALAYALAM",),
    "Mymr": ("MYANMAR",),
    "Orya": ("ORIYA",),
    "Sinh": ("SINHALA",),
    "Taml": ("TAMIL",),
    "Telu": ("TELUGU",),
    "Thai": ("THAI",),
    "Tibt": ("TIBETAN",),
}


def _letters_of(text: str) -> list[str]:
    return [ch for ch in text if ch.isalpha()]


def test_belebele_list_is_the_122_variants() -> None:
    assert len(BELEBELE) == len(set(BELEBELE)) == 122


@pytest.mark.parametrize("code", BELEBELE + OTHER_BENCHMARKS)
def test_benchmark_codes_present(code: str) -> None:
    assert is_known(code)
    assert get_language(code).code == code


def test_table_order_and_no_duplicate_codes() -> None:
    codes = [language.code for language in all_languages()]
    assert len(codes) == len(set(codes))
    assert codes[: len(BELEBELE)] == BELEBELE
    assert all(isinstance(language, Language) for language in all_languages())
    assert all_languages() is all_languages()  # parsed once


@pytest.mark.parametrize(
    ("alias", "code"),
    [
        ("bn", "ben_Beng"),
        ("ben", "ben_Beng"),
        ("ur", "urd_Arab"),
        ("urd", "urd_Arab"),
        ("zh", "zho_Hans"),
        ("zho", "zho_Hans"),
        ("sw", "swh_Latn"),
        ("ne", "npi_Deva"),
        ("dz", "dzo_Tibt"),
        ("qu", "quy_Latn"),
        ("lg", "lug_Latn"),
        ("ar", "arb_Arab"),
        ("hi", "hin_Deva"),
        ("ms", "zsm_Latn"),
        ("fa", "pes_Arab"),
        ("uz", "uzn_Latn"),
        ("mn", "khk_Cyrl"),
        ("lv", "lvs_Latn"),
        ("om", "gaz_Latn"),
        ("ps", "pbt_Arab"),
        ("no", "nob_Latn"),
        ("nb", "nob_Latn"),
        ("nn", "nno_Latn"),
        ("et", "est_Latn"),
        ("sq", "als_Latn"),
        ("az", "azj_Latn"),
        ("mg", "plt_Latn"),
        ("en", "eng_Latn"),
        ("EN", "eng_Latn"),
        (" ur ", "urd_Arab"),
    ],
)
def test_alias_resolution(alias: str, code: str) -> None:
    assert resolve_language(alias) == code
    assert get_language(alias).code == code
    assert is_known(alias)


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("urd_Arab", "urd_Arab"),
        ("URD_arab", "urd_Arab"),
        ("urd_ARAB", "urd_Arab"),
        ("urd-Arab", "urd_Arab"),
        ("zho_Hant", "zho_Hant"),
        ("ben_Latn", "ben_Latn"),
    ],
)
def test_canonical_codes_pass_through(spelling: str, code: str) -> None:
    assert resolve_language(spelling) == code


def test_every_canonical_code_resolves_to_itself() -> None:
    for language in all_languages():
        assert resolve_language(language.code) == language.code
        assert get_language(language.code) is language


@pytest.mark.parametrize("code", ["xx", "", "urd_Latx", "klingon", "ur_Arab"])
def test_unknown_code(code: str) -> None:
    assert not is_known(code)
    with pytest.raises(PolyevalError) as info:
        get_language(code)
    assert info.value.message == (
        f"unknown language '{code}'; codes look like urd_Arab or ur "
        "— `evaluate languages` lists them"
    )
    with pytest.raises(PolyevalError):
        resolve_language(code)


def test_aliases_unique_and_only_on_main_script_rows() -> None:
    seen: dict[str, str] = {}
    for language in all_languages():
        for alias in language.aliases:
            assert alias not in seen, f"{alias} on {seen.get(alias)} and {language.code}"
            seen[alias] = language.code
            assert re.fullmatch(r"[a-z]{2,3}", alias)
    for secondary in ("ben_Latn", "hin_Latn", "urd_Latn", "arb_Latn", "npi_Latn", "zho_Hant"):
        assert get_language(secondary).aliases == ()


def test_rows_are_well_formed() -> None:
    for language in all_languages():
        assert re.fullmatch(r"[a-z]{3}", language.iso639_3)
        assert re.fullmatch(r"[A-Z][a-z]{3}", language.script), language.code
        assert language.code == f"{language.iso639_3}_{language.script}"
        assert language.tier in ("high", "mid", "low")
        assert language.name and language.native_name


def test_scripts_are_iso_15924_codes_we_know() -> None:
    scripts = {language.script for language in all_languages()}
    assert scripts <= set(SCRIPT_LETTERS), scripts - set(SCRIPT_LETTERS)


@pytest.mark.parametrize("language", all_languages(), ids=lambda language: language.code)
def test_native_name_is_written_in_its_script(language: Language) -> None:
    prefixes = SCRIPT_LETTERS[language.script]
    letters = _letters_of(language.native_name)
    in_script = [ch for ch in letters if unicodedata.name(ch, "").startswith(prefixes)]
    assert in_script, f"{language.code}: {language.native_name!r} has no {language.script} letter"
    # Modifier letters (U+02BB, U+02BC) are shared across scripts; other letters must be
    # the row's script.
    foreign = [
        ch
        for ch in letters
        if not unicodedata.name(ch, "").startswith((*prefixes, "MODIFIER LETTER"))
    ]
    assert not foreign, f"{language.code}: {language.native_name!r} has letters {foreign}"


def test_tiers_follow_joshi_classes() -> None:
    assert get_language("eng_Latn").tier == "high"
    assert get_language("hin_Deva").tier == "high"
    assert get_language("ben_Beng").tier == "mid"
    assert get_language("urd_Arab").tier == "mid"
    assert get_language("swh_Latn").tier == "low"
    assert get_language("dzo_Tibt").tier == "low"
    tiers = {language.tier for language in all_languages()}
    assert tiers == {"high", "mid", "low"}


# --- malformed tables -------------------------------------------------------------------

HEADER = "code\tiso639_3\tscript\taliases\tname\tnative_name\ttier\n"
GOOD_ROW = "urd_Arab\turd\tArab\tur,urd\tUrdu\tUrdu\tmid\n"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "languages.tsv"
    path.write_text("# a comment\n" + HEADER + GOOD_ROW + body, encoding="utf-8")
    return path


def test_good_temporary_table_loads(tmp_path: Path) -> None:
    table = languages._load(_write(tmp_path, "\nben_Beng\tben\tBeng\tbn\tBengali\tবাংলা\tmid\n"))
    assert [language.code for language in table.languages] == ["urd_Arab", "ben_Beng"]
    assert table.index["bn"].code == "ben_Beng"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("ben_Beng\tben\tBeng\tbn\tBengali\tবাংলা\n", "expected 7 tab-separated columns"),
        ("ben_Beng\tben\tBeng\tbn\tBengali\tবাংলা\tmid\textra\n", "found 8"),
        ("urd_Arab\turd\tArab\t\tUrdu\tUrdu\tmid\n", "duplicate code 'urd_Arab'"),
        ("urd_Latn\turd\tLatn\tur\tUrdu\tUrdu\tmid\n", "duplicate alias 'ur'"),
        ("ben_Latn\tben\tBeng\tbn\tBengali\tবাংলা\tmid\n", "should be ben_Beng"),
        ("ben_Beng\tben\tBeng\tbn\tBengali\tবাংলা\tmedium\n", "tier 'medium'"),
        ("ben_BENG\tben\tBENG\tbn\tBengali\tবাংলা\tmid\n", "script 'BENG'"),
        ("ben_Beng\tbn\tBeng\tbn\tBengali\tবাংলা\tmid\n", "iso639_3 'bn'"),
        ("ben_Beng\tben\tBeng\tbn,b_n\tBengali\tবাংলা\tmid\n", "alias 'b_n'"),
    ],
)
def test_malformed_table_names_the_line(tmp_path: Path, body: str, fragment: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(PolyevalError) as info:
        languages._load(path)
    # line 1 comment, 2 header, 3 good row, 4 the bad row
    assert info.value.where == f"{path}:4"
    assert fragment in info.value.message


def test_duplicate_reports_the_first_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "\n\nurd_Latn\turd\tLatn\turd\tUrdu\tUrdu\tmid\n")
    with pytest.raises(PolyevalError) as info:
        languages._load(path)
    assert info.value.where == f"{path}:6"
    assert "already used by urd_Arab on line 3" in info.value.message


def test_bad_header(tmp_path: Path) -> None:
    path = tmp_path / "languages.tsv"
    path.write_text("code\tname\n", encoding="utf-8")
    with pytest.raises(PolyevalError) as info:
        languages._load(path)
    assert info.value.where == f"{path}:1"


def test_shipped_table_errors_name_the_repo_path() -> None:
    assert languages._TABLE_NAME == "harness/languages.tsv"
    assert languages._TABLE_PATH.name == "languages.tsv"
    assert languages._TABLE_PATH.is_file()
