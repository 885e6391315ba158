"""The language identifiers a run can judge its answers with, by name: checked here, apart from
their tables and models (harness.langid), so that an option is checked without loading them."""

from __future__ import annotations

from harness.errors import PolyevalError

DETECTORS: tuple[str, ...] = ("default", "lid176")


def check_detector(detector: str) -> None:
    if detector not in DETECTORS:
        raise PolyevalError(f"unknown language detector '{detector}'; use default or lid176")
