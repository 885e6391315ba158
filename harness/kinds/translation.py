"""Translation: the items are language pairs (and round trips through a pivot), the reply is
the translation itself, cleaned of what wraps it and judged for its language; BLEU, chrF++ and
TER are computed over each pair's corpus (harness.translation.scoring).

Loading and scoring import what they use where they use it: checking a task's `kind` (listing or
validating tasks) imports the kind, and needs none of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.errors import PolyevalError
from harness.kinds.base import declared_corpus_metrics, phrasing

if TYPE_CHECKING:  # the planner asks the kinds for its samples
    from harness.config import RunConfig
    from harness.data.sources import DataSource
    from harness.literals import Literals
    from harness.record import SampleRecord, TaskInfo
    from harness.registry import Task
    from harness.samples import Loaded


@dataclass(frozen=True)
class TranslationKind:
    name: str = "translation"
    family: str | None = "translation"
    choices: bool = False
    pairs: bool = True
    parsed: bool = False  # cleaned, not parsed
    local_digits: bool = False
    voted: bool = False

    def answer_format(self, literals: Literals) -> str:
        return phrasing("<answer>", literals)

    def load(
        self,
        task: Task,
        source: DataSource,
        variants: Sequence[str],
        selection: RunConfig,
        limit: int | None,
    ) -> dict[str, Loaded]:
        """The samples per pair key: the chosen pairs, and the round trips when a round-trip
        variant runs; and per language, each language's texts where a variant scores them
        (bits per byte). Each pair reads up to --limit sentences (`limit`, a limit applied after
        a split of the items by variant, does not apply: a pair's items are not split)."""
        from harness.translation.pairs import (
            RowCache,
            language_texts,
            load_pair,
            round_trips,
            select_pairs,
        )

        pairs = select_pairs(
            task.spec, source.languages(), selection.pairs, selection.direction, selection.languages
        )
        if any(task.variant(v).round_trip for v in variants):
            pairs += round_trips(task.spec, pairs)
        if not pairs:
            raise PolyevalError(f"no language pairs to run for task {task.name}")
        shared = RowCache(source)  # a language's rows serve both directions and the round trip
        loaded = {pair.key: load_pair(task, shared, pair, selection.limit) for pair in pairs}
        if any(task.variant(v).loglikelihood == "text" for v in variants):  # bits per byte
            loaded |= language_texts(loaded.values())
        return loaded

    def score(self, sample: SampleRecord, task: TaskInfo, detector: str) -> dict[str, Any]:
        """The translation, cleaned of what wraps it, judged for its language (and a round
        trip's pivot leg for the pivot's); what was stripped goes into the record."""
        from harness.consistency import language_scores
        from harness.langid import judge
        from harness.translation.cleaning import clean_translation

        assert sample.output is not None, "a failed request is not scored"
        pair = sample.pair
        assert pair is not None, "a translation's record is keyed by its pair"
        source_language, target_language = pair.scored_leg
        cleaned = clean_translation(
            sample.output, str(sample.fields.get("source", "")), source_language, target_language
        )
        language, details = language_scores(
            cleaned.text, sample.reasoning, target_language, None, detector
        )
        update: dict[str, Any] = details | {
            "parsed": cleaned.text,
            "scores": {"parse_rate": float(bool(cleaned.text)), **language},
        }
        if cleaned.stripped:
            update["stripped"] = list(cleaned.stripped)
        if pair.round_trip:
            update["round_trip"] = True
            if sample.pivot:
                update["pivot_langid"] = judge(sample.pivot, pair.target, detector).as_record()
        return update

    def corpus_metrics(self, metrics: Sequence[str]) -> list[str] | None:
        return declared_corpus_metrics(metrics) or []  # a corpus step even for none listed


TRANSLATION = TranslationKind()
