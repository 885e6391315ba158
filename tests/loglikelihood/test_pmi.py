"""acc_pmi: each option scored again after the answer cue alone, and ranked by how much the
question raises its log-probability (harness.generation.unconditional)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from harness.backends import create_backend
from harness.config import RunConfig
from harness.errors import PolyevalError
from harness.generation.cache import ResponseCache
from harness.generation.runner import generate
from harness.generation.unconditional import companions, folded
from harness.loglikelihood.scoring import score_likelihoods
from harness.planner import build_plan
from harness.record import Likelihood, SampleRecord
from harness.records import ContinuationScore, Hints, Request, Response
from harness.registry import TaskRegistry
from harness.spec import Variant
from tests.conftest import read_run, scores_of


def _sample(scored: list[tuple[float, float | None]], gold: str) -> SampleRecord:
    return SampleRecord(
        task="t", variant="cloze", language="eng_Latn", sample_id="1", parallel_id="1",
        gold=gold, choices=["x", "y"], prompt="Q:", continuations=[" rare", " common"],
        likelihoods=[
            Likelihood(logprob=lp, tokens=1, greedy=False, unconditional=alone)
            for lp, alone in scored
        ],
        output=" common",
    )  # fmt: skip


def test_pmi_ranks_by_what_the_question_adds() -> None:
    """ " common" is likelier (-2 against -3), but after the cue alone it is -1.5 and " rare"
    -6: the question raises " rare" by 3 and " common" by -0.5, so acc_pmi picks " rare"."""
    sample = _sample([(-3.0, -6.0), (-2.0, -1.5)], gold="A")
    scores = score_likelihoods(sample, "cloze")["scores"]
    assert scores["acc"] == 0.0 and scores["acc_pmi"] == 1.0


def test_without_the_unconditional_scores_there_is_no_acc_pmi() -> None:
    scores = score_likelihoods(_sample([(-3.0, None), (-2.0, None)], gold="B"), "cloze")
    assert "acc_pmi" not in scores["scores"] and scores["scores"]["acc"] == 1.0


def _request(cue: str | None) -> Request:
    return Request(
        task="t", variant="cloze", language="eng_Latn", sample_id="1", parallel_id="1",
        messages=(), prompt="Q: what?\nAnswer:", generation={}, template_hash="",
        hints=Hints(gold="A"), continuations=(" x", " y"), unconditional=cue,
    )  # fmt: skip


def test_a_companion_asks_the_options_after_the_cue_alone_and_is_folded_back() -> None:
    plain, asked = _request(None), _request("Answer:")
    (companion,) = companions([plain, asked])
    assert companion.prompt == "Answer:" and companion.continuations == (" x", " y")
    assert companion.unconditional is None and companion.hints.gold == ""
    scored = Response(
        text="", scores=(ContinuationScore(-1, 1, True), ContinuationScore(-2, 1, False))
    )
    alone = Response(
        text="", scores=(ContinuationScore(-4, 1, False), ContinuationScore(-1, 1, True))
    )
    merged = folded([(plain, scored, False), (asked, scored, True)], [(companion, alone, True)])
    assert merged[0] == (plain, scored, False)
    assert [s.unconditional for s in merged[1][1].scores] == [-4, -1]  # type: ignore[union-attr]
    assert merged[1][2] is True
    failed = Response(text="", error="HTTP 500")
    (broken,) = folded([(asked, scored, False)], [(companion, failed, False)])
    assert broken[1] is not None and not broken[1].ok
    assert broken[1].error == "the options after the answer cue alone: HTTP 500"


def test_pmi_needs_options() -> None:
    with pytest.raises(ValueError, match="set loglikelihood to letter, cloze or hybrid"):
        Variant.model_validate({"template": "x.j2", "pmi": True})


def test_a_run_asks_each_distinct_cue_and_options_once(tmp_path: Path) -> None:
    """XNLI's cloze options are its three labels: after the cue alone they are the same for
    every item of a language, so the run sends one companion per language, not per item."""
    config = RunConfig(tasks=["xnli"], variants=["cloze"], limit=3, source="sample")
    plan = build_plan(TaskRegistry(), config)
    assert all(r.unconditional for r in plan.requests)
    assert plan.asked == 2 * len(plan.requests)

    async def run() -> tuple[int, int]:
        backend = create_backend("baseline:reference")
        done = await generate(plan, backend, ResponseCache(tmp_path / "cache.sqlite"))
        return done.counts.sent, done.counts.failed

    sent, failed = asyncio.run(run())
    languages = {r.language for r in plan.requests}
    assert failed == 0 and sent == len(plan.requests) + len(languages)


def test_reference_scores_acc_pmi_one(evaluate: Callable[..., Result], tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks xcopa --variants cloze --source sample",
        output=out,
    )
    assert result.exit_code == 0, result.output
    assert {r["value"] for r in scores_of(out, "acc_pmi").values()} == {1.0}
    sample = read_run(out)["samples"][0]
    assert all(x["unconditional"] is not None for x in sample["likelihoods"])
    assert read_run(out)["manifest"]["tasks"]["xcopa"]["variants"]["cloze"]["metrics"][-1] == (
        "acc_pmi"
    )


def test_a_variant_without_a_cue_cannot_ask_for_pmi(tmp_path: Path) -> None:
    folder = tmp_path / "tasks" / "mcq"
    shutil.copytree(TaskRegistry().get("mcq").folder, folder)
    (folder / "bare.j2").write_text(
        "{% block user %}{{ question }}{% endblock %}\n"
        "{% block assistant %}{{ target }}{% endblock %}\n"
    )
    spec = (folder / "task.yaml").read_text()
    spec = spec.replace(
        "default_variants:",
        "  bare:\n    template: bare.j2\n    loglikelihood: cloze\n    pmi: true\n"
        "default_variants:",
    )
    (folder / "task.yaml").write_text(spec)
    config = RunConfig(tasks=["mcq"], variants=["bare"], limit=1, source="sample")
    with pytest.raises(PolyevalError, match="no answer cue"):
        build_plan(TaskRegistry(extra_dirs=[tmp_path / "tasks"]), config)
