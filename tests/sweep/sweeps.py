"""What the sweep tests share: the sweep file of 3 models x 4 tasks, a test server that holds
one cell's requests until told, finding a cell's process, and sites compared as data."""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from click.testing import CliRunner

from harness.cli import main
from harness.sweep.cells import plan_sweep
from harness.sweep.spec import SweepSpec
from tests.fake_server import FakeServer

# XNLI's Hindi prompts (the word for "hypothesis"): the cells of the second language shard
HINDI_NLI = "परिकल्पना"
KILLED = "openai-fake-model__nli__2of2"


def sweep_data(base_url: str, output: Path, **more: Any) -> dict[str, Any]:
    """3 models (two baselines and a model behind the test server) x 4 tasks in two groups,
    the NLI group in two language shards: 9 cells."""
    return {
        "output": str(output),
        "options": {"source": "sample", "limit": 2},
        "models": [
            {"model": "baseline:random"},
            {"model": "baseline:reference"},
            {"model": "openai:fake-model", "options": {"base_url": base_url, "timeout": 60}},
        ],
        "tasks": {
            "core": ["belebele", "xcopa", "mgsm"],
            "nli": {
                "tasks": ["xnli"],
                "languages": ["en", "de", "fr", "hi", "ur"],
                "shard_languages": 2,
            },
        },
        "local": {"workers": 2},
        **more,
    }


def write_sweep(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class HoldingServer(FakeServer):
    """The test server, holding every request whose body holds `hold` until `hold` is None."""

    hold: str | None = None
    held: threading.Event = field(default_factory=threading.Event)

    async def _serve(self, request: web.Request, chat: bool) -> web.StreamResponse:
        body = json.dumps(await request.json(), ensure_ascii=False)
        while self.hold is not None and self.hold in body:
            self.held.set()
            await asyncio.sleep(0.05)
        return await super()._serve(request, chat)


def cell_processes(cell: str) -> list[tuple[int, int]]:
    """(pid, parent pid) of each `evaluate run` process of this cell."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            status = (entry / "status").read_text()
        except OSError:
            continue
        if b"harness.cli" in argv and any(a.endswith(f"cells/{cell}".encode()) for a in argv):
            parent = re.search(r"^PPid:\s+(\d+)", status, re.MULTILINE)
            found.append((int(entry.name), int(parent.group(1)) if parent else 0))
    return found


def wait_for(condition: Any, what: str, timeout_s: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def reference_results(data: dict[str, Any], folder: Path) -> Path:
    """The same cells, unsharded, run one after another in this process: the single-process
    run a sweep's merged tree must equal, laid out as collect lays one out (runs/<cell>)."""
    unsharded = json.loads(json.dumps(data))
    unsharded["tasks"]["nli"].pop("shard_languages")
    spec = SweepSpec.model_validate(unsharded)
    planned = plan_sweep(spec, None, "reference", output=folder)
    for cell in planned.plan.cells:
        result = CliRunner().invoke(main, cell.argv(folder), catch_exceptions=False)
        assert result.exit_code == 0, result.output
    (folder / "cells").rename(folder / "runs")
    return folder


# a model page's rows of requests per run: sent, from the cache, failed, tokens paid for
ACCOUNTING = re.compile(r'^<tr( class="total")?><(td><code>|th>shown runs).*class="num"')


def site_data(site: Path) -> dict[str, str]:
    """Every file of a leaderboard site. In its HTML pages the runs' start and end times are
    blanked and the lines sorted (the runs table lists runs by their start), and the rows of
    requests sent and answered from the cache are left out: how the answers were had (a cell
    killed and launched again takes what it had received from its cache) is no result."""
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:\+00:00|Z)?")
    files = {}
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".html":
            lines = stamp.sub("TIME", text).splitlines()
            text = "\n".join(sorted(line for line in lines if not ACCOUNTING.match(line)))
        files[path.relative_to(site).as_posix()] = text
    return files


def leaderboard(results: Path, site: Path) -> dict[str, str]:
    result = CliRunner().invoke(
        main, ["leaderboard", "--results", str(results), "--out", str(site)]
    )
    assert result.exit_code == 0, result.output
    return site_data(site)


def manifests(cells: Path) -> dict[str, tuple[int, str]]:
    """Each cell folder's manifest: its modification time and text."""
    return {
        p.parent.name: (p.stat().st_mtime_ns, p.read_text())
        for p in sorted(cells.glob("*/manifest.json"))
    }


def env() -> dict[str, str]:
    from tests.conftest import REPO

    return {**os.environ, "PYTHONPATH": str(REPO)}
