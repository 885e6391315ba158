"""What a user task may say, as one pydantic model: a union on `task:` read from a small YAML
file or from `-T key=value` options (which also override a file's settings), with the place
each setting came from for messages."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel
from pydantic_core import PydanticCustomError

from harness.errors import PolyevalError
from harness.languages import all_languages, resolve_language
from harness.schema import Loc, Problem, did_you_mean, validate
from harness.usertasks.names import USER_TASKS, is_task_file
from harness.yamlfile import line_of, load_yaml

TASK_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _task_name(value: str) -> str:
    if not TASK_NAME.match(value):
        raise PydanticCustomError(
            "task_name",
            "task name '{name}' must be lower-case letters, digits and _, starting with a letter",
            {"name": value},
        )
    return value


def language_code(value: str) -> str:
    """The canonical code of a language code, alias or name; a did-you-mean where none fits."""
    try:
        return resolve_language(value)
    except PolyevalError:
        pass
    names: dict[str, str] = {}
    for lang in all_languages():
        for key in (lang.code, *lang.aliases, lang.name):
            names.setdefault(key.lower(), lang.code)
    close = difflib.get_close_matches(value.lower().replace("-", "_"), names, n=1, cutoff=0.6)
    hint = f"; did you mean {names[close[0]]}?" if close else ""
    raise PydanticCustomError(
        "language_code",
        "unknown language code '{code}'{hint} (codes look like hye_Armn or hy; "
        "`evaluate languages` lists them)",
        {"code": value, "hint": hint},
    )


def canonical(code: str, where: str) -> str:
    """`language_code` outside a model: an unknown code is an error at `where`."""
    try:
        return language_code(code.strip())
    except PydanticCustomError as exc:
        raise PolyevalError(exc.message(), where=where) from None


TaskName = Annotated[str, AfterValidator(_task_name)]
LanguageCode = Annotated[str, AfterValidator(language_code)]


class _Settings(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, coerce_numbers_to_str=True, str_strip_whitespace=True
    )
    noun: ClassVar[str] = "setting"  # what an unknown key of this model is called in messages


class Columns(_Settings):
    """Which of the data file's columns holds what (`columns:`; `-T question=Q` ...)."""

    noun: ClassVar[str] = "column key"
    question: str | None = None
    passage: str | None = None
    choices: list[str] | str | None = None  # option columns; "A,B,C,D" from the command line
    answer: str | None = None
    id: str | None = None


class _UserTask(_Settings):
    name: TaskName | None = None  # default: the YAML file's (or data file's) stem
    description: str | None = None
    file: Path | None = None  # relative to the YAML file
    language: LanguageCode | None = None


class _TableTask(_UserTask):
    noun: ClassVar[str] = "key"
    languages: dict[str, Path] | None = None  # language code -> its file, instead of file
    format: Literal["csv", "tsv", "jsonl", "json"] | None = Field(None, title="format")
    columns: Columns = Field(default_factory=Columns)
    text: str | None = None  # a round trip's setting: refused with a hint


class McqTask(_TableTask):
    """The generic multiple-choice task on a table of questions and options."""

    task: Literal["mcq"]
    answer: Literal["letter", "index1", "index0", "text"] | None = Field(None, title="answer form")
    # score the options by log-likelihood in this formulation (harness.loglikelihood) instead
    # of asking for a reply: the run's default variant
    loglikelihood: Literal["letter", "cloze", "hybrid"] | None = Field(None, title="formulation")


class ShortAnswerTask(_TableTask):
    """The generic short-answer task on a table of questions and answers."""

    task: Literal["short_answer"]
    answer: Literal["text", "number"] | None = Field(None, title="answer form")


class SquadTask(_UserTask):
    """The extractive_qa task on a SQuAD-format file: only its language (and a name) are set."""

    task: Literal["extractive_qa"]


class RoundTripTask(_UserTask):
    """The round_trip task on monolingual text: lines of a text file, or a table's column."""

    task: Literal["round_trip"]
    format: Literal["txt", "text", "lines", "csv", "tsv", "jsonl", "json"] | None = Field(
        None, title="format"
    )
    text: str | None = None  # the column that holds the text; `text` by default


UserTaskSettings = McqTask | ShortAnswerTask | SquadTask | RoundTripTask
TableTask = McqTask | ShortAnswerTask


class UserTaskFile(RootModel[Annotated[UserTaskSettings, Field(discriminator="task")]]):
    """A user task's settings, whichever its task."""


class TaskOptions(_Settings):
    """The `-T key=value` options: a file's settings by flat names (the columns by their key,
    the answer form as `form`, since `answer` names the answer column)."""

    noun: ClassVar[str] = "-T key"
    name: str | None = None
    description: str | None = None
    language: str | None = None
    format: str | None = None
    form: str | None = None
    loglikelihood: str | None = None
    text: str | None = None
    question: str | None = None
    passage: str | None = None
    choices: str | None = None
    answer: str | None = None
    id: str | None = None

    @staticmethod
    def place(key: str) -> Loc:
        """Where an option goes in a task file's settings."""
        if key == "form":
            return ("answer",)
        return ("columns", key) if key in Columns.model_fields else (key,)


@dataclass
class Places:
    """Where each setting was given: a YAML file's lines, or `-T` and `--data-file` options."""

    defined_in: str  # the YAML file, or "the command line"
    node: yaml.Node | None = None  # the YAML file's nodes, for lines
    given: dict[Loc, tuple[str, str]] = field(default_factory=dict)  # loc -> (key, option)

    @property
    def yaml(self) -> bool:
        return self.node is not None

    def where(self, loc: Loc) -> str:
        """The option or file:line that set (or holds) the setting at `loc`."""
        option = self._option(loc)
        if option is not None:
            return option[1]
        if self.node is not None and loc:
            line = line_of(self.node, list(loc))
            return f"{self.defined_in}:{line}" if line else self.defined_in
        return self.defined_in

    def key(self, key: str, value: str) -> str:
        """How the place spells a setting, for hints: `-T question=Q` or `columns.question: Q`."""
        if not self.yaml:
            return f"-T {key}={value}"
        if key == "form":
            return f"answer: {value}"
        return f"columns.{key}: {value}" if key in Columns.model_fields else f"{key}: {value}"

    def _option(self, loc: Loc) -> tuple[str, str] | None:
        for place, option in self.given.items():
            if loc and (place[: len(loc)] == loc or loc[: len(place)] == place):
                return option
        return None

    def describe(self, problem: Problem) -> str:
        """A schema problem in the words of the place that defines the task."""
        option = self._option(problem.loc)
        if problem.kind == "extra_forbidden":
            key = option[0] if option else str(problem.loc[-1])
            model = problem.parent
            noun = model.noun if model is not None and issubclass(model, _Settings) else "key"
            known = problem.known()
            if option is not None:  # name what the task takes the way options spell it
                known = [k for k in TaskOptions.model_fields if TaskOptions.place(k)[0] in known]
            hint = " (answer=COLUMN; form=the answer form)" if model is TaskOptions else ""
            return (
                f"unknown {noun} '{key}'{did_you_mean(key, known)} (known: {', '.join(known)})"
                f"{hint}"
            )
        if problem.kind == "union_tag_invalid":
            tag = str(problem.ctx.get("tag"))
            return f"unknown task '{tag}'{did_you_mean(tag, USER_TASKS)} (one of {_tasks()})"
        if problem.kind == "union_tag_not_found":
            return f"missing `task:` ({_tasks()})"
        if problem.kind == "literal_error" and problem.field and problem.field.title:
            allowed, value = problem.allowed(), str(problem.input)
            return (
                f"unknown {problem.field.title} '{value}'{did_you_mean(value, allowed)} "
                f"(one of {', '.join(allowed)})"
            )
        if problem.kind in ("task_name", "language_code"):
            return problem.msg
        name = option[0] if option else problem.path
        return f"{name}: {problem.msg}"


def _tasks() -> str:
    return ", ".join(USER_TASKS)


def read_settings(
    name: str, options: dict[str, str], data_file: Path | None
) -> tuple[UserTaskSettings, Places, str]:
    """A user task's settings, where each came from, and the stem its default name comes from:
    from the YAML file `name` with the options over it, or from the options alone."""
    given = {TaskOptions.place(key): (key, f"-T {key}={value}") for key, value in options.items()}
    validate(TaskOptions, options, lambda loc: f"-T {loc[0]}={options[str(loc[0])]}", _options)
    if is_task_file(name):
        path = Path(name)
        if not path.is_file():
            raise PolyevalError("no such task file", where=name)
        data, node = load_yaml(path)
        if not isinstance(data, dict):
            raise PolyevalError(
                "a task file is a mapping: task, file, language, columns, answer", where=str(path)
            )
        data, places, stem = _relative(data, path.parent), Places(str(path), node), path.stem
    else:
        if data_file is None:
            raise PolyevalError(f"--tasks {name} with -T options needs --data-file FILE")
        data, places, stem = {"task": name}, Places("the command line"), data_file.stem
    if data_file is not None:  # --data-file replaces the YAML's file or files
        data.pop("languages", None)
        data["file"] = str(data_file)
        given[("file",)] = ("file", f"--data-file {data_file}")
    for key, value in options.items():
        _put(data, TaskOptions.place(key), value)
    places.given = given
    return validate(UserTaskFile, data, places.where, places.describe).root, places, stem


def _options(problem: Problem) -> str:
    return Places("the command line").describe(problem)


def _relative(data: dict[Any, Any], folder: Path) -> dict[str, Any]:
    """The file's settings with its data files' paths relative to the YAML file's folder."""
    out = {str(key): value for key, value in data.items()}
    if isinstance(out.get("file"), str) and out["file"].strip():
        out["file"] = str(folder / out["file"].strip())
    if isinstance(out.get("languages"), dict):
        out["languages"] = {
            code: str(folder / file.strip()) if isinstance(file, str) and file.strip() else file
            for code, file in out["languages"].items()
        }
    return out


def _put(data: dict[str, Any], loc: Loc, value: str) -> None:
    *parents, last = loc
    for part in parents:
        inner = data.get(str(part))
        data[str(part)] = inner = dict(inner) if isinstance(inner, dict) else {}
        data = inner
    data[str(last)] = value
