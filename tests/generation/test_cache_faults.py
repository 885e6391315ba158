"""The response cache degrades, never destroys: each way a cache can be damaged, locked or
unwritable, and what a run then does. Nothing paid for is lost, and every stop says why in one
line."""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.generation import cache as cache_module
from harness.generation.cache import ResponseCache
from harness.generation.runner import NOT_ANSWERED
from harness.records import Completion, Response, Usage
from tests.conftest import assert_one_line_error, read_run
from tests.fake_server import FakeServer

RUN = "run --model baseline:random --tasks mgsm --limit 4"  # with --languages
SERIAL = "run --model baseline:random -M latency=0.01 --concurrency 1 --tasks mgsm --limit 4"
CONNECT = sqlite3.connect  # the real one, for the tests' own looks at a cache


def _rows(cache: Path) -> dict[str, str]:
    db = CONNECT(cache)
    try:
        return dict(db.execute("SELECT key, response FROM responses").fetchall())
    finally:
        db.close()


def _flat(output: str) -> str:
    """The console's output as one line (rich wraps long lines)."""
    return " ".join(output.split())


def _counts(run_dir: Path) -> dict[str, Any]:
    counts: dict[str, Any] = read_run(run_dir)["manifest"]["counts"]
    return counts


# ---- rows the cache cannot read


def test_rows_the_cache_cannot_read_are_asked_again_and_counted(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    assert evaluate(RUN, languages="en,de,fr", output=tmp_path / "first").exit_code == 0
    cache = tmp_path / "cache.sqlite"
    keys = sorted(_rows(cache))
    assert len(keys) == 12
    damage = [
        "{'text': 'not JSON'",  # damaged JSON
        json.dumps({"text": "Answer: 7", "finish_reason": "stop", "colour": "red"}),  # unknown
        json.dumps({"text": 7, "finish_reason": "stop"}),  # a number where text belongs
        json.dumps({"text": "7", "usage": {"prompt_tokens": "many"}}),  # a wrong type inside
        json.dumps({"text": "7", "alternatives": {"a": 1}}),  # not a list
        json.dumps(["Answer: 7"]),  # not an object
        json.dumps({"text": "7", "error": "boom"}),  # a failure: never stored
    ]
    db = CONNECT(cache, isolation_level=None)
    for key, blob in zip(keys, damage, strict=False):
        db.execute("UPDATE responses SET response = ? WHERE key = ?", (blob, key))
    # bytes that are not UTF-8, stored as text
    db.execute(
        "UPDATE responses SET response = CAST(x'7b2274657874223a2022ff227d' AS TEXT) WHERE key = ?",
        (keys[7],),
    )
    db.close()
    result = evaluate(RUN, languages="en,de,fr", output=tmp_path / "second")
    assert result.exit_code == 0, result.output
    assert "8 answers in the response cache" in _flat(result.output)
    counts = _counts(tmp_path / "second")
    assert counts["cache_unreadable"] == 8
    assert counts["sent"] == 8 and counts["from_cache"] == 4
    # the new answers replaced the damaged rows: the next run reads every one
    assert evaluate(RUN, languages="en,de,fr", output=tmp_path / "third").exit_code == 0
    third = _counts(tmp_path / "third")
    assert third["sent"] == 0 and "cache_unreadable" not in third


def test_rows_written_before_completions_kept_their_fields_are_still_read(
    tmp_path: Path,
) -> None:
    cache = ResponseCache(tmp_path / "cache.sqlite")
    response = Response(
        "A",
        finish_reason="stop",
        usage=Usage(3, 1),
        latency_s=2,
        alternatives=(Completion("B", "why", "stop"),),
    )
    cache.put("new", response)
    old = {"text": "A", "alternatives": ["B", "C"], "usage": None}
    # an entry as older versions wrote it
    cache._db.execute("INSERT INTO responses VALUES ('old', ?, 0)", (json.dumps(old),))
    found = cache.get_many(["new", "old", "missing"])
    assert found["new"] == response
    assert found["old"].alternatives == (Completion("B"), Completion("C"))
    assert cache.unreadable == 0
    cache.close()


# ---- text UTF-8 cannot hold


def test_a_reply_holding_a_lone_surrogate_is_cached_escaped_and_read_back_equal(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    reply = "Answer: B \ud800 (\udfff)"
    server = FakeServer(responder=lambda body: reply).start_in_thread()
    try:
        command = "run --model openai:fake-model --source sample --tasks belebele --limit 2"
        for name in ("first", "second"):
            result = evaluate(
                command, languages="en,ur", base_url=server.base_url, output=tmp_path / name
            )
            assert result.exit_code == 0, result.output
        assert len(server.bodies) == 4  # the second run asked nothing
    finally:
        server.stop_thread()
    cache = ResponseCache(tmp_path / "cache.sqlite")
    stored = cache.get_many(_rows(tmp_path / "cache.sqlite"))
    cache.close()
    assert [r.text for r in stored.values()] == [reply] * 4  # read back equal
    for name in ("first", "second"):  # the run folder holds UTF-8: U+FFFD in their place
        samples = read_run(tmp_path / name)["samples"]
        assert [s["output"] for s in samples] == ["Answer: B \ufffd (\ufffd)"] * 4
        assert [s["parsed"] for s in samples] == ["B"] * 4
    assert evaluate("score", str(tmp_path / "second")).exit_code == 0


# ---- a locked cache


@pytest.fixture
def lock_wait(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    def set_wait(seconds: float) -> None:
        monkeypatch.setattr(cache_module, "LOCK_WAIT_S", seconds)
        monkeypatch.setattr(cache_module, "RETRY_S", 0.05)

    return set_wait


class Holder:
    """Another connection that takes the cache's write lock (BEGIN EXCLUSIVE), at once or when
    `start` is set, and holds it until released."""

    def __init__(self, cache: Path, start: threading.Event | None = None) -> None:
        self.cache, self.start = cache, start
        self.taken, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)
        self.thread.start()
        assert start is not None or self.taken.wait(10)

    def _hold(self) -> None:
        if self.start is not None:
            self.start.wait(30)
        db = CONNECT(self.cache, isolation_level=None, check_same_thread=False, timeout=10)
        try:
            db.execute("BEGIN EXCLUSIVE")
            self.taken.set()
            self.release.wait(30)
            db.execute("ROLLBACK")
        finally:
            db.close()

    def stop(self) -> None:
        self.release.set()
        self.thread.join(10)


class LockedAfter(sqlite3.Connection):
    """A connection that lets another take the lock before its write number `writes` (an
    INSERT, or a batch of them)."""

    writes = 0
    start = threading.Event()
    taken = threading.Event()

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.lstrip().upper().startswith("BEGIN IMMEDIATE"):
            LockedAfter.writes -= 1
            if LockedAfter.writes == 0:
                LockedAfter.start.set()
                assert LockedAfter.taken.wait(10)
        return super().execute(sql, *args)


def test_a_locked_cache_is_waited_for_with_a_note(
    evaluate: Callable[..., Result], tmp_path: Path, lock_wait: Callable[[float], None]
) -> None:
    lock_wait(30)
    assert evaluate(RUN, languages="en", output=tmp_path / "first").exit_code == 0
    holder = Holder(tmp_path / "cache.sqlite")
    threading.Timer(0.5, holder.stop).start()
    result = evaluate(RUN, languages="en,de", output=tmp_path / "second")
    holder.stop()
    assert result.exit_code == 0, result.output
    assert "is locked by another process: waiting" in _flat(result.output)
    assert _counts(tmp_path / "second")["sent"] == 4


HOLD = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
"""


@contextlib.contextmanager
def held(cache: Path, by: str) -> Iterator[None]:
    """The cache's write lock held by another connection of this process, or by another
    process, for the duration of the block."""
    if by == "connection":
        holder = Holder(cache)
        try:
            yield
        finally:
            holder.stop()
        return
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(cache)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == "locked\n"
        yield
    finally:
        process.communicate(timeout=10)


@pytest.mark.parametrize("by", ["connection", "process"])
def test_a_cache_that_stays_locked_is_a_one_line_error_before_anything_is_asked(
    evaluate: Callable[..., Result], tmp_path: Path, lock_wait: Callable[[float], None], by: str
) -> None:
    lock_wait(0.3)
    assert evaluate(RUN, languages="en", output=tmp_path / "first").exit_code == 0
    with held(tmp_path / "cache.sqlite", by):
        result = evaluate(RUN, languages="en,de", output=tmp_path / "second")
    assert_one_line_error(result, str(tmp_path / "cache.sqlite"), "stayed locked", "--cache")
    assert "is locked by another process: waiting" in _flat(result.output)
    assert not (tmp_path / "second").exists()  # nothing was asked, nothing written
    assert len(_rows(tmp_path / "cache.sqlite")) == 4


def test_a_lock_taken_during_the_run_stops_it_with_every_answer_kept(
    evaluate: Callable[..., Result],
    tmp_path: Path,
    lock_wait: Callable[[float], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lock_wait(0.3)
    cache, out = tmp_path / "cache.sqlite", tmp_path / "run"
    command = SERIAL  # one answer at a time: one written at a time
    ResponseCache(cache).close()
    start = threading.Event()
    holder = Holder(cache, start)
    LockedAfter.writes, LockedAfter.start, LockedAfter.taken = 5, start, holder.taken
    monkeypatch.setattr(sqlite3, "connect", functools.partial(CONNECT, factory=LockedAfter))
    try:
        result = evaluate(command, languages="en,de,fr", output=out)
    finally:
        holder.stop()
        monkeypatch.undo()
    line = assert_one_line_error(
        result, str(cache), "stayed locked", str(out), "no answer in the cache"
    )
    assert "is locked by another process: waiting" in _flat(result.output)
    # the answers that came while the lock was waited for are kept, in the run folder only
    _assert_stopped_with_every_answer_kept(out, cache, requests=12, uncached=_uncached(line))
    stored = len(_rows(cache))
    assert stored == 3  # the write before it checked the cache could be written (rolled back)
    resumed = evaluate(command, "--overwrite", languages="en,de,fr", output=out)
    assert resumed.exit_code == 0, resumed.output
    assert _counts(out)["from_cache"] == stored and _counts(out)["sent"] == 12 - stored


def _uncached(line: str) -> int:
    """How many answers a run's stop says are in the run folder only."""
    found = re.search(r"\(the last (\d+) only there, not in the cache\)", line)
    assert found is not None, line
    return int(found.group(1))


def _assert_stopped_with_every_answer_kept(
    out: Path, cache: Path, requests: int, uncached: int
) -> None:
    """The run folder of a run stopped by its cache: every answer received is recorded, the
    last `uncached` of them in no cache; the requests not answered are failures, asked next
    time."""
    run = read_run(out)
    answered = [s for s in run["samples"] if s["output"] is not None]
    unanswered = [s for s in run["samples"] if s["output"] is None]
    stored = _rows(cache)
    assert len(answered) == len(stored) + uncached and len(run["samples"]) == requests
    assert all(s["error"] == NOT_ANSWERED for s in unanswered)
    texts = sorted(json.loads(blob)["text"] for blob in stored.values())
    assert set(texts) <= {s["output"] for s in answered}
    assert run["manifest"]["counts"]["failed"] == len(unanswered)
    assert run["manifest"]["status"] == ("incomplete" if unanswered else "complete")


# ---- failed writes: a full disk, a read-only file


class FullDisk(sqlite3.Connection):
    """A connection whose disk fills after `room` more rows are written: a write of more
    fails whole."""

    room = 0

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.lstrip().upper().startswith("INSERT"):
            FullDisk.take(1)
        return super().execute(sql, *args)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        rows = list(rows)
        FullDisk.take(len(rows))
        return super().executemany(sql, rows)

    @staticmethod
    def take(rows: int) -> None:
        if FullDisk.room < rows:
            raise sqlite3.OperationalError("database or disk is full")
        FullDisk.room -= rows


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    def fill_after(rows: int) -> None:
        FullDisk.room = rows
        monkeypatch.setattr(sqlite3, "connect", functools.partial(CONNECT, factory=FullDisk))

    yield fill_after
    monkeypatch.undo()


def test_a_full_disk_stops_the_run_cleanly_and_loses_no_answer(
    evaluate: Callable[..., Result], tmp_path: Path, full_disk: Callable[[int], None]
) -> None:
    cache, out = tmp_path / "cache.sqlite", tmp_path / "run"
    command = SERIAL  # one answer at a time: one written at a time
    full_disk(6)
    result = evaluate(command, languages="en,de,fr", output=out)
    line = assert_one_line_error(result, str(cache), "disk is full", "free space", str(out))
    # the answer the disk refused, and the one that came before the run saw it (at most)
    assert _uncached(line) in (1, 2) and len(_rows(cache)) == 5  # 6: with the rolled-back check
    _assert_stopped_with_every_answer_kept(out, cache, requests=12, uncached=_uncached(line))
    assert read_run(out)["manifest"]["status"] == "incomplete"
    FullDisk.room = 10**6  # room again
    resumed = evaluate(command, "--overwrite", languages="en,de,fr", output=out)
    assert resumed.exit_code == 0, resumed.output
    counts = _counts(out)
    assert counts["sent"] == 12 - counts["from_cache"] and counts["from_cache"] >= 4


def test_answers_the_backend_holds_already_are_kept_when_the_cache_fails(
    evaluate: Callable[..., Result], tmp_path: Path, full_disk: Callable[[int], None]
) -> None:
    """A backend that answers in batches (the vLLM engine) holds the rest of a batch when
    the cache fails: those answers are recorded too, not thrown away."""
    cache, out = tmp_path / "cache.sqlite", tmp_path / "run"
    full_disk(4)
    result = evaluate(RUN, languages="en,de,fr", output=out)  # every answer ready at once
    line = assert_one_line_error(result, str(cache), "disk is full")
    stored = len(_rows(cache))
    assert f"(the last {12 - stored} only there, not in the cache)" in line
    _assert_stopped_with_every_answer_kept(out, cache, requests=12, uncached=12 - stored)


def test_a_full_disk_for_both_cache_and_run_says_what_was_lost(
    evaluate: Callable[..., Result],
    tmp_path: Path,
    full_disk: Callable[[int], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    full_disk(4)
    _fill_the_disk_of_runs(monkeypatch, "mkdir")
    result = evaluate(RUN, languages="en,de", output=tmp_path / "run")
    assert_one_line_error(result, "disk is full", "could not be written either", "stored nowhere")
    assert not (tmp_path / "run").exists()


def test_a_read_only_cache_serves_its_answers_and_refuses_new_ones_before_asking(
    evaluate: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache.sqlite"
    assert evaluate(RUN, languages="en", output=tmp_path / "first").exit_code == 0

    def read_only(path: Path, **options: Any) -> sqlite3.Connection:
        return CONNECT(f"file:{path}?mode=ro", uri=True, **options)

    monkeypatch.setattr(sqlite3, "connect", read_only)
    again = evaluate(RUN, languages="en", output=tmp_path / "again")
    assert again.exit_code == 0 and _counts(tmp_path / "again")["sent"] == 0
    result = evaluate(RUN, languages="en,de", output=tmp_path / "more")
    assert_one_line_error(result, str(cache), "read-only", "--cache")
    assert not (tmp_path / "more").exists()


# ---- a damaged database file


@pytest.mark.parametrize("where", ["pages", "header"])
def test_a_damaged_database_file_is_a_one_line_error_naming_it(
    evaluate: Callable[..., Result], tmp_path: Path, where: str
) -> None:
    cache = tmp_path / "cache.sqlite"
    assert evaluate(RUN, languages="en,de", output=tmp_path / "first").exit_code == 0
    assert not cache.with_name("cache.sqlite-wal").exists()  # all of it in the file
    data = bytearray(cache.read_bytes())
    page = 4096
    if where == "pages":  # every page but the first (the header and the schema) scribbled
        data[page:] = b"scribbled" * ((len(data) - page) // 9) + b"!" * ((len(data) - page) % 9)
    else:
        data[:16] = b"scribbled header"
    cache.write_bytes(bytes(data))
    result = evaluate(RUN, languages="en,de", output=tmp_path / "second")
    assert_one_line_error(result, str(cache), "damaged", "move it aside")
    assert not (tmp_path / "second").exists()


# ---- a full disk under --output


def _fill_the_disk_of_runs(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    if where == "mkdir":
        mkdir = Path.mkdir

        def no_room(path: Path, *args: Any, **kwargs: Any) -> None:
            if ".staging-" in path.name:
                raise full
            mkdir(path, *args, **kwargs)

        monkeypatch.setattr(Path, "mkdir", no_room)
    else:
        fsync = os.fsync

        def no_room_at_fsync(fd: int) -> None:
            if os.fstat(fd).st_size > 0:
                raise full
            fsync(fd)

        monkeypatch.setattr(os, "fsync", no_room_at_fsync)


@pytest.mark.parametrize("where", ["mkdir", "write"])
def test_a_full_disk_under_output_is_a_one_line_error_and_the_same_command_resumes(
    evaluate: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        _fill_the_disk_of_runs(patch, where)
        result = evaluate(RUN, languages="en,de", output=out)
    assert_one_line_error(result, str(out), "No space left on device", "same command resumes")
    assert not out.exists() or not any(out.iterdir())
    assert not list(tmp_path.glob(".run.staging-*"))
    again = evaluate(RUN, languages="en,de", output=out)
    assert again.exit_code == 0, again.output
    assert _counts(out)["sent"] == 0 and _counts(out)["from_cache"] == 8


def test_a_cache_inside_the_run_folder_is_refused_before_anything_is_asked(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:random --tasks mgsm --source sample --limit 1",
        output=out,
        cache=out / "cache.sqlite",
    )
    assert_one_line_error(result, "inside the run folder", str(out / "cache.sqlite"))
    assert not (out / "cache.sqlite").exists()
