"""What a log-likelihood variant puts to the model: the context (the completion prompt up to
the answer) and its continuations, per formulation (harness.loglikelihood.formulations)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.config import RunConfig
from harness.errors import PolyevalError
from harness.literals import get_literals
from harness.loglikelihood.formulations import split_context
from harness.planner import Plan, build_plan
from harness.records import Request
from harness.registry import TaskRegistry


def _plan(task: str, variants: list[str], languages: list[str] | None = None) -> Plan:
    config = RunConfig(
        tasks=[task], variants=variants, languages=languages, limit=2, source="sample"
    )
    return build_plan(TaskRegistry(), config)


def _first(plan: Plan, variant: str, language: str) -> Request:
    return next(r for r in plan.requests if r.variant == variant and r.language == language)


def test_the_context_gives_its_trailing_space_to_every_continuation() -> None:
    context, continuations = split_context("Q\nAnswer: ", ["Q\nAnswer: B", "Q\nAnswer: Köln"])
    assert context == "Q\nAnswer:"
    assert continuations == (" B", " Köln")


def test_letter_scores_the_labels_the_prompt_shows() -> None:
    plan = _plan("belebele", ["letter"], ["deu_Latn"])
    request = _first(plan, "letter", "deu_Latn")
    sample = plan.samples[request.key]
    assert request.loglikelihood and request.messages == ()
    assert request.continuations == (" A", " B", " C", " D")
    assert request.context.endswith("\nAntwort:")
    for label, option in zip("ABCD", sample.choices, strict=True):
        assert f"\n{label}. {option}\n" in request.context + "\n"
    assert request.context.startswith(get_literals("deu_Latn").mcq_instruction + "\n\n")
    assert request.generation == {}


def test_cloze_hides_the_options_and_scores_their_texts() -> None:
    plan = _plan("belebele", ["cloze"], ["deu_Latn"])
    request = _first(plan, "cloze", "deu_Latn")
    sample = plan.samples[request.key]
    assert request.continuations == tuple(f" {option}" for option in sample.choices)
    assert not any(option in request.context for option in sample.choices[1:])
    assert "\nA. " not in request.context
    assert get_literals("deu_Latn").mcq_instruction not in request.context  # no letter asked


def test_hybrid_shows_the_options_and_scores_their_texts() -> None:
    plan = _plan("belebele", ["hybrid"], ["deu_Latn"])
    request = _first(plan, "hybrid", "deu_Latn")
    sample = plan.samples[request.key]
    assert request.continuations == tuple(f" {option}" for option in sample.choices)
    assert f"\nA. {sample.choices[0]}\n" in request.context


def test_a_colon_without_a_space_gives_continuations_without_one() -> None:
    """Chinese writes "答案：" with a full-width colon and no space: nothing to move."""
    plan = _plan("xcopa", ["letter", "cloze"], ["zho_Hans"])
    letter = _first(plan, "letter", "zho_Hans")
    assert letter.context.endswith("答案：")
    assert letter.continuations == ("A", "B")
    cloze = _first(plan, "cloze", "zho_Hans")
    assert cloze.continuations == tuple(plan.samples[cloze.key].choices)


def test_letter_shows_and_scores_the_scripts_own_labels() -> None:
    """Bengali labels options ক খ গ ঘ (the literals table's native labels): the prompt shows
    them and `letter` scores them; XNLI's template, which reads the labels itself, too."""
    plan = _plan("belebele", ["letter"], ["ben_Beng"])
    request = _first(plan, "letter", "ben_Beng")
    native = get_literals("ben_Beng").native_labels[:4]
    assert request.continuations == tuple(f" {label}" for label in native)
    assert all(f"\n{label}. " in request.context for label in native)
    urdu = _first(_plan("xnli", ["letter"], ["urd_Arab"]), "letter", "urd_Arab")
    assert urdu.continuations == (" الف", " ب", " ج")
    assert "\nالف. " in urdu.context


def test_more_options_than_native_labels_keep_the_shown_labels() -> None:
    """Urdu has four native labels; CommonsenseQA has five options: A-E, as generation shows."""
    plan = _plan("urdubench_csqa", ["letter"], ["urd_Arab"])
    assert _first(plan, "letter", "urd_Arab").continuations == (" A", " B", " C", " D", " E")


def test_bits_per_byte_scores_each_language_text_once() -> None:
    plan = _plan("flores_v1", ["bits_per_byte", "zero_shot"])
    scored = [r for r in plan.requests if r.variant == "bits_per_byte"]
    translated = [r for r in plan.requests if r.variant == "zero_shot"]
    assert {r.language for r in scored} == {"eng_Latn", "npi_Deva", "sin_Sinh"}
    assert all("-" in r.language for r in translated)
    english = [r for r in scored if r.language == "eng_Latn"]
    assert len(english) == len({r.parallel_id for r in english}) == 2  # once, not per pair
    for request in scored:
        assert request.context == "Passage:"
        (text,) = request.continuations
        assert text == "\n" + plan.samples[request.key].gold


def test_an_assistant_block_without_the_target_at_its_end_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "tasks" / "mcq"
    shutil.copytree(TaskRegistry().get("mcq").folder, folder)
    (folder / "mcq.j2").write_text(
        "{% block user %}{{ question }}{% endblock %}\n"
        "{% block assistant %}[{{ target }}] is the answer{% endblock %}\n"
    )
    config = RunConfig(tasks=["mcq"], variants=["cloze"], limit=1, source="sample")
    with pytest.raises(PolyevalError, match="must end with"):
        build_plan(TaskRegistry(extra_dirs=[tmp_path / "tasks"]), config)
