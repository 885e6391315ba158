"""The finished runs under a results folder, as the leaderboard reads them.

A run is a folder with a scores.json (manifest.json, summary.json and samples.jsonl where it
has them), found at any depth under the results folder, hidden folders skipped. Its summary is
its summary.json, or computed from its samples (harness.summary) where it has none; a run with
neither samples nor summary gets macro averages from its per-language scores, without intervals.

What the leaderboard takes from a run's manifest is read in one place, `manifest_fields`: its
identity and dates, status and request counts (`failed`, `requests`), the data source of each
task (`sources`: `tasks[<task>].source.kind`, "sample", "local" or "hub"), the `limit` and the
`prompt_format`. A run is complete when its status says so and no request failed.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypedDict, TypeGuard

from harness.errors import PolyevalError
from harness.results import MANIFEST, SAMPLES, SCORES, read_sample_records, read_scores
from harness.summary import read_summary, summarize

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


def find_runs(results: Path) -> list[Path]:
    """Every run folder under `results`, sorted by path."""
    if not results.is_dir():
        raise PolyevalError("no such results folder", where=str(results))
    found = [
        path.parent
        for path in sorted(results.rglob(SCORES))
        if not any(part.startswith(".") for part in path.relative_to(results).parts)
    ]
    if not found:
        raise PolyevalError(f"no finished runs (no {SCORES}) in this folder", where=str(results))
    return found


def load_runs(results: Path) -> list[Run]:
    """The runs under `results`, oldest first (by start, then folder)."""
    runs = [load_run(path, path.relative_to(results).as_posix()) for path in find_runs(results)]
    return one_version_per_task(sorted(runs, key=lambda r: (r.started, r.key)))


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


def load_run(path: Path, key: str) -> Run:
    scores = [r for r in read_scores(path) if r.get("by") is None]
    has_samples = (path / SAMPLES).is_file()
    summary = _summary(path, scores, has_samples)
    return Run(
        key=key,
        path=path,
        **manifest_fields(_manifest(path), path.name),
        scores=scores,
        summary=summary,
        has_samples=has_samples,
        errors_by_cell=_errors(scores),
        scores_by_column=by_column(scores),
        summary_by_column=by_column(summary),
    )


def manifest_fields(manifest: dict[str, Any], folder: str) -> ManifestFields:
    """The manifest's fields the leaderboard uses, typed (the only reader of the manifest;
    `folder`, the run folder's name, stands in for a missing run id and model)."""
    harness_info = _mapping(manifest.get("harness"))
    model = manifest.get("model")
    name = model.get("name") if isinstance(model, dict) else model
    counts = {k: int(v) for k, v in _mapping(manifest.get("counts")).items() if _count(v)}
    tasks = {str(k): v for k, v in _mapping(manifest.get("tasks")).items() if isinstance(v, dict)}
    limit = manifest.get("limit")
    return ManifestFields(
        run_id=str(manifest.get("run_id") or folder),
        model=str(name) if name is not None else folder,
        started=str(manifest.get("started") or ""),
        finished=str(manifest.get("finished") or ""),
        status=str(manifest.get("status") or "unknown"),
        harness_version=_text(harness_info.get("version")),
        git=_text(harness_info.get("git")),
        langid=_detector(manifest),
        counts=counts,
        tasks=tasks,
        limit=int(limit) if _count(limit) else None,
        prompt_format=str(manifest.get("prompt_format") or ""),
        sources={
            task: str(kind)
            for task, entry in tasks.items()
            if (kind := _mapping(entry.get("source")).get("kind"))
        },
        failed=counts.get("failed", 0),
        requests=counts.get("requests", 0),
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _detector(manifest: dict[str, Any]) -> str:
    """The run's language identifier; runs from before there was a choice used the default."""
    langid = manifest.get("langid")
    detector = langid.get("detector") if isinstance(langid, dict) else None
    return str(detector or "default")


def by_column(records: list[Record]) -> dict[tuple[str, str], list[Record]]:
    """Records by (task, variant), in the order of their first appearance."""
    found: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in records:
        found[(str(record.get("task")), str(record.get("variant")))].append(record)
    return dict(found)


def _manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as exc:
        raise PolyevalError(
            f"cannot read the manifest: {exc}", where=str(path / MANIFEST)
        ) from None
    return data if isinstance(data, dict) else {}


def _summary(path: Path, scores: list[Record], has_samples: bool) -> list[Record]:
    found = read_summary(path)
    if found is not None:
        return found
    if has_samples:
        return summarize(read_sample_records(path), scores)
    return _plain_macros(scores)


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


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None
