"""The language view and a model page in a real browser (Debian's Chromium driven by
Playwright, from file://), at a desktop's 1400×900 and a phone's 390×844: screenshots are
saved to test-artifacts/ (CI keeps them), and what a reader would see is asserted: the
model page's summary in the first screen, rankings in rank order with ties shown, the jump to
a language, no sideways scrolling of the page on a phone (only inside table containers).

The site is built from the committed result set (results/), as the published one is, and a
small one whose model names are long enough to widen a careless layout."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from harness.leaderboard import build_site
from harness.leaderboard.names import model_page
from tests.conftest import REPO
from tests.leaderboard.browser import ARTIFACTS, DESKTOP, PHONE, chromium, opened
from tests.leaderboard.test_leaderboard_language_ranks import ENG, HIN, Task, write_run

pytest.importorskip("playwright.sync_api")

MODEL = "baseline:random"  # of the committed result set: ranked, with worst languages
LONG = "an-organisation-with-a-long-name/Some-Model-Name-70B-Instruct-v0.3-GGUF-Q4_K_M"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("views") / "site"
    build_site(REPO / "results", out)
    return out


@pytest.fixture(scope="module")
def long_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("long")
    for i, model in enumerate((LONG, LONG.upper(), "short", "another")):
        score = (0.30 + 0.02 * i, 0.20, 0.45)  # all four tied
        task = Task("translated QA", "accuracy", {ENG: score, HIN: score})
        write_run(root / "results" / f"run{i}", model, {"a-task-with-a-long-name-too": task})
    build_site(root / "results", root / "site")
    return root / "site"


@pytest.fixture(scope="module")
def browser(site: Path, long_site: Path) -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def box(tab: Any, selector: str) -> dict[str, float]:
    found: dict[str, float] | None = tab.eval_on_selector(
        selector,
        "e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; }",
    )
    assert found is not None, selector
    return found


def page_width(tab: Any) -> int:
    width: int = tab.evaluate("document.documentElement.scrollWidth")
    return width


RANKINGS = """tables => tables.map(t => ({
  lower: t.dataset.lower === "1",
  rows: Array.from(t.tBodies[0].rows).map(r => ({
    rank: parseInt(r.dataset.rank, 10),
    shown: r.querySelector("td.rank").textContent.trim(),
    value: parseFloat(r.querySelector("td.score .v").textContent),
  })),
}))"""


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_language_view_ranks_models_with_ties(browser: Any, site: Path, size: Any) -> None:
    with opened(browser, site / "languages.html", size, "languages") as tab:
        rankings = tab.eval_on_selector_all("table.ranking", RANKINGS)
        assert len(rankings) > 20
        ties = 0
        for ranking in rankings:
            rows = ranking["rows"]
            assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
            for row in rows:  # a shared rank is shown as a tie, a rank of one's own is not
                shared = sum(other["rank"] == row["rank"] for other in rows) > 1
                assert row["shown"] == ("=" if shared else "") + str(row["rank"])
                ties += shared
            for a, b in pairwise(rows):  # the better value first in a rank
                if a["rank"] == b["rank"]:
                    assert (
                        (a["value"] <= b["value"]) if ranking["lower"] else a["value"] >= b["value"]
                    )
        assert ties > 0  # the baselines of the committed set tie where their intervals overlap
        # every score carries its interval where the runs give one, and its basis on hover
        first = tab.locator("section.language table.ranking td.score").first
        assert first.locator(".ci").inner_text().strip()
        assert "mean over" in (first.get_attribute("title") or "")
        assert page_width(tab) <= size[0]  # the page itself never scrolls sideways
        if size == DESKTOP:  # the models sorted by their gap to English, the largest first
            tab.locator("table#model-gaps th[data-col='1']").click()
            gaps = tab.eval_on_selector_all(
                "table#model-gaps tbody td:nth-child(2)", "cs => cs.map(c => c.dataset.value)"
            )
            values = [float(v) for v in gaps if v]
            assert len(values) >= 3 and values == sorted(values)
        if size == PHONE:  # and the rankings fit the phone without scrolling inside
            widths = tab.eval_on_selector_all(
                "section.language .table-wrap", "ws => ws.map(w => w.scrollWidth - w.clientWidth)"
            )
            assert widths and max(widths) <= 0


def test_the_jump_to_a_language_and_the_best_model_index(browser: Any, site: Path) -> None:
    with opened(browser, site / "languages.html", PHONE) as tab:
        tab.select_option("select#language-jump", "lang-ben_Beng")
        tab.wait_for_function("location.hash === '#lang-ben_Beng'")
        top = box(tab, "section#lang-ben_Beng")["top"]
        assert 0 <= top < 40  # the section is at the top of the screen
        assert tab.locator("section#lang-ben_Beng table.ranking caption").first.inner_text()
        tab.screenshot(path=str(ARTIFACTS / "languages-bengali-390x844.png"))
        tab.evaluate("window.scrollTo(0, 0)")
        link = tab.locator("#leaders-table a[href^='#lang-']:not([href='#lang-ben_Beng'])").last
        target = link.get_attribute("href")
        link.click()
        assert 0 <= box(tab, f"section{target}")["top"] < 40


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_model_page_opens_with_its_summary(browser: Any, site: Path, size: Any) -> None:
    path = site / model_page(MODEL)
    with opened(browser, path, size, "model") as tab:
        parts = ["#headline", "#families", "#model-languages", "#model-consistency"]
        boxes = {part: box(tab, part) for part in [*parts, "#details"]}
        if size == DESKTOP:  # the whole summary on the first screen
            for part in [*parts, "#best-languages", "#worst-languages", "#gap-to-english"]:
                assert box(tab, part)["bottom"] <= size[1], part
        else:  # stacked in reading order, the headline and families begun on the first screen
            tops = [boxes[part]["top"] for part in [*parts, "#details"]]
            assert tops == sorted(tops)
            assert boxes["#headline"]["bottom"] <= size[1] and boxes["#families"]["top"] < size[1]
        assert boxes["#details"]["top"] >= max(boxes[part]["bottom"] for part in parts)
        # numbers with their intervals and ranks
        assert tab.locator("#headline .headline-score .ci").inner_text().strip()
        ranks = tab.locator("#families tbody tr td:last-child").all_inner_texts()
        assert ranks and all("/" in rank for rank in ranks)
        assert tab.locator("#worst-languages li .ci-inline").first.inner_text().strip()
        # the details are folded; opening the matrix keeps its width inside its container
        grid = tab.locator("table#model-grid")
        assert not grid.is_visible()
        tab.locator("details#grid > summary").click()
        assert grid.is_visible()
        assert page_width(tab) <= size[0]
        # the consistency card's link opens the folded list of failures
        tab.locator("#model-consistency a[href='#consistency']").click()
        tab.wait_for_function("document.querySelector('details#consistency').open")
        tab.screenshot(path=str(ARTIFACTS / f"model-details-{size[0]}x{size[1]}.png"))


def test_long_names_never_widen_the_phone_page(browser: Any, long_site: Path) -> None:
    for name, path in (("languages", "languages.html"), ("model", model_page(LONG))):
        with opened(browser, long_site / path, PHONE, f"{name}-long-names") as tab:
            assert page_width(tab) <= PHONE[0], path
            if name == "languages":  # three of the four tied leaders named, one counted
                leaders = tab.locator("#leaders-table tbody").inner_text()
                assert leaders.count("and 1 more tied") == 2  # English and Hindi
                assert tab.locator("#leaders-table .tie-mark").count() == 2 * 3
