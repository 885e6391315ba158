"""`openai:<model>`: any OpenAI-compatible API (OpenAI, vLLM, llama.cpp, Ollama, TGI, SGLang...).

One bounded pool for the whole run: every request of every task and language is eligible at
once, `--concurrency` of them in flight. Several `--base-url` values spread requests over
replicas of the same model; each is checked when the backend is made (harness.backends.urls),
and credentials in one are sent as a Basic Authorization header, never recorded.

An attempt has one deadline, `--timeout`, over the whole exchange: connecting, sending, waiting
and reading every byte of the reply. Past it the attempt is abandoned and its connection
closed, which tells vLLM and llama-server to stop generating it. Then, by how it failed:

- tried again, with exponential backoff and jitter, up to `--max-attempts`: 408, 409, 425,
  429 (after what Retry-After asks), 5xx, a refused or dropped connection, a host name that
  does not resolve (DNS), a malformed reply (not JSON, no choices, a content that is null or
  not text: never taken for an empty answer);
- a timeout: tried once more at most (MAX_TIMEOUTS): a reply slower than the deadline is as
  slow the next time;
- not tried again, and its error starts with NOT_RETRIED: what another try cannot fix, above
  all 400, 401, 403, 404, 413 and 422 (the server refuses the request as sent: a prompt longer
  than the context, a wrong key, no such model); the error says which and why;

and a request that still fails becomes a Response with `error` set, never an exception.

Every reply is bounded before anything else sees it. Its body is read up to a limit (a reply
far longer than its max_tokens allow, from a server that ignores them, is not read: NOT_RETRIED),
and each text in it (answer, reasoning) is cut at the reply cap: 16 characters per token of the
request's max_tokens plus 4,096 (`-M max_reply_chars=N` sets it); a reply cut there is marked
finish_reason "length", as one cut by the token limit, and counted in the backend's notes. A
usage that is not counts of tokens is ignored (zero) and counted in the notes as well.

A log-likelihood request (harness.records) is one POST to `/completions`, whatever the prompt
format: its context + continuation texts as a list of prompts (each distinct text once), with
`echo: true`, `max_tokens: 0`, `logprobs: 1` and temperature 0 (and its extra body; no other
generation parameter); the scores are read from the echoed prompt log-probabilities
(harness.backends.logprobs). It is retried, timed out, rate-limited and scrubbed of secrets as
a generation is. A server that returns no prompt log-probabilities (llama-server, which ignores
`echo`; a chat-only model; an API without this completions endpoint: 404) makes its requests
fail at once with a one-line NOT_RETRIED error naming the endpoint.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import socket
import ssl
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import lru_cache
from http import HTTPStatus
from typing import Any

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import harness
from harness.backends import NOT_RETRIED
from harness.backends.environment import Route, route
from harness.backends.logprobs import Unscorable, scores, scoring_prompts
from harness.backends.options import CLIENT_ARGS, BackendOptions
from harness.backends.ratelimit import RateLimits
from harness.backends.secrets import public_url, restored, secret_values
from harness.backends.urls import Endpoint, endpoint
from harness.errors import PolyevalError
from harness.reasoning import split_reasoning
from harness.records import Completion, Request, Response, Usage
from harness.wording import counted

_ENDPOINTS = {False: "/chat/completions", True: "/completions"}
DEFAULT_URL = "https://api.openai.com/v1"
RETRIED_STATUS = frozenset({408, 409, 425, 429}) | frozenset(range(500, 600))
# what a status another try cannot fix means (other 4xx: "a client error")
REFUSED_STATUS = {
    400: "the server rejects the request as sent (a prompt longer than the model's context, "
    "a parameter it does not take)",
    401: "the API key is missing or wrong (the variable --api-key-env names)",
    403: "the key may not use this model or endpoint",
    404: "no such model or endpoint at this URL (check --base-url and the model name)",
    413: "the request is larger than the server accepts",
    422: "the server cannot process the request's parameters",
}
MAX_TIMEOUTS = 2  # attempts of one request that may run out of --timeout
REPLY_CHARS_PER_TOKEN = 16
REPLY_SLACK_CHARS = 4_096
UNSET_MAX_TOKENS = 32_768  # the reply cap's basis for a request that sets no max_tokens
BODY_BYTES_PER_CHAR = 128  # JSON escapes, both texts of a choice, log-probabilities...
MIN_BODY_BYTES = 1 << 20
ERROR_BODY_BYTES = 64 << 10  # what is read of an error reply
MAX_USAGE = 1 << 40
SCORING_BYTES_PER_CHAR = 512  # an echoed prompt's log-probabilities: up to a token per byte
NO_COMPLETIONS_STATUS = frozenset({404, 405})  # no completions endpoint (or model) there


class _Retry(Exception):
    """An attempt failed in a way worth another try."""

    def __init__(self, reason: str, wait_s: float | None = None) -> None:
        super().__init__(reason)
        self.wait_s = wait_s


class _Timeout(_Retry):
    """An attempt ran out of --timeout."""


class _Fatal(Exception):
    """An attempt failed in a way another try will not fix (a 400, a bad key)."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(f"{NOT_RETRIED}: {reason}")
        self.reason = reason
        self.status = status  # the HTTP status that said so, if one did


@dataclass(frozen=True)
class _Way:
    """What every request to one endpoint carries, worked out once: the endpoint, its URLs
    (chat, completions), its route and its headers (with the Authorization header where one
    is sent: the credentials of the URL, the key, .netrc)."""

    endpoint: Endpoint
    urls: dict[bool, URL]  # a completion (or scoring) request? -> where it goes
    route: Route
    headers: CIMultiDictProxy[str] = field(repr=False)

    @classmethod
    def of(cls, target: Endpoint, via: Route, key: str | None) -> _Way:
        headers = CIMultiDict({"Content-Type": "application/json"})
        authorization = target.authorization or (
            f"Bearer {key}" if key is not None else via.netrc_authorization
        )
        if authorization is not None:
            headers["Authorization"] = authorization
        urls = {completion: target.target(path) for completion, path in _ENDPOINTS.items()}
        return cls(target, urls, via, CIMultiDictProxy(headers))


def create(name: str, options: BackendOptions) -> OpenAIBackend:
    return OpenAIBackend(name, options)


class OpenAIBackend:
    def __init__(
        self, model: str, options: BackendOptions, identity: dict[str, Any] | None = None
    ) -> None:
        args = options.take(CLIENT_ARGS, "openai")
        self.model = model
        self.options = options
        self.backoff_base = float(str(args.get("backoff_base", 1.0)))
        self.backoff_max = float(str(args.get("backoff_max", 60.0)))
        reply_chars = args.get("max_reply_chars")
        if reply_chars is not None and int(str(reply_chars)) < 1:
            raise PolyevalError("-M max_reply_chars takes a positive number of characters")
        self.max_reply_chars = None if reply_chars is None else int(str(reply_chars))
        self._endpoints = [endpoint(url) for url in options.base_urls or (DEFAULT_URL,)]
        self._key = os.environ.get(options.api_key_env) or None
        if self._key is None and not options.base_urls:
            raise PolyevalError(
                f"no API key: set {options.api_key_env} (or name another variable with "
                "--api-key-env), or pass --base-url for a local server"
            )
        self._identity = identity or {
            "kind": "openai",
            "model": model,
            "revision": None,
            "base_url": ",".join(sorted(e.public for e in self._endpoints)),
        }
        # proxies and .netrc credentials from the environment, worked out once per endpoint
        self._routes: dict[Endpoint, Route] = {e: route(e.url) for e in self._endpoints}
        self._ways = [_Way.of(e, self._routes[e], self._key) for e in self._endpoints]
        secrets = [self._key or "", *secret_values(options.secret_generation)]
        secrets += [s for e in self._endpoints for s in e.secrets]
        secrets += [s for r in self._routes.values() for s in r.secrets]
        # longest first, so that a secret holding another is replaced whole
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self._limits = RateLimits(options.requests_per_minute, options.tokens_per_minute)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._capped = 0
        self._bad_usage = 0
        self._first_bad_usage = ""

    def identity(self) -> dict[str, Any]:
        return dict(self._identity)

    def cache_salt(self, request: Request) -> str:
        return ""

    def notes(self) -> list[str]:
        """What the run should know about the replies: those cut at the reply cap, usages
        ignored."""
        found = []
        if self._capped:
            cap = (
                f"{self.max_reply_chars:,} characters (-M max_reply_chars)"
                if self.max_reply_chars
                else f"{REPLY_CHARS_PER_TOKEN} characters per token of max_tokens + "
                f"{REPLY_SLACK_CHARS:,} (-M max_reply_chars sets another)"
            )
            found.append(
                f"{self._capped} replies were longer than the reply cap, {cap}: cut there "
                "and marked finish_reason 'length'"
            )
        if self._bad_usage:
            found.append(
                f"{self._bad_usage} replies had a usage that is not counts of tokens "
                f"(first: {self._first_bad_usage}): ignored, counted as 0"
            )
        return found

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        pool = asyncio.Semaphore(self.options.concurrency)
        session = self._session_for_loop()

        async def one(index: int) -> tuple[int, Response]:
            async with pool:
                return index, await self._answer(session, requests[index], index)

        tasks = [asyncio.create_task(one(i)) for i in range(len(requests))]
        try:
            for finished in asyncio.as_completed(tasks):
                yield await finished
        finally:
            for task in tasks:
                task.cancel()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _session_for_loop(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0)  # the pool above bounds what is in flight
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None),  # the attempt's own deadline rules
                trust_env=False,  # the environment's routes are the backend's (_routes)
                headers={"User-Agent": f"polyeval/{harness.__version__}"},
            )
            self._loop = loop
        return self._session

    async def _answer(
        self, session: aiohttp.ClientSession, request: Request, index: int
    ) -> Response:
        if request.loglikelihood and not request.context:
            error = "a log-likelihood request needs a context (its prompt is empty)"
            return Response(text="", error=f"{NOT_RETRIED}: {error}")
        reason, attempts, timeouts = "no attempt", 0, 0
        for attempt in range(self.options.max_attempts):
            way = self._ways[(index + attempt) % len(self._ways)]
            if self._limits.active:
                await self._limits.admit(_estimate_tokens(request))
            attempts += 1
            started = time.monotonic()
            try:
                return await self._attempt(session, way, request, started)
            except _Fatal as exc:
                return Response(text="", error=self._scrub(str(exc)))
            except _Timeout as exc:
                reason, timeouts = str(exc), timeouts + 1
                if timeouts >= MAX_TIMEOUTS:
                    break
                wait = self._backoff(attempt, None)
            except _Retry as exc:
                reason, wait = str(exc), self._backoff(attempt, exc.wait_s)
            if attempt + 1 < self.options.max_attempts:
                await asyncio.sleep(wait)
        timed_out = (
            f", {timeouts} of them timed out (raise --timeout for answers that take longer)"
            if timeouts
            else ""
        )
        return Response(
            text="",
            error=self._scrub(f"failed after {counted(attempts, 'attempt')}{timed_out}: {reason}"),
        )

    async def _attempt(
        self, session: aiohttp.ClientSession, way: _Way, request: Request, started: float
    ) -> Response:
        target = way.endpoint
        completion = request.prompt is not None
        # a log-likelihood request: the texts it sends, and which one each continuation is
        prompts, indices = scoring_prompts(request) if request.loglikelihood else ([], [])
        if prompts:
            body = self._scoring_body(request, prompts)
            cap = 0
            limit = max(MIN_BODY_BYTES, SCORING_BYTES_PER_CHAR * sum(map(len, prompts)))
        else:
            body = self._body(request)
            cap = self._reply_cap(body)
            limit = max(MIN_BODY_BYTES, BODY_BYTES_PER_CHAR * cap * _choices(body))
        url = way.urls[completion or bool(prompts)]
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        host = f"{target.url.host}:{target.url.port}"
        try:
            async with asyncio.timeout(self.options.timeout_s):
                raw = await self._exchange(session, way, url, data, limit, host)
        except _Fatal as exc:
            if prompts and exc.status in NO_COMPLETIONS_STATUS:
                raise _Fatal(self._no_prompt_logprobs(target, exc.reason)) from None
            raise
        except TimeoutError:
            raise _Timeout(
                f"timed out: no complete reply within {self.options.timeout_s:g} s (--timeout); "
                "the attempt was abandoned and its connection closed"
            ) from None
        except aiohttp.ClientConnectorCertificateError as exc:
            raise _Fatal(f"the TLS certificate of {host} is not trusted: {_cause(exc)}") from None
        except aiohttp.ClientConnectorError as exc:
            raise _Retry(_connect_failure(exc, target)) from None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as exc:
            raise _Retry(
                f"connection dropped by {host} before the reply was complete ({_cause(exc)})"
            ) from None
        except (aiohttp.ClientError, ssl.SSLError, OSError) as exc:
            raise _Retry(f"connection to {host} failed: {_cause(exc)}") from None
        try:
            if prompts:
                return self._scores(raw, target, prompts, indices, request.context, started)
            return self._response(raw, completion, cap, time.monotonic() - started)
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
            raise _Retry(f"malformed reply: {_cause(exc)}") from None

    async def _exchange(
        self,
        session: aiohttp.ClientSession,
        way: _Way,
        url: URL,
        data: bytes,
        limit: int,
        host: str,
    ) -> Any:
        """The reply's JSON; _Retry or _Fatal for an HTTP error or a reply that is not JSON."""
        async with session.post(
            url,
            data=data,
            headers=way.headers,
            allow_redirects=False,
            proxy=way.route.proxy,
            proxy_auth=way.route.proxy_auth,
        ) as reply:
            if not 200 <= reply.status < 300:
                said = await _read(reply, ERROR_BODY_BYTES, truncate=True) or b""
                raise _status_error(reply.status, said.decode("utf-8", "replace"), reply.headers)
            body = await _read(reply, limit)
        if body is None:
            raise _Fatal(
                f"the reply from {host} is larger than {limit / 2**20:.1f} MB, the most a reply "
                "within the reply cap can take (a server that ignores max_tokens?): not read; "
                "-M max_reply_chars=N raises the cap"
            )
        try:
            return json.loads(body)
        except ValueError as exc:
            raise _Retry(f"malformed reply: not JSON ({_cause(exc)})") from None

    def _body(self, request: Request) -> dict[str, Any]:
        """The JSON body as the API defines it, with the secrets the request carries masked
        given back; extra body keys and unknown generation keys go in as they are (the server
        decides what it accepts)."""
        generation = self._generation(request)
        body: dict[str, Any] = {"model": self.model}
        if request.prompt is not None:
            body["prompt"] = request.prompt
        else:
            body["messages"] = [_message(m.role, m.content) for m in request.messages]
        extra = generation.pop("extra_body", None) or {}
        return body | generation | extra

    def _scoring_body(self, request: Request, prompts: list[str]) -> dict[str, Any]:
        """A log-likelihood request's body: its prompts echoed with their log-probabilities and
        nothing generated; its extra body goes in, no other generation parameter does."""
        extra = self._generation(request).get("extra_body") or {}
        asked = {"prompt": prompts, "max_tokens": 0, "echo": True, "logprobs": 1, "temperature": 0}
        return {"model": self.model} | extra | asked

    def _generation(self, request: Request) -> dict[str, Any]:
        """The request's generation parameters with their masked secrets given back."""
        generation = dict(request.generation)
        if self.options.secret_generation:
            generation = restored(generation, self.options.secret_generation)
        return generation

    def _completions(self, target: Endpoint) -> str:
        """The completions endpoint of a base URL as it may be shown, with the kind of server
        where the backend runs it (llama-server at http://127.0.0.1:PORT/v1/completions)."""
        url = public_url(str(target.target("/completions")))
        kind = self._identity.get("kind")
        return url if kind in (None, "openai") else f"{kind} at {url}"

    def _no_prompt_logprobs(self, target: Endpoint, why: str) -> str:
        """The one-line error of a log-likelihood request sent where no prompt
        log-probabilities come back."""
        return (
            f"{self._completions(target)} returns no prompt log-probabilities (echo + logprobs): "
            f"{why}; log-likelihood needs a completions endpoint that does (vllm serve)"
        )

    def _reply_cap(self, body: dict[str, Any]) -> int:
        """The most characters a text of the reply may have."""
        if self.max_reply_chars is not None:
            return self.max_reply_chars
        stated = [body.get("max_tokens"), body.get("max_completion_tokens")]
        counts = [int(v) for v in stated if isinstance(v, int) and not isinstance(v, bool)]
        tokens = max(counts) if counts and max(counts) > 0 else UNSET_MAX_TOKENS
        return REPLY_CHARS_PER_TOKEN * tokens + REPLY_SLACK_CHARS

    def _response(self, raw: Any, completion: bool, cap: int, latency: float) -> Response:
        """A Response from the reply's JSON: the first choice, and the others as further
        completions (n > 1); a reply without what it must have raises _Retry."""
        found = _choices_of(raw)
        choices = [self._completion(c, i, completion, cap) for i, c in enumerate(found)]
        first = choices[0]
        return Response(
            text=first.text,
            finish_reason=first.finish_reason,
            reasoning=first.reasoning,
            usage=self._usage(raw.get("usage")),
            latency_s=latency,
            alternatives=tuple(choices[1:]),
        )

    def _scores(
        self,
        raw: Any,
        target: Endpoint,
        prompts: list[str],
        indices: list[int],
        context: str,
        started: float,
    ) -> Response:
        """A log-likelihood request's answer from the reply's JSON: _Fatal where the server
        returns no prompt log-probabilities, _Retry where the reply is malformed."""
        found = _choices_of(raw)
        try:
            scored = scores(found, prompts, indices, context)
        except Unscorable as exc:
            if not exc.located:
                where = self._completions(target)
                raise _Fatal(
                    f"cannot find the continuation among the tokens {where} returns: {exc}"
                ) from None
            raise _Fatal(self._no_prompt_logprobs(target, str(exc))) from None
        return Response(
            text="",
            finish_reason="stop",
            usage=self._usage(raw.get("usage")),
            latency_s=time.monotonic() - started,
            scores=scored,
        )

    def _completion(self, choice: Any, index: int, completion: bool, cap: int) -> Completion:
        """One choice: its answer, with the reasoning (a field, or <think> blocks) apart, each
        bounded by the reply cap."""
        if not isinstance(choice, dict):
            raise _Retry(f"malformed reply: choices[{index}] is not an object")
        finish = choice.get("finish_reason")
        finish = finish if isinstance(finish, str) else None
        content, given = _content(choice, index, completion, finish)
        content, cut = self._bounded(content, cap)
        if given is not None:
            given, cut_reasoning = self._bounded(given, cap)
            cut = cut or cut_reasoning
        if cut:
            self._capped += 1
            finish = "length"
        thought, answer = split_reasoning(content)
        reasoning = "\n\n".join(p for p in (given, thought) if p) or None
        return Completion(answer, reasoning, finish)

    def _bounded(self, text: str, cap: int) -> tuple[str, bool]:
        """The text cut at the reply cap (and whether it was). Lone surrogates are kept: the
        cache stores them escaped, the run records them as U+FFFD (harness.generation.runner)."""
        cut = len(text) > cap
        return (text[:cap], True) if cut else (text, False)

    def _usage(self, usage: Any) -> Usage:
        """The reply's token counts; a usage that is not counts of tokens is ignored (zero)
        and noted."""
        if usage is None:
            return Usage()
        if not isinstance(usage, dict):
            return self._ignored_usage(f"usage={_short(usage)}")
        counts: dict[str, int] = {}
        for name in ("prompt_tokens", "completion_tokens"):
            count = _token_count(usage.get(name))
            if count is None:
                return self._ignored_usage(f"usage.{name}={_short(usage.get(name))}")
            counts[name] = count
        return Usage(**counts)

    def _ignored_usage(self, what: str) -> Usage:
        self._bad_usage += 1
        self._first_bad_usage = self._first_bad_usage or what
        return Usage()

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.backoff_max)
        ceiling = min(self.backoff_max, self.backoff_base * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


async def _read(reply: aiohttp.ClientResponse, limit: int, truncate: bool = False) -> bytes | None:
    """The body, read up to `limit` bytes: past it None, or (with `truncate`) its first bytes."""
    declared = reply.content_length
    if declared is not None and declared > limit and not truncate:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in reply.content.iter_any():
        size += len(chunk)
        if size > limit:
            if truncate:
                chunks.append(chunk[: len(chunk) - (size - limit)])
                break
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _choices_of(raw: Any) -> list[Any]:
    """The reply's choices; _Retry where it has none."""
    if not isinstance(raw, dict):
        raise _Retry(f"malformed reply: a JSON {type(raw).__name__}, not an object")
    found = raw.get("choices")
    if not isinstance(found, list) or not found:
        error = raw.get("error")
        said = f" (error: {_message_of(error)})" if error else ""
        raise _Retry(f"malformed reply: no choices{said}")
    return found


def _status_error(status: int, text: str, headers: Any) -> Exception:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "unknown status"
    said = _server_message(text)
    message = f"HTTP {status} ({phrase})" + (f": {said}" if said else "")
    if status in RETRIED_STATUS:
        wait = _retry_after(headers) if status in (429, 503) else None
        return _Retry(message, wait)
    if 300 <= status < 400:
        where = headers.get("Location")
        to = f" to {where}" if where else ""
        return _Fatal(f"{message}: redirected{to}; give the final URL as --base-url", status)
    why = REFUSED_STATUS.get(status, "a client error that another try will not fix")
    return _Fatal(f"HTTP {status} ({phrase}): {why}" + (f": {said}" if said else ""), status)


def _server_message(text: str) -> str:
    """What an error reply says: its JSON's message where it has one, else its first line."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("error", "message", "detail"):
            if data.get(key):
                return _message_of(data[key])
    lines = text.strip().splitlines()
    return lines[0][:300] if lines else ""


def _message_of(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("message") or value.get("msg") or value.get("detail") or value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    lines = text.strip().splitlines()
    return lines[0][:300] if lines else ""


def _connect_failure(exc: aiohttp.ClientConnectorError, target: Endpoint) -> str:
    host, port = target.url.host, target.url.port
    cause = exc.os_error
    if isinstance(cause, socket.gaierror) or isinstance(
        exc, getattr(aiohttp, "ClientConnectorDNSError", ())
    ):
        return f"cannot resolve host '{host}' (DNS): {cause.strerror or cause}"
    if isinstance(cause, ConnectionRefusedError):
        return f"connection refused by {host}:{port} (no server listening there?)"
    return f"cannot connect to {host}:{port}: {cause.strerror or cause}"


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
        seconds = float(value)
        return max(0.0, seconds) if math.isfinite(seconds) else None
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _cause(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _token_count(value: Any) -> int | None:
    """A count of tokens as a usage gives it (absent: 0); None for anything else ("many",
    NaN, 1e400, -7, 2.5, a number too large to be one)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    return int(value) if 0 <= value <= MAX_USAGE else None


def _short(value: Any) -> str:
    return repr(value)[:40]


def _choices(body: dict[str, Any]) -> int:
    n = body.get("n")
    return n if isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 1024 else 1


def _content(
    choice: dict[str, Any], index: int, completion: bool, finish: str | None
) -> tuple[str, str | None]:
    """A choice's text and its reasoning field; _Retry where the text is not text (null, a
    number, an object): never taken for an empty answer."""
    message: Any = {}
    if completion:
        content, where = choice.get("text"), f"choices[{index}].text"
    else:
        message = choice.get("message")
        if not isinstance(message, dict):
            raise _Retry(f"malformed reply: choices[{index}] has no message")
        content, where = message.get("content"), f"choices[{index}].message.content"
    given = _reasoning_field(message)
    refusal = message.get("refusal")
    if content is None and isinstance(refusal, str) and refusal.strip():
        content = refusal  # the model declined: what it said is its answer
    elif content is None and given and finish == "length":
        content = ""  # cut by the token limit while thinking: no answer, rightly so
    if not isinstance(content, str):
        kind = "null" if content is None else f"a JSON {type(content).__name__}"
        raise _Retry(f"malformed reply: {where} is {kind}, not text")
    return content, given


def _reasoning_field(message: dict[str, Any]) -> str | None:
    """`reasoning_content` (vLLM, DeepSeek) or `reasoning` (some servers), when present."""
    for name in ("reasoning_content", "reasoning"):
        value = message.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


@lru_cache(maxsize=4096)
def _message(role: str, content: str) -> dict[str, str]:
    """A chat turn as the API takes it; those many requests share (a language's few-shot
    turns) made once (json.dumps only reads them)."""
    return {"role": role, "content": content}


def _estimate_tokens(request: Request) -> float:
    """A rough count for the tokens-per-minute limit: 4 characters a token, plus the reply."""
    if request.loglikelihood:
        return sum(len(request.context + c) for c in request.continuations) / 4
    text = request.prompt or "".join(m.content for m in request.messages)
    return len(text) / 4 + float(request.generation.get("max_tokens") or 256)
