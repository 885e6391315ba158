"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks, with faults.

It answers /v1/chat/completions and /v1/completions (and /health, /v1/models) after a set
latency. Faults are planned per prompt and attempt from a seed, so a run is reproducible: an
attempt may get a 429 with Retry-After, a 500, a reply slower than the client's timeout, a
dropped connection or malformed JSON, or any other status named by its number ("400", "404").
It records every request, so tests can check that nothing answered was asked again.

Hostile replies: `reshape` rewrites each reply's JSON (a null content, a usage of "many", 5 MB
of text) or gives the body as text; `stream_chunk` sends the body in chunks of that many bytes
without a Content-Length, `trickle_s` apart (one byte every 0.1 s: a body that never ends in
time), and `abandoned` counts the replies whose client went away before their end;
`basic_auth` asks for a Basic Authorization header, and `authorizations` records the header of
every request.

Log-likelihood: /v1/completions with `echo` and `logprobs` answers each prompt of its list with
the prompt echoed and its tokens' log-probabilities in the legacy format, as `vllm serve` does,
from a ToyModel (a documented toy tokenizer and a table of log-probabilities). Servers that
cannot: `prompt_logprobs=False` ignores `echo` and gives the generated token's log-probability
only, in the chat form's `content` list (as llama-server does); `chat_only=True` answers
/v1/completions with OpenAI's 404 for a chat model.

The Batch API: /v1/files (upload, content) and /v1/batches (create, retrieve, cancel), each
line of a batch answered as /v1/chat/completions or /v1/completions answers it. A batch moves
on only when it is retrieved: the n-th batch created ends at its `batch_polls[n]`-th retrieval
(the last entry for later batches), having answered a share of its lines at each retrieval
before. It ends `completed`, or with `batch_end="expired"` expired, the lines it had not
answered by then in its error file; a batch cancelled (POST .../cancel) is `cancelling` until
its next retrieval, then `cancelled` likewise. `batch_line_status` gives a line's reply another
status (its error in the error file), `batch_failure` fails each batch as a whole at its first
retrieval (input rejected), and `batch_faults` gives the next calls of an operation (upload,
create, retrieve, content, cancel) these HTTP statuses instead of their answer.

Run alone (the stand-in for `vllm serve` in tests): python tests/fake_server.py --port N
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

FAULTS = ("429", "500", "slow", "drop", "malformed")
BATCH_ENDPOINTS = ("/v1/chat/completions", "/v1/completions")
Responder = Callable[[dict[str, Any]], str]


def echo_responder(body: dict[str, Any]) -> str:
    """A reply that depends on the prompt only: 'Answer: <letter>' from its hash."""
    return f"Answer: {'ABCD'[int(prompt_key(body), 16) % 4]}"


def prompt_key(body: dict[str, Any]) -> str:
    blob = json.dumps([body.get("messages"), body.get("prompt")], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class FaultPlan:
    """Which attempts fail. `rate` of prompts fail their first `failures` attempts (kinds
    drawn from `kinds`); `always` of prompts fail every attempt with a 500."""

    rate: float = 0.0
    failures: int = 1
    kinds: tuple[str, ...] = FAULTS
    always: float = 0.0
    seed: int = 0

    def fault(self, key: str, attempt: int) -> str | None:
        draw = int(hashlib.sha256(f"{self.seed}:{key}".encode()).hexdigest()[:8], 16) / 2**32
        if draw < self.always:
            return "500"
        if draw < self.always + self.rate and attempt < self.failures:
            pick = hashlib.sha256(f"{self.seed}:{key}:{attempt}".encode()).digest()[0]
            return self.kinds[pick % len(self.kinds)]
        return None


@dataclass
class ToyModel:
    """Prompt log-probabilities a test can compute by hand.

    Tokens: left to right, the longest entry of `vocabulary` that the text goes on with, else
    one character; with `byte_pieces`, a character outside ASCII (and not in the vocabulary) is
    one token per UTF-8 byte, each rendered as a tokenizer renders part of a character (U+FFFD).
    With `bos`, a first token the text does not hold (vLLM renders Llama's `<|begin_of_text|>`).

    Log-probabilities: a token's is `logprobs[token]` (else `default_logprob`) wherever it
    stands, null for the first token. The most likely token at each position is the token
    itself when its log-probability is at least `top_logprob`, else `top_token` with
    `top_logprob`: top_logprobs (logprobs=1) holds the token and the top one.

    `text_offset` is counted as vLLM counts it: each token's offset is the sum of the lengths of
    the token texts before it (so a `bos` shifts every offset, and a byte piece counts one).
    """

    vocabulary: tuple[str, ...] = ("Answer", " B", " C", "xy")
    logprobs: dict[str, float] = field(default_factory=dict)
    default_logprob: float = -2.0
    top_token: str = "<top>"
    top_logprob: float = -0.5
    bos: str | None = None
    byte_pieces: bool = False

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = [self.bos] if self.bos is not None else []
        at = 0
        while at < len(text):
            word = max(
                (w for w in self.vocabulary if w and text.startswith(w, at)), key=len, default=""
            )
            if word:
                tokens.append(word)
                at += len(word)
            elif self.byte_pieces and not text[at].isascii():
                pieces = text[at].encode("utf-8")
                tokens += [bytes([b]).decode("utf-8", "replace") for b in pieces]
                at += 1
            else:
                tokens.append(text[at])
                at += 1
        return tokens

    def logprob(self, token: str) -> float:
        return self.logprobs.get(token, self.default_logprob)

    def echo(self, prompt: str, generated: list[str]) -> dict[str, Any]:
        """The legacy `logprobs` of the prompt (and any generated tokens after it)."""
        tokens = [*self.tokenize(prompt), *generated]
        offsets, logprobs, tops = [], [], []
        at = 0
        for i, token in enumerate(tokens):
            offsets.append(at)
            at += len(token)
            if i == 0:
                logprobs.append(None)
                tops.append(None)
                continue
            value = self.logprob(token)
            logprobs.append(value)
            best = (
                (token, value) if value >= self.top_logprob else (self.top_token, self.top_logprob)
            )
            tops.append({token: value, best[0]: best[1]})
        return {
            "tokens": tokens,
            "token_logprobs": logprobs,
            "top_logprobs": tops,
            "text_offset": offsets,
        }


@dataclass
class FakeBatch:
    """A batch of the fake Batch API, as it stands."""

    id: str
    input_file_id: str
    endpoint: str
    completion_window: str
    lines: list[dict[str, Any]]
    needed: int  # the retrieval at which it ends
    created_at: int
    polls: int = 0  # retrievals so far
    answered: int = 0  # lines answered so far (the first ones)
    status: str = "validating"
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    failed: int = 0  # lines whose reply is an error

    def view(self) -> dict[str, Any]:
        """The batch object as the API returns it."""
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "input_file_id": self.input_file_id,
            "completion_window": self.completion_window,
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": self.created_at,
            "errors": {"object": "list", "data": self.errors} if self.errors else None,
            "request_counts": {
                "total": len(self.lines),
                "completed": self.answered - self.failed,
                "failed": self.failed,
            },
            "metadata": None,
        }


@dataclass
class FakeServer:
    latency_s: float = 0.0
    faults: FaultPlan = field(default_factory=FaultPlan)
    slow_s: float = 5.0  # how long a "slow" fault takes (longer than the client's timeout)
    retry_after_s: float = 0.05
    api_key: str | None = None
    model: str = "fake-model"
    responder: Responder = echo_responder
    # the text of each further choice (index 1, 2, ...) when a request asks for n > 1;
    # None: every choice is the responder's text
    choice_responder: Callable[[dict[str, Any], int], str] | None = None
    finish_reason: str = "stop"
    # the reply's JSON rewritten, given it and the attempt (0 for a prompt's first request)
    reshape: Callable[[dict[str, Any], int], Any] | None = None
    stream_chunk: int | None = None  # bytes per write of a body sent in chunks
    trickle_s: float = 0.0  # the pause between those writes
    abandoned: int = 0  # replies whose client went away before their end
    basic_auth: tuple[str, str] | None = None  # (user, password) a request must carry
    toy: ToyModel = field(default_factory=ToyModel)  # prompt log-probabilities (echo)
    prompt_logprobs: bool = True  # False: echo ignored, generated tokens' logprobs only
    chat_only: bool = False  # /v1/completions answers 404, as OpenAI's for a chat model
    generate_on_echo: bool = False  # max_tokens 0 taken as 1: a token after the echoed prompt
    recorded: bool = True  # False: no request's body or headers kept (a long benchmark)
    authorizations: list[str] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    attempts: Counter[str] = field(default_factory=Counter)  # prompt key -> requests seen
    answered: Counter[str] = field(default_factory=Counter)  # prompt key -> 200 replies sent
    bodies: list[dict[str, Any]] = field(default_factory=list)
    # the Batch API (see the module's docstring)
    batch_polls: tuple[int, ...] = (1,)
    batch_end: str = "completed"  # or "expired"
    batch_failure: str | None = None
    batch_line_status: Callable[[dict[str, Any]], int | None] | None = None
    batch_faults: dict[str, list[int]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, FakeBatch] = field(default_factory=dict)
    batch_calls: Counter[str] = field(default_factory=Counter)  # operation -> calls answered
    batch_bodies: list[dict[str, Any]] = field(default_factory=list)  # lines answered
    port: int = 0
    _runner: web.AppRunner | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/completions", self._completions)
        app.router.add_get("/health", self._health)
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/files", self._upload)
        app.router.add_get("/v1/files/{id}/content", self._content)
        app.router.add_post("/v1/batches", self._create_batch)
        app.router.add_get("/v1/batches/{id}", self._retrieve_batch)
        app.router.add_post("/v1/batches/{id}/cancel", self._cancel_batch)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, backlog=4096)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def start_in_thread(self) -> FakeServer:
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.start())
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        if not ready.wait(10):
            raise RuntimeError("fake server did not start")
        return self

    def stop_thread(self) -> None:
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self.stop(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": self.model}]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        return await self._answer(request, chat=True)

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        if self.chat_only:
            message = (
                "This is a chat model and not supported in the v1/completions endpoint. "
                "Did you mean to use v1/chat/completions?"
            )
            error = {"message": message, "type": "invalid_request_error"}
            return web.json_response({"error": error}, status=404)
        return await self._answer(request, chat=False)

    async def _answer(self, request: web.Request, chat: bool) -> web.StreamResponse:
        refused = self._refused(request)
        if refused is not None:
            return refused
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._serve(request, chat)
        finally:
            self.in_flight -= 1

    def _refused(self, request: web.Request) -> web.Response | None:
        """The 401 of a request without the credentials the server asks for."""
        if self.recorded:
            self.authorizations.append(request.headers.get("Authorization", ""))
        if self.basic_auth is not None:
            user, password = self.basic_auth
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            if request.headers.get("Authorization") != f"Basic {token}":
                return web.json_response({"error": {"message": "who are you?"}}, status=401)
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.api_key and given != self.api_key:
            message = f"Incorrect API key provided: {given}"  # as real APIs echo it back
            return web.json_response({"error": {"message": message}}, status=401)
        return None

    async def _serve(self, request: web.Request, chat: bool) -> web.StreamResponse:
        body = await request.json()
        key = prompt_key(body)
        attempt = self.attempts[key]
        self.attempts[key] += 1
        if self.recorded:
            self.bodies.append(body)
        fault = self.faults.fault(key, attempt)
        if fault is not None:
            return await self._fail(request, fault)
        await asyncio.sleep(self.latency_s)
        reply: Any = self._reply(body, chat)
        if self.reshape is not None:
            reply = self.reshape(reply, attempt)
        # a reshaped reply may be text: sent as it is (JSON that json.dumps cannot write)
        data = reply.encode() if isinstance(reply, str) else json.dumps(reply).encode()
        if self.stream_chunk is not None:
            return await self._stream(request, data, key)
        self.answered[key] += 1
        return web.Response(body=data, content_type="application/json")

    async def _stream(self, request: web.Request, data: bytes, key: str) -> web.StreamResponse:
        """The body in chunks, `trickle_s` apart, with no Content-Length (chunked)."""
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        size = self.stream_chunk or 1
        try:
            await response.prepare(request)
            for start in range(0, len(data), size):
                await response.write(data[start : start + size])
                if self.trickle_s:
                    await asyncio.sleep(self.trickle_s)
                if request.transport is None or request.transport.is_closing():
                    raise ConnectionResetError("the client went away")
            await response.write_eof()
        except asyncio.CancelledError:
            self.abandoned += 1
            raise
        except ConnectionError:
            self.abandoned += 1
            return response
        self.answered[key] += 1
        return response

    async def _fail(self, request: web.Request, fault: str) -> web.StreamResponse:
        if fault == "429":
            headers = {"Retry-After": f"{self.retry_after_s}"}
            return web.json_response(
                {"error": {"message": "slow down"}}, status=429, headers=headers
            )
        if fault == "500":
            return web.json_response({"error": {"message": "boom"}}, status=500)
        if fault == "slow":
            await asyncio.sleep(self.slow_s)
            return web.json_response({"error": {"message": "too late"}}, status=500)
        if fault == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        if fault.isdigit():
            message = {"error": {"message": f"status {fault} for this request"}}
            return web.json_response(message, status=int(fault))
        return web.Response(text='{"choices": [', content_type="application/json")

    def _reply(self, body: dict[str, Any], chat: bool) -> dict[str, Any]:
        if not chat and isinstance(body.get("prompt"), list):
            return self._per_prompt(body)
        n = int(body.get("n") or 1)
        texts = [self._choice(body, i) for i in range(n)]
        if chat:
            choices = [
                {
                    "index": i,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": self.finish_reason,
                }
                for i, text in enumerate(texts)
            ]
        else:
            choices = [
                {"index": i, "text": text, "finish_reason": self.finish_reason}
                for i, text in enumerate(texts)
            ]
        return {
            "id": f"fake-{time.monotonic_ns()}",
            "object": "chat.completion" if chat else "text_completion",
            "created": int(time.time()),
            "model": body.get("model", self.model),
            "choices": choices,
            "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
        }

    def _per_prompt(self, body: dict[str, Any]) -> dict[str, Any]:
        """A completion of each prompt of a list: with `echo` and `logprobs`, the prompt echoed
        with its log-probabilities (unless `prompt_logprobs` is off)."""
        choices = []
        tokens = 0
        for i, prompt in enumerate(body["prompt"]):
            choice: dict[str, Any] = {"index": i, "finish_reason": "length"}
            if body.get("echo") and body.get("logprobs") is not None and self.prompt_logprobs:
                generated = ["\n"] if body.get("max_tokens") or self.generate_on_echo else []
                choice["text"] = prompt + "".join(generated)
                choice["logprobs"] = self.toy.echo(prompt, generated)
            else:  # echo ignored: the generated token alone, as llama-server answers
                text = self.responder({**body, "prompt": prompt})
                choice["text"] = text
                if body.get("logprobs") is not None:
                    entry = {"token": text, "logprob": -0.25, "bytes": list(text.encode())}
                    choice["logprobs"] = {"content": [{**entry, "top_logprobs": [entry]}]}
            tokens += len(self.toy.tokenize(prompt))
            choices.append(choice)
        return {
            "id": f"fake-{time.monotonic_ns()}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": body.get("model", self.model),
            "choices": choices,
            "usage": {"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens},
        }

    def _choice(self, body: dict[str, Any], index: int) -> str:
        if index == 0 or self.choice_responder is None:
            return self.responder(body)
        return self.choice_responder(body, index)

    # ---- the Batch API

    def _batch_gate(self, request: web.Request, operation: str) -> web.Response | None:
        """A 401, or the fault planned for this call of the operation; None: answer it."""
        refused = self._refused(request)
        if refused is not None:
            return refused
        planned = self.batch_faults.get(operation)
        if planned:
            status = planned.pop(0)
            return web.json_response({"error": {"message": f"{operation}: boom"}}, status=status)
        self.batch_calls[operation] += 1
        return None

    async def _upload(self, request: web.Request) -> web.Response:
        if (gate := self._batch_gate(request, "upload")) is not None:
            return gate
        form = await request.post()
        upload = form.get("file")
        if form.get("purpose") != "batch" or not isinstance(upload, web.FileField):
            return _invalid("a batch input file needs purpose=batch and a file")
        data = upload.file.read()
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = data
        return web.json_response(
            {
                "id": file_id,
                "object": "file",
                "bytes": len(data),
                "created_at": int(time.time()),
                "filename": upload.filename,
                "purpose": "batch",
            }
        )

    async def _content(self, request: web.Request) -> web.Response:
        if (gate := self._batch_gate(request, "content")) is not None:
            return gate
        data = self.files.get(request.match_info["id"])
        if data is None:
            return web.json_response({"error": {"message": "No such File object"}}, status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _create_batch(self, request: web.Request) -> web.Response:
        if (gate := self._batch_gate(request, "create")) is not None:
            return gate
        asked = await request.json()
        data = self.files.get(asked.get("input_file_id"))
        if data is None:
            return _invalid("no such input file")
        if asked.get("endpoint") not in BATCH_ENDPOINTS:
            return _invalid(f"endpoint {asked.get('endpoint')!r} is not supported")
        lines = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
        number = len(self.batches)
        polls = self.batch_polls[min(number, len(self.batch_polls) - 1)]
        batch = FakeBatch(
            id=f"batch_{number + 1}",
            input_file_id=asked["input_file_id"],
            endpoint=asked["endpoint"],
            completion_window=asked.get("completion_window", "24h"),
            lines=lines,
            needed=polls,
            created_at=int(time.time()),
        )
        if self.batch_failure is None:
            wrong = [i for i, line in enumerate(lines, 1) if line.get("url") != batch.endpoint]
            if wrong:
                batch.errors = [
                    {"code": "invalid_url", "line": i, "message": "url differs from the endpoint"}
                    for i in wrong
                ]
        self.batches[batch.id] = batch
        return web.json_response(batch.view())

    async def _retrieve_batch(self, request: web.Request) -> web.Response:
        if (gate := self._batch_gate(request, "retrieve")) is not None:
            return gate
        batch = self.batches.get(request.match_info["id"])
        if batch is None:
            return web.json_response({"error": {"message": "No such Batch object"}}, status=404)
        self._advance(batch)
        return web.json_response(batch.view())

    async def _cancel_batch(self, request: web.Request) -> web.Response:
        if (gate := self._batch_gate(request, "cancel")) is not None:
            return gate
        batch = self.batches.get(request.match_info["id"])
        if batch is None:
            return web.json_response({"error": {"message": "No such Batch object"}}, status=404)
        if batch.status in ("validating", "in_progress", "finalizing"):
            batch.status = "cancelling"
        return web.json_response(batch.view())

    def cancel(self, batch_id: str) -> None:
        """The batch cancelled as a user would, from elsewhere."""
        batch = self.batches[batch_id]
        if batch.status in ("validating", "in_progress", "finalizing"):
            batch.status = "cancelling"

    def _advance(self, batch: FakeBatch) -> None:
        """One retrieval's worth of progress."""
        if batch.status in ("completed", "expired", "cancelled", "failed"):
            return
        batch.polls += 1
        if batch.status == "cancelling":
            self._end(batch, "cancelled", "batch_cancelled")
            return
        if self.batch_failure is not None or batch.errors:
            if self.batch_failure is not None:
                batch.errors = [{"code": "invalid_request", "message": self.batch_failure}]
            batch.status = "failed"
            return
        total = len(batch.lines)
        if batch.polls >= batch.needed:
            if self.batch_end == "expired":
                self._end(batch, "expired", "batch_expired")
            else:
                self._answer_lines(batch, total)
                self._end(batch, "completed", "")
            return
        batch.status = "in_progress"
        self._answer_lines(batch, total * batch.polls // batch.needed)

    def _answer_lines(self, batch: FakeBatch, upto: int) -> None:
        for line in batch.lines[batch.answered : upto]:
            body = line["body"]
            self.batch_bodies.append(body)
            status = self.batch_line_status(body) if self.batch_line_status else None
            if status is not None and status != 200:
                batch.failed += 1
                line["_reply"] = (status, {"error": {"message": f"status {status} for this line"}})
            else:
                reply = self._reply(body, line["url"] == "/v1/chat/completions")
                line["_reply"] = (200, reply)
        batch.answered = max(batch.answered, upto)

    def _end(self, batch: FakeBatch, status: str, unanswered: str) -> None:
        """The batch ended: its output and error files written."""
        output, errors = [], []
        for number, line in enumerate(batch.lines):
            result: dict[str, Any] = {
                "id": f"{batch.id}_req_{number}",
                "custom_id": line["custom_id"],
            }
            if "_reply" in line:
                code, body = line["_reply"]
                result["response"] = {
                    "status_code": code,
                    "request_id": f"req_{number}",
                    "body": body,
                }
                result["error"] = None
                (output if code == 200 else errors).append(result)
            else:
                message = {
                    "batch_expired": "This request could not be executed before the "
                    "completion window expired.",
                    "batch_cancelled": "This request was not executed because the batch was "
                    "cancelled.",
                }[unanswered]
                result["response"] = None
                result["error"] = {"code": unanswered, "message": message}
                errors.append(result)
                batch.failed += 1
        for kind, results in (("output", output), ("error", errors)):
            if results:
                file_id = f"file-{len(self.files) + 1}"
                self.files[file_id] = "".join(json.dumps(r) + "\n" for r in results).encode()
                setattr(batch, f"{kind}_file_id", file_id)
        batch.answered = len(batch.lines) if status != "completed" else batch.answered
        batch.status = status


def _invalid(message: str) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": "invalid_request_error"}}, status=400
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="OpenAI-compatible fake server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--latency", type=float, default=0.0)
    args, _ = parser.parse_known_args()
    server = FakeServer(latency_s=args.latency)
    web.run_app(server.app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
