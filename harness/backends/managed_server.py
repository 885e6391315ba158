"""A model server this harness starts, owns and stops: the common part of `vllm-server:` and
`llama-server:`.

The server runs in a process group of its own on a free 127.0.0.1 port, its output in a log
file. The backend waits until GET /health answers 200, then talks to it through the OpenAI
backend; it stops the server on aclose(), at interpreter exit and on Ctrl-C or SIGTERM (which
the CLI turns into an interrupt: harness.cli.Terminated): SIGTERM to the group, up to 10 s of
grace, then SIGKILL. A server that exits or is not ready in time is a one-line error holding
the last lines of its log (the log is kept, and named, for that case).

The port is never part of the cache identity, so a rerun is answered from the cache.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from harness.backends import Backend
from harness.backends.options import CLIENT_ARGS, BackendOptions
from harness.errors import PolyevalError
from harness.records import Request, Response

POLL_S = 0.25
GRACE_S = 10.0
LOG_LINES = 20


def flag_args(key: str, value: str) -> list[str]:
    """A `-M key=value` that a managed server passes on as its own flag (llama-server's, or
    an unknown vllm serve flag): `ctx_checkpoints=8` -> ["--ctx-checkpoints", "8"];
    `jinja=true` (or empty) -> ["--jinja"]; `warmup=false` -> ["--no-warmup"]; one letter:
    `b=512` -> ["-b", "512"]."""
    name = key.replace("_", "-")
    flag = f"-{name}" if len(name) == 1 else f"--{name}"
    switch = value.strip().lower()
    if switch in {"true", ""}:
        return [flag]
    if switch == "false":
        if len(name) == 1:
            raise PolyevalError(f"-M {key}=false: a one-letter flag has no negative form")
        return [f"--no-{name}"]
    return [flag, value]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def startup_timeout(args: dict[str, object], default: float) -> float:
    """-M startup_timeout, checked."""
    timeout = args.get("startup_timeout", default)
    if not isinstance(timeout, float) or timeout <= 0:
        raise PolyevalError("-M startup_timeout takes a positive number of seconds")
    return timeout


class ServerProcess:
    """The server subprocess: its own session (process group), output in a log file.

    `argv` is the whole command line but --host and --port, which are added here; `label`
    names the server in errors ("vllm server", "llama-server"); `kind` names its log folder;
    `missing_hint` follows the error when the executable is not found."""

    def __init__(
        self, label: str, model: str, argv: list[str], kind: str, missing_hint: str = ""
    ) -> None:
        self.label = label
        self.model = model
        self.port = free_port()
        self.argv = [*argv, "--host", "127.0.0.1", "--port", str(self.port)]
        self.log_dir = Path(tempfile.mkdtemp(prefix=f"polyeval-{kind}-"))
        self.log_path = self.log_dir / "server.log"
        self._log: IO[bytes] | None = self.log_path.open("wb")
        try:
            self.process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            self._close_log()
            shutil.rmtree(self.log_dir, ignore_errors=True)
            hint = missing_hint if isinstance(exc, FileNotFoundError) else ""
            raise PolyevalError(f"cannot start {argv[0]!r}: {exc.strerror}{hint}") from None
        atexit.register(self.stop)

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_healthy(self, timeout: float) -> None:
        """Blocks until GET /health answers 200; a PolyevalError with the log's tail if the
        process exits first or `timeout` seconds pass."""
        url = f"{self.root_url}/health"
        deadline = time.monotonic() + timeout
        while True:
            code = self.process.poll()
            if code is not None:
                self._fail(f"exited with code {code} before it was ready")
            if get_json(url) is not None:
                return
            if time.monotonic() >= deadline:
                self._fail(f"was not ready after {timeout:g} s")
            time.sleep(POLL_S)

    def stop(self) -> None:
        """SIGTERM to the process group, up to GRACE_S seconds, then SIGKILL. Idempotent."""
        atexit.unregister(self.stop)
        if self.process.returncode is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(GRACE_S)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(GRACE_S)
        # whatever the server left behind in its group (engine workers) goes too
        _signal_group(self.process.pid, signal.SIGKILL)
        self._close_log()

    def remove_log(self) -> None:
        shutil.rmtree(self.log_dir, ignore_errors=True)

    def log_tail(self, lines: int = LOG_LINES) -> str:
        try:
            with self.log_path.open(encoding="utf-8", errors="replace") as log:
                tail = deque((line.strip() for line in log if line.strip()), maxlen=lines)
        except OSError:
            return ""
        return " | ".join(tail)

    def _fail(self, what: str) -> None:
        self.stop()
        tail = self.log_tail()
        detail = f"; last lines of {self.log_path}: {tail}" if tail else f"; log: {self.log_path}"
        raise PolyevalError(f"{self.label} for {self.model} {what}{detail}")

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def get_json(url: str, timeout: float = 5.0) -> Any:
    """The JSON body of a GET that answers 200 (through no proxy), or None: any other status,
    no connection, or a body that is not JSON ({} for an empty body)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as reply:
            if int(reply.status) != 200:
                return None
            body = reply.read()
    except (urllib.error.URLError, OSError, ValueError):
        return None
    try:
        return json.loads(body) if body.strip() else {}
    except ValueError:
        return {}


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def client_key_env(api_key_env: str, server_variable: str) -> str:
    """The variable holding the key the client sends. By default the one the server itself
    reads (it inherits the environment): an OpenAI key is never sent to the local server, and
    a key set for the server is the one the client uses."""
    return server_variable if api_key_env == BackendOptions.api_key_env else api_key_env


def connect(
    server: ServerProcess,
    model: str,
    options: BackendOptions,
    identity: dict[str, Any],
    key_variable: str,
    concurrency: int | None = None,
    engine: dict[str, Any] | None = None,
) -> ManagedServerBackend:
    """The OpenAI backend in front of a healthy `server`, sending `model` as the model name,
    with the client's own -M options (backoff_base, backoff_max) and at most `concurrency`
    requests in flight (None: --concurrency). `engine` is what the manifest records of the
    server's engine, where the backend knows it. On any failure the server is stopped."""
    try:
        from harness.backends.openai_api import OpenAIBackend

        client_options = replace(
            options,
            args={k: v for k, v in options.args.items() if k in CLIENT_ARGS},
            base_urls=(server.base_url,),
            api_key_env=client_key_env(options.api_key_env, key_variable),
            concurrency=min(options.concurrency, concurrency or options.concurrency),
        )
        inner = OpenAIBackend(model, client_options, identity=identity)
    except BaseException:
        server.stop()
        raise
    return ManagedServerBackend(server, inner, engine)


class ManagedServerBackend:
    """The OpenAI backend in front of a server this backend owns."""

    def __init__(
        self, server: ServerProcess, inner: Backend, engine: dict[str, Any] | None = None
    ) -> None:
        self.server = server
        self.inner = inner
        self.engine_record = engine

    def engine(self) -> dict[str, Any] | None:
        """The server's engine (version, device, parallel sizes, options), where known."""
        return None if self.engine_record is None else dict(self.engine_record)

    def identity(self) -> dict[str, Any]:
        return self.inner.identity()

    def cache_salt(self, request: Request) -> str:
        return self.inner.cache_salt(request)

    def notes(self) -> list[str]:
        notes = getattr(self.inner, "notes", None)
        return list(notes()) if callable(notes) else []

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        async for item in self.inner.generate(requests):
            yield item

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        finally:
            await asyncio.to_thread(self.server.stop)
            self.server.remove_log()
