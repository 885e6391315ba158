"""XNLI: relation names in the prompt's language, the shipped sample, a hub clone, every real
dev file, and translate_test against a machine-translated copy built here (never shipped)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.literals import get_literals
from harness.parsers import get_parser
from harness.registry import TaskRegistry
from harness.samples import SkipRow
from harness.task_literals import task_literals
from harness.yamlfile import load_yaml
from tests.conftest import REPO, SHARED_DATA, assert_chance, read_run, scores_of

TASK = REPO / "tasks" / "xnli"
SAMPLE = TASK / "sample"
RELATIONS = ("entailment", "neutral", "contradiction")
SAMPLE_CODES = {
    "eng_Latn": "en",
    "urd_Arab": "ur",
    "hin_Deva": "hi",
    "fra_Latn": "fr",
    "deu_Latn": "de",
    "zho_Hans": "zh",
}
SAMPLE_ROWS = 9
MT_CODES = ("ur", "hi", "fr", "de")
MT_NOTE = "variant 'translate_test' needs --alt-data mt=DIR"
Cell = tuple[str, str, str]


def _lines(path: Path) -> list[str]:
    """The rows of a headerless TSV, counted by hand: CRLF-terminated, none blank."""
    return [line for line in path.read_bytes().decode("utf-8").split("\r\n") if line.strip()]


def _run(evaluate: Callable[..., Result], out: Path, model: str, *args: str, **opts: Any) -> str:
    result = evaluate(f"run --model {model} --tasks xnli", *args, output=out, **opts)
    assert result.exit_code == 0, result.output
    return result.output


def _gaps(out: Path, versus: str = "variant:zero_shot") -> dict[str, dict[str, Any]]:
    gaps = json.loads((out / "gaps.json").read_text())
    return {g["language"]: g for g in gaps if g["versus"] == versus and g["metric"] == "accuracy"}


def _mt_copy(folder: Path, codes: tuple[str, ...] = MT_CODES, edit: Any = None) -> Path:
    """A stand-in for a machine-translated test set: the sample's rows with every third
    premise reworded (as MT would), and `edit(row_number, fields)` applied on top."""
    folder.mkdir(parents=True, exist_ok=True)
    for code in codes:
        rows = []
        for number, line in enumerate(_lines(SAMPLE / f"dev-{code}.tsv")):
            fields = line.split("\t")
            if number % 3 == 0:
                fields[0] = f"{fields[0].rstrip('.。।۔')} (MT)."
            if edit is not None:
                edit(number, fields)
            rows.append("\t".join(fields) + "\r\n")
        (folder / f"dev-{code}.tsv").write_bytes("".join(rows).encode("utf-8"))
    return folder


# --- the task's words ------------------------------------------------------------------------


def test_every_language_has_the_three_relation_names_and_all_words() -> None:
    spec = TaskRegistry().get("xnli").spec
    table, _ = load_yaml(TASK / "literals.yaml")
    assert set(table) == set(spec.languages)
    keys = set(table["eng_Latn"])
    for language in spec.languages:
        assert set(table[language]) == keys, language
        names = [table[language][r] for r in RELATIONS]
        assert all(isinstance(n, str) and n.strip() for n in names)
        for a in names:  # a reply naming one relation must not also name another
            assert [b for b in names if a != b and a.casefold() in b.casefold()] == [], language


def test_records_get_their_gold_index_options_and_split() -> None:
    process = TaskRegistry().get("xnli").hook("process_record")
    urdu = [task_literals(TASK, "urd_Arab")[r] for r in RELATIONS]
    tsv = process(
        {"premise": "p", "hypothesis": "h", "label": "neutral", "_file": "dev-ur.tsv"}, "urd_Arab"
    )
    assert tsv["gold_index"] == 1 and tsv["split"] == "dev"
    assert [tsv[f"label_{r}"] for r in RELATIONS] == urdu
    hub = process({"premise": "p", "hypothesis": "h", "label": 2}, "eng_Latn")
    assert hub["gold_index"] == 2 and hub["split"] == "test" and hub["label_neutral"] == "neutral"
    jsonl = process(
        {"premise": "p", "hypothesis": "h", "label": 0, "_file": "ur/test.jsonl"}, "urd_Arab"
    )
    assert jsonl["gold_index"] == 0 and jsonl["split"] == "test"
    for unlabelled in (-1, "-", ""):
        with pytest.raises(SkipRow):
            process({"premise": "p", "hypothesis": "h", "label": unlabelled}, "eng_Latn")


def test_a_reply_naming_the_relation_in_the_prompt_language_is_read() -> None:
    parse = get_parser("choice")
    for language in TaskRegistry().get("xnli").spec.languages:
        words = task_literals(TASK, language)
        choices = [words[r] for r in RELATIONS]
        literals = get_literals(language)
        for letter, word in zip("ABC", choices, strict=True):
            assert parse(word, literals, choices, complete=True) == letter, (language, word)
            assert parse(f"{letter}. {word}", literals, choices, complete=True) == letter


# --- the shipped sample ----------------------------------------------------------------------


def test_reference_is_perfect_on_every_sample_language_and_variant(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(
        evaluate,
        out,
        "baseline:reference",
        "--source",
        "sample",
        variants="zero_shot,en_instruction",
    )
    scores = scores_of(out)
    expected = {("xnli", v, lang) for v in ("zero_shot", "en_instruction") for lang in SAMPLE_CODES}
    assert set(scores) == expected
    assert all(r["value"] == 1.0 and r["n"] == SAMPLE_ROWS for r in scores.values()), scores
    samples = read_run(out)["samples"]
    by_language: dict[str, list[str]] = {}
    for row in samples:
        if row["variant"] == "zero_shot":
            by_language.setdefault(row["language"], []).append(row["parallel_id"])
    assert len({tuple(ids) for ids in by_language.values()}) == 1  # rows line up
    assert by_language["urd_Arab"][:2] == ["xnli-dev-0", "xnli-dev-1"]


def test_the_sample_is_parallel_and_balanced() -> None:
    labels = None
    for code in SAMPLE_CODES.values():
        path = SAMPLE / f"dev-{code}.tsv"
        assert path.read_bytes().count(b"\r\n") == path.read_bytes().count(b"\n") == SAMPLE_ROWS
        rows = [line.split("\t") for line in _lines(path)]
        assert all(len(r) == 3 for r in rows)
        mine = [r[2] for r in rows]
        assert labels is None or mine == labels, code
        labels = mine
    assert labels is not None and sorted(labels) == sorted(RELATIONS * 3)


def test_the_urdu_prompt_shows_the_urdu_relation_names(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(
        evaluate,
        out,
        "baseline:reference",
        "--source",
        "sample",
        "--limit",
        "1",
        languages="ur,en",
        variants="zero_shot,en_instruction",
    )
    prompts = {(s["variant"], s["language"]): s["prompt"] for s in read_run(out)["samples"]}
    urdu, english = task_literals(TASK, "urd_Arab"), task_literals(TASK, "eng_Latn")
    user = prompts[("zero_shot", "urd_Arab")][-1]["content"]
    for letter, relation in zip("ABC", RELATIONS, strict=True):
        assert f"{letter}. {urdu[relation]}" in user
    assert user.startswith(f"{urdu['premise']}: ") and urdu["question"] in user
    assert prompts[("zero_shot", "urd_Arab")][0]["content"] == urdu["instruction"]
    # en_instruction: the same Urdu pair under English words and relation names
    system, user = (m["content"] for m in prompts[("en_instruction", "urd_Arab")])
    assert system == english["instruction"]
    assert "A. entailment\nB. neutral\nC. contradiction" in user
    assert user.startswith("Premise: ") and not any(urdu[r] in user for r in RELATIONS)
    assert "\nC. contradiction" in prompts[("zero_shot", "eng_Latn")][-1]["content"]


# --- translate_test: the same items from a machine-translated copy ---------------------------


def test_translate_test_without_alt_data_fails_when_asked_and_is_noted_otherwise(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    asked = evaluate(
        "run --model baseline:reference --tasks xnli --source sample --variants translate_test",
        output=tmp_path / "asked",
    )
    assert asked.exit_code == 2
    lines = asked.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--alt-data" in lines[0]
    out = tmp_path / "default"
    output = _run(evaluate, out, "baseline:reference", "--source", "sample")
    assert MT_NOTE in output
    assert {v for _, v, _ in scores_of(out)} == {"zero_shot"}
    assert any(MT_NOTE in note for note in read_run(out)["manifest"]["tasks"]["xnli"]["notes"])
    assert _gaps(out) == {}


@pytest.mark.parametrize("form", ["name", "task_and_name", "file"])
def test_translate_test_gap_to_the_human_translation_is_zero_for_the_reference(
    evaluate: Callable[..., Result], tmp_path: Path, form: str
) -> None:
    mt = _mt_copy(tmp_path / "mt", (*MT_CODES, "en"))  # an English file is there, and ignored
    alt = {"name": f"mt={mt}", "task_and_name": f"xnli:mt={mt}", "file": f"mt={mt / 'dev-ur.tsv'}"}
    out = tmp_path / "run"
    output = _run(evaluate, out, "baseline:reference", "--source", "sample", alt_data=alt[form])
    assert MT_NOTE not in output and "gap in points to zero_shot" in output
    scores = scores_of(out)
    translated = {lang for _, v, lang in scores if v == "translate_test"}
    assert translated == set(SAMPLE_CODES) - {"eng_Latn", "zho_Hans"}  # no English, no zh copy
    assert all(r["value"] == 1.0 for r in scores.values())
    gaps = _gaps(out)
    assert set(gaps) == translated
    for gap in gaps.values():
        assert gap["variant"] == "translate_test" and gap["n"] == SAMPLE_ROWS
        assert gap["gap"] == 0.0 and gap["value"] == gap["base"] == 1.0
    entry = read_run(out)["manifest"]["tasks"]["xnli"]
    assert entry["alt_data"] == {"mt": str(mt)}
    prompts = {(s["variant"], s["language"], s["sample_id"]): s for s in read_run(out)["samples"]}
    human, machine = (
        prompts[("zero_shot", "fra_Latn", "dev-0")],
        prompts[("translate_test", "fra_Latn", "dev-0")],
    )
    assert human["parallel_id"] == machine["parallel_id"] == "xnli-dev-0"
    assert "(MT)." in machine["prompt"][-1]["content"]
    assert "(MT)." not in human["prompt"][-1]["content"]


def test_translate_test_gap_is_the_constructed_difference(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    """The majority baseline answers each cell's most common gold. The human files hold 3 of
    each relation (a tie: entailment, A, is answered: 3/9 right); the copy turns rows 1, 2 and
    4 into entailment (6 of 9), so the same answer scores 6/9 there: a gap of +1/3."""

    def more_entailment(number: int, fields: list[str]) -> None:
        if number in (1, 2, 4):
            fields[2] = "entailment"

    mt = _mt_copy(tmp_path / "mt", ("ur", "hi"), more_entailment)
    out = tmp_path / "run"
    output = _run(evaluate, out, "baseline:majority", "--source", "sample", alt_data=f"mt={mt}")
    gaps = _gaps(out)
    assert set(gaps) == {"urd_Arab", "hin_Deva"}
    for gap in gaps.values():
        assert gap["n"] == SAMPLE_ROWS
        assert gap["base"] == pytest.approx(3 / 9) and gap["value"] == pytest.approx(6 / 9)
        assert gap["gap"] == pytest.approx(1 / 3)
    assert "+33.3" in output  # the printed gap table, in points
    # the reference still scores 1.0 on the relabelled copy: its gold is the copy's own
    ref = tmp_path / "ref"
    _run(evaluate, ref, "baseline:reference", "--source", "sample", alt_data=f"mt={mt}")
    assert all(g["gap"] == 0.0 for g in _gaps(ref).values())


# --- the hub layout ---------------------------------------------------------------------------


def _hub_records(code: str) -> list[dict[str, Any]]:
    return [
        {"premise": p, "hypothesis": h, "label": RELATIONS.index(label)}
        for p, h, label in (line.split("\t") for line in _lines(SAMPLE / f"dev-{code}.tsv"))
    ]


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def test_hub_clone_and_an_mt_copy_in_the_hub_layout(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    repo = tmp_path / "hub" / "facebook" / "xnli"
    card = ["---", "configs:"]
    for code in ("en", "ur"):
        _write_jsonl(repo / code / "test.jsonl", _hub_records(code))
        card += [
            f"- config_name: {code}",
            "  data_files:",
            "  - split: test",
            f"    path: {code}/test.jsonl",
        ]
    (repo / "README.md").write_text("\n".join([*card, "---", "# xnli (local clone for tests)"]))
    mt = tmp_path / "mt"  # the JSON Lines equivalent of the hub's files, one label changed
    records = _hub_records("ur")
    records[0]["premise"] += " (MT)"
    _write_jsonl(mt / "ur" / "test-00000-of-00001.jsonl", records)
    out = tmp_path / "run"
    _run(
        evaluate,
        out,
        "baseline:reference",
        "--source",
        "hub",
        "--languages",
        "en,ur",
        hub_dir=tmp_path / "hub",
        alt_data=f"mt={mt}",
    )
    scores = scores_of(out)
    assert set(scores) == {
        ("xnli", "zero_shot", "eng_Latn"),
        ("xnli", "zero_shot", "urd_Arab"),
        ("xnli", "translate_test", "urd_Arab"),
    }
    assert all(r["value"] == 1.0 and r["n"] == SAMPLE_ROWS for r in scores.values())
    assert read_run(out)["manifest"]["tasks"]["xnli"]["source"]["kind"] == "hub"
    gap = _gaps(out)["urd_Arab"]
    assert gap["n"] == SAMPLE_ROWS and gap["gap"] == 0.0  # hub test rows pair with the copy's


def test_a_copy_of_another_split_pairs_with_nothing(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    mt = tmp_path / "mt"  # test-split rows against the sample's dev rows: no false pairs
    _write_jsonl(mt / "ur" / "test.jsonl", _hub_records("ur"))
    out = tmp_path / "run"
    _run(
        evaluate,
        out,
        "baseline:reference",
        "--source",
        "sample",
        "--languages",
        "ur",
        alt_data=f"mt={mt}",
    )
    assert scores_of(out)[("xnli", "translate_test", "urd_Arab")]["n"] == SAMPLE_ROWS
    assert _gaps(out) == {}


# --- every real file --------------------------------------------------------------------------

REAL = SHARED_DATA / "xnli"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"real XNLI data not found at {REAL}")


def _real_files() -> dict[str, Path]:
    spec = TaskRegistry().get("xnli").spec
    found = {lang: REAL / f"dev-{code}.tsv" for lang, code in spec.languages.items()}
    return {lang: path for lang, path in found.items() if path.is_file()}


@needs_real
def test_reference_is_perfect_on_every_real_row(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    files = _real_files()
    assert len(files) >= 5
    out = tmp_path / "run"
    _run(
        evaluate,
        out,
        "baseline:reference",
        "--source",
        "local",
        data_dir=SHARED_DATA,
        variants="zero_shot,en_instruction",
    )
    scores = scores_of(out)
    assert {(v, lang) for _, v, lang in scores} == {
        (v, lang) for v in ("zero_shot", "en_instruction") for lang in files
    }
    entry = read_run(out)["manifest"]["tasks"]["xnli"]
    assert entry["source"]["kind"] == "local" and entry["skipped"] == {}
    for language, path in files.items():
        rows = len(_lines(path))
        assert entry["rows"][language] == entry["samples"][language] == rows, language
    for (_, _, language), record in scores.items():
        assert record["value"] == 1.0 and record["n"] == len(_lines(files[language])), record


@needs_real
def test_random_lands_within_the_interval_of_chance_on_real_rows(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    _run(evaluate, out, "baseline:random", "--source", "local", data_dir=SHARED_DATA)
    scores = scores_of(out)
    assert len(scores) == len(_real_files())
    assert_chance(list(scores.values()), 1 / 3)


@needs_real
def test_translate_test_on_a_copy_of_real_files(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    mt = tmp_path / "mt"
    mt.mkdir()
    lines = _lines(REAL / "dev-ur.tsv")
    lines[:10] = [line.replace("\t", " (MT)\t", 1) for line in lines[:10]]
    (mt / "dev-ur.tsv").write_bytes("".join(f"{x}\r\n" for x in lines).encode("utf-8"))
    out = tmp_path / "run"
    _run(
        evaluate,
        out,
        "baseline:reference",
        "--source",
        "local",
        "--languages",
        "ur",
        data_dir=SHARED_DATA,
        alt_data=f"mt={mt}",
    )
    gap = _gaps(out)["urd_Arab"]
    assert gap["n"] == len(lines) and gap["gap"] == 0.0
