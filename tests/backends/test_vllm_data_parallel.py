"""`vllm:` with -M data_parallel_size: one engine process per rank, against the stand-in vllm
package of tests/backends/standin (importable by the spawned processes), which records the
prompts each rank got and the variables it was started with."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.backends import create_backend, vllm_engine, will_fail_again
from harness.backends.options import BackendOptions
from harness.errors import PolyevalError
from harness.manifest import engine_record, model_record
from harness.records import Hints, Message, Request, Response

STANDIN = Path(__file__).resolve().parent / "standin"
GREEDY = {"temperature": 0.0, "max_tokens": 8}


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], Log]]:
    """The stand-in `vllm` first on sys.path (the spawned ranks get this sys.path too); what
    the processes it ran in logged, read by calling the fixture's value."""
    log = tmp_path / "standin-log"
    log.mkdir()
    for variable in list(os.environ):
        if variable.startswith(("STANDIN_VLLM_", "VLLM_DP_")):
            monkeypatch.delenv(variable)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setenv("STANDIN_VLLM_LOG", str(log))
    monkeypatch.syspath_prepend(str(STANDIN))
    for name in ("vllm", "vllm.platforms"):
        sys.modules.pop(name, None)
    yield lambda: Log(log)
    for name in ("vllm", "vllm.platforms"):
        sys.modules.pop(name, None)


class Log:
    """The stand-in's records, by process: {pid: [record, ...]}."""

    def __init__(self, folder: Path) -> None:
        self.processes: dict[int, list[dict[str, Any]]] = {}
        for path in sorted(folder.glob("*.jsonl")):
            lines = path.read_text(encoding="utf-8").splitlines()
            self.processes[int(path.stem)] = [json.loads(line) for line in lines]

    def by_rank(self) -> dict[int, list[dict[str, Any]]]:
        """Each process's records by its rank: VLLM_DP_RANK of its first engine."""
        ranks = {}
        for records in self.processes.values():
            ranks[int(records[0]["env"]["VLLM_DP_RANK"])] = records
        return dict(sorted(ranks.items()))

    def calls(self, rank_records: list[dict[str, Any]]) -> list[tuple[str, list[Any]]]:
        return [(r["event"], r["prompts"]) for r in rank_records if r["event"] != "init"]


def request(
    text: str, chat: bool = False, generation: dict[str, Any] | None = None, sample: str = "1"
) -> Request:
    return Request(
        task="mgsm",
        variant="direct",
        language="eng_Latn",
        sample_id=sample,
        parallel_id=sample,
        messages=(Message("user", text),) if chat else (),
        prompt=None if chat else text,
        generation=dict(GREEDY if generation is None else generation),
        template_hash="t",
        hints=Hints(gold="B"),
    )


def scoring(context: str, *continuations: str, sample: str = "1") -> Request:
    """A log-likelihood request: each continuation after the context (the prompt)."""
    return replace(request(context, generation={}, sample=sample), continuations=continuations)


def answer(backend: Any, *batches: Sequence[Request], close: bool = True) -> list[list[Response]]:
    """Each batch's answers, in its order (one generate() call a batch)."""

    async def collect() -> list[list[Response]]:
        results = []
        for batch in batches:
            got: dict[int, Response] = {}
            async for index, response in backend.generate(batch):
                assert index not in got
                got[index] = response
            results.append([got[i] for i in range(len(batch))])
        if close:
            await backend.aclose()
        return results

    return asyncio.run(collect())


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def dp_backend(size: int, **args: str) -> Any:
    options = BackendOptions(args={"data_parallel_size": str(size), **args}, seed=7)
    return create_backend("vllm:org/tiny", options)


def test_ranks_get_interleaved_shards_and_answers_merge_in_order(
    standin: Callable[[], Log],
) -> None:
    backend = dp_backend(3, max_model_len="512")
    prompts = [f"prompt {i}" for i in range(5)]
    batch = [request(p, sample=str(i)) for i, p in enumerate(prompts)]
    batch.append(request("just one chat", chat=True, sample="chat"))  # a group of its own
    batch += [scoring("Q: 1+1? A:", " 2", " 3", sample="s0"), scoring("Q: hi", " yo", sample="s1")]
    (answers,) = answer(backend, batch)

    assert [a.text for a in answers[:6]] == [
        *(f"echo: {p}" for p in prompts),
        "echo: just one chat",
    ]
    assert [len(a.scores) for a in answers[6:]] == [2, 1]
    assert [s.tokens for s in answers[6].scores] == [1, 1] and answers[6].scores[0].logprob == -0.5

    ranks = standin().by_rank()
    assert sorted(ranks) == [0, 1, 2]
    ports = set()
    for number, records in ranks.items():
        init = records[0]
        env = init["env"]
        assert env["VLLM_DP_RANK"] == env["VLLM_DP_RANK_LOCAL"] == str(number)
        assert env["VLLM_DP_SIZE"] == "3" and env["VLLM_DP_MASTER_IP"] == "127.0.0.1"
        ports.add(env["VLLM_DP_MASTER_PORT"])
        # the engine's options, without the data parallel size (the ranks are that)
        assert init["kwargs"] == {
            "model": "org/tiny",
            "seed": 7,
            "enable_prefix_caching": True,
            "max_model_len": 512,
        }
        assert records[0]["pid"] != os.getpid()
    assert len(ports) == 1
    calls = {number: standin().calls(records) for number, records in ranks.items()}
    # the log-likelihood chunk first (rank 2 holds none of it: a placeholder), then each group:
    # rank r takes requests r, r + 3 ...; a rank with none of a group sends the placeholder
    placeholder = ("generate", ["Placeholder"])
    assert calls[0] == [
        ("score", ["Q: 1+1? A: 2", "Q: 1+1? A: 3"]),
        ("generate", ["prompt 0", "prompt 3"]),
        ("chat", ["just one chat"]),
    ]
    assert calls[1] == [
        ("score", ["Q: hi yo"]),
        ("generate", ["prompt 1", "prompt 4"]),
        placeholder,
    ]
    assert calls[2] == [placeholder, ("generate", ["prompt 2"]), placeholder]
    placeholders = [
        r for r in ranks[2] if r["event"] == "generate" and r["prompts"] == ["Placeholder"]
    ]
    assert len(placeholders) == 2
    assert all(r["params"] == {"max_tokens": 1, "temperature": 0.0} for r in placeholders)
    assert all(gone(records[0]["pid"]) for records in ranks.values())  # closed with the backend


def test_engine_record_and_identity(standin: Callable[[], Log]) -> None:
    backend = dp_backend(2, tp="1", kv_cache_dtype="fp8", gpu_memory_utilization="0.5")
    try:
        record = backend.engine()
        assert record == {
            "name": "vllm",
            "version": "0.0-standin",
            "device": {"type": "cpu"},
            "parallel": {"tp": 1, "pp": 1, "dp": 2},
            "data_parallel_mode": "collective",
            "options": {
                "seed": 7,
                "enable_prefix_caching": True,
                "tensor_parallel_size": 1,
                "kv_cache_dtype": "fp8",
                "gpu_memory_utilization": 0.5,
                "data_parallel_size": 2,
            },
        }
        # the cache identity: what changes the answers, not the parallelism or the memory
        assert backend.identity() == {
            "kind": "vllm",
            "model": "org/tiny",
            "revision": None,
            "dtype": "auto",
            "max_model_len": None,
            "engine_args": {"kv_cache_dtype": "fp8"},
        }
        # the manifest's model record holds the engine
        model = model_record("vllm:org/tiny", backend.identity(), {"seed": 7}, backend)
        assert model["engine"] == record and model["name"] == "vllm:org/tiny"
        assert engine_record(object()) is None
    finally:
        answer(backend)


def test_one_rank_runs_in_this_process(standin: Callable[[], Log]) -> None:
    backend = dp_backend(1)
    (answers,) = answer(backend, [request("alone")])
    assert answers[0].text == "echo: alone"
    (records,) = standin().processes.values()
    assert records[0]["pid"] == os.getpid()
    assert "VLLM_DP_SIZE" not in records[0]["env"]
    assert "data_parallel_size" not in records[0]["kwargs"]
    with pytest.raises(PolyevalError, match="data_parallel_size takes a whole number of 1 or"):
        dp_backend(0)
    with pytest.raises(PolyevalError, match="-M dp takes a whole number, not 'x'"):
        create_backend("vllm:org/tiny", BackendOptions(args={"dp": "x"}))
    with pytest.raises(PolyevalError, match="-M dp: data_parallel_size is given twice"):
        dp_backend(2, dp="2")


def test_a_dense_model_runs_as_replicas_on_their_own_devices(
    standin: Callable[[], Log], monkeypatch: pytest.MonkeyPatch
) -> None:
    """vLLM refuses its offline data parallelism to a dense model: each rank makes its engine
    again without the variables, on its share of the devices, and sends no placeholder."""
    monkeypatch.setenv("STANDIN_VLLM_DENSE", "1")
    monkeypatch.setenv("STANDIN_VLLM_DEVICE", "cuda")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5,6,7")
    backend = dp_backend(2, tensor_parallel_size="2")
    assert backend.engine()["data_parallel_mode"] == "replicas"
    assert backend.engine()["device"] == {"type": "cuda", "name": "Stand-in GPU"}
    (answers,) = answer(backend, [request("only one")])
    assert answers[0].text == "echo: only one"
    ranks = standin().by_rank()
    for number, records in ranks.items():
        refused, made = (r for r in records if r["event"] == "init")
        assert refused["env"]["VLLM_DP_SIZE"] == "2"
        assert refused["env"]["CUDA_VISIBLE_DEVICES"] == "4,5,6,7"
        assert made["env"] == {"CUDA_VISIBLE_DEVICES": ["4,5", "6,7"][number]}
    assert standin().calls(ranks[0]) == [("generate", ["only one"])]
    assert standin().calls(ranks[1]) == []  # no request, no placeholder


def test_a_rank_that_cannot_load_is_one_error(
    standin: Callable[[], Log], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STANDIN_VLLM_FAIL_RANK", "1")
    with pytest.raises(PolyevalError) as caught:
        dp_backend(2)
    assert str(caught.value) == (
        "vllm could not load org/tiny: data-parallel rank 1: RuntimeError: CUDA out of memory"
        " on rank 1"
    )
    pids = list(standin().processes)
    assert len(pids) == 2 and all(gone(pid) for pid in pids)


def test_a_dead_replica_fails_its_requests_and_the_others_go_on(
    standin: Callable[[], Log], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STANDIN_VLLM_DENSE", "1")
    monkeypatch.setenv("STANDIN_VLLM_DIE_ON", "DIE")
    backend = dp_backend(2)
    first = [request(text, sample=str(i)) for i, text in enumerate(["a", "DIE b", "c", "d"])]
    later = [request(text, sample=f"later-{text}") for text in ["e", "f", "g"]]
    answers, next_answers = answer(backend, first, later)
    assert answers[0].text == "echo: a" and answers[2].text == "echo: c"
    for failed in (answers[1], answers[3]):
        assert failed.error == (
            "vllm data-parallel rank 1 died (exit code 3) while answering 2 requests"
        )
        assert not will_fail_again(failed.error)  # a rerun asks again
    assert [a.text for a in next_answers] == ["echo: e", "echo: f", "echo: g"]
    ranks = standin().by_rank()
    assert standin().calls(ranks[0])[-1] == ("generate", ["e", "f", "g"])  # the one left


def test_a_dead_rank_stops_a_collective_engine(
    standin: Callable[[], Log], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Collective ranks wait for each other: after one dies, the others get
    COLLECTIVE_GRACE_S to answer, then all are stopped and later batches fail at once."""
    monkeypatch.setenv("STANDIN_VLLM_DIE_ON", "DIE")
    monkeypatch.setenv("STANDIN_VLLM_HANG_ON", "HANG")
    monkeypatch.setattr(vllm_engine, "COLLECTIVE_GRACE_S", 0.5)
    backend = dp_backend(3)
    batch = [request(t, sample=str(i)) for i, t in enumerate(["DIE a", "HANG b", "fine c"])]
    started = time.monotonic()
    answers, later = answer(backend, batch, [request("after", sample="after")])
    assert time.monotonic() - started < 20
    assert answers[0].error == (
        "vllm data-parallel rank 0 died (exit code 3) while answering 1 request"
    )
    assert answers[1].error == (
        "vllm data-parallel rank 1 was stopped after rank 0 died (exit code 3) while"
        " answering 1 request"
    )
    assert answers[2].text == "echo: fine c"  # answered before: kept
    assert later[0].error == (
        "vllm data-parallel engine stopped after rank 0 died (exit code 3); not answered"
    )
    assert not any(will_fail_again(a.error) for a in [*answers[:2], *later])
    assert all(gone(pid) for pid in standin().processes)


def test_evaluate_run_with_data_parallel_ranks(
    standin: Callable[[], Log], evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    result = evaluate(
        "run --model vllm:org/tiny -M data_parallel_size=2",
        tasks="belebele",
        limit=3,
        source="sample",
        output=tmp_path / "run",
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["counts"]["sent"] > 0 and manifest["model"]["kind"] == "vllm"
    engine = manifest["model"]["engine"]  # the run's record of the engine behind the answers
    assert engine["parallel"]["dp"] == 2 and engine["version"]
    ranks = standin().by_rank()
    sent = [p for records in ranks.values() for _, ps in standin().calls(records) for p in ps]
    assert len(sent) >= manifest["counts"]["sent"]
    assert all(standin().calls(records) for records in ranks.values())
