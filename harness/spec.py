"""The schema of a task's `task.yaml`, validated by pydantic with file:line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.errors import PolyevalError
from harness.yamlfile import line_of, load_yaml

Kind = Literal["multiple_choice", "short_answer", "extractive_qa", "translation"]
FileFormat = Literal["tsv", "csv", "jsonl", "json"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileLayout(_Strict):
    """How to read the data files of one source. `files` are candidate path patterns
    relative to the source's folder; `{code}` is the source's own language code,
    `{lang}` the canonical one. The first pattern that exists wins."""

    files: list[str]
    format: FileFormat | None = None  # default: the file's extension
    columns: list[str] | None = None  # for delimited files without a header row
    quoting: bool = True  # False: split on the delimiter, quotes are literal text


class LocalSource(FileLayout):
    folder: list[str]  # folder names to look for under --data-dir


class HubSource(_Strict):
    """A Hugging Face hub dataset: `config`/`split` through `datasets.load_dataset`,
    or raw `files` fetched from the repo and read like local files."""

    repo: str
    revision: str | None = None
    config: str | None = None
    split: str = "test"
    layout: FileLayout | None = None


class DataSpec(_Strict):
    hub: HubSource | None = None
    local: LocalSource | None = None
    sample: FileLayout


class GoldSpec(_Strict):
    field: str
    form: Literal["text", "number", "index1", "index0", "letter"] = "text"


class Variant(_Strict):
    template: str  # file name under prompts/
    description: str = ""
    fewshot: int = Field(default=0, ge=0)
    target: str | None = None  # exemplar field shown as the few-shot answer
    literals: str | None = None  # use this language's literals as `lit` (e.g. English instructions)
    generation: dict[str, Any] = Field(default_factory=dict)


class TaskSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str
    kind: Kind
    description: str = ""
    citation: str = ""
    license: str = ""
    languages: dict[str, str]  # canonical code -> the source's own code
    data: DataSpec
    fields: dict[str, str]  # template variable -> data column
    choices: list[str] = Field(default_factory=list)  # option columns (multiple choice)
    gold: GoldSpec
    id: str = "{row}"  # format string over data columns and `row`
    parallel_id: str = "{row}"
    variants: dict[str, Variant]
    default_variants: list[str] = Field(default_factory=list)
    parser: str
    metrics: list[str] = Field(default_factory=lambda: ["accuracy"])
    generation: dict[str, Any] = Field(default_factory=dict)

    @field_validator("languages", mode="before")
    @classmethod
    def _list_means_same_code(cls, value: Any) -> Any:
        return {code: code for code in value} if isinstance(value, list) else value

    def chosen_default_variants(self) -> list[str]:
        return self.default_variants or list(self.variants)


def load_spec(path: Path) -> TaskSpec:
    data, node = load_yaml(path)
    if not isinstance(data, dict):
        raise PolyevalError("a task.yaml must be a mapping of fields", where=str(path))
    try:
        spec = TaskSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [p for p in first["loc"] if isinstance(p, str | int)]
        line = line_of(node, loc)
        field_path = ".".join(str(p) for p in loc) or "(top level)"
        message = _describe(first["type"], first["msg"], field_path)
        raise PolyevalError(message, where=f"{path}:{line}" if line else str(path)) from None
    _check_consistency(spec, path, node)
    return spec


def _describe(kind: str, msg: str, field_path: str) -> str:
    if kind == "extra_forbidden":
        return f"unknown field '{field_path}'"
    if kind == "missing":
        return f"missing field '{field_path}'"
    return f"field '{field_path}': {msg}"


def _check_consistency(spec: TaskSpec, path: Path, node: Any) -> None:
    for name in spec.default_variants:
        if name not in spec.variants:
            line = line_of(node, ["default_variants"])
            raise PolyevalError(
                f"default variant '{name}' is not among variants {sorted(spec.variants)}",
                where=f"{path}:{line}",
            )
    if spec.kind == "multiple_choice" and not spec.choices:
        raise PolyevalError("a multiple_choice task needs `choices`", where=str(path))
