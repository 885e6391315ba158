"""Translation in the core: language pairs, line-aligned files, joins by parallel id, output
cleaning in the pipeline, corpus scores, round trips and `evaluate compare`, on the shipped
flores_v1 and ntrex samples and a real OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.config import RunConfig
from harness.data.readers import read_aligned
from harness.errors import PolyevalError
from harness.paths import TASKS_DIR
from harness.planner import build_plan
from harness.registry import TaskRegistry
from harness.translation.keys import Pair, pair_of
from harness.translation.pairs import parse_pair, select_pairs
from tests.conftest import assert_one_line_error, read_run, scores_of
from tests.fake_server import FakeServer

FLORES_SAMPLE = TASKS_DIR / "flores_v1" / "sample"


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _sample_dictionary() -> dict[str, str]:
    """Every shipped flores_v1 sentence mapped to its translation, both ways."""
    found = {}
    for pair in ("ne-en", "si-en"):
        xx = pair[:2]
        for split in ("dev", "devtest"):
            own = _lines(FLORES_SAMPLE / f"wikipedia.{split}.{pair}.{xx}")
            english = _lines(FLORES_SAMPLE / f"wikipedia.{split}.{pair}.en")
            found |= dict(zip(own, english, strict=True)) | dict(zip(english, own, strict=True))
    return found


def _source_of(body: dict[str, Any]) -> str:
    """The sentence to translate: the last line of the last user message."""
    return str(body["messages"][-1]["content"]).strip().splitlines()[-1]


@pytest.fixture
def translator() -> Iterator[FakeServer]:
    """A server that translates the sample sentences perfectly, wrapped the way chat models
    wrap them: a preamble and typographic quotes."""
    dictionary = _sample_dictionary()

    def respond(body: dict[str, Any]) -> str:
        return f"Here is the translation:\n\n“{dictionary[_source_of(body)]}”"

    fake = FakeServer(responder=respond).start_in_thread()
    yield fake
    fake.stop_thread()


# --- pairs ---------------------------------------------------------------------------------


def test_pairs_parse_from_canonical_codes_and_aliases() -> None:
    assert parse_pair("en-ne") == Pair("eng_Latn", "npi_Deva")
    assert parse_pair("npi_Deva-eng_Latn").key == "npi_Deva-eng_Latn"
    trip = parse_pair("si-en-si")
    assert trip.round_trip and trip.key == "sin_Sinh-eng_Latn-sin_Sinh"
    assert trip.reference_language == "sin_Sinh"
    assert pair_of("ben_Beng") is None
    assert pair_of("ben_Beng-eng_Latn") == Pair("ben_Beng", "eng_Latn")


@pytest.mark.parametrize("text", ["en", "en-ne-si", "en-en", "en-xx"])
def test_a_malformed_pair_is_a_clear_error(text: str) -> None:
    with pytest.raises(PolyevalError) as error:
        parse_pair(text)
    assert text in str(error.value) or "unknown language" in str(error.value)


def test_directions_and_language_filter_choose_the_pairs() -> None:
    spec = TaskRegistry().get("flores_v1").spec
    available = ["eng_Latn", "npi_Deva", "sin_Sinh"]
    both = select_pairs(spec, available, None, None, None)
    assert [p.key for p in both] == [
        "npi_Deva-eng_Latn",
        "eng_Latn-npi_Deva",
        "sin_Sinh-eng_Latn",
        "eng_Latn-sin_Sinh",
    ]
    into = select_pairs(spec, available, None, "to-en", ["sin_Sinh"])
    assert [p.key for p in into] == ["sin_Sinh-eng_Latn"]
    out = select_pairs(spec, available, None, "from-en", None)
    assert all(p.source == "eng_Latn" for p in out) and len(out) == 2
    asked = select_pairs(spec, available, ["si-en"], "from-en", None)
    assert asked == [Pair("sin_Sinh", "eng_Latn")]  # explicit pairs win over the direction


def test_ntrex_defaults_to_the_direction_it_was_translated_in() -> None:
    plan = build_plan(TaskRegistry(), RunConfig(tasks=["ntrex"], source="sample"))
    assert plan.tasks[0].languages == [
        "eng_Latn-ben_Beng",
        "eng_Latn-deu_Latn",
        "eng_Latn-fra_Latn",
        "eng_Latn-npi_Deva",
    ]


# --- data ----------------------------------------------------------------------------------


def test_aligned_files_become_rows_and_crlf_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"one\r\ntwo\r\n")
    (tmp_path / "b.txt").write_text("eins\nzwei\n", encoding="utf-8")
    rows = read_aligned({"en": tmp_path / "a.txt", "de": tmp_path / "b.txt"})
    assert [record for _, record in rows] == [
        {"en": "one", "de": "eins"},
        {"en": "two", "de": "zwei"},
    ]
    assert rows[1][0].endswith("a.txt:2")


def test_aligned_files_of_different_length_name_both(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one\ntwo\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("eins\n", encoding="utf-8")
    with pytest.raises(PolyevalError, match=r"a\.txt 2, b\.txt 1"):
        read_aligned({"en": tmp_path / "a.txt", "de": tmp_path / "b.txt"})


def _per_language_task(tmp_path: Path) -> Path:
    """A task whose languages live in files of their own (as FLORES+ configs do), joined
    by the `id` column; one German row has no English partner and one is empty."""
    folder = tmp_path / "tasks" / "toy_mt"
    (folder / "sample").mkdir(parents=True)
    rows = {
        "eng_Latn": [(1, "Good morning."), (2, "Thank you."), (3, "See you soon.")],
        "deu_Latn": [(3, "Bis bald."), (1, "Guten Morgen."), (4, "Nur hier."), (2, "")],
    }
    for language, items in rows.items():
        lines = [json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in items]
        (folder / "sample" / f"{language}.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "task.yaml").write_text(
        """\
name: toy_mt
version: "1"
kind: translation
languages: [eng_Latn, deu_Latn]
translation: {pivot: eng_Latn}
data:
  sample: {files: ["{code}.jsonl"]}
id: "{id}"
parallel_id: "{id}"
parser: translation
metrics: [chrf, bleu, ter]
variants:
  zero_shot: {template: translation.j2}
""",
        encoding="utf-8",
    )
    return folder.parent


def test_languages_in_separate_files_are_joined_by_parallel_id(tmp_path: Path) -> None:
    registry = TaskRegistry([_per_language_task(tmp_path)])
    plan = build_plan(registry, RunConfig(tasks=["toy_mt"], source="sample"))
    task = plan.tasks[0]
    from_german = task.samples[None]["deu_Latn-eng_Latn"]
    assert [(s.id, s.fields["source"], s.gold) for s in from_german] == [
        ("3", "Bis bald.", "See you soon."),
        ("1", "Guten Morgen.", "Good morning."),
    ]
    assert task.skipped["deu_Latn-eng_Latn"] == {"no text in deu_Latn": 1, "no text in eng_Latn": 1}
    into_german = task.samples[None]["eng_Latn-deu_Latn"]
    assert {s.fields["source"] for s in into_german} == {"See you soon.", "Good morning."}


# --- runs ----------------------------------------------------------------------------------


def test_reference_translations_score_100_and_copying_scores_low(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    runs = {}
    for model in ("reference", "copy-source"):
        runs[model] = tmp_path / model
        result = evaluate(
            f"run --model baseline:{model} --tasks flores_v1,ntrex --source sample",
            "--direction",
            "both",
            output=runs[model],
        )
        assert result.exit_code == 0, result.output
    for metric in ("chrf", "bleu"):
        perfect = scores_of(runs["reference"], metric)
        assert len(perfect) == 12 and all(
            r["value"] == pytest.approx(1.0) for r in perfect.values()
        )
        copied = scores_of(runs["copy-source"], metric)
        assert all(r["value"] < 0.35 for r in copied.values()), copied
    assert all(r["value"] == 0.0 for r in scores_of(runs["reference"], "ter").values())
    record = read_run(runs["reference"])["samples"][0]
    assert record["scores"]["sentence_chrf"] == pytest.approx(1.0)
    chrf = scores_of(runs["reference"], "chrf")[("flores_v1", "zero_shot", "npi_Deva-eng_Latn")]
    assert "nw:2" in chrf["signature"]  # chrF++: word bigrams too


def test_wrapped_translations_are_cleaned_and_what_was_stripped_is_recorded(
    evaluate: Callable[..., Result], translator: FakeServer, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model openai:fake-model --tasks flores_v1 --source sample --pairs en-ne,si-en",
        base_url=translator.base_url,
        output=out,
    )
    assert result.exit_code == 0, result.output
    chrf = scores_of(out, "chrf")
    assert {k[2] for k in chrf} == {"eng_Latn-npi_Deva", "sin_Sinh-eng_Latn"}
    assert all(r["value"] == pytest.approx(1.0) and r["n"] == 6 for r in chrf.values())
    record = read_run(out)["samples"][0]
    assert record["output"].startswith("Here is the translation:")
    assert record["parsed"] == record["gold"]
    assert record["stripped"]  # the preamble and the quotes, verbatim


def test_round_trip_scores_the_way_back_against_the_source(
    evaluate: Callable[..., Result], translator: FakeServer, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model openai:fake-model --tasks flores_v1 --source sample --variants round_trip",
        base_url=translator.base_url,
        output=out,
    )
    assert result.exit_code == 0, result.output
    chrf = scores_of(out, "chrf")
    assert set(chrf) == {
        ("flores_v1", "round_trip", "npi_Deva-eng_Latn-npi_Deva"),
        ("flores_v1", "round_trip", "sin_Sinh-eng_Latn-sin_Sinh"),
    }
    assert all(r["value"] == pytest.approx(1.0) for r in chrf.values())
    run = read_run(out)
    english = set(_lines(FLORES_SAMPLE / "wikipedia.devtest.ne-en.en"))
    nepali = [s for s in run["samples"] if s["language"].startswith("npi")]
    assert len(nepali) == 6 and all(s["pivot"] in english for s in nepali)
    assert all(s["parsed"] == s["gold"] for s in nepali)
    assert len(translator.bodies) == 24  # 12 sentences, there and back
    assert run["manifest"]["counts"]["requests"] == 24


def test_compare_finds_the_better_system_and_no_difference_with_itself(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    for model in ("reference", "copy-source"):
        result = evaluate(
            f"run --model baseline:{model} --tasks flores_v1 --source sample",
            output=tmp_path / model,
        )
        assert result.exit_code == 0, result.output
    result = evaluate(
        "compare", str(tmp_path / "copy-source"), str(tmp_path / "reference"), "--json"
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert len(found) == 4 and all(c["metric"] == "chrf" and c["n"] == 6 for c in found)
    assert all(c["delta"] > 0.5 and c["score_b"] == pytest.approx(1.0) for c in found)
    assert all(c["p_value"] < 0.05 for c in found)
    same = evaluate(
        "compare",
        str(tmp_path / "reference"),
        str(tmp_path / "reference"),
        "--json",
        "--metric",
        "bleu",
    )
    assert all(
        c["delta"] == 0 and c["p_value"] == pytest.approx(1.0) for c in json.loads(same.output)
    )
    table = evaluate("compare", str(tmp_path / "copy-source"), str(tmp_path / "reference"))
    assert table.exit_code == 0 and "Nepali" in table.output and "chrf" in table.output


def test_a_pair_the_task_lacks_is_a_one_line_error(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    result = evaluate(
        "run --model baseline:reference --tasks flores_v1 --source sample --pairs en-ur"
    )
    assert_one_line_error(result, "--pairs", "urd_Arab")


def _sacrebleu_cli(reference: Path, hypothesis: Path) -> list[float]:
    """BLEU, chrF++ and TER of a hypothesis file as the sacrebleu command line reports them."""
    argv = [sys.executable, "-m", "sacrebleu", str(reference), "-i", str(hypothesis)]
    argv += ["-m", "bleu", "chrf", "ter", "--chrf-word-order", "2", "-b", "-w", "4"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=300).stdout
    return [float(v) for v in json.loads(out)]


def test_copy_source_scores_equal_the_sacrebleu_command_line_on_the_real_files(
    evaluate: Callable[..., Result], shared_data: Path, tmp_path: Path
) -> None:
    """The pipeline (reading, pairing, cleaning, scoring) changes nothing: copying the source
    scores what sacrebleu's own command line gives on the original files, to 2 decimals."""
    out = tmp_path / "run"
    folder = shared_data / "flores_v1_ne_si"
    result = evaluate(
        "run --model baseline:copy-source --tasks flores_v1 --pairs ne-en,en-ne",
        data_dir=shared_data,
        output=out,
    )
    assert result.exit_code == 0, result.output
    files = {
        "npi_Deva": folder / "wikipedia.devtest.ne-en.ne",
        "eng_Latn": folder / "wikipedia.devtest.ne-en.en",
    }
    for source, target in (("npi_Deva", "eng_Latn"), ("eng_Latn", "npi_Deva")):
        expected = _sacrebleu_cli(files[target], files[source])
        key = ("flores_v1", "zero_shot", f"{source}-{target}")
        found = [scores_of(out, metric)[key] for metric in ("bleu", "chrf", "ter")]
        assert all(record["n"] == 2835 for record in found)
        for record, value in zip(found, expected, strict=True):
            assert round(100 * record["value"], 2) == pytest.approx(value, abs=0.006), record
