"""Log-likelihood variants on the real benchmark files: `baseline:reference` scores 1.0 by
every normalisation on each variant (the gold continuation is the right one, in every
language), `baseline:random` lands on chance."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from harness.loglikelihood.formulations import MULTIPLE_CHOICE_METRICS
from tests.conftest import assert_chance, read_run, scores_of

VARIANTS = "letter,cloze,hybrid"
TASKS = {  # task -> (--limit, chance)
    "belebele": (120, 1 / 4),
    "xnli": (150, 1 / 3),
    "xcopa": (150, 1 / 2),
    "dzen": (150, 1 / 4),
}


# The random baseline's draws are fixed by its seed. Under the default seed (1234) XNLI's
# 2,250 draws land 3.1 standard deviations above chance: a draw as rare as 1 in 500 (over 300
# seeds the pooled accuracy's spread is the binomial one, 0.0103 against 0.0099), which the
# pooled check would fail for ever. The test draws with seed 1 instead.
SEED = 1


def _run(evaluate: Callable[..., Result], data: Path, out: Path, model: str, task: str) -> Path:
    limit = TASKS[task][0]
    result = evaluate(
        f"run --model {model} --tasks {task} --source local --limit {limit} --seed {SEED}",
        variants=VARIANTS,
        data_dir=data,
        output=out,
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("task", list(TASKS))
def test_reference_is_perfect_by_every_normalisation(
    evaluate: Callable[..., Result], shared_data: Path, tmp_path: Path, task: str
) -> None:
    out = _run(evaluate, shared_data, tmp_path / "run", "baseline:reference", task)
    for metric in MULTIPLE_CHOICE_METRICS:
        cells = scores_of(out, metric)
        assert {variant for _, variant, _ in cells} == set(VARIANTS.split(","))
        assert {key: r["value"] for key, r in cells.items() if r["value"] != 1.0} == {}
    pmi = scores_of(out, "acc_pmi")  # the cloze variants of XNLI and XCOPA (pmi: true)
    assert bool(pmi) == (task in ("xnli", "xcopa"))
    assert {r["value"] for r in pmi.values()} <= {1.0}
    samples = read_run(out)["samples"]
    assert all(len(s["likelihoods"]) == len(s["choices"]) for s in samples)
    assert not any("consistency" in s["scores"] for s in samples)


@pytest.mark.parametrize("task", list(TASKS))
def test_random_is_at_chance(
    evaluate: Callable[..., Result], shared_data: Path, tmp_path: Path, task: str
) -> None:
    out = _run(evaluate, shared_data, tmp_path / "run", "baseline:random", task)
    cells = list(scores_of(out, "acc").values())
    assert len(cells) >= 3
    assert_chance(cells, TASKS[task][1])
