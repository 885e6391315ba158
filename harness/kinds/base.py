"""The `Kind` protocol: everything that differs between task kinds (multiple choice, short
answer, extractive QA, translation), so that the rest of the harness asks the task's kind
(harness.kinds.get_kind) instead of branching on its name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the kinds build samples for the planner and score for the scorer
    from harness.config import RunConfig
    from harness.data.sources import DataSource
    from harness.literals import Literals
    from harness.record import SampleRecord, TaskInfo
    from harness.registry import Task
    from harness.samples import Loaded


class Kind(Protocol):
    """One task kind: how its samples are built, how a perfect answer is phrased, how an
    answer is scored and which corpus metrics it has."""

    @property
    def name(self) -> str:
        """As task.yaml writes it (`kind: short_answer`)."""

    @property
    def family(self) -> str | None:
        """The family of every task of the kind (harness.families); None: its metrics tell."""

    @property
    def choices(self) -> bool:
        """Whether an answer is one of the item's options (task.yaml then needs `choices`)."""

    @property
    def pairs(self) -> bool:
        """Whether its items are language pairs: a `translation` section instead of `gold`."""

    @property
    def parsed(self) -> bool:
        """Whether its answers are read by the task's parser (a run must record which)."""

    @property
    def local_digits(self) -> bool:
        """Whether a baseline writes its answers in the language's own digits (extractive
        spans and translations keep the digits of the text they copy)."""

    @property
    def voted(self) -> bool:
        """Whether parsed answers can be compared, so that several completions vote (maj@k)."""

    def answer_format(self, literals: Literals) -> str:
        """How a perfect reply is phrased in a language: a format string with `{answer}`."""
        ...

    def load(
        self,
        task: Task,
        source: DataSource,
        variants: Sequence[str],
        selection: RunConfig,
        limit: int | None,
    ) -> dict[str, Loaded]:
        """The task's samples per run key (a language, or a pair's key), read up to `limit`."""
        ...

    def score(self, sample: SampleRecord, task: TaskInfo, detector: str) -> dict[str, Any]:
        """What scoring makes of an answered sample: the fields of its record to update."""
        ...

    def corpus_metrics(self, metrics: Sequence[str]) -> list[str] | None:
        """The task's metrics computed over a whole corpus; None: the kind has no corpus step."""
        ...


def declared_corpus_metrics(metrics: Sequence[str]) -> list[str] | None:
    """The corpus metrics a task lists (chrF++, BLEU, TER over each language's answers), for
    any kind; None where it lists none."""
    from harness.metrics import CORPUS  # the metric registry: for a run, not to check a kind

    return [m for m in metrics if m in CORPUS] or None


def phrasing(template: str, literals: Literals) -> str:
    """A kind's reply template (`{lit.the_answer_is} <answer>{lit.full_stop}`) in a language's
    words, with `{answer}` left for the baselines to fill in."""
    return template.format(lit=literals).replace("<answer>", "{answer}")
