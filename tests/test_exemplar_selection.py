"""Few-shot exemplars chosen per question (harness/exemplar_selection.py): the TF-IDF
similarity, the pools each strategy draws from, never the question itself, determinism, and
end to end through `evaluate run`: what samples.jsonl records is what the prompt shows."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import Result

from harness.data.sources import select_source
from harness.errors import PolyevalError
from harness.exemplar_selection import (
    EmbeddingSimilarity,
    TfidfSimilarity,
    choose_exemplars,
    pool_languages,
    similarity_for,
)
from harness.record.build import sample_record
from harness.records import Hints, Request, Response, Sample
from harness.registry import TaskRegistry
from harness.spec import Variant
from harness.task_literals import task_literals
from tests.conftest import assert_one_line_error, read_run, scores_of

LANGUAGES = ["eng_Latn", "ron_Latn", "deu_Latn", "fra_Latn"]
STRATEGIES = ("random", "in_language", "english", "cross_lingual")


def _sample(question: str, language: str = "deu_Latn", ident: str = "q1", **fields: Any) -> Sample:
    return Sample(
        id=ident,
        language=language,
        fields={"question": question, **fields},
        gold="x",
        parallel_id=f"p-{ident}",
    )


def _variant(select: str, fewshot: int = 1, **options: Any) -> Variant:
    return Variant(template="t.j2", fewshot=fewshot, target="answer", select=select, **options)


def _choose(
    samples: Sequence[Sample],
    pools: dict[str, list[dict[str, Any]]],
    variant: Variant,
    seed: int = 1234,
) -> list[tuple[str, ...]]:
    chosen = choose_exemplars(samples, pools, "v", variant, TfidfSimilarity(), seed, "task.yaml")
    return [shots.ids for shots in chosen]


# --- the similarity -----------------------------------------------------------------------------


def test_tfidf_picks_the_obviously_most_similar_exemplar() -> None:
    pool = [
        "What is the time 2 year and 3 month after Jan, 2010",
        "Which team did Ada Lindqvist play for in Mar, 1999?",
        "Who was the head coach of FC Norrvik before Jens Holm?",
        "Which employer did Piotr Zaleski work for before Lyon Observatory?",
    ]
    query = "Which team did Ada Lindqvist play for in Apr, 2001?"
    scores = TfidfSimilarity().scores([query], pool)
    assert scores.shape == (1, 4)
    assert int(np.argmax(scores[0])) == 1
    pools = {"deu_Latn": [{"id": str(i), "question": q} for i, q in enumerate(pool)]}
    assert _choose([_sample(query)], pools, _variant("in_language")) == [("deu_Latn/1",)]


def test_tfidf_scores_are_cosines() -> None:
    texts = ["Für welche Mannschaft spielte Lukas Brenner?", "Care este data?", ""]
    scores = TfidfSimilarity().scores(texts, texts)
    assert np.allclose(np.diag(scores)[:2], 1.0)
    assert ((scores >= -1e-9) & (scores <= 1 + 1e-9)).all()
    assert scores[2].sum() == 0.0  # an empty text is like nothing
    assert np.allclose(scores, scores.T)


def test_tfidf_matches_across_languages_on_shared_names() -> None:
    pool = ["Pour quelle équipe Julien Marchand a-t-il joué ?", "Qui était le président du Parti ?"]
    scores = TfidfSimilarity().scores(["Für welche Mannschaft spielte Julien Marchand?"], pool)
    assert scores[0, 0] > scores[0, 1]


# --- the pools and the choice ----------------------------------------------------------------


def _pools(per_language: int = 3) -> dict[str, list[dict[str, Any]]]:
    return {
        lang: [
            {"id": f"train:{i}", "question": f"{lang} question {i}"} for i in range(per_language)
        ]
        for lang in LANGUAGES
    }


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("random", {"ron_Latn"}),
        ("in_language", {"ron_Latn"}),
        ("english", {"eng_Latn"}),
        ("cross_lingual", {"deu_Latn", "fra_Latn"}),
    ],
)
def test_each_strategy_draws_from_the_right_languages_pool(
    strategy: str, expected: set[str]
) -> None:
    variant = _variant(strategy, fewshot=4)
    assert set(pool_languages(variant, "ron_Latn", LANGUAGES)) == expected
    pools = {lang: _pools()[lang] for lang in pool_languages(variant, "ron_Latn", LANGUAGES)}
    [ids] = _choose([_sample("question 1", "ron_Latn")], pools, variant)
    assert len(ids) == min(4, 3 * len(expected))
    assert {label.split("/")[0] for label in ids} <= expected
    if strategy == "cross_lingual":  # both other languages' pools, together
        assert {label.split("/")[0] for label in ids} == expected


def test_an_english_question_draws_cross_lingually_from_every_other_language() -> None:
    assert pool_languages(_variant("cross_lingual"), "eng_Latn", LANGUAGES) == LANGUAGES[1:]
    assert pool_languages(_variant("english"), "eng_Latn", LANGUAGES) == ["eng_Latn"]


def test_the_question_itself_and_its_translations_are_never_exemplars() -> None:
    question = "Which team did Ada Lindqvist play for in Mar, 1999?"
    pools = {
        "deu_Latn": [
            {"id": "q1", "question": question},  # the question itself (same id, same language)
            {"id": "other", "question": question, "parallel_id": "p-q1"},  # its translation
            {"id": "q2", "question": "Which team did Ada Lindqvist play for in 2000?"},
            {"id": "q3", "question": "What is the time 2 year after Jan, 2010"},
        ],
        "fra_Latn": [{"id": "q1", "question": question}],  # the same id in another language
    }
    for strategy in ("in_language", "random"):  # the question's own language's pool
        own = {"deu_Latn": pools["deu_Latn"]}
        [ids] = _choose([_sample(question)], own, _variant(strategy, fewshot=2))
        assert "deu_Latn/q1" not in ids and "deu_Latn/other" not in ids
        assert sorted(ids) == ["deu_Latn/q2", "deu_Latn/q3"]
    [ids] = _choose([_sample(question)], {"fra_Latn": pools["fra_Latn"]}, _variant("english"))
    assert ids == ("fra_Latn/q1",)  # another language's item with that id is another item


def test_most_similar_is_shown_last_and_ties_keep_pool_order() -> None:
    pools = {
        "deu_Latn": [
            {"id": "far", "question": "Who chaired the Parti de la Loire?"},
            {"id": "near", "question": "Which team did Ada Lindqvist play for in 1999?"},
            {"id": "nearer", "question": "Which team did Ada Lindqvist play for in 2001?"},
        ]
    }
    query = _sample("Which team did Ada Lindqvist play for in 2001?")
    assert _choose([query], pools, _variant("in_language", fewshot=3)) == [
        ("deu_Latn/far", "deu_Latn/near", "deu_Latn/nearer")
    ]
    same = {"deu_Latn": [{"id": str(i), "question": "identical"} for i in range(4)]}
    assert _choose([_sample("identical")], same, _variant("in_language", fewshot=2)) == [
        ("deu_Latn/1", "deu_Latn/0")
    ]


def test_select_within_keeps_to_the_questions_level() -> None:
    pools = {
        "deu_Latn": [
            {"id": "a", "question": "Which team did Ada play for?", "level": "L2"},
            {"id": "b", "question": "What is the time 2 year after Jan, 2010", "level": "L1"},
            {"id": "c", "question": "Which team did Ada play for after X?", "level": "L3"},
        ]
    }
    samples = [
        _sample("Which team did Ada play for?", ident="1", level="L1"),
        _sample("Which team did Ada play for?", ident="2", level="L3"),
    ]
    variant = _variant("in_language", select_within="level")
    assert _choose(samples, pools, variant) == [("deu_Latn/b",), ("deu_Latn/c",)]
    with pytest.raises(PolyevalError, match="no exemplar in the pools of deu_Latn has level 'L4'"):
        _choose([_sample("q", level="L4")], pools, variant)


def test_random_choice_is_seeded_and_per_question() -> None:
    pools = {"deu_Latn": [{"id": str(i), "question": f"q {i}"} for i in range(30)]}
    samples = [_sample(f"question {i}", ident=str(100 + i)) for i in range(5)]
    variant = _variant("random", fewshot=3)
    first = _choose(samples, pools, variant, seed=1)
    assert _choose(samples, pools, variant, seed=1) == first
    assert _choose(samples, pools, variant, seed=2) != first
    assert len(set(first)) > 1  # each question gets its own draw
    assert all(len(set(ids)) == 3 for ids in first)


def test_a_small_pool_gives_fewer_exemplars_and_an_empty_one_an_error() -> None:
    pools = {"deu_Latn": [{"id": "only", "question": "q"}]}
    assert _choose([_sample("q")], pools, _variant("in_language", fewshot=3)) == [
        ("deu_Latn/only",)
    ]
    with pytest.raises(PolyevalError, match="no exemplars to choose from"):
        _choose([_sample("q")], {"deu_Latn": []}, _variant("in_language"))


def test_missing_fields_are_named() -> None:
    pools = {"deu_Latn": [{"id": "1", "text": "q"}]}
    with pytest.raises(PolyevalError, match="exemplar deu_Latn/1 has no field 'question'"):
        _choose([_sample("q")], pools, _variant("in_language"))
    with pytest.raises(PolyevalError, match="compares the field 'title'"):
        _choose([_sample("q")], _pools(), _variant("in_language", select_by="title"))


def test_an_exemplar_without_an_id_is_recorded_by_its_position() -> None:
    pools = {"deu_Latn": [{"question": "a"}, {"question": "b"}]}
    assert _choose([_sample("b")], pools, _variant("in_language")) == [("deu_Latn/#1",)]


# --- the embedding option ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["missing", "empty", "file"])
def test_a_path_that_is_no_model_is_a_clear_error(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "model"
    if kind == "empty":
        path.mkdir()
    elif kind == "file":
        path.write_text("not a model")
    with pytest.raises(PolyevalError, match="not a sentence-transformers model folder") as error:
        EmbeddingSimilarity.load(path)
    assert str(path) in str(error.value)


def test_a_model_folder_without_the_library_asks_for_it(tmp_path: Path) -> None:
    try:
        import sentence_transformers  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("sentence-transformers is installed")
    (tmp_path / "modules.json").write_text("[]")
    with pytest.raises(PolyevalError, match="pip install sentence-transformers"):
        similarity_for(str(tmp_path))


def test_the_embedding_similarity_is_a_cosine_of_its_model() -> None:
    class Model:  # two dimensions: "a"-texts and "b"-texts
        def encode(self, texts: list[str], **options: Any) -> Any:
            vectors = np.array([[t.count("a"), t.count("b")] for t in texts], dtype=float)
            return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    similarity = EmbeddingSimilarity(Model())
    scores = similarity.scores(["aa", "b"], ["a", "ab", "bbb"])
    assert np.allclose(scores, [[1.0, 2**-0.5, 0.0], [0.0, 2**-0.5, 1.0]])


# --- end to end --------------------------------------------------------------------------------

TASK = "mtempreason"
VARIANT_STRATEGY = {
    "fewshot_random": "random",
    "fewshot_in_language": "in_language",
    "fewshot_english": "english",
    "fewshot_cross_lingual": "cross_lingual",
}


def _run(evaluate: Callable[..., Result], out: Path, *args: str, **options: Any) -> Result:
    return evaluate(
        f"run --model baseline:reference --tasks {TASK} --source sample",
        *args,
        output=out,
        **options,
    )


def _sample_pools() -> dict[str, dict[str, dict[str, Any]]]:
    """language -> recorded id -> exemplar, from the task's own hook over its sample."""
    task = TaskRegistry().get(TASK)
    source, _ = select_source(task.spec, task.folder, "sample", None, None)
    hook = task.hook("exemplars")
    return {
        lang: {f"{lang}/{e['id']}": e for e in hook(source, lang, code, "fewshot_random")}
        for lang, code in task.spec.languages.items()
    }


def test_each_strategy_shows_exemplars_from_the_right_pools_and_records_them(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = _run(evaluate, out, variants=",".join(VARIANT_STRATEGY))
    assert result.exit_code == 0, result.output
    pools = {label: e for pool in _sample_pools().values() for label, e in pool.items()}
    records = read_run(out)["samples"]
    assert {r["variant"] for r in records} == set(VARIANT_STRATEGY)
    for record in records:
        language, ids = record["language"], record["exemplars"]
        assert len(ids) == 3, record
        languages = {label.split("/")[0] for label in ids}
        strategy = VARIANT_STRATEGY[record["variant"]]
        if strategy in ("random", "in_language"):
            assert languages == {language}
        elif strategy == "english":
            assert languages == {"eng_Latn"}
        else:
            assert languages and not languages & {language, "eng_Latn"}
        level = record["sample_id"].split(":")[0].split("_")[1]  # test_l2_german:0 -> l2
        assert all(f"_{level}" in label for label in ids), (record["sample_id"], ids)
        _assert_prompt_shows(record, {label: pools[label] for label in ids})


def _assert_prompt_shows(record: dict[str, Any], exemplars: dict[str, dict[str, Any]]) -> None:
    """The prompt's exemplar turns are the recorded exemplars, in order, each in its own
    language's words."""
    turns = record["prompt"][1:-1]
    assert [m["role"] for m in turns] == ["user", "assistant"] * len(exemplars)
    folder = TaskRegistry().get(TASK).folder
    for number, (label, exemplar) in enumerate(exemplars.items()):
        user, assistant = turns[2 * number]["content"], turns[2 * number + 1]["content"]
        words = task_literals(folder, label.split("/")[0])
        assert exemplar["question"] in user
        assert words[exemplar["level"].lower() + "_instruction"] in user
        assert assistant.endswith(f" {exemplar['answer']}.")


def test_pools_of_languages_outside_the_run_are_used(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = _run(
        evaluate,
        out,
        "--limit",
        "2",
        languages="ro",
        variants="fewshot_english,fewshot_cross_lingual",
    )
    assert result.exit_code == 0, result.output
    records = read_run(out)["samples"]
    assert {r["language"] for r in records} == {"ron_Latn"}
    drawn = {r["variant"]: {x.split("/")[0] for x in r["exemplars"]} for r in records}
    assert drawn["fewshot_english"] == {"eng_Latn"}
    assert drawn["fewshot_cross_lingual"] <= {"deu_Latn", "fra_Latn"}
    assert read_run(out)["manifest"]["similarity"] == "tfidf"


def test_selection_is_deterministic_and_follows_the_seed(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    def picks(name: str, seed: int) -> dict[tuple[str, str, str], list[str]]:
        out = tmp_path / name
        result = _run(evaluate, out, variants="fewshot_random,fewshot_in_language", seed=seed)
        assert result.exit_code == 0, result.output
        return {
            (r["variant"], r["language"], r["sample_id"]): r["exemplars"]
            for r in read_run(out)["samples"]
        }

    first, again, other = picks("a", 1), picks("b", 1), picks("c", 7)
    assert first == again
    similar = {k: v for k, v in first.items() if k[0] == "fewshot_in_language"}
    assert similar == {k: v for k, v in other.items() if k[0] == "fewshot_in_language"}
    assert {k: v for k, v in first.items() if k[0] == "fewshot_random"} != {
        k: v for k, v in other.items() if k[0] == "fewshot_random"
    }


def test_a_similarity_path_that_is_no_model_fails_in_one_line(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "not-a-model"
    path.mkdir()
    result = _run(evaluate, tmp_path / "run", variants="fewshot_in_language", similarity=path)
    assert_one_line_error(result, "not a sentence-transformers model folder", str(path))


# --- any task: pools from the evaluated split, and the schema ---------------------------------

QUIZ_YAML = """\
name: quiz
version: "1"
kind: short_answer
languages: {eng_Latn: eng, deu_Latn: deu}
data:
  local: {folder: [quiz], files: ["{code}.csv"]}
fields: {question: question}
gold: {field: answer}
id: "{id}"
parallel_id: "{id}"
parser: span
metrics: [exact_match]
variants:
  plain: {template: quiz.j2}
  similar: {template: quiz.j2, fewshot: 2, target: answer, select: in_language}
  crossed:
    {template: quiz.j2, fewshot: 2, target: answer, select: cross_lingual, languages: [eng_Latn]}
"""
QUIZ_PY = """\
from harness.data.readers import read_rows
from harness.spec import FileLayout


def exemplars(source, language, code, variant):  # the evaluated rows themselves
    rows = read_rows(source.file(f"{code}.csv"), FileLayout(files=[], format="csv"))
    return [{**record, "parallel_id": record["id"]} for _, record in rows]
"""
QUIZ_J2 = """\
{% block user %}Q: {{ question }}{% endblock %}
{% block assistant %}{{ lit.the_answer_is }} {{ target }}{% endblock %}
"""
ROWS = {
    "eng_Latn": [
        ("a", "Which team did Ada Lindqvist play for in 1999?", "IK Sundby"),
        ("b", "Which team did Ada Lindqvist play for in 2003?", "FC Norrvik"),
        ("c", "What is the time 2 year after Jan, 2010", "Jan, 2012"),
    ],
    "deu_Latn": [
        ("a", "Für welche Mannschaft spielte Ada Lindqvist 1999?", "IK Sundby"),
        ("b", "Für welche Mannschaft spielte Ada Lindqvist 2003?", "FC Norrvik"),
        ("c", "Welches Datum ist 2 Jahre nach Jan, 2010", "Jan, 2012"),
    ],
}


def _quiz(tmp_path: Path, task_yaml: str = QUIZ_YAML) -> tuple[Path, Path]:
    tasks, data = tmp_path / "tasks", tmp_path / "data"
    (tasks / "quiz").mkdir(parents=True)
    (tasks / "quiz" / "task.yaml").write_text(task_yaml)
    (tasks / "quiz" / "task.py").write_text(QUIZ_PY)
    (tasks / "quiz" / "quiz.j2").write_text(QUIZ_J2)
    (data / "quiz").mkdir(parents=True)
    for lang, rows in ROWS.items():
        with (data / "quiz" / f"{lang[:3]}.csv").open("w", newline="") as handle:
            csv.writer(handle).writerows([("id", "question", "answer"), *rows])
    return tasks, data


def test_a_pool_of_the_evaluated_items_never_shows_a_question_itself(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    tasks, data = _quiz(tmp_path)
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks quiz",
        tasks_dir=tasks,
        data_dir=data,
        variants="similar,crossed",
        output=out,
    )
    assert result.exit_code == 0, result.output
    scores = scores_of(out, "exact_match")
    expected = {("quiz", "similar", lang): 3 for lang in ROWS} | {
        ("quiz", "crossed", "eng_Latn"): 3
    }
    assert {key: r["n"] for key, r in scores.items()} == expected  # nothing held out
    assert all(r["value"] == 1.0 for r in scores.values())
    chosen = {
        (r["variant"], r["language"], r["sample_id"]): r["exemplars"]
        for r in read_run(out)["samples"]
    }
    # in its own language: the other two items, the most similar last; never itself
    assert chosen[("similar", "eng_Latn", "a")] == ["eng_Latn/c", "eng_Latn/b"]
    # across languages: never its own translation (the same parallel id)
    assert chosen[("crossed", "eng_Latn", "a")] == ["deu_Latn/c", "deu_Latn/b"]
    assert all(f"/{ident}" not in label for (_, _, ident), ids in chosen.items() for label in ids)


def test_select_needs_fewshot_and_names_its_line(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    broken = QUIZ_YAML.replace("fewshot: 2, target: answer, select: in", "select: in")
    tasks, data = _quiz(tmp_path, broken)
    result = evaluate("run --model baseline:reference --tasks quiz", tasks_dir=tasks, data_dir=data)
    line = assert_one_line_error(result, "variants.similar.select", "fewshot")
    number = next(n for n, text in enumerate(broken.splitlines(), 1) if "similar:" in text)
    assert f"task.yaml:{number}:" in line


def test_the_recorded_exemplars_of_a_fixed_set_are_positions(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks mgsm --source sample --limit 1",
        languages="de",
        variants="native_cot",
        output=out,
    )
    assert result.exit_code == 0, result.output
    [record] = read_run(out)["samples"]
    shots = sum(m["role"] == "assistant" for m in record["prompt"])
    assert shots > 0
    assert record["exemplars"] == [f"deu_Latn/#{i}" for i in range(shots)]
    zero = tmp_path / "zero"
    result = evaluate(
        "run --model baseline:reference --tasks xcopa --source sample --limit 1",
        languages="it",
        variants="zero_shot",
        output=zero,
    )
    assert result.exit_code == 0, result.output
    assert [r["exemplars"] for r in read_run(zero)["samples"]] == [[]]


def test_samples_record_exemplars_as_json_lists() -> None:
    request = Request(
        task="t",
        variant="v",
        language="deu_Latn",
        sample_id="1",
        parallel_id="1",
        messages=(),
        prompt="p",
        generation={},
        template_hash="h",
        hints=Hints(gold="x"),
        exemplars=("eng_Latn/train:1", "fra_Latn/train:2"),
    )
    sample = Sample(id="1", language="deu_Latn", fields={}, gold="x", parallel_id="1")
    record = sample_record(sample, request, Response("x"), False)
    assert record.as_json()["exemplars"] == ["eng_Latn/train:1", "fra_Latn/train:2"]
