"""The run folder on disk: written whole or not at all, read only when its manifest is whole.

A run is written into a staging folder beside its target (`.NAME.staging-PID`), each file
flushed to disk, the manifest last; then the staging folder takes the target's place in one
rename (on Linux an atomic exchange where a run is replaced, so that no reader ever finds the
target missing). A kill at any step leaves the old folder or the new one, never a mix, and
the leftovers are removed by the next write of that folder.

A writer holds a lock on the target (`.NAME.lock`, flock) from the moment it claims the folder
until the new run is in place, so two runs given the same `--output` end with one whole run and
one clear error. A folder that holds anything but a polyeval run is never written into, and
an existing run is replaced only when the caller says so (`--overwrite`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from harness.errors import PolyevalError
from harness.record.model import (
    FORMAT,
    GapRecord,
    Manifest,
    Record,
    SampleRecord,
    ScoreRecord,
    SummaryRecord,
)

MANIFEST, SAMPLES, SCORES = "manifest.json", "samples.jsonl", "scores.json"
GAPS, SUMMARY = "gaps.json", "summary.json"
FILES = (SAMPLES, SCORES, GAPS, SUMMARY, MANIFEST)  # in the order they are written
STAGING, OLD, LOCK = ".staging-", ".old-", ".lock"


class RunFolderError(PolyevalError):
    """A folder that is not a whole run, or that cannot be written as one."""


def sample_line(record: SampleRecord) -> str:
    """A sample's line of samples.jsonl."""
    return json.dumps(record.as_json(), ensure_ascii=False) + "\n"


class Lines:
    """Lines of samples.jsonl written ahead (while a run waited for its answers, by the worker
    that scored them: harness.live_scoring), each kept with the very record it was written
    from: a record made since (a corpus step's sentence score) is written afresh."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[SampleRecord, str]] = {}

    def add(self, record: SampleRecord, line: str) -> None:
        self._by_id[id(record)] = (record, line)

    def of(self, record: SampleRecord) -> str:
        entry = self._by_id.get(id(record))
        return entry[1] if entry is not None and entry[0] is record else sample_line(record)


@dataclass(frozen=True)
class RunContents:
    """Everything a run folder holds (with the lines of samples.jsonl written ahead)."""

    manifest: Manifest
    samples: Sequence[SampleRecord]
    scores: Sequence[ScoreRecord]
    gaps: Sequence[GapRecord] = ()
    summary: Sequence[SummaryRecord] = ()
    lines: Lines = field(default_factory=Lines)


# ---- reading


@dataclass(frozen=True)
class RunFolder:
    """A run folder whose manifest is whole; its other files are read when asked for."""

    path: Path
    manifest: Manifest

    @property
    def has_samples(self) -> bool:
        return (self.path / SAMPLES).is_file()

    @property
    def rescorable(self) -> bool:
        """Whether its samples hold all that scoring needs (runs of format 2 and later)."""
        return self.manifest.format >= 2

    def scores(self) -> list[ScoreRecord]:
        return _read_list(self.path / SCORES, ScoreRecord)

    def gaps(self) -> list[GapRecord]:
        """The paired gaps ([] for runs written before gaps were recorded)."""
        path = self.path / GAPS
        return _read_list(path, GapRecord) if path.is_file() else []

    def summary(self) -> list[SummaryRecord] | None:
        """The summary records, or None where the run has none."""
        path = self.path / SUMMARY
        return _read_list(path, SummaryRecord) if path.is_file() else None

    def samples(self) -> Iterator[SampleRecord]:
        """The sample records, in file order, failed requests included."""
        path = self.path / SAMPLES
        if not path.is_file():
            raise RunFolderError(f"no {SAMPLES} in this run", where=str(self.path))
        with path.open(encoding="utf-8", newline="\n") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield _validated_line(line, path, number)


def open_run(path: Path) -> RunFolder:
    """The run in `path`; an error naming the folder where it has no whole manifest."""
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise RunFolderError(
            f"not a finished run: no {MANIFEST} (a run still being written, or killed)",
            where=str(path),
        )
    data = _json(_read_text(manifest_path), str(manifest_path))
    manifest = _validated(Manifest, data, manifest_path)
    if manifest.format > FORMAT:
        raise RunFolderError(
            f"written by a newer polyeval (run format {manifest.format}; this one reads up to "
            f"{FORMAT}): upgrade polyeval",
            where=str(manifest_path),
        )
    return RunFolder(path, manifest)


def find_run(run: str, results_dir: Path) -> RunFolder:
    """A run named by its folder, or by its id under `results_dir`."""
    for candidate in (Path(run), results_dir / run):
        if (candidate / MANIFEST).is_file() or (candidate / SCORES).is_file():
            return open_run(candidate)
    raise RunFolderError(
        f"no finished run '{run}' (looked for {MANIFEST} in it and under {results_dir})"
    )


@dataclass(frozen=True)
class FoundRuns:
    runs: list[RunFolder]
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # folder, why


def find_runs(root: Path) -> FoundRuns:
    """Every run under `root` at any depth (hidden folders skipped), sorted by path; folders
    that look like runs but have no whole manifest are listed in `skipped` with the reason."""
    if not root.is_dir():
        raise RunFolderError("no such results folder", where=str(root))
    found = FoundRuns([])
    folders = {p.parent for name in (MANIFEST, SCORES, SAMPLES) for p in root.rglob(name)}
    for folder in sorted(folders):
        if any(part.startswith(".") for part in folder.relative_to(root).parts):
            continue
        try:
            found.runs.append(open_run(folder))
        except PolyevalError as exc:
            found.skipped.append((folder, unread_reason(exc, folder)))
    return found


def unread_reason(exc: PolyevalError, folder: Path) -> str:
    """Why the run in `folder` cannot be read, after the name of the file at fault (`scores.json:1:
    ...`), for a reader that sets the run aside and names the folder."""
    if exc.where is None or exc.where == str(folder):
        return exc.message
    if Path(exc.where).parent == folder:
        return f"{Path(exc.where).name}: {exc.message}"
    return str(exc)


def _validated_line(line: str, path: Path, number: int) -> SampleRecord:
    """A line of samples.jsonl, parsed and validated in one step."""
    try:
        return SampleRecord.model_validate_json(line)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise RunFolderError(f"not JSON: {first['msg']}", where=f"{path}:{number}") from None
        found: SampleRecord = _validated(
            SampleRecord, _json(line, f"{path}:{number}"), path, number
        )
        return found


def _read_list(path: Path, model: type[Any]) -> list[Any]:
    data = _json(_read_text(path), str(path))
    if not isinstance(data, list):
        raise RunFolderError(f"{path.name} must be a list of records", where=str(path))
    return [_validated(model, item, path, index + 1) for index, item in enumerate(data)]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"cannot read: {exc}", where=str(path)) from None


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RunFolderError(f"not JSON: {exc.msg} (column {exc.colno})", where=where) from None


def _validated(model: type[Any], data: Any, path: Path, number: int | None = None) -> Any:
    where = f"{path}:{number}" if number is not None else str(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"]) or "record"
        raise RunFolderError(f"{place}: {first['msg']}", where=where) from None


# ---- writing


def write_run(path: Path, contents: RunContents, *, overwrite: bool = False) -> Path:
    """Write a run folder whole at `path`: a new folder, an empty one, or (with `overwrite`)
    one that holds a run. Anything else is refused with an error naming the folder."""
    with claim(path, overwrite=overwrite) as claimed:
        claimed.write(contents)
    return path


@contextlib.contextmanager
def claim(path: Path, *, overwrite: bool = False) -> Iterator[Claim]:
    """Hold `path` for one writer from now until the run is written (or the block ends): a
    second writer of the same folder gets an error at once. Checks that the folder may be
    written, and removes what killed writes of it left behind."""
    path = Path(os.path.abspath(path))
    lock = _lock(path)
    try:
        check_target(path, overwrite=overwrite)
        _clean_leftovers(path)
        yield Claim(path, overwrite)
    finally:
        _unlock(path, lock)


def check_target(path: Path, *, overwrite: bool) -> None:
    """An error unless `path` may receive a run: absent, an empty folder, or a run to replace."""
    if not path.exists():
        return
    if not path.is_dir():
        raise RunFolderError("is a file, not a run folder", where=str(path))
    names = {p.name for p in path.iterdir()}
    if not names:
        return
    if MANIFEST not in names or not names <= {*FILES, *_temporaries(names)}:
        strangers = sorted(names - set(FILES))[:3]
        raise RunFolderError(
            "holds files that are not a polyeval run "
            f"({', '.join(strangers) or 'no manifest.json'}); choose another --output",
            where=str(path),
        )
    if not overwrite:
        raise RunFolderError(
            "already holds a run; give --overwrite to replace it, or choose another --output",
            where=str(path),
        )


def _temporaries(names: Iterable[str]) -> set[str]:
    """Temporary files that runs of format 1 could leave inside a run folder."""
    return {n for n in names if n.startswith(".") and n.endswith(".tmp")}


@dataclass(frozen=True)
class Claim:
    path: Path
    overwrite: bool

    def write(self, contents: RunContents) -> None:
        """Write the run into a staging folder, then put it in place whole."""
        staging = _sibling(self.path, STAGING)
        try:
            staging.mkdir(parents=True)
        except OSError as exc:
            raise _unwritten(exc, self.path) from None
        try:
            _write_files(staging, contents, self.path)
            try:
                _fsync_dir(staging)
            except OSError as exc:
                raise _unwritten(exc, self.path) from None
            check_target(self.path, overwrite=self.overwrite)
            _put_in_place(staging, self.path)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)


def _write_files(folder: Path, contents: RunContents, target: Path) -> None:
    try:
        _write(folder / SAMPLES, lambda h: h.writelines(map(contents.lines.of, contents.samples)))
        _write(folder / SCORES, lambda h: _json_list(h, contents.scores))
        _write(folder / GAPS, lambda h: _json_list(h, contents.gaps))
        _write(folder / SUMMARY, lambda h: _json_list(h, contents.summary))
        manifest = contents.manifest.model_copy(update={"format": FORMAT})
        _write(folder / MANIFEST, lambda h: h.write(_dumps(manifest.as_json())))
    except OSError as exc:
        raise _unwritten(exc, target) from None


def _unwritten(exc: OSError, where: Path) -> RunFolderError:
    """A write of the run that failed (a full disk, a read-only folder): one line."""
    return RunFolderError(
        f"cannot write the run: {exc.strerror or exc}; its answers are in the response cache, "
        "so the same command resumes without asking the model again",
        where=str(where),
    )


def _write(path: Path, fill: Callable[[IO[str]], object]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        fill(handle)
        handle.flush()
        os.fsync(handle.fileno())


def _json_list(handle: IO[str], records: Iterable[Record]) -> None:
    handle.write(_dumps([record.as_json() for record in records]))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def _put_in_place(staging: Path, target: Path) -> None:
    if not target.exists() or not any(target.iterdir()):
        try:
            os.replace(staging, target)  # onto nothing, or onto an empty folder: atomic
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise RunFolderError(f"cannot write the run: {exc}", where=str(target)) from None
            raise RunFolderError(
                "another run was written here meanwhile; choose another --output",
                where=str(target),
            ) from None
    if _exchange(staging, target):  # the old run is now in `staging`, removed by the caller
        return
    old = _sibling(target, OLD)
    try:
        os.replace(target, old)  # a kill here leaves the old run in `old`: restored next time
        os.replace(staging, target)
    except OSError as exc:
        if old.exists() and not target.exists():
            os.replace(old, target)
        raise RunFolderError(f"cannot put the run in place: {exc}", where=str(target)) from None
    shutil.rmtree(old, ignore_errors=True)


def _sibling(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}{kind}{os.getpid()}"


def _clean_leftovers(target: Path) -> None:
    """Remove what killed writes of `target` left (its lock is held): staging folders, and an
    old run set aside by a replacement that did not finish, put back if the target is gone."""
    prefix = f".{target.name}"
    if not target.parent.is_dir():
        return
    for entry in sorted(target.parent.iterdir()):
        if entry.name.startswith(prefix + OLD) and entry.is_dir():
            if not target.exists():
                os.replace(entry, target)
            else:
                shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(prefix + STAGING) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---- an atomic exchange of two folders (Linux renameat2), where the platform has one

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step; False where the platform cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result != 0:
        code = ctypes.get_errno()
        if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            return False  # the file system cannot exchange: the two-step rename does
        raise RunFolderError(f"cannot put the run in place: {os.strerror(code)}", where=str(b))
    return True


def _renameat2() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    function.argtypes += [ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


# ---- the writer's lock


def _lock(target: Path) -> int | None:
    """Take the folder's lock (an flock on `.NAME.lock` beside it), or fail at once naming the
    folder; None where the platform has no flock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    path = target.parent / f".{target.name}{LOCK}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(
            f"cannot create the folder: {exc.strerror}", where=str(target)
        ) from None
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # a full disk, a read-only folder: before anything is asked
            raise RunFolderError(
                f"cannot write the folder's lock {path.name}: {exc.strerror or exc}",
                where=str(target),
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunFolderError(
                "another run is writing this folder right now; wait for it or choose another "
                "--output",
                where=str(target),
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:  # not a lock file its last holder removed meanwhile
            return fd
        os.close(fd)


def _unlock(target: Path, fd: int | None) -> None:
    if fd is None:
        return
    with contextlib.suppress(FileNotFoundError):
        (target.parent / f".{target.name}{LOCK}").unlink()
    os.close(fd)
