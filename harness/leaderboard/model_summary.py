"""What a model page shows first, before its details: the model's headline score and family
scores with their intervals and ranks (the board's means: harness.leaderboard.tables), its
best and worst languages and gap to English (harness.leaderboard.language_ranks), and its
language consistency: how often its answers are in the expected language.

The consistency is the mean of its cells' consistency rates (macro averages over languages,
with intervals: ranks.mean_estimate, kept within [0, 1]) over the columns that count in the
means (the mean tier, complete runs; log-likelihood variants have none), beside the answers
judged and those not in the expected language, and the languages with the lowest rate over
those columns.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from harness.leaderboard.families import mean_of
from harness.leaderboard.language_ranks import (
    LanguageRanks,
    ModelLanguages,
    model_languages,
)
from harness.leaderboard.ranks import Estimate, clipped, mean_estimate
from harness.leaderboard.scales import POINTS, Scale
from harness.leaderboard.tables import ALL, Board, Mean, language_order
from harness.translation.keys import scored_language

LEAST = 3  # the least consistent languages named


@dataclass(frozen=True, slots=True)
class FamilyScore:
    """A model's mean in one family (or the headline, family ALL), and how many are ranked."""

    family: str
    kind: str  # what it averages: `correctness`, `chrF++`, ...
    mean: Mean
    ranked: int  # models with a mean here
    tied: bool  # another model has the same rank (their intervals overlap)
    scale: Scale
    lower_is_better: bool
    in_headline: bool


@dataclass(frozen=True, slots=True)
class LanguageRate:
    language: str
    rate: float
    failures: int
    judged: int


@dataclass(frozen=True, slots=True)
class Consistency:
    estimate: Estimate | None  # the mean of the cells' consistency rates
    columns: int
    judged: int
    failures: int
    least: list[LanguageRate]  # the lowest rates, where some answer failed


@dataclass(frozen=True, slots=True)
class ModelSummary:
    headline: FamilyScore | None
    families: list[FamilyScore]
    languages: ModelLanguages | None
    consistency: Consistency


def model_summary(board: Board, ranks: LanguageRanks, model: str) -> ModelSummary:
    return ModelSummary(
        headline=_family_score(board, model, ALL),
        families=[
            found
            for family in board.families()
            if (found := _family_score(board, model, family)) is not None
        ],
        languages=model_languages(ranks, model),
        consistency=consistency(board, model),
    )


def _family_score(board: Board, model: str, family: str) -> FamilyScore | None:
    means = board.means.get((ALL, family), {})
    mean = means.get(model)
    if mean is None:
        return None
    admitted = mean_of(family)
    headline = family == ALL
    return FamilyScore(
        family=family,
        kind="headline" if headline else admitted.label,
        mean=mean,
        ranked=len(means),
        tied=mean.rank is not None and sum(m.rank == mean.rank for m in means.values()) > 1,
        scale=POINTS if headline else admitted.scale,
        lower_is_better=admitted.lower_is_better and not headline,
        in_headline=not headline and board.in_headline(family),
    )


def consistency(board: Board, model: str) -> Consistency:
    """The model's language consistency over the columns that count in the means."""
    estimates: list[Estimate] = []
    judged: dict[str, int] = defaultdict(int)
    failed: dict[str, int] = defaultdict(int)
    for column in board.columns:
        cell = board.cell(model, column)
        if cell is None or not cell.complete or not board.counts_in_means(column):
            continue
        if column.loglikelihood or cell.scores.consistency is None:
            continue
        estimates.append(cell.scores.consistency)
        for found in board.language_cells.get((model, column.key), []):
            language = scored_language(found.language)
            judged[language] += found.consistency_n
            failed[language] += found.consistency_failures
    least = sorted(
        (
            LanguageRate(lang, 1 - failed[lang] / judged[lang], failed[lang], judged[lang])
            for lang in judged
            if judged[lang] and failed[lang]
        ),
        key=lambda r: (r.rate, language_order(r.language)),
    )
    return Consistency(
        estimate=clipped(mean_estimate(estimates)),
        columns=len(estimates),
        judged=sum(judged.values()),
        failures=sum(failed.values()),
        least=least[:LEAST],
    )
