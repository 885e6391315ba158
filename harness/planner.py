"""From the command line's choices to the full list of requests: tasks x languages x variants
x samples, each rendered into a prompt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.data.sources import DataSource, SourceChoice, select_source
from harness.errors import PolyevalError
from harness.kinds import answer_format
from harness.languages import resolve_language
from harness.literals import get_literals, literals_table_hash, table_languages
from harness.metrics import check_metrics
from harness.prompting import PromptBuilder, PromptFormat
from harness.records import Hints, Request, Sample
from harness.registry import Task, TaskRegistry
from harness.samples import load_samples


@dataclass
class Selection:
    tasks: list[str]
    languages: list[str] | None = None  # canonical codes; None: all the source has
    variants: list[str] | None = None  # None: each task's defaults
    limit: int | None = None
    source: SourceChoice = "auto"
    data_dir: Path | None = None
    hub_dir: Path | None = None
    prompt_format: PromptFormat = "chat"
    seed: int = 1234
    generation: dict[str, Any] = field(default_factory=dict)  # overrides from the CLI
    system_prompt: str | None = None  # replaces the templates' system block


@dataclass
class TaskPlan:
    task: Task
    source: DataSource
    note: str | None
    languages: list[str]
    variants: list[str]
    samples: dict[str, list[Sample]]
    template_hashes: dict[str, str]
    builder: PromptBuilder

    def literals(self) -> dict[str, str]:
        """Per language: the hash of the literals its prompts used, for provenance."""
        return {lang: literals_table_hash(lang)[:16] for lang in self.languages}

    def english_fallback(self) -> list[str]:
        """Languages with no row of their own in the literals table (English words are used)."""
        own = set(table_languages())
        return [lang for lang in self.languages if lang not in own]


@dataclass
class Plan:
    tasks: list[TaskPlan]
    requests: list[Request]
    samples: dict[tuple[str, str, str], Sample]  # (task, language, sample id) -> sample

    def task(self, name: str) -> TaskPlan:
        return next(t for t in self.tasks if t.task.name == name)


def build_plan(registry: TaskRegistry, selection: Selection) -> Plan:
    tasks = [registry.get(name) for name in selection.tasks]
    _check_requested(tasks, selection)
    plans = [_task_plan(task, selection) for task in tasks]
    requests: list[Request] = []
    samples: dict[tuple[str, str, str], Sample] = {}
    for plan in plans:
        for language, items in plan.samples.items():
            for sample in items:
                samples[(plan.task.name, language, sample.id)] = sample
            requests += _requests(plan, language, items, selection)
    return Plan(plans, requests, samples)


def resolve_languages(codes: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(resolve_language(code) for code in codes))


def _check_requested(tasks: list[Task], selection: Selection) -> None:
    names = ", ".join(t.name for t in tasks)
    for language in selection.languages or []:
        if not any(language in t.spec.languages for t in tasks):
            raise PolyevalError(f"language {language} is in none of the tasks {names}")
    for variant in selection.variants or []:
        if not any(variant in t.spec.variants for t in tasks):
            known = sorted({v for t in tasks for v in t.spec.variants})
            raise PolyevalError(f"variant '{variant}' is in none of the tasks {names} ({known})")


def _task_plan(task: Task, selection: Selection) -> TaskPlan:
    spec = task.spec
    check_metrics(spec.metrics, str(task.folder / "task.yaml"))
    source, note = select_source(
        spec, task.folder, selection.source, selection.data_dir, selection.hub_dir
    )
    if selection.languages is None:
        languages = source.languages()
        if not languages:
            raise PolyevalError(f"no data for task {task.name}", where=source.describe())
    else:
        languages = [lang for lang in selection.languages if lang in spec.languages]
    wanted = selection.variants or spec.chosen_default_variants()
    variants = [v for v in wanted if v in spec.variants]
    samples = {lang: load_samples(task, source, lang, selection.limit) for lang in languages}
    builder = PromptBuilder(task, selection.prompt_format, selection.system_prompt)
    hashes = {v: builder.template_hash(v) for v in variants}
    return TaskPlan(task, source, note, languages, variants, samples, hashes, builder)


def _requests(
    plan: TaskPlan, language: str, samples: list[Sample], selection: Selection
) -> list[Request]:
    task, spec, builder = plan.task, plan.task.spec, plan.builder
    literals = get_literals(language)
    pool = tuple(s.gold for s in samples)
    phrasing = answer_format(spec.kind, literals)
    requests = []
    for variant in plan.variants:
        exemplars = _exemplars(plan, language, variant)
        generation = {**spec.generation, **spec.variants[variant].generation}
        generation |= {**selection.generation, "seed": selection.seed}
        for sample in samples:
            messages, prompt = builder.build(variant, sample, exemplars)
            hints = Hints(
                gold=sample.gold,
                answer_format=phrasing,
                choice_labels=literals.choice_labels[: len(sample.choices)],
                digits=literals.digits,
                answer_pool=pool,
                source_text=str(sample.fields.get("source", sample.fields.get("question", ""))),
            )
            requests.append(
                Request(
                    task=task.name,
                    variant=variant,
                    language=language,
                    sample_id=sample.id,
                    parallel_id=sample.parallel_id,
                    messages=messages,
                    prompt=prompt,
                    generation=generation,
                    template_hash=plan.template_hashes[variant],
                    hints=hints,
                )
            )
    return requests


def _exemplars(plan: TaskPlan, language: str, variant: str) -> list[dict[str, Any]]:
    spec = plan.task.variant(variant)
    if spec.fewshot == 0:
        return []
    hook = plan.task.hook("exemplars")
    if hook is None:
        raise PolyevalError(
            f"variant '{variant}' asks for {spec.fewshot} exemplars but task.py has no exemplars()",
            where=str(plan.task.folder / "task.yaml"),
        )
    exemplars: list[dict[str, Any]] = hook(
        plan.source, language, plan.task.spec.languages[language]
    )
    return exemplars
