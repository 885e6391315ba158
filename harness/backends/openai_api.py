"""`openai:<model>`: any OpenAI-compatible API (OpenAI, vLLM, llama.cpp, Ollama, TGI, SGLang...).

One bounded pool for the whole run: every request of every task and language is eligible at
once, `--concurrency` of them in flight. Faults are retried with exponential backoff and
jitter (429 honouring Retry-After, 5xx, timeouts, dropped connections, malformed replies) up to
`--max-attempts`; a request that still fails becomes a Response with `error` set, never an
exception. Several `--base-url` values spread requests over replicas of the same model.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import AsyncIterator, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

import openai
from openai import AsyncOpenAI, DefaultAioHttpClient
from openai._types import RequestOptions

from harness.backends.options import BackendOptions
from harness.backends.ratelimit import RateLimits
from harness.errors import PolyevalError
from harness.reasoning import split_reasoning
from harness.records import Completion, Request, Response, Usage

# The body is built here and posted through the client's own `post`, and the reply is read as
# plain JSON: the typed `create()` and its response models cost about 1.5 ms of CPU a request,
# more than everything else the harness does with it.
_ENDPOINTS = {False: "/chat/completions", True: "/completions"}
# newer clients add the bearer token only to requests that ask for it
_OPTIONS: Any = (
    {"security": {"bearer_auth": True}} if "security" in RequestOptions.__annotations__ else {}
)
RETRIED_STATUS = frozenset({408, 409, 425, 429}) | frozenset(range(500, 600))
DEFAULT_URL = "https://api.openai.com/v1"


class _Retry(Exception):
    """An attempt failed in a way worth another try."""

    def __init__(self, reason: str, wait_s: float | None = None) -> None:
        super().__init__(reason)
        self.wait_s = wait_s


class _Fatal(Exception):
    """An attempt failed in a way another try will not fix (a 400, a bad key)."""


def create(name: str, options: BackendOptions) -> OpenAIBackend:
    return OpenAIBackend(name, options)


class OpenAIBackend:
    def __init__(
        self, model: str, options: BackendOptions, identity: dict[str, Any] | None = None
    ) -> None:
        args = options.take({"backoff_base": float, "backoff_max": float}, "openai")
        self.model = model
        self.options = options
        self.backoff_base = float(str(args.get("backoff_base", 1.0)))
        self.backoff_max = float(str(args.get("backoff_max", 60.0)))
        self._key = os.environ.get(options.api_key_env) or None
        if self._key is None and not options.base_urls:
            raise PolyevalError(
                f"no API key: set {options.api_key_env} (or name another variable with "
                "--api-key-env), or pass --base-url for a local server"
            )
        urls = options.base_urls or (DEFAULT_URL,)
        self._clients = [
            AsyncOpenAI(
                api_key=self._key or "EMPTY",
                base_url=url,
                max_retries=0,
                timeout=options.timeout_s,
                http_client=DefaultAioHttpClient(timeout=options.timeout_s),
            )
            for url in urls
        ]
        self._identity = identity or {
            "kind": "openai",
            "model": model,
            "revision": None,
            "base_url": ",".join(sorted(urls)),
        }
        self._limits = RateLimits(options.requests_per_minute, options.tokens_per_minute)

    def identity(self) -> dict[str, Any]:
        return dict(self._identity)

    def cache_salt(self, request: Request) -> str:
        return ""

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        pool = asyncio.Semaphore(self.options.concurrency)

        async def one(index: int) -> tuple[int, Response]:
            async with pool:
                return index, await self._answer(requests[index], index)

        tasks = [asyncio.create_task(one(i)) for i in range(len(requests))]
        try:
            for finished in asyncio.as_completed(tasks):
                yield await finished
        finally:
            for task in tasks:
                task.cancel()

    async def aclose(self) -> None:
        for client in self._clients:
            await client.close()

    async def _answer(self, request: Request, index: int) -> Response:
        reason = "no attempt"
        for attempt in range(self.options.max_attempts):
            client = self._clients[(index + attempt) % len(self._clients)]
            await self._limits.admit(_estimate_tokens(request))
            started = time.monotonic()
            try:
                return await self._attempt(client, request, started)
            except _Fatal as exc:
                return Response(text="", error=self._scrub(str(exc)))
            except _Retry as exc:
                reason = str(exc)
                if attempt + 1 < self.options.max_attempts:
                    await asyncio.sleep(self._backoff(attempt, exc.wait_s))
        return Response(
            text="",
            error=self._scrub(f"failed after {self.options.max_attempts} attempts: {reason}"),
        )

    async def _attempt(self, client: AsyncOpenAI, request: Request, started: float) -> Response:
        path = _ENDPOINTS[request.prompt is not None]
        try:
            raw: Any = await client.post(
                path, cast_to=object, body=_body(self.model, request), options=_OPTIONS
            )
        except openai.APIStatusError as exc:
            raise _classify(exc) from None
        except openai.APITimeoutError:
            raise _Retry(f"timed out after {self.options.timeout_s:g} s") from None
        except openai.APIConnectionError as exc:
            raise _Retry(f"connection failed: {_cause(exc)}") from None
        except (openai.APIResponseValidationError, ValueError) as exc:
            raise _Retry(f"malformed response: {_cause(exc)}") from None
        try:
            return _response(raw, request.prompt is not None, time.monotonic() - started)
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise _Retry(f"malformed response: no {exc}") from None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.backoff_max)
        ceiling = min(self.backoff_max, self.backoff_base * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text


def _body(model: str, request: Request) -> dict[str, Any]:
    """The JSON body as the API defines it; extra body keys and unknown generation keys go in
    as they are (the server decides what it accepts)."""
    body: dict[str, Any] = {"model": model}
    if request.prompt is not None:
        body["prompt"] = request.prompt
    else:
        body["messages"] = [{"role": m.role, "content": m.content} for m in request.messages]
    generation = dict(request.generation)
    extra = generation.pop("extra_body", None) or {}
    return body | generation | extra


def _classify(exc: openai.APIStatusError) -> Exception:
    status = exc.status_code
    message = f"HTTP {status}: {_cause(exc)}"
    if status not in RETRIED_STATUS:
        return _Fatal(message)
    return _Retry(message, _retry_after(exc.response.headers) if status == 429 else None)


def _retry_after(headers: Any) -> float | None:
    """Seconds from `retry-after-ms`, or `Retry-After` as seconds or an HTTP date."""
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _cause(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _response(raw: dict[str, Any], completion: bool, latency: float) -> Response:
    """A Response from the reply's JSON: the first choice, and the others as further
    completions (n > 1); a reply missing what it must have raises KeyError, IndexError or
    TypeError."""
    choices = [_completion(choice, completion) for choice in raw["choices"]]
    first = choices[0]
    usage = raw.get("usage") or {}
    return Response(
        text=first.text,
        finish_reason=first.finish_reason,
        reasoning=first.reasoning,
        usage=Usage(
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        ),
        latency_s=latency,
        alternatives=tuple(choices[1:]),
    )


def _completion(choice: dict[str, Any], completion: bool) -> Completion:
    """One choice: its answer, with the reasoning (a field, or <think> blocks) apart."""
    message = {} if completion else choice["message"]
    content = (choice["text"] if completion else message.get("content")) or ""
    given = _reasoning_field(message)
    thought, answer = split_reasoning(content)
    reasoning = "\n\n".join(p for p in (given, thought) if p) or None
    return Completion(answer, reasoning, choice.get("finish_reason"))


def _reasoning_field(message: dict[str, Any]) -> str | None:
    """`reasoning_content` (vLLM, DeepSeek) or `reasoning` (some servers), when present."""
    for name in ("reasoning_content", "reasoning"):
        value = message.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _estimate_tokens(request: Request) -> float:
    """A rough count for the tokens-per-minute limit: 4 characters a token, plus the reply."""
    text = request.prompt or "".join(m.content for m in request.messages)
    return len(text) / 4 + float(request.generation.get("max_tokens") or 256)
