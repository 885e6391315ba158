"""The response cache: SQLite in WAL mode, one row per answered request, written as it arrives:
the answers that arrive during one turn of the event loop in one transaction (`Storing`).

The key hashes everything that determines an answer: the backend's identity (kind, model,
revision, endpoint), the generation parameters and the full prompt; and, where decoding is not
deterministic (a temperature above 0, or several completions), the sample itself, so that two
samples with the same prompt each get an answer of their own rather than one shared draw.
A log-likelihood request's key adds its type and continuations (a generation's key has neither,
so it is what it always was); scoring is deterministic, so requests that share a context and
continuations share a key, whatever their sample or variant.
Failed requests are never stored, so the next run asks them again.

A store that degrades, never destroys:

- a row that cannot be read back as an answer (damaged JSON or bytes, a field this version does
  not know, a value of the wrong type) is skipped, counted (`unreadable`) and asked again; the
  new answer replaces it;
- text that UTF-8 cannot hold (a lone surrogate such as `\\ud800`, which a server may send as a
  JSON escape) is stored escaped and read back equal;
- a database another process holds locked is waited for, up to `LOCK_WAIT_S` at a time, with a
  note; then a `CacheError`;
- a damaged database file (scribbled pages, not a database at all), a read-only one, a full
  disk or any other failed write is a `CacheError`: one line that names the file and says what
  to do. Before any request is sent (`ready`), nothing has been paid for; during a run, the
  caller stops with the answers it holds (harness.generation.runner), and says how many of
  them the cache did not take.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import sqlite3
import time
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields, is_dataclass
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, TypeVar

from harness.errors import PolyevalError
from harness.paths import cache_folder
from harness.records import Request, Response

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    response TEXT NOT NULL,
    created REAL NOT NULL
)
"""
_INSERT = "INSERT OR REPLACE INTO responses (key, response, created) VALUES (?, ?, ?)"
_KEEP = "INSERT OR IGNORE INTO responses (key, response, created) VALUES (?, ?, ?)"
MERGE_ROWS = 5000  # rows copied per transaction by `merge_from`

LOCK_WAIT_S = 60.0  # how long a locked cache is waited for, at a time, before the run stops
BUSY_S = 0.1  # SQLite's own wait on a lock at each try (the event loop waits with it)
RETRY_S = 0.25  # the pause between tries while the cache is locked
_SURROGATE = re.compile("[\ud800-\udfff]")
T = TypeVar("T")


class CacheError(PolyevalError):
    """The response cache cannot be read or written: locked too long, damaged, read-only, or on
    a full disk. One line naming the file and what to do."""


def default_cache_path() -> Path:
    return cache_folder() / "responses.sqlite"


def deterministic(generation: dict[str, Any]) -> bool:
    """Whether decoding gives one answer per prompt: greedy (temperature 0), one completion."""
    return generation.get("temperature") == 0 and generation.get("n") in (None, 1)


def cache_key(identity: dict[str, Any], request: Request, salt: str = "") -> str:
    payload: dict[str, Any] = {
        "backend": identity,
        "salt": salt,
        "generation": request.generation,
        "messages": [[m.role, m.content] for m in request.messages],
        "prompt": request.prompt,
    }
    if request.loglikelihood:  # the type, and what is scored: absent from generation keys
        payload["type"] = "loglikelihood"
        payload["continuations"] = list(request.continuations)
    elif not deterministic(request.generation):  # a draw of its own for each sample
        payload["sample"] = list(request.key)
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    # surrogatepass: a prompt holding a lone surrogate still has a key (valid text: unchanged)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def _silent(message: str) -> None:
    return None


class ResponseCache:
    """The cache in `path`. `note` receives what the user should know while the run goes on
    (a lock waited for, rows that could not be read)."""

    def __init__(
        self,
        path: Path,
        note: Callable[[str], None] = _silent,
        lock_wait_s: float | None = None,
    ) -> None:
        self.path = path
        self.note = note
        self.lock_wait_s = LOCK_WAIT_S if lock_wait_s is None else lock_wait_s
        self.unreadable = 0  # rows skipped by lookups so far: asked again
        self._noted_lock = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=BUSY_S, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise CacheError(f"cannot open the response cache: {exc}", where=str(path)) from None
        try:
            self._waiting(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
            self._waiting(lambda: self._db.execute("PRAGMA synchronous=NORMAL"))
            self._waiting(lambda: self._db.execute(_SCHEMA))
        except BaseException:
            self._db.close()
            raise

    # ---- reading

    def get_many(self, keys: Iterable[str]) -> dict[str, Response]:
        """The stored answers of `keys`; rows that cannot be read are left out (asked again)
        and counted in `unreadable`."""
        found: dict[str, Response] = {}
        unique = list(dict.fromkeys(keys))
        skipped = 0
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            # as bytes: a row whose bytes are not UTF-8 is one unreadable row, not a failed query
            query = f"SELECT key, CAST(response AS BLOB) FROM responses WHERE key IN ({marks})"
            rows = self._waiting(self._fetch, query, chunk)
            for key, blob in rows:
                response = _decode(blob)
                if response is None:
                    skipped += 1
                else:
                    found[key] = response
        if skipped:
            self.unreadable += skipped
            self.note(
                f"{skipped} answers in the response cache {self.path} could not be read "
                "(damaged, or written by another version): asked again"
            )
        return found

    def __len__(self) -> int:
        count = self._waiting(lambda: self._db.execute("SELECT COUNT(*) FROM responses").fetchone())
        return int(count[0])

    # ---- writing

    def ready(self) -> None:
        """Check, before any request is sent, that answers can be stored: a write, rolled back.
        A CacheError where the cache is read-only, damaged, or stays locked."""

        def probe() -> None:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(_INSERT, ("", "{}", 0.0))
            finally:
                self._db.execute("ROLLBACK")

        self._waiting(probe)

    def put(self, key: str, response: Response) -> None:
        """Store an answer (failed ones are not stored); while the cache is locked, wait."""
        if not response.ok:
            return
        self._waiting(self._insert, [_row(key, response)])

    def storing(self) -> Storing:
        """A writer of the answers a run receives, in batches (`Storing`); made in the event
        loop that receives them."""
        return Storing(self)

    def merge_from(self, source: Path) -> int:
        """Add the answers of another cache file that this one lacks (`INSERT OR IGNORE`: an
        answer already here is kept), read without writing to it; how many were added. A
        file that is not a response cache is a CacheError naming it."""
        try:
            other = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        except (OSError, sqlite3.Error) as exc:
            raise CacheError(f"cannot open the response cache: {exc}", where=str(source)) from None
        added = 0
        try:
            rows = other.execute("SELECT key, response, created FROM responses")
            while chunk := rows.fetchmany(MERGE_ROWS):

                def insert(chunk: list[Any] = chunk) -> int:
                    self._db.execute("BEGIN IMMEDIATE")
                    try:
                        before = self._db.total_changes
                        self._db.executemany(_KEEP, chunk)
                        self._db.execute("COMMIT")
                    except BaseException:
                        self._db.execute("ROLLBACK")
                        raise
                    return self._db.total_changes - before

                added += self._waiting(insert)
        except sqlite3.DatabaseError as exc:
            raise CacheError(
                f"cannot read it as a response cache: {exc}", where=str(source)
            ) from None
        finally:
            other.close()
        return added

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # what was committed is on disk already
            self._db.close()

    def _insert(self, rows: list[Row]) -> None:
        """The rows written in one transaction, all or none."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(_INSERT, rows)
            self._db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise

    # ---- faults

    def _fetch(self, query: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._db.execute(query, params).fetchall()

    def _waiting(self, action: Callable[..., T], *args: Any) -> T:
        """`action(*args)`, tried again while the database is locked (the caller waits)."""
        deadline = None
        while True:
            try:
                return action(*args)
            except sqlite3.Error as exc:
                deadline = self._locked(exc, deadline)
            time.sleep(RETRY_S)

    def _locked(self, exc: sqlite3.Error, deadline: float | None) -> float:
        """The deadline of the wait for a lock; a CacheError for any other fault, or once the
        deadline has passed."""
        if _fault(exc) != "locked":
            raise self.error(exc) from None
        now = time.monotonic()
        if deadline is None:
            if not self._noted_lock:
                self._noted_lock = True
                self.note(
                    f"the response cache {self.path} is locked by another process: waiting "
                    f"for it (up to {self.lock_wait_s:g} s at a time)"
                )
            return now + self.lock_wait_s
        if now >= deadline:
            raise CacheError(
                f"the response cache stayed locked for {self.lock_wait_s:g} s: another process "
                "holds a transaction on it; end that transaction (or process), or give another "
                "--cache",
                where=str(self.path),
            )
        return deadline

    def error(self, exc: sqlite3.Error) -> CacheError:
        """The one-line error for a fault of the database."""
        where, fault = str(self.path), _fault(exc)
        if fault == "damaged":
            return CacheError(
                f"the response cache is damaged ({exc}): move it aside (with its -wal and -shm "
                "files) and run again; `sqlite3 FILE .recover` can save its readable rows into "
                "a new file",
                where=where,
            )
        if fault == "full":
            return CacheError(
                f"cannot store answers in the response cache: the disk is full ({exc}); free "
                "space on the disk that holds it, or give --cache a file on another disk",
                where=where,
            )
        if fault == "read-only":
            return CacheError(
                f"cannot store answers in the response cache: it is read-only ({exc}); make the "
                "file and its folder writable, or give another --cache",
                where=where,
            )
        if fault == "disk":
            return CacheError(
                f"cannot write the response cache: {exc}; check the disk that holds it (is it "
                "full, or failing?), or give --cache a file on another disk",
                where=where,
            )
        return CacheError(f"cannot use the response cache: {exc}", where=where)


Row = tuple[str, str, float]  # key, answer (JSON), when stored


class Storing:
    """The answers a run receives, written to the cache in batches: `add` queues an answer,
    and what came in during one turn of the event loop is written in one transaction at the
    start of the next (an answer that comes alone is written alone, at once; a burst of them
    costs one write, not one each). While the cache is locked by another process the loop goes
    on, the batch waits with the answers that come meanwhile, and writing is tried again every
    RETRY_S, up to the cache's lock wait.

    A batch the cache refuses (a full disk, a lock held too long) ends the writing: `fault` is
    then the CacheError, and `unstored` counts the answers given that are not in the cache
    (those of that batch and every one after). `finish` writes what is left and waits for it
    (at the end of a run); `close` writes what is left where it can (a run cut short)."""

    def __init__(self, cache: ResponseCache) -> None:
        self._cache = cache
        self._loop = asyncio.get_running_loop()
        self._rows: list[Row] = []
        self._due: asyncio.Handle | None = None  # the write scheduled
        self._deadline: float | None = None  # of the wait for a lock, while one lasts
        self.fault: CacheError | None = None
        self.unstored = 0

    def add(self, key: str, response: Response) -> None:
        """An answer to store (a failed one is not stored)."""
        if not response.ok:
            return
        if self.fault is not None:
            self.unstored += 1
            return
        self._rows.append(_row(key, response))
        if self._due is None:
            self._due = self._loop.call_soon(self._write)

    def finish(self) -> None:
        """What is left written now, waiting for a lock as long as the cache waits."""
        self._cancel()
        if self._rows and self.fault is None:
            rows, self._rows = self._rows, []
            try:
                self._cache._waiting(self._cache._insert, rows)
            except CacheError as exc:
                self._stop(exc, len(rows))

    def close(self) -> None:
        """What is left written where the cache takes it at once (a run cut short: what it
        refuses is asked again next time)."""
        self._cancel()
        if self._rows and self.fault is None:
            rows, self._rows = self._rows, []
            with contextlib.suppress(sqlite3.Error):
                self._cache._insert(rows)

    def _write(self) -> None:
        """The rows queued, written in one transaction; tried again later while locked."""
        self._due = None
        rows = self._rows
        try:
            self._cache._insert(rows)
        except sqlite3.Error as exc:
            try:
                self._deadline = self._cache._locked(exc, self._deadline)
            except CacheError as error:
                self._rows = []
                self._stop(error, len(rows))
                return
            self._due = self._loop.call_later(RETRY_S, self._write)
            return
        self._deadline = None
        self._rows = []

    def _stop(self, error: CacheError, rows: int) -> None:
        self.fault, self.unstored = error, self.unstored + rows

    def _cancel(self) -> None:
        if self._due is not None:
            self._due.cancel()
            self._due = None


def _row(key: str, response: Response) -> Row:
    return (key, _encode(response), time.time())


def _fault(exc: sqlite3.Error) -> str:
    """What kind of fault a SQLite error is: locked, damaged, full, read-only, disk (an I/O
    error), or other."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "is locked" in text:
        return "locked"
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or (
        "malformed" in text or "not a database" in text
    ):
        return "damaged"
    if name == "SQLITE_FULL" or "disk is full" in text:
        return "full"
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return "read-only"
    if name.startswith("SQLITE_IOERR") or "disk i/o error" in text:
        return "disk"
    return "other"


# ---- rows


def _encode(response: Response) -> str:
    data = _as_json(response)
    blob = json.dumps(data, ensure_ascii=False)
    if _SURROGATE.search(blob):  # not UTF-8: escaped (\ud800), read back equal
        blob = json.dumps(data, ensure_ascii=True)
    return blob


def _as_json(value: Any) -> Any:
    """`dataclasses.asdict` for the answer's records (dataclasses of JSON values and tuples of
    them), without its deep copies: the same JSON, a fraction of the time, once per answer."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is tuple:
        return [_as_json(v) for v in value]
    names = _FIELDS.get(kind)
    if names is None:
        if not is_dataclass(value):
            return value
        names = _FIELDS[type(value)] = tuple(f.name for f in fields(value))
    return {name: _as_json(getattr(value, name)) for name in names}


_FIELDS: dict[type, tuple[str, ...]] = {}
_SCALARS = frozenset({str, int, float, bool, NoneType})


def _decode(blob: Any) -> Response | None:
    """The answer a row holds (UTF-8 bytes of JSON), or None where it cannot be read as one."""
    try:
        data = json.loads(blob.decode() if type(blob) is bytes else blob)
    except (ValueError, TypeError, RecursionError):  # not UTF-8, not JSON
        return None
    if type(data) is not dict:
        return None
    alternatives = data.get("alternatives")
    if alternatives and type(alternatives) is list:
        # entries written before completions kept their reasoning and finish reason: a
        # further completion is its answer alone
        data["alternatives"] = [{"text": c} if type(c) is str else c for c in alternatives]
    elif alternatives is None and "alternatives" in data:
        data["alternatives"] = []
    if data.get("usage", 0) is None:
        data["usage"] = {}
    try:
        response = _typed(Response, data)
    except (TypeError, ValueError):
        return None
    return response if response.ok else None  # failed requests are never stored


Reader = Callable[[Any], Any]
_READERS: dict[Any, Reader] = {}


def _typed(cls: type[T], data: Any) -> T:
    """An instance of dataclass `cls` from JSON values, each checked against its type: a
    TypeError for an unknown field, a missing one or a value of the wrong type."""
    value: T = _reader(cls)(data)
    return value


def _reader(hint: Any) -> Reader:
    """A function that gives a JSON value as type `hint` (str, int, float, bool, None, unions
    of them, dataclasses of them, tuple[X, ...]), or raises TypeError; made once per type."""
    reader = _READERS.get(hint)
    if reader is None:
        reader = _READERS[hint] = _make_reader(hint)
    return reader


def _make_reader(hint: Any) -> Reader:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, UnionType):
        options = [_reader(option) for option in typing.get_args(hint)]

        def union(value: Any) -> Any:
            for option in options:
                try:
                    return option(value)
                except TypeError:
                    continue
            raise TypeError(f"{value!r} is not {hint}")

        return union
    if origin is tuple:
        item = _reader(typing.get_args(hint)[0])

        def items(value: Any) -> tuple[Any, ...]:
            if type(value) is not list:
                raise TypeError(f"{value!r} is not a list")
            return tuple(item(v) for v in value)

        return items
    if is_dataclass(hint) and isinstance(hint, type):
        return _record_reader(hint)
    if hint is float:

        def number(value: Any) -> float:
            if type(value) not in (float, int):
                raise TypeError(f"{value!r} is not a number")
            return float(value)

        return number
    if hint in (str, int, bool, NoneType):

        def exactly(value: Any) -> Any:
            if type(value) is not hint:
                raise TypeError(f"{value!r} is not {hint.__name__}")
            return value

        return exactly
    return lambda value: value  # a type this reader cannot check: taken as it is


def _record_reader(cls: type[Any]) -> Reader:
    hints = typing.get_type_hints(cls)
    # fields of plain types (str, int, bool, None and unions of them) are checked by their
    # type alone, the others by their reader: a row is read once per answer of every rerun
    plain: dict[str, tuple[type, ...]] = {}
    readers: dict[str, Reader] = {}
    for f in fields(cls):
        options = typing.get_args(hints[f.name]) or (hints[f.name],)
        if all(option in (str, int, bool, NoneType) for option in options):
            plain[f.name] = options
        else:
            readers[f.name] = _reader(hints[f.name])

    def record(value: Any) -> Any:
        if type(value) is not dict:
            raise TypeError(f"{cls.__name__}: not an object")
        given = dict(value)
        for name, v in value.items():
            types = plain.get(name)
            if types is not None:
                if type(v) not in types:
                    raise TypeError(f"{cls.__name__}.{name}: {v!r} is not {hints[name]}")
            elif (reader := readers.get(name)) is not None:
                given[name] = reader(v)
            else:
                raise TypeError(f"{cls.__name__}: unknown field {name!r}")
        return cls(**given)

    return record
