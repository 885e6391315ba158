"""docs/authoring.md works word for word: its ```bash blocks, run in order in an empty folder,
scaffold, validate, run and publish the worked example's task."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "authoring.md"
BASH_BLOCK = re.compile(r"^```bash\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def bash_blocks() -> list[str]:
    return BASH_BLOCK.findall(GUIDE.read_text(encoding="utf-8"))


def test_guide_has_the_worked_example() -> None:
    script = "\n".join(bash_blocks())
    for command in (
        "evaluate new-task syndarin_hy --kind multiple_choice --tasks-dir my_tasks",
        "evaluate validate my_tasks/syndarin_hy",
        "evaluate leaderboard --results results --out site",
    ):
        assert command in script


def test_guide_runs_end_to_end(tmp_path: Path) -> None:
    script = "set -euo pipefail\n" + "\n".join(bash_blocks())
    bin_dir = Path(sys.executable).parent  # the `evaluate` of this environment
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "XDG_CACHE_HOME": str(tmp_path / ".cache"),  # a private response cache
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output

    # the task validates
    validated = subprocess.run(
        [str(bin_dir / "evaluate"), "validate", "my_tasks/syndarin_hy"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr

    # the run scored 100% in Armenian, in every variant it ran
    scores_file = tmp_path / "results" / "syndarin-reference" / "scores.json"
    assert scores_file.is_file(), output
    scores = json.loads(scores_file.read_text(encoding="utf-8"))
    primary = {
        row["variant"]: row["value"]
        for row in scores
        if row["task"] == "syndarin_hy"
        and row["language"] == "hye_Armn"
        and row["metric"] == "accuracy"
        and row["by"] is None
    }
    assert set(primary) == {"zero_shot", "bilingual"}, scores
    assert all(value == 1.0 for value in primary.values()), primary

    # the leaderboard shows the task
    index = tmp_path / "site" / "index.html"
    assert index.is_file(), output
    assert "syndarin_hy" in index.read_text(encoding="utf-8")
