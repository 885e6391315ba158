"""Where a task's rows come from: a local copy (--data-dir), the hub, or the shipped sample.

A source answers three questions: which languages it has, the rows for one language, and
a path for any other file of the dataset (exemplars and the like, for task hooks).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlparse

from harness.data.readers import Row, read_aligned, read_rows
from harness.errors import PolyevalError
from harness.paths import TASKS_DIR
from harness.spec import FileLayout, HubSource, TaskSpec

SourceKind = Literal["local", "hub", "sample"]

_OFFLINE_HELP = "pass --data-dir DIR with a local copy in the upstream layout, or --source sample"

SourceChoice = Literal["auto", "local", "hub", "sample"]


class DataSource(Protocol):
    kind: SourceKind

    def describe(self) -> str: ...
    def languages(self) -> list[str]: ...
    def rows(self, language: str) -> list[Row]: ...
    def file(self, relpath: str) -> Path: ...


@dataclass
class FolderSource:
    """Files in a folder: a local copy under --data-dir, or the sample inside the task."""

    kind: SourceKind
    root: Path
    layout: FileLayout
    codes: dict[str, str]  # canonical -> source code

    def describe(self) -> str:
        """The folder; a built-in task's sample as `tasks/<task>/sample`, the same on every
        machine (results are committed and compared)."""
        if self.root.is_relative_to(TASKS_DIR):
            return (Path("tasks") / self.root.relative_to(TASKS_DIR)).as_posix()
        return str(self.root)

    def languages(self) -> list[str]:
        return [lang for lang in self.codes if self._find(lang)]

    def rows(self, language: str) -> list[Row]:
        paths = self._find(language)
        if not paths:
            tried = ", ".join(str(self.root / p) for p in self._patterns(language))
            raise PolyevalError(f"no {self.kind} data for {language}: none of {tried} exists")
        if self.layout.aligned is not None:
            return _aligned_rows(self.layout, self.codes[language], language, self.file)
        rows: list[Row] = []
        for path in paths:
            name = path.relative_to(self.root).as_posix()
            rows += [
                (where, {**record, "_file": name, "_row": index})
                for index, (where, record) in enumerate(read_rows(path, self.layout))
            ]
        return rows

    def file(self, relpath: str) -> Path:
        path = self.root / relpath
        if not path.is_file():
            raise PolyevalError(f"missing data file {relpath}", where=str(self.root))
        return path

    def _patterns(self, language: str) -> list[str]:
        return [p.format(code=self.codes[language], lang=language) for p in self.layout.files]

    def _find(self, language: str) -> list[Path]:
        """The files of the first pattern that matches any; a pattern may be a glob
        (`DZEN/*.csv`: every file, in name order). Each record gets `_file`, its path relative
        to the folder, and `_row`, its index within that file."""
        for pattern in self._patterns(language):
            if any(char in pattern for char in "*?["):
                found = sorted(p for p in self.root.glob(pattern) if p.is_file())
            else:
                found = [self.root / pattern] if (self.root / pattern).is_file() else []
            if found:
                return found
        return []


def _aligned_rows(
    layout: FileLayout, code: str, language: str, find: Callable[[str], Path]
) -> list[Row]:
    """A language's rows from line-aligned files: each column's pattern names its file."""
    assert layout.aligned is not None
    paths = {
        column.format(code=code, lang=language): find(pattern.format(code=code, lang=language))
        for column, pattern in layout.aligned.items()
    }
    return [
        (where, {**record, "_row": index})
        for index, (where, record) in enumerate(read_aligned(paths))
    ]


@dataclass
class HubDataSource:
    """A hub dataset, or a local clone of its repo (--hub-dir DIR holds DIR/<org>/<name>)."""

    spec: HubSource
    codes: dict[str, str]
    hub_dir: Path | None = None
    kind: SourceKind = "hub"

    def describe(self) -> str:
        local = self._clone()
        where = str(local) if local else f"hf://datasets/{self.spec.repo}"
        return where + (f"@{self.spec.revision}" if self.spec.revision else "")

    def languages(self) -> list[str]:
        """Every language of the task; in a local clone of raw files, those it has files for."""
        local = self._clone()
        if local is not None and self.spec.layout is not None:
            return FolderSource("hub", local, self.spec.layout, self.codes).languages()
        return list(self.codes)

    def rows(self, language: str) -> list[Row]:
        code = self.codes[language]
        layout = self.spec.layout
        if layout is None:
            return self._load_dataset(code, language)
        if layout.aligned is not None:
            return _aligned_rows(layout, code, language, self.file)
        relpaths = [pattern.format(code=code, lang=language) for pattern in layout.files]
        relpath = relpaths[0]
        # a glob (several files per language, e.g. one per level): a clone reads like a folder
        if any(char in relpath for char in "*?[") and (clone := self._clone()) is not None:
            return FolderSource("hub", clone, layout, self.codes).rows(language)
        return read_rows(self._first_file(relpaths), layout)

    def _first_file(self, relpaths: list[str]) -> Path:
        """The file of the first pattern the repo has (a repo that changed its format, or a
        language kept under several names, lists a pattern for each); if none, the first
        pattern's error."""
        first: PolyevalError | None = None
        for relpath in relpaths:
            try:
                return self.file(relpath)
            except PolyevalError as exc:
                first = first or exc
        raise first or PolyevalError(f"no file patterns for {self.spec.repo}")

    def file(self, relpath: str) -> Path:
        local = self._clone()
        if local is not None:
            return FolderSource("hub", local, FileLayout(files=[]), {}).file(relpath)
        prepare_hub_access()
        from huggingface_hub import hf_hub_download

        try:
            path = hf_hub_download(
                self.spec.repo, relpath, repo_type="dataset", revision=self.spec.revision
            )
        except Exception as exc:  # the hub client raises many kinds; all mean "not available"
            raise self._unavailable(relpath, exc) from None
        return Path(path)

    def _load_dataset(self, code: str, language: str) -> list[Row]:
        config = self.spec.config.format(code=code, lang=language) if self.spec.config else None
        local = self._clone()
        if local is None:
            prepare_hub_access()
        import datasets

        try:
            table = datasets.load_dataset(
                str(local) if local else self.spec.repo,
                config,
                split=self.spec.split,
                revision=None if local else self.spec.revision,
            )
        except Exception as exc:  # datasets raises many kinds; all mean "not available"
            raise self._unavailable(f"config {config}", exc) from None
        name = f"{self.describe()}:{config}:{self.spec.split}"
        return [(f"{name}[row {i}]", dict(record)) for i, record in enumerate(table)]

    def _clone(self) -> Path | None:
        if self.hub_dir is None:
            return None
        path = self.hub_dir / self.spec.repo
        return path if path.is_dir() else None

    def _unavailable(self, what: str, exc: Exception) -> PolyevalError:
        reason = "the hub is unreachable (offline)" if hub_offline() else _first_line(exc)
        return PolyevalError(
            f"cannot load {what} of {self.spec.repo} from the Hugging Face hub: {reason}; "
            + _OFFLINE_HELP
        )


@dataclass
class PerLanguageHubSource:
    """Languages kept in different hub repos (a translation and its English original)."""

    sources: dict[str, HubDataSource]  # canonical language -> its repo
    kind: SourceKind = "hub"

    def describe(self) -> str:
        return ", ".join(dict.fromkeys(s.describe() for s in self.sources.values()))

    def languages(self) -> list[str]:
        return list(self.sources)

    def rows(self, language: str) -> list[Row]:
        return self.sources[language].rows(language)

    def file(self, relpath: str) -> Path:
        return next(iter(self.sources.values())).file(relpath)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


_TRUE = {"1", "true", "yes", "on"}


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in _TRUE


def prepare_hub_access(timeout: float = 1.0) -> None:
    """Probe the hub once; with no connection, switch the hub libraries to offline mode
    before they are imported, so that a load fails at once instead of retrying for ~20 s."""
    if hub_offline() or _probe_done.is_set():
        return
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    reachable: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection((endpoint.hostname or "", port), timeout=timeout).close()
            reachable.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    _probe_done.set()
    if not reachable:
        go_offline()


def go_offline() -> None:
    """Offline mode for the hub libraries, also when they were imported already."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    for module, name in (
        ("huggingface_hub.constants", "HF_HUB_OFFLINE"),
        ("datasets.config", "HF_HUB_OFFLINE"),
        ("datasets.config", "HF_DATASETS_OFFLINE"),
    ):
        if module in sys.modules:
            setattr(sys.modules[module], name, True)


_probe_done = threading.Event()


def select_source(
    spec: TaskSpec,
    task_dir: Path,
    choice: SourceChoice,
    data_dir: Path | None,
    hub_dir: Path | None,
) -> tuple[DataSource, str | None]:
    """The source for one task, and a warning when `auto` fell back to the sample."""
    local = _local_source(spec, data_dir)
    sample = _sample_source(spec, task_dir)
    if choice == "sample":
        return sample, None
    if choice == "local":
        if local is None:
            raise _no_local(spec, data_dir)
        return local, None
    if choice == "hub":
        return _hub_source(spec, hub_dir), None
    if local is not None:
        return local, None
    if spec.data.hub is not None:
        hub = _hub_source(spec, hub_dir)
        if _cloned(hub) or _online():
            return hub, None
    note = f"{spec.name}: no --data-dir copy and no hub access; using the shipped sample"
    return sample, note


def _sample_source(spec: TaskSpec, task_dir: Path) -> FolderSource:
    """The sample a task ships in `sample/`, laid out like the upstream files."""
    layout = spec.data.sample_layout()
    if layout is None:
        raise PolyevalError(f"task {spec.name} ships no sample", where=str(task_dir / "task.yaml"))
    return FolderSource("sample", task_dir / "sample", layout, spec.languages)


def _online() -> bool:
    prepare_hub_access()
    return not hub_offline()


def _local_source(spec: TaskSpec, data_dir: Path | None) -> FolderSource | None:
    if data_dir is None or spec.data.local is None:
        return None
    for folder in spec.data.local.folder:
        if (data_dir / folder).is_dir():
            return FolderSource("local", data_dir / folder, spec.data.local, spec.languages)
    return None


def _no_local(spec: TaskSpec, data_dir: Path | None) -> PolyevalError:
    if data_dir is None:
        return PolyevalError("--source local needs --data-dir DIR")
    if spec.data.local is None:
        return PolyevalError(f"task {spec.name} has no local data layout", where=str(data_dir))
    folders = " or ".join(spec.data.local.folder)
    return PolyevalError(f"no folder {folders} for task {spec.name}", where=str(data_dir))


def _hub_source(spec: TaskSpec, hub_dir: Path | None) -> HubDataSource | PerLanguageHubSource:
    if spec.data.hub is None:
        raise PolyevalError(f"task {spec.name} has no hub source; " + _OFFLINE_HELP)
    hub = spec.data.hub
    if isinstance(hub, HubSource):
        return HubDataSource(hub, spec.languages, hub_dir)
    return PerLanguageHubSource(
        {
            lang: HubDataSource(hub[lang], {lang: spec.languages[lang]}, hub_dir)
            for lang in spec.languages
            if lang in hub
        }
    )


def _cloned(source: HubDataSource | PerLanguageHubSource) -> bool:
    if isinstance(source, HubDataSource):
        return source._clone() is not None
    return all(s._clone() is not None for s in source.sources.values())
