"""DZEN: the shipped sample and the real files (shared/data/dzen/) end to end, and the hooks
that clean the rows and pick the chain-of-thought exemplars."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from harness.cli import main
from harness.data.sources import select_source
from harness.errors import PolyevalError
from harness.registry import Task, TaskRegistry
from harness.samples import SkipRow
from tests.conftest import SHARED_DATA, assert_chance, cli_args, read_run, scores_of

VARIANTS = ("dz", "en", "dz+en", "cot")
LANGUAGES = {"dz": {"dzo_Tibt"}, "en": {"eng_Latn"}, "dz+en": {"dzo_Tibt"}}
ALL_VARIANTS = ",".join(VARIANTS)
SAMPLE = Path(__file__).resolve().parents[2] / "tasks" / "dzen" / "sample"
REAL = SHARED_DATA / "dzen"
SUBJECTS = {"Biology", "Chemistry", "Math", "Physics", "Science"}

needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"DZEN data not found at {REAL}")


# --- helpers ---------------------------------------------------------------------------------


def _run(out: Path, *args: str, **options: object) -> dict[str, Any]:
    argv = cli_args("run --tasks dzen", *args, output=out, cache=out.parent / "cache.sqlite")
    argv += cli_args("", **options)
    result: Result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return read_run(out)


def _csv_rows(path: Path) -> list[list[str]]:
    """A subject file's data rows, read by position with Python's csv module."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))[1:]


def _questions(folder: Path) -> Iterator[tuple[str, str, str, str]]:
    """(file stem, English question, Dzongkha question, key) of every subject file row."""
    for path in sorted((folder / "DZEN").glob("*.csv")):
        for row in _csv_rows(path):
            yield path.stem, row[0].strip(), row[1].strip(), row[-1].strip()


def _few_shot_questions(folder: Path) -> set[str]:
    found = set()
    for path in (folder / "DZEN-Few_Shots").glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                found |= {row["Question"].strip(), row["Question Dz"].strip()}
    return found


def _by_cell(samples: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in samples:
        cells.setdefault((row["variant"], row["language"]), []).append(row)
    return cells


def _check_reference_run(run: dict[str, Any], out: Path, rows: int, skipped: int) -> None:
    scores = scores_of(out)
    cells = {(variant, language) for _, variant, language in scores}
    assert cells == {
        *((v, lang) for v, langs in LANGUAGES.items() for lang in langs),
        ("cot", "dzo_Tibt"),
        ("cot", "eng_Latn"),
    }
    assert {key: r["value"] for key, r in scores.items() if r["value"] != 1.0} == {}
    assert all(r["n"] == rows - skipped for r in scores.values()), scores
    parse = scores_of(out, "parse_rate")
    assert all(r["value"] == 1.0 for r in parse.values())
    breakdowns = {(r["by"], r["group"]) for r in run["scores"] if r["by"] is not None}
    assert {by for by, _ in breakdowns} == {"subject", "grade"}
    assert {group for by, group in breakdowns if by == "grade"} == {"8", "10", "12"}
    assert {group for by, group in breakdowns if by == "subject"} <= SUBJECTS
    for record in run["scores"]:
        if record["by"] is not None:
            assert record["value"] == 1.0 and record["n"] > 0, record


def _rows_by_file(folder: Path) -> dict[str, list[list[str]]]:
    """Every subject file's rows by file stem: a sample id is `<stem>#<row within the file>`."""
    return {path.stem: _csv_rows(path) for path in sorted((folder / "DZEN").glob("*.csv"))}


def _check_dz_en_prompts(run: dict[str, Any], folder: Path) -> None:
    """Every dz+en prompt holds its row's Dzongkha question and the English one; the dz and
    en prompts hold only their own language's."""
    rows = _rows_by_file(folder)
    cells = _by_cell(run["samples"])
    for variant, language in (("dz+en", "dzo_Tibt"), ("dz", "dzo_Tibt"), ("en", "eng_Latn")):
        assert cells[(variant, language)]
        for sample in cells[(variant, language)]:
            stem, index = sample["sample_id"].split("#")
            row = rows[stem][int(index)]
            en, dz = row[0].strip(), row[1].strip()
            user = sample["prompt"][-1]["content"]
            if variant == "dz+en":
                assert dz in user and en in user, user
            elif variant == "dz":
                assert dz in user and (en not in user or en in dz), user
            else:
                assert en in user and (dz not in user or dz in en), user


def _check_cot_exemplars(run: dict[str, Any], folder: Path, count: int) -> None:
    """cot prompts: `count` exemplar turns, the same for every item, all from DZEN-Few_Shots
    and none from the evaluated files, each ending in the answer line."""
    evaluated = {q for _, en, dz, _ in _questions(folder) for q in (en, dz)}
    few_shot = _few_shot_questions(folder)
    for language in ("dzo_Tibt", "eng_Latn"):
        rows = _by_cell(run["samples"])[("cot", language)]
        prompts = {json.dumps(row["prompt"][:-1], ensure_ascii=False) for row in rows}
        assert len(prompts) == 1  # a fixed set of exemplars
        turns = rows[0]["prompt"]
        assert [m["role"] for m in turns] == ["system", *["user", "assistant"] * count, "user"]
        for user, assistant in zip(turns[1:-1:2], turns[2:-1:2], strict=True):
            question = user["content"].split("\n\nA. ")[0].split(": ", 1)[1].strip()
            assert question in few_shot, question
            assert question not in evaluated
            assert "{" + '"' not in assistant["content"]  # the answer marker was replaced
            assert re.search(r"\n\n\S+: [A-D]$", assistant["content"]), assistant["content"]


# --- the shipped sample ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("dzen") / "run"
    run = _run(out, model="baseline:reference", variants=ALL_VARIANTS, source="sample")
    return run, out


def test_reference_is_perfect_on_the_sample(sample_run: tuple[dict[str, Any], Path]) -> None:
    run, out = sample_run
    _check_reference_run(run, out, rows=24, skipped=1)
    entry = run["manifest"]["tasks"]["dzen"]
    assert entry["source"]["kind"] == "sample"
    assert entry["rows"] == {"dzo_Tibt": 24, "eng_Latn": 24}
    reason = "answer key '*' is not one of a-d (DZEN/8th-Science.csv)"
    assert entry["skipped"] == {"dzo_Tibt": {reason: 1}, "eng_Latn": {reason: 1}}


def test_sample_keeps_the_uppercase_key_and_every_row_of_each_file(
    sample_run: tuple[dict[str, Any], Path],
) -> None:
    _check_rows_per_file(sample_run[0], SAMPLE)


def test_sample_dz_en_prompt_holds_both_questions(sample_run: tuple[dict[str, Any], Path]) -> None:
    _check_dz_en_prompts(sample_run[0], SAMPLE)


def test_sample_cot_exemplars_come_from_the_few_shot_split(
    sample_run: tuple[dict[str, Any], Path],
) -> None:
    _check_cot_exemplars(sample_run[0], SAMPLE, count=3)


def test_parallel_ids_pair_the_dzongkha_and_english_rows(
    sample_run: tuple[dict[str, Any], Path],
) -> None:
    cells = _by_cell(sample_run[0]["samples"])
    dz = [row["parallel_id"] for row in cells[("dz", "dzo_Tibt")]]
    en = [row["parallel_id"] for row in cells[("en", "eng_Latn")]]
    assert dz == en and len(set(dz)) == 23
    assert all(re.fullmatch(r"\d+th-[A-Za-z]+(-I+)?#\d+", pid) for pid in dz)


def test_default_variants_are_the_three_direct_ones() -> None:
    task = TaskRegistry().get("dzen")
    assert task.spec.chosen_default_variants() == ["dz", "en", "dz+en"]
    assert {n for n, v in task.spec.variants.items() if v.loglikelihood is None} == set(VARIANTS)


def test_completion_format_renders_the_cot_prompt(tmp_path: Path) -> None:
    run = _run(
        tmp_path / "run",
        "--prompt-format",
        "completion",
        model="baseline:reference",
        variants="cot",
        source="sample",
        limit=2,
    )
    assert all(row["scores"]["accuracy"] == 1.0 for row in run["samples"])


# --- the hooks -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def task() -> Task:
    return TaskRegistry().get("dzen")


def _record(**changes: str) -> dict[str, Any]:
    record = {
        "English Question": "Which gas do plants take in?",
        "Dzongkha\nQuestion": "ཤིང་ཚུ་གིས་ རླུང་རིགས་ག་ཅི་ལེན་ནི་ཨིན་ན?",
        "A": "Oxygen",
        "B": "Carbon dioxide",
        "C": "Nitrogen",
        "D": "Hydrogen",
        "A Dz.": "ཨོཀ་སི་ཇིན།",
        "B Dz ": "ཀཱར་བཱོན་ཌའི་ཨོཀ་སཱའིཌ།",
        "c dz": "ནའི་ཊྲོ་ཇིན།",
        "D  Dz .": "ཧའི་ཌྲོ་ཇིན།",
        "Correct Answer": "B",
        "_file": "DZEN/12th-Biology-II.csv",
    }
    return {**record, **changes}


def test_headers_are_matched_by_normalised_name(task: Task) -> None:
    process = task.hook("process_record")
    dz = process(_record(), "dzo_Tibt")
    assert dz["question"] == "ཤིང་ཚུ་གིས་ རླུང་རིགས་ག་ཅི་ལེན་ནི་ཨིན་ན?"
    assert [dz[f"option_{c}"] for c in "ab"] == ["ཨོཀ་སི་ཇིན།", "ཀཱར་བཱོན་ཌའི་ཨོཀ་སཱའིཌ།"]
    assert dz["question_en"] == "Which gas do plants take in?"
    assert dz["options_en"] == ["Oxygen", "Carbon dioxide", "Nitrogen", "Hydrogen"]
    assert (dz["answer"], dz["subject"], dz["grade"], dz["_stem"]) == (
        "b",
        "Biology",
        "12",
        "12th-Biology-II",
    )
    en = process(_record(), "eng_Latn")
    assert en["question"] == "Which gas do plants take in?" and en["option_d"] == "Hydrogen"


@pytest.mark.parametrize("key", ["*", "", "e", "ab"])
def test_a_key_outside_a_to_d_skips_the_row(task: Task, key: str) -> None:
    with pytest.raises(SkipRow, match=r"not one of a-d \(DZEN/12th-Biology-II.csv\)"):
        task.hook("process_record")(_record(**{"Correct Answer": key}), "eng_Latn")


def test_a_missing_column_is_an_error_naming_it(task: Task) -> None:
    record = _record()
    del record["c dz"]
    with pytest.raises(PolyevalError, match="no column for c_dz"):
        task.hook("process_record")(record, "dzo_Tibt")


def test_exemplars_skip_unusable_rows(task: Task) -> None:
    source, _ = select_source(task.spec, task.folder, "sample", None, None)
    hook = task.hook("exemplars")
    english = hook(source, "eng_Latn", "eng_Latn", "cot")
    dzongkha = hook(source, "dzo_Tibt", "dzo_Tibt", "cot")
    # one per subject, in subject order; 10th-Physics is shifted, the other rows are rejected
    # for a short response, a Bengali "Dzongkha" response, a diagram, a marker mid-response
    expected = [
        "DZEN-Few_Shots/10th-Biology-few_shot.csv#1",
        "DZEN-Few_Shots/12th-Math-I-few_shot.csv#2",
        "DZEN-Few_Shots/8th-Science-few_shot.csv#0",
    ]
    assert [e["source"] for e in english] == [e["source"] for e in dzongkha] == expected
    assert [e["letter"] for e in english] == ["B", "B", "C"]
    assert english[2]["rationale"].endswith("So, the correct answer is C.")
    assert dzongkha[2]["rationale"].endswith("ལན་ངོ་མ་འདི་ C ཨིན།")  # from the marker's ག
    assert all(len(e["choices"]) == 4 for e in english + dzongkha)


def test_exemplars_come_from_real_files_with_one_per_subject(task: Task) -> None:
    if not REAL.is_dir():
        pytest.skip(f"DZEN data not found at {REAL}")
    source, _ = select_source(task.spec, task.folder, "local", SHARED_DATA, None)
    english = task.hook("exemplars")(source, "eng_Latn", "eng_Latn", "cot")
    dzongkha = task.hook("exemplars")(source, "dzo_Tibt", "dzo_Tibt", "cot")
    assert [e["source"] for e in english] == [e["source"] for e in dzongkha]
    assert len(english) == 5
    stems = [e["source"].split("/")[1].split("-few_shot")[0] for e in english]
    assert [s.split("-")[1] for s in stems] == sorted(SUBJECTS)
    assert not any("Physics" in s and s.startswith("10th") for s in stems)  # shifted file


# --- the real files --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    if not REAL.is_dir():
        pytest.skip(f"DZEN data not found at {REAL}")
    out = tmp_path_factory.mktemp("dzen_real") / "run"
    run = _run(
        out,
        model="baseline:reference",
        variants=ALL_VARIANTS,
        source="local",
        data_dir=SHARED_DATA,
    )
    return run, out


@needs_real
def test_reference_is_perfect_on_all_real_rows(real_run: tuple[dict[str, Any], Path]) -> None:
    run, out = real_run
    _check_reference_run(run, out, rows=3806, skipped=2)
    breakdowns = {(r["by"], r["group"]) for r in run["scores"] if r["by"] is not None}
    assert {group for by, group in breakdowns if by == "subject"} == SUBJECTS
    entry = run["manifest"]["tasks"]["dzen"]
    assert entry["source"]["kind"] == "local"


@needs_real
def test_real_skips_are_the_two_star_keys(real_run: tuple[dict[str, Any], Path]) -> None:
    entry = real_run[0]["manifest"]["tasks"]["dzen"]
    reason = "answer key '*' is not one of a-d (DZEN/8th-Science.csv)"
    assert entry["skipped"] == {"dzo_Tibt": {reason: 2}, "eng_Latn": {reason: 2}}
    assert entry["rows"] == {"dzo_Tibt": 3806, "eng_Latn": 3806}
    assert entry["samples"] == {"dzo_Tibt": 3804, "eng_Latn": 3804}


@needs_real
def test_real_samples_per_file_are_its_csv_rows_less_its_skips(
    real_run: tuple[dict[str, Any], Path],
) -> None:
    _check_rows_per_file(real_run[0], REAL)


@needs_real
def test_real_dz_en_prompt_holds_both_questions(real_run: tuple[dict[str, Any], Path]) -> None:
    _check_dz_en_prompts(real_run[0], REAL)


@needs_real
def test_real_cot_exemplars_come_from_the_few_shot_split(
    real_run: tuple[dict[str, Any], Path],
) -> None:
    _check_cot_exemplars(real_run[0], REAL, count=5)


@needs_real
def test_random_lands_within_the_interval_of_chance(tmp_path: Path) -> None:
    """Each cell's accuracy lies within the 95% interval of chance, family-wise over the five
    cells (Bonferroni): with a plain 95% interval per cell, one of five misses 0.25 about one
    time in four by chance alone (at the default seed, dz scores 0.235). The draws are seeded
    by the request, so the outcome is fixed; a change of sample ids draws again."""
    out = tmp_path / "run"
    _run(out, model="baseline:random", variants=ALL_VARIANTS, source="local", data_dir=SHARED_DATA)
    records = list(scores_of(out).values())
    assert len(records) == 5 and all(r["n"] == 3804 for r in records)
    assert_chance(records, 0.25)
    assert all(r["ci_high"] - r["ci_low"] < 0.03 for r in records)  # n=3804: a tight interval
    parse = scores_of(out, "parse_rate")
    assert all(r["value"] == 1.0 for r in parse.values())


def _check_rows_per_file(run: dict[str, Any], folder: Path) -> None:
    """Per file and cell: the samples are the file's CSV rows less the rows the manifest says
    were skipped there, and their gold letters are the file's keys (an uppercase B is b)."""
    entry = run["manifest"]["tasks"]["dzen"]
    skipped: dict[str, Counter[str]] = {}
    for language, reasons in entry["skipped"].items():
        for reason, count in reasons.items():
            match = re.search(r"\(DZEN/(.+)\.csv\)$", reason)
            assert match, reason
            skipped.setdefault(language, Counter())[match[1]] += count
    for (variant, language), samples in _by_cell(run["samples"]).items():
        per_file: dict[str, Counter[str]] = {}
        for sample in samples:
            per_file.setdefault(sample["sample_id"].split("#")[0], Counter())[sample["gold"]] += 1
        for path in sorted((folder / "DZEN").glob("*.csv")):
            data = _csv_rows(path)
            loaded = per_file.get(path.stem, Counter())
            expected = len(data) - skipped.get(language, Counter())[path.stem]
            assert loaded.total() == expected, (variant, language, path.name)
            keys = Counter(row[-1].strip().upper() for row in data)
            assert loaded == Counter({k: n for k, n in keys.items() if k in set("ABCD")})
