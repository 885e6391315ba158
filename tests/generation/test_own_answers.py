"""Every answer its own: a sample is scored with its own answer, never with another sample's
that had the same prompt, and several completions of a sample are all kept and scored."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.generation.cache import cache_key, deterministic
from harness.records import Hints, Request
from tests.conftest import read_run, scores_of
from tests.fake_server import FakeServer

PAIR = "npi_Deva-eng_Latn"


def test_every_flores_prediction_is_scored_for_its_own_sample(
    evaluate: Callable[..., Result], shared_data: Path, tmp_path: Path
) -> None:
    """About a fifth of FLoRes v1's Nepali sources occur more than once: each of their
    samples is scored with its own output, and chrF++ is sacrebleu's on the same file."""
    import sacrebleu

    folder = shared_data / "flores_v1_ne_si"
    sources = (folder / "wikipedia.devtest.ne-en.ne").read_text(encoding="utf-8").splitlines()
    english = (folder / "wikipedia.devtest.ne-en.en").read_text(encoding="utf-8").splitlines()
    repeated = sum(c for c in Counter(sources).values() if c > 1)
    assert repeated > len(sources) / 10  # what made shared answers likely
    outputs = {str(i): f"{english[(i + 1) % len(english)]} #{i}" for i in range(len(english))}
    rows = [{"sample_id": i, "language": PAIR, "output": text} for i, text in outputs.items()]
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    out = tmp_path / "run"
    result = evaluate(
        f"run --predictions {path} --tasks flores_v1 --source local --pairs ne-en",
        data_dir=shared_data,
        output=out,
    )
    assert result.exit_code == 0, result.output
    samples = read_run(out)["samples"]
    assert len(samples) == len(outputs) == len(english)
    not_own = [s["sample_id"] for s in samples if s["parsed"] != outputs[s["sample_id"]]]
    assert not_own == []
    assert [s["gold"] for s in samples] == [line.strip() for line in english]
    hypotheses = [s["parsed"] for s in samples]
    expected = sacrebleu.metrics.CHRF(word_order=2).corpus_score(hypotheses, [english])
    chrf = scores_of(out, "chrf")[("flores_v1", "zero_shot", PAIR)]
    assert chrf["value"] == pytest.approx(expected.score / 100, abs=1e-12)


def _request(sample_id: str, generation: dict[str, Any]) -> Request:
    return Request(
        task="t",
        variant="v",
        language="eng_Latn",
        sample_id=sample_id,
        parallel_id=sample_id,
        messages=(),
        prompt="the same prompt",
        generation=generation,
        template_hash="h",
        hints=Hints(gold="x"),
    )


@pytest.mark.parametrize(
    ("generation", "shared"),
    [
        ({"temperature": 0.0}, True),
        ({"temperature": 0.0, "n": 1}, True),
        ({"temperature": 0.7}, False),
        ({}, False),  # the server's default temperature: sampled
        ({"temperature": 0.0, "n": 5}, False),
    ],
)
def test_identical_prompts_share_an_answer_only_under_deterministic_decoding(
    generation: dict[str, Any], shared: bool
) -> None:
    identity = {"kind": "openai", "model": "m"}
    one, two = (cache_key(identity, _request(i, generation)) for i in ("1", "2"))
    assert deterministic(generation) is shared
    assert (one == two) is shared


def _letter(body: dict[str, Any], index: int) -> str:
    """The index-th completion's letter for a prompt: a fixed draw from its hash."""
    blob = json.dumps(body["messages"], sort_keys=True) + str(index)
    return "ABCD"[hashlib.sha256(blob.encode()).digest()[0] % 4]


def test_n_completions_are_kept_and_scored_by_pass_maj_and_mean(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    server = FakeServer(
        responder=lambda body: f"Answer: {_letter(body, 0)}",
        choice_responder=lambda body, i: f"The answer is ({_letter(body, i)})",
    ).start_in_thread()
    try:
        out = tmp_path / "run"
        result = evaluate(
            "run --model openai:fake --tasks belebele --source sample --languages en,fr --n 5",
            base_url=server.base_url,
            output=out,
        )
        bodies = list(server.bodies)
    finally:
        server.stop_thread()
    assert result.exit_code == 0, result.output
    assert {body["n"] for body in bodies} == {5}
    samples = read_run(out)["samples"]
    expected: dict[str, dict[str, list[float]]] = {}
    for sample in samples:
        assert len(sample["completions"]) == 4  # with the first: 5 completions recorded
        letters = [sample["parsed"], *(c["parsed"] for c in sample["completions"])]
        right = [float(letter == sample["gold"]) for letter in letters]
        voted = Counter(letters).most_common()
        top = voted[0][1]
        winner = next(letter for letter in letters if Counter(letters)[letter] == top)
        cell = expected.setdefault(sample["language"], {"pass": [], "maj": [], "mean": []})
        cell["pass"].append(max(right))
        cell["maj"].append(float(winner == sample["gold"]))
        cell["mean"].append(sum(right) / 5)
        assert sample["scores"]["accuracy"] == right[0]  # the first completion, as with one
    assert len({json.dumps(s["completions"]) for s in samples}) > 1
    for language, values in expected.items():
        for metric, found in (("pass@5", "pass"), ("maj@5", "maj"), ("mean@5", "mean")):
            record = scores_of(out, metric)[("belebele", "zero_shot", language)]
            assert record["value"] == pytest.approx(sum(values[found]) / len(values[found]))
            assert 0 <= record["ci_low"] <= record["value"] <= record["ci_high"] <= 1
    # the five completions differ somewhere, so the three are not all the first's accuracy
    accuracy = scores_of(out, "accuracy")
    assert any(scores_of(out, "pass@5")[key]["value"] != accuracy[key]["value"] for key in accuracy)
