"""Proxies and .netrc credentials from the environment, as other HTTP clients take them: the
OpenAI-compatible backend works them out once per endpoint (harness.backends.environment)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import read_run
from tests.fake_server import FakeServer

UNREACHABLE = "http://model.invalid:8000/v1"  # a host no resolver knows: reached by proxy only
COMMAND = (
    "run --model openai:fake-model --source sample --tasks mgsm --languages en --limit 2 "
    "--max-attempts 1 --api-key-env POLYEVAL_TEST_NO_KEY"
)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer().start_in_thread()
    yield fake
    fake.stop_thread()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.delenv("POLYEVAL_TEST_NO_KEY", raising=False)
    (tmp_path / "empty-netrc").write_text("")
    monkeypatch.setenv("NETRC", str(tmp_path / "empty-netrc"))


def test_requests_go_through_the_proxy_the_environment_names(
    evaluate: Callable[..., Result],
    server: FakeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.port}")
    out = tmp_path / "run"
    result = evaluate(COMMAND, base_url=UNREACHABLE, output=out)
    assert result.exit_code == 0, result.output
    assert all(s["output"] for s in read_run(out)["samples"])
    assert len(server.bodies) == 2


def test_no_proxy_sends_requests_directly(
    evaluate: Callable[..., Result],
    server: FakeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.port}")
    monkeypatch.setenv("NO_PROXY", "model.invalid")
    out = tmp_path / "run"
    result = evaluate(COMMAND, base_url=UNREACHABLE, output=out)
    assert result.exit_code == 3, result.output
    errors = [s["error"] for s in read_run(out)["samples"]]
    assert all("cannot resolve host 'model.invalid'" in e for e in errors), errors
    assert server.bodies == []


def test_netrc_credentials_are_sent_where_the_request_has_none(
    evaluate: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guarded = FakeServer(basic_auth=("ada", "s3cret-word")).start_in_thread()
    try:
        netrc = tmp_path / "netrc"
        netrc.write_text("machine 127.0.0.1 login ada password s3cret-word\n")
        monkeypatch.setenv("NETRC", str(netrc))
        out = tmp_path / "run"
        result = evaluate(COMMAND, base_url=guarded.base_url, output=out)
        assert result.exit_code == 0, result.output
        assert all(s["output"] for s in read_run(out)["samples"])
        assert "s3cret-word" not in (out / "manifest.json").read_text()
    finally:
        guarded.stop_thread()
