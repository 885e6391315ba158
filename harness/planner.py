"""From the command line's choices to the full list of requests: tasks x languages x variants
x samples, each rendered into a prompt."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from harness.config import RunConfig
from harness.data.sources import DataSource, FolderSource, select_source
from harness.detectors import check_detector
from harness.errors import PolyevalError
from harness.exemplar_selection import (
    POOL_CAP,
    Shots,
    choose_exemplars,
    fixed_shots,
    pool_languages,
    similarity_for,
)
from harness.kinds import get_kind
from harness.literals import get_literals, literals_table_hash, table_languages
from harness.metrics import check_metrics
from harness.prompting import PromptBuilder, with_stops
from harness.records import Hints, Message, Request, Sample
from harness.registry import Task, TaskRegistry
from harness.samples import load_samples
from harness.task_literals import task_literals_hash
from harness.translation.keys import Pair
from harness.translation.pairs import pair_exemplars
from harness.usertasks import resolve_tasks


@dataclass
class TaskPlan:
    task: Task
    source: DataSource
    notes: list[str]
    languages: list[str]
    variants: list[str]
    samples: dict[str | None, dict[str, list[Sample]]]  # data name (None: main) -> language
    skipped: dict[str, dict[str, int]]  # language -> reason -> rows skipped by the task
    rows: dict[str, int]  # language -> rows read from the main source
    template_hashes: dict[str, str]
    builder: PromptBuilder
    alt_sources: dict[str, DataSource] = field(default_factory=dict)
    exemplar_cache: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    # --limit, applied to each variant's items where variants take some of the items (`rows:`,
    # LCB's settings): the first N of each, not the first N read, which may all be one setting's
    limit: int | None = None
    pairs: dict[str, Pair] = field(default_factory=dict)  # a translation's pair of each key

    def literals(self) -> dict[str, str]:
        """Per language: the hash of the literals its prompts used, for provenance."""
        folder = self.task.folder
        return {
            lang: hashlib.sha256(
                (literals_table_hash(lang) + task_literals_hash(folder, lang)).encode()
            ).hexdigest()[:16]
            for lang in self.languages
        }

    def english_fallback(self) -> list[str]:
        """Languages with no row in the literals table (English words are used)."""
        own = set(table_languages())
        return [lang for lang in self.languages if lang not in own and lang not in self.pairs]

    def variant_samples(self, variant: str, language: str) -> list[Sample]:
        spec = self.task.variant(variant)
        if spec.languages is not None and language not in spec.languages:
            return []
        pair = self.pairs.get(language)
        if pair is not None and pair.round_trip != spec.round_trip:
            return []
        if self.pairs and (pair is None) != (spec.loglikelihood == "text"):
            return []  # a translation's pairs are translated, its languages' texts scored
        items = self.samples[spec.source].get(language, [])
        if spec.rows:  # a variant of some of the items (LCB: one setting)
            items = [s for s in items if all(s.meta.get(k) == v for k, v in spec.rows.items())]
        return items[: self.limit] if self.limit is not None else items


@dataclass
class Plan:
    tasks: list[TaskPlan]
    requests: list[Request]
    samples: dict[tuple[str, str, str, str], Sample]  # Request.key -> its sample
    detector: str = "default"  # the language identifier the answers are judged with

    def task(self, name: str) -> TaskPlan:
        return next(t for t in self.tasks if t.task.name == name)

    @property
    def asked(self) -> int:
        """The requests the run asks: the plan's, and the options of each acc_pmi variant's
        request again after the answer cue alone (harness.generation.unconditional)."""
        return len(self.requests) + sum(r.unconditional is not None for r in self.requests)

    def comparisons(self) -> dict[tuple[str, str], str]:
        """(task, variant) -> the variant it declares `compare_to`, where both ran."""
        return {
            (t.task.name, v): other
            for t in self.tasks
            for v in t.variants
            if (other := t.task.variant(v).compare_to) is not None
            and other.partition("@")[0] in t.variants
        }


def build_plan(registry: TaskRegistry, selection: RunConfig) -> Plan:
    check_detector(selection.langid)
    names = registry.expand(selection.tasks)
    tasks = resolve_tasks(registry, names, selection.task_options, selection.data_file)
    _check_requested(tasks, selection)
    plans = [_task_plan(task, selection) for task in tasks]
    requests: list[Request] = []
    samples: dict[tuple[str, str, str, str], Sample] = {}
    for plan in plans:
        for language in plan.languages:
            for variant in plan.variants:
                items = _evaluated(plan, variant, language)
                batch = _requests(plan, variant, language, items, selection)
                samples.update((r.key, s) for r, s in zip(batch, items, strict=True))
                requests += batch
    return Plan(plans, requests, samples, selection.langid)


def _check_requested(tasks: list[Task], selection: RunConfig) -> None:
    names = ", ".join(t.name for t in tasks)
    for language in selection.languages or []:
        if not any(language in t.spec.languages for t in tasks):
            raise PolyevalError(f"language {language} is in none of the tasks {names}")
    for variant in selection.variants or []:
        if not any(variant in t.spec.variants for t in tasks):
            known = sorted({v for t in tasks for v in t.spec.variants})
            raise PolyevalError(f"variant '{variant}' is in none of the tasks {names} ({known})")


def _task_plan(task: Task, selection: RunConfig) -> TaskPlan:
    spec = task.spec
    check_metrics(spec.metrics, str(task.folder / "task.yaml"))
    source: DataSource
    if task.source is not None:  # a user task reads the user's file, whatever --source
        source, note = task.source, None
    else:
        source, note = select_source(
            spec, task.folder, selection.source, selection.data_dir, selection.hub_dir
        )
    notes = [note] if note else []
    alt_sources = _alt_sources(task, selection)
    variants = _runnable_variants(task, selection, alt_sources, notes)
    # variants that take some of the items get the limit after the split, not before
    split = any(task.variant(v).rows for v in variants)
    read_limit = None if split else selection.limit
    main = get_kind(spec.kind).load(task, source, variants, selection, read_limit)
    languages = list(main)
    samples: dict[str | None, dict[str, list[Sample]]] = {
        None: {lang: loaded.samples for lang, loaded in main.items()}
    }
    for name, alt in alt_sources.items():
        samples[name] = {
            lang: load_samples(task, alt.rows(lang), lang, read_limit).samples
            for lang in languages
            if lang in alt.languages()
        }
    builder = PromptBuilder(task, selection.prompt_format, selection.system_prompt)
    plan = TaskPlan(
        task,
        source,
        notes,
        languages,
        variants,
        samples,
        skipped={lang: dict(loaded.skipped) for lang, loaded in main.items() if loaded.skipped},
        rows={lang: loaded.rows for lang, loaded in main.items()},
        template_hashes={v: builder.template_hash(v) for v in variants},
        builder=builder,
        alt_sources=alt_sources,
        limit=selection.limit if split else None,
        pairs={key: loaded.pair for key, loaded in main.items() if loaded.pair is not None},
    )
    if split and selection.limit is not None:
        _keep_limited(plan)
    return plan


def _keep_limited(plan: TaskPlan) -> None:
    """Only the items some variant evaluates under --limit are kept (read whole, for the split):
    the manifest counts what the run used."""
    for source, by_language in plan.samples.items():
        for language, items in by_language.items():
            used = {
                sample.id
                for variant in plan.variants
                if plan.task.variant(variant).source == source
                for sample in plan.variant_samples(variant, language)
            }
            by_language[language] = [s for s in items if s.id in used]


def _alt_sources(task: Task, selection: RunConfig) -> dict[str, DataSource]:
    """The second sources (e.g. a machine-translated test set) the task's variants read,
    where the user supplied them: `--alt-data NAME=DIR` or `--alt-data TASK:NAME=DIR`."""
    layout = task.spec.data.local or task.spec.data.sample_layout()
    found: dict[str, DataSource] = {}
    for name in {v.source for v in task.spec.variants.values() if v.source}:
        path = selection.alt_data.get(f"{task.name}:{name}") or selection.alt_data.get(name)
        if path is None or layout is None:
            continue
        if not path.exists():
            raise PolyevalError(f"no such file or folder for --alt-data {name}", where=str(path))
        root = path.parent if path.is_file() else path
        found[name] = FolderSource("local", root, layout, task.spec.languages)
    return found


def _runnable_variants(
    task: Task, selection: RunConfig, alt_sources: dict[str, DataSource], notes: list[str]
) -> list[str]:
    spec = task.spec
    asked = selection.variants is not None
    wanted = selection.variants or spec.chosen_default_variants()
    variants = []
    for name in (v for v in wanted if v in spec.variants):
        source = spec.variants[name].source
        if source is None or source in alt_sources:
            variants.append(name)
            continue
        message = f"{task.name}: variant '{name}' needs --alt-data {source}=DIR (its data)"
        if asked:
            raise PolyevalError(message)
        notes.append(message + "; skipped")
    return variants


def _evaluated(plan: TaskPlan, variant: str, language: str) -> list[Sample]:
    """The variant's samples, minus items that serve as its few-shot exemplars (a variant
    that chooses exemplars per question keeps every item: none is shown itself)."""
    items = plan.variant_samples(variant, language)
    if not items or plan.task.variant(variant).select is not None:
        return items
    held_out = {e["parallel_id"] for e in _exemplars(plan, language, variant) if "parallel_id" in e}
    return [s for s in items if s.parallel_id not in held_out] if held_out else items


def _requests(
    plan: TaskPlan, variant: str, language: str, samples: list[Sample], selection: RunConfig
) -> list[Request]:
    if not samples:  # the variant does not run in this language (or pair)
        return []
    task, spec, builder = plan.task, plan.task.spec, plan.builder
    literals = get_literals(language)
    pool = tuple(s.gold for s in samples)
    kind = get_kind(spec.kind)
    phrasing = kind.answer_format(literals)
    fixed = fixed_shots(_exemplars(plan, language, variant), language)
    chosen = _chosen(plan, variant, language, samples, selection)
    generation = {**spec.generation, **spec.variants[variant].generation}
    generation |= {**selection.generation, "seed": selection.seed}
    scored = spec.variants[variant].loglikelihood is not None
    pmi = spec.variants[variant].pmi
    requests = []
    for index, sample in enumerate(samples):
        shots = chosen[index] if chosen is not None else fixed
        messages: tuple[Message, ...] = ()
        prompt: str | None
        continuations: tuple[str, ...] = ()
        unconditional: str | None = None
        settings: dict[str, Any] = {}  # a log-likelihood request has no generation settings
        if scored:
            prompt, continuations, cue = builder.scoring(variant, sample, *shots)
            if pmi and not cue:
                raise PolyevalError(
                    f"variant '{variant}' asks for acc_pmi (pmi: true), but its template's "
                    "assistant block has no answer cue before {{ target }} to score after",
                    where=str(task.folder / "task.yaml"),
                )
            unconditional = cue if pmi else None
        else:
            messages, prompt = builder.build(variant, sample, shots.exemplars, shots.ids)
            settings = with_stops(generation, builder.completion_stops(variant, sample))
        hints = Hints(
            gold=sample.gold,
            answer_format=phrasing,
            choice_labels=literals.choice_labels[: len(sample.choices)],
            digits=literals.digits if kind.local_digits else "0123456789",
            answer_pool=pool,
            source_text=_source_text(sample),
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
                generation=settings,
                template_hash=plan.template_hashes[variant],
                hints=hints,
                exemplars=shots.ids,
                pair=sample.pair,
                continuations=continuations,
                unconditional=unconditional,
            )
        )
    return requests


COPIED_FIELDS = ("source", "question", "prompt")
"""What baseline:copy-source echoes: a translation's source, else the question, else the
prompt (open-ended tasks such as LCB: a copied English prompt is the floor)."""


def _source_text(sample: Sample) -> str:
    return next((str(sample.fields[f]) for f in COPIED_FIELDS if f in sample.fields), "")


def _chosen(
    plan: TaskPlan, variant: str, language: str, samples: list[Sample], selection: RunConfig
) -> list[Shots] | None:
    """Each sample's exemplars, for a variant that chooses them per question (`select`): from
    the pools of the languages its strategy draws on (harness.exemplar_selection)."""
    spec = plan.task.variant(variant)
    if spec.select is None or not samples:
        return None
    languages = pool_languages(spec, language, list(plan.task.spec.languages))
    pools = {lang: _exemplars(plan, lang, variant) for lang in languages}
    similarity = None if spec.select == "random" else similarity_for(selection.similarity)
    where = str(plan.task.folder / "task.yaml")
    return choose_exemplars(samples, pools, variant, spec, similarity, selection.seed, where)


def _exemplars(plan: TaskPlan, language: str, variant: str) -> list[dict[str, Any]]:
    """The variant's few-shot exemplars from the task's `exemplars(source, language, code,
    variant)` hook: at most `fewshot` of them, or, for a variant that chooses them per question
    (`select`), the language's pool (at most POOL_CAP). An exemplar with a `parallel_id` is an
    item of the evaluated data: it is left out of that variant's evaluation, or, with `select`,
    never shown to that item."""
    spec = plan.task.variant(variant)
    if spec.fewshot == 0:
        return []
    if (language, variant) in plan.exemplar_cache:
        return plan.exemplar_cache[(language, variant)]
    hook = plan.task.hook("exemplars")
    pair = plan.pairs.get(language)
    if hook is None and pair is not None:  # a translation pair: its dev split, or held out
        found = pair_exemplars(plan.task, plan.source, pair)[: spec.fewshot]
        return plan.exemplar_cache.setdefault((language, variant), found)
    if hook is None:
        raise PolyevalError(
            f"variant '{variant}' asks for {spec.fewshot} exemplars but task.py has no exemplars()",
            where=str(plan.task.folder / "task.yaml"),
        )
    code = plan.task.spec.languages[language]
    limit = POOL_CAP if spec.select is not None else spec.fewshot
    exemplars: list[dict[str, Any]] = hook(plan.source, language, code, variant)[:limit]
    plan.exemplar_cache[(language, variant)] = exemplars
    return exemplars
