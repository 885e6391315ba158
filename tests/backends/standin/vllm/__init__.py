"""A stand-in for the vllm package, importable by the engine processes that `vllm:` spawns for
data parallelism (tests/backends/test_vllm_data_parallel.py puts its folder on sys.path).

Each process writes what it is given to STANDIN_VLLM_LOG/<pid>.jsonl, one JSON object a line:
{"event": "init", "env": {...}, "kwargs": {...}} for each LLM(...) made (or refused), then
{"event": "generate" | "chat", "prompts": [...]} for each call. Other variables:
- STANDIN_VLLM_DENSE=1: LLM(...) refuses VLLM_DP_SIZE > 1 as vLLM does for a dense model;
- STANDIN_VLLM_FAIL_RANK=R: LLM(...) raises in the process of data-parallel rank R;
- STANDIN_VLLM_DIE_ON=TEXT: a prompt holding TEXT ends the process (exit code 3);
- STANDIN_VLLM_HANG_ON=TEXT: a prompt holding TEXT blocks the call for a minute;
- STANDIN_VLLM_DEVICE=cuda: the platform is a GPU's (default: cpu).

A completion prompt is answered "echo: PROMPT"; a chat "echo: " and its last message. Token
prompts (scoring) get prompt log-probabilities: -0.5 for every token, a token's own rank 1.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any

__version__ = "0.0-standin"

VARIABLES = ("VLLM_DP_RANK", "VLLM_DP_RANK_LOCAL", "VLLM_DP_SIZE", "VLLM_DP_MASTER_IP")
VARIABLES += ("VLLM_DP_MASTER_PORT", "CUDA_VISIBLE_DEVICES")


def _log(record: dict[str, Any]) -> None:
    folder = os.environ.get("STANDIN_VLLM_LOG")
    if folder:
        with open(os.path.join(folder, f"{os.getpid()}.jsonl"), "a", encoding="utf-8") as log:
            log.write(json.dumps({"pid": os.getpid(), **record}) + "\n")


class SamplingParams:
    __struct_fields__ = ("n", "temperature", "top_p", "seed", "stop", "max_tokens")
    __struct_fields__ += ("prompt_logprobs",)

    def __init__(self, **kwargs: Any) -> None:
        unknown = set(kwargs) - set(self.__struct_fields__)
        if unknown:
            raise TypeError(f"unexpected keyword arguments {sorted(unknown)}")
        self.kwargs = kwargs


@dataclass
class Logprob:
    logprob: float
    rank: int | None = 1
    decoded_token: str | None = None


@dataclass
class CompletionOutput:
    index: int
    text: str
    token_ids: list[int]
    finish_reason: str | None = "stop"


@dataclass
class RequestOutput:
    prompt: str | None
    prompt_token_ids: list[int]
    outputs: list[CompletionOutput]
    prompt_logprobs: list[dict[int, Logprob] | None] | None = None


@dataclass
class Tokenizer:
    bos_token_id: int = 0
    eos_token_id: int = 0
    words: list[str] = field(default_factory=lambda: ["<s>"])

    def encode(self, text: str) -> list[int]:
        ids = []
        for word in re.findall(r"\s*\S+|\s+", text):
            if word not in self.words:
                self.words.append(word)
            ids.append(self.words.index(word))
        return ids


class LLM:
    def __init__(self, **kwargs: Any) -> None:
        env = {name: os.environ[name] for name in VARIABLES if name in os.environ}
        _log({"event": "init", "env": env, "kwargs": kwargs})
        size = int(os.environ.get("VLLM_DP_SIZE", "1"))
        if os.environ.get("STANDIN_VLLM_DENSE") and size > 1:
            raise ValueError("Offline data parallel mode is not supported/useful for dense models.")
        failing = os.environ.get("STANDIN_VLLM_FAIL_RANK")
        if failing is not None and os.environ.get("VLLM_DP_RANK") == failing:
            raise RuntimeError(f"CUDA out of memory on rank {failing}")
        self.kwargs = kwargs
        self.tokenizer = Tokenizer()

    def get_tokenizer(self) -> Tokenizer:
        return self.tokenizer

    def chat(
        self, messages: list[list[dict[str, str]]], params: SamplingParams, use_tqdm: bool = True
    ) -> list[RequestOutput]:
        prompts = [conversation[-1]["content"] for conversation in messages]
        _log({"event": "chat", "prompts": prompts})
        return [self._answer(prompt) for prompt in prompts]

    def generate(
        self, prompts: list[Any], params: SamplingParams, use_tqdm: bool = True
    ) -> list[RequestOutput]:
        tokens = [p for p in prompts if isinstance(p, dict)]
        if tokens:
            texts = [
                "".join(self.tokenizer.words[i] for i in p["prompt_token_ids"]) for p in tokens
            ]
            _log({"event": "score", "prompts": texts})
            self._check(texts)
            return [self._logprobs(p["prompt_token_ids"]) for p in tokens]
        _log({"event": "generate", "prompts": prompts, "params": params.kwargs})
        return [self._answer(prompt) for prompt in prompts]

    def _check(self, prompts: list[str]) -> None:
        die, hang = os.environ.get("STANDIN_VLLM_DIE_ON"), os.environ.get("STANDIN_VLLM_HANG_ON")
        if die and any(die in p for p in prompts):
            os._exit(3)
        if hang and any(hang in p for p in prompts):
            time.sleep(60)

    def _answer(self, prompt: str) -> RequestOutput:
        self._check([prompt])
        text = f"echo: {prompt}"
        return RequestOutput(prompt, [1, 2], [CompletionOutput(0, text, [3, 4])])

    def _logprobs(self, ids: list[int]) -> RequestOutput:
        logprobs: list[dict[int, Logprob] | None] = [None]
        logprobs += [{token: Logprob(-0.5)} for token in ids[1:]]
        return RequestOutput(None, list(ids), [CompletionOutput(0, "x", [5])], logprobs)
