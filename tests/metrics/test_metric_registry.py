"""The metric registry is the one place that says what a metric is: scoring, the summary and the
site read its entries, and a new metric is one entry, which may read the whole sample and reply."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from harness.metrics import BINARY, CORPUS, LANGUAGE, METRICS, check_metrics
from harness.metrics.registry import REGISTRY, Judged, MetricInfo, lower_is_better
from harness.record import open_run
from tests.conftest import REPO

Evaluate = Callable[..., Result]


def test_each_entry_is_whole() -> None:
    for name, info in REGISTRY.items():
        assert info.name == name and info.about
        has_function = info.of_parsed is not None or info.of_sample is not None
        assert has_function == (info.computed == "answer"), name
    assert [n for n in REGISTRY if lower_is_better(n)] == [
        "ter",
        "bits_per_byte",
        "sentence_bits_per_byte",
    ]


def test_the_old_names_are_views_of_the_registry() -> None:
    assert CORPUS == ("chrf", "bleu", "ter")
    assert LANGUAGE == ("consistency", "line_pass", "word_pass", "language_normalised")
    assert set(METRICS) == {n for n, i in REGISTRY.items() if i.computed == "answer"}
    assert {n for n in METRICS if REGISTRY[n].binary} == BINARY
    assert "f1" in METRICS and "f1" not in BINARY


def test_a_sentence_score_is_not_a_metric_to_list() -> None:
    check_metrics(["chrf", "consistency", "accuracy"], "task.yaml")
    with pytest.raises(Exception, match="unknown metric 'sentence_chrf'"):
        check_metrics(["sentence_chrf"], "task.yaml")


def _reply_holds_gold(judged: Judged) -> float:
    """A metric no parser-based one could be: the gold number appears anywhere in the reply,
    and the sample's own item is at hand."""
    return float(judged.sample.gold in judged.output and judged.finish_reason != "length")


@pytest.mark.parametrize("binary", [True, False])
def test_a_new_metric_is_one_entry_and_sees_the_sample_and_reply(
    evaluate: Evaluate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, binary: bool
) -> None:
    entry = MetricInfo(
        "gold_in_reply",
        "the gold answer appears in the reply",
        "answer",
        "correctness",
        binary,
        of_sample=_reply_holds_gold,
    )
    monkeypatch.setitem(REGISTRY, entry.name, entry)
    folder = tmp_path / "tasks" / "mgsm"
    shutil.copytree(REPO / "tasks" / "mgsm", folder)
    spec = folder / "task.yaml"
    spec.write_text(spec.read_text().replace("metrics: [accuracy]", "metrics: [gold_in_reply]"))
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks mgsm --source sample --languages eng_Latn,deu_Latn",
        tasks_dir=tmp_path / "tasks",
        output=out,
    )
    assert result.exit_code == 0, result.output
    samples = open_run(out).samples()
    assert samples and all(s.scores["gold_in_reply"] == 1.0 for s in samples)
    summary = json.loads((out / "summary.json").read_text())
    kinds = {r["kind"] for r in summary if r["metric"] == "gold_in_reply"}
    assert "macro" in kinds
    # only a metric the registry calls 0/1 says "right in every language" (the values here are
    # 0/1 either way)
    assert ("correct_in_every_language" in kinds) == binary


def test_corpus_metrics_run_for_any_kind_that_lists_them(
    evaluate: Evaluate, tmp_path: Path
) -> None:
    folder = tmp_path / "tasks" / "xquad"
    shutil.copytree(REPO / "tasks" / "xquad", folder)
    spec = folder / "task.yaml"
    text = spec.read_text()
    assert "metrics: [exact_match, f1]" in text
    spec.write_text(text.replace("metrics: [exact_match, f1]", "metrics: [exact_match, f1, chrf]"))
    out = tmp_path / "run"
    result = evaluate(
        "run --model baseline:reference --tasks xquad --source sample --languages en,de",
        tasks_dir=tmp_path / "tasks",
        output=out,
    )
    assert result.exit_code == 0, result.output
    cells = [r for r in json.loads((out / "scores.json").read_text()) if r["metric"] == "chrf"]
    assert {c["language"] for c in cells} == {"eng_Latn", "deu_Latn"}
    assert all(c["value"] == 1.0 and c["signature"].startswith("nrefs:") for c in cells)
    samples = open_run(out).samples()
    assert all(s.scores["sentence_chrf"] == 1.0 for s in samples)
