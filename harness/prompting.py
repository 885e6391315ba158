"""Rendering prompts from Jinja templates in a sandbox with StrictUndefined.

A template defines blocks: `user` (required) renders one question, `assistant` renders its
answer (`target`) for few-shot turns, `system` (optional) an instruction. One template
serves every language: per-language words come from `lit` (the shared literals table) and
`tlit` (the task's own `literals.yaml`).
Chat form: [system] + (user, assistant) per exemplar + user. Completion form: the same
turns joined as text, ending with the assistant block rendered with an empty target: the
prompt ends where the answer starts ("Answer:"), and the answer ends where the next turn would
start, so a completion prompt comes with stop sequences taken from its user block
(`completion_stops`: a line break and each label that opens one of its lines, "Question:").
"""

from __future__ import annotations

import hashlib
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from harness.errors import PolyevalError
from harness.languages import get_language
from harness.literals import get_literals
from harness.loglikelihood.formulations import (
    SHAPES,
    TEXT_FIELDS,
    option_labels,
    split_context,
    targets,
)
from harness.records import Message, Sample
from harness.registry import Task
from harness.task_literals import task_literals

Turn = tuple[str, str]  # (user, assistant)
# an exemplar dict's key naming its language, where it comes from another language's pool
# (cross-lingual exemplars): it is rendered with that language's words
EXEMPLAR_LANGUAGE = "_language"
MAX_TEMPLATE_STOPS = 2  # OpenAI's completions endpoint takes 4 stop sequences at most
# Bounds on what a template can make (a hostile or mistaken plugin): the text one block renders,
# and the values `*` (repeating a string or list) and `**` (raising an integer) may build.
MAX_RENDERED_CHARS = 10_000_000
MAX_POWER_BITS = 100_000

PromptFormat = Literal["chat", "completion"]


class ScoringPrompt(NamedTuple):
    """What a log-likelihood request scores: its continuations after the context, and the
    answer cue the context ends with ("Answer:"), after which acc_pmi scores them again."""

    context: str
    continuations: tuple[str, ...]
    cue: str


class _BoundedSandbox(SandboxedEnvironment):
    """The sandbox, with `*` and `**` bounded: `"x" * 10**10` would take 10 GB before any
    rendering limit could see it. (The sandbox itself bounds `range` to MAX_RANGE.)"""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        if operator == "*":
            for items, times in ((left, right), (right, left)):
                if (
                    isinstance(items, str | list | tuple)
                    and isinstance(times, int)
                    and len(items) * times > MAX_RENDERED_CHARS
                ):
                    raise SecurityError(
                        f"repeating a value {times} times makes more than "
                        f"{MAX_RENDERED_CHARS:,} items"
                    )
        if (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and right * max(abs(left).bit_length() - 1, 0) > MAX_POWER_BITS
        ):
            raise SecurityError(f"the power {left} ** {right} is too large")
        return super().call_binop(context, operator, left, right)


@dataclass
class PromptBuilder:
    task: Task
    format: PromptFormat = "chat"
    system_prompt: str | None = None  # replaces the template's system block
    _env: SandboxedEnvironment = field(init=False)
    _turns: dict[tuple[str, str], list[Turn]] = field(default_factory=dict, init=False)
    _named_turns: dict[tuple[str, str], Turn] = field(default_factory=dict, init=False)
    _bases: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict, init=False)
    _systems: dict[tuple[str, str], str] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._env = _BoundedSandbox(
            loader=jinja2.FileSystemLoader([str(p) for p in self.task.template_dirs()]),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
            # each template read once: every prompt of a run from the same text, and no file
            # looked at again for each prompt
            auto_reload=False,
        )

    def template_hash(self, variant: str) -> str:
        name = self.task.variant(variant).template
        try:
            source = self._env.loader.get_source(self._env, name)[0]  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            raise self._not_found(name, variant) from None
        return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]

    def build(
        self,
        variant: str,
        sample: Sample,
        exemplars: list[dict[str, Any]],
        exemplar_ids: tuple[str, ...] | None = None,
    ) -> tuple[tuple[Message, ...], str | None]:
        """Messages (chat) or a prompt string (completion) for one sample. `exemplar_ids` names
        exemplars chosen for this sample (None: the variant's and language's fixed set)."""
        template = self._template(variant)
        turns = self._exemplar_turns(template, variant, sample, exemplars, exemplar_ids)
        base = self._base_vars(variant, sample.prompt_language)
        choices = _choices(sample, base["lit"]["choice_labels"])
        question_vars = {**base, **sample.fields, "choices": choices, "target": ""}
        question = self._block(template, "user", question_vars, required=True)
        system = self._system(template, variant, sample.prompt_language)
        if self.format == "completion":
            prefix = self._block(template, "assistant", question_vars)
            return (), f"{_completion_head(system, turns, question)}\n{prefix}".rstrip()
        messages = [Message("system", system)] if system else []
        for user, assistant in turns:
            messages += [Message("user", user), Message("assistant", assistant)]
        messages.append(Message("user", question))
        return tuple(messages), None

    def scoring(
        self,
        variant: str,
        sample: Sample,
        exemplars: list[dict[str, Any]],
        exemplar_ids: tuple[str, ...] | None = None,
    ) -> ScoringPrompt:
        """A log-likelihood variant's context and continuations for one sample
        (harness.loglikelihood.formulations): the completion prompt up to the answer, and what
        the assistant block adds after it for each target; and the answer cue alone. Always
        the completion form: what is scored is text that follows text, whatever
        --prompt-format says."""
        formulation = self.task.variant(variant).loglikelihood
        assert formulation is not None, f"variant {variant} is not a log-likelihood variant"
        template = self._template(variant)
        turns = self._exemplar_turns(template, variant, sample, exemplars, exemplar_ids)
        base = self._base_vars(variant, sample.prompt_language)
        labels = option_labels(base["lit"], len(sample.choices))
        base = {**base, "lit": {**base["lit"], "choice_labels": labels}}  # shown as scored
        if formulation == "text":
            shown, answers = [], [_text_of(sample)]
        else:
            shown = _choices(sample, labels) if SHAPES[formulation].shows_options else []
            answers = targets(formulation, labels, sample.choices)
        values = {**base, **sample.fields, "choices": shown, "target": ""}
        question = self._block(template, "user", values, required=True)
        system = self._system(template, variant, sample.prompt_language)
        head = _completion_head(system, turns, question)
        cue = self._block(template, "assistant", values)
        prefix = f"{head}\n{cue}"
        wholes = [
            f"{head}\n{self._block(template, 'assistant', values | {'target': answer})}"
            for answer in answers
        ]
        context, continuations = split_context(prefix, wholes)
        if not all(whole.startswith(context) and whole != context for whole in wholes):
            raise PolyevalError(
                "template error: the assistant block must end with {{ target }} for a "
                "log-likelihood variant",
                where=self._path(self.task.variant(variant).template),
            )
        return ScoringPrompt(context, continuations, cue.rstrip())

    def completion_stops(self, variant: str, sample: Sample) -> tuple[str, ...]:
        """Where a completion of the sample's prompt ends: a line starting as the next turn
        would (a line break and each literal label that opens a line of its user block,
        "Question:", "Passage:", or, where none opens a line, its first line). None in the chat
        format, whose turns end by themselves."""
        if self.format != "completion":
            return ()
        base = self._base_vars(variant, sample.prompt_language)
        choices = _choices(sample, base["lit"]["choice_labels"])
        values = {**base, **sample.fields, "choices": choices, "target": ""}
        user = self._block(self._template(variant), "user", values, required=True)
        return _turn_openings(user, base)

    def _exemplar_turns(
        self,
        template: jinja2.Template,
        variant: str,
        sample: Sample,
        exemplars: list[dict[str, Any]],
        exemplar_ids: tuple[str, ...] | None = None,
    ) -> list[Turn]:
        """The exemplars' turns: an unnamed set rendered once per variant and language (or
        pair), named exemplars (`exemplar_ids`, "language/id") once each per variant."""
        shown = exemplars[: self.task.variant(variant).fewshot]
        language, key = sample.prompt_language, sample.language
        if exemplar_ids is None:
            if (variant, key) not in self._turns:
                turns = [self._turn(template, variant, language, e) for e in shown]
                self._turns[(variant, key)] = turns
            return self._turns[(variant, key)]
        names = exemplar_ids[: len(shown)]
        for exemplar, name in zip(shown, names, strict=True):
            if (variant, name) not in self._named_turns:
                turn = self._turn(template, variant, language, exemplar)
                self._named_turns[(variant, name)] = turn
        return [self._named_turns[(variant, name)] for name in names]

    def _turn(
        self, template: jinja2.Template, variant: str, language: str, exemplar: dict[str, Any]
    ) -> Turn:
        """One exemplar's (user, assistant) turn, in its own language's words where it names
        one (EXEMPLAR_LANGUAGE), else in the question's `language`'s."""
        spec = self.task.variant(variant)
        base = self._base_vars(variant, exemplar.get(EXEMPLAR_LANGUAGE, language))
        target = exemplar.get(spec.target, "") if spec.target else ""
        values = {**base, **exemplar, "target": target}
        values.setdefault("choices", [])
        user = self._block(template, "user", values, required=True)
        return user, self._block(template, "assistant", values, required=True)

    def _system(self, template: jinja2.Template, variant: str, language: str) -> str:
        """The system instruction of a variant and language, rendered once."""
        if self.system_prompt is not None:
            return self.system_prompt
        key = (variant, language)
        if key not in self._systems:
            self._systems[key] = self._block(template, "system", self._base_vars(*key))
        return self._systems[key]

    def _base_vars(self, variant: str, language: str) -> dict[str, Any]:
        """What every prompt of a variant and language sees; built once, never mutated."""
        key = (variant, language)
        if key not in self._bases:
            lang = get_language(language)
            literals_language = self.task.variant(variant).literals or lang.code
            self._bases[key] = {
                "lit": get_literals(literals_language).as_template_vars(),
                "lit_en": get_literals("eng_Latn").as_template_vars(),
                "tlit": task_literals(self.task.folder, literals_language),
                "language": {"code": lang.code, "name": lang.name, "native_name": lang.native_name},
                "variant": variant,
                "task": self.task.name,
                # a log-likelihood variant's formulation (cloze shows no options), else None
                "formulation": self.task.variant(variant).loglikelihood,
            }
        return self._bases[key]

    def _template(self, variant: str) -> jinja2.Template:
        name = self.task.variant(variant).template
        try:
            return self._env.get_template(name)
        except jinja2.TemplateNotFound:
            raise self._not_found(name, variant) from None
        except jinja2.TemplateSyntaxError as exc:
            where = f"{exc.filename or name}:{exc.lineno}"
            raise PolyevalError(f"template syntax error: {exc.message}", where=where) from None
        except RecursionError:  # an expression nested too deep for the compiler
            raise PolyevalError(
                "template syntax error: nested too deep to compile", where=self._path(name)
            ) from None

    def _block(
        self, template: jinja2.Template, block: str, values: dict[str, Any], required: bool = False
    ) -> str:
        render = template.blocks.get(block)
        if render is None:
            if required:
                raise PolyevalError(
                    f"template has no {{% block {block} %}}", where=template.filename
                )
            return ""
        try:
            return _bounded_join(render(template.new_context(values))).strip()
        except _TooLong as exc:
            raise PolyevalError(
                f"template error: block '{block}' renders more than {exc.limit:,} characters",
                where=_block_line(template, block),
            ) from None
        except Exception:  # any error a template can raise: SecurityError, OverflowError, ...
            try:  # rewrites the traceback so that its frames carry template line numbers
                self._env.handle_exception()
            except Exception as exc:
                where = _template_line(exc, template)
                raise PolyevalError(_template_message(exc), where=where) from None
            raise

    def _path(self, name: str) -> str:
        for folder in self.task.template_dirs():
            if (folder / name).is_file():
                return str(folder / name)
        return name

    def _not_found(self, name: str, variant: str) -> PolyevalError:
        dirs = ", ".join(str(p) for p in self.task.template_dirs())
        return PolyevalError(
            f"template '{name}' of variant '{variant}' not found in {dirs}",
            where=str(self.task.folder / "task.yaml"),
        )


def _completion_head(system: str, turns: list[Turn], question: str) -> str:
    """A completion prompt up to its answer block: the instruction, each exemplar's turn and
    the question, a blank line between them."""
    parts = [system] if system else []
    return "\n\n".join([*parts, *(f"{u}\n{a}" for u, a in turns), question])


def with_stops(generation: dict[str, Any], stops: tuple[str, ...]) -> dict[str, Any]:
    """The generation settings with `stops` before the task's and the user's own stops."""
    if not stops:
        return generation
    own = generation.get("stop") or []
    listed = [own] if isinstance(own, str) else list(own)
    return {**generation, "stop": list(dict.fromkeys([*stops, *listed]))}


def _turn_openings(user: str, base: dict[str, Any]) -> tuple[str, ...]:
    """Each label (a value of `lit` or `tlit`) that opens a line of the user block with the
    language's colon, after a line break, in order; the block's first line where none does."""
    colon = str(base["lit"]["colon"]).strip() or ":"
    words = {
        value.strip()
        for table in (base["lit"], base["tlit"])
        for value in table.values()
        if isinstance(value, str) and value.strip()
    }
    found = []
    for line in user.splitlines():
        head, sep, _ = line.partition(colon)
        if sep and head.strip() in words:
            found.append("\n" + line[: len(head) + len(sep)])
    lines = [line.strip() for line in user.splitlines() if line.strip()]
    openings = found or (["\n" + lines[0]] if lines else [])
    return tuple(dict.fromkeys(openings))[:MAX_TEMPLATE_STOPS]


def _text_of(sample: Sample) -> str:
    """What the `text` formulation scores: the item's first field of TEXT_FIELDS."""
    found = next((sample.fields[f] for f in TEXT_FIELDS if f in sample.fields), None)
    if found is None:
        raise PolyevalError(
            f"sample {sample.id} has none of the fields {', '.join(TEXT_FIELDS)} to score"
        )
    return str(found)


def _choices(sample: Sample, labels: list[str]) -> list[dict[str, str]]:
    return [{"label": labels[i], "text": text} for i, text in enumerate(sample.choices)]


class _TooLong(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def _bounded_join(chunks: Iterator[str]) -> str:
    """The rendered text, stopped as soon as it passes MAX_RENDERED_CHARS."""
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_RENDERED_CHARS:
            raise _TooLong(MAX_RENDERED_CHARS)
        parts.append(chunk)
    return "".join(parts)


NEWLINE = "\n"


def _block_line(template: jinja2.Template, block: str) -> str:
    """file:line of `{% block NAME %}` in the template's file (the file alone where unread)."""
    name = template.filename or str(template.name)
    try:
        source = Path(name).read_text(encoding="utf-8")
    except OSError:
        return name
    found = re.search(r"\{%-?\s*block\s+" + re.escape(block) + r"\b", source)
    if found is None:
        return name
    return f"{name}:{source.count(NEWLINE, 0, found.start()) + 1}"


def _template_message(exc: BaseException) -> str:
    if isinstance(exc, jinja2.UndefinedError):
        return f"undefined template variable: {exc.message}"
    if isinstance(exc, jinja2.TemplateError):
        return f"template error: {exc.message}"
    if isinstance(exc, RecursionError):
        return "template error: recursion too deep (a macro that calls itself without end?)"
    detail = str(exc).splitlines()[0] if str(exc) else ""
    return f"template error: {type(exc).__name__}" + (f": {detail}" if detail else "")


def _template_line(exc: BaseException, template: jinja2.Template) -> str:
    """file:line of the innermost template frame in the traceback Jinja rewrote."""
    name = template.filename or str(template.name)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == template.filename or frame.filename.endswith(".j2"):
            return f"{frame.filename}:{frame.lineno}"
    return name
