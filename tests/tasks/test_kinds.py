"""Task kinds: a kind is one row of harness.kinds.KINDS, and a new row is all a new kind needs."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.cli import KIND_CHOICES
from harness.config import RunConfig
from harness.data.sources import DataSource
from harness.errors import PolyevalError
from harness.kinds import KINDS, Kind, get_kind, kind_names
from harness.kinds.short_answer import SHORT_ANSWER
from harness.literals import Literals
from harness.record import SampleRecord, TaskInfo
from harness.registry import Task
from harness.samples import Loaded
from tests.conftest import REPO, read_run


@dataclass(frozen=True)
class Shouted:
    """A kind of its own: short answers shouted ("42!"), two items per language, right when
    the reply shouts the gold."""

    name: str = "shouted"
    family: str | None = "reasoning"
    choices: bool = False
    pairs: bool = False
    parsed: bool = True
    local_digits: bool = False
    voted: bool = False

    def answer_format(self, literals: Literals) -> str:
        return "{answer}!"

    def load(
        self,
        task: Task,
        source: DataSource,
        variants: Sequence[str],
        selection: RunConfig,
        limit: int | None,
    ) -> dict[str, Loaded]:
        return SHORT_ANSWER.load(task, source, variants, selection, 2)

    def score(self, sample: SampleRecord, task: TaskInfo, detector: str) -> dict[str, Any]:
        shouted = (sample.output or "").endswith("!")
        parsed = (sample.output or "").rstrip("!")
        return {"parsed": parsed, "scores": {"accuracy": float(shouted and parsed == sample.gold)}}

    def corpus_metrics(self, metrics: Sequence[str]) -> list[str] | None:
        return None


def test_a_new_kind_is_a_new_row(
    evaluate: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kind: Kind = Shouted()
    monkeypatch.setitem(KINDS, kind.name, kind)
    folder = tmp_path / "tasks" / "shouted"
    shutil.copytree(REPO / "tasks" / "short_answer", folder)
    spec = folder / "task.yaml"
    text = spec.read_text().replace("name: short_answer", "name: shouted")
    spec.write_text(text.replace("kind: short_answer", "kind: shouted"))
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks shouted", tasks_dir=folder.parent, output=out
    )
    assert result.exit_code == 0, result.output
    run = read_run(out)
    task = run["manifest"]["tasks"]["shouted"]
    assert (task["kind"], task["family"]) == ("shouted", "reasoning")
    assert task["samples"] == {"hye_Armn": 2, "eng_Latn": 2}
    assert all(s["output"] == s["gold"] + "!" for s in run["samples"])
    assert all(s["parsed"] == s["gold"] for s in run["samples"])
    accuracy = [r["value"] for r in run["scores"] if r["metric"] == "accuracy"]
    assert accuracy == [1.0, 1.0]


def test_a_task_of_no_known_kind_is_refused(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "tasks" / "odd"
    shutil.copytree(REPO / "tasks" / "short_answer", folder)
    spec = folder / "task.yaml"
    spec.write_text(spec.read_text().replace("kind: short_answer", "kind: shouted"))
    result = evaluate("validate", str(spec))
    assert result.exit_code != 0
    assert "field 'kind': Input should be 'multiple_choice', 'short_answer'" in result.output
    with pytest.raises(PolyevalError, match="unknown task kind 'shouted'"):
        get_kind("shouted")


def test_every_built_in_kind_has_a_scaffold() -> None:
    from harness.authoring.scaffold import KINDS as SCAFFOLDED

    assert KIND_CHOICES == SCAFFOLDED == kind_names()


@pytest.mark.parametrize(
    ("name", "reply"),
    [
        ("multiple_choice", "Answer: B"),
        ("short_answer", "The answer is B."),
        ("extractive_qa", "B"),
        ("translation", "B"),
    ],
)
def test_each_kind_phrases_a_perfect_reply(name: str, reply: str) -> None:
    from harness.literals import get_literals

    phrasing = get_kind(name).answer_format(get_literals("eng_Latn"))
    assert phrasing.format(answer="B") == reply


def test_requests_and_samples_carry_their_pair() -> None:
    """A translation's requests and samples name their pair, typed; a language's none. Their
    `language` is the run key the records are written under."""
    from harness.planner import build_plan
    from harness.registry import TaskRegistry
    from harness.translation.keys import Pair

    selection = RunConfig(tasks=["flores_v1", "round_trip", "xcopa"], source="sample", limit=2)
    plan = build_plan(TaskRegistry(), selection)
    for request in plan.requests:
        sample = plan.samples[request.key]
        assert request.pair == sample.pair
        if request.task == "xcopa":
            assert request.pair is None and sample.prompt_language == request.language
            continue
        assert isinstance(request.pair, Pair) and request.language == request.pair.key
        assert sample.prompt_language == request.pair.target
    trips = [r.pair for r in plan.requests if r.pair is not None and r.pair.round_trip]
    assert trips and all(r.task == "round_trip" for r in plan.requests if r.pair in trips)
    assert set(plan.task("flores_v1").pairs) == set(plan.task("flores_v1").languages)


def test_generation_asks_the_way_back_of_each_round_trip(tmp_path: Path) -> None:
    """The second legs are scheduled by generation, from the first legs' answers: counted
    with them, announced to the progress bar, and folded into the first legs' records."""
    import asyncio

    from harness.backends.baseline import create
    from harness.backends.options import BackendOptions
    from harness.generation.cache import ResponseCache
    from harness.generation.runner import generate
    from harness.planner import build_plan
    from harness.registry import TaskRegistry

    selection = RunConfig(tasks=["round_trip", "xcopa"], source="sample", limit=3)
    plan = build_plan(TaskRegistry(), selection)
    announced: list[int] = []
    cache = ResponseCache(tmp_path / "cache.sqlite")
    try:
        done = asyncio.run(
            generate(plan, create("reference", BackendOptions()), cache, more=announced.append)
        )
    finally:
        cache.close()
    trips = [r for r in plan.requests if r.pair is not None and r.pair.round_trip]
    assert trips and announced == [len(trips)]
    assert done.counts.requests == len(plan.requests) + len(trips)
    assert len(done.records) == len(plan.requests)
    back = [r for r in done.records if r.pivot is not None]
    assert len(back) == len(trips)
    assert all(r.pivot_output is not None and r.fields["source"] == r.pivot for r in back)
