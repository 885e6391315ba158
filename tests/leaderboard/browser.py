"""What the leaderboard's browser tests share: Debian's Chromium driven by Playwright (no
browser download), the two screen sizes they look at, where screenshots go (test-artifacts/,
which CI keeps), and a tab that fails the test on any script error."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

CHROMIUM = next(
    (
        path
        for path in (os.environ.get("POLYEVAL_CHROMIUM"), "/usr/lib/chromium/chromium")
        if path and Path(path).is_file()
    ),
    shutil.which("chromium"),
)
ARTIFACTS = Path(os.environ.get("POLYEVAL_ARTIFACTS", REPO / "test-artifacts"))
DESKTOP, PHONE = (1400, 900), (390, 844)


@contextmanager
def chromium() -> Iterator[Any]:
    """A started Chromium; the test is skipped where it is not installed."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@contextmanager
def opened(
    browser: Any, path: Path, size: tuple[int, int] = DESKTOP, shot: str = ""
) -> Iterator[Any]:
    """A tab of `size` showing `path` (a screenshot of its first screen saved as `shot`, where
    given); no script error may happen on it."""
    tab = browser.new_page(viewport={"width": size[0], "height": size[1]})
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(path.as_uri())
    if shot:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{shot}-{size[0]}x{size[1]}.png"))
    yield tab
    tab.close()
    assert errors == [], errors
