"""`evaluate leaderboard`: the static site built from run folders (harness.leaderboard).

No browser here: pages are parsed with html.parser, links resolved on disk and the drill-down
data files decoded. The runs are real ones (baselines over the shipped samples, and a
predictions run whose model name and outputs try to inject markup) and small synthetic ones
for ranks and paging.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from click.testing import CliRunner, Result

from harness.cli import main
from harness.leaderboard import SITE_MARKER, build_site
from harness.leaderboard.check import first_difference
from harness.leaderboard.drill import CALLBACK, PAGE_SIZE, script_json
from harness.leaderboard.names import DRILL_KEY, drill_key, slug
from harness.leaderboard.ranks import Estimate, clipped, mean_estimate, tied_ranks
from harness.leaderboard.runs import load_runs
from tests.conftest import REPO, assert_one_line_error

TASKS = "mgsm,belebele,flores_v1"
BASELINES = ("reference", "random", "copy-source")
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
TABLE = "</table>"
EVIL_MODEL = f"{SCRIPT}{IMG}{TABLE}"
EVIL_OUTPUT = f"{SCRIPT} {IMG} {TABLE} <!-- \u2028 \u2029 & done"


def evaluate(*argv: str) -> Result:
    return CliRunner().invoke(main, list(argv), catch_exceptions=False)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three baseline runs and a predictions run with markup in its model name and outputs."""
    root = tmp_path_factory.mktemp("runs")
    cache = root / "cache.sqlite"
    folder = root / "results"
    common = ["--tasks", TASKS, "--source", "sample", "--limit", "5", "--cache", str(cache)]
    for name in BASELINES:
        result = evaluate(
            "run", "--model", f"baseline:{name}", *common, "--output", str(folder / name)
        )
        assert result.exit_code == 0, result.output
    predictions = root / "predictions.jsonl"
    with predictions.open("w", encoding="utf-8") as handle:
        for line in (folder / "reference" / "samples.jsonl").open(encoding="utf-8"):
            record = json.loads(line)
            row = {k: record[k] for k in ("task", "variant", "language", "sample_id")}
            row["output"] = f"{EVIL_OUTPUT} {record['output']}"
            handle.write(json.dumps(row) + "\n")
    result = evaluate(
        "run",
        "--predictions",
        str(predictions),
        "--model",
        EVIL_MODEL,
        "--langid",
        "lid176",
        *common,
        "--output",
        str(folder / "evil"),
    )
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def site(results: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    result = evaluate("leaderboard", "--results", str(results), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "4 run(s), 4 model(s), 3 task(s)" in result.output
    return out


# ---- reading the site


class Page(HTMLParser):
    """A page's elements (tag, attributes) and the text inside each <td>/<th> (its tag under
    the key "<tag>")."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.cells: list[tuple[dict[str, str], str]] = []
        self._open: list[tuple[dict[str, str], list[str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.elements.append((tag, found))
        if tag in ("td", "th"):
            self._open.append(({**found, "<tag>": tag}, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._open:
            attrs, text = self._open.pop()
            self.cells.append((attrs, "".join(text)))

    def handle_data(self, data: str) -> None:
        for _, text in self._open:
            text.append(data)

    def tags(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.elements if name == tag]

    def cells_with(self, css_class: str) -> list[tuple[dict[str, str], str]]:
        """The body cells (<td>) of a class."""
        return [
            (a, t)
            for a, t in self.cells
            if a["<tag>"] == "td" and css_class in a.get("class", "").split()
        ]


def page(site: Path, name: str) -> Page:
    return Page((site / name).read_text(encoding="utf-8"))


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def data_payload(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"{CALLBACK}(") and text.endswith(");\n"), path
    data: dict[str, Any] = json.loads(text[len(CALLBACK) + 1 : -3])
    return data


def drill_targets(site: Path) -> Iterator[tuple[Path, str, str | None]]:
    """(page, d, l) of every drill-down link."""
    for path in html_files(site):
        for attrs in Page(path.read_text(encoding="utf-8")).tags("a"):
            if "drill" in attrs.get("class", "").split():
                fragment = attrs["href"].split("#", 1)[1]
                params = dict(part.split("=", 1) for part in fragment.split("&"))
                language = params.get("l")
                yield path, params["d"], unquote(language) if language else None


# ---- the site's pages and links


def test_every_page_exists_and_every_link_resolves(site: Path, results: Path) -> None:
    expected = [
        "index.html",
        "languages.html",
        "samples.html",
        SITE_MARKER,
        "static/site.css",
        "static/site.js",
        "static/views.css",
        "static/views.js",
        "index.csv",
        "index.json",
        "languages.csv",
        "languages.json",
        "language-ranks.csv",
        "language-ranks.json",
    ]
    for task in TASKS.split(","):
        expected += [f"tasks/{task}.html", f"tasks/{task}.csv", f"tasks/{task}.json"]
    models = [f"baseline:{name}" for name in BASELINES] + [EVIL_MODEL]
    for model in models:
        expected += [f"models/{slug(model)}.{ext}" for ext in ("html", "csv", "json")]
    for name in expected:
        assert (site / name).is_file(), name
    checked = 0
    for path in html_files(site):
        parsed = Page(path.read_text(encoding="utf-8"))
        links = [a["href"] for a in parsed.tags("a") if "href" in a]
        links += [s["src"] for s in parsed.tags("script") if "src" in s]
        links += [s["href"] for s in parsed.tags("link")]
        for link in links:
            assert not re.match(r"^[a-z]+:", link), f"{path}: absolute link {link}"
            target = link.split("#", 1)[0].split("?", 1)[0]
            if target:
                assert (path.parent / target).resolve().is_file(), f"{path}: {link}"
                checked += 1
    assert checked > 100


def test_every_drill_down_link_has_its_samples(site: Path) -> None:
    seen = 0
    for path, key, language in drill_targets(site):
        folder = site / "data" / "samples" / key
        index = data_payload(folder / "index.js")
        assert index["key"] == f"{key}/index"
        languages = [part[0] for part in index["parts"]]
        if language is not None:
            assert language in languages, (path, key, language)
        for number in range(1, index["pages"] + 1):
            assert (folder / f"page-{number:04d}.js").is_file()
        seen += 1
    assert seen > 50
    # a sample of the reference baseline: prompt, output, parsed, gold, scores, language check
    (mgsm,) = [p for p in (site / "data" / "samples").glob("reference/mgsm/*/page-0001.js")]
    first = data_payload(mgsm)["samples"][0]
    assert {"id", "language", "prompt", "output", "parsed", "gold", "scores"} <= set(first)
    assert first["scores"]["accuracy"] == 1.0 and first["parsed"] == first["gold"]
    assert first["langid"]["expected"] == first["language"]


def test_the_overview_holds_each_model_and_task(site: Path) -> None:
    overview = page(site, "index.html")
    models = [text for _, text in overview.cells_with("model")]
    assert sorted(models) == sorted([f"baseline:{n}" for n in BASELINES] + [EVIL_MODEL])
    # the best headline first: reference and the predictions run (reference answers behind
    # markup) tie at 100 on correctness; translation's chrF++ is not part of the headline
    assert set(models[:2]) == {"baseline:reference", EVIL_MODEL}
    headers = [a["data-key"] for a, _ in overview.cells if a.get("data-key")]
    assert sorted(headers) == [  # runs on the shipped samples: columns of their own
        "belebele/zero_shot@sample",
        "flores_v1/zero_shot@sample",
        "mgsm/native_cot@sample",
    ]
    assert 'class="data">shipped sample</span>' in (site / "index.html").read_text("utf-8")
    rows = {text: attrs for attrs, text in overview.cells_with("model")}
    assert rows["baseline:reference"]["data-value"] == "baseline:reference"
    scores = overview.cells_with("score")
    assert len(scores) == 4 * 3
    row = [text for _, text in overview.cells_with("model")].index("baseline:reference")
    reference = [text for _, text in scores[3 * row : 3 * row + 3]]
    assert all(text.startswith("100.0") for text in reference), reference
    # sortable headers, filters and the data they switch to
    assert all(a.get("data-col", "").isdigit() for a in overview.tags("th") if "data-sort" in a)
    for name in ("filter-family", "filter-script", "filter-tier"):
        assert any(a.get("id") == name for a in overview.tags("select"))
    found = re.search(
        r'<script type="application/json" id="overview-data">(.*?)</script>',
        (site / "index.html").read_text(encoding="utf-8"),
        re.S,
    )
    assert found is not None
    data = json.loads(found.group(1))
    assert {"all", "tier:high", "tier:low", "script:Deva"} <= set(data["cells"])
    assert data["families"] == ["all", "translated QA", "reasoning", "translation"]
    assert len(data["cells"]["all"]) == 3 and len(data["cells"]["all"][0]) == 4
    # provenance on every page
    for path in html_files(site):
        text = path.read_text(encoding="utf-8")
        assert 'id="provenance"' in text and "0.1.0" in text, path


def test_chrf_macro_intervals_come_from_the_pairs_bounds(site: Path, results: Path) -> None:
    """chrF++ is a corpus metric: the summary's macro average has no interval, each pair's
    score in scores.json has its own (a sentence bootstrap). The macro average's interval is
    the mean of the pairs' bounds, and the site says so where it shows it."""
    scores = json.loads((results / "random" / "scores.json").read_text(encoding="utf-8"))
    pairs = [
        r
        for r in scores
        if (r["task"], r["metric"], r["by"]) == ("flores_v1", "chrf", None)
        and r["ci_low"] is not None
    ]
    assert len(pairs) >= 2
    summary = json.loads((results / "random" / "summary.json").read_text(encoding="utf-8"))
    macro = next(
        r for r in summary if (r["task"], r["metric"], r["kind"]) == ("flores_v1", "chrf", "macro")
    )
    assert macro["ci_low"] is None  # the run record has none: the site computes it
    rows = json.loads((site / "index.json").read_text(encoding="utf-8"))
    row = next(r for r in rows if r["model"] == "baseline:random" and r["task"] == "flores_v1")
    assert row["value"] == pytest.approx(macro["value"])
    assert row["ci_low"] == pytest.approx(sum(r["ci_low"] for r in pairs) / len(pairs))
    assert row["ci_high"] == pytest.approx(sum(r["ci_high"] for r in pairs) / len(pairs))
    assert row["ci_method"] == "pairs_sentence_bootstrap_mean_of_bounds"
    assert row["ci_low"] < row["value"] < row["ci_high"]
    # shown in the overview's cell, and its hover text says how it was computed
    overview = page(site, "index.html")
    models = [text for _, text in overview.cells_with("model")]
    head = next(a for a, _ in overview.cells if a.get("data-key") == "flores_v1/zero_shot@sample")
    column = next(name for name in head["class"].split() if re.fullmatch(r"c\d+", name))
    flores = [(a, t) for a, t in overview.cells_with("score") if column in a["class"].split()]
    attrs, text = flores[models.index("baseline:random")]
    low, high = 100 * row["ci_low"], 100 * row["ci_high"]
    assert f"{low:.1f}–{high:.1f}" in text
    assert "the mean of the pairs' sentence-bootstrap bounds" in attrs["title"]
    task = (site / "tasks" / "flores_v1.html").read_text(encoding="utf-8")
    assert "chrf is a corpus metric" in task and f"{low:.1f}–{high:.1f}" in task


def test_the_overview_says_what_each_number_rests_on(site: Path) -> None:
    """The headline and every family's mean show their interval and rank, and their hover
    texts say what they rest on; the downloads carry the same."""
    overview = page(site, "index.html")
    means = overview.cells_with("mean")
    assert all(re.fullmatch(r"\d+\.\d\d+\.\d–\d+\.\d", t) for _, t in means), means
    for attrs, _ in means:
        assert "task columns" in attrs["title"] and "n=" in attrs["title"]
        assert "rank " in attrs["title"]  # the interval is in the cell
    family = overview.cells_with("fmean")
    assert family and all(re.search(r"–.*#\d$", t) for _, t in family), family
    assert all("samples" in a["title"] and "task columns" in a["title"] for a, _ in family)
    for attrs, text in overview.cells_with("score"):
        assert "n=" in attrs["title"] and "data: shipped sample" in attrs["title"]
        assert "–" in text or "no interval" in attrs["title"]  # shown, or said to be none
    rows = json.loads((site / "index.json").read_text(encoding="utf-8"))
    for row in rows:
        assert row["model_mean_ci_low"] <= row["model_mean"] <= row["model_mean_ci_high"]
        assert row["model_mean_samples"] > 0 and row["family_mean_tasks"] >= 1
        assert row["n"] > 0 and row["source"] == "sample"
    header = (site / "index.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert {"ci_method", "model_mean_ci_low", "family_mean", "family_rank", "n"} <= set(header)


def test_task_model_and_language_pages(site: Path, results: Path) -> None:
    mgsm = (site / "tasks" / "mgsm.html").read_text(encoding="utf-8")
    for fact in ("Licence", "CC BY 4.0", "juletxara/mgsm", "mgsm.j2", "native_cot"):
        assert fact in mgsm
    manifest = json.loads((results / "random" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tasks"]["mgsm"]["variants"]["native_cot"]["template_hash"] in mgsm
    assert manifest["run_id"] in mgsm and manifest["started"] in mgsm
    # the language identifier of each run, in the last column of the runs table
    runs = dict(re.findall(r"<tr><td><code>([^<]+)</code></td>.*?<td>([^<]*)</td></tr>", mgsm))
    assert runs[manifest["run_id"]] == "default" and runs["evil"] == "lid176"
    task = Page(mgsm)
    worst = task.cells_with("worst")
    assert worst and all(a["data-value"] for a, _ in worst)  # the random baseline's worst
    assert '<span class="gap">' in mgsm  # gaps to English
    random_page = (site / "models" / f"{slug('baseline:random')}.html").read_text(encoding="utf-8")
    for heading in ("Consistency failures", "Failed requests", "Requests and token usage"):
        assert heading in random_page
    text = (site / "languages.html").read_text(encoding="utf-8")
    heatmap = Page(text.split('id="heatmap"', 1)[1])
    assert len(heatmap.cells_with("model")) == 4
    languages = Page(text)
    assert languages.cells_with("worst")
    rows = json.loads((site / "tasks" / "mgsm.json").read_text(encoding="utf-8"))
    assert {r["model"] for r in rows} == {f"baseline:{n}" for n in BASELINES} | {EVIL_MODEL}
    assert all(list(r) == sorted(r) for r in rows)
    header = (site / "tasks" / "mgsm.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("model,task,variant,language,metric,value,ci_low,ci_high")


def test_site_js_inserts_text_only_as_text() -> None:
    from harness.leaderboard.pages import STATIC

    for name in ("site.js", "views.js"):
        text = (STATIC / name).read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, name
    script = (STATIC / "site.js").read_text(encoding="utf-8")
    assert "textContent" in script
    css = (STATIC / "site.css").read_text(encoding="utf-8")
    for font in (
        "Noto Sans Devanagari",
        "Noto Sans Sinhala",
        "Noto Sans CJK SC",
        "Noto Nastaliq Urdu",
        "Noto Sans Tibetan",
    ):
        assert f'"{font}"' in css


# ---- escaping


def test_markup_from_models_and_datasets_is_escaped(site: Path) -> None:
    for path in html_files(site):
        text = path.read_text(encoding="utf-8")
        for raw in (SCRIPT, IMG, "onerror=alert(1)>"):
            assert raw not in text, f"{path}: {raw}"
        assert text.count("<table") == text.count("</table>"), path
        parsed = Page(text)
        assert not parsed.tags("img"), path
        scripts = parsed.tags("script")
        assert all(
            s.get("src", "").endswith(("static/site.js", "static/views.js"))
            or s.get("type") == "application/json"
            for s in scripts
        ), path
        assert "\u2028" not in text and "\u2029" not in text
    index = (site / "index.html").read_text(encoding="utf-8")
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    assert escaped + "&lt;/table&gt;" in index
    models = [text for _, text in page(site, "index.html").cells_with("model")]
    assert EVIL_MODEL in models  # shown as text
    model_page = site / "models" / f"{slug(EVIL_MODEL)}.html"
    assert escaped in model_page.read_text(encoding="utf-8")
    # the drill-down data: no markup can end the script, and the text comes back intact
    folder = site / "data" / "samples" / slug("evil")
    pages = sorted(folder.rglob("page-*.js"))
    assert pages
    for path in pages:
        raw = path.read_text(encoding="utf-8")
        assert "<" not in raw and ">" not in raw and "\u2028" not in raw, path
        assert "\\u003c/script\\u003e" in raw and "\\u003c!--" in raw
        outputs = [s["output"] for s in data_payload(path)["samples"]]
        assert all(o.startswith(EVIL_OUTPUT) for o in outputs)
    index_js = data_payload(next(folder.rglob("index.js")))
    assert index_js["model"] == EVIL_MODEL


def test_script_json_escapes_what_could_end_a_script() -> None:
    text = script_json({"a": "</script><!--\u2028\u2029&"})
    assert text == '{"a":"\\u003c/script\\u003e\\u003c!--\\u2028\\u2029\\u0026"}'
    assert json.loads(text) == {"a": "</script><!--\u2028\u2029&"}


# ---- determinism and --check


def test_the_same_results_give_the_same_bytes(site: Path, results: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build_site(results, again)
    assert first_difference(site, again) is None
    names = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(again).as_posix() for p in again.rglob("*") if p.is_file())
    # building over a built site replaces it (files of runs that are gone do not linger)
    (again / "models" / "stale.html").write_text("old", encoding="utf-8")
    build_site(results, again)
    assert first_difference(site, again) is None


def test_check_passes_after_a_build_and_fails_after_a_results_change(
    results: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "results"
    shutil.copytree(results, mine)
    out = tmp_path / "site"
    assert evaluate("leaderboard", "--results", str(mine), "--out", str(out)).exit_code == 0
    result = evaluate("leaderboard", "--results", str(mine), "--out", str(out), "--check")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    scores_path = mine / "random" / "scores.json"
    scores = json.loads(scores_path.read_text(encoding="utf-8"))
    scores[0]["value"] = 0.123456
    scores_path.write_text(json.dumps(scores), encoding="utf-8")
    result = evaluate("leaderboard", "--results", str(mine), "--out", str(out), "--check")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "stale" in lines[0] and "differs" in lines[0], result.output
    shutil.rmtree(mine / "evil")
    result = evaluate("leaderboard", "--results", str(mine), "--out", str(out), "--check")
    assert result.exit_code == 1 and "is not expected" in result.output  # the gone run's files
    missing = evaluate(
        "leaderboard", "--results", str(mine), "--out", str(tmp_path / "none"), "--check"
    )
    assert missing.exit_code == 1 and "no leaderboard" in missing.output


def test_bad_folders_are_one_line_errors(results: Path, tmp_path: Path) -> None:
    assert_one_line_error(
        evaluate(
            "leaderboard", "--results", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")
        ),
        "no such results folder",
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(
        evaluate("leaderboard", "--results", str(empty), "--out", str(tmp_path / "o")),
        "no finished runs",
    )
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    assert_one_line_error(
        evaluate("leaderboard", "--results", str(results), "--out", str(foreign)),
        "not replacing it",
    )
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"


# ---- ranks


def test_ranks_tie_where_intervals_overlap() -> None:
    found = tied_ranks(
        [Estimate(0.80, 0.75, 0.85), Estimate(0.78, 0.72, 0.84), Estimate(0.50, 0.45, 0.55), None]
    )
    assert found == [1, 1, 3, None]
    assert tied_ranks([Estimate(0.2, 0.1, 0.3), Estimate(0.5, 0.4, 0.6)], lower_is_better=True) == [
        1,
        2,
    ]
    assert tied_ranks([Estimate(0.6), Estimate(0.6), Estimate(0.5)]) == [1, 1, 3]  # no intervals
    mean = mean_estimate([Estimate(0.5, 0.4, 0.6), Estimate(0.7, 0.6, 0.8)])
    assert mean is not None and mean.value == pytest.approx(0.6)
    assert mean.low == pytest.approx(0.6 - 0.1 / 2**0.5)


def write_synthetic_run(
    folder: Path,
    model: str,
    started: str,
    macros: dict[str, tuple[float, float, float]],
    samples: dict[str, int] | None = None,
) -> None:
    """A run folder with one score per language (eng_Latn, fra_Latn) of task `synth` and the
    given macro averages per variant; `samples`: how many samples per language to write."""
    folder.mkdir(parents=True)
    scores, summary = [], []
    for variant, (value, low, high) in macros.items():
        for language in ("eng_Latn", "fra_Latn"):
            scores.append(
                {
                    "task": "synth",
                    "variant": variant,
                    "language": language,
                    "metric": "accuracy",
                    "by": None,
                    "group": None,
                    "value": value,
                    "n": 100,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
        summary.append(
            {
                "task": "synth",
                "variant": variant,
                "metric": "accuracy",
                "kind": "macro",
                "group": None,
                "value": value,
                "ci_low": low,
                "ci_high": high,
                "languages": 2,
            }
        )
    (folder / "scores.json").write_text(json.dumps(scores), encoding="utf-8")
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    manifest = {
        "run_id": folder.name,
        "started": started,
        "model": {"name": model},
        "harness": {"version": "0.1.0", "git": "abc"},
        "status": "complete",
        "tasks": {
            "synth": {
                "kind": "multiple_choice",
                "metrics": ["accuracy"],
                "version": "2",
                "source": {"kind": "local", "location": "data/synth"},
            }
        },
        "counts": {"requests": 200 * len(macros), "failed": 0},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    if samples:
        with (folder / "samples.jsonl").open("w", encoding="utf-8") as handle:
            for language, count in samples.items():
                for i in range(count):
                    record = {
                        "task": "synth",
                        "variant": next(iter(macros)),
                        "language": language,
                        "sample_id": f"{language}-{i}",
                        "parallel_id": str(i),
                        "prompt": "q",
                        "output": f"answer {i}",
                        "parsed": "a",
                        "gold": "a",
                        "scores": {"accuracy": 1.0},
                    }
                    handle.write(json.dumps(record) + "\n")


def test_overview_ranks_tie_and_newest_run_wins(tmp_path: Path) -> None:
    results = tmp_path / "results"
    write_synthetic_run(
        results / "a", "model-a", "2026-01-01T00:00:00+00:00", {"v": (0.80, 0.75, 0.85)}
    )
    write_synthetic_run(
        results / "b", "model-b", "2026-01-01T00:00:00+00:00", {"v": (0.78, 0.72, 0.84)}
    )
    write_synthetic_run(
        results / "c-old", "model-c", "2026-01-01T00:00:00+00:00", {"v": (0.95, 0.90, 0.99)}
    )
    write_synthetic_run(
        results / "c-new", "model-c", "2026-02-01T00:00:00+00:00", {"v": (0.50, 0.45, 0.55)}
    )
    out = tmp_path / "site"
    build_site(results, out)
    overview = page(out, "index.html")
    ranks = {
        model: rank
        for (_, rank), (_, model) in zip(
            overview.cells_with("rank"), overview.cells_with("model"), strict=True
        )
    }
    assert ranks == {"model-a": "1", "model-b": "1", "model-c": "3"}
    scores = [text for _, text in overview.cells_with("score")]
    assert scores[0].endswith("#1") and scores[1].endswith("#1") and scores[2].endswith("#3")
    assert scores[2].startswith("50.0")  # model-c's newer run
    assert "c-old" not in (out / "index.html").read_text(encoding="utf-8")
    task = (out / "tasks" / "synth.html").read_text(encoding="utf-8")
    assert "<dt>Licence</dt>" not in task  # a task the registry does not know


def test_drill_down_pages_split_at_the_page_size(tmp_path: Path) -> None:
    results = tmp_path / "results"
    counts = {"eng_Latn": 450, "fra_Latn": 30}
    write_synthetic_run(
        results / "big",
        "model-big",
        "2026-01-01T00:00:00+00:00",
        {"v": (0.9, 0.8, 0.95)},
        samples=counts,
    )
    out = tmp_path / "site"
    build_site(results, out)
    folder = out / "data" / "samples" / "big" / "synth" / "v"
    index = data_payload(folder / "index.js")
    assert index["page_size"] == PAGE_SIZE == 200
    assert index["parts"] == [["eng_Latn", 0, 450], ["fra_Latn", 450, 30]]
    pages = sorted(folder.glob("page-*.js"))
    assert [p.name for p in pages] == ["page-0001.js", "page-0002.js", "page-0003.js"]
    sizes = [len(data_payload(p)["samples"]) for p in pages]
    assert sizes == [200, 200, 80] and index["pages"] == 3
    last = data_payload(pages[-1])
    assert last["first"] == 400
    assert [s["id"] for s in last["samples"][:50]] == [f"eng_Latn-{i}" for i in range(400, 450)]
    assert last["samples"][50]["id"] == "fra_Latn-0"
    overview = (out / "index.html").read_text(encoding="utf-8")
    assert overview.count("samples.html#d=big/synth/v") == 1
    assert len(overview.encode()) < 100_000


def test_samples_written_in_parallel_are_the_same_files(
    results: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.leaderboard import drill
    from harness.leaderboard.runs import load_runs

    runs = load_runs(results).runs
    wanted = [(run, task, variant) for run in runs for task, variant in run.columns]
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    found = drill.write_samples(serial, wanted, workers=1)
    monkeypatch.setattr(drill, "PARALLEL_BYTES", 0)
    assert drill.write_samples(parallel, wanted, workers=2) == found
    assert first_difference(serial, parallel) is None


def test_a_run_without_summary_json_is_summarized_the_same(
    site: Path, results: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "results"
    shutil.copytree(results, mine)
    for name in ("random", "evil"):
        (mine / name / "summary.json").unlink()
    out = tmp_path / "site"
    build_site(mine, out)
    assert first_difference(site, out) is None


def test_runs_without_scores_or_samples_still_build(tmp_path: Path) -> None:
    results = tmp_path / "results"
    write_synthetic_run(
        results / "a", "model-a", "2026-01-01T00:00:00+00:00", {"v": (0.6, 0.5, 0.7)}
    )
    (results / "a" / "summary.json").unlink()  # no samples either: plain macro averages
    (results / "empty").mkdir()
    (results / "empty" / "scores.json").write_text("[]", encoding="utf-8")
    out = tmp_path / "site"
    built = build_site(results, out)
    assert built.models == 1 and built.sample_files == 0
    overview = page(out, "index.html")
    assert [text for _, text in overview.cells_with("score")] == ["60.0#1"]
    assert not (out / "data").exists()


def test_a_column_never_mixes_two_versions_of_a_task(results: Path, tmp_path: Path) -> None:
    """A run made with an older version of a task leaves that task's columns; its other
    tasks stay."""
    copied = tmp_path / "results"
    shutil.copytree(results / "random", copied / "random")
    shutil.copytree(results / "reference", copied / "reference")
    manifest_path = copied / "random" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["tasks"]["mgsm"]["version"] = "0.9"
    manifest["started"] = "2000-01-01T00:00:00+00:00"  # the older run
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    runs = {run.key: run for run in load_runs(copied).runs}
    assert all(task != "mgsm" for task, _ in runs["random"].columns)
    assert any(task == "belebele" for task, _ in runs["random"].columns)
    assert any(task == "mgsm" for task, _ in runs["reference"].columns)


# ---- the Language Confusion Benchmark (LCB)

LCB_SOURCES = ("dolly", "okapi")
LCB_LANGUAGES = ("fra_Latn", "hin_Deva")  # WPR only for the non-Latin target


def lcb_records(variant: str, lpr: dict[str, float], wpr: float) -> list[dict[str, Any]]:
    """A setting's LCB summary records (harness.language_confusion's format): every source of
    a language has the language's LPR in `lpr`, hin_Deva has the WPR `wpr`."""

    def records(
        kind: str, source: str | None, language: str | None, lp: float, wp: float | None
    ) -> list[dict[str, Any]]:
        rates = {"line_pass": lp, "language_confusion_pass": lp}
        if wp is not None:
            rates["word_pass"] = wp
            rates["language_confusion_pass"] = 2 * lp * wp / (lp + wp)
        group = "/".join(g for g in (source, language) if g) or None
        return [
            {
                "task": "lcb",
                "variant": variant,
                "metric": metric,
                "kind": kind,
                "group": group,
                "source": source,
                "language": language,
                "value": value,
                "ci_low": None,
                "ci_high": None,
                "n": 10,
                "items": None,
                "languages": 1,
                "method": "lcb",
            }
            for metric, value in sorted(rates.items())
        ]

    found = []
    for language in LCB_LANGUAGES:
        word = wpr if language == "hin_Deva" else None
        for source in LCB_SOURCES:
            found += records("lcb_cell", source, language, lpr[language], word)
        found += records("lcb_language", None, language, lpr[language], word)
    mean = sum(lpr.values()) / len(lpr)
    for source in LCB_SOURCES:
        found += records("lcb_source", source, None, mean, wpr)
    return found + records("lcb_average", None, None, mean, wpr)


def write_lcb_run(folder: Path, model: str, lpr: dict[str, float], wpr: float) -> None:
    """A run of both LCB settings (scores, generic macro averages and LCB records) with a
    sample per language of the monolingual one, and a `synth` column."""
    write_synthetic_run(folder, model, "2026-03-01T00:00:00+00:00", {"v": (0.5, 0.4, 0.6)})
    scores = json.loads((folder / "scores.json").read_text(encoding="utf-8"))
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    for variant in ("monolingual", "crosslingual"):
        for language in LCB_LANGUAGES:
            scores.append(
                {
                    "task": "lcb",
                    "variant": variant,
                    "language": language,
                    "metric": "line_pass",
                    "by": None,
                    "group": None,
                    "value": lpr[language],
                    "n": 20,
                    "ci_low": None,
                    "ci_high": None,
                }
            )
        for script, language in (("Latn", "fra_Latn"), ("Deva", "hin_Deva")):
            summary.append(
                {
                    "task": "lcb",
                    "variant": variant,
                    "metric": "line_pass",
                    "kind": "macro_by_script",
                    "group": script,
                    "value": lpr[language],
                    "ci_low": None,
                    "ci_high": None,
                    "languages": 1,
                }
            )
        summary.append(
            {
                "task": "lcb",
                "variant": variant,
                "metric": "line_pass",
                "kind": "macro",
                "group": None,
                "value": sum(lpr.values()) / len(lpr),
                "ci_low": None,
                "ci_high": None,
                "languages": 2,
            }
        )
        summary += lcb_records(variant, lpr, wpr)
    (folder / "scores.json").write_text(json.dumps(scores), encoding="utf-8")
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["tasks"]["lcb"] = {
        "kind": "short_answer",
        "metrics": ["line_pass", "word_pass"],
        "version": "1.0",
        "source": {"kind": "hub", "location": "lcb"},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with (folder / "samples.jsonl").open("w", encoding="utf-8") as handle:
        for language in LCB_LANGUAGES:
            record = {
                "task": "lcb",
                "variant": "monolingual",
                "language": language,
                "sample_id": f"monolingual/okapi/{language}/0",
                "parallel_id": "okapi/0",
                "prompt": "q",
                "output": "answer",
                "parsed": "answer",
                "gold": "",
                "scores": {"line_pass": lpr[language]},
            }
            handle.write(json.dumps(record) + "\n")


def overview_data(site: Path) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" id="overview-data">(.*?)</script>',
        (site / "index.html").read_text(encoding="utf-8"),
        re.S,
    )
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


@pytest.fixture(scope="module")
def lcb_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = tmp_path_factory.mktemp("lcb") / "results"
    write_lcb_run(results / "a", "model-a", {"fra_Latn": 0.9, "hin_Deva": 0.7}, 0.6)
    write_lcb_run(results / "b", "model-b", {"fra_Latn": 0.5, "hin_Deva": 0.3}, 0.2)
    return results


@pytest.fixture(scope="module")
def lcb_site(lcb_results: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lcb-site") / "site"
    build_site(lcb_results, out)
    return out


def test_the_overview_shows_lcb_rates_in_their_family(lcb_site: Path) -> None:
    overview = page(lcb_site, "index.html")
    families = [(a, t) for a, t in overview.cells if "family" in a.get("class", "").split()]
    assert [a["data-family"] for a, _ in families] == ["translated QA", "language confusion"]
    assert [a["data-cs"] for a, _ in families] == ["0", "1 2"]  # board columns per family
    assert all(a.get("colspan", "1") == "1" for a, _ in families)  # folded to its mean
    # the LCB columns come last; the other task keeps its generic triple
    keys = [a["data-key"] for a, _ in overview.cells if a.get("data-key")]
    assert keys == ["synth/v", "lcb/crosslingual", "lcb/monolingual"]
    labels = [t for a, t in overview.cells if a["<tag>"] == "th" and "lcb" in a.get("class", "")]
    assert labels[-6:] == ["LPR", "WPR", "LCPR"] * 2
    assert [t for _, t in overview.cells_with("score")] == ["50.040.0–60.0#1"] * 2
    # model-a: LPR (0.9 + 0.7) / 2, WPR 0.6, LCPR their harmonic mean, in points
    lpr = [(a, t) for a, t in overview.cells_with("lpr")]
    assert [t for _, t in lpr] == ["80.0", "80.0", "40.0", "40.0"]
    assert [t for _, t in overview.cells_with("wpr")] == ["60.0", "60.0", "20.0", "20.0"]
    assert [t for _, t in overview.cells_with("lcpr")] == ["68.6", "68.6", "26.7", "26.7"]
    assert lpr[0][0]["data-value"] == "80.00"
    # the LCB's averages have no interval, and the hover text says so
    assert all("no interval" in a["title"] for a, _ in lpr)
    assert all("no interval" in a["title"] for a, _ in overview.cells_with("wpr"))
    # the family's mean: LPR over the two LCB columns, with its rank
    means = [t for a, t in overview.cells_with("fmean") if a["data-family"] == "language confusion"]
    assert means == ["80.0#1", "40.0#2"]  # no interval: none of its columns has one
    # sortable: every header's column number points at its cell: rank, model, mean, then
    # per family its mean and its columns' three cells
    numbers = sorted(int(a["data-col"]) for a in overview.tags("th") if "data-sort" in a)
    assert numbers == list(range(3 + 2 + 3 * 3))
    # the filters' data: the LCB rates of the languages of one script
    data = overview_data(lcb_site)
    columns = data["lcb"]["all"]
    # the board's columns: synth/v (translated QA), then lcb/crosslingual, lcb/monolingual
    # (the language confusion family)
    assert sorted(columns) == ["1", "2"]
    assert columns["2"] == [[80.0, 60.0, 68.6], [40.0, 20.0, 26.7]]
    assert data["lcb"]["script:Deva"]["2"][0] == [70.0, 60.0, 64.6]
    assert data["lcb"]["script:Latn"]["2"][0] == [90.0, None, 90.0]


def test_the_overview_downloads_carry_the_lcb_rates(lcb_site: Path) -> None:
    rows = json.loads((lcb_site / "index.json").read_text(encoding="utf-8"))
    found = {(r["model"], r["task"], r["variant"]): r for r in rows}
    mine = found[("model-a", "lcb", "monolingual")]
    assert mine["lcb_lpr"] == pytest.approx(0.8) and mine["lcb_wpr"] == pytest.approx(0.6)
    assert mine["lcb_lcpr"] == pytest.approx(2 * 0.8 * 0.6 / 1.4)
    other = found[("model-a", "synth", "v")]
    assert other["lcb_lpr"] is other["lcb_wpr"] is other["lcb_lcpr"] is None
    header = (lcb_site / "index.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert {"lcb_lpr", "lcb_wpr", "lcb_lcpr"} <= set(header)
    # the task page's download: each language's rates (model-a: Hindi LPR 0.7, WPR 0.6)
    rows = json.loads((lcb_site / "tasks" / "lcb.json").read_text(encoding="utf-8"))
    found = {(r["model"], r["variant"], r["language"]): r for r in rows}
    hindi = found[("model-a", "monolingual", "hin_Deva")]
    assert (hindi["lcb_lpr"], hindi["lcb_wpr"]) == (pytest.approx(0.7), pytest.approx(0.6))
    assert hindi["lcb_lcpr"] == pytest.approx(2 * 0.7 * 0.6 / 1.3)
    assert found[("model-a", "monolingual", "fra_Latn")]["lcb_wpr"] is None


def test_the_lcb_task_page_shows_rates_per_language_and_source(lcb_site: Path) -> None:
    text = (lcb_site / "tasks" / "lcb.html").read_text(encoding="utf-8")
    task = Page(text)
    assert {"lcb-v-monolingual", "lcb-v-crosslingual"} <= {
        a.get("id", "") for a in task.tags("table")
    }
    assert "Language confusion (LCB)" in text
    section = Page(text.split('id="v-monolingual"', 1)[1])
    languages = [t for _, t in section.cells_with("lang")][:2]
    assert [lang.split()[0] for lang in languages] == list(LCB_LANGUAGES)
    # per language, models a then b: fra_Latn has no WPR, hin_Deva has
    lpr = [t for a, t in section.cells_with("lpr") if "average" not in a["class"]]
    assert lpr[:4] == ["90.0", "50.0", "70.0", "30.0"]
    wpr = [t for a, t in section.cells_with("wpr") if "average" not in a["class"]]
    assert wpr[:4] == ["–", "–", "60.0", "20.0"]
    lcpr = [t for a, t in section.cells_with("lcpr") if "average" not in a["class"]]
    assert lcpr[:4] == ["90.0", "50.0", "64.6", "24.0"]
    average = [t for _, t in section.cells_with("average")][:6]
    assert average == ["80.0", "60.0", "68.6", "40.0", "20.0", "26.7"]
    sources = [(a, t) for a, t in section.cells_with("source")][:4]
    assert [t for _, t in sources] == ["68.6", "68.6", "26.7", "26.7"]
    assert sources[0][0]["title"] == "dolly: LPR 80.0, WPR 60.0, LCPR 68.6"
    # an LPR opens the samples of its language; the heatmap's links stay
    links = [a["href"] for a in section.tags("a") if "drill" in a.get("class", "").split()]
    assert "../samples.html#d=a/lcb/monolingual&l=hin_Deva" in links
    for _, key, language in drill_targets(lcb_site):
        index = data_payload(lcb_site / "data" / "samples" / key / "index.js")
        assert language is None or language in [part[0] for part in index["parts"]]


def test_a_site_with_lcb_rates_is_rebuilt_byte_for_byte(
    lcb_site: Path, lcb_results: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    build_site(lcb_results, again)
    assert first_difference(lcb_site, again) is None


def test_every_drill_key_is_one_the_sites_script_accepts() -> None:
    """The script checks a drill-down key against names.DRILL_KEY before it loads a file: the
    same pattern, and every name the site can make passes it."""
    script = (REPO / "leaderboard" / "static" / "site.js").read_text(encoding="utf-8")
    assert f"/{DRILL_KEY}/" in script
    hostile = ["..", ".", "/x", "../../evil", "a/b", "", "<script>", ".hidden", "-", "é" * 99]
    for name in hostile:
        key = drill_key(name, name, name)
        assert re.fullmatch(DRILL_KEY, key), (name, key)
        assert ".." not in key.split("/"), key
    assert not re.fullmatch(DRILL_KEY, "../../../elsewhere/evil")
    assert not re.fullmatch(DRILL_KEY, "/x/y/z")


def test_means_of_rates_keep_their_intervals_within_zero_and_one() -> None:
    """A mean's normal interval reaches below 0 where its scores sit near 0 (the committed
    real-data runs: a temporal mean of 12.5 points from scores of 0 and 25); what is shown is
    kept within what a rate can be, bits per byte (unbounded) left as it is."""
    from harness.leaderboard.build import spec_info
    from harness.leaderboard.families import mean_of
    from harness.leaderboard.tables import build_board

    near_zero = mean_estimate([Estimate(0.0, 0.0, 0.3), Estimate(0.05, 0.0, 0.4)])
    assert near_zero is not None and near_zero.low is not None and near_zero.low < 0
    kept = clipped(near_zero)
    assert kept is not None and (kept.low, kept.high) == (0.0, near_zero.high)
    assert clipped(near_zero, bounded=False) == near_zero
    runs = load_runs(REPO / "results").runs
    board = build_board(runs, spec_info(sorted({t for r in runs for t, _ in r.columns})))
    checked = 0
    for (_, family), means in board.means.items():
        bounded = family == "all" or mean_of(family).scale.bounded
        for mean in means.values():
            low, high = mean.estimate.low, mean.estimate.high
            if bounded and low is not None and high is not None:
                assert 0.0 <= low <= mean.estimate.value <= high <= 1.0, (family, mean)
                checked += 1
    assert checked > 0


def test_a_download_beside_a_dotted_page_name_keeps_the_whole_name(tmp_path: Path) -> None:
    """A model page named after a GGUF file (`...Q4_1.gguf-<hash>.html`): its CSV and JSON are
    the page's name with .csv and .json, where its download links point."""
    from harness.leaderboard.downloads import write_table
    from harness.leaderboard.names import model_page, slug

    model = "llama-server:SmolLM2-135M-Instruct.Q4_1.gguf"
    stem = (tmp_path / model_page(model)).with_suffix("")
    stem.parent.mkdir()
    write_table(stem, [{"model": model, "value": 0.5}])
    assert sorted(p.name for p in stem.parent.iterdir()) == [
        f"{slug(model)}.csv",
        f"{slug(model)}.json",
    ]


def test_a_family_run_only_on_the_samples_keeps_its_mean_beside_real_data() -> None:
    """The committed results: generative runs on real data and on the samples, log-likelihood
    variants on the samples only. The headline averages real data; the log-likelihood family's
    mean is of the samples (not empty), and it is said so in its header."""
    from harness.leaderboard.build import spec_info
    from harness.leaderboard.selection import REAL, SAMPLE
    from harness.leaderboard.tables import ALL, build_board

    runs = load_runs(REPO / "results").runs
    board = build_board(runs, spec_info(sorted({t for r in runs for t, _ in r.columns})))
    assert board.mean_tier == REAL
    assert board.tier_of("translated QA") == REAL
    assert board.tier_of("log-likelihood") == SAMPLE
    assert board.in_headline("translated QA") and not board.in_headline("log-likelihood")
    assert board.means[(ALL, "log-likelihood")]  # a mean for each model that ran it
    loglik = [c for c in board.columns if c.family == "log-likelihood"]
    assert loglik and all(board.counts_in_means(c) for c in loglik)
    assert not any(
        board.counts_in_means(c)
        for c in board.columns
        if c.family == "translated QA" and c.data == SAMPLE
    )
