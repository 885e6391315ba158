"""Which run a leaderboard cell rests on, and what its means average (harness.leaderboard.selection
and tables): the rule that picks a model's run per column and the lines naming the runs set
aside; shipped-sample and real-data runs in columns of their own; incomplete runs marked and
unranked; a headline mean over correctness families only (no chrF++, no LCB rates)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.leaderboard.names import model_page
from harness.leaderboard.runs import load_runs
from harness.leaderboard.selection import select_runs
from tests.leaderboard.test_leaderboard import Page, overview_data

Evaluate = Callable[..., Result]


def run(evaluate: Evaluate, out: Path, model: str, tasks: str, *extra: str) -> Path:
    """A baseline run over the tasks' shipped samples (or what `extra` says) into `out`."""
    result = evaluate(
        f"run --model {model} --tasks {tasks} --source sample {' '.join(extra)}", output=out
    )
    assert result.exit_code == 0, result.output
    return out


def edit_manifest(folder: Path, **fields: Any) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(fields)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def leaderboard(evaluate: Evaluate, results: Path, out: Path) -> Result:
    result = evaluate("leaderboard", results=results, out=out)
    assert result.exit_code == 0, result.output
    return result


def overview_rows(site: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """index.json by (model, column key)."""
    rows = json.loads((site / "index.json").read_text(encoding="utf-8"))
    return {(r["model"], _key(r)): r for r in rows}


def _key(row: dict[str, Any]) -> str:
    suffix = "" if row["data"] == "real" else f"@{row['data']}"
    return f"{row['task']}/{row['variant']}{suffix}"


def score_cells(site: Path) -> dict[tuple[str, str], dict[str, str]]:
    """The overview's score cells (attributes, and their text under "text") by (model, key)."""
    page = Page((site / "index.html").read_text(encoding="utf-8"))
    keys = [a["data-key"] for a, _ in page.cells if a.get("data-key")]
    models = [text for _, text in page.cells_with("model")]
    cells = page.cells_with("score")
    assert len(cells) == len(models) * len(keys)
    width = len(keys)
    found = {}
    for i, model in enumerate(models):
        for key, (attrs, text) in zip(keys, cells[i * width : (i + 1) * width], strict=True):
            found[(model, key)] = {**attrs, "text": text}
    return found


# ---- one run per model and column, and the runs set aside


def test_a_full_run_is_kept_over_a_newer_limited_one(evaluate: Evaluate, tmp_path: Path) -> None:
    results = tmp_path / "results"
    full = run(evaluate, results / "full", "baseline:random", "mgsm")
    limited = run(evaluate, results / "limited", "baseline:random", "mgsm", "--limit 2")
    edit_manifest(full, started="2026-01-01T00:00:00+00:00")
    edit_manifest(limited, started="2026-02-01T00:00:00+00:00")  # the newer run
    site = tmp_path / "site"
    result = leaderboard(evaluate, results, site)
    lines = [line for line in result.stderr.splitlines() if line.startswith("set aside")]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"set aside {limited} (baseline:random, mgsm/native_cot · ")
    assert "covers fewer samples: 11 languages, 22 samples, --limit 2, chat prompts" in lines[0]
    assert f"kept {full}: 11 languages, 88 samples, chat prompts, complete" in lines[0]
    assert "set aside" not in result.stdout
    row = overview_rows(site)[("baseline:random", "mgsm/native_cot@sample")]
    assert (row["run"], row["n"], row["languages"], row["limit"]) == ("full", 88, 11, None)
    assert (row["source"], row["prompt_format"], row["status"]) == ("sample", "chat", "complete")
    title = score_cells(site)[("baseline:random", "mgsm/native_cot@sample")]["title"]
    assert "n=88 samples in 11 languages" in title and "limit: none" in title
    assert "prompt format: chat" in title and "run full: complete" in title


def test_the_rule_puts_complete_before_coverage_and_coverage_before_age(
    evaluate: Evaluate, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    broken = run(evaluate, results / "broken", "baseline:random", "mgsm")
    small = run(evaluate, results / "small", "baseline:random", "mgsm", "--limit 3")
    newest = run(evaluate, results / "newest", "baseline:random", "mgsm", "--limit 1")
    edit_manifest(broken, status="incomplete", counts={"requests": 88, "failed": 1})
    edit_manifest(broken, started="2026-03-01T00:00:00+00:00")
    edit_manifest(small, started="2026-01-01T00:00:00+00:00")
    edit_manifest(newest, started="2026-04-01T00:00:00+00:00")
    selection = select_runs(load_runs(results).runs)
    ((kept, covered),) = selection.chosen.values()
    assert kept.key == "small" and covered.samples == 33
    reasons = {found.run.key: found.reason for found in selection.set_aside}
    assert reasons == {"broken": "incomplete", "newest": "covers fewer samples"}
    message = next(f.message for f in selection.set_aside if f.run.key == "broken")
    assert "incomplete (1 of 88 requests failed)" in message


# ---- incomplete runs


def test_an_incomplete_run_is_marked_and_ranked_below_a_complete_one(
    evaluate: Evaluate, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    run(evaluate, results / "random", "baseline:random", "mgsm")
    perfect = run(evaluate, results / "reference", "baseline:reference", "mgsm")
    edit_manifest(perfect, status="incomplete", counts={"requests": 88, "failed": 38})
    site = tmp_path / "site"
    leaderboard(evaluate, results, site)
    key = "mgsm/native_cot@sample"
    cells = score_cells(site)
    best, worse = cells[("baseline:reference", key)], cells[("baseline:random", key)]
    assert best["text"].startswith("100.0⚠") and not best["text"].endswith("#1")
    assert "incomplete" in best["class"].split() and "⚠" not in worse["text"]
    assert "run reference: incomplete (38 of 88 requests failed)" in best["title"]
    assert worse["text"].endswith("#1")  # the complete run ranks first
    rows = overview_rows(site)
    marked = rows[("baseline:reference", key)]
    assert marked["rank"] is None and marked["complete"] is False
    assert (marked["status"], marked["failed"], marked["requests"]) == ("incomplete", 38, 88)
    assert marked["model_mean"] is None  # not averaged either
    assert rows[("baseline:random", key)]["rank"] == 1
    # the task page: the complete run first and ranked, the incomplete one marked, unranked
    task = Page((site / "tasks" / "mgsm.html").read_text(encoding="utf-8"))
    ranks = [(text, a) for a, text in task.cells_with("rank")]
    models = [text for _, text in task.cells_with("model")]
    assert models == ["baseline:random", "baseline:reference"]
    assert [text for text, _ in ranks] == ["1", "–"]
    macro = task.cells_with("macro")
    assert "⚠" in macro[1][1] and "38 of 88 requests failed" in macro[1][0]["title"]
    for name in ("tasks/mgsm.html", model_page("baseline:reference")):
        assert "#None" not in (site / name).read_text(encoding="utf-8")  # charts: no rank


# ---- data tiers


def test_sample_and_real_data_runs_land_in_different_columns(
    evaluate: Evaluate, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(Path("tasks") / "mgsm" / "sample", data / "mgsm")  # the upstream layout
    results = tmp_path / "results"
    run(evaluate, results / "sample", "baseline:random", "mgsm")
    run(evaluate, results / "real", "baseline:random", "mgsm", f"--source local --data-dir {data}")
    site = tmp_path / "site"
    result = leaderboard(evaluate, results, site)
    assert "set aside" not in result.output  # two columns, one run each
    rows = overview_rows(site)
    real = rows[("baseline:random", "mgsm/native_cot")]
    sample = rows[("baseline:random", "mgsm/native_cot@sample")]
    assert (real["run"], real["data"], real["source"]) == ("real", "real", "local")
    assert (sample["run"], sample["data"], sample["source"]) == ("sample", "sample", "sample")
    assert real["rank"] == sample["rank"] == 1  # each ranked in its own column
    text = (site / "index.html").read_text(encoding="utf-8")
    assert 'title="mgsm/native_cot · shipped sample"' in text
    assert '<span class="data">shipped sample</span>' in text
    # the means average one data tier: real data where there is any
    assert real["model_mean"] == pytest.approx(real["value"])
    task = (site / "tasks" / "mgsm.html").read_text(encoding="utf-8")
    assert 'id="v-native_cot"' in task and 'id="sample-v-native_cot"' in task
    assert "<h2>mgsm/native_cot · shipped sample" in task


# ---- what the means average


@pytest.fixture
def mixed_site(evaluate: Evaluate, tmp_path: Path) -> Path:
    """Two reasoning tasks, one translated-QA task, a translation task and the LCB."""
    results = tmp_path / "results"
    run(evaluate, results / "random", "baseline:random", "mgsm,xcopa,belebele,flores_v1,lcb")
    site = tmp_path / "site"
    leaderboard(evaluate, results, site)
    return site


def test_the_headline_mean_leaves_out_chrf_and_lcb_rates(mixed_site: Path) -> None:
    rows = overview_rows(mixed_site)
    value = {key.split("/")[0]: row["value"] for (_, key), row in rows.items()}
    lpr = {key.split("/")[0]: row["lcb_lpr"] for (_, key), row in rows.items()}
    families = (value["mgsm"] + value["xcopa"]) / 2, value["belebele"]  # reasoning, QA
    headline = sum(families) / 2
    mean = rows[("baseline:random", "mgsm/native_cot@sample")]["model_mean"]
    assert mean == pytest.approx(headline)
    # what the old mean over every column would have been, and a mean over tasks: others
    everything = [value[t] for t in ("mgsm", "xcopa", "belebele", "flores_v1")] + [lpr["lcb"]]
    assert abs(sum(everything) / len(everything) - headline) > 0.01
    assert abs((value["mgsm"] + value["xcopa"] + value["belebele"]) / 3 - headline) > 1e-6
    # the family means, shown apart: chrF++ for translation, LPR for language confusion
    means = overview_data(mixed_site)["means"]["all"]
    assert means["translation"][0][0] == pytest.approx(100 * value["flores_v1"], abs=0.05)
    assert means["language confusion"][0][0] == pytest.approx(100 * value["lcb"], abs=0.05)
    assert means["all"][0][0] == pytest.approx(100 * headline, abs=0.05)
    text = (mixed_site / "index.html").read_text(encoding="utf-8")
    assert 'id="mean-definition"' in text
    # each family folds to its mean: the families in the headline marked *, each mean's metric
    table = Page(text)
    heads = [" ".join(t.split()) for a, t in table.cells if "family" in a.get("class", "")]
    assert heads == [
        "translated QA * 1 task",
        "reasoning * 2 tasks",
        "translation 1 task",
        "language confusion 2 tasks",  # the LCB's two settings
    ]
    metrics = [" ".join(t.split()) for a, t in table.cells if "fscore" in a.get("class", "")]
    assert metrics == ["mean correctness", "mean correctness", "mean chrF++", "mean LPR"]


def test_the_language_view_averages_correctness_metrics_only(mixed_site: Path) -> None:
    rows = json.loads((mixed_site / "languages.json").read_text(encoding="utf-8"))
    found = {r["language"]: r for r in rows}
    # Italian is in xcopa (accuracy) and the LCB; its mean is xcopa's Italian score alone
    tasks = json.loads((mixed_site / "tasks" / "xcopa.json").read_text(encoding="utf-8"))
    italian = next(r for r in tasks if r["language"] == "ita_Latn")
    assert found["ita_Latn"]["value"] == pytest.approx(italian["value"])
    assert found["ita_Latn"]["tasks"] == 1
    # languages only the translation task or the LCB has are not in the view
    lcb = json.loads((mixed_site / "tasks" / "lcb.json").read_text(encoding="utf-8"))
    only_lcb = {r["language"] for r in lcb} - {
        r["language"]
        for name in ("mgsm", "xcopa", "belebele")
        for r in json.loads((mixed_site / "tasks" / f"{name}.json").read_text(encoding="utf-8"))
    }
    assert only_lcb and not only_lcb & set(found)
    assert not any("-" in language for language in found)  # no translation pairs
