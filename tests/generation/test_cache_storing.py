"""A run's answers written to the response cache in batches (harness.generation.cache.Storing):
what comes in during one turn of the event loop is one transaction, an answer that comes alone
is written at once, a locked cache holds up no request, and a cache that fails says how many
answers it did not take."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.generation import cache as cache_module
from harness.generation.cache import CacheError, ResponseCache, Storing
from harness.records import Response


class Counted(ResponseCache):
    """A cache that counts its transactions of answers and the rows in each."""

    def __init__(self, path: Path, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        self.batches: list[int] = []

    def _insert(self, rows: list[tuple[str, str, float]]) -> None:
        super()._insert(rows)
        self.batches.append(len(rows))


def stored(path: Path) -> dict[str, str]:
    db = sqlite3.connect(path)
    try:
        return dict(db.execute("SELECT key, response FROM responses").fetchall())
    finally:
        db.close()


def answer(text: str) -> Response:
    return Response(text=text, finish_reason="stop")


def test_a_burst_is_one_transaction_written_after_its_turn(tmp_path: Path) -> None:
    cache = Counted(tmp_path / "cache.sqlite")

    async def main() -> None:
        storing = cache.storing()
        for i in range(50):
            storing.add(f"k{i}", answer(f"answer {i}"))
        storing.add("failed", Response(text="", error="HTTP 500"))  # never stored
        assert cache.batches == []  # nothing written during the turn that received them
        await asyncio.sleep(0)
        assert cache.batches == [50]
        storing.add("alone", answer("later"))
        await asyncio.sleep(0)  # the next turn: written before anything else comes
        assert cache.batches == [50, 1]
        storing.finish()

    asyncio.run(main())
    rows = stored(tmp_path / "cache.sqlite")
    assert len(rows) == 51 and "failed" not in rows and '"text": "later"' in rows["alone"]
    assert cache.get_many(["k7"])["k7"].text == "answer 7"


def test_finish_and_close_write_what_is_queued_at_once(tmp_path: Path) -> None:
    cache = Counted(tmp_path / "cache.sqlite")

    async def main() -> None:
        storing = cache.storing()
        storing.add("a", answer("a"))
        storing.finish()  # the end of a run: at once, not a turn later
        assert cache.batches == [1]
        storing.add("b", answer("b"))
        storing.close()  # a run cut short (Ctrl-C): what it received, at once
        assert cache.batches == [1, 1]
        await asyncio.sleep(0.01)
        assert cache.batches == [1, 1]  # the write that was due is not made again

    asyncio.run(main())
    assert set(stored(tmp_path / "cache.sqlite")) == {"a", "b"}


@pytest.fixture
def quick_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "RETRY_S", 0.05)
    monkeypatch.setattr(cache_module, "BUSY_S", 0.01)


def hold(path: Path, seconds: float) -> threading.Thread:
    """Another connection holding the cache's write lock for `seconds`."""
    taken = threading.Event()

    def run() -> None:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute("BEGIN EXCLUSIVE")
        taken.set()
        threading.Event().wait(seconds)
        db.execute("ROLLBACK")
        db.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert taken.wait(10)
    return thread


@pytest.mark.usefixtures("quick_locks")
def test_a_locked_cache_holds_up_nothing_and_gets_what_waited_in_one_write(tmp_path: Path) -> None:
    notes: list[str] = []
    cache = Counted(tmp_path / "cache.sqlite", note=notes.append, lock_wait_s=10)
    holder = hold(tmp_path / "cache.sqlite", 0.4)

    async def main() -> int:
        storing = cache.storing()
        turns = 0
        for i in range(20):  # answers keep coming while the cache is locked
            storing.add(f"k{i}", answer(str(i)))
            await asyncio.sleep(0.01)
            turns += 1
        while storing.fault is None and len(cache.batches) == 0:
            await asyncio.sleep(0.05)
        assert storing.fault is None
        storing.finish()
        return turns

    assert asyncio.run(main()) == 20
    holder.join()
    assert len(notes) == 1 and "is locked by another process: waiting" in notes[0]
    assert cache.batches[0] > 1 and sum(cache.batches) == 20
    assert len(stored(tmp_path / "cache.sqlite")) == 20


@pytest.mark.usefixtures("quick_locks")
def test_a_lock_held_too_long_stops_the_storing_and_counts_what_it_lost(tmp_path: Path) -> None:
    cache = Counted(tmp_path / "cache.sqlite", lock_wait_s=0.2)
    holder = hold(tmp_path / "cache.sqlite", 1.0)

    async def main() -> Storing:
        storing = cache.storing()
        for i in range(3):
            storing.add(f"k{i}", answer(str(i)))
        while storing.fault is None:
            await asyncio.sleep(0.05)
        storing.add("after", answer("after"))  # kept by the run, not by the cache
        storing.add("failed", Response(text="", error="timeout"))  # not an answer to store
        storing.finish()
        return storing

    storing = asyncio.run(main())
    holder.join()
    assert isinstance(storing.fault, CacheError) and "stayed locked" in storing.fault.message
    assert storing.unstored == 4 and cache.batches == []
    assert stored(tmp_path / "cache.sqlite") == {}


def test_a_run_whose_answers_come_together_writes_them_in_one_transaction(
    evaluate: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []

    class Counting(sqlite3.Connection):
        def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
            rows = list(rows)
            batches.append(len(rows))
            return super().executemany(sql, rows)

    monkeypatch.setattr(sqlite3, "connect", functools.partial(sqlite3.connect, factory=Counting))
    command = "run --model baseline:random --tasks mgsm --limit 4"  # every answer at once
    result = evaluate(command, languages="en,de,fr", output=tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert batches == [12]
    monkeypatch.undo()
    assert len(stored(tmp_path / "cache.sqlite")) == 12
