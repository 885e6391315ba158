"""A run's configuration, typed once: what the command line (or a caller) asks for, read by the
planner and the session, and written to the manifest's `replay` block as it is.

- `RunConfig` holds every run option. The command line builds it; the planner reads the options
  that choose what is asked (tasks, languages, variants, data, prompts, generation); the session
  reads the ones that say where answers go (output, cache) and who answers (model, backend).
  `replay` is `model_dump(mode="json")`: the options that decide a run's content, paths as text.
- `generation` settings (here, in task.yaml and in a variant) have the types every backend
  needs, and an unknown one is an error with a did-you-mean: a misspelt `max_token` is caught
  when the task loads, not sent to an API. A setting of one backend only goes under
  `extra_body`.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from harness.backends.options import BackendOptions
from harness.errors import PolyevalError, shape_of
from harness.languages import resolve_language

SourceChoice = Literal["auto", "local", "hub", "sample"]
PromptFormat = Literal["chat", "completion"]

# ---- generation settings

_NUMBER_SETTINGS = ("temperature", "top_p", "frequency_penalty", "presence_penalty")
_COUNT_SETTINGS = ("max_tokens", "n")
GENERATION_SETTINGS = (*_NUMBER_SETTINGS, *_COUNT_SETTINGS, "seed", "stop", "extra_body")
"""The settings every backend reads; anything else of one backend goes in `extra_body`."""


def _generation_settings(value: dict[str, Any]) -> dict[str, Any]:
    """Known settings, each of the type backends need."""
    for key, setting in value.items():
        if key not in GENERATION_SETTINGS:
            raise _unknown_setting(key)
        problem = _setting_problem(key, setting)
        if problem is not None:
            raise PydanticCustomError(
                "generation_setting",
                "{key} should be {expected}, not {value}",
                {"key": key, "expected": problem, "value": _shown(setting)},
            )
    return value


def _setting_problem(key: str, setting: Any) -> str | None:
    if key in _NUMBER_SETTINGS and not _is_number(setting):
        return "a number"
    if key in _COUNT_SETTINGS and not (_is_int(setting) and setting >= 1):
        return "a whole number of at least 1"
    if key == "seed" and not _is_int(setting):
        return "a whole number"
    if key == "stop" and not (
        isinstance(setting, str)
        or (isinstance(setting, list) and all(isinstance(s, str) for s in setting))
    ):
        return "a text or a list of texts"
    if key == "extra_body" and not isinstance(setting, dict):
        return "a mapping"
    return None


def _unknown_setting(key: str) -> PydanticCustomError:
    close = difflib.get_close_matches(str(key), GENERATION_SETTINGS, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return PydanticCustomError(
        "generation_setting",
        "unknown setting '{key}': {hint}(known: {known}; a setting of one backend goes under "
        "extra_body)",
        {"key": key, "hint": hint, "known": ", ".join(GENERATION_SETTINGS)},
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _shown(value: Any) -> str:
    """A scalar as written (quoted where it is text), a collection by its shape."""
    if isinstance(value, str):
        return repr(value[:40])
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    return shape_of(value)


Generation = Annotated[dict[str, Any], AfterValidator(_generation_settings)]
"""Generation settings: temperature, top_p, max_tokens, n, stop, seed, the penalties and
extra_body (passed through to the request body)."""

# ---- the run


class RunConfig(BaseModel):
    """Every option of a run. Fields marked `exclude` say where answers go or who gives them;
    the rest decide what is asked, and are the manifest's `replay` block."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    tasks: list[str]
    model: str = Field(default="", exclude=True)  # KIND:NAME (harness.backends)
    backend: BackendOptions = Field(default_factory=BackendOptions, exclude=True)
    generation: Generation = Field(default_factory=dict)  # overrides of the tasks' own
    system_prompt: str | None = None  # replaces the templates' system block
    languages: list[str] | None = None  # canonical codes (names and ISO codes resolved); None: all
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
