"""Where a sweep's cells run: each is `python -m harness.cli run ...` in a process of its own,
whichever executor starts it, so that a cell killed at any moment leaves what a killed
`evaluate run` leaves (no run folder, or the one it replaces), and its answers in its cache.

- `local`: a bounded pool on this machine, at most `workers` cells at once;
- `slurm`: submitit job arrays, one array per model (each model asks for its own resources),
  at most `array_parallelism` jobs of an array at once; the launching process waits for them;
- `ray`: one Ray task per cell on a running cluster (`ray.init(address=...)`), with the cell's
  CPUs and GPUs; a task whose worker dies is run again by Ray (`max_retries`).

A cell that exits 3 (some requests failed) is run again, up to the sweep's `retries`, asking
only what failed (its cache holds the rest). A cell's process dies with the process that
started it (Linux), so that a worker that dies leaves no cell behind holding its folder.
"""

from __future__ import annotations

import ctypes
import os
import shlex
import signal
import socket
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from harness.errors import PolyevalError
from harness.sweep.cells import (
    COMPLETE,
    LOGS,
    Plan,
    PlanCell,
    Planned,
    cell_state,
    plan_sweep,
    read_plan,
    to_run,
    write_plan,
)
from harness.sweep.spec import (
    LocalSettings,
    RaySettings,
    SlurmSettings,
    gigabytes,
    load_sweep,
    minutes,
)

EXIT_INCOMPLETE = 3  # `evaluate run`: some requests failed; run it again to ask only those
DEFAULT_SLURM_MINUTES = 240
Outcome = int | str  # a cell's exit code (negative: the signal that killed it), or what ended it
Echo = Callable[[str], None]
_PR_SET_PDEATHSIG = 1


def python_command() -> list[str]:
    """How a cell's `evaluate` is started: this Python, running the harness's command line."""
    return [sys.executable, "-m", "harness.cli"]


def run_cell(argv: list[str], log: str) -> int:
    """Run one cell, `evaluate ARGV`, in a process of its own, its output appended to `log`;
    its exit code (negative: killed by that signal). What every executor runs."""
    path = Path(log)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(
            f"== {started} on {socket.gethostname()} (pid {os.getpid()}): "
            f"evaluate {shlex.join(argv)}\n"
        )
        handle.flush()
        done = subprocess.run(
            [*python_command(), *argv],
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            check=False,
        )
        handle.write(f"== exit {done.returncode}\n")
    return done.returncode


def _die_with_parent() -> None:
    """In the cell's process before it starts: be killed when the process that started it
    dies (a Ray worker or a Slurm job step killed, a sweep killed with kill -9)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class Runner(Protocol):
    def run(self, cells: list[PlanCell], sweep_dir: Path, echo: Echo) -> dict[str, Outcome]:
        """Run the cells, each once; each one's outcome."""
        ...


@dataclass
class LocalPool:
    settings: LocalSettings

    def run(self, cells: list[PlanCell], sweep_dir: Path, echo: Echo) -> dict[str, Outcome]:
        outcomes: dict[str, Outcome] = {}
        with ThreadPoolExecutor(max_workers=self.settings.workers) as pool:
            futures = {
                pool.submit(run_cell, cell.argv(sweep_dir), str(cell.log(sweep_dir))): cell
                for cell in cells
            }
            for future in as_completed(futures):
                cell = futures[future]
                outcomes[cell.id] = future.result()
                echo(f"{cell.id}: {describe(outcomes[cell.id])}")
        return outcomes


@dataclass
class SlurmArrays:
    settings: SlurmSettings

    def run(self, cells: list[PlanCell], sweep_dir: Path, echo: Echo) -> dict[str, Outcome]:
        submitit: Any = _import("submitit", "pip install submitit")
        by_model: dict[str, list[PlanCell]] = defaultdict(list)
        for cell in cells:
            by_model[cell.name].append(cell)
        jobs: list[tuple[PlanCell, Any]] = []
        for name, group in by_model.items():
            # an executor per model: one model's resources never carry over to the next
            executor = submitit.AutoExecutor(
                folder=sweep_dir / "submitit" / "%j", cluster=self.settings.cluster
            )
            executor.update_parameters(**submitit_parameters(group[0].slurm, f"polyeval-{name}"))
            array = executor.map_array(
                run_cell,
                [cell.argv(sweep_dir) for cell in group],
                [str(cell.log(sweep_dir)) for cell in group],
            )
            ids = sorted({str(job.job_id).split("_")[0] for job in array})
            echo(f"{name}: {len(group)} cell(s) submitted as job {', '.join(ids)}")
            jobs += zip(group, array, strict=True)
        outcomes: dict[str, Outcome] = {}
        for cell, job in jobs:
            try:
                outcomes[cell.id] = int(job.result())
            except Exception as exc:  # submitit's: the job was killed, timed out, cancelled
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                outcomes[cell.id] = f"job {job.job_id} ended without an exit code: {first}"
            echo(f"{cell.id}: {describe(outcomes[cell.id])}")
        return outcomes


def submitit_parameters(resources: dict[str, Any], name: str) -> dict[str, Any]:
    """A cell's Slurm resources as submitit's AutoExecutor parameters (the generic ones, and
    `slurm_` ones that only a Slurm cluster reads)."""
    parameters: dict[str, Any] = {
        "name": name,
        "timeout_min": minutes(resources.get("time", DEFAULT_SLURM_MINUTES)),
    }
    if (gpus := resources.get("gpus")) is not None:
        parameters["gpus_per_node"] = gpus
    if (cpus := resources.get("cpus")) is not None:
        parameters["cpus_per_task"] = cpus
    if (mem := resources.get("mem")) is not None:
        parameters["mem_gb"] = gigabytes(mem)
    for key in ("partition", "account", "qos", "constraint", "array_parallelism", "setup"):
        if (value := resources.get(key)) is not None:
            parameters[f"slurm_{key}"] = value
    if additional := resources.get("additional"):
        parameters["slurm_additional_parameters"] = dict(additional)
    return parameters


@dataclass
class RayTasks:
    settings: RaySettings
    started: bool = field(default=False, init=False)  # whether this runner called ray.init

    def run(self, cells: list[PlanCell], sweep_dir: Path, echo: Echo) -> dict[str, Outcome]:
        ray: Any = _import("ray", "pip install 'polyeval[ray]'")
        if not ray.is_initialized():
            ray.init(address=self.settings.address, log_to_driver=False)
            self.started = True
        remote = ray.remote(run_cell)
        refs: dict[Any, PlanCell] = {}
        for cell in cells:
            options = {
                "max_retries": self.settings.max_retries,
                "retry_exceptions": False,  # an exit code is an answer, not an exception
                "name": f"polyeval:{cell.id}",
                **cell.ray,
            }
            ref = remote.options(**options).remote(cell.argv(sweep_dir), str(cell.log(sweep_dir)))
            refs[ref] = cell
        outcomes: dict[str, Outcome] = {}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                cell = refs[ref]
                try:
                    outcomes[cell.id] = int(ray.get(ref))
                except ray.exceptions.RayError as exc:
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                    outcomes[cell.id] = f"its Ray task failed: {first}"
                echo(f"{cell.id}: {describe(outcomes[cell.id])}")
        return outcomes

    def close(self) -> None:
        if self.started:
            import ray

            ray.shutdown()


def _import(name: str, install: str) -> Any:
    """An optional library, or a one-line error saying how to install it."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        raise PolyevalError(f"the {name} executor needs {name}: {install}") from None


def describe(outcome: Outcome) -> str:
    """`complete`, `some requests failed (exit 3)`, `killed by SIGKILL`, ..."""
    if isinstance(outcome, str):
        return outcome
    if outcome == 0:
        return "complete"
    if outcome == EXIT_INCOMPLETE:
        return "some requests failed (exit 3)"
    if outcome < 0:
        try:
            return f"killed by {signal.Signals(-outcome).name}"
        except ValueError:
            return f"killed by signal {-outcome}"
    if outcome == 2:
        return "stopped by an error (exit 2): see its log"
    return f"exit {outcome}: see its log"


# ---- a launch


@dataclass
class Launched:
    """What a launch did: the cells it ran, each one's last outcome and attempts, and the
    state of every cell of the sweep afterwards."""

    planned: Planned
    ran: list[str]
    outcomes: dict[str, Outcome]
    attempts: dict[str, int]
    states: dict[str, str]  # every cell: complete, incomplete, missing

    @property
    def unfinished(self) -> list[str]:
        return [cell for cell, state in self.states.items() if state != COMPLETE]


def runner_for(kind: str, planned: Planned) -> Runner:
    spec = planned.spec
    if kind == "local":
        return LocalPool(spec.local)
    if kind == "slurm":
        return SlurmArrays(spec.slurm)
    if kind == "ray":
        return RayTasks(spec.ray)
    raise PolyevalError(f"unknown executor '{kind}' (local, slurm, ray)")


def launch(
    sweep_file: Path,
    *,
    executor: str | None = None,
    output: Path | None = None,
    retries: int | None = None,
    dry_run: bool = False,
    echo: Echo = print,
) -> Launched:
    """Plan the sweep, write its plan, and run every cell that is not complete yet; a cell that
    exits 3 is run again up to `retries` times (default: the sweep file's)."""
    spec, node = load_sweep(sweep_file)
    where = output.absolute() if output is not None else None  # --output: from here
    planned = plan_sweep(spec, node, str(sweep_file), where, base=sweep_file.absolute().parent)
    previous = _previous(planned.output)
    todo = to_run(planned, previous)
    write_plan(planned.output, planned.plan)
    (planned.output / LOGS).mkdir(parents=True, exist_ok=True)
    total = len(planned.plan.cells)
    echo(
        f"{planned.output}: {total} cell(s), {total - len(todo)} complete already, "
        f"{len(todo)} to run"
    )
    kind = executor or spec.executor
    outcomes: dict[str, Outcome] = {}
    attempts: dict[str, int] = {}
    if dry_run:
        for cell in todo:
            echo(f"{cell.id}: evaluate {shlex.join(cell.argv(planned.output))}")
    elif todo:
        runner = runner_for(kind, planned)
        limit = spec.retries if retries is None else retries
        batch = todo
        try:
            for attempt in range(1, limit + 2):
                for cell in batch:
                    attempts[cell.id] = attempt
                got = runner.run(batch, planned.output, echo)
                outcomes.update(got)
                batch = [c for c in batch if got.get(c.id) == EXIT_INCOMPLETE]
                if not batch or attempt > limit:
                    break
                echo(f"running {len(batch)} cell(s) again (attempt {attempt + 1} of {limit + 1})")
        finally:
            if isinstance(runner, RayTasks):
                runner.close()
    states = {cell.id: cell_state(planned.output, cell) for cell in planned.plan.cells}
    return Launched(planned, [c.id for c in todo], outcomes, attempts, states)


def _previous(output: Path) -> Plan | None:
    try:
        return read_plan(output)
    except PolyevalError:
        return None  # a damaged plan: every cell is checked by its folder alone
