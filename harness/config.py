"""A run's configuration, typed once: what the command line (or a caller) asks for, read by the
planner and the session, and written to the manifest's `replay` block as it is.

- `RunConfig` holds every run option. The command line builds it; the planner reads the options
  that choose what is asked (tasks, languages, variants, data, prompts, generation); the session
  reads the ones that say where answers go (output, cache) and who answers (model, backend).
  `replay` is `model_dump(mode="json")`: the options that decide a run's content, paths as text.
- `generation` settings are typed as in task.yaml (harness.spec.Generation): an unknown one is
  an error with a did-you-mean.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.backends.options import BackendOptions
from harness.data.sources import SourceChoice
from harness.errors import PolyevalError
from harness.languages import resolve_language
from harness.prompting import PromptFormat
from harness.spec import Generation


class RunConfig(BaseModel):
    """Every option of a run. Fields marked `exclude` say where answers go or who gives them;
    the rest decide what is asked, and are the manifest's `replay` block."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    tasks: list[str]
    model: str = Field(default="", exclude=True)  # KIND:NAME (harness.backends)
    backend: BackendOptions = Field(default_factory=BackendOptions, exclude=True)
    generation: Generation = Field(default_factory=dict)  # overrides of the tasks' own
    system_prompt: str | None = None  # replaces the templates' system block
    languages: list[str] | None = None  # canonical codes (ISO codes resolved); None: all
    variants: list[str] | None = None  # None: each task's defaults
    pairs: list[str] | None = None  # translation: SOURCE-TARGET
    direction: str | None = None  # translation: both, to-en, from-en
    limit: int | None = None
    source: SourceChoice = "auto"
    data_dir: Path | None = None
    hub_dir: Path | None = None
    alt_data: dict[str, Path] = Field(default_factory=dict)  # "[task:]name" -> folder or file
    task_options: dict[str, str] = Field(default_factory=dict)  # -T: a user task's mapping
    data_file: Path | None = None  # a user task's data file
    tasks_dirs: list[Path] = Field(default_factory=list)
    prompt_format: PromptFormat = "chat"
    seed: int = 1234
    similarity: str = "tfidf"  # exemplar selection: tfidf, or a sentence-transformers folder
    langid: str = "default"  # the language identifier of answers: default or lid176
    output: Path | None = Field(default=None, exclude=True)
    overwrite: bool = Field(default=False, exclude=True)  # replace the run in `output`
    results_dir: Path = Field(default=Path("results"), exclude=True)
    cache_path: Path | None = Field(default=None, exclude=True)
    predictions: Path | None = Field(default=None, exclude=True)  # answers made elsewhere

    @field_validator("languages")
    @classmethod
    def _canonical(cls, value: list[str] | None) -> list[str] | None:
        return list(dict.fromkeys(resolve_language(code) for code in value)) if value else value

    @classmethod
    def given(cls, **options: Any) -> RunConfig:
        """The configuration of these options; a value of the wrong type is one line naming
        its option."""
        try:
            return cls(**options)
        except ValidationError as exc:
            raise PolyevalError(_first_problem(exc, "option --")) from None

    def replay(self) -> dict[str, Any]:
        """What decides the run's content, as JSON (paths as text): the manifest's `replay`."""
        return self.model_dump(mode="json")


def _first_problem(exc: ValidationError, prefix: str) -> str:
    first = exc.errors()[0]
    name = ".".join(str(p) for p in first["loc"]).replace("_", "-") or "(top level)"
    return f"{prefix}{name}: {first['msg']}"
