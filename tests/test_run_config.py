"""One typed run configuration: built by the command line, read by the planner, written to the
manifest as it is; typed generation settings with a did-you-mean for unknown ones."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from harness.backends.options import BackendOptions
from harness.config import RunConfig
from harness.errors import PolyevalError
from harness.spec import GENERATION_SETTINGS
from tests.conftest import REPO, assert_one_line_error

Evaluate = Callable[..., Result]


def test_the_manifest_replay_is_the_configuration_as_json(
    evaluate: Evaluate, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:random --tasks belebele --source sample --limit 1",
        languages="ur,eng_Latn",
        temperature="0.5",
        output=out,
    )
    assert result.exit_code == 0, result.output
    replay = json.loads((out / "manifest.json").read_text())["replay"]
    assert replay["languages"] == ["urd_Arab", "eng_Latn"]  # ISO codes resolved
    assert replay["generation"] == {"temperature": 0.5}
    # what says where answers go, or who gives them, is not part of it
    assert not {"output", "cache_path", "results_dir", "backend", "model"} & set(replay)
    # read back, it is the same configuration
    again = RunConfig.model_validate(replay)
    assert again.replay() == replay
    assert again.languages == ["urd_Arab", "eng_Latn"] and again.limit == 1


def test_a_configuration_keeps_its_types() -> None:
    config = RunConfig(
        tasks=["mgsm"],
        data_dir=Path("data"),
        alt_data={"en": Path("x")},
        backend=BackendOptions(base_urls=("http://h/v1",)),
    )
    dumped = config.replay()
    assert dumped["data_dir"] == "data" and dumped["alt_data"] == {"en": "x"}
    assert "backend" not in dumped
    with pytest.raises(Exception, match="frozen"):
        config.limit = 3  # type: ignore[misc]


def test_a_value_of_the_wrong_type_names_its_option() -> None:
    with pytest.raises(PolyevalError, match=r"^option --limit: ") as caught:
        RunConfig.given(tasks=["mgsm"], limit="many")
    assert "\n" not in str(caught.value)
    with pytest.raises(PolyevalError, match="unknown setting 'max_token': did you mean"):
        RunConfig.given(tasks=["mgsm"], generation={"max_token": 5})


def test_a_misspelt_generation_setting_in_task_yaml_is_caught_when_the_task_loads(
    evaluate: Evaluate, tmp_path: Path
) -> None:
    folder = tmp_path / "tasks" / "mgsm"
    shutil.copytree(REPO / "tasks" / "mgsm", folder)
    spec = folder / "task.yaml"
    text = spec.read_text()
    old = "generation: {temperature: 0.0, max_tokens: 512}"
    assert old in text
    spec.write_text(text.replace(old, "generation: {temperature: 0.0, max_token: 512}"))
    line = text[: text.index(old)].count("\n") + 1
    result = evaluate(
        "run --model baseline:random --tasks mgsm --source sample --limit 1",
        tasks_dir=tmp_path / "tasks",
    )
    assert_one_line_error(
        result, f"{spec}:{line}:", "unknown setting 'max_token': did you mean 'max_tokens'?"
    )


def test_every_known_setting_reaches_the_request(evaluate: Evaluate, tmp_path: Path) -> None:
    assert {"temperature", "max_tokens", "stop", "extra_body"} <= set(GENERATION_SETTINGS)
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:random --tasks mgsm --source sample --limit 1 --languages en",
        top_p="0.9",
        extra_body='{"top_k": 5}',
        output=out,
    )
    assert result.exit_code == 0, result.output
    sample = json.loads((out / "samples.jsonl").read_text().splitlines()[0])
    assert sample["generation"]["top_p"] == 0.9
    assert sample["generation"]["extra_body"] == {"top_k": 5}
