"""The finished runs under a results folder, as the leaderboard reads them (through the run
record, harness.record).

A run is a folder with a whole manifest.json, found at any depth under the results folder,
hidden folders skipped; a folder without one (a run being written, or killed), or whose scores
or summary cannot be read, is set aside and named with the file at fault. Its summary is its
summary.json, or computed from its samples (harness.analysis.summary) where it has none; a run with
neither gets macro averages from its per-language scores, without intervals.

What the leaderboard takes from a run's manifest is read in one place, `manifest_fields`: its
identity and dates, status and request counts (`failed`, `requests`), the data source of each
task (`sources`: `tasks[<task>].source.kind`, "sample", "local" or "hub"), the `limit` and the
`prompt_format`. A run is complete when its status says so and no request failed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypedDict, TypeGuard

from harness.analysis.summary import summarize
from harness.errors import PolyevalError
from harness.record import Manifest, RunFolder, find_runs, unread_reason

Record = dict[str, Any]
COMPLETE = "complete"


@dataclass(frozen=True, slots=True)
class Run:
    key: str  # the folder's path under the results folder (posix): unique
    path: Path
    run_id: str
    model: str
    started: str  # ISO date-time from the manifest ("" where none)
    finished: str
    status: str
    harness_version: str | None
    git: str | None
    langid: str  # the language identifier answers were judged with (default, lid176)
    counts: dict[str, int]
    tasks: dict[str, dict[str, Any]]  # the manifest's task entries
    limit: int | None  # the run's --limit (samples per language), None where there was none
    prompt_format: str  # "chat" or "completion" ("" where not recorded)
    sources: dict[str, str]  # task -> its data source's kind: "sample", "local", "hub"
    failed: int  # failed requests
    requests: int
    scores: list[Record]  # overall score records (no breakdowns)
    summary: list[Record]
    has_samples: bool
    errors_by_cell: dict[tuple[str, str, str], int] = field(default_factory=dict)
    scores_by_column: dict[tuple[str, str], list[Record]] = field(default_factory=dict)
    summary_by_column: dict[tuple[str, str], list[Record]] = field(default_factory=dict)

    @property
    def date(self) -> str:
        return self.started[:10]

    @property
    def complete(self) -> bool:
        """Whether the run finished with every request answered."""
        return self.status == COMPLETE and self.failed == 0

    @property
    def columns(self) -> list[tuple[str, str]]:
        """The run's (task, variant) pairs, in the order of its score records."""
        return list(self.scores_by_column)


@dataclass(frozen=True, slots=True)
class Loaded:
    runs: list[Run]  # oldest first
    skipped: list[tuple[Path, str]]  # folders that are not whole runs, and why


def load_runs(results: Path) -> Loaded:
    """The runs under `results`, oldest first (by start, then folder), and the folders set
    aside because they hold no whole run."""
    found = find_runs(results)
    runs: list[Run] = []
    skipped = list(found.skipped)
    for folder in found.runs:
        try:
            runs.append(load_run(folder, folder.path.relative_to(results).as_posix()))
        except PolyevalError as exc:  # a damaged scores or summary file: named, not used
            skipped.append((folder.path, unread_reason(exc, folder.path)))
    if not runs:
        first = f"{skipped[0][0]}: {skipped[0][1]}" if skipped else ""
        reason = f" ({len(skipped)} set aside; the first, {first})" if skipped else ""
        raise PolyevalError(f"no finished runs in this folder{reason}", where=str(results))
    ordered = one_version_per_task(sorted(runs, key=lambda r: (r.started, r.key)))
    return Loaded(ordered, skipped)


def one_version_per_task(runs: list[Run]) -> list[Run]:
    """The runs with each task's records kept only where the run used the task's newest
    version (that of its latest run): a column never mixes scores of two task versions."""
    newest: dict[str, str] = {}
    for run in runs:  # oldest first
        for task, entry in run.tasks.items():
            if "version" in entry:
                newest[task] = str(entry["version"])
    return [_without(run, _stale(run, newest)) for run in runs]


def _stale(run: Run, newest: dict[str, str]) -> set[str]:
    return {
        task
        for task, entry in run.tasks.items()
        if "version" in entry and str(entry["version"]) != newest[task]
    }


def _without(run: Run, tasks: set[str]) -> Run:
    if not tasks:
        return run
    scores = [r for r in run.scores if r.get("task") not in tasks]
    summary = [r for r in run.summary if r.get("task") not in tasks]
    return replace(
        run,
        scores=scores,
        summary=summary,
        errors_by_cell=_errors(scores),
        scores_by_column=by_column(scores),
        summary_by_column=by_column(summary),
    )


class ManifestFields(TypedDict):
    """What the leaderboard reads of a run's manifest (Run's fields of the same names)."""

    run_id: str
    model: str
    started: str
    finished: str
    status: str
    harness_version: str | None
    git: str | None
    langid: str
    counts: dict[str, int]
    tasks: dict[str, dict[str, Any]]
    limit: int | None
    prompt_format: str
    sources: dict[str, str]
    failed: int
    requests: int


def load_run(folder: RunFolder, key: str) -> Run:
    scores = [r.as_json() for r in folder.scores() if r.by is None]
    summary = _summary(folder, scores)
    return Run(
        key=key,
        path=folder.path,
        **manifest_fields(folder.manifest, folder.path.name),
        scores=scores,
        summary=summary,
        has_samples=folder.has_samples,
        errors_by_cell=_errors(scores),
        scores_by_column=by_column(scores),
        summary_by_column=by_column(summary),
    )


def manifest_fields(manifest: Manifest, folder: str) -> ManifestFields:
    """The manifest's fields the leaderboard uses (the only reader of the manifest here;
    `folder`, the run folder's name, stands in for a missing model name)."""
    return ManifestFields(
        run_id=manifest.run_id,
        model=manifest.model_name or folder,
        started=manifest.started,
        finished=manifest.finished,
        status=manifest.status,
        harness_version=manifest.harness.version,
        git=manifest.harness.git,
        langid=manifest.langid.detector,
        counts=manifest.counts.model_dump(),
        tasks={name: task.model_dump() for name, task in manifest.tasks.items()},
        limit=manifest.limit,
        prompt_format=manifest.prompt_format,
        sources={name: task.source.kind for name, task in manifest.tasks.items()},
        failed=manifest.counts.failed,
        requests=manifest.counts.requests,
    )


def by_column(records: list[Record]) -> dict[tuple[str, str], list[Record]]:
    """Records by (task, variant), in the order of their first appearance."""
    found: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in records:
        found[(str(record.get("task")), str(record.get("variant")))].append(record)
    return dict(found)


def _summary(folder: RunFolder, scores: list[Record]) -> list[Record]:
    found = folder.summary()
    if found is None and folder.has_samples:
        found = summarize(folder.samples(), folder.scores())
    if found is None:
        return _plain_macros(scores)
    return [r.as_json() for r in found]


def finite(value: Any) -> TypeGuard[int | float]:
    """Whether a record's value is a finite number (not a flag, NaN or missing)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _plain_macros(scores: list[Record]) -> list[Record]:
    """Macro averages over languages from the per-language scores alone, without intervals."""
    values: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for record in scores:
        value = record.get("value")
        if isinstance(value, int | float) and math.isfinite(value):
            key = (str(record["task"]), str(record["variant"]), str(record["metric"]))
            values[key].append(float(record["value"]))
    return [
        {
            "task": task,
            "variant": variant,
            "metric": metric,
            "kind": "macro",
            "group": None,
            "value": sum(found) / len(found),
            "ci_low": None,
            "ci_high": None,
            "languages": len(found),
        }
        for (task, variant, metric), found in sorted(values.items())
    ]


def _errors(scores: list[Record]) -> dict[tuple[str, str, str], int]:
    """Failed requests per task, variant and language (the largest count any metric gives)."""
    found: dict[tuple[str, str, str], int] = {}
    for record in scores:
        key = (str(record["task"]), str(record["variant"]), str(record["language"]))
        found[key] = max(found.get(key, 0), int(record.get("errors") or 0))
    return found
