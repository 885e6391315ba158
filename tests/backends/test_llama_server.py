"""`llama-server:MODEL.gguf`: how the backend finds the server binary, maps -M options onto its
flags, names the model, and starts and stops the server, with tests/fake_server.py standing in
for llama-server (a real HTTP server on 127.0.0.1). tests/backends/test_real_model.py runs the
real one."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.backends import create_backend, llama_server
from harness.backends.options import BackendOptions
from harness.errors import PolyevalError
from tests.backends.test_vllm import accepts, answer_all, process_gone, request
from tests.conftest import REPO, assert_one_line_error, process_command

FAKE_SERVER = REPO / "tests" / "fake_server.py"


@pytest.fixture(autouse=True)
def private_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Server logs (kept when a server fails, for the error message) go under tmp_path; no
    binary from the environment is picked up unless a test puts it there."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv(llama_server.ENV_VARIABLE, raising=False)


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    """A file that looks like a GGUF model to the backend (the fake server never reads it)."""
    path = tmp_path / "models" / "tiny-model.Q4_0.gguf"
    path.parent.mkdir()
    path.write_bytes(b"GGUF" + bytes(range(256)) * 64)
    return path


def stub_server(folder: Path, name: str = "llama-server") -> tuple[Path, Path]:
    """An executable that records its pid and arguments, then becomes tests/fake_server.py;
    returns (the executable, the record it writes)."""
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / f"{name}.json"
    stub = folder / name
    stub.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"with open({str(record)!r}, 'w') as f:\n"
        "    json.dump({'pid': os.getpid(), 'argv': sys.argv[1:]}, f)\n"
        f"os.execv(sys.executable, [sys.executable, {str(FAKE_SERVER)!r}, *sys.argv[1:]])\n"
    )
    stub.chmod(0o755)
    return stub, record


def flag_value(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_options_map_to_flags_and_identity_holds_no_path(gguf: Path, tmp_path: Path) -> None:
    stub, record = stub_server(tmp_path / "bin")
    args = {
        "command": str(stub),
        "ctx_size": "8192",
        "parallel": "2",
        "threads": "1",
        "flash_attn": "on",
        "jinja": "true",
        "warmup": "false",
        "b": "512",
        "backoff_max": "5",
    }
    backend = create_backend(f"llama-server:{gguf}", BackendOptions(args=args, seed=7))
    try:
        argv = json.loads(record.read_text())["argv"]
        assert flag_value(argv, "--model") == str(gguf.resolve())
        assert flag_value(argv, "--alias") == "tiny-model.Q4_0.gguf"
        assert flag_value(argv, "--seed") == "7"
        assert flag_value(argv, "--ctx-size") == "8192"
        assert flag_value(argv, "--parallel") == "2"
        assert flag_value(argv, "--threads") == "1"
        assert flag_value(argv, "--flash-attn") == "on"
        assert flag_value(argv, "-b") == "512"
        assert "--jinja" in argv and "--no-warmup" in argv
        assert flag_value(argv, "--host") == "127.0.0.1"
        assert "--backoff-max" not in argv  # the client's option, not the server's
        identity = backend.identity()
        assert identity == {
            "kind": "llama-server",
            "name": "llama-server:tiny-model.Q4_0.gguf",
            "model": "tiny-model.Q4_0.gguf",
            "sha256": hashlib.sha256(gguf.read_bytes()).hexdigest(),
            "revision": None,
            "server_args": {"b": "512", "flash_attn": "on", "jinja": "true", "warmup": "false"},
        }
        assert str(tmp_path) not in json.dumps(identity)
        inner: Any = getattr(backend, "inner")  # noqa: B009
        assert inner.options.concurrency == 2  # no more in flight than the server has slots
        assert inner.backoff_max == 5.0
        answers = answer_all(backend, [request("hello"), request("world", completion=True)])
        assert all(a.ok and a.text.startswith("Answer: ") for a in answers.values()), answers
    finally:
        answer_all(backend, [])
    assert process_gone(json.loads(record.read_text())["pid"])
    assert list(tmp_path.glob("polyeval-llama-server-*")) == []  # the log goes with the server


def test_flag_mapping_rules() -> None:
    assert llama_server.flag_args("ctx_checkpoints", "8") == ["--ctx-checkpoints", "8"]
    assert llama_server.flag_args("jinja", "TRUE") == ["--jinja"]
    assert llama_server.flag_args("cont_batching", "false") == ["--no-cont-batching"]
    assert llama_server.flag_args("ub", "256") == ["--ub", "256"]
    assert llama_server.flag_args("b", "512") == ["-b", "512"]
    with pytest.raises(PolyevalError, match="one-letter flag has no negative form"):
        llama_server.flag_args("e", "false")
    for key in ("port", "host", "m", "alias", "seed", "api_key"):
        with pytest.raises(PolyevalError, match=f"-M {key}: the llama-server backend sets it"):
            llama_server.pass_through({key: "1"})
    with pytest.raises(PolyevalError, match="is not a llama-server flag name"):
        llama_server.pass_through({"--port": "1"})


def test_binary_lookup_order(gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    named, named_record = stub_server(tmp_path / "named")
    shared, shared_record = stub_server(tmp_path / "shared")
    on_path, path_record = stub_server(tmp_path / "path")
    monkeypatch.setenv("PATH", f"{on_path.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setattr(llama_server, "SHARED_BUILD", shared)
    monkeypatch.setenv(llama_server.ENV_VARIABLE, str(named))
    assert llama_server.find_server() == named
    monkeypatch.delenv(llama_server.ENV_VARIABLE)
    assert llama_server.find_server() == shared
    monkeypatch.setattr(llama_server, "SHARED_BUILD", tmp_path / "no-such-build")
    assert llama_server.find_server() == on_path
    # the backend starts the binary it found
    answer_all(create_backend(f"llama-server:{gguf}", BackendOptions()), [])
    assert json.loads(path_record.read_text())["argv"][:2] == ["--model", str(gguf.resolve())]
    assert not named_record.exists() and not shared_record.exists()
    # the shared build's place is beside the repository
    assert llama_server.REPO_ROOT == REPO
    assert REPO.parent / "shared/tools/llama.cpp/llama-server" == Path(
        os.path.normpath(REPO / "../shared/tools/llama.cpp/llama-server")
    )


def test_missing_binary_is_a_clear_error(
    evaluate: Callable[..., Result], gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(llama_server, "SHARED_BUILD", tmp_path / "no-such-build")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    options = {"tasks": "belebele", "limit": 1, "source": "sample"}
    result = evaluate(f"run --model llama-server:{gguf}", output=tmp_path / "run", **options)
    assert_one_line_error(result, "llama-server not found", llama_server.ENV_VARIABLE)
    assert not (tmp_path / "run").exists()
    monkeypatch.setenv(llama_server.ENV_VARIABLE, str(tmp_path / "missing-llama-server"))
    result = evaluate(f"run --model llama-server:{gguf}", output=tmp_path / "run", **options)
    assert_one_line_error(result, "missing-llama-server is not an executable file")
    result = evaluate(
        f"run --model llama-server:{gguf}",
        "-M",
        "command=polyeval-no-such-llama-server",
        output=tmp_path / "run",
        **options,
    )
    assert_one_line_error(result, "cannot start 'polyeval-no-such-llama-server'", "-M command")


def test_missing_model_is_a_clear_error(evaluate: Callable[..., Result], tmp_path: Path) -> None:
    stub, record = stub_server(tmp_path / "bin")
    options = {"tasks": "belebele", "limit": 1, "source": "sample", "output": tmp_path / "run"}
    not_gguf = tmp_path / "model.gguf"
    not_gguf.write_text("version https://git-lfs.github.com/spec/v1\n")
    cases = [
        (tmp_path / "nowhere.gguf", "nowhere.gguf: not found"),
        (tmp_path, "is a folder, not a GGUF file"),
        (not_gguf, "model.gguf is not a GGUF file"),
    ]
    for model, message in cases:
        result = evaluate(f"run --model llama-server:{model}", "-M", f"command={stub}", **options)
        assert_one_line_error(result, message)
    assert not record.exists()  # no server was started for a model that is not there


def test_server_that_dies_at_start(
    evaluate: Callable[..., Result], gguf: Path, tmp_path: Path
) -> None:
    script = "import sys; print('loading model'); print('error: invalid argument: --x'); exit(1)"
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}"
    result = evaluate(
        f"run --model llama-server:{gguf}",
        "-M",
        f"command={command}",
        tasks="belebele",
        limit=1,
        source="sample",
        output=tmp_path / "run",
    )
    line = assert_one_line_error(
        result,
        "llama-server for tiny-model.Q4_0.gguf exited with code 1 before it was ready",
        "loading model | error: invalid argument: --x",
    )
    (log,) = tmp_path.glob("polyeval-llama-server-*/server.log")  # kept: the error names it
    assert str(log) in line


def test_run_and_rerun_from_the_cache_wherever_the_model_lies(
    evaluate: Callable[..., Result], gguf: Path, tmp_path: Path
) -> None:
    stub, record = stub_server(tmp_path / "bin")

    def run(model: Path, output: Path) -> dict[str, Any]:
        result = evaluate(
            f"run --model llama-server:{model} -M parallel=2",
            "-M",
            f"command={stub}",
            tasks="belebele",
            limit=2,
            source="sample",
            output=output,
        )
        assert result.exit_code == 0, result.output
        manifest: dict[str, Any] = json.loads((output / "manifest.json").read_text())
        server = json.loads(record.read_text())
        assert process_gone(server["pid"])
        assert not accepts(int(flag_value(server["argv"], "--port")))
        return manifest

    first = run(gguf, tmp_path / "run")
    assert first["model"]["name"] == "llama-server:tiny-model.Q4_0.gguf"
    assert first["model"]["kind"] == "llama-server"
    assert first["counts"]["sent"] == first["counts"]["requests"] > 0
    assert first["counts"]["failed"] == 0
    # the same file elsewhere is the same model: every answer comes from the cache
    copy = tmp_path / "elsewhere" / gguf.name
    copy.parent.mkdir()
    copy.write_bytes(gguf.read_bytes())
    again = run(copy, tmp_path / "rerun")
    assert again["counts"]["sent"] == 0
    assert again["counts"]["from_cache"] == again["counts"]["requests"]
    assert again["model"]["sha256"] == first["model"]["sha256"]
    # another file under the same name is another model
    copy.write_bytes(gguf.read_bytes() + b"changed")
    changed = run(copy, tmp_path / "changed")
    assert changed["counts"]["from_cache"] == 0
    assert changed["model"]["sha256"] != first["model"]["sha256"]


@pytest.mark.parametrize(
    ("sent", "code", "said"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["ctrl-c", "sigterm"],
)
def test_ctrl_c_or_sigterm_stops_the_server(
    gguf: Path, tmp_path: Path, sent: signal.Signals, code: int, said: str
) -> None:
    """SIGINT (Ctrl-C) or SIGTERM (a scheduler ending the job, `kill`) to `evaluate` while the
    server is answering: the run ends with exit code 128 + the signal and the server's process
    is gone."""
    record = tmp_path / "server.json"
    stub = tmp_path / "hanging-server"  # healthy at once, never answers a request
    stub.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys, time\n"
        "from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer\n"
        "class Handler(BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(200 if self.path == '/health' else 404)\n"
        "        self.end_headers()\n"
        "    def do_POST(self):\n"
        "        time.sleep(600)\n"
        "port = int(sys.argv[sys.argv.index('--port') + 1])\n"
        "server = ThreadingHTTPServer(('127.0.0.1', port), Handler)\n"
        f"with open({str(record)!r}, 'w') as f:\n"
        "    json.dump({'pid': os.getpid(), 'argv': sys.argv[1:]}, f)\n"
        "server.serve_forever()\n"
    )
    stub.chmod(0o755)
    argv = process_command(
        f"run --model llama-server:{gguf}",
        tasks="belebele",
        limit=1,
        source="sample",
        output=tmp_path / "run",
        cache=tmp_path / "cache.sqlite",
    )
    argv[argv.index("run") + 1 : argv.index("run") + 1] = ["-M", f"command={stub}"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        port = None
        while time.monotonic() < deadline and process.poll() is None:
            if record.exists():
                server = json.loads(record.read_text())
                port = int(flag_value(server["argv"], "--port"))
                if accepts(port):
                    break
            time.sleep(0.2)
        assert port is not None and accepts(port), "the server never came up"
        time.sleep(1.0)  # the requests are in flight, held by the server's latency
        process.send_signal(sent)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == code, output
    assert said in output
    assert process_gone(server["pid"])
    assert not accepts(port)
