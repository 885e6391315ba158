"""The built leaderboard in a real browser: Debian's Chromium driven by Playwright (no browser
download), from file://. Sorting, folding a family, the filters and a drill-down are used as a
reader would; what a person would see is asserted (the model column in sight after scrolling
the table right, no page wider than a phone's screen, every chart with its axis and whiskers),
and screenshots of the overview, a task page and a drill-down at 1400×900 and 390×844 (a
phone) are saved to test-artifacts/ (CI keeps them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.leaderboard.browser import ARTIFACTS, DESKTOP, PHONE, chromium, opened

pytest.importorskip("playwright.sync_api")

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
    with chromium() as launched:
        yield launched


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


def open_family(tab: Any, family: str) -> None:
    """Click a family's header open (its task columns show)."""
    head = tab.locator(f"table#overview th.family[data-family='{family}']")
    head.locator("button.fold").click()
    assert head.locator("button.fold").get_attribute("aria-expanded") == "true"


def test_a_drill_down_shows_the_samples_behind_a_number(page: Any) -> None:
    open_family(page, "translated QA")
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
        open_family(tab, "language confusion")
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
        qa = tab.locator("table#overview thead th.family[data-family='translated QA']")
        assert not qa.is_visible()  # no column of the family has a language in Deva
        family = tab.locator("table#overview thead th.family[data-family='language confusion']")
        assert family.is_visible() and family.get_attribute("colspan") == "7"  # mean, 2 × 3


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
        assert texts(tab, "table#overview tbody td.mean .v") == ["0.000", "8.000"]
        assert texts(tab, "table#overview tbody td.mean .ci") == ["0.00–0.00", "8.00–8.00"]
        assert texts(tab, "table#overview tbody td.rank") == ["1", "2"]
        assert tab.locator(f"table#overview thead th.task.{c}").is_visible()
        assert not tab.locator("table#overview thead th.fam-translated-qa").first.is_visible()
        tab.select_option("select#filter-script", "Deva")  # npi_Deva alone
        assert texts(tab, f"table#overview tbody td.score.{c} a.drill") == ["0.000", "8.000"]
        assert texts(tab, f"table#overview tbody td.score.{c} .ci") == ["0.00–0.00", "8.00–8.00"]
        assert texts(tab, f"table#overview tbody td.ln.{c}") == ["n/a", "n/a"]
        assert texts(tab, f"table#overview tbody td.cons.{c}") == ["n/a", "n/a"]
        tab.select_option("select#filter-family", "log-likelihood")
        means = texts(tab, "table#overview tbody td.mean .v")  # acc over Deva, in points
        assert means[0] == "100.0" and re.fullmatch(r"\d{1,2}\.\d", means[1]), means
        assert texts(tab, "table#overview tbody td.cons.na") == ["n/a"] * 4
        family = tab.locator("table#overview thead th.family[data-family='log-likelihood']")
        assert family.is_visible() and family.get_attribute("colspan") == "4"  # mean, 1 column


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


# ---- what a person sees: layout, charts, folding, at a desk and on a phone


@pytest.fixture(scope="module")
def wide_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the committed result set: dozens of task columns, wider than any screen."""
    from harness.leaderboard import build_site

    out = tmp_path_factory.mktemp("committed") / "site"
    build_site(REPO / "results", out)
    return out


SIZES = pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1400x900", "390x844"])


def shoot(tab: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def assert_fits(tab: Any, width: int) -> None:
    """The page is no wider than the screen: what is wider (a table) scrolls in its own box."""
    assert tab.evaluate("document.documentElement.scrollWidth") <= width
    wider = tab.evaluate(
        """width => [...document.querySelectorAll('main *, footer *')]
             .filter(e => !e.closest('.table-wrap, svg, details:not([open]), [hidden]'))
             .filter(e => e.getBoundingClientRect().right > width + 0.5)
             .map(e => e.tagName + '.' + e.className)""",
        width,
    )
    assert wider == []


def open_every_family(tab: Any) -> None:
    for button in tab.locator("table#overview th.family button.fold").all():
        if button.get_attribute("aria-expanded") == "false":
            button.click()


@SIZES
def test_the_pages_fit_the_screen_and_are_photographed(
    wide_site: Path, chromium_browser: Any, size: tuple[int, int]
) -> None:
    width, height = size
    name = f"{width}x{height}"
    with opened(chromium_browser, wide_site / "index.html", size) as tab:
        shoot(tab, f"overview-{name}")
        assert_fits(tab, width)
        open_every_family(tab)
        assert_fits(tab, width)
        shoot(tab, f"overview-open-{name}")
        tab.locator("table#overview td.score a.drill").first.click()
        tab.wait_for_selector("section#samples[data-state=ready]")
        assert_fits(tab, width)
        shoot(tab, f"drill-down-{name}")
    with opened(chromium_browser, wide_site / "tasks" / "mgsm.html", size) as tab:
        assert_fits(tab, width)
        shoot(tab, f"task-mgsm-{name}")


@SIZES
def test_the_model_column_and_header_stay_in_sight_when_the_table_scrolls(
    wide_site: Path, chromium_browser: Any, size: tuple[int, int]
) -> None:
    with opened(chromium_browser, wide_site / "index.html", size) as tab:
        open_every_family(tab)
        model = tab.locator("table#overview tbody td.model").first
        before = model.bounding_box()
        scrolled = tab.evaluate(
            """() => { const w = document.querySelector('.table-wrap.board');
                       w.scrollLeft = w.scrollWidth; return w.scrollLeft; }"""
        )
        assert scrolled > 500  # far to the right
        after = model.bounding_box()
        assert before and after and abs(after["x"] - before["x"]) < 1
        assert after["x"] >= 0 and after["x"] + after["width"] <= size[0]
        # nothing covers it: the element at its centre is the model's own cell
        centre = (after["x"] + after["width"] / 2, after["y"] + after["height"] / 2)
        covered = tab.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('td.model') !== null",
            list(centre),
        )
        assert covered and model.inner_text().strip() == "baseline:reference"
        # the header stays at the top of the table's box while it scrolls down
        tab.evaluate("document.querySelector('.table-wrap.board').style.maxHeight = '180px'")
        wrap = tab.locator(".table-wrap.board").bounding_box()
        tab.evaluate("document.querySelector('.table-wrap.board').scrollTop = 400")
        head = tab.locator("table#overview thead th.model").bounding_box()
        assert wrap and head and abs(head["y"] - wrap["y"]) < 2


def chart_facts(tab: Any) -> list[dict[str, Any]]:
    """Per chart on the page: its axis, ticks, title, and per row (top to bottom) its value and
    whether it has a whisker."""
    facts: list[dict[str, Any]] = tab.evaluate(
        """() => [...document.querySelectorAll('svg.chart')].map(svg => ({
             axis: svg.querySelectorAll('line.axis').length,
             ticks: [...svg.querySelectorAll('text.tick')].map(t => t.textContent),
             title: svg.querySelector('text.title').textContent,
             rows: [...svg.querySelectorAll('g.row')]
               .map(g => ({y: g.getBoundingClientRect().y,
                           value: g.querySelector('text.value').textContent,
                           whisker: g.querySelector('path.whisker').getAttribute('d') !== ''}))
               .sort((a, b) => a.y - b.y)}))"""
    )
    return facts


def test_every_chart_has_its_axis_and_interval_whiskers(
    wide_site: Path, chromium_browser: Any
) -> None:
    pages = ["index.html", "tasks/mgsm.html", "tasks/flores.html", "tasks/flores_v1.html"]
    for name in pages:
        with opened(chromium_browser, wide_site / name) as tab:
            charts = chart_facts(tab)
            assert charts, name
            for chart in charts:
                assert chart["axis"] == 1 and len(chart["ticks"]) == 5, (name, chart)
                shown = [row for row in chart["rows"] if row["value"] != "–"]
                assert shown and all(row["whisker"] for row in shown), (name, chart)


def test_the_filters_drive_the_chart(wide_site: Path, chromium_browser: Any) -> None:
    def values(chart: dict[str, Any]) -> list[float]:
        return [float(row["value"].split()[0]) for row in chart["rows"] if row["value"] != "–"]

    with opened(chromium_browser, wide_site / "index.html") as tab:
        (headline,) = chart_facts(tab)
        assert headline["title"].startswith("Mean over tasks")
        assert values(headline) == sorted(values(headline), reverse=True)  # best first
        tab.select_option("select#filter-family", "translation")
        (translation,) = chart_facts(tab)
        assert translation["title"].startswith("translation: chrF++ mean")
        assert values(translation) != values(headline)
        assert values(translation) == sorted(values(translation), reverse=True)
        assert all(row["whisker"] for row in translation["rows"])  # chrF++ has intervals
        # the chart shows what the table's mean column shows
        column = tab.eval_on_selector_all(
            "table#overview tbody td.mean .v", "cells => cells.map(c => c.textContent)"
        )
        assert sorted(values(translation)) == sorted(float(v) for v in column)
        tab.select_option("select#filter-script", "Deva")
        (deva,) = chart_facts(tab)
        assert values(deva) != values(translation)
        assert "script Deva" in tab.locator("#chart-view").inner_text()
        tab.select_option("select#filter-family", "bits per byte")
        (bpb,) = chart_facts(tab)  # lower is better: the lowest first, on its own axis
        assert values(bpb) == sorted(values(bpb)) and bpb["ticks"][-1] != "100"


def test_a_family_folds_and_unfolds_from_the_keyboard(page: Any) -> None:
    page.select_option("select#filter-family", "all")
    page.select_option("select#filter-script", "all")
    head = page.locator("table#overview th.family[data-family='reasoning']")
    button = head.locator("button.fold")
    tasks = page.locator("table#overview thead th.task.fam-reasoning")
    if button.get_attribute("aria-expanded") == "true":
        button.click()
    assert not tasks.first.is_visible() and head.get_attribute("colspan") == "1"
    means = page.locator("table#overview tbody td.fmean.fam-reasoning")
    assert means.first.is_visible() and "–" in means.first.inner_text()  # mean, interval
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    assert tasks.first.is_visible()
    assert head.get_attribute("colspan") == str(1 + 3 * tasks.count())
    page.keyboard.press("Space")
    assert button.get_attribute("aria-expanded") == "false"
    assert not tasks.first.is_visible() and head.get_attribute("colspan") == "1"
