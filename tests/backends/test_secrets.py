"""Secrets: a canary in every place a user can put one (the API key's variable, a URL's
credentials and query, `--extra-body` keys, `-M` options) is sent where it must go and reaches
no file the harness writes (run folders, cache, site, exports) and no message it prints."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from harness.backends.secrets import is_secret_name, masked, masked_argv, public_url
from harness.backends.urls import endpoint
from tests.backends.test_llama_server import stub_server
from tests.conftest import read_run
from tests.fake_server import FakeServer

ENV_KEY = "CANARY-env-key-4f1d9c"
URL_USER = "alice"
URL_PASSWORD = "CANARY-url-pass-77a1e0"
URL_QUERY = "CANARY-url-query-3b8c"
EXTRA_KEY = "CANARY-extra-key-0d2f"
EXTRA_TOKEN = "CANARY-extra-token-6e91"
OPTION = "CANARY-option-9a4b51"
CANARIES = (ENV_KEY, URL_PASSWORD, URL_QUERY, EXTRA_KEY, EXTRA_TOKEN, OPTION)
EXTRA_BODY = json.dumps(
    {"api_key": EXTRA_KEY, "vendor": {"access_token": EXTRA_TOKEN, "region": "eu"}, "top_k": 5}
)
TASK = "--source sample --tasks belebele --languages en,ur --limit 2"


def _written(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def _leaks(paths: list[Path], texts: list[str]) -> list[str]:
    found = []
    for canary in CANARIES:
        for path in paths:
            data = path.read_bytes()
            # as written, and as base64 (an Authorization header echoed back)
            for form in (canary.encode(), base64.b64encode(canary.encode())[:16]):
                if form in data:
                    found.append(f"{canary} in {path}")
        found += [f"{canary} in output {i}" for i, text in enumerate(texts) if canary in text]
    return found


def test_credentials_in_the_base_url_are_sent_as_a_header(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    guarded = FakeServer(basic_auth=(URL_USER, URL_PASSWORD)).start_in_thread()
    try:
        url = guarded.base_url.replace("://", f"://{URL_USER}:{URL_PASSWORD}@")
        out = tmp_path / "run"
        result = evaluate(f"run --model openai:fake-model {TASK}", base_url=url, output=out)
    finally:
        guarded.stop_thread()
    assert result.exit_code == 0, result.output
    token = base64.b64encode(f"{URL_USER}:{URL_PASSWORD}".encode()).decode()
    assert guarded.authorizations == [f"Basic {token}"] * 4
    model = read_run(out)["manifest"]["model"]
    assert model["base_url"] == guarded.base_url and model["base_urls"] == [guarded.base_url]
    assert _leaks(_written(tmp_path), [result.output]) == []


def test_no_canary_reaches_any_file_or_message(
    evaluate: Callable[..., Result],
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLYEVAL_CANARY_KEY", ENV_KEY)
    monkeypatch.setenv("LLAMA_API_KEY", ENV_KEY)
    keyed = FakeServer(api_key=ENV_KEY).start_in_thread()
    guarded = FakeServer(basic_auth=(URL_USER, URL_PASSWORD)).start_in_thread()
    results = tmp_path / "results"
    try:
        url = guarded.base_url.replace("://", f"://{URL_USER}:{URL_PASSWORD}@")
        api = evaluate(
            f"run --model openai:fake-model {TASK} --api-key-env POLYEVAL_CANARY_KEY",
            "--base-url",
            keyed.base_url,
            "--base-url",
            f"{url}?api_key={URL_QUERY}",
            f"--extra-body={EXTRA_BODY}",
            output=results / "api",
        )
        refused = evaluate(
            f"run --model openai:fake-model {TASK} -M api_token={OPTION}",
            base_url=keyed.base_url,
            output=results / "refused",
        )
    finally:
        keyed.stop_thread()
        guarded.stop_thread()
    assert api.exit_code == 0, api.output
    assert refused.exit_code == 2 and "api_token" in refused.output
    sent = keyed.bodies + guarded.bodies
    assert sent and all(b["api_key"] == EXTRA_KEY for b in sent)  # sent whole, where asked
    assert all(b["vendor"]["access_token"] == EXTRA_TOKEN for b in sent)
    outputs = [api.output, refused.output, *_local_server_run(evaluate, results, tmp_path_factory)]
    for command in (
        f"export {results / 'api'} {results / 'llama'} --format csv --out {tmp_path / 'csv'}",
        f"export {results / 'api'} --format json --out {tmp_path / 'json'}",
        f"export {results / 'api'} --format parquet --out {tmp_path / 'parquet'}",
        f"score {results / 'api'} --output {tmp_path / 'rescored'}",
        f"show {results / 'api'}",
        f"leaderboard --results {results} --out {tmp_path / 'site'}",
    ):
        done = evaluate(command)
        assert done.exit_code == 0, done.output
        outputs.append(done.output)
    manifest = read_run(results / "api")["manifest"]
    assert manifest["replay"]["generation"]["extra_body"]["vendor"] == {
        "access_token": "***",
        "region": "eu",
    }
    assert _leaks(_written(tmp_path), outputs) == []


def _local_server_run(
    evaluate: Callable[..., Result], results: Path, factory: pytest.TempPathFactory
) -> list[str]:
    """A llama-server run (the fake server standing in) with a key-like -M option, which is
    passed to the server as a flag: its output. The stand-in and its record of its flags lie
    outside the folder that is searched."""
    folder = factory.mktemp("llama")
    stub, record = stub_server(folder / "bin")
    model = folder / "tiny.gguf"
    model.write_bytes(b"GGUF" + bytes(64))
    result = evaluate(
        f"run --model llama-server:{model} {TASK} -M hf_token={OPTION}",
        "-M",
        f"command={stub}",
        output=results / "llama",
    )
    assert result.exit_code == 0, result.output
    assert OPTION in json.loads(record.read_text())["argv"]  # the server got it
    manifest = read_run(results / "llama")["manifest"]
    assert manifest["model"]["server_args"] == {"hf_token": "***"}
    assert manifest["model"]["args"]["hf_token"] == "***"
    return [result.output]


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("api_key", True),
        ("apiKey", True),
        ("x-api-key", True),
        ("access_token", True),
        ("client_secret", True),
        ("Authorization", True),
        ("password", True),
        ("hf_token", True),
        ("max_tokens", False),
        ("max_completion_tokens", False),
        ("top_k", False),
        ("monkey", False),
    ],
)
def test_key_like_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_what_is_masked_and_what_is_kept() -> None:
    given = {"api_key": "s3cret", "stop_token_ids": [1, 2], "auth": {"user": "u", "n": 3}}
    want = {"api_key": "***", "stop_token_ids": [1, 2], "auth": {"user": "***", "n": 3}}
    assert masked(given) == want
    argv = [
        "run",
        "--base-url",
        "http://u:pw@h:1/v1?token=t&x=1",
        "--extra-body",
        '{"token": "t"}',
        "-M",
        "api_key=k",
        "-Mpassword=p",
        "--model-arg=secret=s",
        "-M",
        "dtype=half",
    ]
    assert masked_argv(argv) == [
        "run",
        "--base-url",
        "http://h:1/v1?token=***&x=1",
        "--extra-body",
        '{"token": "***"}',
        "-M",
        "api_key=***",
        "-Mpassword=***",
        "--model-arg=secret=***",
        "-M",
        "dtype=half",
    ]
    assert public_url("http://u:p@[::1") == "http://[::1"


def test_an_endpoint_keeps_its_credentials_apart() -> None:
    with_password = endpoint("http://alice:pa%24s@127.0.0.1:8000/v1?api_key=q1q1&x=1")
    assert str(with_password.url) == "http://127.0.0.1:8000/v1?api_key=q1q1&x=1"
    assert with_password.public == "http://127.0.0.1:8000/v1?api_key=***&x=1"
    token = base64.b64encode(b"alice:pa$s").decode()
    assert with_password.authorization == f"Basic {token}"
    assert {"pa$s", token, "q1q1"} <= set(with_password.secrets)
    assert "alice" not in with_password.secrets
    key_as_user = endpoint("https://sk-123456@api.example.com/v1")
    assert key_as_user.public == "https://api.example.com/v1"
    assert "sk-123456" in key_as_user.secrets and "sk-123456" not in repr(key_as_user)
