"""`llama-server:<MODEL.gguf>`: starts llama.cpp's `llama-server` with a GGUF model on a free
127.0.0.1 port, waits until it is healthy, then talks to it through the OpenAI backend; stops
it when the run ends (Ctrl-C included). How the server is run and stopped is
harness.backends.managed_server's, shared with `vllm-server:`. This is how a machine without a
GPU evaluates GGUF models.

The server binary is, in this order: `-M command=...` (a command line, split like a shell
would), the file named by POLYEVAL_LLAMA_SERVER, `../shared/tools/llama.cpp/llama-server`
beside the repository (a build provided for the project's checks), `llama-server` on PATH.

-M options and the server's flags:
- ctx_size -> --ctx-size: the context of all slots together (with parallel=N and no unified
  KV cache, each slot gets 1/N of it); default: the model's own;
- parallel -> --parallel: server slots, i.e. requests decoded together; default: the
  server's choice;
- threads -> --threads; default: the server's choice;
- startup_timeout (seconds, default 300), backoff_base / backoff_max (for the client);
- any other KEY=VALUE is passed through: `--key-with-dashes VALUE` (`-k VALUE` for a one-letter
  key), `--key` for true and `--no-key` for false: `-M flash_attn=on`, `-M jinja=true`.
The backend sets the model, --alias, --seed (from --seed), --host and --port itself.

Requests in flight are capped at the server's slot count (GET /props), so that the client's
timeout measures answering, not queueing. The client sends the key in LLAMA_API_KEY, the
variable llama-server itself reads, unless --api-key-env names another.

Log-likelihood requests fail with a one-line error naming the server: its /v1/completions
ignores `echo` and gives log-probabilities of generated tokens only, in the chat form's
`content` list, never the prompt's (the OpenAI backend finds this in the reply), and its native
/completion has no option for them either.

Identity (the cache key, and the manifest's model record): the model's file name and its
SHA-256 (hashed while the server loads), and the passed-through flags, which may change the
answers; never its path, the port, the slots or the threads. The run's model name is
`llama-server:<file name>`, so one model file is one model wherever it lies.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import threading
from pathlib import Path

from harness.backends.managed_server import (
    ManagedServerBackend,
    ServerProcess,
    connect,
    flag_args,
    get_json,
    startup_timeout,
)
from harness.backends.options import CLIENT_ARGS, BackendOptions
from harness.errors import PolyevalError

KIND = "llama-server"
ENV_VARIABLE = "POLYEVAL_LLAMA_SERVER"
REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_BUILD = REPO_ROOT.parent / "shared" / "tools" / "llama.cpp" / "llama-server"
SERVER_ARGS: dict[str, type] = {
    "command": str,
    "startup_timeout": float,
    "ctx_size": int,
    "parallel": int,
    "threads": int,
    **CLIENT_ARGS,
}
VALUE_FLAGS = {"ctx_size": "--ctx-size", "parallel": "--parallel", "threads": "--threads"}
# flags the backend sets itself, with what to use instead
OWN_FLAGS = {
    "host": "the backend listens on 127.0.0.1",
    "port": "the backend picks a free port",
    "model": "the model is the part after llama-server:",
    "m": "the model is the part after llama-server:",
    "alias": "the backend names the model by its file name",
    "a": "the backend names the model by its file name",
    "seed": "use --seed",
    "s": "use --seed",
    "api_key": "set LLAMA_API_KEY",
    "api_key_file": "set LLAMA_API_KEY",
}
KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
STARTUP_TIMEOUT_S = 300.0
GGUF_MAGIC = b"GGUF"
MISSING_HINT = f"; set {ENV_VARIABLE} to a llama-server binary or pass -M command=..."


def create(name: str, options: BackendOptions) -> ManagedServerBackend:
    own = {k: v for k, v in options.args.items() if k in SERVER_ARGS}
    args = BackendOptions(args=own).take(SERVER_ARGS, KIND)
    passed = pass_through({k: v for k, v in options.args.items() if k not in SERVER_ARGS})
    timeout = startup_timeout(args, STARTUP_TIMEOUT_S)
    model = model_file(name)
    command = server_command(args.get("command"))
    alias = model.name
    argv = [*command, "--model", str(model), "--alias", alias, "--seed", str(options.seed)]
    for key, flag in VALUE_FLAGS.items():
        if key in args:
            argv += [flag, str(args[key])]
    argv += [flag for key in passed for flag in flag_args(key, passed[key])]
    digest = _Digest(model)  # hashed while the server loads the model
    server = ServerProcess(KIND, alias, argv, KIND, MISSING_HINT)
    try:
        server.wait_healthy(timeout)
        sha256 = digest.result()
        slots = _int_or_none(args.get("parallel")) or server_slots(server)
    except BaseException:
        server.stop()
        raise
    identity = {
        "kind": KIND,
        "name": f"{KIND}:{alias}",
        "model": alias,
        "sha256": sha256,
        "revision": None,
        "server_args": passed,
    }
    return connect(server, alias, options, identity, "LLAMA_API_KEY", concurrency=slots)


def find_server() -> Path | None:
    """The llama-server binary: POLYEVAL_LLAMA_SERVER, the shared build beside the repository,
    then PATH; None when there is none. A POLYEVAL_LLAMA_SERVER that names no executable file
    is an error, not a reason to look further."""
    named = os.environ.get(ENV_VARIABLE)
    if named:
        path = Path(named).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise PolyevalError(f"{ENV_VARIABLE}={named} is not an executable file")
        return path
    if SHARED_BUILD.is_file() and os.access(SHARED_BUILD, os.X_OK):
        return SHARED_BUILD
    found = shutil.which("llama-server")
    return Path(found) if found else None


def server_command(command: object) -> list[str]:
    """The command that runs the server, before its flags."""
    if command:
        try:
            argv = shlex.split(str(command))
        except ValueError as exc:
            raise PolyevalError(f"-M command is not a valid command line: {exc}") from None
        if not argv:
            raise PolyevalError("-M command is empty")
        return argv
    binary = find_server()
    if binary is None:
        raise PolyevalError(
            f"llama-server not found: set {ENV_VARIABLE} to the binary, put it on PATH, or "
            "build llama.cpp (https://github.com/ggml-org/llama.cpp)"
        )
    return [str(binary)]


def model_file(name: str) -> Path:
    """The GGUF file, checked: it exists and starts with the GGUF magic."""
    path = Path(name).expanduser()
    if not path.is_file():
        what = "is a folder, not a GGUF file" if path.is_dir() else "not found"
        raise PolyevalError(f"llama-server model {name}: {what}")
    try:
        with path.open("rb") as file:
            magic = file.read(len(GGUF_MAGIC))
    except OSError as exc:
        raise PolyevalError(f"llama-server model {name}: cannot read it: {exc.strerror}") from None
    if magic != GGUF_MAGIC:
        raise PolyevalError(f"llama-server model {name} is not a GGUF file")
    return path.resolve()


def pass_through(args: dict[str, str]) -> dict[str, str]:
    """-M options for the server's own flags, checked, in a stable order."""
    for key in args:
        if not KEY.fullmatch(key):
            raise PolyevalError(f"-M {key!r} is not a llama-server flag name")
        reason = OWN_FLAGS.get(key.lower().replace("-", "_"))
        if reason is not None:
            raise PolyevalError(f"-M {key}: the llama-server backend sets it itself ({reason})")
    return dict(sorted(args.items()))


def server_slots(server: ServerProcess) -> int | None:
    """The server's slot count from GET /props, or None when it does not say."""
    props = get_json(f"{server.root_url}/props")
    slots = props.get("total_slots") if isinstance(props, dict) else None
    return slots if isinstance(slots, int) and slots > 0 else None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


class _Digest(threading.Thread):
    """The SHA-256 of a file, computed in a thread of its own."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="polyeval-gguf-sha256", daemon=True)
        self.path = path
        self.value: str | None = None
        self.error: str | None = None
        self.start()

    def run(self) -> None:
        try:
            with self.path.open("rb") as file:
                self.value = hashlib.file_digest(file, "sha256").hexdigest()
        except OSError as exc:
            self.error = exc.strerror or str(exc)

    def result(self) -> str:
        self.join()
        if self.value is None:
            raise PolyevalError(f"llama-server model {self.path}: cannot read it: {self.error}")
        return self.value
