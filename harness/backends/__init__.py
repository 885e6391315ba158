"""Model backends behind one async protocol.

`--model KIND:NAME` picks a backend: `baseline:random`, `openai:<model>`, `vllm:<model>`,
`vllm-server:<model>`, `llama-server:<file.gguf>`.
Backends are imported only when used, so that `evaluate --help` stays instant.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from harness.backends.options import BackendOptions
from harness.errors import PolyevalError
from harness.records import Request, Response

NOT_RETRIED = "not retried"
"""How the error of a request begins when asking again cannot fix it (a 400, a wrong key)."""


def will_fail_again(error: str | None) -> bool:
    """Whether a request's error is one that a rerun, as it stands, would get again."""
    return error is not None and error.startswith(f"{NOT_RETRIED}:")


def not_scored(model: str) -> Response:
    """The answer of a log-likelihood request sent to a backend that cannot score one."""
    return Response(text="", error=f"{NOT_RETRIED}: {model} does not score log-likelihood requests")


# kind -> "module:factory"; the factory takes (name, BackendOptions) and returns a Backend
BACKENDS: dict[str, str] = {
    "baseline": "harness.backends.baseline:create",
    "openai": "harness.backends.openai_api:create",
    "openai-batch": "harness.backends.openai_batch:create",
    "vllm": "harness.backends.vllm_engine:create",
    "vllm-server": "harness.backends.vllm_server:create",
    "llama-server": "harness.backends.llama_server:create",
}


class Backend(Protocol):
    def identity(self) -> dict[str, Any]:
        """What determines the answers (kind, model, revision, endpoint); part of the cache
        key. Holds no secret."""
        ...

    def cache_salt(self, request: Request) -> str:
        """Anything besides identity, generation parameters and prompt that decides the
        answer; "" for real models."""
        ...

    def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        """Answer every request, yielding (index into `requests`, response) as each arrives:
        a reply to a generation, the scores of a log-likelihood request (one per continuation).
        A request that fails yields a Response with `error` set; it does not raise."""
        ...

    async def aclose(self) -> None: ...


def create_backend(model: str, options: BackendOptions | None = None) -> Backend:
    kind, sep, name = model.partition(":")
    if not sep or not name:
        raise PolyevalError(f"model '{model}' must look like KIND:NAME, e.g. baseline:random")
    target = BACKENDS.get(kind)
    if target is None:
        known = ", ".join(f"{k}:" for k in BACKENDS)
        raise PolyevalError(f"unknown model kind '{kind}' in '{model}'; known kinds: {known}")
    module_name, factory = target.split(":")
    module = importlib.import_module(module_name)
    backend: Backend = getattr(module, factory)(name, options or BackendOptions())
    return backend
