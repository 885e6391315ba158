"""The vLLM flag table (harness/backends/vllm_flags.tsv) and how `vllm-server:` turns -M options
into `vllm serve` flags: checked against the help text of a real `vllm serve` (recorded in
tests/backends/data/vllm_serve_help.txt, and the installed vLLM's own parser where this
interpreter can import vllm), and end to end with tests/fake_server.py as the server."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import json
import re
import shlex
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.backends import create_backend, vllm_server
from harness.backends.options import BackendOptions
from harness.backends.vllm_flags import (
    FLAGS,
    Flag,
    engine_options,
    lookup,
    near_miss,
    server_options,
)
from harness.errors import PolyevalError
from harness.records import Hints, Message, Request, Response

HERE = Path(__file__).resolve().parent
RECORDED_HELP = HERE / "data" / "vllm_serve_help.txt"
FAKE_SERVER = HERE.parent / "fake_server.py"
# the flags the issue names, which the table must map
PARALLELISM = (
    "data_parallel_size",
    "tensor_parallel_size",
    "pipeline_parallel_size",
    "distributed_executor_backend",
    "data_parallel_size_local",
    "data_parallel_address",
    "data_parallel_rpc_port",
    "headless",
)
COMMON = (
    "max_model_len",
    "dtype",
    "gpu_memory_utilization",
    "quantization",
    "enforce_eager",
    "max_num_seqs",
    "enable_prefix_caching",
    "kv_cache_dtype",
    "trust_remote_code",
    "revision",
    "tokenizer",
    "served_model_name",
)
# a value of each type, as -M gives it, and as the flag's parser holds it
SAMPLES: dict[str, tuple[str, Any]] = {
    "int": ("3", 3),
    "float": ("0.25", 0.25),
    "str": ("some-value", "some-value"),
    "bool": ("true", True),
    "switch": ("true", True),
    "list": ("first second", ["first", "second"]),
    "json": ('{"a": 1}', {"a": 1}),
}
# flags whose value vLLM checks (against its choices, or its config classes)
CHOSEN: dict[str, str] = {
    "dtype": "bfloat16",
    "kv_cache_dtype": "fp8",
    "quantization": "fp8",
    "tokenizer_mode": "hf",
    "distributed_executor_backend": "ray",
    "data_parallel_backend": "ray",
    "load_format": "safetensors",
    "generation_config": "vllm",
    "chat_template_content_format": "string",
    "uvicorn_log_level": "warning",
    "reasoning_parser": "deepseek_r1",
    # JSON values that the option's config class takes
    "compilation_config": "{}",
    "speculative_config": "{}",
    "limit_mm_per_prompt": '{"image": 2}',
    "override_generation_config": '{"temperature": 0.5}',
    "default_chat_template_kwargs": '{"enable_thinking": false}',
}


# --- the recorded help text ------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One option of `vllm serve --help`: its spellings and how it takes a value."""

    names: tuple[str, ...]
    negated: bool  # has a --no- form (argparse's BooleanOptionalAction)
    value: bool  # takes a value
    many: bool  # takes one or more values


def help_options(text: str) -> dict[str, Option]:
    """The options of a `--help` text, by each of their spellings."""
    options: dict[str, Option] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("-") or line.startswith("# "):
            continue
        parts = re.split(r", (?=-)", line)  # not inside a list of choices
        spellings = [part.split(" ")[0] for part in parts]
        value = any(" " in part for part in parts)
        option = Option(
            names=tuple(s for s in spellings if not s.startswith("--no-")),
            negated=any(s.startswith("--no-") for s in spellings),
            value=value,
            many="..." in line,
        )
        for name in spellings:
            options[name] = option
    return options


def parser_from(options: dict[str, Option]) -> argparse.ArgumentParser:
    """An argparse parser with the help text's options, as `vllm serve` declares them."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("model")
    seen: set[int] = set()
    for option in options.values():
        if id(option) in seen or option.names[0] in {"-h", "--help"}:
            continue
        seen.add(id(option))
        if option.negated:
            parser.add_argument(*option.names, action=argparse.BooleanOptionalAction)
        elif not option.value:
            parser.add_argument(*option.names, action="store_true")
        else:
            parser.add_argument(*option.names, nargs="+" if option.many else None)
    return parser


@pytest.fixture(scope="module")
def recorded() -> dict[str, Option]:
    return help_options(RECORDED_HELP.read_text(encoding="utf-8"))


def usable(flag: Flag) -> bool:
    return flag.type != "own"


def sample_argv(flag: Flag) -> tuple[list[str], Any]:
    """The flags `vllm-server:` makes of a sample value, and the value a parser should get."""
    given, parsed = SAMPLES[flag.type]
    if flag.key in CHOSEN:
        given = CHOSEN[flag.key]
        parsed = json.loads(given) if flag.type == "json" else given
    return server_options({flag.key: given}).argv(), parsed


def test_the_table_holds_the_parallelism_and_the_common_engine_flags() -> None:
    for key in (*PARALLELISM, *COMMON):
        assert key in FLAGS and FLAGS[key].type != "own", key
    assert {"seed", "model", "host", "port", "api_key"} <= {
        f.key for f in FLAGS.values() if f.type == "own"
    }
    assert all(f.what for f in FLAGS.values())


def test_every_flag_of_the_table_is_a_vllm_serve_flag_of_its_type(
    recorded: dict[str, Option],
) -> None:
    for flag in FLAGS.values():
        option = recorded.get(flag.flag)
        assert option is not None, f"{flag.flag} is not in the recorded help"
        if flag.type == "bool":
            assert option.negated, flag.key
        elif flag.type == "switch":
            assert not option.value and not option.negated, flag.key
        elif flag.type == "list":
            assert option.value and option.many, flag.key
        elif flag.type != "own":
            assert option.value and not option.negated, flag.key
        for alias in flag.aliases:  # vLLM's short flags (-tp), or its other long name
            spelling = f"--{alias.replace('_', '-')}" if "_" in alias else f"-{alias}"
            assert spelling in option.names, (flag.key, alias)


@pytest.mark.parametrize("key", [k for k, f in FLAGS.items() if f.type != "own"])
def test_each_flag_maps_to_what_vllm_serve_parses(key: str, recorded: dict[str, Option]) -> None:
    flag = FLAGS[key]
    argv, expected = sample_argv(flag)
    namespace = parser_from(recorded).parse_args(["org/model", *argv])
    parsed = getattr(namespace, key)
    if flag.type == "json":  # given as JSON text: vLLM reads it
        parsed = json.loads(parsed)
    elif flag.type in {"int", "float"}:
        parsed = type(expected)(parsed)
    assert parsed == expected
    if flag.type == "bool":  # false: the --no- form
        argv = server_options({key: "false"}).argv()
        assert argv == [f"--no-{flag.flag[2:]}"]
        assert getattr(parser_from(recorded).parse_args(["m", *argv]), key) is False
    if flag.type == "switch":  # false: no flag at all
        assert server_options({key: "false"}).argv() == []


def test_the_parallelism_flags_as_vllm_serve_gets_them(recorded: dict[str, Option]) -> None:
    args = {
        "data_parallel_size": "4",
        "tp": "2",
        "pipeline_parallel_size": "2",
        "distributed_executor_backend": "ray",
        "dpl": "2",
        "data_parallel_address": "10.0.0.1",
        "data_parallel_rpc_port": "13345",
        "enable_expert_parallel": "true",
    }
    argv = server_options(args).argv()
    assert argv == [
        "--tensor-parallel-size",
        "2",
        "--pipeline-parallel-size",
        "2",
        "--data-parallel-size",
        "4",
        "--distributed-executor-backend",
        "ray",
        "--enable-expert-parallel",
        "--data-parallel-size-local",
        "2",
        "--data-parallel-address",
        "10.0.0.1",
        "--data-parallel-rpc-port",
        "13345",
    ]
    namespace = parser_from(recorded).parse_args(["m", *argv])
    assert namespace.data_parallel_size == "4" and namespace.data_parallel_size_local == "2"
    assert namespace.distributed_executor_backend == "ray"


def test_no_real_flag_outside_the_table_is_taken_for_a_typing_mistake(
    recorded: dict[str, Option],
) -> None:
    """A near miss is refused; a real flag the table does not hold must pass through."""
    for spelling in recorded:
        if not spelling.startswith("--"):
            continue
        key = spelling[2:].replace("-", "_")
        negation_of_ours = key.startswith("no_") and key[3:] in FLAGS
        if lookup(key) is None and not negation_of_ours:
            assert near_miss(key) is None, key


# --- the installed vLLM's own parser, where this interpreter has vllm -----------------------


def vllm_parser() -> Any:
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vllm is not installed in this interpreter (the recorded help is checked)")
    cli_args = None
    for name in ("vllm.entrypoints.launchers.cli_args", "vllm.entrypoints.openai.cli_args"):
        if importlib.util.find_spec(name) is not None:  # where this vLLM keeps `vllm serve`'s
            cli_args = importlib.import_module(name)
            break
    assert cli_args is not None
    utils = None
    for name in ("vllm.utils.argparse_utils", "vllm.utils"):
        module = importlib.import_module(name)
        if hasattr(module, "FlexibleArgumentParser"):
            utils = module
            break
    assert utils is not None
    return cli_args.make_arg_parser(utils.FlexibleArgumentParser())


def test_each_flag_maps_to_what_the_installed_vllm_parses() -> None:
    parser = vllm_parser()
    known = {s for action in parser._actions for s in action.option_strings}
    for flag in FLAGS.values():
        assert flag.flag in known, flag.flag
        if not usable(flag) or flag.key == "config":  # --config reads a file
            continue
        argv, expected = sample_argv(flag)
        namespace = parser.parse_args(["--model", "org/model", *argv])
        parsed = getattr(namespace, flag.key)
        if flag.type in {"int", "float", "str", "bool", "switch", "list"}:
            assert parsed == expected, flag.key


# --- pass-through and errors -----------------------------------------------------------------


def test_unknown_keys_pass_through_as_flags() -> None:
    args = {
        "swap_space": "4",
        "some-flag": "x y",
        "on_flag": "true",
        "empty": "",
        "off_flag": "false",
        "k": "1",
    }
    assert server_options(args).argv() == [
        "--empty",
        "-k",
        "1",
        "--no-off-flag",
        "--on-flag",
        "--some-flag",
        "x y",
        "--swap-space",
        "4",
    ]
    with pytest.raises(PolyevalError, match="a one-letter flag has no negative form"):
        server_options({"k": "false"}).argv()
    extra = server_options({"dtype": "half"}, "--chat-template '{{ x }}' --foo")
    assert extra.argv() == ["--dtype", "half", "--chat-template", "{{ x }}", "--foo"]


@pytest.mark.parametrize(
    ("args", "extra", "message"),
    [
        (
            {"tensor_paralel_size": "2"},
            "",
            "-M tensor_paralel_size is not a vllm serve flag this"
            " backend knows; did you mean tensor_parallel_size? (to pass it as it is: -M"
            " extra_args='--tensor-paralel-size 2')",
        ),
        ({"no_enforce_eager": "true"}, "", "write -M enforce_eager=false"),
        ({"tp": "two"}, "", "-M tp takes a whole number, not 'two'"),
        ({"gpu_memory_utilization": "most"}, "", "-M gpu_memory_utilization takes a number"),
        ({"enforce_eager": "maybe"}, "", "-M enforce_eager takes true or false, not 'maybe'"),
        ({"hf_overrides": "{bad"}, "", "-M hf_overrides takes a JSON value, not '{bad'"),
        ({"served_model_name": " "}, "", "-M served_model_name takes one or more"),
        ({"seed": "3"}, "", "-M seed: the backend sets it itself (use --seed)"),
        ({"port": "8000"}, "", "-M port: the backend sets it itself"),
        ({"api-key": "x"}, "", "-M api-key: the backend sets it itself (set VLLM_API_KEY"),
        ({"tp": "2", "tensor_parallel_size": "2"}, "", "tensor_parallel_size is given twice"),
        ({"bad key": "1"}, "", "-M 'bad key' is not a vllm serve flag name"),
        ({}, "--x 'open", "-M extra_args is not a valid command line"),
    ],
)
def test_mistakes_are_one_line_errors_naming_the_key(
    args: dict[str, str], extra: str, message: str
) -> None:
    with pytest.raises(PolyevalError) as caught:
        server_options(args, extra)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_vllm_takes_the_offline_keys_of_the_table() -> None:
    args = engine_options({"tp": "2", "enforce_eager": "true", "hf_overrides": '{"a": [1]}'})
    assert args == {"tensor_parallel_size": 2, "enforce_eager": True, "hf_overrides": {"a": [1]}}
    with pytest.raises(PolyevalError, match=r"vllm takes no -M served_model_name: a vllm serve"):
        engine_options({"served_model_name": "x"})
    with pytest.raises(PolyevalError, match="vllm takes no -M max_model_lem; did you mean max_"):
        engine_options({"max_model_lem": "3"})
    with pytest.raises(PolyevalError, match="-M seed: the backend sets it itself"):
        engine_options({"seed": "3"})


# --- vllm-server: end to end -----------------------------------------------------------------


def recording_server(tmp_path: Path) -> tuple[str, Path]:
    """A command that records its arguments, logs vLLM's platform line, then becomes
    tests/fake_server.py."""
    record = tmp_path / "server.json"
    wrapper = tmp_path / "serve.py"
    wrapper.write_text(
        "import json, os, sys\n"
        f"with open({str(record)!r}, 'w') as f:\n"
        "    json.dump({'argv': sys.argv[1:]}, f)\n"
        "print('(Worker pid=7) INFO 12-07 13:46:47 [gpu_model_runner.py:68] Starting to load"
        " model org/model...', flush=True)\n"
        f"os.execv(sys.executable, [sys.executable, {str(FAKE_SERVER)!r}, *sys.argv[1:]])\n"
    )
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(wrapper))}", record


def ask(backend: Any, text: str) -> Response:
    """One chat request's answer; the backend closed after it."""
    request = Request(
        task="mgsm",
        variant="direct",
        language="eng_Latn",
        sample_id="1",
        parallel_id="1",
        messages=(Message("user", text),),
        prompt=None,
        generation={"temperature": 0.0, "max_tokens": 8},
        template_hash="t",
        hints=Hints(gold="B"),
    )

    async def run() -> Response:
        try:
            return [response async for _, response in backend.generate([request])].pop()
        finally:
            await backend.aclose()

    return asyncio.run(run())


def test_vllm_server_passes_the_flags_and_records_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command, record = recording_server(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    real_get_json = vllm_server.get_json

    def get_json(url: str, timeout: float = 5.0) -> Any:
        return {"version": "0.32.0"} if url.endswith("/version") else real_get_json(url)

    monkeypatch.setattr(vllm_server, "get_json", get_json)
    args = {
        "command": command,
        "tp": "2",
        "data_parallel_size": "2",
        "distributed_executor_backend": "ray",
        "kv_cache_dtype": "fp8",
        "gpu_memory_utilization": "0.8",
        "enforce_eager": "false",
        "served_model_name": "alias other",
        "swap_space": "4",
        "extra_args": "--max-cpu-loras 2",
    }
    backend = create_backend("vllm-server:org/model", BackendOptions(args=args, seed=5))
    argv = json.loads(record.read_text())["argv"]
    assert argv[:3] == ["org/model", "--seed", "5"]
    assert argv[3:-4] == [
        "--tensor-parallel-size",
        "2",
        "--data-parallel-size",
        "2",
        "--distributed-executor-backend",
        "ray",
        "--kv-cache-dtype",
        "fp8",
        "--gpu-memory-utilization",
        "0.8",
        "--no-enforce-eager",
        "--served-model-name",
        "alias",
        "other",
        "--swap-space",
        "4",
        "--max-cpu-loras",
        "2",
    ]
    assert argv[-4:-2] == ["--host", "127.0.0.1"]
    assert backend.identity() == {
        "kind": "vllm-server",
        "model": "org/model",
        "revision": None,
        "dtype": "auto",
        "max_model_len": None,
        "engine_args": {
            "kv_cache_dtype": "fp8",
            "swap_space": "4",
            "extra_args": ["--max-cpu-loras", "2"],
        },
    }
    assert backend.engine() == {
        "name": "vllm",
        "version": "0.32.0",
        "device": {"type": "cuda"},
        "parallel": {"tp": 2, "pp": 1, "dp": 2},
        "options": {
            "tensor_parallel_size": 2,
            "data_parallel_size": 2,
            "distributed_executor_backend": "ray",
            "kv_cache_dtype": "fp8",
            "gpu_memory_utilization": 0.8,
            "enforce_eager": False,
            "served_model_name": ["alias", "other"],
            "swap_space": "4",
            "extra_args": ["--max-cpu-loras", "2"],
        },
    }
    answer = ask(backend, "hello")
    assert answer.ok, answer.error


def test_vllm_server_refuses_headless_and_mistakes_before_starting(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    command = f"{shlex.quote(sys.executable)} -c 'open({str(marker)!r}, \"w\")'"
    for args, message in [
        ({"headless": "true"}, "a headless vllm serve answers no requests"),
        ({"data_paralel_size": "2"}, "did you mean data_parallel_size?"),
        ({"seed": "1"}, "use --seed"),
    ]:
        with pytest.raises(PolyevalError, match=message):
            create_backend("vllm-server:m", BackendOptions(args={"command": command, **args}))
    assert not marker.exists()


@pytest.mark.parametrize(
    ("line", "device"),
    [
        (
            "(Worker pid=1) INFO 12-07 13:46:47 [cpu_model_runner.py:68] Starting to load model m",
            {"type": "cpu"},
        ),
        (
            "(EngineCore_DP0 pid=2) INFO 09-21 12:29:22 [gpu_model_runner.py:2530] Starting to load"
            " model m...",
            {"type": "cuda"},
        ),
        (
            "INFO 04-23 14:42:34 [llm_engine.py:243] Initializing a V0 LLM engine (v0.8.5) with"
            " config: model='m', device_config=cuda, decoding_config=...",
            {"type": "cuda"},
        ),
        (
            "INFO 03-01 10:00:00 [__init__.py:256] Automatically detected platform rocm.",
            {"type": "rocm"},
        ),
        ("INFO nothing about the device", None),
    ],
)
def test_the_server_log_names_the_device(line: str, device: dict[str, str] | None) -> None:
    assert vllm_server.log_device(f"INFO starting\n{line}\nINFO ready\n") == device
