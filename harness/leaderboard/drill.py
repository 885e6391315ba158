"""The drill-down data: every shown cell's samples, as small script files loaded on demand.

Browsers refuse `fetch()` of local files, so each file is a script that hands its data to a
global callback, `polyevalData(payload)`, and the page loads it by adding a `<script>` element:
the site works from `file://` and from any static host. Per run, task and variant, the samples
are ordered by language (English first, then by code; within a language as in the run's
samples.jsonl) and cut into pages of PAGE_SIZE:

- `data/samples/<run>/<task>/<variant>/index.js`: `{key, run, model, task, variant, page_size,
  pages, parts: [[language, first, count], ...]}`: where each language's samples start in that
  order, and how many it has;
- `data/samples/<run>/<task>/<variant>/page-0001.js`: `{key, page, pages, first, samples}`,
  PAGE_SIZE samples (the last page fewer), `first` the position of its first sample; each
  sample names its language.

A language's samples are shown PAGE_SIZE at a time, read from the one or two pages that hold
them. Pages are shared by languages rather than written per language, so that the number of
files follows the number of samples, not of cells: 30 models x 40 tasks x 50 languages with a
few samples each make 2,400 files, not 60,000.

`key` is the file's path under data/samples/ without `.js`; the page matches it to the file it
asked for. The JSON is escaped for a script context (`<`, `>`, `&`, U+2028 and U+2029 as
\\u escapes), so that no text from a model or a dataset can close the script or open a comment.
Long texts are clipped (a prompt to its last turns), so that pages stay small.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.context
import os
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import garbage
from harness.leaderboard.names import drill_key, samples_dir
from harness.leaderboard.runs import Run
from harness.leaderboard.tables import language_order
from harness.record import SAMPLES, ChatTurn, SampleRecord, open_run

PAGE_SIZE = 200
TEXT_LIMIT = 8000  # characters of an output, answer or gold shown
TURN_LIMIT = 4000  # characters of one prompt turn
PROMPT_LIMIT = 16000  # characters of a whole prompt (its last turns are kept)
CALLBACK = "polyevalData"
MAX_WORKERS = 8
PARALLEL_BYTES = 16 << 20  # samples.jsonl bytes from which runs are written in parallel

Available = dict[tuple[str, str, str], dict[str, int]]  # (run key, task, variant) -> lang -> n


def script_json(value: Any) -> str:
    """JSON that is safe inside an HTML <script> element and as a JavaScript literal."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@dataclass(frozen=True, slots=True)
class _Job:
    """One run's samples to write: what a worker process needs (not the run's scores)."""

    out: Path
    key: str
    folder: Path | None  # the run folder, where it has samples
    run_id: str
    model: str
    columns: tuple[tuple[str, str], ...]
    page_size: int


def write_samples(
    out: Path,
    wanted: Iterable[tuple[Run, str, str]],
    page_size: int = PAGE_SIZE,
    workers: int | None = None,
) -> Available:
    """Write the sample files of each (run, task, variant); the samples found per language.
    Runs are written in parallel processes (`workers`, default: the CPUs this process may use,
    at most 8) where their samples.jsonl files together pass PARALLEL_BYTES; the files are the
    same either way."""
    by_run: dict[str, tuple[Run, set[tuple[str, str]]]] = {}
    for run, task, variant in wanted:
        by_run.setdefault(run.key, (run, set()))[1].add((task, variant))
    jobs = [
        _Job(
            out,
            run.key,
            run.path if run.has_samples else None,
            run.run_id,
            run.model,
            tuple(sorted(columns)),
            page_size,
        )
        for run, columns in (by_run[key] for key in sorted(by_run))
    ]
    size = sum((job.folder / SAMPLES).stat().st_size for job in jobs if job.folder is not None)
    count = min(workers or _cpus(), MAX_WORKERS, len(jobs))
    if count > 1 and size >= PARALLEL_BYTES:
        with garbage.frozen(), ProcessPoolExecutor(count, mp_context=_context()) as pool:
            done = list(pool.map(_write_run, jobs))
    else:
        done = [_write_run(job) for job in jobs]
    return {key: found for part in done for key, found in part.items()}


def _cpus() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _context() -> multiprocessing.context.BaseContext:
    """fork where the platform has it (no re-import in each worker), else its default."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def _write_run(job: _Job) -> Available:
    grouped: dict[tuple[str, str], dict[str, list[SampleRecord]]] = defaultdict(
        lambda: defaultdict(list)
    )
    if job.folder is not None:
        columns = set(job.columns)
        for record in open_run(job.folder).samples():
            if (record.task, record.variant) in columns:
                grouped[(record.task, record.variant)][record.language].append(record)
    return {
        (job.key, task, variant): _write_column(job, task, variant, by_language)
        for (task, variant), by_language in sorted(grouped.items())
    }


def _write_column(
    job: _Job, task: str, variant: str, by_language: dict[str, list[SampleRecord]]
) -> dict[str, int]:
    folder = os.path.join(job.out, samples_dir(job.key, task, variant))
    os.makedirs(folder, exist_ok=True)
    base = drill_key(job.key, task, variant)
    page_size = job.page_size
    ordered: list[dict[str, Any]] = []
    parts = []
    for language in sorted(by_language, key=language_order):
        records = by_language[language]
        parts.append([language, len(ordered), len(records)])
        ordered += (_sample(r, language) for r in records)
    pages = (len(ordered) + page_size - 1) // page_size
    for page in range(pages):
        name = f"page-{page + 1:04d}"
        payload = {
            "key": f"{base}/{name}",
            "page": page + 1,
            "pages": pages,
            "first": page * page_size,
            "samples": ordered[page * page_size : (page + 1) * page_size],
        }
        _write_script(os.path.join(folder, f"{name}.js"), payload)
    index = {
        "key": f"{base}/index",
        "run": job.run_id,
        "model": job.model,
        "task": task,
        "variant": variant,
        "page_size": page_size,
        "pages": pages,
        "parts": parts,
    }
    _write_script(os.path.join(folder, "index.js"), index)
    return {language: len(records) for language, records in by_language.items()}


def _write_script(path: str, payload: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(f"{CALLBACK}({script_json(payload)});\n")


def _sample(record: SampleRecord, language: str) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": record.sample_id,
        "language": language,
        "prompt": _prompt(record.prompt),
        "output": _clip(record.output),
        "parsed": _clip(record.parsed),
        "gold": _clip(record.gold),
        "scores": dict(record.scores),
        "parallel_id": _clip(record.parallel_id),
    }
    for name in ("reasoning", "error", "finish_reason"):
        value = getattr(record, name)
        if value is not None:
            found[name] = _clip(value)
    if record.langid is not None:
        found["langid"] = {
            k: record.langid[k]
            for k in ("expected", "detected", "confidence", "consistent", "method", "note")
            if record.langid.get(k) is not None
        }
    if record.lcb is not None:  # the line or English words that failed LCB's levels
        found["lcb"] = {
            "failed_line": _clip(record.lcb.get("failed_line")),
            "english_words": _clip(record.lcb.get("english_words") or []),
        }
    return found


def _clip(value: Any, limit: int = TEXT_LIMIT) -> Any:
    """A text cut to `limit` characters (lists of texts each cut); other values as they are."""
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        return value[:limit] + f"… [{len(value) - limit} more characters]"
    if isinstance(value, list):
        return [_clip(v, limit) for v in value]
    return value


def _prompt(prompt: str | list[ChatTurn]) -> Any:
    """A completion prompt as text; a chat prompt as [role, content] turns, its last turns
    kept within PROMPT_LIMIT characters (the earlier ones counted in a first turn `…`)."""
    if isinstance(prompt, str):
        return _clip(prompt, PROMPT_LIMIT)
    turns = [[m.role, _clip(m.content, TURN_LIMIT)] for m in prompt]
    kept: list[list[str]] = []
    total = 0
    for turn in reversed(turns):
        if kept and total + len(turn[1]) > PROMPT_LIMIT:
            break
        kept.append(turn)
        total += len(turn[1])
    kept.reverse()
    dropped = len(turns) - len(kept)
    if dropped:
        kept.insert(0, ["…", f"{dropped} earlier turn{'s' if dropped > 1 else ''} not shown"])
    return kept
