"""What the question-answering kinds share: samples read per language, and each answer parsed
by the task's parser, scored by its per-sample metrics and judged for its language.

Several completions of one sample (`--n N`): the first gives the task's metrics as with one;
the others are each parsed and scored too (kept in the record's `completions`), and the sample
gets `mean@N` (the primary metric's mean over the completions), `pass@N` (any completion right,
for a right-or-wrong primary metric) and, where the kind's answers can be compared (`voted`),
`maj@N`: the primary metric of the most common parsed answer (self-consistency; a tie goes to
the answer given first).

What scoring and loading use is imported where they are used: checking a task's `kind` (listing
or validating tasks) imports the kind, and needs none of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.errors import PolyevalError
from harness.kinds.base import declared_corpus_metrics, phrasing

if TYPE_CHECKING:  # the planner asks the kinds for its samples
    from harness.config import RunConfig
    from harness.data.sources import DataSource
    from harness.literals import Literals
    from harness.record import Completion, SampleRecord, TaskInfo
    from harness.registry import Task
    from harness.samples import Loaded

Scores = dict[str, float]


@dataclass(frozen=True)
class AnswerKind:
    """A kind whose replies hold an answer (a letter, a number, a short text or a span), read
    by the task's parser. `template` phrases a perfect reply: `<answer>` in the language's
    words (`{lit.answer}`, harness.literals)."""

    name: str
    template: str
    local_digits: bool
    voted: bool = True
    choices: bool = False
    family: str | None = None
    pairs: bool = False
    parsed: bool = True

    def answer_format(self, literals: Literals) -> str:
        return phrasing(self.template, literals)

    def load(
        self,
        task: Task,
        source: DataSource,
        variants: Sequence[str],
        selection: RunConfig,
        limit: int | None,
    ) -> dict[str, Loaded]:
        """The samples of each language asked for (all the source has, unless --languages)."""
        from harness.samples import load_samples

        languages = _languages(task, source, selection)
        return {lang: load_samples(task, source.rows(lang), lang, limit) for lang in languages}

    def score(self, sample: SampleRecord, task: TaskInfo, detector: str) -> dict[str, Any]:
        """The first answer parsed, scored and judged; further completions likewise, with
        the scores over all of them."""
        from harness.consistency import expected_language, language_scores

        assert sample.output is not None, "a failed request is not scored"
        variant = task.variants.get(sample.variant)
        reply_language = variant.reply_language if variant else None
        expected = expected_language(reply_language, sample.scored_language)
        first = _answer(sample, task, sample.output, sample.reasoning, sample.finish_reason)
        language, details = language_scores(
            sample.output,
            sample.reasoning,
            expected,
            _primary(task, first[1]),
            detector,
            task.metrics,
        )
        scores = first[1] | language
        completions = [_further(sample, task, c, expected, detector) for c in sample.completions]
        if completions:
            scores |= self._at_k(sample, task, (first[0], scores), completions)
        return details | {"parsed": first[0], "scores": scores, "completions": completions}

    def corpus_metrics(self, metrics: Sequence[str]) -> list[str] | None:
        return declared_corpus_metrics(metrics)

    def _at_k(
        self,
        sample: SampleRecord,
        task: TaskInfo,
        first: tuple[str | None, Scores],
        others: Sequence[Completion],
    ) -> Scores:
        """mean@k, pass@k and maj@k of the task's primary metric over the k completions."""
        from harness.metrics import Judged
        from harness.metrics.registry import metric_info

        if not task.metrics:
            return {}
        metric, k = task.metrics[0], 1 + len(others)
        every = (first[1], *(c.scores for c in others))
        values = [v for scores in every if (v := scores.get(metric)) is not None]
        found: Scores = {}
        if values:
            found[f"mean@{k}"] = sum(values) / len(values)
            if set(values) <= {0.0, 1.0}:
                found[f"pass@{k}"] = max(values)
        info = metric_info(metric)
        if self.voted and info is not None and info.computed == "answer":
            voted = Judged(majority([first[0], *(c.parsed for c in others)]), sample)
            found[f"maj@{k}"] = info.measure(voted)
        return found


def majority(answers: Sequence[str | None]) -> str | None:
    """The most common answer (None ones left out); a tie goes to the one given first."""
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return None
    top = max(counts.values())
    return next(a for a in answers if a is not None and counts[a] == top)


def _languages(task: Task, source: DataSource, selection: RunConfig) -> list[str]:
    if selection.languages is not None:
        return [lang for lang in selection.languages if lang in task.spec.languages]
    languages = source.languages()
    if not languages:
        raise PolyevalError(f"no data for task {task.name}", where=source.describe())
    return languages


def _answer(
    sample: SampleRecord, task: TaskInfo, text: str, reasoning: str | None, finish: str | None
) -> tuple[str | None, Scores]:
    """A completion parsed and scored by the task's per-sample metrics (and parse_rate)."""
    from harness.literals import get_literals
    from harness.metrics import Judged, score
    from harness.parsers import get_parser

    assert task.parser is not None, "score_run refuses tasks without a recorded parser"
    parser = get_parser(task.parser)
    literals = get_literals(sample.language)
    parsed = parser(
        text,
        literals,
        tuple(sample.choices),
        complete=finish != "length",
        prompt=sample.prompt,
        form=task.gold_form,
    )
    judged = Judged(parsed, sample, text, finish)
    return parsed, score([*task.metrics, "parse_rate"], judged)


def _primary(task: TaskInfo, scores: Scores) -> float | None:
    return scores.get(task.metrics[0]) if task.metrics else None


def _further(
    sample: SampleRecord, task: TaskInfo, completion: Completion, expected: str, detector: str
) -> Completion:
    from harness.consistency import language_scores

    parsed, scores = _answer(
        sample, task, completion.output, completion.reasoning, completion.finish_reason
    )
    language, _ = language_scores(
        completion.output,
        completion.reasoning,
        expected,
        _primary(task, scores),
        detector,
        task.metrics,
    )
    return completion.model_copy(update={"parsed": parsed, "scores": scores | language})
