"""Per language, the models ranked across the tasks that cover it, each metric kind apart; per
model, its best and worst languages and its gap to English. The numbers of the language view
and of the model pages' summaries, before any HTML.

- A metric kind is what a family's mean averages (harness.leaderboard.families.mean_of):
  correctness of generated answers; chrF++ for translation; LPR for language confusion; acc
  for log-likelihood variants; bits per byte (lower is better). Kinds are never averaged
  together: a model has one score per language and kind.
- A model's score in a language and kind is the mean, over the columns of the board's mean
  tier (complete runs only, as for every mean) whose primary metric is of that kind and that
  have the language, of its score there; its interval comes from theirs (ranks.mean_estimate:
  the tasks' samples are independent), clipped to [0, 1] for a rate. A translation pair
  counts for the language it is scored in (its target). The models are ranked per language
  and kind with ties where intervals overlap (ranks.tied_ranks); a model whose score rests on
  fewer tasks than another's in that language is marked, not left out.
- The gap to English in a language is the mean of the columns' paired gaps (summary.json
  `gap_to_english`), with its interval likewise. A model's gap over its languages is their
  mean; those gaps share the English samples, so its interval is the one for gaps that move
  together (the mean of their half-widths), wider than independence would give.
- A model's best and worst languages are those of its first kind in KIND order that it has
  (correctness where it has any): its SHOWN highest and lowest scores (fewer where it has
  fewer than twice as many languages: a language is never both; none where every language
  scores the same); the language furthest behind English is named where one is behind.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from harness.analysis.summary import ENGLISH
from harness.leaderboard.families import (
    BITS_PER_BYTE,
    CORRECTNESS_MEAN,
    LOGLIKELIHOOD,
    MeanOf,
    mean_of,
)
from harness.leaderboard.ranks import Estimate, clipped, mean_estimate, tied_ranks
from harness.leaderboard.scales import Scale
from harness.leaderboard.tables import Board, Column, LanguageCell, language_order
from harness.translation.keys import scored_language

SHOWN = 3  # best and worst languages listed per model

# the kinds in the order shown, with the heading each one's ranking has
KINDS: tuple[tuple[MeanOf, str], ...] = (
    (CORRECTNESS_MEAN, "Correct answers"),
    (mean_of("translation"), "Translation into the language (chrF++)"),
    (mean_of("language confusion"), "Answers in the right language (LPR)"),
    (mean_of(LOGLIKELIHOOD), "Log-likelihood choice (acc)"),
    (mean_of(BITS_PER_BYTE), "Bits per byte (lower is better)"),
)


@dataclass(frozen=True, slots=True)
class Kind:
    """A metric kind: its name (`correctness`, `chrF++`), heading, scale and direction."""

    name: str
    title: str
    scale: Scale
    lower_is_better: bool


@dataclass(frozen=True, slots=True)
class LanguageScore:
    """One model's score in one language and kind, with what it rests on and its rank."""

    model: str
    language: str
    kind: Kind
    estimate: Estimate
    gap: Estimate | None  # to English; None for English itself, or where no gap is recorded
    columns: tuple[str, ...]  # the labels of the columns averaged
    samples: int
    rank: int | None = None
    tied: bool = False  # another model has the same rank here
    fewer: bool = False  # another model's score here rests on more tasks


@dataclass(frozen=True, slots=True)
class ModelLanguages:
    """A model's languages in its first kind: best and worst, and its gap to English."""

    model: str
    kind: Kind
    best: list[LanguageScore]
    worst: list[LanguageScore]
    gap: Estimate | None  # mean over its languages but English
    largest_gap: LanguageScore | None  # the language furthest behind English


@dataclass(slots=True)
class LanguageRanks:
    kinds: list[Kind]  # those the board has, in KINDS order
    languages: list[str]  # English first, then by code
    ranked: dict[tuple[str, str], list[LanguageScore]]  # (language, kind name) -> by rank
    _by_model: dict[tuple[str, str], list[LanguageScore]] = field(
        default_factory=lambda: defaultdict(list)
    )  # (model, kind name) -> in language order

    def of_language(self, language: str) -> list[tuple[Kind, list[LanguageScore]]]:
        return [
            (kind, found)
            for kind in self.kinds
            if (found := self.ranked.get((language, kind.name)))
        ]

    def of_model(self, model: str, kind: Kind) -> list[LanguageScore]:
        """The model's scores of a kind, in language order."""
        if not self._by_model:  # indexed once: a board has hundreds of models and languages
            for scores in self.ranked.values():  # in language order
                for score in scores:
                    self._by_model[(score.model, score.kind.name)].append(score)
        return self._by_model.get((model, kind.name), [])

    def leaders(self, language: str) -> tuple[Kind, list[LanguageScore]] | None:
        """The models ranked first in a language, in its first kind."""
        found = self.of_language(language)
        if not found:
            return None
        kind, scores = found[0]
        return kind, [s for s in scores if s.rank == 1]


def kind_of(column: Column, tier: str | None) -> MeanOf | None:
    """The kind a column counts for in the language view: its family's kind of metric, where
    its primary metric is of that kind and it is of the tier its family's mean averages (else
    none)."""
    admitted = mean_of(column.family)
    if column.data != tier or column.metric not in admitted.metrics:
        return None
    return admitted


def language_ranks(board: Board) -> LanguageRanks:
    """The ranking of every language and kind the board has."""
    kinds = {meant: Kind(meant.label, title, meant.scale, meant.lower_is_better)
             for meant, title in KINDS}  # fmt: skip
    grouped: dict[tuple[str, str, str], list[LanguageCell]] = defaultdict(list)
    for (model, _), cells in board.language_cells.items():
        for cell in cells:
            meant = kind_of(cell.column, board.tier_of(cell.column.family))
            if meant is None or meant not in kinds or cell.score is None or not cell.run.complete:
                continue
            grouped[(scored_language(cell.language), kinds[meant].name, model)].append(cell)
    by_name = {kind.name: kind for kind in kinds.values()}
    scores: dict[tuple[str, str], list[LanguageScore]] = defaultdict(list)
    for (language, name, model), cells in sorted(grouped.items()):
        scores[(language, name)].append(_score(model, language, by_name[name], cells))
    order = [kind.name for kind in kinds.values()]
    keys = sorted(scores, key=lambda key: (language_order(key[0]), order.index(key[1])))
    present = {name for _, name in keys}
    return LanguageRanks(
        kinds=[kind for kind in kinds.values() if kind.name in present],
        languages=sorted({language for language, _ in keys}, key=language_order),
        ranked={key: _ranked(scores[key]) for key in keys},
    )


def model_languages(ranks: LanguageRanks, model: str) -> ModelLanguages | None:
    """The model's best and worst languages and gap to English, in its first kind."""
    for kind in ranks.kinds:
        mine = ranks.of_model(model, kind)
        if not mine:
            continue
        sign = 1.0 if kind.lower_is_better else -1.0  # best first
        ordered = sorted(mine, key=lambda s: (sign * s.estimate.value, language_order(s.language)))
        shown = min(SHOWN, len(ordered) // 2)  # best and worst never share a language
        if len({s.estimate.value for s in mine}) < 2:
            shown = 0  # every language scores the same: none is the best, none the worst
        gaps = [s for s in mine if s.gap is not None and s.language != ENGLISH]
        behind = sorted(
            (s for s in gaps if sign * _gap(s).value > 0),  # behind English, not level
            key=lambda s: (-sign * _gap(s).value, language_order(s.language)),
        )
        return ModelLanguages(
            model=model,
            kind=kind,
            best=ordered[:shown],
            worst=ordered[::-1][:shown],
            gap=_together([_gap(s) for s in gaps], kind.scale.bounded),
            largest_gap=behind[0] if behind else None,
        )
    return None


# ---- one model's score in one language and kind


def _score(model: str, language: str, kind: Kind, cells: list[LanguageCell]) -> LanguageScore:
    bounded = kind.scale.bounded
    estimates = [c.score for c in cells if c.score is not None]
    gaps = [c.gap for c in cells if c.gap is not None]
    estimate = clipped(mean_estimate(estimates), bounded)
    assert estimate is not None  # the cells all have scores
    return LanguageScore(
        model=model,
        language=language,
        kind=kind,
        estimate=estimate,
        gap=clipped(mean_estimate(gaps), bounded, low=-1.0) if language != ENGLISH else None,
        columns=tuple(sorted({c.column.label for c in cells})),
        samples=sum(c.n for c in cells),
    )


def _ranked(scores: list[LanguageScore]) -> list[LanguageScore]:
    """The models' scores in one language and kind, ranked (ties where intervals overlap),
    best first, then by name."""
    if not scores:
        return []
    lower = scores[0].kind.lower_is_better
    ranks = tied_ranks([s.estimate for s in scores], lower)
    most = max(len(s.columns) for s in scores)
    placed = [
        replace(s, rank=rank, tied=ranks.count(rank) > 1, fewer=len(s.columns) < most)
        for s, rank in zip(scores, ranks, strict=True)
    ]
    sign = 1.0 if lower else -1.0
    return sorted(placed, key=lambda s: (s.rank or 0, sign * s.estimate.value, s.model))


# ---- means with intervals


def _gap(score: LanguageScore) -> Estimate:
    assert score.gap is not None
    return score.gap


def _together(estimates: list[Estimate], bounded: bool) -> Estimate | None:
    """The mean of estimates that may move together (gaps that share the English samples):
    its interval's half-width is the mean of theirs, the widest correlation allows; none
    where any lacks an interval."""
    if not estimates:
        return None
    mean = sum(e.value for e in estimates) / len(estimates)
    if not all(e.has_interval for e in estimates):
        return Estimate(mean)
    half = sum((e.high or 0.0) - (e.low or 0.0) for e in estimates) / (2 * len(estimates))
    return clipped(Estimate(mean, mean - half, mean + half), bounded, low=-1.0)
