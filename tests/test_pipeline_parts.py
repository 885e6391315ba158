"""Pieces of the pipeline on their own: prompt forms, baselines, intervals, plugin discovery."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from harness.analysis.stats import wilson_interval
from harness.backends import create_backend
from harness.backends.options import BackendOptions
from harness.config import RunConfig
from harness.planner import build_plan
from harness.records import Request, Response
from harness.registry import TaskRegistry
from tests.conftest import REPO, run_process


def _requests(**kwargs: object) -> list[Request]:
    selection = RunConfig(source="sample", **kwargs)  # type: ignore[arg-type]
    return build_plan(TaskRegistry(), selection).requests


def test_chat_form_puts_exemplars_in_turns_and_completion_form_ends_with_the_answer_cue() -> None:
    chat = _requests(tasks=["mgsm"], languages=["fra_Latn"], limit=1, variants=["native_cot"])[0]
    roles = [m.role for m in chat.messages]
    assert roles[0] == "system" and roles[-1] == "user"
    assert roles[1:-1] == ["user", "assistant"] * 4
    assert chat.messages[-1].content.startswith("Question : ")  # French literals
    assert chat.prompt is None
    completion = _requests(
        tasks=["mgsm"],
        languages=["fra_Latn"],
        limit=1,
        variants=["native_cot"],
        prompt_format="completion",
    )[0]
    assert completion.messages == () and completion.prompt is not None
    assert completion.prompt.endswith("Réponse étape par étape :")
    assert completion.prompt.count("Question : ") == 5
    assert chat.messages[-1].content in completion.prompt


def test_completion_prompts_stop_where_the_next_turn_would_start() -> None:
    def stops(task: str, language: str, **kwargs: object) -> list[str]:
        request = _requests(tasks=[task], languages=[language], limit=1, **kwargs)[0]
        found: list[str] = request.generation.get("stop", [])
        return found

    completion = {"prompt_format": "completion"}
    assert stops("mgsm", "fra_Latn", **completion) == ["\nQuestion :"]
    assert stops("mgsm", "jpn_Jpan", **completion) == ["\n問題："]
    assert stops("belebele", "eng_Latn", **completion) == ["\nPassage:", "\nQuestion:"]
    assert stops("xnli", "deu_Latn", **completion)[0].startswith("\nPrämisse")
    assert stops("mgsm", "fra_Latn") == []  # a chat turn ends by itself
    # the user's own stops come after the template's
    generation = {"stop": ["###"]}
    both = stops("mgsm", "eng_Latn", generation=generation, **completion)
    assert both == ["\nQuestion:", "###"]
    # a completion of the prompt, cut at its stop, is the answer alone
    request = _requests(tasks=["mgsm"], languages=["eng_Latn"], limit=1, **completion)[0]
    assert request.prompt is not None
    assert request.prompt.count(request.generation["stop"][0]) == 5  # 4 exemplars + the question


def test_english_cot_keeps_the_question_native_and_the_reasoning_english() -> None:
    request = _requests(tasks=["mgsm"], languages=["jpn_Jpan"], limit=1, variants=["en_cot"])[0]
    exemplar_answer = request.messages[2].content
    assert request.messages[1].content.startswith("問題")
    assert exemplar_answer.startswith("Step-by-Step Answer: ")


def test_belebele_options_are_lettered_and_the_gold_is_a_letter() -> None:
    selection = RunConfig(tasks=["belebele"], languages=["urd_Arab"], limit=3, source="sample")
    plan = build_plan(TaskRegistry(), selection)
    request = plan.requests[0]
    sample = plan.samples[request.key]
    text = request.messages[-1].content
    for label, option in zip("ABCD", sample.choices, strict=True):
        assert f"{label}. {option}" in text
    assert sample.gold in "ABCD" and len(sample.gold) == 1


def _answers(model: str, seed: int, requests: list[Request]) -> list[str]:
    backend = create_backend(model, BackendOptions(seed=seed))

    async def collect() -> list[Response]:
        found: dict[int, Response] = {}
        async for index, response in backend.generate(requests):
            found[index] = response
        return [found[i] for i in range(len(requests))]

    return [r.text for r in asyncio.run(collect())]


def test_baselines_are_seeded_and_do_not_depend_on_order() -> None:
    requests = _requests(tasks=["belebele"], limit=8)
    first = _answers("baseline:random", 1, requests)
    assert first == _answers("baseline:random", 1, requests)
    assert first != _answers("baseline:random", 2, requests)
    assert _answers("baseline:random", 1, requests[::-1]) == first[::-1]
    assert len(set(first)) > 3


def test_majority_answers_the_most_common_gold_of_the_language() -> None:
    requests = _requests(tasks=["mgsm"], languages=["eng_Latn"], variants=["direct"])
    answers = set(_answers("baseline:majority", 0, requests))
    assert len(answers) == 1  # one answer for the whole task and language
    golds = [r.hints.gold for r in requests]
    top = min(sorted(set(golds)), key=lambda g: -golds.count(g))  # ties: smallest string
    assert answers == {f"The answer is {top}."}


def test_reference_phrases_the_gold_in_the_language_with_its_digits() -> None:
    request = _requests(tasks=["mgsm"], languages=["ben_Beng"], limit=1)[0]
    text = _answers("baseline:reference", 0, [request])[0]
    assert text.startswith("উত্তর") and not any(c.isascii() and c.isdigit() for c in text)


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(50, 100, 0.4038, 0.5962), (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0)],
)
def test_wilson_interval_matches_published_values(k: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(k, n)
    assert got == pytest.approx((low, high), abs=1e-4)


def test_tasks_from_an_installed_package_entry_point_are_found(tmp_path: Path) -> None:
    package = tmp_path / "site" / "acme_tasks"
    task = package / "acme_mcq"
    task.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    spec = (REPO / "tasks" / "belebele" / "task.yaml").read_text()
    (task / "task.yaml").write_text(spec.replace("name: belebele", "name: acme_mcq"))
    (task / "sample").symlink_to(REPO / "tasks" / "belebele" / "sample")
    dist = tmp_path / "site" / "acme_tasks-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-tasks\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[polyeval.tasks]\nacme = acme_tasks\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(REPO)])}
    result = run_process(
        "run --model baseline:reference --tasks acme_mcq --languages hy",
        tmp_path,
        env,
        cache=tmp_path / "c.sqlite",
        output=tmp_path / "run",
    )
    assert result.returncode == 0, result.stderr
    assert "acme_mcq/zero_shot" in result.stdout and "100.0" in result.stdout
