"""The parallel-corpus tasks (SALT, NusaX-MT, BanglaNMT, FLORES+, SMOL, KazParC) and round
trips on any monolingual text: the shipped samples and hub clones load through the planner with
the right pairs, counts and exemplars; any two languages of a multi-way corpus make a pair; the
real files in ../shared/data have the rows their SOURCE.md gives; and the reference baseline
scores chrF++ = BLEU = 1.0 on every pair of every real parallel file, both directions."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import Result

from harness.config import RunConfig
from harness.planner import TaskPlan, build_plan
from harness.registry import TaskRegistry
from harness.translation.keys import Pair
from harness.translation.pairs import pair_exemplars
from tests.conftest import REPO, assert_one_line_error, read_run, scores_of

EN = "eng_Latn"
TASKS = REPO / "tasks"
# task -> (its sample's non-English languages, rows per language in the sample's test split)
SAMPLES: dict[str, tuple[set[str], int]] = {
    "salt": ({"lug_Latn", "ach_Latn", "teo_Latn", "lgg_Latn", "nyn_Latn"}, 6),
    "nusax_mt": (
        {"ind_Latn", "ace_Latn", "ban_Latn", "bbc_Latn", "bjn_Latn", "bug_Latn"}
        | {"jav_Latn", "mad_Latn", "min_Latn", "nij_Latn", "sun_Latn"},
        6,
    ),
    "banglanmt": ({"ben_Beng"}, 6),
    "flores": ({"npi_Deva", "sin_Sinh", "kaz_Cyrl", "zho_Hans"}, 6),
    "smol": ({"lug_Latn", "swh_Latn", "bem_Latn"}, 8),
    "kazparc": ({"kaz_Cyrl", "rus_Cyrl", "tur_Latn"}, 6),
}
DEV_ROWS = {"salt": 5, "nusax_mt": 5, "banglanmt": 5, "flores": 5, "kazparc": 5}  # smol: none
HUB_REPOS = {
    "flores": "openlanguagedata/flores_plus",
    "smol": "google/smol",
    "kazparc": "issai/kazparc",
}
SCORED = ("chrf", "bleu")
METRICS_READY = importlib.util.find_spec("harness.metrics.translation") is not None
needs_metrics = pytest.mark.skipif(
    not METRICS_READY, reason="harness.metrics.translation has not landed yet"
)


def _plan(task: str, **selection: Any) -> TaskPlan:
    return build_plan(TaskRegistry(), RunConfig(tasks=[task], **selection)).tasks[0]


def _both_ways(languages: set[str]) -> set[str]:
    return {f"{lang}-{EN}" for lang in languages} | {f"{EN}-{lang}" for lang in languages}


def _other(key: str) -> str:
    """The non-English language of a pair key."""
    return next(lang for lang in key.split("-") if lang != EN)


def _run(evaluate: Callable[..., Result], out: Path, task: str, *args: str, **opts: Any) -> None:
    result = evaluate(f"run --model baseline:reference --tasks {task}", *args, output=out, **opts)
    assert result.exit_code == 0, result.output


def _assert_perfect(out: Path, keys: set[tuple[str, str, str]]) -> None:
    """chrF++ and BLEU are 1.0 (sacrebleu's 100) on exactly these (task, variant, pair)."""
    for metric in SCORED:
        scores = scores_of(out, metric)
        assert set(scores) == keys, metric
        imperfect = {k: r["value"] for k, r in scores.items() if abs(r["value"] - 1.0) > 1e-9}
        assert imperfect == {}, metric


# --- the shipped samples -----------------------------------------------------------------------


@pytest.mark.parametrize("task", sorted(SAMPLES))
def test_the_sample_gives_each_language_with_english_both_ways_and_its_round_trip(
    task: str,
) -> None:
    languages, rows = SAMPLES[task]
    plan = _plan(task, source="sample", variants=["zero_shot", "round_trip"])
    trips = {f"{lang}-{EN}-{lang}" for lang in languages}
    assert set(plan.languages) == _both_ways(languages) | trips
    assert {key: len(s) for key, s in plan.samples[None].items()} == dict.fromkeys(
        plan.languages, rows
    )
    assert plan.skipped == {}
    for key, samples in plan.samples[None].items():
        source, target = key.split("-")[:2]
        assert all(s.fields["source_code"] == source for s in samples)
        assert all(s.fields["target_code"] == target for s in samples)
        assert len({s.parallel_id for s in samples}) == rows


@pytest.mark.parametrize("task", sorted(DEV_ROWS))
def test_five_shot_exemplars_come_from_the_dev_split(task: str) -> None:
    languages, rows = SAMPLES[task]
    plan = _plan(task, source="sample", variants=["five_shot"])
    language = sorted(languages)[0]
    for pair in (Pair(language, EN), Pair(EN, language)):
        exemplars = pair_exemplars(plan.task, plan.source, pair)
        evaluated = plan.samples[None][pair.key]
        assert len(exemplars) == DEV_ROWS[task]
        assert all("parallel_id" not in e for e in exemplars)  # nothing is held out
        assert not {e["target"] for e in exemplars} & {s.gold for s in evaluated}
        assert all(e["source_code"] == pair.source for e in exemplars)
    requests = build_plan(
        TaskRegistry(), RunConfig(tasks=[task], source="sample", variants=["five_shot"])
    ).requests
    assert len(requests) == rows * len(_both_ways(languages))
    assert all(len([m for m in r.messages if m.role == "assistant"]) == 5 for r in requests)


def test_smol_holds_its_exemplars_out_of_the_evaluated_sentences() -> None:
    languages, rows = SAMPLES["smol"]
    plan = _plan("smol", source="sample", variants=["five_shot"])
    exemplars = pair_exemplars(plan.task, plan.source, Pair("lug_Latn", EN))
    assert len(exemplars) == rows and all("parallel_id" in e for e in exemplars)
    requests = build_plan(
        TaskRegistry(), RunConfig(tasks=["smol"], source="sample", variants=["five_shot"])
    ).requests
    assert len(requests) == (rows - 5) * len(_both_ways(languages))


@pytest.mark.parametrize(
    ("task", "source", "target"),
    [
        ("salt", "lug_Latn", "ach_Latn"),  # one row holds all six languages
        ("nusax_mt", "ind_Latn", "jav_Latn"),  # one CSV row holds all twelve
        ("flores", "npi_Deva", "zho_Hans"),  # a file per language, joined by id
        ("smol", "bem_Latn", "lug_Latn"),  # bem_en.jsonl and en_lg.jsonl, joined by id
        ("kazparc", "kaz_Cyrl", "rus_Cyrl"),  # the kk_en and en_ru files, joined by id
    ],
)
def test_any_two_languages_make_a_pair(task: str, source: str, target: str) -> None:
    """X-Y's source is X-English's source and its reference English-Y's, item by item."""
    pairs = [f"{source}-{target}", f"{source}-{EN}", f"{EN}-{target}"]
    plan = _plan(task, source="sample", pairs=pairs)
    by_id = {key: {s.parallel_id: s for s in plan.samples[None][key]} for key in pairs}
    assert len(by_id[pairs[0]]) == SAMPLES[task][1]
    for pid, sample in by_id[pairs[0]].items():
        assert sample.fields["source"] == by_id[pairs[1]][pid].fields["source"]
        assert sample.gold == by_id[pairs[2]][pid].gold
        assert sample.gold != sample.fields["source"]


@pytest.mark.parametrize("task", [*sorted(SAMPLES), "round_trip"])
def test_a_pair_with_a_language_the_task_lacks_is_a_one_line_error(
    evaluate: Callable[..., Result], task: str
) -> None:
    result = evaluate(
        f"run --model baseline:reference --tasks {task} --source sample",
        pairs=f"ben_Latn-{EN}",
    )
    assert_one_line_error(result, "--pairs", f"task {task} has no ben_Latn")


def test_the_nusax_reader_keeps_line_breaks_inside_quoted_fields() -> None:
    plan = _plan("nusax_mt", source="sample", pairs=[f"ind_Latn-{EN}"])
    texts = [s.fields["source"] for s in plan.samples[None][f"ind_Latn-{EN}"]]
    path = TASKS / "nusax_mt" / "sample" / "test.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert texts == [row["indonesian"] for row in rows]
    assert sum("\n" in text for text in texts) == 1
    assert next(iter(rows[0])) == ""  # the pandas index column the header leaves unnamed


# --- hub clones (--hub-dir DIR holds DIR/<org>/<name>, laid out as on the hub) ------------------


def _clone(tmp_path: Path, task: str) -> Path:
    """A local clone of the task's hub repo: the sample's files, where the repo keeps them."""
    hub = tmp_path / "hub"
    shutil.copytree(TASKS / task / "sample", hub / HUB_REPOS[task])
    (hub / HUB_REPOS[task] / "README.md").unlink()
    return hub


def _flores_parquet_clone(tmp_path: Path, codes: list[str]) -> Path:
    """FLORES+ as its earlier revisions hold it: `<split>/<code>.parquet`, a few languages."""
    hub = tmp_path / "hub"
    for split in ("dev", "devtest"):
        folder = hub / HUB_REPOS["flores"] / split
        folder.mkdir(parents=True)
        for code in codes:
            text = (TASKS / "flores" / "sample" / split / f"{code}.jsonl").read_text("utf-8")
            rows = [json.loads(line) for line in text.splitlines()]
            pq.write_table(pa.Table.from_pylist(rows), folder / f"{code}.parquet")
    return hub


@pytest.mark.parametrize("task", sorted(HUB_REPOS))
def test_a_hub_clone_loads_like_the_hub(task: str, tmp_path: Path) -> None:
    languages, rows = SAMPLES[task]
    plan = _plan(task, source="hub", hub_dir=_clone(tmp_path, task), variants=["zero_shot"])
    assert plan.source.kind == "hub"
    assert set(plan.languages) == _both_ways(languages)  # the languages the clone has
    assert all(len(s) == rows for s in plan.samples[None].values())
    if task in DEV_ROWS:
        pair = Pair(sorted(languages)[0], EN)
        exemplars = pair_exemplars(plan.task, plan.source, pair)
        assert len(exemplars) == DEV_ROWS[task] and all("parallel_id" not in e for e in exemplars)


@pytest.mark.parametrize("task", sorted(HUB_REPOS))
def test_a_copy_of_the_hub_files_under_data_dir_loads_too(task: str, tmp_path: Path) -> None:
    languages, rows = SAMPLES[task]
    folder = tmp_path / "data" / HUB_REPOS[task].split("/")[1]
    shutil.copytree(TASKS / task / "sample", folder)
    plan = _plan(task, data_dir=tmp_path / "data", variants=["zero_shot"])
    assert plan.source.kind == "local"
    assert {key: len(s) for key, s in plan.samples[None].items()} == dict.fromkeys(
        _both_ways(languages), rows
    )


def test_flores_reads_the_parquet_files_of_earlier_revisions(tmp_path: Path) -> None:
    hub = _flores_parquet_clone(tmp_path, [EN, "npi_Deva", "cmn_Hans"])
    plan = _plan("flores", source="hub", hub_dir=hub, pairs=["npi_Deva-zho_Hans"])
    samples = plan.samples[None]["npi_Deva-zho_Hans"]
    assert [s.parallel_id for s in samples] == [f"flores-{i}" for i in range(1, 7)]
    assert samples[0].gold.startswith("博物馆")
    every = _plan("flores", source="hub", hub_dir=hub)
    assert set(every.languages) == _both_ways({"npi_Deva", "zho_Hans"})
    exemplars = pair_exemplars(every.task, every.source, Pair("npi_Deva", EN))
    assert len(exemplars) == DEV_ROWS["flores"]


@needs_metrics
@pytest.mark.parametrize("task", sorted(HUB_REPOS))
def test_reference_is_perfect_on_a_hub_clone(
    evaluate: Callable[..., Result], tmp_path: Path, task: str
) -> None:
    languages, _ = SAMPLES[task]
    out = tmp_path / "run"
    hub = _clone(tmp_path, task)
    _run(evaluate, out, task, "--source", "hub", hub_dir=hub, variants="zero_shot,five_shot")
    keys = {(task, v, key) for v in ("zero_shot", "five_shot") for key in _both_ways(languages)}
    _assert_perfect(out, keys)
    assert read_run(out)["manifest"]["tasks"][task]["source"]["kind"] == "hub"


# --- round trips on any monolingual text ---------------------------------------------------


def test_the_round_trip_sample_runs_round_trips_only() -> None:
    plan = _plan("round_trip", source="sample")
    assert {key: len(s) for key, s in plan.samples[None].items()} == {
        f"npi_Deva-{EN}-npi_Deva": 5,
        f"lug_Latn-{EN}-lug_Latn": 5,
    }


def test_round_trip_on_a_text_file_is_a_user_task(tmp_path: Path) -> None:
    path = tmp_path / "notes_ne.txt"
    path.write_text("पहिलो वाक्य।\n\nदोस्रो वाक्य।\r\nतेस्रो वाक्य।\n", encoding="utf-8")
    plan = _plan("round_trip", data_file=path, task_options={"language": "ne"})
    assert plan.task.name == "notes_ne"
    samples = plan.samples[None][f"npi_Deva-{EN}-npi_Deva"]
    assert [s.gold for s in samples] == ["पहिलो वाक्य।", "दोस्रो वाक्य।", "तेस्रो वाक्य।"]
    assert [s.fields["source"] for s in samples] == [s.gold for s in samples]


@needs_metrics
def test_reference_round_trips_a_csv_column_perfectly(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "lg.csv"
    path.write_text(
        'id,sentence\n1,"Enkuba etonnya, era bbugumu."\n2,\n3,Tugenda ku katale.\n',
        encoding="utf-8",
    )
    out = tmp_path / "run"
    _run(
        evaluate,
        out,
        "round_trip",
        "-T",
        "language=lug_Latn",
        "-T",
        "text=sentence",
        "-T",
        "name=luganda_notes",
        data_file=path,
    )
    _assert_perfect(out, {("luganda_notes", "round_trip", f"lug_Latn-{EN}-lug_Latn")})
    entry = read_run(out)["manifest"]["tasks"]["luganda_notes"]
    assert entry["user_task"]["text"] == "sentence"
    assert entry["skipped"] == {f"lug_Latn-{EN}-lug_Latn": {"no text in lug_Latn": 1}}
    samples = read_run(out)["samples"]
    assert all(s["pivot"] for s in samples)  # the English leg is kept with each sample


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        ([], ("which language",)),
        (["language=en"], ("a round trip goes through eng_Latn",)),
        (["language=lg", "text=sentense"], ("-T text=sentense", "did you mean 'sentence'")),
        (["language=lg", "form=text"], ("unknown setting 'form'",)),
    ],
)
def test_round_trip_user_task_mistakes_are_one_line_errors(
    evaluate: Callable[..., Result], tmp_path: Path, options: list[str], fragments: tuple[str]
) -> None:
    path = tmp_path / "lg.csv"
    path.write_text("sentence\nTugenda ku katale.\n", encoding="utf-8")
    args = [arg for option in options for arg in ("-T", option)]
    result = evaluate("run --model baseline:reference --tasks round_trip", *args, data_file=path)
    assert_one_line_error(result, *fragments)


def test_a_round_trip_task_takes_no_direct_pairs(evaluate: Callable[..., Result]) -> None:
    result = evaluate(
        "run --model baseline:reference --tasks round_trip --source sample",
        pairs=f"npi_Deva-{EN}",
    )
    assert_one_line_error(result, "--pairs", f"npi_Deva-{EN}-npi_Deva")


# --- the real files (../shared/data) --------------------------------------------------------

# task -> (its folder, rows per language in the evaluated split, rows of the exemplar split)
REAL_ROWS: dict[str, tuple[str, dict[str, int], int]] = {
    "salt": (
        "salt_luganda",
        dict.fromkeys(["lug_Latn", "ach_Latn", "teo_Latn", "lgg_Latn", "nyn_Latn"], 500),
        500,
    ),
    "nusax_mt": ("nusax_mt", dict.fromkeys(SAMPLES["nusax_mt"][0], 400), 100),
    "banglanmt": ("banglanmt_risingnews", {"ben_Beng": 1000}, 597),
    "flores_v1": ("flores_v1_ne_si", {"npi_Deva": 2835, "sin_Sinh": 2766}, 0),
    "ntrex": (
        "ntrex128",
        dict.fromkeys(
            [
                "ben_Beng",
                "deu_Latn",
                "dzo_Tibt",
                "fra_Latn",
                "hye_Armn",
                "ind_Latn",
                "kaz_Cyrl",
                "npi_Deva",
                "ron_Latn",
                "sin_Sinh",
                "urd_Arab",
            ],
            1997,
        ),
        0,
    ),
}


@pytest.mark.parametrize("task", sorted(REAL_ROWS))
def test_every_real_file_loads_the_rows_its_source_gives(shared_data: Path, task: str) -> None:
    folder, rows, dev_rows = REAL_ROWS[task]
    plan = _plan(task, source="local", data_dir=shared_data, direction="both")
    assert plan.source.describe() == str(shared_data / folder)
    expected = {key: rows[_other(key)] for key in _both_ways(set(rows))}
    assert {key: len(s) for key, s in plan.samples[None].items()} == expected
    assert plan.skipped == {}
    if dev_rows:
        language = sorted(rows)[0]
        assert len(pair_exemplars(plan.task, plan.source, Pair(language, EN))) == dev_rows


@needs_metrics
@pytest.mark.parametrize("task", sorted(REAL_ROWS))
def test_reference_is_perfect_on_every_pair_of_every_real_file(
    evaluate: Callable[..., Result], shared_data: Path, tmp_path: Path, task: str
) -> None:
    """Whole files, both directions (NTREX, the longest: 44k requests, some 20 s); the
    reference translations are also judged to be in their language (98% or more of those the
    language ID can judge)."""
    _, rows, _ = REAL_ROWS[task]
    out = tmp_path / "run"
    _run(evaluate, out, task, "--direction", "both", data_dir=shared_data)
    _assert_perfect(out, {(task, "zero_shot", key) for key in _both_ways(set(rows))})
    for record in json.loads((out / "scores.json").read_text()):
        if record["metric"] == "chrf":
            assert record["n"] == rows[_other(record["language"])]
    consistency = scores_of(out, "consistency")
    assert all(r["value"] >= 0.98 for r in consistency.values()), consistency


@needs_metrics
@pytest.mark.parametrize("task", sorted(REAL_ROWS))
def test_copying_the_source_is_judged_the_wrong_language_on_every_real_file(
    evaluate: Callable[..., Result], shared_data: Path, tmp_path: Path, task: str
) -> None:
    """Every pair of every file, both directions, on its first 200 sentences (the whole files
    are run by the reference's test above)."""
    out = tmp_path / "run"
    result = evaluate(
        f"run --model baseline:copy-source --tasks {task} --direction both --limit 200",
        output=out,
        data_dir=shared_data,
    )
    assert result.exit_code == 0, result.output
    consistency = scores_of(out, "consistency")
    assert consistency and all(r["value"] <= 0.02 for r in consistency.values()), consistency
