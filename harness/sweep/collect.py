"""`evaluate collect`: the run folders of one or several sweeps (or any results folders) merged
into one results tree, with the sweep's status and one response cache.

- **Runs.** Every whole run under the inputs (harness.record.find_runs) is read in full through
  the run record and written again into `OUT/runs/<cell>`; a folder that is not a whole run is
  named and left out. A run's cell is its folder's name (`<model>__<group>[__<k>of<n>]`).
- **Duplicates.** Where several inputs hold a run of the same cell (a cell run on two clusters,
  a sweep copied and run again), the leaderboard's rule picks one
  (harness.leaderboard.selection: complete first, then more languages, then more samples, then
  without --limit, then the newest); the others are named with the reason.
- **Shards.** The language shards of a cell (per the sweep's plan, sweep.json) are merged into
  one run, `OUT/runs/<model>__<group>`, once every shard has a run: their samples together,
  scored again from the samples as `evaluate score` does (so gaps to English and averages span
  every language), their counts and timings added up.
- **Status.** Each cell of the plans: complete, incomplete (a run with failed requests) or
  missing (no whole run: killed, or never run), with counts; `OUT/status.tsv` holds the table.
- **Caches.** Every response cache of the inputs (each cell's `caches/<cell>.sqlite`, a collected
  tree's `cache.sqlite`, a cache the sweep shared) is merged into `OUT/cache.sqlite`, the answers
  it has kept (`INSERT OR IGNORE`): the cache travels with the results.

`OUT` is a new or empty folder, or one that collect wrote before (its `collect.json`): then its
runs are replaced by this collection's.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import PolyevalError
from harness.record import (
    FORMAT,
    Counts,
    Manifest,
    RunContents,
    RunFolder,
    SampleRecord,
    TaskInfo,
    claim,
    find_runs,
    open_run,
    unread_reason,
    write_run,
)
from harness.sweep.cells import CACHES, COMPLETE, INCOMPLETE, MISSING, Plan, PlanCell, read_plan

RUNS, STATUS, MARKER, CACHE = "runs", "status.tsv", "collect.json", "cache.sqlite"
Echo = Callable[[str], None]


@dataclass(frozen=True)
class CellStatus:
    cell: str
    status: str  # complete, incomplete, missing
    run: Path | None  # the folder its run was taken from
    planned: bool  # part of a sweep's plan
    requests: int = 0
    failed: int = 0


@dataclass
class Collected:
    out: Path
    cells: list[CellStatus]
    written: list[str] = field(default_factory=list)  # run folders written under OUT/runs
    notes: list[str] = field(default_factory=list)  # folders set aside, and why
    cache_rows: int = 0  # answers added to OUT/cache.sqlite
    caches: int = 0  # cache files merged

    def counts(self) -> dict[str, int]:
        found = Counter(c.status for c in self.cells)
        return {status: found.get(status, 0) for status in (COMPLETE, INCOMPLETE, MISSING)}

    @property
    def to_resubmit(self) -> list[CellStatus]:
        """The cells to run again: every one that is not complete (planned or not)."""
        return [c for c in self.cells if c.status != COMPLETE]


def collect(inputs: list[Path], out: Path, echo: Echo = print) -> Collected:
    """Merge the runs and caches of `inputs` into `out` (see the module's docstring)."""
    out = Path(os.path.abspath(out))
    inputs = [Path(os.path.abspath(i)) for i in inputs]
    for folder in inputs:
        if not folder.is_dir():
            raise PolyevalError("no such folder", where=str(folder))
        if folder == out or folder.is_relative_to(out):
            raise PolyevalError("an input lies inside --out; give another --out", where=str(folder))
    _check_out(out)
    collected = Collected(out, [])
    planned, plan_notes = _plans(inputs)
    collected.notes += plan_notes
    candidates = _candidates(inputs, out, collected.notes)
    chosen: dict[str, RunFolder] = {}
    for name, found in candidates.items():
        if (kept := _choose(name, found, collected.notes)) is not None:
            chosen[name] = kept
    shards: dict[str, list[PlanCell]] = defaultdict(list)
    for cell in planned.values():
        if cell.shards:
            shards[cell.merged].append(cell)
    sharded = {cell.id for group in shards.values() for cell in group}

    # each run read whole (every record validated) and written as it is read, one at a time
    (out / RUNS).mkdir(parents=True, exist_ok=True)
    unreadable: set[str] = set()
    for name, kept_run in sorted(chosen.items()):
        if name in sharded:
            continue
        whole = _read_whole(kept_run, collected.notes)
        if whole is None:
            unreadable.add(name)
            continue
        write_run(out / RUNS / name, whole, overwrite=True)
        collected.written.append(name)
    for merged, group in sorted(shards.items()):
        ordered = sorted(group, key=lambda c: c.shard or 0)
        if absent := [cell.id for cell in ordered if cell.id not in chosen]:
            collected.notes.append(
                f"{merged}: {len(absent)} of its {len(ordered)} language shards have no run "
                "yet; merged once every shard has one"
            )
            continue
        parts = [_read_whole(chosen[cell.id], collected.notes) for cell in ordered]
        present = [part for part in parts if part is not None]
        if len(present) < len(parts):
            unreadable |= {cell.id for cell, part in zip(ordered, parts, strict=True) if not part}
            continue
        problem = _unmergeable(present)
        if problem is not None:
            collected.notes.append(f"{merged}: shards not merged: {problem}")
            continue
        _write_merged(out / RUNS / merged, merged, present)
        collected.written.append(merged)

    usable = {name: run for name, run in chosen.items() if name not in unreadable}
    for name in [*planned, *sorted(set(usable) - set(planned))]:
        used = usable.get(name)
        if used is None:
            collected.cells.append(CellStatus(name, MISSING, None, True))
            continue
        counts = used.manifest.counts
        collected.cells.append(
            CellStatus(
                name,
                _status(used.manifest),
                used.path,
                name in planned,
                counts.requests,
                counts.failed,
            )
        )
    _remove_stale(out, set(collected.written))
    collected.caches, collected.cache_rows = _merge_caches(inputs, planned, out)
    _write_status(out, collected, inputs)
    return collected


def _check_out(out: Path) -> None:
    """OUT: absent, empty, or written by collect before."""
    if not out.exists():
        return
    if not out.is_dir():
        raise PolyevalError("is a file, not a folder", where=str(out))
    if any(out.iterdir()) and not (out / MARKER).is_file():
        raise PolyevalError(
            f"holds files that evaluate collect did not write (no {MARKER}); give a new or "
            "empty --out",
            where=str(out),
        )


def _plans(inputs: list[Path]) -> tuple[dict[str, PlanCell], list[str]]:
    """Every planned cell of the inputs' sweeps, by id."""
    cells: dict[str, PlanCell] = {}
    notes = []
    for folder in inputs:
        plan: Plan | None = read_plan(folder)
        if plan is None:
            continue
        for cell in plan.cells:
            known = cells.setdefault(cell.id, cell)
            if known.args != cell.args:
                notes.append(
                    f"cell {cell.id} has other arguments in {folder} than in another plan; "
                    "its runs are compared as runs of one cell"
                )
    return cells, notes


def _candidates(inputs: list[Path], out: Path, notes: list[str]) -> dict[str, list[RunFolder]]:
    """The whole runs under the inputs, by cell (their folder's name)."""
    found: dict[str, list[RunFolder]] = defaultdict(list)
    for folder in inputs:
        runs = find_runs(folder)
        for path, reason in runs.skipped:
            notes.append(f"set aside {path}: {reason}")
        for run in runs.runs:
            if run.path.is_relative_to(out):
                continue
            if run.manifest.format < FORMAT:
                notes.append(
                    f"set aside {run.path}: written in run format {run.manifest.format}, before "
                    "a run held all that scoring needs; run it again"
                )
                continue
            found[run.path.name].append(run)
    return found


def _choose(cell: str, found: list[RunFolder], notes: list[str]) -> RunFolder | None:
    """The run of a cell that the leaderboard's rule prefers, where several inputs have one;
    the others are named in `notes`."""
    if len(found) == 1:
        return found[0]
    from harness.leaderboard.runs import load_run
    from harness.leaderboard.selection import select_runs

    runs = []
    by_key: dict[str, RunFolder] = {}
    for folder in found:
        try:
            runs.append(load_run(folder, str(folder.path)))
        except PolyevalError as exc:
            notes.append(f"set aside {folder.path}: {unread_reason(exc, folder.path)}")
            continue
        by_key[str(folder.path)] = folder
    if not runs:
        return None
    selection = select_runs(runs)
    wins = Counter(run.key for run, _ in selection.chosen.values())
    first = {run.key: index for index, run in enumerate(runs)}
    kept = max(runs, key=lambda r: (wins[r.key], -first[r.key]))
    reasons: dict[str, str] = {}
    for aside in selection.set_aside:
        if aside.run.key != kept.key and aside.kept.key == kept.key:
            reasons.setdefault(aside.run.key, aside.reason)
    for run in runs:
        if run.key != kept.key:
            why = reasons.get(run.key, "another run is preferred for most of its columns")
            notes.append(f"set aside {run.path} (cell {cell}): {why}; kept {kept.path}")
    return by_key[kept.key]


def _read_whole(run: RunFolder, notes: list[str]) -> RunContents | None:
    """Everything the run holds, each record validated; None (and a note) where a file of it
    cannot be read."""
    try:
        return RunContents(
            run.manifest,
            list(run.samples()),
            run.scores(),
            run.gaps(),
            run.summary() or [],
        )
    except PolyevalError as exc:
        notes.append(f"set aside {run.path}: {unread_reason(exc, run.path)}")
        return None


def _status(manifest: Manifest) -> str:
    return COMPLETE if manifest.status == COMPLETE and manifest.failed == 0 else INCOMPLETE


# ---- language shards


def _unmergeable(parts: list[RunContents]) -> str | None:
    """Why the runs of a cell's shards cannot be one run, or None."""
    first = parts[0].manifest
    for part in parts[1:]:
        other = part.manifest
        for what in ("prompt_format", "limit", "seed"):
            if getattr(other, what) != getattr(first, what):
                return f"they differ in {what}"
        if other.model.get("name") != first.model.get("name"):
            return "they were answered by different models"
        if {t: i.version for t, i in other.tasks.items()} != {
            t: i.version for t, i in first.tasks.items()
        }:
            return "they ran different tasks or task versions"
    return None


def _write_merged(target: Path, run_id: str, parts: list[RunContents]) -> None:
    """The shards' samples as one run, scored again from its samples."""
    from harness.session import score_and_write

    manifests = [part.manifest for part in parts]
    first = manifests[0]
    tasks = {name: _merged_task([m.tasks[name] for m in manifests]) for name in first.tasks}
    order = {name: index for index, name in enumerate(tasks)}
    samples: list[SampleRecord] = [s for part in parts for s in part.samples]
    samples.sort(key=lambda s: order.get(s.task, len(order)))  # stable: shard order within
    replay = dict(first.replay)
    if all(isinstance(m.replay.get("languages"), list) for m in manifests):
        replay["languages"] = _unique(lang for m in manifests for lang in m.replay["languages"])
    timings: dict[str, float] = defaultdict(float)
    for manifest in manifests:
        for key, value in manifest.timings_s.items():
            timings[key] += value
    manifest = first.model_copy(
        update={
            "run_id": run_id,
            "started": min(m.started for m in manifests),
            "finished": max(m.finished for m in manifests),
            "tasks": tasks,
            "counts": _added([m.counts for m in manifests]),
            "timings_s": dict(timings),
            "replay": replay,
        }
    )
    with claim(target, overwrite=True) as claimed:
        score_and_write(claimed, manifest, samples)


def _merged_task(infos: list[TaskInfo]) -> TaskInfo:
    first = infos[0]
    rows: dict[str, int] = {}
    counted: dict[str, int] = {}
    skipped: dict[str, dict[str, int]] = {}
    literals: dict[str, str] = {}
    for info in infos:
        rows.update(info.rows)
        counted.update(info.samples)
        skipped.update(info.skipped)
        literals.update(info.literals)
    return first.model_copy(
        update={
            "languages": _unique(lang for info in infos for lang in info.languages),
            "notes": _unique(note for info in infos for note in info.notes),
            "rows": rows,
            "samples": counted,
            "skipped": skipped,
            "literals": literals,
            "literals_english_fallback": _unique(
                lang for info in infos for lang in info.literals_english_fallback
            ),
        }
    )


def _added(counts: list[Counts]) -> Counts:
    total = {
        name: sum(getattr(c, name) for c in counts)
        for name in Counts.model_fields
        if name != "cache_unreadable"
    }
    unreadable = sum(c.cache_unreadable or 0 for c in counts)
    return Counts(**total, cache_unreadable=unreadable or None)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# ---- what else OUT holds


def _remove_stale(out: Path, written: set[str]) -> None:
    """Runs a former collection wrote into OUT/runs that this one did not."""
    for folder in sorted((out / RUNS).iterdir()):
        if folder.name.startswith(".") or folder.name in written or not folder.is_dir():
            continue
        try:
            open_run(folder)
        except PolyevalError:
            continue  # not a run: not collect's to remove
        shutil.rmtree(folder)


def _merge_caches(inputs: list[Path], planned: dict[str, PlanCell], out: Path) -> tuple[int, int]:
    """Every response cache of the inputs into OUT/cache.sqlite; (files merged, rows added)."""
    from harness.generation.cache import ResponseCache

    sources: list[Path] = []
    for folder in inputs:
        sources += sorted((folder / CACHES).glob("*.sqlite"))
        if (folder / CACHE).is_file():
            sources.append(folder / CACHE)
    for cell in planned.values():
        if Path(cell.cache).is_absolute() and Path(cell.cache).is_file():
            sources.append(Path(cell.cache))
    target = out / CACHE
    seen = {target.resolve()}
    unique = []
    for source in sources:
        if source.resolve() not in seen:
            seen.add(source.resolve())
            unique.append(source)
    if not unique:
        return 0, 0
    cache = ResponseCache(target)
    try:
        added = sum(cache.merge_from(source) for source in unique)
    finally:
        cache.close()
    return len(unique), added


def _write_status(out: Path, collected: Collected, inputs: list[Path]) -> None:
    lines = ["cell\tstatus\trequests\tfailed\trun"]
    for cell in collected.cells:
        run = str(cell.run) if cell.run is not None else ""
        lines.append(f"{cell.cell}\t{cell.status}\t{cell.requests}\t{cell.failed}\t{run}")
    (out / STATUS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    marker = {
        "inputs": [str(i) for i in inputs],
        "counts": collected.counts(),
        "runs": collected.written,
        "resubmit": [c.cell for c in collected.to_resubmit],
    }
    (out / MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")


def status_lines(collected: Collected) -> list[str]:
    """The status table as text: a line per cell, then the counts."""
    width = max([len(c.cell) for c in collected.cells] + [4])
    lines = [f"{'cell':<{width}}  {'status':<10}  requests  failed"]
    for cell in collected.cells:
        mark = "" if cell.planned else "  (in no plan)"
        lines.append(
            f"{cell.cell:<{width}}  {cell.status:<10}  {cell.requests:>8}  {cell.failed:>6}{mark}"
        )
    counts = collected.counts()
    lines.append(", ".join(f"{status} {count}" for status, count in counts.items()))
    return lines
