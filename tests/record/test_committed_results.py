"""The run folders committed in results/, which the published leaderboard is built from.

Each is a whole, complete run with no failed request; its recorded command wrote it where it
lies (so the command the README gives for it re-creates it); and a run that read a data set's
own files (not the sample polyeval ships) publishes that set's text in its prompts, so the
set's licence must allow it: never a non-commercial one, and a ShareAlike set only with a
licence note in the folder.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from harness.record import open_run
from harness.record.folder import MANIFEST
from harness.registry import TaskRegistry
from tests.conftest import REPO

RESULTS = REPO / "results"
LICENCE_NOTE = "LICENSE.md"
COMMITTED = sorted(p.parent for p in RESULTS.rglob(MANIFEST))


def _output(command: list[str]) -> str | None:
    for flag, value in pairwise(command):
        if flag == "--output":
            return value
    return None


def test_results_has_runs() -> None:
    assert len(COMMITTED) >= 2


@pytest.mark.parametrize("folder", COMMITTED, ids=lambda p: p.name)
def test_committed_run_is_whole_and_complete(folder: Path) -> None:
    run = open_run(folder)
    assert run.manifest.status == "complete"
    assert run.manifest.counts.failed == 0
    assert run.manifest.run_id == folder.name
    assert sum(1 for _ in run.samples()) > 0


@pytest.mark.parametrize("folder", COMMITTED, ids=lambda p: p.name)
def test_committed_run_command_wrote_this_folder(folder: Path) -> None:
    command = open_run(folder).manifest.command
    assert command[:2] == ["evaluate", "run"]
    assert _output(command) == folder.relative_to(REPO).as_posix()


@pytest.mark.parametrize("folder", COMMITTED, ids=lambda p: p.name)
def test_committed_real_data_may_be_published(folder: Path) -> None:
    registry = TaskRegistry()
    for name, info in open_run(folder).manifest.tasks.items():
        if info.source.kind == "sample":
            continue
        licence = registry.get(name).spec.license
        assert licence, f"{name}: no licence in its task.yaml"
        assert "NC" not in licence, f"{name}: {licence} forbids committing its outputs"
        if "SA" in licence:
            note = folder / LICENCE_NOTE
            assert note.is_file(), f"{name} is {licence}: {folder.name} needs {LICENCE_NOTE}"
            assert licence in note.read_text(encoding="utf-8")
