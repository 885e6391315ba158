"""Progress bars on standard error, one line per stage of a run: answering (the requests), then
scoring (the answers, then the translation corpora).

rich decides how a bar shows on its console (standard error): redrawn as work advances on a
terminal; elsewhere (a log file, a pipe) drawn once, finished, when its stage ends. The bars are
refreshed here as work advances, not by rich's refresh thread: no thread outlives a bar, so that
answers can be scored in forked worker processes (harness.parallel) while the bar moves.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

REFRESH_S = 0.1  # the bars' refresh interval
Advance = Callable[[int], None]  # called with the number of items newly done
Stage = Callable[[str, int], Advance]  # a new stage's description and total: its advance


class Bars:
    """The stages of one step, each its own bar: `stage` opens the next, `advance` moves the
    current one, `relabel` renames it (and changes its total)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._job: TaskID | None = None
        self._shown = 0.0

    def stage(self, description: str, total: int) -> Advance:
        self._job = self._progress.add_task(description, total=total)
        self._progress.refresh()
        return self.advance

    def advance(self, n: int) -> None:
        if self._job is None:
            return
        self._progress.advance(self._job, n)
        if (now := time.monotonic()) - self._shown >= REFRESH_S:
            self._shown = now
            self._progress.refresh()

    def relabel(self, description: str, total: int) -> None:
        if self._job is not None:
            self._progress.update(self._job, description=description, total=total)


@contextmanager
def bars(console: Console) -> Iterator[Bars]:
    """The bars of one step on `console`, drawn finished at its end."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False, auto_refresh=False) as progress:
        yield Bars(progress)
        progress.refresh()


@contextmanager
def stages(console: Console | None) -> Iterator[Stage]:
    """A step's stages, each its bar on `console`; none shown where there is no console."""
    if console is None:
        yield quiet
        return
    with bars(console) as shown:
        yield shown.stage


def quiet(description: str, total: int) -> Advance:
    """A stage that shows nothing (scoring outside a run: tests, benchmarks)."""
    return lambda n: None
