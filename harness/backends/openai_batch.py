"""`openai-batch:<model>`: the model of `openai:<model>`, asked through OpenAI's Batch API (half
the price; answers within the completion window, 24 hours, rather than at once).

Batching. The requests the cache has no answer for are written as JSONL batch files, one line
each: `custom_id` (the request's cache key: harness.generation.cache.cache_key), `method` POST,
`url` (/v1/chat/completions or /v1/completions) and `body`, exactly the body `openai:` would
POST (harness.backends.openai_api; a log-likelihood request's echoing body included). A batch
holds one endpoint, at most 50,000 requests (`-M batch_requests=N` sets fewer) and 200 MB: the
requests are split by endpoint, then in order into as few batches as those limits allow. Each
file is uploaded (POST /files, purpose "batch") and its batch created (POST /batches, with
`-M completion_window`, default 24h).

Polling. Every `-M poll_s` seconds (default 30) each batch still open is polled (GET
/batches/ID); a line on stderr says how it stands whenever that changes (status, requests
answered and failed). A batch that ends (completed, expired, cancelled, failed) has its output
and error files read (GET /files/ID/content) and its requests' answers yielded at once, so the
run caches them as they arrive: with several batches the answers come in batch by batch.

Errors, each a per-sample error (never cached: the next run submits those requests again):

- a line of the output whose reply is not a 2xx: as `openai:` classes the status (a 4xx is
  NOT_RETRIED, a 429 or 5xx is not); a 2xx reply that is malformed, as `openai:` says;
- the requests of a batch that expired or was cancelled (on the server, or by someone with the
  provider's tools) before it answered them; the ones it did answer are kept;
- every request of a batch that failed as a whole (its input rejected), with the server's
  reasons;
- a batch that cannot be submitted (a 4xx is NOT_RETRIED: a wrong key, a server without the
  Batch API), or polled or read: after `--max-attempts` polls in a row that failed, or a 4xx
  other than 404 (NOT_RETRIED: a wrong key), the batch stays in the ledger and a later run
  polls it again; a 404 (the batch or its file is gone) drops it, and the next run submits its
  requests again.

Uploads, batch creation and file downloads are tried `--max-attempts` times against 429s, 5xx
and dropped connections, each attempt within `--timeout`. `--concurrency`, `--rpm` and `--tpm`
do not apply: the provider paces a batch itself.

The ledger: resuming after a kill. Each batch submitted is recorded at once in a small JSON file
of its own in the ledger folder (`-M ledger=DIR`; default `batches/` beside the run's response
cache: in `--cache`'s folder, else ~/.cache/polyeval/batches): the batch's id, its input file's
id, its endpoint, the backend's identity (no secret: neither the API key nor a credential of the
URL) and the custom ids of its requests. A run first looks there: a request whose custom id is
in a batch recorded for the same identity is waited for in that batch, not submitted again; so a
run that was killed, or interrupted, resumes the batches it left by their ids. A batch's record
is removed once all its requests' answers have been handed to a run (cached), or cut down to the
requests no run has taken yet. Interrupting a run (Ctrl-C) does not cancel its batches: they go
on, and the same command picks them up (cancel them with the provider's tools to stop paying).

Identity. Answers from a batch are the same model's answers: the backend's identity is the one
of `openai:<model>` at the same base URL, so the cache serves batch answers to later online
runs and online answers to batch runs (a batch run submits only what the cache lacks).

Only OpenAI's Batch API (and servers that offer the same endpoints) for now; Anthropic's
message batches are not supported.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import ssl
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp

from harness.backends import NOT_RETRIED
from harness.backends.logprobs import scoring_prompts
from harness.backends.openai_api import (
    MIN_BODY_BYTES,
    OpenAIBackend,
    _cause,
    _connect_failure,
    _Fatal,
    _read,
    _Retry,
    _status_error,
)
from harness.backends.options import CLIENT_ARGS, BackendOptions
from harness.errors import PolyevalError
from harness.generation.cache import cache_key, default_cache_path
from harness.records import Request, Response

KIND = "openai-batch"
BATCH_ARGS: dict[str, type] = {
    "poll_s": float,
    "ledger": str,
    "batch_requests": int,
    "completion_window": str,
}
DEFAULT_POLL_S = 30.0
DEFAULT_WINDOW = "24h"
MAX_BATCH_REQUESTS = 50_000  # the Batch API's limits on one batch
MAX_BATCH_BYTES = 200_000_000
MAX_FILE_BYTES = 2 << 30  # the most of an output or error file read
META_BYTES = MIN_BODY_BYTES  # the most of a reply about a file or a batch read
# the `url` of a line and the `endpoint` of its batch, by whether the request is a completion
BATCH_PATHS = {False: "/v1/chat/completions", True: "/v1/completions"}
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
LEDGER_FORMAT = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def create(name: str, options: BackendOptions) -> BatchBackend:
    return BatchBackend(name, options)


def default_ledger(cache: Path | None = None) -> Path:
    """The ledger folder beside the run's response cache (`--cache`, else the default one)."""
    return (cache or default_cache_path()).parent / "batches"


@dataclass
class _Line:
    """One request as a line of a batch file, and what reading its answer needs."""

    custom_id: str
    request: Request
    completion: bool  # sent to /completions (a prompt, or a log-likelihood request)
    cap: int  # the reply cap of a generation (harness.backends.openai_api)
    prompts: list[str]  # a log-likelihood request's texts (empty for a generation)
    indices: list[int]
    data: bytes  # the JSONL line


@dataclass
class _Batch:
    """A batch this run waits for."""

    id: str
    lines: dict[str, _Line]  # custom id -> the line of each of this run's requests it holds
    submitted: float  # time.time() when it was created
    record: Path | None  # its file in the ledger (None: it could not be written)
    shown: str = ""  # how it stood when last reported
    faults: int = 0  # polls in a row that failed
    last_fault: str = ""


@dataclass
class _Ended:
    """A batch's answers once it ended, and the requests its ledger record still holds."""

    answers: dict[str, Response]
    keep: bool = False  # the record is kept whole (the next run polls the batch again)


class Ledger:
    """The batches submitted and not yet read: a folder of JSON files, one per batch."""

    def __init__(self, folder: Path, say: Callable[[str], None]) -> None:
        self.folder = folder
        self.say = say

    def problem(self) -> str | None:
        """Why batches cannot be recorded here (None where they can)."""
        probe = self.folder / f".probe-{os.getpid()}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            probe.write_text("{}", encoding="utf-8")
            probe.unlink()
        except OSError as exc:
            return (
                f"cannot write the batch ledger {self.folder} ({exc.strerror or exc}): a batch "
                "it does not record could not be resumed; give -M ledger=DIR a writable folder"
            )
        return None

    def pending(self, identity: dict[str, Any]) -> list[tuple[Path, dict[str, Any]]]:
        """The recorded batches of this identity, oldest first; records that cannot be read are
        noted and left alone."""
        found = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
                ids = entry["custom_ids"]
                if not isinstance(entry["batch_id"], str) or not isinstance(ids, list):
                    raise TypeError("not a batch record")
            except (OSError, ValueError, KeyError, TypeError) as exc:
                self.say(f"{KIND}: the batch record {path} cannot be read ({_cause(exc)}): left")
                continue
            if entry.get("identity") == identity:
                found.append((path, entry))
        found.sort(key=lambda item: float(item[1].get("submitted") or 0))
        return found

    def add(
        self,
        identity: dict[str, Any],
        batch_id: str,
        input_file_id: str,
        endpoint: str,
        custom_ids: list[str],
    ) -> Path:
        digest = hashlib.sha256(f"{identity.get('base_url')}\n{batch_id}".encode()).hexdigest()
        path = self.folder / f"{_UNSAFE.sub('_', batch_id)[:80]}-{digest[:12]}.json"
        entry = {
            "format": LEDGER_FORMAT,
            "batch_id": batch_id,
            "input_file_id": input_file_id,
            "endpoint": endpoint,
            "identity": identity,
            "submitted": time.time(),
            "custom_ids": custom_ids,
        }
        self._write(path, entry)
        return path

    def settle(self, path: Path, taken: set[str]) -> None:
        """The requests `taken` were handed to a run: the record keeps the others, or goes."""
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # gone already (another run took it), or unreadable: left as it is
        left = [c for c in entry.get("custom_ids", []) if c not in taken]
        try:
            if left:
                self._write(path, {**entry, "custom_ids": left})
            else:
                path.unlink(missing_ok=True)
        except OSError as exc:
            self.say(f"{KIND}: cannot update the batch record {path}: {exc.strerror or exc}")

    def _write(self, path: Path, entry: dict[str, Any]) -> None:
        """Written whole or not at all (a temporary file renamed over it)."""
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(entry), encoding="utf-8")
        os.replace(temporary, path)


def _to_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class BatchBackend(OpenAIBackend):
    def __init__(self, model: str, options: BackendOptions) -> None:
        args = options.take({**BATCH_ARGS, **CLIENT_ARGS}, KIND)
        if len(options.base_urls) > 1:
            raise PolyevalError(f"{KIND} takes one --base-url: a batch lives on one server")
        client = {k: v for k, v in options.args.items() if k in CLIENT_ARGS}
        super().__init__(model, replace(options, args=client))
        self.poll_s = float(str(args.get("poll_s", DEFAULT_POLL_S)))
        if not self.poll_s > 0:
            raise PolyevalError("-M poll_s takes a number of seconds above 0")
        self.batch_requests = int(str(args.get("batch_requests", MAX_BATCH_REQUESTS)))
        if not 1 <= self.batch_requests <= MAX_BATCH_REQUESTS:
            raise PolyevalError(f"-M batch_requests takes 1 to {MAX_BATCH_REQUESTS:,}")
        self.window = str(args.get("completion_window", DEFAULT_WINDOW))
        ledger = args.get("ledger")
        self.say: Callable[[str], None] = _to_stderr
        folder = Path(str(ledger)).expanduser() if ledger else default_ledger(options.cache_path)
        self.ledger = Ledger(folder, lambda text: self.say(text))
        self._submitted: list[str] = []  # ids of the batches this backend created
        self._resumed: list[str] = []  # and of those it took up from the ledger

    def notes(self) -> list[str]:
        found = super().notes()
        if self._submitted or self._resumed:
            found.append(
                f"answered through the Batch API: batches submitted: {len(self._submitted)}"
                f"{_ids(self._submitted)}; resumed from an earlier run: {len(self._resumed)}"
                f"{_ids(self._resumed)}"
            )
        return found

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        waiting: dict[str, list[int]] = {}  # custom id -> the indices of its requests
        lines: dict[str, _Line] = {}
        identity = self.identity()
        for index, request in enumerate(requests):
            if request.loglikelihood and not request.context:
                error = "a log-likelihood request needs a context (its prompt is empty)"
                yield index, Response(text="", error=f"{NOT_RETRIED}: {error}")
                continue
            custom_id = cache_key(identity, request, self.cache_salt(request))
            waiting.setdefault(custom_id, []).append(index)
            if custom_id not in lines:
                lines[custom_id] = self._line(custom_id, request)
        if not waiting:
            return
        if (problem := self.ledger.problem()) is not None:
            for indices in waiting.values():
                for index in indices:
                    yield index, Response(text="", error=f"{NOT_RETRIED}: {problem}")
            return
        session = self._session_for_loop()
        batches = self._take_up(lines)
        taken = {c for batch in batches for c in batch.lines}
        try:
            for chunk in self._split([line for c, line in lines.items() if c not in taken]):
                try:
                    batches.append(await self._submit(session, chunk))
                except (_Fatal, _Retry) as exc:
                    error = self._scrub(_failure(exc, "the batch could not be submitted"))
                    for line in chunk:
                        for index in waiting[line.custom_id]:
                            yield index, Response(text="", error=error)
            while batches:
                for batch in list(batches):
                    ended = await self._poll(session, batch)
                    if ended is None:
                        continue
                    batches.remove(batch)
                    for custom_id in batch.lines:
                        for index in waiting[custom_id]:
                            yield index, ended.answers[custom_id]
                    if not ended.keep and batch.record is not None:
                        self.ledger.settle(batch.record, set(batch.lines))
                if batches:
                    await asyncio.sleep(self.poll_s)
        finally:
            if batches:
                self.say(
                    f"{KIND}: left running on the server, not cancelled: "
                    f"{', '.join(b.id for b in batches)}; the same command takes them up "
                    f"again (their records: {self.ledger.folder})"
                )

    # ---- submitting

    def _line(self, custom_id: str, request: Request) -> _Line:
        """The request as `openai:` would send it, as a line of a batch file."""
        prompts, indices = scoring_prompts(request) if request.loglikelihood else ([], [])
        if prompts:
            body, cap = self._scoring_body(request, prompts), 0
        else:
            body = self._body(request)
            cap = self._reply_cap(body)
        completion = request.prompt is not None or bool(prompts)
        url = BATCH_PATHS[completion]
        line = {"custom_id": custom_id, "method": "POST", "url": url, "body": body}
        try:
            data = json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n"
        except UnicodeEncodeError:  # a lone surrogate: escaped
            data = json.dumps(line, ensure_ascii=True).encode("utf-8") + b"\n"
        return _Line(custom_id, request, completion, cap, prompts, indices, data)

    def _split(self, lines: list[_Line]) -> Iterator[list[_Line]]:
        """The lines in batches: by endpoint, then in order, within the limits of a batch."""
        for completion in (False, True):
            chunk: list[_Line] = []
            size = 0
            for line in lines:
                if line.completion != completion:
                    continue
                full = len(chunk) >= self.batch_requests or size + len(line.data) > MAX_BATCH_BYTES
                if chunk and full:
                    yield chunk
                    chunk, size = [], 0
                chunk.append(line)
                size += len(line.data)
            if chunk:
                yield chunk

    async def _submit(self, session: aiohttp.ClientSession, chunk: list[_Line]) -> _Batch:
        """Upload the batch file, create its batch and record it in the ledger."""
        endpoint = BATCH_PATHS[chunk[0].completion]
        content = b"".join(line.data for line in chunk)

        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field("purpose", "batch")
            data.add_field(
                "file", content, filename="polyeval-batch.jsonl", content_type="application/jsonl"
            )
            return data

        uploaded = _object(await self._call(session, "POST", "/files", form=form), "file")
        file_id = _text_field(uploaded, "id", "file")
        asked = {"input_file_id": file_id, "endpoint": endpoint, "completion_window": self.window}
        created = _object(await self._call(session, "POST", "/batches", body=asked), "batch")
        batch_id = _text_field(created, "id", "batch")
        custom_ids = [line.custom_id for line in chunk]
        record: Path | None = None
        try:
            record = self.ledger.add(self.identity(), batch_id, file_id, endpoint, custom_ids)
        except OSError as exc:  # polled all the same; only a resume could not find it
            self.say(
                f"{KIND}: batch {batch_id} could not be recorded in the ledger "
                f"{self.ledger.folder} ({exc.strerror or exc}): a run stopped before it ends "
                "cannot take it up"
            )
        self._submitted.append(batch_id)
        kind = "completions" if chunk[0].completion else "chat"
        self.say(f"{KIND}: submitted batch {batch_id} ({kind}, {len(chunk)} requests)")
        return _Batch(batch_id, {line.custom_id: line for line in chunk}, time.time(), record)

    def _take_up(self, lines: dict[str, _Line]) -> list[_Batch]:
        """The recorded batches that hold requests of this run: waited for, not submitted
        again (each request from the oldest batch that holds it)."""
        batches = []
        taken: set[str] = set()
        for path, entry in self.ledger.pending(self.identity()):
            held = [c for c in entry["custom_ids"] if c in lines and c not in taken]
            if not held:
                continue
            taken.update(held)
            submitted = float(entry.get("submitted") or time.time())
            held_lines = {c: lines[c] for c in held}
            batches.append(_Batch(entry["batch_id"], held_lines, submitted, path))
            self._resumed.append(entry["batch_id"])
            self.say(
                f"{KIND}: resuming batch {entry['batch_id']} ({len(held)} of this run's "
                "requests), submitted by an earlier run"
            )
        return batches

    # ---- polling

    async def _poll(self, session: aiohttp.ClientSession, batch: _Batch) -> _Ended | None:
        """None while the batch runs; once it has ended, its answers."""
        try:
            raw = await self._call(session, "GET", f"/batches/{batch.id}", attempts=1)
            info = _object(raw, "batch")
        except _Fatal as exc:
            return self._refused(batch, exc, f"batch {batch.id} cannot be polled")
        except _Retry as exc:
            batch.faults += 1
            batch.last_fault = str(exc)
            if batch.faults < self.options.max_attempts:
                self.say(f"{KIND}: polling batch {batch.id} failed ({exc}); trying again")
                return None
            why = (
                f"polling batch {batch.id} failed {batch.faults} times in a row (last: {exc}); "
                "the batch is kept: the next run polls it again"
            )
            return replace(self._all_failed(batch, why), keep=True)
        batch.faults = 0
        status = str(info.get("status"))
        self._show(batch, status, info.get("request_counts"))
        if status not in TERMINAL:
            return None
        if status == "failed":
            return self._all_failed(batch, f"batch {batch.id} failed: {_batch_errors(info)}")
        answers: dict[str, Response] = {}
        for name in ("output_file_id", "error_file_id"):
            file_id = info.get(name)
            if not isinstance(file_id, str) or not file_id:
                continue
            try:
                content = await self._call(
                    session, "GET", f"/files/{file_id}/content", limit=MAX_FILE_BYTES
                )
            except _Retry as exc:
                why = f"the results of batch {batch.id} could not be read ({exc})"
                return replace(
                    self._all_failed(batch, f"{why}; the next run reads them"), keep=True
                )
            except _Fatal as exc:
                what = f"the results of batch {batch.id} could not be read"
                return self._refused(batch, exc, what)
            for custom_id, answer in self._results(content, batch):
                answers.setdefault(custom_id, answer)
        missing = {
            "expired": f"batch {batch.id} expired (completion window {self.window}) before "
            "answering this request",
            "cancelled": f"batch {batch.id} was cancelled before answering this request",
        }.get(status, f"batch {batch.id} ended ({status}) without an answer to this request")
        for custom_id in batch.lines:
            answers.setdefault(custom_id, Response(text="", error=missing))
        return _Ended(answers)

    def _refused(self, batch: _Batch, exc: _Fatal, what: str) -> _Ended:
        """A batch, or its results, refused: gone (404: deleted, another account's) its
        requests are submitted again by the next run; otherwise (a wrong key) the batch is
        kept for a run that may read it, and its requests fail as not retried."""
        if exc.status == 404:
            why = f"{what}: {exc.reason}; the next run submits its requests again"
            return self._all_failed(batch, why)
        why = _failure(exc, what) + "; the batch is kept: a run that may read it takes it up"
        return replace(self._all_failed(batch, why), keep=True)

    def _all_failed(self, batch: _Batch, error: str) -> _Ended:
        failed = Response(text="", error=self._scrub(error))
        return _Ended({custom_id: failed for custom_id in batch.lines})

    def _show(self, batch: _Batch, status: str, counts: Any) -> None:
        """A line on stderr where the batch stands otherwise than when last shown."""
        counts = counts if isinstance(counts, dict) else {}
        done, failed, total = (counts.get(k) for k in ("completed", "failed", "total"))
        shown = f"{status}, {done or 0} of {total or len(batch.lines)} answered"
        if failed:
            shown += f", {failed} failed"
        if shown != batch.shown:
            batch.shown = shown
            elapsed = time.time() - batch.submitted
            self.say(f"{KIND}: batch {batch.id}: {shown} ({_duration(elapsed)} since submitted)")

    def _results(self, content: bytes, batch: _Batch) -> Iterator[tuple[str, Response]]:
        """Each line of an output or error file that answers a request of this run."""
        latency = max(0.0, time.time() - batch.submitted)
        for number, text in enumerate(content.splitlines(), 1):
            if not text.strip():
                continue
            try:
                item = json.loads(text)
                custom_id = item["custom_id"]
                if not isinstance(custom_id, str):
                    raise TypeError(f"custom_id {custom_id!r} is not text")
            except (ValueError, KeyError, TypeError) as exc:
                self.say(f"{KIND}: line {number} of batch {batch.id}'s results: {_cause(exc)}")
                continue
            if (line := batch.lines.get(custom_id)) is not None:
                answer = self._result(item, line, latency)
                yield custom_id, replace(answer, error=_scrubbed(self, answer.error))

    def _result(self, item: Any, line: _Line, latency: float) -> Response:
        """The Response of one result line: the reply parsed as `openai:` parses it, or the
        error the line holds."""
        reply = item.get("response") if isinstance(item, dict) else None
        error = item.get("error") if isinstance(item, dict) else None
        if not isinstance(reply, dict):
            return Response(text="", error=f"the batch did not answer: {_error_text(error)}")
        status = reply.get("status_code")
        body = reply.get("body")
        if not isinstance(status, int) or not 200 <= status < 300:
            said = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
            if not isinstance(status, int):
                return Response(text="", error=f"the batch did not answer: {_error_text(error)}")
            return Response(text="", error=str(_status_error(status, said, {})))
        try:
            if line.prompts:
                started = time.monotonic() - latency
                target = self._endpoints[0]
                request = line.request
                return self._scores(
                    body, target, line.prompts, line.indices, request.context, started
                )
            return self._response(body, line.completion, line.cap, latency)
        except (_Fatal, _Retry) as exc:
            return Response(text="", error=str(exc))
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
            return Response(text="", error=f"malformed reply: {_cause(exc)}")

    # ---- HTTP

    async def _call(
        self,
        session: aiohttp.ClientSession,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        form: Callable[[], aiohttp.FormData] | None = None,
        limit: int = META_BYTES,
        attempts: int | None = None,
    ) -> bytes:
        """The body of a reply of the Files or Batches API, tried again (with backoff) where
        another try may help; the last _Retry, or a _Fatal, where it fails."""
        target = self._endpoints[0]
        host = f"{target.url.host}:{target.url.port}"
        headers: dict[str, str] = {}
        if target.authorization is not None:
            headers["Authorization"] = target.authorization
        elif self._key is not None:
            headers["Authorization"] = f"Bearer {self._key}"
        tries = attempts or self.options.max_attempts
        for attempt in range(tries):
            data: Any = None
            sent = dict(headers)
            if body is not None:
                data = json.dumps(body).encode("utf-8")
                sent["Content-Type"] = "application/json"
            elif form is not None:
                data = form()
            try:
                async with asyncio.timeout(self.options.timeout_s):
                    async with session.request(
                        method, target.target(path), data=data, headers=sent, allow_redirects=False
                    ) as reply:
                        if not 200 <= reply.status < 300:
                            said = await _read(reply, META_BYTES, truncate=True) or b""
                            text = said.decode("utf-8", "replace")
                            raise _status_error(reply.status, text, reply.headers)
                        content = await _read(reply, limit)
                if content is None:
                    raise _Fatal(f"the reply to {method} {path} is larger than {limit:,} bytes")
                return content
            except _Fatal as exc:
                raise _Fatal(self._scrub(exc.reason), exc.status) from None
            except _Retry as exc:
                failure = _Retry(self._scrub(str(exc)), exc.wait_s)
            except TimeoutError:
                failure = _Retry(
                    f"timed out: no complete reply within {self.options.timeout_s:g} s"
                )
            except aiohttp.ClientConnectorCertificateError as exc:
                raise _Fatal(
                    f"the TLS certificate of {host} is not trusted: {_cause(exc)}"
                ) from None
            except aiohttp.ClientConnectorError as exc:
                failure = _Retry(_connect_failure(exc, target))
            except (aiohttp.ClientError, ssl.SSLError, OSError) as exc:
                failure = _Retry(f"connection to {host} failed: {_cause(exc)}")
            if attempt + 1 < tries:
                await asyncio.sleep(self._backoff(attempt, failure.wait_s))
        raise failure


def _failure(exc: Exception, what: str) -> str:
    """A per-sample error for a failed step: NOT_RETRIED first where another try cannot help."""
    if isinstance(exc, _Fatal):
        return f"{NOT_RETRIED}: {what}: {exc.reason}"
    return f"{what}: {exc}"


def _scrubbed(backend: BatchBackend, error: str | None) -> str | None:
    return None if error is None else backend._scrub(error)


def _object(content: bytes, what: str) -> dict[str, Any]:
    """The JSON object of a reply about a file or a batch; _Retry where it is not one."""
    try:
        value = json.loads(content)
    except ValueError as exc:
        raise _Retry(f"malformed reply about the {what}: not JSON ({_cause(exc)})") from None
    if not isinstance(value, dict):
        raise _Retry(f"malformed reply about the {what}: not a JSON object")
    return value


def _text_field(value: dict[str, Any], name: str, what: str) -> str:
    found = value.get(name)
    if not isinstance(found, str) or not found:
        raise _Retry(f"malformed reply about the {what}: no {name}")
    return found


def _batch_errors(info: dict[str, Any]) -> str:
    """What a failed batch's `errors` say."""
    errors = info.get("errors")
    data = errors.get("data") if isinstance(errors, dict) else errors
    said = [_error_text(e) for e in data] if isinstance(data, list) else []
    return "; ".join(said[:3]) + (f" (and {len(said) - 3} more)" if len(said) > 3 else "") or (
        "no reason given"
    )


def _error_text(error: Any) -> str:
    if not isinstance(error, dict):
        return "no reason given" if error is None else str(error)[:300]
    code, message = error.get("code"), error.get("message")
    line = error.get("line")
    where = f" (line {line})" if isinstance(line, int) else ""
    return ": ".join(str(p) for p in (code, message) if p)[:300] + where or "no reason given"


def _ids(ids: list[str]) -> str:
    if not ids:
        return ""
    shown = ", ".join(ids[:5])
    return f" ({shown}{', ...' if len(ids) > 5 else ''})"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
