"""`evaluate leaderboard --check`: is the site in a folder what the runs give now?

The site is built into a temporary folder and compared with the folder, file by file (paths
in sorted order); the first file that differs, is missing or is not expected names the
problem. Nothing in the folder is changed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from harness import garbage
from harness.leaderboard.build import write_site
from harness.leaderboard.runs import load_runs


def check_site(results: Path, out: Path) -> str | None:
    """None where the site in `out` is up to date; else one line saying what is stale."""
    with garbage.paused():  # as build_site
        runs = load_runs(results)
        if not out.is_dir():
            return f"{out}: no leaderboard here; build it with `evaluate leaderboard --out {out}`"
        with tempfile.TemporaryDirectory(prefix="polyeval-site-") as tmp:
            fresh = Path(tmp) / "site"
            write_site(runs.runs, fresh)
            problem = first_difference(fresh, out)
    if problem is None:
        return None
    return f"{out}: the leaderboard is stale ({problem}); rebuild it with `evaluate leaderboard`"


def first_difference(expected: Path, actual: Path) -> str | None:
    """The first file (sorted by path) that differs between two trees, or None."""
    want, have = _files(expected), _files(actual)
    for name in sorted(set(want) | set(have)):
        if name not in have:
            return f"{name} is missing"
        if name not in want:
            return f"{name} is not expected"
        if want[name].stat().st_size != have[name].stat().st_size or (
            want[name].read_bytes() != have[name].read_bytes()
        ):
            return f"{name} differs"
    return None


def _files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}
