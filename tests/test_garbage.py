"""The collector as the commands use it (harness.garbage): paused, frozen and given back as
each block says, whatever the state it found; a run leaves it as it was."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from harness import garbage
from tests.conftest import REPO


@pytest.fixture(autouse=True)
def _restored() -> Iterator[None]:
    enabled, thresholds = gc.isenabled(), gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    (gc.enable if enabled else gc.disable)()


def test_a_run_plans_uncollected_then_freezes_what_it_planned_until_it_ends() -> None:
    with garbage.settling() as settled:
        assert not gc.isenabled()
        assert gc.get_freeze_count() == 0
        settled()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_run_that_fails_while_planning_gives_the_collector_back() -> None:
    with pytest.raises(RuntimeError), garbage.settling():
        raise RuntimeError("a planning error")
    assert gc.isenabled() and gc.get_freeze_count() == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_each_block_leaves_the_collector_as_it_found_it(enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()
    with garbage.paused():
        assert not gc.isenabled()
    assert gc.isenabled() is enabled
    with garbage.settling() as settled:
        settled()
        assert gc.isenabled() is enabled
    assert gc.isenabled() is enabled
    with garbage.frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_a_command_run_in_process_leaves_nothing_frozen(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    result = evaluate("run --model baseline:random --source sample --limit 2 --tasks mgsm")
    assert result.exit_code == 0, result.output
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert gc.get_threshold() == garbage.THRESHOLDS


def test_at_exit_nothing_is_left_for_the_collector_to_walk(tmp_path: Path) -> None:
    """A cycle left at exit is not collected (its finaliser never runs) once tuned; without
    tuning, the interpreter's last collection would find it."""
    script = textwrap.dedent(
        """
        import sys
        from harness import garbage

        class Cycle:
            def __del__(self) -> None:
                print("collected")

        if sys.argv[1] == "tuned":
            garbage.tune()
            garbage.tune()  # registered once however often
        node = Cycle()
        node.self = node
        del node
        """
    )
    path = tmp_path / "cycle.py"
    path.write_text(script)

    def output(mode: str) -> str:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        command = [sys.executable, str(path), mode]
        done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
        return done.stdout

    assert output("plain") == "collected\n"
    assert output("tuned") == ""
