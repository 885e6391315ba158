"""The language view's rankings and the model pages' summaries (harness.leaderboard.
language_ranks, model_summary): per language and kind of metric, the models ranked with ties
where intervals overlap; gaps to English; best and worst languages; consistency. Built from
small run folders written here, with known scores, gaps and intervals per language."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.leaderboard import build_site
from harness.leaderboard.build import spec_info
from harness.leaderboard.families import LOGLIKELIHOOD
from harness.leaderboard.language_ranks import (
    LanguageRanks,
    LanguageScore,
    language_ranks,
    model_languages,
)
from harness.leaderboard.model_summary import model_summary
from harness.leaderboard.names import model_page
from harness.leaderboard.ranks import Z95, Estimate
from harness.leaderboard.runs import load_runs
from harness.leaderboard.tables import ALL, Board, build_board
from tests.leaderboard.test_leaderboard import Page

ENG, BEN, HIN = "eng_Latn", "ben_Beng", "hin_Deva"
Interval = tuple[float, float, float]  # value, low, high


@dataclass
class Task:
    """One task of a synthetic run: its family and primary metric, per language the score
    (with interval and n), the paired gap to English and the consistency rate."""

    family: str
    metric: str
    scores: dict[str, Interval]
    gaps: dict[str, Interval] = field(default_factory=dict)
    consistency: dict[str, tuple[float, int]] = field(default_factory=dict)
    n: int = 10
    formulation: str | None = None


def _record(task: str, metric: str, kind: str, group: str | None, e: Interval) -> dict[str, Any]:
    return {
        "task": task,
        "variant": "v",
        "metric": metric,
        "kind": kind,
        "group": group,
        "value": e[0],
        "ci_low": e[1],
        "ci_high": e[2],
    }


def _mean(values: list[Interval]) -> Interval:
    mean = sum(v[0] for v in values) / len(values)
    return (mean, max(0.0, mean - 0.05), min(1.0, mean + 0.05))


def write_run(
    folder: Path,
    model: str,
    tasks: dict[str, Task],
    status: str = "complete",
    source: str = "local",
) -> None:
    """A run folder of `model` with the given tasks (one variant `v` each)."""
    folder.mkdir(parents=True)
    scores: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    entries: dict[str, Any] = {}
    for name, task in tasks.items():
        for language, e in task.scores.items():
            scores.append({**_record(name, task.metric, "", None, e), "language": language,
                           "by": None, "n": task.n})  # fmt: skip
            if language in task.consistency:
                rate, judged = task.consistency[language]
                scores.append({"task": name, "variant": "v", "metric": "consistency",
                               "language": language, "by": None, "group": None, "value": rate,
                               "n": judged, "und": 0})  # fmt: skip
        summary.append(_record(name, task.metric, "macro", None, _mean([*task.scores.values()])))
        if task.consistency:
            rates = [(r, r, r) for r, _ in task.consistency.values()]
            summary.append(_record(name, "consistency", "macro", None, _mean(rates)))
        for language, gap in task.gaps.items():
            summary.append(_record(name, task.metric, "gap_to_english", language, gap))
        variant = {"loglikelihood": task.formulation, "metrics": [task.metric]}
        entries[name] = {
            "kind": "multiple_choice",
            "family": task.family,
            "metrics": [task.metric],
            "version": "1",
            "source": {"kind": source, "location": f"data/{name}"},
            "variants": {"v": variant if task.formulation else {}},
        }
    (folder / "scores.json").write_text(json.dumps(scores), encoding="utf-8")
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    manifest = {
        "run_id": folder.name,
        "started": "2026-01-01T00:00:00+00:00",
        "model": {"name": model},
        "harness": {"version": "0.1.0", "git": "abc"},
        "status": status,
        "tasks": entries,
        "counts": {"requests": 100, "failed": 0},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def board_of(results: Path) -> Board:
    runs = load_runs(results).runs
    return build_board(runs, spec_info(sorted({t for r in runs for t, _ in r.columns})))


def scores_of(ranks: LanguageRanks, language: str, kind: str) -> dict[str, LanguageScore]:
    return {s.model: s for s in ranks.ranked[(language, kind)]}


# model-a and model-b overlap in Bengali; model-c is clearly behind both
QA = {
    "model-a": {ENG: (0.90, 0.85, 0.95), BEN: (0.70, 0.60, 0.80), HIN: (0.50, 0.40, 0.60)},
    "model-b": {ENG: (0.88, 0.83, 0.93), BEN: (0.66, 0.56, 0.76), HIN: (0.60, 0.50, 0.70)},
    "model-c": {ENG: (0.40, 0.35, 0.45), BEN: (0.20, 0.15, 0.25), HIN: (0.30, 0.25, 0.35)},
}
REASONING = {
    "model-a": {ENG: (0.80, 0.70, 0.90), BEN: (0.50, 0.40, 0.60)},
    "model-b": {ENG: (0.70, 0.60, 0.80), BEN: (0.60, 0.50, 0.70)},
    "model-c": {ENG: (0.30, 0.20, 0.40), BEN: (0.10, 0.05, 0.15)},
}
# chrF++ of translation into Bengali (the pair's target) and into English
CHRF = {
    "model-a": {"eng_Latn-ben_Beng": (0.45, 0.40, 0.50), "ben_Beng-eng_Latn": (0.55, 0.5, 0.6)},
    "model-b": {"eng_Latn-ben_Beng": (0.30, 0.25, 0.35), "ben_Beng-eng_Latn": (0.50, 0.45, 0.55)},
    "model-c": {"eng_Latn-ben_Beng": (0.10, 0.05, 0.15), "ben_Beng-eng_Latn": (0.20, 0.15, 0.25)},
}


def gaps(scores: dict[str, Interval]) -> dict[str, Interval]:
    """Paired gaps to English: the difference, with an interval of ±0.1."""
    english = scores[ENG][0]
    return {
        lang: (e[0] - english, e[0] - english - 0.1, e[0] - english + 0.1)
        for lang, e in scores.items()
        if lang != ENG
    }


@pytest.fixture
def results(tmp_path: Path) -> Path:
    folder = tmp_path / "results"
    for model in ("model-a", "model-b", "model-c"):
        consistency = {ENG: (1.0, 10), BEN: (0.8, 10), HIN: (0.9, 10)}
        write_run(
            folder / model,
            model,
            {
                "qa": Task("translated QA", "accuracy", QA[model], gaps(QA[model]), consistency),
                "reason": Task("reasoning", "accuracy", REASONING[model], gaps(REASONING[model])),
                "mt": Task("translation", "chrf", CHRF[model], n=6),
            },
        )
    return folder


def test_a_language_ranks_models_per_kind_with_ties(results: Path) -> None:
    ranks = language_ranks(board_of(results))
    assert [kind.name for kind, _ in ranks.of_language(BEN)] == ["correctness", "chrF++"]
    correct = ranks.ranked[(BEN, "correctness")]
    # best first; a and b overlap (both rank 1, tied), c is clearly behind both
    assert [(s.model, s.rank, s.tied) for s in correct] == [
        ("model-b", 1, True),
        ("model-a", 1, True),
        ("model-c", 3, False),
    ]
    a = scores_of(ranks, BEN, "correctness")["model-a"]
    # the mean over the two tasks with Bengali, never with chrF++; its interval from theirs
    assert a.estimate.value == pytest.approx((0.70 + 0.50) / 2)
    half = Z95 * math.sqrt(2 * (0.1 / Z95) ** 2) / 2
    assert (a.estimate.low, a.estimate.high) == pytest.approx((0.60 - half, 0.60 + half))
    assert a.columns == ("qa/v", "reason/v") and a.samples == 20 and not a.fewer
    # chrF++ apart: the pair into Bengali counts for Bengali, the pair into English for English
    chrf = scores_of(ranks, BEN, "chrF++")
    assert chrf["model-a"].estimate.value == pytest.approx(0.45)
    assert [s.rank for s in ranks.ranked[(BEN, "chrF++")]] == [1, 2, 3]
    assert scores_of(ranks, ENG, "chrF++")["model-c"].estimate.value == pytest.approx(0.20)
    assert scores_of(ranks, ENG, "correctness")["model-a"].gap is None  # English: no gap


def test_the_correctness_score_is_the_heatmaps_mean(results: Path) -> None:
    board = board_of(results)
    ranks = language_ranks(board)
    for (model, language), found in board.across.items():
        score = scores_of(ranks, language, "correctness")[model]
        assert score.estimate.value == pytest.approx(found.value)
        assert len(score.columns) == found.tasks
        assert (score.gap is not None and found.gap is not None) or language == ENG
        if score.gap is not None:
            assert score.gap.value == pytest.approx(found.gap)


def test_gap_to_english_and_best_and_worst_languages(results: Path) -> None:
    ranks = language_ranks(board_of(results))
    a = model_languages(ranks, "model-a")
    assert a is not None and a.kind.name == "correctness"
    # per language the mean of the tasks' gaps; over languages the mean, its interval as wide
    # as the mean of theirs (the gaps share the English samples)
    ben = (-0.20 + -0.30) / 2
    hin = -0.40
    assert a.gap is not None and a.gap.value == pytest.approx((ben + hin) / 2)
    assert a.gap.high is not None and a.gap.low is not None
    ben_half = Z95 * math.sqrt(2 * (0.1 / Z95) ** 2) / 2
    assert (a.gap.high - a.gap.low) / 2 == pytest.approx((ben_half + 0.1) / 2)
    assert a.largest_gap is not None and a.largest_gap.language == HIN
    # three languages: one best, one worst (never the same language)
    assert [s.language for s in a.best] == [ENG] and [s.language for s in a.worst] == [HIN]
    b = model_languages(ranks, "model-b")
    assert b is not None and [s.language for s in b.worst] == [HIN]  # 0.60 < (0.66 + 0.60) / 2


def test_a_model_level_with_english_has_no_language_behind(tmp_path: Path) -> None:
    even = {ENG: (0.5, 0.4, 0.6), BEN: (0.5, 0.4, 0.6)}
    write_run(tmp_path / "r" / "even", "even", {"qa": Task("translated QA", "accuracy", even,
                                                          gaps(even))})  # fmt: skip
    found = model_languages(language_ranks(board_of(tmp_path / "r")), "even")
    assert found is not None
    assert found.largest_gap is None and found.best == [] and found.worst == []
    assert found.gap == Estimate(0.0, -0.1, 0.1)


def test_fewer_tasks_are_marked_and_incomplete_runs_left_out(tmp_path: Path) -> None:
    results = tmp_path / "results"
    write_run(results / "full", "full", {
        "qa": Task("translated QA", "accuracy", {ENG: (0.5, 0.4, 0.6), BEN: (0.5, 0.4, 0.6)}),
        "reason": Task("reasoning", "accuracy", {BEN: (0.3, 0.2, 0.4)}),
    })  # fmt: skip
    write_run(results / "part", "part", {
        "qa": Task("translated QA", "accuracy", {BEN: (0.9, 0.85, 0.95)}),
    })  # fmt: skip
    write_run(results / "broken", "broken", {
        "qa": Task("translated QA", "accuracy", {BEN: (1.0, 1.0, 1.0)}),
    }, status="failed")  # fmt: skip
    write_run(results / "sampled", "sampled", {
        "qa": Task("translated QA", "accuracy", {BEN: (1.0, 1.0, 1.0)}),
    }, source="sample")  # fmt: skip
    ranks = language_ranks(board_of(results))
    found = scores_of(ranks, BEN, "correctness")
    assert set(found) == {"full", "part"}  # not the incomplete run, nor the shipped sample
    assert found["part"].fewer and not found["full"].fewer
    assert found["part"].rank == 1 and found["full"].rank == 2


def test_log_likelihood_and_bits_per_byte_are_kinds_of_their_own(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for model, acc, bpb in (("m1", 0.9, 1.2), ("m2", 0.5, 0.8)):
        write_run(results / model, model, {
            "qa": Task("translated QA", "accuracy", {BEN: (0.5, 0.4, 0.6)}),
            "cloze": Task("translated QA", "acc", {BEN: (acc, acc - 0.05, acc + 0.05)},
                          formulation="cloze"),
            "bpb": Task("translated QA", "bits_per_byte", {BEN: (bpb, bpb - 0.1, bpb + 0.1)},
                        formulation="text"),
        })  # fmt: skip
    board = board_of(results)
    assert any(c.family == LOGLIKELIHOOD for c in board.columns)
    ranks = language_ranks(board)
    kinds = [kind.name for kind, _ in ranks.of_language(BEN)]
    assert kinds == ["correctness", "acc", "bits per byte"]
    correct = scores_of(ranks, BEN, "correctness")
    assert correct["m1"].estimate.value == pytest.approx(0.5)  # acc never averaged in
    bpb = ranks.ranked[(BEN, "bits per byte")]
    assert [(s.model, s.rank) for s in bpb] == [("m2", 1), ("m1", 2)]  # lower is better
    assert bpb[0].estimate.high == pytest.approx(0.9)  # as is: not clipped to [0, 1]


def test_the_model_summary_holds_the_boards_means_and_consistency(results: Path) -> None:
    board = board_of(results)
    summary = model_summary(board, language_ranks(board), "model-a")
    assert summary.headline is not None
    assert summary.headline.mean == board.means[(ALL, ALL)]["model-a"]
    families = {f.family: f for f in summary.families}
    assert list(families) == ["translated QA", "reasoning", "translation"]
    assert families["translation"].kind == "chrF++" and not families["translation"].in_headline
    assert families["translated QA"].in_headline and families["translated QA"].ranked == 3
    assert families["translated QA"].tied  # model-a and model-b overlap
    c = summary.consistency
    assert (c.columns, c.judged, c.failures) == (1, 30, 3)
    assert [(r.language, r.failures) for r in c.least] == [(BEN, 2), (HIN, 1)]
    assert c.estimate is not None and c.estimate.value == pytest.approx(0.9)


def test_the_pages_show_the_rankings_and_the_summary(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_site(results, out)
    text = (out / "languages.html").read_text(encoding="utf-8")
    section = Page(text.split('id="lang-ben_Beng"', 1)[1].split("</section>", 1)[0])
    ranks = [(a["data-model"], a["data-rank"]) for t, a in section.elements if t == "tr" and
             "data-rank" in a]  # fmt: skip
    assert ranks[:3] == [("model-b", "1"), ("model-a", "1"), ("model-c", "3")]
    shown = [t for a, t in section.cells_with("rank")][:3]
    assert shown == ["=1", "=1", "3"]
    rows = json.loads((out / "language-ranks.json").read_text(encoding="utf-8"))
    ben = [r for r in rows if r["language"] == BEN and r["kind"] == "correctness"]
    assert [(r["model"], r["rank"], r["tied"], r["n_tasks"]) for r in ben] == [
        ("model-b", 1, True, 2),
        ("model-a", 1, True, 2),
        ("model-c", 3, False, 2),
    ]
    model = (out / model_page("model-a")).read_text(encoding="utf-8")
    summary, details = model.split('id="details"', 1)
    for anchor in ('id="headline"', 'id="families"', 'id="best-languages"', 'id="worst-languages"',
                   'id="model-consistency"'):  # fmt: skip
        assert anchor in summary
    assert '<details class="fold" id="grid">' in details
