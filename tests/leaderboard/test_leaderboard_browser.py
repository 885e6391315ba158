"""The built leaderboard in a real browser: Debian's Chromium driven by Playwright (no browser
download), from file://. Sorting, a filter and a drill-down are used as a reader would, and a
screenshot is saved to test-artifacts/ (CI keeps it)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = next(
    (
        path
        for path in (os.environ.get("POLYEVAL_CHROMIUM"), "/usr/lib/chromium/chromium")
        if path and Path(path).is_file()
    ),
    shutil.which("chromium"),
)
ARTIFACTS = Path(os.environ.get("POLYEVAL_ARTIFACTS", REPO / "test-artifacts"))
TASKS = "--tasks mgsm,belebele,flores_v1 --source sample --limit 5"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built from three baselines' runs, made here with the CLI."""
    from click.testing import CliRunner

    from harness.cli import main

    root = tmp_path_factory.mktemp("leaderboard")
    runner = CliRunner()
    for model in ("reference", "random", "copy-source"):
        argv = ["run", "--model", f"baseline:{model}", *TASKS.split()]
        argv += ["--output", str(root / "results" / model), "--cache", str(root / "c.sqlite")]
        result = runner.invoke(main, argv, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    argv = ["leaderboard", "--results", str(root / "results"), "--out", str(root / "site")]
    result = runner.invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "site"


@pytest.fixture(scope="module")
def loglik_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site of two baselines' runs with log-likelihood variants beside the generative one."""
    from click.testing import CliRunner

    from harness.cli import main

    root = tmp_path_factory.mktemp("loglik")
    runner = CliRunner()
    tasks = "--tasks belebele,flores_v1 --variants zero_shot,cloze,bits_per_byte"
    for model in ("reference", "random"):
        argv = ["run", "--model", f"baseline:{model}", *tasks.split(), "--source", "sample"]
        argv += ["--limit", "5", "--output", str(root / "results" / model)]
        argv += ["--cache", str(root / "c.sqlite")]
        result = runner.invoke(main, argv, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    argv = ["leaderboard", "--results", str(root / "results"), "--out", str(root / "site")]
    result = runner.invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "site"


@pytest.fixture(scope="module")
def chromium_browser(site: Path, loglik_site: Path) -> Iterator[Any]:
    """Chromium, started once the site is built (the CLI runs an event loop of its own, which
    cannot start while Playwright's runs)."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@contextmanager
def opened(browser: Any, path: Path) -> Iterator[Any]:
    """A tab showing `path`; no script error may happen on it."""
    tab = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(path.as_uri())
    yield tab
    tab.close()
    assert errors == [], errors


@pytest.fixture(scope="module")
def page(site: Path, chromium_browser: Any) -> Iterator[Any]:
    with opened(chromium_browser, site / "index.html") as tab:
        yield tab


def _means(page: Any) -> list[float]:
    values = page.eval_on_selector_all(
        "table#overview tbody tr:not([hidden]) td.mean",
        "cells => cells.map(c => c.dataset.value)",
    )
    return [float(v) for v in values if v not in ("", None)]


def test_sorting_a_column_orders_the_models(page: Any) -> None:
    header = page.locator("table#overview th[data-sort]").nth(2)  # the mean over tasks
    header.click()
    first = _means(page)
    assert len(first) == 3 and first in (sorted(first), sorted(first, reverse=True))
    header.click()
    assert _means(page) == list(reversed(first))
    order = header.get_attribute("aria-sort")
    assert order in ("ascending", "descending")
    expected = sorted(first, reverse=order == "descending")
    assert _means(page) == expected
    names = page.eval_on_selector_all(
        "table#overview tbody tr td.model", "cells => cells.map(c => c.textContent)"
    )
    best = names[0] if order == "descending" else names[-1]
    assert "reference" in best


def test_a_family_filter_hides_the_other_tasks(page: Any) -> None:
    page.select_option("select#filter-family", "translation")
    assert page.get_attribute("table#overview", "data-family") == "translation"
    assert page.locator("table#overview thead th.fam-translation").first.is_visible()
    hidden = page.locator("table#overview thead th.fam-reasoning")
    assert hidden.count() > 0 and not hidden.first.is_visible()
    page.select_option("select#filter-family", "all")
    assert page.locator("table#overview thead th.fam-reasoning").first.is_visible()


def test_a_drill_down_shows_the_samples_behind_a_number(page: Any) -> None:
    page.locator("table#overview td.score a.drill").first.click()
    panel = page.locator("section#samples")
    panel.wait_for(state="visible")
    page.wait_for_selector("section#samples[data-state=ready]")
    rows = page.locator("section#samples tbody tr.sample")
    assert rows.count() > 0
    assert rows.first.locator("td.output").inner_text().strip()
    assert rows.first.locator("td.gold").inner_text().strip()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "leaderboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_the_lcb_column_group_sorts_and_follows_a_script_filter(
    chromium_browser: Any, tmp_path: Path
) -> None:
    from harness.leaderboard import build_site
    from tests.leaderboard.test_leaderboard import write_lcb_run

    results = tmp_path / "results"
    write_lcb_run(results / "a", "model-a", {"fra_Latn": 0.9, "hin_Deva": 0.7}, 0.6)
    write_lcb_run(results / "b", "model-b", {"fra_Latn": 0.5, "hin_Deva": 0.3}, 0.2)
    build_site(results, tmp_path / "site")
    with opened(chromium_browser, tmp_path / "site" / "index.html") as tab:
        lcpr = tab.locator("table#overview th[data-key='lcb/monolingual'] ~ th").nth(1)
        assert lcpr.inner_text().strip() == "LCPR"
        lcpr.click()  # descending first, then ascending
        lcpr.click()
        names = tab.eval_on_selector_all(
            "table#overview tbody td.model", "cells => cells.map(c => c.textContent)"
        )
        assert names == ["model-b", "model-a"]
        tab.select_option("select#filter-script", "Deva")
        values = tab.eval_on_selector_all(
            "table#overview tbody td.lpr.c2", "cells => cells.map(c => c.textContent)"
        )
        assert values == ["30.0", "70.0"]  # lcb/monolingual: hin_Deva's rates only
        assert not tab.locator("table#overview thead th.task.c0").is_visible()  # synth: no Deva
        group = tab.locator("table#overview thead th.group")
        assert group.is_visible() and group.get_attribute("colspan") == "6"


def test_filters_keep_bits_per_byte_as_is_and_loglik_consistency_not_applicable(
    chromium_browser: Any, loglik_site: Path
) -> None:
    def texts(tab: Any, selector: str) -> list[str]:
        found: list[str] = tab.eval_on_selector_all(
            selector, "cells => cells.map(c => c.textContent)"
        )
        return found

    with opened(chromium_browser, loglik_site / "index.html") as tab:
        bpb = tab.get_attribute(
            "table#overview th[data-key='flores_v1/bits_per_byte@sample']", "class"
        )
        c = next(name for name in (bpb or "").split() if re.fullmatch(r"c\d+", name))
        tab.select_option("select#filter-family", "bits per byte")
        assert texts(tab, "table#overview tbody td.mean") == ["0.000", "8.000"]
        assert texts(tab, "table#overview tbody td.rank") == ["1", "2"]
        assert tab.locator(f"table#overview thead th.task.{c}").is_visible()
        assert not tab.locator("table#overview thead th.fam-translated-qa").first.is_visible()
        tab.select_option("select#filter-script", "Deva")  # npi_Deva alone
        assert texts(tab, f"table#overview tbody td.score.{c} a.drill") == ["0.000", "8.000"]
        assert texts(tab, f"table#overview tbody td.score.{c} .ci") == ["0.00–0.00", "8.00–8.00"]
        assert texts(tab, f"table#overview tbody td.ln.{c}") == ["n/a", "n/a"]
        assert texts(tab, f"table#overview tbody td.cons.{c}") == ["n/a", "n/a"]
        tab.select_option("select#filter-family", "log-likelihood")
        means = texts(tab, "table#overview tbody td.mean")  # acc over Deva, in points
        assert means[0] == "100.0" and re.fullmatch(r"\d{1,2}\.\d", means[1]), means
        assert texts(tab, "table#overview tbody td.cons.na") == ["n/a"] * 4
        group = tab.locator("table#overview thead th.group.loglik").first
        assert group.is_visible() and group.get_attribute("colspan") == "3"


@pytest.mark.parametrize(
    "key", ["../../../elsewhere/evil", "/x/y/z", "a/b/c/../../../../elsewhere/evil"]
)
def test_the_drill_down_loads_only_the_sites_own_data(
    site: Path, chromium_browser: Any, key: str
) -> None:
    """Before: `samples.html#d=../../../elsewhere/evil` loaded and ran elsewhere/evil/index.js
    (any script beside the site). Now a key that is not the site's own naming is refused."""
    evil = site.parent / "elsewhere" / "evil" / "index.js"
    evil.parent.mkdir(parents=True, exist_ok=True)
    evil.write_text("window.pwned = true;\n", encoding="utf-8")
    with opened(chromium_browser, site / "samples.html") as tab:
        tab.goto(f"{(site / 'samples.html').as_uri()}#d={key}")
        tab.wait_for_selector("section#samples[data-state=error]")
        assert tab.evaluate("window.pwned === undefined")
        assert tab.evaluate("document.querySelectorAll('script[src*=evil]').length") == 0
        assert "No samples named" in tab.locator("#samples-status").inner_text()
