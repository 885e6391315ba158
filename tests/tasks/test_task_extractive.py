"""The extractive-QA tasks (xquad, mlqa, tydiqa_goldp, extractive_qa) on their shipped samples,
through hub clones laid out as on the hub (parquet, offline), through local copies in the
upstream SQuAD-JSON layouts, and against a model whose replies are partial spans."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import Result

from harness.config import RunConfig
from harness.data.readers import read_rows
from harness.errors import PolyevalError
from harness.literals import get_literals
from harness.metrics.squad import answer_tokens, exact_match, token_f1
from harness.parsers import parse_span
from harness.planner import build_plan
from harness.registry import TaskRegistry
from harness.spec import FileLayout, HubSource
from harness.task_literals import task_literals
from tests.conftest import REPO, read_run, scores_of
from tests.fake_server import FakeServer

TASKS = REPO / "tasks"
VARIANTS = "zero_shot,en_instruction"
HUB_TASKS = ("xquad", "mlqa", "tydiqa_goldp")
EXTRACTIVE_TASKS = (*HUB_TASKS, "extractive_qa")
# task -> the languages its sample has, and the questions per language
SAMPLE_LANGUAGES = {
    "xquad": ({"eng_Latn", "deu_Latn", "spa_Latn", "arb_Arab", "zho_Hans"}, 8),
    "mlqa": ({"eng_Latn", "spa_Latn", "vie_Latn", "hin_Deva"}, 6),
    "tydiqa_goldp": (
        {
            "arb_Arab",
            "ben_Beng",
            "eng_Latn",
            "fin_Latn",
            "ind_Latn",
            "kor_Hang",
            "rus_Cyrl",
            "swh_Latn",
            "tel_Telu",
        },
        5,
    ),
    "extractive_qa": ({"fra_Latn"}, 10),
}


def _perfect(out: Path, task: str) -> None:
    """Exact match and F1 are 1.0 for every variant and sample language, with every question."""
    languages, per_language = SAMPLE_LANGUAGES[task]
    for metric in ("exact_match", "f1", "parse_rate"):
        scores = scores_of(out, metric)
        assert {(t, v) for t, v, _ in scores} == {(task, v) for v in VARIANTS.split(",")}
        assert {lang for _, _, lang in scores} == languages
        assert {key: r["value"] for key, r in scores.items() if r["value"] != 1.0} == {}
        assert {r["n"] for r in scores.values()} == {per_language}


# --- the shipped samples -----------------------------------------------------------------------


@pytest.mark.parametrize("task", EXTRACTIVE_TASKS)
def test_reference_is_perfect_on_the_sample(
    evaluate: Callable[..., Result], tmp_path: Path, task: str
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        f"run --model baseline:reference --tasks {task} --source sample",
        variants=VARIANTS,
        output=out,
    )
    assert result.exit_code == 0, result.output
    _perfect(out, task)
    assert read_run(out)["manifest"]["tasks"][task]["source"]["kind"] == "sample"


def _sample_rows(task: str) -> Iterator[dict[str, Any]]:
    """Every row of a task's sample, as the hub has it (or the SQuAD file's flat records)."""
    for path in sorted((TASKS / task / "sample").rglob("*.json*")):
        fmt = "squad" if path.suffix == ".json" else "jsonl"
        layout_rows = read_rows(path, _layout(fmt))
        yield from (record for _, record in layout_rows)


def _layout(fmt: str) -> FileLayout:
    return FileLayout.model_validate({"files": ["*"], "format": fmt})


@pytest.mark.parametrize("task", EXTRACTIVE_TASKS)
def test_sample_answers_are_spans_of_their_passage(task: str) -> None:
    rows = list(_sample_rows(task))
    assert rows
    for row in rows:
        answers = row["answers"]
        if isinstance(answers, dict):
            pairs = zip(answers["text"], answers["answer_start"], strict=True)
        else:
            pairs = zip(answers, row["answer_starts"], strict=True)
        for text, start in pairs:
            assert row["context"][start : start + len(text)] == text, (row["id"], text)


@pytest.mark.parametrize("task", ["xquad", "mlqa"])
def test_parallel_samples_share_ids_across_languages(task: str) -> None:
    ids: dict[str, list[str]] = {}
    for path in sorted((TASKS / task / "sample").glob("*/*.jsonl")):
        ids[path.parent.name] = [json.loads(line)["id"] for line in path.open(encoding="utf-8")]
    assert len(ids) >= 3
    english = next(v for k, v in ids.items() if k.endswith(".en"))
    assert all(value == english for value in ids.values())
    assert len(set(english)) == len(english)


# --- hub clones (offline, through datasets.load_dataset) ---------------------------------------

HUB_REPOS = {
    "xquad": "google/xquad",
    "mlqa": "facebook/mlqa",
    "tydiqa_goldp": "google-research-datasets/tydiqa",
}


def _hub_clone(root: Path, task: str, parquet: bool) -> Path:
    """DIR/<org>/<name> as on the hub: the sample's README (its `configs:` header) and one file
    per config and split, as parquet like the hub (or the sample's JSON Lines as they are)."""
    repo = root / HUB_REPOS[task]
    sample = TASKS / task / "sample"
    repo.mkdir(parents=True)
    shutil.copy(sample / "README.md", repo / "README.md")
    for path in sample.rglob("*.jsonl"):
        target = repo / path.relative_to(sample)
        target.parent.mkdir(parents=True, exist_ok=True)
        if parquet:
            table = pa.Table.from_pylist(_jsonl(path))
            pq.write_table(table, target.with_suffix(".parquet"))
        else:
            shutil.copy(path, target)
    return repo


@pytest.mark.parametrize("parquet", [True, False], ids=["parquet", "jsonl"])
@pytest.mark.parametrize("task", HUB_TASKS)
def test_reference_is_perfect_through_a_hub_clone(
    evaluate: Callable[..., Result], tmp_path: Path, task: str, parquet: bool
) -> None:
    repo = _hub_clone(tmp_path / "hub", task, parquet)
    assert not list(repo.rglob("*.jsonl")) if parquet else list(repo.rglob("*.jsonl"))
    languages, _ = SAMPLE_LANGUAGES[task]
    out = tmp_path / "run"
    result = evaluate(
        f"run --model baseline:reference --tasks {task} --source hub",
        languages=",".join(sorted(languages)),
        variants=VARIANTS,
        hub_dir=tmp_path / "hub",
        output=out,
    )
    assert result.exit_code == 0, result.output
    _perfect(out, task)
    source = read_run(out)["manifest"]["tasks"][task]["source"]
    assert source["kind"] == "hub" and source["location"] == str(repo)


def _hub(task: str) -> tuple[HubSource, list[str]]:
    spec = TaskRegistry().get(task).spec
    assert isinstance(spec.data.hub, HubSource)
    return spec.data.hub, list(spec.languages.values())


def test_hub_specs_name_the_real_repos_configs_and_splits() -> None:
    hub, codes = _hub("xquad")
    assert (hub.repo, hub.split) == ("google/xquad", "validation")
    assert {str(hub.config).format(code=c) for c in codes} == {
        f"xquad.{c}"
        for c in ["ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh"]
    }
    hub, codes = _hub("mlqa")
    assert (hub.repo, hub.split) == ("facebook/mlqa", "test")
    assert {str(hub.config).format(code=c) for c in codes} == {
        f"mlqa.{c}.{c}" for c in ["en", "ar", "de", "es", "hi", "vi", "zh"]
    }
    hub, codes = _hub("tydiqa_goldp")
    assert (hub.repo, hub.config, hub.split) == (
        "google-research-datasets/tydiqa",
        "secondary_task",
        "validation",
    )
    names = "arabic bengali english finnish indonesian korean russian swahili telugu"
    assert sorted(codes) == names.split()  # GoldP has no Japanese or Thai


# --- local copies in the upstream SQuAD-JSON layouts --------------------------------------------


def _squad_file(path: Path, rows: list[dict[str, Any]]) -> None:
    """Hub rows back into the nested SQuAD JSON, one paragraph per context."""
    paragraphs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        answers = row["answers"]
        paragraphs[row["context"]].append(
            {
                "id": row["id"],
                "question": row["question"],
                "answers": [
                    {"text": t, "answer_start": s}
                    for t, s in zip(answers["text"], answers["answer_start"], strict=True)
                ],
            }
        )
    data = [
        {"title": f"article {i}", "paragraphs": [{"context": context, "qas": qas}]}
        for i, (context, qas) in enumerate(paragraphs.items())
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": "1.1", "data": data}, ensure_ascii=False), "utf-8")


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.open(encoding="utf-8")]


def test_local_copies_in_the_upstream_layouts(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    for folder in (TASKS / "xquad" / "sample").glob("xquad.*"):  # github google-deepmind/xquad
        rows = _jsonl(next(folder.glob("*.jsonl")))
        _squad_file(data / "xquad" / f"{folder.name}.json", rows)
    for folder in (TASKS / "mlqa" / "sample").glob("mlqa.*"):  # the MLQA_V1 download
        code = folder.name.split(".")[1]
        name = f"test-context-{code}-question-{code}.json"
        _squad_file(data / "MLQA_V1" / "test" / name, _jsonl(next(folder.glob("*.jsonl"))))
    tydiqa = _jsonl(TASKS / "tydiqa_goldp/sample/secondary_task/validation-00000-of-00001.jsonl")
    _squad_file(data / "tydiqa" / "tydiqa-goldp-v1.1-dev.json", tydiqa)  # all languages mixed
    french = TASKS / "extractive_qa" / "sample" / "fra_Latn.json"
    (data / "extractive_qa").mkdir(parents=True)
    shutil.copy(french, data / "extractive_qa" / "fra_Latn.json")

    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks xquad,mlqa,tydiqa_goldp,extractive_qa "
        "--source local",
        data_dir=data,
        output=out,
    )
    assert result.exit_code == 0, result.output
    scores = scores_of(out, "exact_match")
    for task in EXTRACTIVE_TASKS:
        languages, per_language = SAMPLE_LANGUAGES[task]
        mine = {lang: r for (t, _, lang), r in scores.items() if t == task}
        assert set(mine) == languages, task
        assert all(r["value"] == 1.0 and r["n"] == per_language for r in mine.values()), task
    tasks = read_run(out)["manifest"]["tasks"]
    assert tasks["tydiqa_goldp"]["source"]["location"] == str(data / "tydiqa")


def test_tydiqa_per_language_dev_files(evaluate: Callable[..., Result], tmp_path: Path) -> None:
    """The official dev tarball's layout: one file per language, no rows to skip."""
    rows = _jsonl(TASKS / "tydiqa_goldp/sample/secondary_task/validation-00000-of-00001.jsonl")
    folder = tmp_path / "data" / "tydiqa_goldp" / "tydiqa-goldp-v1.1-dev"
    for name in ("swahili", "korean"):
        mine = [r for r in rows if r["id"].startswith(f"{name}-")]
        _squad_file(folder / f"tydiqa-goldp-dev-{name}.json", mine)
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks tydiqa_goldp --source local",
        data_dir=tmp_path / "data",
        output=out,
    )
    assert result.exit_code == 0, result.output
    scores = scores_of(out, "f1")
    assert {lang for _, _, lang in scores} == {"swh_Latn", "kor_Hang"}
    assert read_run(out)["manifest"]["tasks"]["tydiqa_goldp"]["skipped"] == {}


# --- TyDi QA GoldP: one split, every language -------------------------------------------------


def test_tydiqa_keeps_each_languages_rows_and_leaves_the_others(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks tydiqa_goldp --source sample --languages sw,te",
        output=out,
    )
    assert result.exit_code == 0, result.output
    entry = read_run(out)["manifest"]["tasks"]["tydiqa_goldp"]
    # the other languages' rows of the shared split are not these languages' rows at all
    assert entry["rows"] == {"swh_Latn": 5, "tel_Telu": 5}
    assert entry["samples"] == {"swh_Latn": 5, "tel_Telu": 5}
    assert entry["skipped"] == {}
    ids = {s["sample_id"] for s in read_run(out)["samples"] if s["language"] == "swh_Latn"}
    assert all(i.startswith("swahili-") for i in ids) and "swahili--3158839201774452117-0" in ids
    assert "skipped" not in result.output


def test_tydiqa_id_without_a_language_is_an_error() -> None:
    task = TaskRegistry().get("tydiqa_goldp")
    process = task.hook("process_record")
    row = {"id": "klingon-123-0", "context": "c", "question": "q", "answers": {"text": ["c"]}}
    with pytest.raises(PolyevalError, match="does not start with a TyDi QA language name"):
        process(row, "eng_Latn")
    assert process({**row, "id": "english-1-0"}, "fin_Latn") is None  # not a Finnish row
    assert process({**row, "id": "english-1-0"}, "eng_Latn")["answers"] == ["c"]


def test_no_paired_gap_for_tydiqa(evaluate: Callable[..., Result], tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks tydiqa_goldp --source sample --languages en,fi",
        output=out,
    )
    assert result.exit_code == 0, result.output
    gaps = json.loads((out / "gaps.json").read_text())
    assert [g for g in gaps if g["versus"].startswith("language:")] == []


# --- the generic task on SQuAD files -----------------------------------------------------------


def _squad_v2(path: Path) -> None:
    value = {
        "version": "v2.0",
        "data": [
            {
                "title": "Loire",
                "paragraphs": [
                    {
                        "context": "La Loire est le plus long fleuve de France.",
                        "qas": [
                            {
                                "id": "l1",
                                "question": "Quel est le plus long fleuve de France ?",
                                "answers": [{"text": "La Loire", "answer_start": 0}],
                                "is_impossible": False,
                            },
                            {
                                "id": "l2",
                                "question": "Quel fleuve traverse Lyon ?",
                                "answers": [],
                                "plausible_answers": [{"text": "La Loire", "answer_start": 0}],
                                "is_impossible": True,
                            },
                        ],
                    }
                ],
            }
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")


def test_squad_v2_unanswerable_questions_are_skipped_and_counted(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    _squad_v2(tmp_path / "data" / "extractive_qa" / "fra_Latn.json")
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks extractive_qa",
        data_dir=tmp_path / "data",
        output=out,
    )
    assert result.exit_code == 0, result.output
    entry = read_run(out)["manifest"]["tasks"]["extractive_qa"]
    assert entry["source"]["kind"] == "local"
    assert entry["samples"] == {"fra_Latn": 1}
    assert entry["skipped"] == {"fra_Latn": {"unanswerable question (no gold answer span)": 1}}
    assert scores_of(out, "exact_match")[("extractive_qa", "zero_shot", "fra_Latn")]["value"] == 1


MALFORMED = [
    ('{"version": "1.1", "data": [', "invalid JSON", ":1"),
    ('{"version": "1.1"}', '"data" array of articles', ""),
    (
        json.dumps(
            {
                "data": [
                    {
                        "title": "t",
                        "paragraphs": [
                            {
                                "context": "Paris.",
                                "qas": [
                                    {"id": "1", "question": "?", "answers": []},
                                    {"id": "2", "answers": [{"text": "Paris", "answer_start": 0}]},
                                ],
                            }
                        ],
                    }
                ]
            }
        ),
        "'question' must be a string",
        "[article 0, paragraph 0, question 1]",
    ),
    (
        json.dumps(
            {
                "data": [
                    {"title": "t", "paragraphs": []},
                    {
                        "title": "u",
                        "paragraphs": [
                            {
                                "context": "Paris.",
                                "qas": [
                                    {
                                        "id": "1",
                                        "question": "?",
                                        "answers": [{"text": "Paris", "answer_start": "0"}],
                                    }
                                ],
                            }
                        ],
                    },
                ]
            }
        ),
        "'answer_start' must be an integer",
        "[article 1, paragraph 0, question 0]",
    ),
]


@pytest.mark.parametrize(("content", "message", "place"), MALFORMED)
def test_malformed_squad_file_is_a_one_line_error(
    evaluate: Callable[..., Result], tmp_path: Path, content: str, message: str, place: str
) -> None:
    path = tmp_path / "data" / "extractive_qa" / "fra_Latn.json"
    path.parent.mkdir(parents=True)
    path.write_text(content, encoding="utf-8")
    result = evaluate(
        "run --model baseline:reference --tasks extractive_qa", data_dir=tmp_path / "data"
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert errors[0].startswith(f"error: {path}{place}: ") and message in errors[0], errors[0]


def test_malformed_hub_row_names_the_question(tmp_path: Path) -> None:
    process = TaskRegistry().get("xquad").hook("process_record")
    row = {"id": "q7", "context": "c", "question": "q", "answers": {"text": ["a", "b"]}}
    row["answers"]["answer_start"] = [0]
    with pytest.raises(PolyevalError, match="2 texts but 1 answer_start") as caught:
        process(row, "eng_Latn")
    assert caught.value.where == "question 'q7'"


# --- a model that answers with partial spans ---------------------------------------------------


def _questions(task: str, language_file: str) -> dict[str, str]:
    """Question id -> question text of one sample file."""
    path = TASKS / task / "sample" / language_file
    if path.suffix == ".json":
        return {r["id"]: r["question"] for _, r in read_rows(path, _layout("squad"))}
    return {r["id"]: r["question"] for r in _jsonl(path)}


def _responder(replies: dict[str, str]) -> Callable[[dict[str, Any]], str]:
    """Replies by question text: the one whose question the prompt's user message holds."""

    def reply(body: dict[str, Any]) -> str:
        user = body["messages"][-1]["content"]
        found = [answer for question, answer in replies.items() if question in user]
        assert len(found) == 1, user
        return found[0]

    return reply


def _fake_run(
    evaluate: Callable[..., Result], replies: dict[str, str], command: str, out: Path
) -> None:
    server = FakeServer(responder=_responder(replies)).start_in_thread()
    try:
        result = evaluate(
            f"run --model openai:fake-model --source sample {command}",
            base_url=server.base_url,
            output=out,
        )
    finally:
        server.stop_thread()
    assert result.exit_code == 0, result.output


XQUAD_EN = "xquad.en/validation-00000-of-00001.jsonl"
XQUAD_ZH = "xquad.zh/validation-00000-of-00001.jsonl"


def test_partial_spans_get_the_f1_computed_by_hand(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    en, zh = _questions("xquad", XQUAD_EN), _questions("xquad", XQUAD_ZH)
    first, second = list(en)[:2]
    replies = {
        # gold "the Volga": [volga, river] vs [volga]: P 1/2, R 1 -> F1 2/3
        en[first]: "The answer is the Volga River.",
        # gold "the Black Forest in Germany": [in, black, forest] vs 4 tokens: P 1, R 3/4 -> 6/7
        en[second]: "in the Black Forest",
        # gold "伏尔加河", 4 characters: 伏尔加 is P 1, R 3/4 -> 6/7 (whitespace words would give 0)
        zh[first]: "答案是：伏尔加",
        # gold "德国的黑森林", 6 characters: 德国黑森林 is P 1, R 5/6 -> 10/11
        zh[second]: "德国黑森林",
    }
    out = tmp_path / "run"
    _fake_run(evaluate, replies, "--tasks xquad --languages en,zh --limit 2", out)
    f1, em = scores_of(out, "f1"), scores_of(out, "exact_match")
    english, chinese = ("xquad", "zero_shot", "eng_Latn"), ("xquad", "zero_shot", "zho_Hans")
    assert f1[english]["value"] == pytest.approx((2 / 3 + 6 / 7) / 2)  # 16/21
    assert f1[chinese]["value"] == pytest.approx((6 / 7 + 10 / 11) / 2)  # 68/77
    assert em[english]["value"] == em[chinese]["value"] == 0.0
    parsed = {(s["language"], s["sample_id"]): s["parsed"] for s in read_run(out)["samples"]}
    assert parsed[("eng_Latn", first)] == "the Volga River"
    assert parsed[("zho_Hans", first)] == "伏尔加"
    # parallel ids: Chinese is compared with English question by question
    gaps = json.loads((out / "gaps.json").read_text())
    [gap] = [g for g in gaps if g["metric"] == "f1" and g["versus"] == "language:eng_Latn"]
    assert gap["language"] == "zho_Hans" and gap["n"] == 2
    assert gap["gap"] == pytest.approx(68 / 77 - 16 / 21)  # 4/33


def test_french_articles_and_elisions_count_as_exact_match(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    questions = list(_questions("extractive_qa", "fra_Latn.json").values())
    replies = dict(
        zip(
            questions,
            [
                "Réponse : « la Seine »",  # gold La Seine / Seine: EM
                "Le plateau de Langres.",  # gold sur le plateau de Langres / ...: EM
                "dans la Manche",  # gold la Manche / Manche: [dans, manche] vs [manche]: F1 2/3
                "Le pont Neuf",  # EM
                "En 1991",  # gold 1991 / depuis 1991: [en, 1991] vs [1991]: F1 2/3
                "Nantes",  # EM
                "L’éditeur Pierre-Jules Hetzel",  # elision, curly apostrophe: EM
                "le Nautilus",  # gold Nautilus / du Nautilus: EM
                "les Voyages extraordinaires",  # EM
                # gold à Amiens: 7 tokens vs 2, both found: P 2/7, R 1 -> F1 4/9
                "À Amiens, où il fut conseiller municipal",
            ],
            strict=True,
        )
    )
    out = tmp_path / "run"
    _fake_run(evaluate, replies, "--tasks extractive_qa", out)
    key = ("extractive_qa", "zero_shot", "fra_Latn")
    assert scores_of(out, "exact_match")[key]["value"] == pytest.approx(7 / 10)
    assert scores_of(out, "f1")[key]["value"] == pytest.approx((7 + 2 / 3 + 2 / 3 + 4 / 9) / 10)


def test_sample_golds_normalise_by_language() -> None:
    assert exact_match("la Seine", ["Seine"], "fra_Latn") == 1.0
    assert exact_match("Seine", ["La Seine"], "fra_Latn") == 1.0
    chinese = {r["id"]: r["answers"]["text"][0] for r in _jsonl(TASKS / "xquad/sample" / XQUAD_ZH)}
    for gold in chinese.values():
        assert answer_tokens(gold, "zho_Hans") == [c for c in gold if c.isalnum()]
    assert token_f1("黑森林", ["德国的黑森林"], "zho_Hans") == pytest.approx(2 / 3)


# --- prompts and literals ----------------------------------------------------------------------


def test_task_literals_are_one_file_copied() -> None:
    master = (TASKS / "extractive_qa" / "literals.yaml").read_bytes()
    for task in HUB_TASKS:
        assert (TASKS / task / "literals.yaml").read_bytes() == master, task


@pytest.mark.parametrize("task", HUB_TASKS)
def test_every_task_language_has_its_own_instruction(task: str) -> None:
    folder = TASKS / task
    english = task_literals(folder, "eng_Latn")["span_instruction"]
    for language in TaskRegistry().get(task).spec.languages:
        instruction = task_literals(folder, language)["span_instruction"]
        assert instruction and (language == "eng_Latn" or instruction != english), language


def test_prompt_shows_passage_question_and_instruction(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks xquad --source sample --languages de --limit 1",
        variants=VARIANTS,
        output=out,
    )
    assert result.exit_code == 0, result.output
    prompts = {s["variant"]: s["prompt"] for s in read_run(out)["samples"]}
    system, user = prompts["zero_shot"]
    assert system["role"] == "system" and "wörtlich" in system["content"]
    assert user["content"].startswith("Textabschnitt: Die Donau ist")
    assert user["content"].endswith("Frage: Welcher Fluss in Europa ist länger als die Donau?")
    system, user = prompts["en_instruction"]
    assert system["content"].startswith("Answer the question with a short span")
    assert user["content"].startswith("Passage: Die Donau ist")


# --- known limits of the core ------------------------------------------------------------------


def test_reference_keeps_the_digits_of_an_extractive_answer() -> None:
    """A span is copied as written: the baseline must not localise its digits."""
    registry = TaskRegistry()
    plan = build_plan(registry, RunConfig(tasks=["xquad"], languages=["arb_Arab"], source="sample"))
    assert plan.requests
    assert all(r.hints.digits == "0123456789" for r in plan.requests)
    literals = get_literals("arb_Arab")  # Arabic-Indic digits in the literals table
    hints = replace(plan.requests[0].hints, gold="عام 1879")
    parsed = parse_span(hints.reference, literals)
    assert exact_match(parsed, ["عام 1879"], "arb_Arab") == 1.0


def test_any_squad_file_runs_as_a_user_task(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    """`--tasks extractive_qa --data-file FILE -T language=CODE`: a SQuAD-format file (FQuAD
    here) in any language, no task folder written."""
    data = tmp_path / "fquad_valid.json"
    shutil.copy(REPO / "tasks" / "extractive_qa" / "sample" / "fra_Latn.json", data)
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks extractive_qa -T language=fr",
        data_file=data,
        output=out,
    )
    assert result.exit_code == 0, result.output
    scores = scores_of(out, "exact_match")
    assert set(scores) == {("fquad_valid", "zero_shot", "fra_Latn")}
    assert scores[("fquad_valid", "zero_shot", "fra_Latn")]["value"] == 1.0
    entry = read_run(out)["manifest"]["tasks"]["fquad_valid"]
    assert entry["user_task"]["file"] == str(data) and entry["user_task"]["language"] == "fra_Latn"
    no_language = evaluate("run --model baseline:reference --tasks extractive_qa", data_file=data)
    assert no_language.exit_code == 2 and "-T language=CODE" in no_language.output
    column = evaluate(
        "run --model baseline:reference --tasks extractive_qa -T language=fr -T question=q",
        data_file=data,
    )
    assert column.exit_code == 2 and "unknown setting 'question'" in column.output
