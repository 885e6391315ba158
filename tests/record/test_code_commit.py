"""The code's commit in a run's manifest (harness.manifest.git_commit): git is asked as the run
starts and answers beside it; the manifest records the code as it was then."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

import harness
from harness import manifest
from harness.record import open_run


@pytest.fixture(autouse=True)
def _asked_afresh() -> Iterator[None]:
    manifest.describe_code.cache_clear()
    manifest.git_commit.cache_clear()
    yield
    manifest.describe_code.cache_clear()
    manifest.git_commit.cache_clear()


def _git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git checkout the code seems to run from (harness/__init__.py in it), committed."""
    if shutil.which("git") is None:
        pytest.skip("no git on this machine")
    root = tmp_path / "checkout"
    (root / "harness").mkdir(parents=True)
    (root / "harness" / "__init__.py").write_text("VERSION = 1\n")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "first")
    monkeypatch.setattr(harness, "__file__", str(root / "harness" / "__init__.py"))
    return root


def test_the_commit_is_the_code_as_it_was_when_asked(checkout: Path) -> None:
    head = _git(checkout, "rev-parse", "HEAD")
    manifest.describe_code()
    process = manifest.describe_code()
    assert process is not None
    process.wait()  # git has looked: a change made now is after the run started
    (checkout / "harness" / "__init__.py").write_text("VERSION = 2\n")
    assert manifest.git_commit() == head
    manifest.describe_code.cache_clear()
    manifest.git_commit.cache_clear()
    assert manifest.git_commit() == f"{head}-dirty"


def test_no_commit_outside_a_checkout_or_without_git(
    tmp_path: Path, checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    assert manifest.git_commit() is None
    monkeypatch.undo()
    manifest.describe_code.cache_clear()
    manifest.git_commit.cache_clear()
    shutil.rmtree(checkout / ".git")
    monkeypatch.setattr(harness, "__file__", str(checkout / "harness" / "__init__.py"))
    assert manifest.describe_code() is None and manifest.git_commit() is None


def test_a_run_records_the_commit_git_gives(
    evaluate: Callable[..., Result], tmp_path: Path, checkout: Path
) -> None:
    result = evaluate("run --model baseline:random --source sample --limit 2 --tasks mgsm")
    assert result.exit_code == 0, result.output
    (run,) = (tmp_path / "results").iterdir()
    assert open_run(run).manifest.harness.git == _git(checkout, "rev-parse", "HEAD")
