"""Log-likelihood variants on the leaderboard: their columns are groups of their own
(`log-likelihood`: multiple choice by probability, scored by `acc`; `bits per byte`, lower is
better), never averaged with generative accuracy; bits per byte is shown as it is, not in
points; language consistency does not apply to them.

The runs are real ones: the reference and random baselines over the shipped samples of
Belebele, XCOPA and FLORES v1, once with the generative variant only and once with the
letter, cloze and bits-per-byte variants beside it (the baselines answer each sample the same
whichever variants run beside it).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.leaderboard import build_site
from harness.leaderboard.build import spec_info
from harness.leaderboard.check import first_difference
from harness.leaderboard.families import (
    BITS_PER_BYTE,
    CORRECTNESS,
    LIKELIHOOD,
    LOGLIKELIHOOD,
    column_family,
    in_headline,
    mean_of,
)
from harness.leaderboard.ranks import Estimate
from harness.leaderboard.runs import load_runs
from harness.leaderboard.scales import AS_IS, NOT_APPLICABLE, POINTS, scale_of
from harness.leaderboard.tables import ALL, Board, build_board, in_language_view
from tests.leaderboard.test_leaderboard import Page, evaluate, page

TASKS = "belebele,xcopa,flores_v1"
LOGLIK_VARIANTS = "zero_shot,cloze,letter,bits_per_byte"
BASELINES = ("reference", "random")
GENERATIVE = ("belebele/zero_shot@sample", "xcopa/zero_shot@sample", "flores_v1/zero_shot@sample")
CHOICE = (
    "belebele/cloze@sample",
    "belebele/letter@sample",
    "xcopa/cloze@sample",
    "xcopa/letter@sample",
)
BPB = "flores_v1/bits_per_byte@sample"


@dataclass(frozen=True)
class Built:
    results: Path
    site: Path
    board: Board


def _build(root: Path, variants: str) -> Built:
    results, cache = root / "results", root / "cache.sqlite"
    for name in BASELINES:
        result = evaluate(
            "run", "--model", f"baseline:{name}", "--tasks", TASKS, "--variants", variants,
            "--source", "sample", "--limit", "5", "--cache", str(cache),
            "--output", str(results / name),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    site = root / "site"
    result = evaluate("leaderboard", "--results", str(results), "--out", str(site))
    assert result.exit_code == 0, result.output
    runs = load_runs(results).runs
    board = build_board(runs, spec_info(sorted({t for r in runs for t, _ in r.columns})))
    return Built(results, site, board)


@pytest.fixture(scope="module")
def loglik(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory.mktemp("loglik"), LOGLIK_VARIANTS)


@pytest.fixture(scope="module")
def generative(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory.mktemp("generative"), "zero_shot")


def _records(path: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return found


def _column(board: Board, key: str) -> Any:
    return next(c for c in board.columns if c.key == key)


def _score_cells(overview: Page, column: int) -> list[tuple[dict[str, str], str]]:
    return [(a, t) for a, t in overview.cells_with("score") if a.get("data-c") == str(column)]


# ---- groups


def test_loglik_columns_are_groups_of_their_own(loglik: Built) -> None:
    board = loglik.board
    assert [c.key for c in board.columns] == [*GENERATIVE, *CHOICE, BPB]
    for key in GENERATIVE:
        assert not _column(board, key).loglikelihood
    assert [_column(board, k).family for k in GENERATIVE] == [
        "translated QA",
        "reasoning",
        "translation",
    ]
    for key in CHOICE:
        column = _column(board, key)
        assert (column.family, column.metric, column.loglikelihood) == (LOGLIKELIHOOD, "acc", True)
        assert column.task_family in ("translated QA", "reasoning")  # its task's, kept apart
        assert column.formulation in ("cloze", "letter")
    bpb = _column(board, BPB)
    assert (bpb.family, bpb.metric, bpb.formulation) == (BITS_PER_BYTE, "bits_per_byte", "text")
    assert bpb.task_family == "translation" and bpb.lower_is_better
    assert board.families() == [
        "translated QA",
        "reasoning",
        "translation",
        LOGLIKELIHOOD,
        BITS_PER_BYTE,
    ]

    overview = page(loglik.site, "index.html")
    families = [a for a in overview.tags("th") if "family" in a.get("class", "").split()]
    index = {c.key: str(i) for i, c in enumerate(board.columns)}
    assert [(f["data-family"], f["data-cs"]) for f in families][-2:] == [
        (LOGLIKELIHOOD, " ".join(index[k] for k in CHOICE)),
        (BITS_PER_BYTE, index[BPB]),
    ]
    options = [a["value"] for a in overview.tags("option")]
    assert LOGLIKELIHOOD in options and BITS_PER_BYTE in options
    assert 'id="loglik-definition"' in (loglik.site / "index.html").read_text(encoding="utf-8")
    rows = _records(loglik.site / "index.json")
    assert {(r["task"], r["variant"], r["family"], r["metric"]) for r in rows} >= {
        ("belebele", "cloze", LOGLIKELIHOOD, "acc"),
        ("flores_v1", "bits_per_byte", BITS_PER_BYTE, "bits_per_byte"),
    }


def test_generative_means_admit_no_likelihood_metric() -> None:
    assert {"acc", "acc_norm_chars", "acc_norm_tokens", "bits_per_byte"} <= LIKELIHOOD
    assert not CORRECTNESS & LIKELIHOOD
    for family in ("translated QA", "reasoning", "temporal"):
        assert not mean_of(family).metrics & LIKELIHOOD and in_headline(family)
    assert mean_of(LOGLIKELIHOOD).metrics == {"acc"} and not in_headline(LOGLIKELIHOOD)
    bpb = mean_of(BITS_PER_BYTE)
    assert bpb.metrics == {"bits_per_byte"} and bpb.lower_is_better and bpb.scale == AS_IS
    assert not in_headline(BITS_PER_BYTE)
    assert column_family("translated QA", "acc", "cloze") == LOGLIKELIHOOD
    assert column_family("translated QA", "acc", None) == LOGLIKELIHOOD  # by its metric alone
    assert column_family("translation", "bits_per_byte", None) == BITS_PER_BYTE
    assert column_family("translation", "bits_per_byte", "text") == BITS_PER_BYTE
    assert column_family("reasoning", "accuracy", None) == "reasoning"


def test_family_and_headline_means_are_unchanged_by_loglik_columns(
    loglik: Built, generative: Built
) -> None:
    before, after = generative.board, loglik.board
    assert before.means and set(before.means) <= set(after.means)
    for key, means in before.means.items():
        assert after.means[key] == means, key
    assert after.means[(ALL, ALL)] == before.means[(ALL, ALL)]
    assert {m: mean.tasks for m, mean in after.means[(ALL, ALL)].items()} == {
        "baseline:reference": 2,
        "baseline:random": 2,
    }
    new = {key for key in after.means if key not in before.means}
    assert {family for _, family in new} == {LOGLIKELIHOOD, BITS_PER_BYTE}
    assert after.means[(ALL, LOGLIKELIHOOD)]["baseline:random"].tasks == len(CHOICE)
    # the pages and downloads agree: the same headline means, the same language view
    for name in ("languages.json", "languages.csv"):
        assert (loglik.site / name).read_bytes() == (generative.site / name).read_bytes()
    headline = {
        (r["model"], r["model_mean"], r["model_rank"]) for r in _records(loglik.site / "index.json")
    }
    assert headline == {
        (r["model"], r["model_mean"], r["model_rank"])
        for r in _records(generative.site / "index.json")
    }
    means = [t for _, t in page(loglik.site, "index.html").cells_with("mean")]
    assert len(means) == 2 and means == [
        t for _, t in page(generative.site, "index.html").cells_with("mean")
    ]


def test_the_language_view_leaves_loglik_columns_out(loglik: Built, generative: Built) -> None:
    board = loglik.board
    for key in (*CHOICE, BPB):
        assert not in_language_view(_column(board, key), board.mean_tier)
    assert board.across == generative.board.across
    text = (loglik.site / "languages.html").read_text(encoding="utf-8")
    for key in (*CHOICE, BPB):
        task, rest = key.split("/")
        variant = rest.split("@")[0]
        line = next(li for li in text.splitlines() if f"{task}/{variant} ·" in li)
        assert " * " not in line  # not marked as averaged


# ---- bits per byte: as is, lower is better


def test_scales_come_from_the_metric_registry() -> None:
    assert scale_of("bits_per_byte") is AS_IS and scale_of("sentence_bits_per_byte") is AS_IS
    for metric in ("acc", "accuracy", "chrf", "consistency", "a_task_own_metric", None):
        assert scale_of(metric) is POINTS
    assert POINTS.text(0.1234) == "12.3" and AS_IS.text(1.2341) == "1.234"
    assert POINTS.interval(Estimate(0.5, 0.25, 0.75)) == "25.0–75.0"
    assert AS_IS.interval(Estimate(1.234, 1.1, 1.35)) == "1.10–1.35"
    assert AS_IS.signed(-0.5) == "−0.500" and POINTS.signed(0.05) == "+5.0"
    assert AS_IS.sort_value(8.0) == "8.0000" and POINTS.sort_value(0.5) == "50.00"
    assert AS_IS.rounded(1.23456) == 1.235 and POINTS.rounded(0.12345) == 12.3
    assert POINTS.position(0.3, (5.0, 6.0)) == 0.3  # a rate is coloured by its value
    assert AS_IS.position(3.0, (2.0, 6.0)) == 0.25  # bits per byte within its column's range
    assert AS_IS.position(3.0, (3.0, 3.0)) == 0.5 and AS_IS.position(None) is None
    assert AS_IS.axis([8.0, 7.5]) == 10.0 and AS_IS.axis([0.7]) == 1.0 and AS_IS.axis([]) == 1
    assert AS_IS.axis([1.3]) == 2.0 and AS_IS.axis([2.2]) == 2.5 and POINTS.axis([3.0]) == 1.0


def test_bits_per_byte_is_shown_as_is_and_ranked_lower_better(loglik: Built) -> None:
    board = loglik.board
    column = _column(board, BPB)
    i = board.columns.index(column)
    reference = board.cell("baseline:reference", column)
    random = board.cell("baseline:random", column)
    assert reference and random
    assert reference.scores.primary == Estimate(0.0, 0.0, 0.0)  # the gold text: 0 bits
    assert random.scores.primary == Estimate(8.0, 8.0, 8.0)  # uniform bytes: 8 bits each
    assert (reference.ranks[ALL], random.ranks[ALL]) == (1, 2)
    means = board.means[(ALL, BITS_PER_BYTE)]
    assert means["baseline:reference"].rank == 1 and means["baseline:random"].rank == 2

    overview = page(loglik.site, "index.html")
    cells = {t.split("#")[0] for _, t in _score_cells(overview, i)}
    assert cells == {"0.0000.00–0.00", "8.0008.00–8.00"}  # value, interval; never 800.0
    ordered = [(a["data-value"], t) for a, t in _score_cells(overview, i)]
    assert ordered == [("0.0000", "0.0000.00–0.00#1"), ("8.0000", "8.0008.00–8.00#2")]
    for attrs, _ in _score_cells(overview, i):
        assert (attrs["data-digits"], attrs["data-ci-digits"]) == ("3", "2")
    head = next(a for a in overview.tags("th") if a.get("data-key") == BPB)
    assert head["data-order"] == "asc"
    options = {a["value"]: a for a in overview.tags("option")}
    assert options[BITS_PER_BYTE]["data-digits"] == "3"
    assert "data-digits" not in options[LOGLIKELIHOOD]
    fmeans = [t for _, t in overview.cells_with("fmean")]
    assert "0.0000.00–0.00#1" in fmeans and "8.0008.00–8.00#2" in fmeans
    found = re.search(
        r'<script type="application/json" id="overview-data">(.*?)</script>',
        (loglik.site / "index.html").read_text(encoding="utf-8"),
        re.S,
    )
    assert found is not None
    data = json.loads(found.group(1))
    na = [None] * 6  # LN and Cons., each with its interval: they do not apply
    assert data["cells"][ALL][i] == [[0.0, 0.0, 0.0, 1, *na], [8.0, 8.0, 8.0, 2, *na]]
    means = data["means"][ALL][BITS_PER_BYTE]  # [mean, low, high, rank, tasks, samples]
    assert [m[:5] for m in means] == [[0.0, 0.0, 0.0, 1, 1], [8.0, 8.0, 8.0, 2, 1]]
    assert means[0][5] == means[1][5] > 0

    task = page(loglik.site, "tasks/flores_v1.html")
    macros = [t for _, t in task.cells_with("macro")]
    assert "0.0000.00–0.00" in macros and "8.0008.00–8.00" in macros
    heat = [(a, t) for a, t in task.cells_with("heat") if "bits_per_byte" in a.get("title", "")]
    assert {t for _, t in heat} == {"0.000", "8.000", "0.000+0.000", "8.000+0.000"}
    styles = {t[:5]: a["style"] for a, t in heat}
    assert styles["0.000"] == "background:#fde725;color:#000"  # the best (lowest): the top
    assert styles["8.000"] == "background:#440154;color:#fff"  # the worst: the bottom
    text = (loglik.site / "tasks/flores_v1.html").read_text(encoding="utf-8")
    assert ">0.000</text>" in text and ">8.000</text>" in text  # the legend's ends
    assert ">10</text>" in text  # the chart's axis runs to 10 bits, not 100 points
    rows = [r for r in _records(loglik.site / "index.json") if r["variant"] == "bits_per_byte"]
    assert sorted(r["value"] for r in rows) == [0.0, 8.0]  # downloads as scores.json has them


# ---- consistency does not apply


def test_loglik_consistency_is_not_applicable(loglik: Built) -> None:
    board = loglik.board
    overview = page(loglik.site, "index.html")
    for key in (*CHOICE, BPB):
        i = board.columns.index(_column(board, key))
        for kind in ("ln", "cons"):
            found = [(a, t) for a, t in overview.cells_with(kind) if f"c{i}" in a["class"].split()]
            assert found and all(t == NOT_APPLICABLE for _, t in found), (key, found)
            assert all("na" in a["class"].split() and a["data-value"] == "" for a, _ in found)
        for model in board.models:
            cell = board.cell(model, _column(board, key))
            assert cell and cell.scores.consistency is None and cell.scores.normalised is None
    flores = board.columns.index(_column(board, "flores_v1/zero_shot@sample"))
    generative = [t for a, t in overview.cells_with("cons") if f"c{flores}" in a["class"].split()]
    assert generative == ["100.0100.0–100.0"] * 2  # a generative column keeps its rate
    assert not [a for a, _ in overview.cells_with("cons") if "na" in a["class"].split()
                and f"c{flores}" in a["class"].split()]  # fmt: skip
    model = (loglik.site / "models").glob("baseline-random-*.html")
    text = next(model).read_text(encoding="utf-8")
    assert text.count(f"LN {NOT_APPLICABLE} · Cons. {NOT_APPLICABLE}") == len(CHOICE) + 1
    task = page(loglik.site, "tasks/belebele.html")
    heat = [a["title"] for a, _ in task.cells_with("heat") if "; acc " in a.get("title", "")]
    assert heat and all("consistency n/a" in title for title in heat)
    rows = _records(loglik.site / "index.json")
    for row in rows:
        if row["family"] in (LOGLIKELIHOOD, BITS_PER_BYTE):
            assert row["consistency"] is None and row["language_normalised"] is None
    languages = _records(loglik.site / "tasks/belebele.json")
    assert all(r["consistency"] is None for r in languages if r["variant"] != "zero_shot")


def test_the_gap_to_english_of_a_loglik_column_is_the_summarys(loglik: Built) -> None:
    board = loglik.board
    column = _column(board, "belebele/cloze@sample")
    cells = board.language_cells[("baseline:random", column.key)]
    run = cells[0].run
    summary = {
        r["group"]: r["value"]
        for r in run.summary_by_column[("belebele", "cloze")]
        if r["metric"] == "acc" and r["kind"] == "gap_to_english"
    }
    assert summary and {c.language: c.gap.value for c in cells if c.gap} == summary
    assert any(value != 0 for value in summary.values())
    bpb = board.language_cells[("baseline:random", BPB)]
    assert {c.language: c.gap.value if c.gap else None for c in bpb} == {
        "eng_Latn": None,
        "npi_Deva": 0.0,
        "sin_Sinh": 0.0,
    }


# ---- the same bytes, with or without summary.json


def test_a_loglik_site_is_rebuilt_byte_for_byte(loglik: Built, tmp_path: Path) -> None:
    result = evaluate(
        "leaderboard", "--results", str(loglik.results), "--out", str(loglik.site), "--check"
    )
    assert result.exit_code == 0, result.output
    mine = tmp_path / "results"
    shutil.copytree(loglik.results, mine)
    for name in BASELINES:
        (mine / name / "summary.json").unlink()  # computed from the samples again
    out = tmp_path / "site"
    build_site(mine, out)
    assert first_difference(loglik.site, out) is None
