"""SWEEP.yaml: which models run which task groups, with which `evaluate run` options, where,
and on what executor.

```yaml
output: sweeps/main          # the sweep's folder (cells/, caches/, logs/, sweep.json)
executor: local              # local | slurm | ray (`evaluate sweep --executor` overrides)
retries: 2                   # a cell that exits 3 (some requests failed) is run again up to 2 times
options:                     # `evaluate run` options of every cell, by their long names
  source: hub
  limit: 100
  seed: 1234
models:
  - model: baseline:random
  - model: openai:Qwen/Qwen2.5-7B-Instruct
    name: qwen7b             # its part of the cell ids (default: the model, as a slug)
    options: {base_url: http://127.0.0.1:8000/v1, concurrency: 64}
  - model: vllm:meta-llama/Llama-3.1-8B-Instruct
    options: {model_arg: {dtype: bfloat16, max_model_len: 8192}}
    slurm: {gpus: 1, cpus: 8, mem: 64G, time: 240}
    ray: {num_gpus: 1}
tasks:                       # groups of tasks: one cell per model and group
  reasoning: [mgsm, xcopa]
  reading:
    tasks: [belebele]
    shard_languages: 4       # four cells, a quarter of the languages each
    variants: [zero_shot]
local: {workers: 2}
slurm: {partition: gpu, time: 240, cpus: 4, mem: 32G, array_parallelism: 16}
ray: {address: auto, num_cpus: 1}
```

`tasks` may also be a plain list: each task is a group of its own. Options are those of
`evaluate run` by their long names (`base_url` or `base-url`; `model_arg` for -M, as a mapping;
a repeatable option takes a list; `languages`, `variants` and `pairs` a list or a comma-separated
text); the model, tasks, output and cache are the sweep's own. The options of the file, then the
model's, then the group's: the later wins. Relative paths (output, cache, data_dir, ...) are
taken from the sweep file's folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.schema import read_model

EXECUTORS = ("local", "slurm", "ray")
Executor = Literal["local", "slurm", "ray"]
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
Scalar = str | int | float | bool
OptionValue = Scalar | list[Scalar] | dict[str, Scalar]
Options = dict[str, OptionValue]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlurmResources(_Strict):
    """What one cell's job asks of Slurm (submitit's AutoExecutor parameters)."""

    partition: str | None = None
    time: int | str | None = None  # minutes, or [D-]HH:MM[:SS]
    gpus: Annotated[int, Field(ge=0)] | None = None  # per node
    cpus: Annotated[int, Field(ge=1)] | None = None  # per task
    mem: int | float | str | None = None  # GB as a number, or 64G, 500M
    account: str | None = None
    qos: str | None = None
    constraint: str | None = None
    array_parallelism: Annotated[int, Field(ge=1)] | None = None  # jobs of an array at once
    setup: list[str] | None = None  # shell lines run before each job (module load, venv)
    additional: dict[str, Scalar] | None = None  # any other sbatch option: {exclusive: true}

    @field_validator("time")
    @classmethod
    def _time(cls, value: int | str | None) -> int | str | None:
        if value is not None:
            minutes(value)  # checked here, converted where used
        return value

    @field_validator("mem")
    @classmethod
    def _mem(cls, value: int | float | str | None) -> int | float | str | None:
        if value is not None:
            gigabytes(value)
        return value


class SlurmSettings(SlurmResources):
    """The slurm executor: submitit job arrays, one per model (its resources differ)."""

    # submitit's cluster: slurm; local (the same jobs as local processes, to try a sweep
    # file); debug (in the launching process, one after another); None: slurm where sbatch
    # is found, else local
    cluster: Literal["slurm", "local", "debug"] | None = None


class RayResources(_Strict):
    num_cpus: Annotated[float, Field(ge=0)] | None = None
    num_gpus: Annotated[float, Field(ge=0)] | None = None
    memory: Annotated[int, Field(ge=0)] | None = None  # bytes
    resources: dict[str, float] | None = None  # custom Ray resources


class RaySettings(RayResources):
    """The ray executor: one Ray task per cell on a running cluster."""

    address: str | None = None  # ray.init(address=...): "auto", "ray://head:10001"; None: local
    max_retries: Annotated[int, Field(ge=0)] = 3  # a cell whose worker dies is run again


class LocalSettings(_Strict):
    workers: Annotated[int, Field(ge=1)] = 2  # cells running at once


class ModelEntry(_Strict):
    model: str  # KIND:NAME, as `evaluate run --model`
    name: str | None = None  # its part of the cell ids; default: `model` as a slug
    options: Options = Field(default_factory=dict)
    slurm: SlurmResources | None = None
    ray: RayResources | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not NAME.match(value):
            raise ValueError("a name is letters, digits, '.', '_' and '-'")
        return value

    @property
    def slug(self) -> str:
        return self.name or slug(self.model)


class TaskGroup(_Strict):
    tasks: Annotated[list[str], Field(min_length=1)]
    languages: list[str] | str | None = None
    variants: list[str] | str | None = None
    pairs: list[str] | str | None = None
    shard_languages: Annotated[int, Field(ge=1)] | None = None
    options: Options = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        """`reasoning: [mgsm, xcopa]`: a group that is only its tasks."""
        if isinstance(data, list):
            return {"tasks": data}
        if isinstance(data, str):
            return {"tasks": [data]}
        return data


class SweepSpec(_Strict):
    output: str
    executor: Executor = "local"
    retries: Annotated[int, Field(ge=0)] = 1
    # the response cache: None, one of its own beside each cell (caches/<cell id>.sqlite,
    # merged by `evaluate collect`); or one file that every cell shares (a local disk: SQLite
    # is not safe on network file systems across machines)
    cache: str | None = None
    options: Options = Field(default_factory=dict)
    models: Annotated[list[ModelEntry], Field(min_length=1)]
    tasks: dict[str, TaskGroup] | list[str]
    local: LocalSettings = Field(default_factory=LocalSettings)
    slurm: SlurmSettings = Field(default_factory=SlurmSettings)
    ray: RaySettings = Field(default_factory=RaySettings)

    @field_validator("tasks")
    @classmethod
    def _groups(cls, value: dict[str, TaskGroup] | list[str]) -> dict[str, TaskGroup] | list[str]:
        names = value if isinstance(value, list) else list(value)
        if not names:
            raise ValueError("names no task")
        for name in names:
            if not NAME.match(Path(name).stem):
                raise ValueError(f"'{name}': a group name is letters, digits, '.', '_' and '-'")
        return value

    @model_validator(mode="after")
    def _unique_models(self) -> SweepSpec:
        seen: dict[str, str] = {}
        for entry in self.models:
            if entry.slug in seen:
                raise ValueError(
                    f"two models are named '{entry.slug}' ({seen[entry.slug]}, {entry.model}): "
                    "give one a `name`"
                )
            seen[entry.slug] = entry.model
        return self

    def groups(self) -> dict[str, TaskGroup]:
        """The task groups by name (a plain list: each task a group of its own)."""
        if isinstance(self.tasks, list):
            return {Path(task).stem: TaskGroup(tasks=[task]) for task in self.tasks}
        return dict(self.tasks)


def slug(text: str) -> str:
    """`openai:Qwen/Qwen2.5-7B` -> `openai-qwen-qwen2.5-7b`: a file name's worth of a model."""
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.") or "model"


def minutes(value: int | str) -> int:
    """Minutes from a number of minutes, or [D-]HH:MM[:SS] (Slurm's forms)."""
    if isinstance(value, int):
        if value < 1:
            raise ValueError("time must be at least one minute")
        return value
    match = re.fullmatch(r"(?:(\d+)-)?(\d+):(\d{2})(?::(\d{2}))?", value.strip())
    if match is None:
        raise ValueError(f"time '{value}' is not minutes or [D-]HH:MM[:SS]")
    days, hours, mins, secs = (int(g or 0) for g in match.groups())
    return max(1, days * 1440 + hours * 60 + mins + (1 if secs else 0))


def gigabytes(value: int | float | str) -> float:
    """GB from a number of GB, or 64G, 500M, 1T."""
    if isinstance(value, int | float):
        return float(value)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)B?", value.strip().upper())
    if match is None:
        raise ValueError(f"mem '{value}' is not a size (64G, 500M)")
    scale = {"K": 1 / 1024**2, "M": 1 / 1024, "G": 1.0, "T": 1024.0, "": 1.0}
    return float(match.group(1)) * scale[match.group(2)]


def load_sweep(path: Path) -> tuple[SweepSpec, Any]:
    """The sweep file at `path`, and its YAML node tree (for file:line in later errors)."""
    return read_model(
        path, SweepSpec, not_mapping="a sweep file is a mapping (output, models, ...)"
    )
