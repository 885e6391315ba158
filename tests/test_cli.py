"""The command line: instant help, task listing, and `show` on a finished run."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.conftest import REPO

HEAVY = ("datasets", "pandas", "openai", "vllm", "pyarrow", "jinja2", "pydantic")


def test_help_imports_no_heavy_library() -> None:
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from harness.cli import main\n"
        "for args in (['--help'], ['run', '--help']):\n"
        "    assert CliRunner().invoke(main, args).exit_code == 0\n"
        f"print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_tasks_lists_kind_languages_and_variants(evaluate: Callable[..., Result]) -> None:
    result = evaluate("tasks")
    assert result.exit_code == 0
    lines = {
        line.split()[1]: line
        for line in result.output.splitlines()
        if "│" in line and len(line.split()) > 2
    }
    assert "short_answer" in lines["mgsm"] and "native_cot" in lines["mgsm"]
    assert "multiple_choice" in lines["belebele"] and "122" in lines["belebele"]


def test_show_prints_the_score_table_of_a_run(
    evaluate: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    evaluate("run --model baseline:reference --tasks mgsm --languages de,ja --limit 3", output=out)
    result = evaluate("show", str(out))
    assert result.exit_code == 0
    assert "deu_Latn" in result.output and "jpn_Jpan" in result.output
    assert "100.0" in result.output and "mgsm/native_cot" in result.output
    scores = json.loads((out / "scores.json").read_text())
    assert {r["language"] for r in scores} == {"deu_Latn", "jpn_Jpan"}


def test_show_unknown_run_is_a_one_line_error(evaluate: Callable[..., Result]) -> None:
    result = evaluate("show no-such-run")
    assert result.exit_code == 2 and result.output.startswith("error: no finished run")
