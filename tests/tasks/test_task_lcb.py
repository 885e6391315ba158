"""The Language Confusion Benchmark task (tasks/lcb): every prompt of both settings with the
documented ids, and outputs produced elsewhere scored by `--predictions` for line_pass."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from harness.cli import main
from harness.config import RunConfig
from harness.errors import PolyevalError
from harness.paths import TASKS_DIR
from harness.planner import build_plan
from harness.registry import TaskRegistry
from harness.spec import load_spec
from tests.conftest import scores_of

# a fluent sentence per language (5+ tokens: LCB judges it), and an English one
FLUENT = {
    "fr": "Je pense que c'est une excellente question et voici ma réponse détaillée.",
    "ja": "これはとても良い質問だと思います。私の考えを詳しく説明します。",
    "ar": "أعتقد أن هذا سؤال جيد جدا وسأحاول الإجابة عليه بالتفصيل.",
    "de": "Ich denke, das ist eine sehr gute Frage, und hier ist meine ausführliche Antwort.",
}
ENGLISH = "I think this is a very good question, and here is my detailed answer."
CANONICAL = {"fr": "fra_Latn", "ja": "jpn_Jpan", "ar": "arb_Arab", "de": "deu_Latn"}
# the subset: rows 0-4 of one source per setting and language (40 prompts); of each five,
# how many get the fluent sentence (the rest get English): 20 fluent, 20 English
MONOLINGUAL = {"fr": "dolly_human_edited", "ja": "native_prompts", "ar": "aya_human_annotated",
               "de": "okapi"}  # fmt: skip
FLUENT_ROWS = {
    ("crosslingual", "fr"): 5, ("crosslingual", "ja"): 0,
    ("crosslingual", "ar"): 3, ("crosslingual", "de"): 2,
    ("monolingual", "fr"): 2, ("monolingual", "ja"): 4,
    ("monolingual", "ar"): 0, ("monolingual", "de"): 4,
}  # fmt: skip
SETTINGS = ("monolingual", "crosslingual")
# the shipped sample mirrors every prompt file of the real data: (setting, folder) -> codes
LAYOUT = {
    ("monolingual", "aya"): "en tr ar zh pt",
    ("monolingual", "dolly"): "hi ru fr ar es",
    ("monolingual", "okapi"): "ar de en es fr id it pt vi zh",
    ("monolingual", "native"): "es fr ja ko",
    **{("crosslingual", folder): "fr de es pt it ja ko zh ar tr hi ru id vi"
       for folder in ("okapi", "sharegpt", "complex_prompts")},
}  # fmt: skip
SAMPLE_FILES = 24 + 3 * 14  # 66, as in the real data
SAMPLE_PROMPTS = {"monolingual": 60, "crosslingual": 114}
LANGUAGES = {"monolingual": 15, "crosslingual": 14}  # English is only asked in English
# the language identifiers of `evaluate run --langid`: both where the CLI offers the option
LANGID = (
    ("default", "lid176")
    if any("--langid" in p.opts for p in main.commands["run"].params)
    else ("default",)
)
# by hand: every reply has one judged line, which passes exactly when it is the fluent one
EXPECTED_LINE_PASS = {"fr": 7 / 10, "ja": 4 / 10, "ar": 3 / 10, "de": 6 / 10}


def _plan(data_dir: Path) -> list[Any]:
    selection = RunConfig(tasks=["lcb"], data_dir=data_dir, source="local")
    return build_plan(TaskRegistry(), selection).requests


def test_every_prompt_of_both_settings_with_the_documented_ids(shared_data: Path) -> None:
    requests = _plan(shared_data)
    ids = [r.sample_id for r in requests]
    assert len(ids) == len(set(ids)) == 6586
    settings = Counter(i.split("/")[0] for i in ids)
    assert settings == {"monolingual": 2400, "crosslingual": 4186}
    sources = Counter(tuple(i.split("/")[:2]) for i in ids)
    assert sources[("crosslingual", "complex_prompts")] == 14 * 99
    assert sources[("monolingual", "native_prompts")] == 4 * 100
    assert {"monolingual/aya_human_annotated/en/0", "crosslingual/complex_prompts/ar/98",
            "monolingual/okapi/vi/99", "crosslingual/sharegpt/zh/0"} <= set(ids)  # fmt: skip
    assert len({r.language for r in requests}) == 15
    first = next(r for r in requests if r.sample_id == "crosslingual/okapi/fr/0")
    assert first.language == "fra_Latn"
    assert first.generation == {**first.generation, "max_tokens": 100, "top_p": 0.75,
                                "temperature": 0.3}  # fmt: skip


def _langid(langid: str) -> dict[str, str]:
    """The --langid option; none (the default) where the CLI does not offer it."""
    return {"langid": langid} if len(LANGID) > 1 else {}


def test_the_sample_mirrors_every_prompt_file_of_the_real_data() -> None:
    root = TASKS_DIR / "lcb" / "sample" / "test_sets"
    found = {p.relative_to(root).as_posix() for p in root.glob("*/*/*.csv")}
    expected = {f"{s}/{f}/{c}.csv" for (s, f), codes in LAYOUT.items() for c in codes.split()}
    assert found == expected and len(found) == SAMPLE_FILES


@pytest.mark.parametrize("langid", LANGID)
def test_the_sample_runs_with_the_reference_baseline(
    evaluate: Callable[..., Result], tmp_path: Path, langid: str
) -> None:
    out = tmp_path / "reference"
    result = evaluate(
        "run --model baseline:reference --tasks lcb --source sample",
        output=out,
        **_langid(langid),
    )
    assert result.exit_code == 0, result.output
    samples = [json.loads(line) for line in (out / "samples.jsonl").open()]
    assert all(s["sample_id"].count("/") == 3 for s in samples)
    assert Counter(s["sample_id"].split("/")[0] for s in samples) == SAMPLE_PROMPTS
    # the reference reply of each language passes: every language of both variants
    line_pass = scores_of(out, "line_pass")
    for setting in SETTINGS:
        cells = {k: r for k, r in line_pass.items() if k[:2] == ("lcb", setting)}
        assert len(cells) == LANGUAGES[setting], setting
        assert sum(r["n"] for r in cells.values()) == SAMPLE_PROMPTS[setting], setting
        for key, record in cells.items():
            assert record["value"] == 1.0, key
    word_pass = scores_of(out, "word_pass")
    assert word_pass and all(r["value"] == 1.0 for r in word_pass.values()), word_pass
    # word_pass: the non-Latin-script targets only (ar hi ja ko ru zh)
    assert {k[2] for k in word_pass} == {"arb_Arab", "hin_Deva", "jpn_Jpan", "kor_Hang",
                                         "rus_Cyrl", "zho_Hans"}  # fmt: skip


@pytest.mark.parametrize("langid", LANGID)
def test_english_replies_to_the_crosslingual_sample_all_fail(
    evaluate: Callable[..., Result], tmp_path: Path, langid: str
) -> None:
    selection = RunConfig(tasks=["lcb"], source="sample", variants=["crosslingual"])
    ids = [r.sample_id for r in build_plan(TaskRegistry(), selection).requests]
    assert len(ids) == len(set(ids)) == SAMPLE_PROMPTS["crosslingual"]
    path = tmp_path / "english.jsonl"
    path.write_text("".join(json.dumps({"sample_id": i, "output": ENGLISH}) + "\n" for i in ids))
    out = tmp_path / "scored"
    result = evaluate(
        f"run --tasks lcb --predictions {path} --variants crosslingual --source sample",
        output=out,
        **_langid(langid),
    )
    assert result.exit_code == 0, result.output
    line_pass = scores_of(out, "line_pass")
    cells = {k: r for k, r in line_pass.items() if k[:2] == ("lcb", "crosslingual")}
    assert len(cells) == LANGUAGES["crosslingual"]
    assert sum(r["n"] for r in cells.values()) == len(ids)
    for key, record in cells.items():
        assert record["value"] == 0.0, key


def _subset() -> list[dict[str, Any]]:
    rows = []
    for (setting, code), fluent in FLUENT_ROWS.items():
        source = "okapi" if setting == "crosslingual" else MONOLINGUAL[code]
        for row in range(5):
            output = FLUENT[code] if row < fluent else ENGLISH
            rows.append({"sample_id": f"{setting}/{source}/{code}/{row}", "output": output})
    return rows


def test_predictions_give_the_line_pass_rates_computed_by_hand(
    shared_data: Path, evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    rows = _subset()
    assert len(rows) == 40 and sum(r["output"] == ENGLISH for r in rows) == 20
    path = tmp_path / "outputs.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    out = tmp_path / "scored"
    result = evaluate(
        f"run --tasks lcb --predictions {path} --languages fr,ja,ar,de --source local",
        output=out,
        data_dir=shared_data,
    )
    assert result.exit_code == 0, result.output
    assert "have no answer" in result.output  # the rest of the four languages: left out
    line_pass = scores_of(out, "line_pass")
    for (setting, code), fluent in FLUENT_ROWS.items():
        cell = line_pass[("lcb", setting, CANONICAL[code])]
        assert (cell["value"], cell["n"]) == (pytest.approx(fluent / 5), 5), (setting, code)
    for code, expected in EXPECTED_LINE_PASS.items():  # both settings of a language together
        both = [line_pass[("lcb", setting, CANONICAL[code])]["value"] for setting in SETTINGS]
        assert sum(both) / 2 == pytest.approx(expected), code
    records = json.loads((out / "scores.json").read_text())
    by_setting = {
        (r["language"], r["group"]): r["value"]
        for r in records
        if r["metric"] == "line_pass" and r.get("by") == "setting"
    }
    assert by_setting[("jpn_Jpan", "crosslingual")] == 0.0  # English replies only
    assert by_setting[("fra_Latn", "crosslingual")] == 1.0
    assert by_setting[("arb_Arab", "monolingual")] == 0.0
    samples = [json.loads(line) for line in (out / "samples.jsonl").open()]
    english = [s for s in samples if s.get("output") == ENGLISH]
    assert len(english) == 20 and all(s["scores"]["line_pass"] == 0.0 for s in english)
    fluent = [s for s in samples if s.get("output") in FLUENT.values()]
    assert len(fluent) == 20 and all(s["scores"]["line_pass"] == 1.0 for s in fluent)
    assert any(r.get("by") == "source" for r in records)


TASK_DIR = TASKS_DIR / "lcb"


def test_a_variant_selects_rows_only_by_a_breakdown(tmp_path: Path) -> None:
    text = (TASK_DIR / "task.yaml").read_text(encoding="utf-8")
    bad = text.replace("rows: {setting: monolingual}", "rows: {sitting: monolingual}")
    assert bad != text
    (tmp_path / "task.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(PolyevalError, match="selects rows by sitting"):
        load_spec(tmp_path / "task.yaml")


def test_limit_takes_the_first_prompts_of_each_setting() -> None:
    """`--limit N` on lcb: the first N prompts of each setting and language, not the first N
    read (the files of one setting come first: the other would be left empty)."""
    plan = build_plan(TaskRegistry(), RunConfig(tasks=["lcb"], source="sample", limit=2))
    counts = Counter((r.variant, r.language) for r in plan.requests)
    for setting in SETTINGS:
        assert (
            len({language for variant, language in counts if variant == setting})
            == (LANGUAGES[setting])
        )
    assert set(counts.values()) == {2}
    assert {r.sample_id.split("/")[0] for r in plan.requests if r.variant == "monolingual"} == {
        "monolingual"
    }
    # the run keeps (and its manifest counts) only the prompts it asks
    samples = plan.task("lcb").samples[None]
    assert len(samples["fra_Latn"]) == 4 and len(samples["eng_Latn"]) == 2
    # a task without such variants is limited as it is read
    mgsm = build_plan(TaskRegistry(), RunConfig(tasks=["mgsm"], source="sample", limit=2))
    assert set(Counter(r.language for r in mgsm.requests).values()) == {2}
