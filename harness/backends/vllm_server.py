"""`vllm-server:<model>`: starts `vllm serve MODEL` on a free local port, waits until it is
healthy, then talks to it through the OpenAI backend; stops it when the run ends.

The server is started eagerly, when the backend is created, so that a server that cannot start
(no GPU, out of memory, an unknown model) is a one-line error before any work is planned. It
runs in a process group of its own, which is stopped on aclose(), at interpreter exit and on
Ctrl-C: SIGTERM to the group, up to 10 s of grace, then SIGKILL.

`-M command="..."` replaces the `vllm serve` prefix (split like a shell would); MODEL and the
flags are appended to it. The tests use it to run tests/fake_server.py instead. Other -M keys:
startup_timeout (seconds, default 900), the engine's dtype, tensor_parallel_size, max_model_len,
gpu_memory_utilization, revision, trust_remote_code, enable_prefix_caching, max_num_seqs,
download_dir (as `vllm serve` flags), and backoff_base / backoff_max (for the client).

The port is not part of the cache identity, so a rerun is answered from the cache.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shlex
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
from harness.backends.options import BackendOptions
from harness.backends.vllm_engine import ENGINE_ARGS
from harness.errors import PolyevalError
from harness.records import Request, Response

SERVER_ARGS: dict[str, type] = {
    "command": str,
    "startup_timeout": float,
    **ENGINE_ARGS,  # the engine's own options, as `vllm serve` flags
    "backoff_base": float,  # passed on to the OpenAI backend
    "backoff_max": float,
}
CLIENT_ARGS = ("backoff_base", "backoff_max")
# -M key -> `vllm serve` flag taking a value
VALUE_FLAGS = {
    "dtype": "--dtype",
    "tensor_parallel_size": "--tensor-parallel-size",
    "max_model_len": "--max-model-len",
    "gpu_memory_utilization": "--gpu-memory-utilization",
    "revision": "--revision",
    "max_num_seqs": "--max-num-seqs",
    "download_dir": "--download-dir",
}
DEFAULT_COMMAND = "vllm serve"
STARTUP_TIMEOUT_S = 900.0
POLL_S = 0.25
GRACE_S = 10.0
LOG_LINES = 20


def create(name: str, options: BackendOptions) -> VLLMServerBackend:
    args = options.take(SERVER_ARGS, "vllm-server")
    timeout = args.get("startup_timeout", STARTUP_TIMEOUT_S)
    if not isinstance(timeout, float) or timeout <= 0:
        raise PolyevalError("-M startup_timeout takes a positive number of seconds")
    command = str(args.get("command") or DEFAULT_COMMAND)
    server = ServerProcess(name, serve_argv(command, name, args, options.seed))
    try:
        server.wait_healthy(timeout)
        from harness.backends.openai_api import OpenAIBackend

        identity = {
            "kind": "vllm-server",
            "model": name,
            "revision": args.get("revision") or None,
            "dtype": args.get("dtype") or "auto",
            "max_model_len": args.get("max_model_len"),
        }
        client_options = replace(
            options,
            args={k: v for k, v in options.args.items() if k in CLIENT_ARGS},
            base_urls=(server.base_url,),
            api_key_env=client_key_env(options.api_key_env),
        )
        inner = OpenAIBackend(name, client_options, identity=identity)
    except BaseException:
        server.stop()
        raise
    return VLLMServerBackend(server, inner)


def serve_argv(command: str, model: str, args: dict[str, object], seed: int) -> list[str]:
    """The command line, without --host and --port (the server process adds them)."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise PolyevalError(f"-M command is not a valid command line: {exc}") from None
    if not argv:
        raise PolyevalError("-M command is empty")
    argv += [model, "--seed", str(seed)]
    for key, flag in VALUE_FLAGS.items():
        if key in args:
            argv += [flag, str(args[key])]
    if args.get("trust_remote_code"):
        argv.append("--trust-remote-code")
    if "enable_prefix_caching" in args:
        on = bool(args["enable_prefix_caching"])
        argv.append("--enable-prefix-caching" if on else "--no-enable-prefix-caching")
    return argv


def client_key_env(api_key_env: str) -> str:
    """The variable holding the key the client sends. By default VLLM_API_KEY, which `vllm
    serve` itself reads (the server inherits the environment): an OpenAI key is never sent to
    the local server, and a key set for the server is the one the client uses."""
    return "VLLM_API_KEY" if api_key_env == BackendOptions.api_key_env else api_key_env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """The server subprocess: its own session (process group), output in a log file."""

    def __init__(self, model: str, argv: list[str]) -> None:
        self.model = model
        self.port = free_port()
        self.argv = [*argv, "--host", "127.0.0.1", "--port", str(self.port)]
        self.log_dir = Path(tempfile.mkdtemp(prefix="polyeval-vllm-server-"))
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
            hint = (
                "; install it with pip install 'polyeval[vllm]' or pass -M command=..."
                if isinstance(exc, FileNotFoundError)
                else ""
            )
            raise PolyevalError(f"cannot start {argv[0]!r}: {exc.strerror}{hint}") from None
        atexit.register(self.stop)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_healthy(self, timeout: float) -> None:
        """Blocks until GET /health answers 200; a PolyevalError with the log's tail if the
        process exits first or `timeout` seconds pass."""
        url = f"http://127.0.0.1:{self.port}/health"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
        deadline = time.monotonic() + timeout
        while True:
            code = self.process.poll()
            if code is not None:
                self._fail(f"exited with code {code} before it was ready")
            if _healthy(opener, url):
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
        raise PolyevalError(f"vllm server for {self.model} {what}{detail}")

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def _healthy(opener: urllib.request.OpenerDirector, url: str) -> bool:
    try:
        with opener.open(url, timeout=5) as reply:
            return int(reply.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


class VLLMServerBackend:
    """The OpenAI backend in front of a server this backend owns."""

    def __init__(self, server: ServerProcess, inner: Backend) -> None:
        self.server = server
        self.inner = inner

    def identity(self) -> dict[str, Any]:
        return self.inner.identity()

    def cache_salt(self, request: Request) -> str:
        return self.inner.cache_salt(request)

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        async for item in self.inner.generate(requests):
            yield item

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        finally:
            await asyncio.to_thread(self.server.stop)
            shutil.rmtree(self.server.log_dir, ignore_errors=True)
