"""Every task's few-shot exemplars, rendered as the prompts show them, must parse back to the
exemplar's own answer: the phrasing a task teaches its model is always a phrasing its parser
reads. Each exemplar's answer turn is read as a cut reply (only a stated answer counts), its
final sentence alone too, and, in the completion format, as the continuation of the prompt that
ends with the answer cue (the exemplar's target is what a model writes after the cue).

The tasks come from the registry (a task added later is checked too); the exemplars come from
each task's shipped sample and, where present, from the real benchmark data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.data.sources import DataSource, select_source
from harness.errors import PolyevalError
from harness.literals import get_literals
from harness.parsers import get_parser
from harness.parsers.choice import LETTERS
from harness.prompting import PromptBuilder
from harness.records import Sample
from harness.registry import Task, TaskRegistry
from harness.samples import load_samples
from harness.translation.keys import pair_of
from tests.conftest import SHARED_DATA

REGISTRY = TaskRegistry()
# The sentence ends a final sentence follows: a mark, then a space (or a line break).
_SENTENCE_BREAK = re.compile(r"(?<=[.!?。।۔։])\s+|\n+")
_LINE_BREAK = re.compile(r"\n+")


@dataclass(frozen=True)
class Shot:
    task: str
    variant: str
    language: str
    turn: str  # the exemplar's answer turn, as the chat prompt shows it
    target: str  # what a completion of the prompt would write after the answer cue
    prompt: str  # a completion prompt that ends with the answer cue
    expected: str
    choices: tuple[str, ...]
    form: str | None


def _fewshot_variants(task: Task) -> list[str]:
    if task.spec.parser == "translation":
        return []
    return [name for name, variant in task.spec.variants.items() if variant.fewshot > 0]


FEWSHOT = [
    (name, variant)
    for name in REGISTRY.names()
    for variant in _fewshot_variants(REGISTRY.get(name))
]


def _source(task: Task, choice: str) -> DataSource | None:
    if choice == "local" and not SHARED_DATA.is_dir():
        return None
    source, _ = select_source(task.spec, task.folder, "sample", None, None)
    if choice == "local":
        try:
            source, _ = select_source(task.spec, task.folder, "local", SHARED_DATA, None)
        except PolyevalError:  # the real data does not hold this benchmark
            return None
    return source


def _expected(exemplar: dict[str, Any], parser: str, language: str) -> str:
    answer = str(exemplar.get("letter", exemplar.get("answer", ""))).strip()
    if parser == "choice":  # a label of the language, shown in the prompt
        labels = get_literals(language).choice_labels
        return LETTERS[labels.index(answer)] if answer in labels else answer
    return answer


def _shots(name: str, variant: str, choice: str) -> Iterator[Shot]:
    task = REGISTRY.get(name)
    source = _source(task, choice)
    if source is None:
        return
    hook = task.hook("exemplars")
    chat = PromptBuilder(task, "chat")
    completion = PromptBuilder(task, "completion")
    spec = task.variant(variant)
    for language in source.languages():
        if pair_of(language) is not None or (spec.languages and language not in spec.languages):
            continue
        loaded = load_samples(task, source.rows(language), language, 1).samples
        if not loaded:
            continue
        code = task.spec.languages[language]
        for index, exemplar in enumerate(hook(source, language, code, variant)):
            yield _shot(task, variant, language, loaded[0], exemplar, index, chat, completion)


def _shot(
    task: Task,
    variant: str,
    language: str,
    sample: Sample,
    exemplar: dict[str, Any],
    index: int,
    chat: PromptBuilder,
    completion: PromptBuilder,
) -> Shot:
    names = (f"{language}/{index}",)
    messages, _ = chat.build(variant, sample, [exemplar], names)
    turn = next(m.content for m in messages if m.role == "assistant")
    _, prompt = completion.build(variant, sample, [], ())
    assert prompt is not None
    target_field = task.variant(variant).target
    target = str(exemplar.get(target_field, "")) if target_field else ""
    # the template may add to the target after it (dzen's cot: "Answer: C"): the turn's rest
    rest = turn[turn.rfind(target) + len(target) :] if target and target in turn else ""
    gold = task.spec.gold
    return Shot(
        task=task.name,
        variant=variant,
        language=language,
        turn=turn,
        target=target + rest,
        prompt=prompt,
        expected=_expected(exemplar, task.spec.parser, language),
        choices=tuple(str(c["text"]) for c in exemplar.get("choices", [])) or sample.choices,
        form=gold.form if gold is not None else None,
    )


def _final_sentence(turn: str, parser: str) -> str:
    """The turn's last line; for numbers, that line's last sentence ("Die Antwort lautet 29.")."""
    breaks = _SENTENCE_BREAK if parser == "number" else _LINE_BREAK
    return [piece for piece in breaks.split(turn.strip()) if piece.strip()][-1]


def _parse(shot: Shot, text: str, prompt: str | None = None) -> str | None:
    """The text read as a reply cut by the token limit after it (as the model went on to a new
    line): only an answer it states counts, never the last number it happens to hold."""
    parser = get_parser(REGISTRY.get(shot.task).spec.parser)
    literals = get_literals(shot.language)
    cut = text + "\n"
    return parser(cut, literals, shot.choices, complete=False, prompt=prompt, form=shot.form)


@pytest.mark.parametrize("choice", ["sample", "local"])
@pytest.mark.parametrize(("name", "variant"), FEWSHOT, ids=[f"{t}-{v}" for t, v in FEWSHOT])
def test_every_exemplar_parses_to_its_own_answer(name: str, variant: str, choice: str) -> None:
    shots = list(_shots(name, variant, choice))
    if not shots:
        pytest.skip(f"no {choice} exemplars of {name}")
    parser = REGISTRY.get(name).spec.parser
    wrong = []
    for shot in shots:
        whole = _parse(shot, shot.turn)
        final = _parse(shot, _final_sentence(shot.turn, parser))
        continued = _parse(shot, shot.target, shot.prompt)
        if not whole == final == continued == shot.expected:
            wrong.append((shot.language, shot.expected, whole, final, continued, shot.turn[-80:]))
    assert not wrong, wrong


def test_the_tasks_with_exemplars_are_checked() -> None:
    checked = {name for name, _ in FEWSHOT}
    assert {"mgsm", "belebele", "dzen", "mtempreason"} <= checked


def test_the_german_mgsm_exemplars_state_their_answer_with_lautet(shared_data: Path) -> None:
    """7 of the 8 German exemplars end "Die Antwort lautet N.": the phrasing this test guards."""
    shots = list(_shots("mgsm", "native_cot", "local"))
    german = [s for s in shots if s.language == "deu_Latn"]
    assert sum("Die Antwort lautet" in s.turn for s in german) == 7
    assert all(_parse(s, _final_sentence(s.turn, "number")) == s.expected for s in german)
