"""The schema of a task's `task.yaml`, validated by pydantic with file:line errors."""

from __future__ import annotations

import difflib
import math
import string
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from harness.errors import PolyevalError, shape_of
from harness.families import Family
from harness.loglikelihood.formulations import Formulation
from harness.schema import read_model
from harness.yamlfile import line_of

FileFormat = Literal["tsv", "csv", "jsonl", "json", "squad", "timeqa", "parquet", "lines"]


def _plain_pattern(value: str) -> str:
    """A format pattern over columns ("{link}#{question_number}", "data/{code}.jsonl"): each
    field a plain name, without attribute or index access, conversion or format spec."""
    try:
        fields = [
            (name, conversion, spec)
            for _, name, spec, conversion in string.Formatter().parse(value)
            if name is not None
        ]
    except ValueError as exc:
        raise PydanticCustomError(
            "pattern", "{problem} in '{pattern}'", {"problem": str(exc), "pattern": value}
        ) from None
    for name, conversion, spec in fields:
        if name and not name.isdigit() and not set(name) & set(".[]") and not (conversion or spec):
            continue
        written = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        raise PydanticCustomError(
            "pattern",
            "{field} in '{pattern}': a pattern's fields are plain column names, like {example}",
            {"field": "{" + written + "}", "pattern": value, "example": "{id}"},
        )
    return value


Pattern = Annotated[str, AfterValidator(_plain_pattern)]


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


Generation = Annotated[dict[str, Any], AfterValidator(_generation_settings)]
"""Generation settings: temperature, top_p, max_tokens, n, stop, seed, the penalties and
extra_body (passed through to the request body)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileLayout(_Strict):
    """How to read the data files of one source. `files` are candidate path patterns
    relative to the source's folder; `{code}` is the source's own language code,
    `{lang}` the canonical one. The first pattern that exists wins."""

    files: list[Pattern]
    format: FileFormat | None = None  # default: the file's extension
    columns: list[str] | None = None  # for delimited files without a header row
    quoting: bool = True  # False: split on the delimiter, quotes are literal text
    # line-aligned plain-text files read as one row per line: column -> file pattern (parallel
    # corpora: `{"{code}": "test.{code}", en: "test.en"}`); `files` then only locates the data
    aligned: dict[Pattern, Pattern] | None = None


class LocalSource(FileLayout):
    folder: list[str]  # folder names to look for under --data-dir


class HubSource(_Strict):
    """A Hugging Face hub dataset: `config`/`split` through `datasets.load_dataset`,
    or raw `files` fetched from the repo and read like local files."""

    repo: str
    revision: str | None = None
    config: Pattern | None = None
    split: str = "test"
    layout: FileLayout | None = None


class DataSpec(_Strict):
    hub: HubSource | dict[str, HubSource] | None = None  # one repo, or one per language
    local: LocalSource | None = None
    sample: FileLayout | None = None  # files under the task's sample/; default: the local layout

    def sample_layout(self) -> FileLayout | None:
        if self.sample is not None or self.local is None:
            return self.sample
        return FileLayout.model_validate(self.local.model_dump(exclude={"folder"}))


class GoldSpec(_Strict):
    field: str  # a column; "answers.text" reads a key of a mapping column; a list: all acceptable
    # how the column writes the answer; `integer`: a number that is always whole, which also
    # tells the number parser how to read digit groups in replies ("1.234" is 1234)
    form: Literal["text", "number", "integer", "index1", "index0", "letter"] = "text"


class TranslationSpec(_Strict):
    """How a parallel corpus gives language pairs. Every language's sentence is read from the
    column `text` (`{code}`: the language's own code; "text.{code}" reads a key of a mapping
    column); a row of one language's data that lacks its partner's column (or every row, where
    `text` names one column for all languages: a file per language) is joined to the partner's
    rows by `parallel_id`."""

    text: Pattern = "text"
    pivot: str = "eng_Latn"  # the language the default pairs translate from and into
    # the default pairs; `round-trip`: monolingual text, each language's round trip only
    direction: Literal["both", "to-pivot", "from-pivot", "round-trip"] = "both"
    dev: FileLayout | None = None  # exemplar files (local, sample, hub repo); none: held out
    dev_split: str | None = None  # the hub split exemplars come from


class Variant(_Strict):
    template: str  # file name under prompts/
    description: str = ""
    fewshot: int = Field(default=0, ge=0)
    target: str | None = None  # exemplar field shown as the few-shot answer
    literals: str | None = None  # use this language's literals as `lit` (e.g. English instructions)
    generation: Generation = Field(default_factory=dict)
    languages: list[str] | None = None  # run only for these languages (default: all)
    source: str | None = None  # read the rows from the data the user names with --alt-data NAME=DIR
    compare_to: str | None = None  # report the paired gap to that variant ("en@eng_Latn")
    round_trip: bool = False  # translation: source -> pivot -> source, scored against the source
    # score continuations by their log-likelihood instead of asking for a reply, formulated
    # as harness.loglikelihood.formulations says: letter, cloze, hybrid (multiple choice), text
    loglikelihood: Formulation | None = None
    # also score each option after the answer cue alone, for acc_pmi (multiple choice)
    pmi: bool = False
    reply_language: str | None = None  # the language replies should be in (default: the item's)
    rows: dict[str, str] = Field(default_factory=dict)  # only items with these breakdown values
    # few-shot exemplars chosen per question (harness/exemplar_selection.py): `random` or the
    # most similar ones from the question's own language's pool (`in_language`), from English's
    # (`english`) or from the other languages' pools (`cross_lingual`: neither its own nor English)
    select: Literal["random", "in_language", "english", "cross_lingual"] | None = None
    select_by: str = "question"  # the field whose texts are compared (a field of the task)
    select_within: str | None = None  # exemplars share this field's value with the question

    @field_validator("pmi")
    @classmethod
    def _pmi_needs_options(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("loglikelihood") not in ("letter", "cloze", "hybrid"):
            raise ValueError("`pmi` scores options: set loglikelihood to letter, cloze or hybrid")
        return value

    @field_validator("select")
    @classmethod
    def _select_needs_shots(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not info.data.get("fewshot"):
            raise ValueError("`select` picks `fewshot` exemplars per question: set fewshot > 0")
        return value


class PredictionsFormat(_Strict):
    """Another tool's output files for this task, which `--predictions` reads as they are
    (LCB's published completions): each row's sample id from its columns, and its reply."""

    sample_id: Pattern  # format string over the file's columns: "{task}/{source}/{language}/{id}"
    output: str  # the column that holds the reply


class TaskSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str
    kind: str  # a row of harness.kinds.KINDS
    description: str = ""
    citation: str = ""
    license: str = ""
    languages: dict[str, str]  # canonical code -> the source's own code
    data: DataSpec
    fields: dict[str, str] = Field(default_factory=dict)  # template variable -> data column
    choices: list[str] = Field(default_factory=list)  # option columns (multiple choice)
    breakdowns: dict[str, str] = Field(default_factory=dict)  # name -> column: scores per value
    gold: GoldSpec | None = None  # every kind but translation (whose gold is the target text)
    translation: TranslationSpec | None = None  # kind translation only
    id: Pattern = "{row}"  # format string over data columns and `row`
    parallel_id: Pattern = "{row}"
    variants: dict[str, Variant]
    default_variants: list[str] = Field(default_factory=list)
    parser: str
    metrics: list[str] = Field(default_factory=lambda: ["accuracy"])
    family: Family | None = None  # None: as its kind and metrics tell (harness.families)
    generation: Generation = Field(default_factory=dict)
    predictions: PredictionsFormat | None = None  # another tool's output files

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        from harness.kinds import kind_names  # not at the top: the kinds build samples from specs

        if value not in kind_names():
            names = [repr(name) for name in kind_names()]
            raise PydanticCustomError(
                "literal_error",
                "Input should be {expected}",
                {"expected": f"{', '.join(names[:-1])} or {names[-1]}"},
            )
        return value

    @field_validator("languages", mode="before")
    @classmethod
    def _list_means_same_code(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        for index, code in enumerate(value):
            if not isinstance(code, str):
                raise PydanticCustomError(
                    "language_code",
                    "item {index} is {shape}, not a language code",
                    {"index": index, "shape": shape_of(code)},
                )
        return {code: code for code in value}

    def chosen_default_variants(self) -> list[str]:
        return self.default_variants or list(self.variants)


def _shown(value: Any) -> str:
    """A scalar as written (quoted where it is text), a collection by its shape."""
    if isinstance(value, str):
        return repr(value[:40])
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    return shape_of(value)


def load_spec(path: Path) -> TaskSpec:
    spec, node = read_model(path, TaskSpec, not_mapping="a task.yaml must be a mapping of fields")
    _check_consistency(spec, path, node)
    return spec


def _check_consistency(spec: TaskSpec, path: Path, node: Any) -> None:
    for name in spec.default_variants:
        if name not in spec.variants:
            line = line_of(node, ["default_variants"])
            raise PolyevalError(
                f"default variant '{name}' is not among variants {sorted(spec.variants)}",
                where=f"{path}:{line}",
            )
    _check_kind(spec, path)
    if spec.translation is not None and spec.translation.pivot not in spec.languages:
        raise PolyevalError(
            f"translation pivot {spec.translation.pivot} is not among the task's languages",
            where=f"{path}:{line_of(node, ['translation', 'pivot'])}",
        )
    for name, variant in spec.variants.items():
        _check_variant(spec, name, variant, path, node)


def _check_kind(spec: TaskSpec, path: Path) -> None:
    """What the task's kind needs of its task.yaml: options, and a `translation` section for
    language pairs, `gold` for everything else."""
    from harness.kinds import get_kind  # not at the top: the kinds build samples from specs

    kind = get_kind(spec.kind)
    if kind.choices and not spec.choices:
        raise PolyevalError(f"a {kind.name} task needs `choices`", where=str(path))
    if kind.pairs != (spec.translation is not None):
        raise PolyevalError(
            "a translation task needs a `translation` section, and only it may have one",
            where=str(path),
        )
    if not kind.pairs and spec.gold is None:
        raise PolyevalError("missing field 'gold'", where=str(path))


def _check_variant(spec: TaskSpec, name: str, variant: Variant, path: Path, node: Any) -> None:
    where = f"{path}:{line_of(node, ['variants', name])}"
    if variant.compare_to is not None:
        other, _, language = variant.compare_to.partition("@")
        if other not in spec.variants or (language and language not in spec.languages):
            raise PolyevalError(
                f"variant '{name}' compares to '{variant.compare_to}': expected a variant of the "
                f"task, optionally @language ({', '.join(spec.variants)})",
                where=where,
            )
    if missing := [key for key in variant.rows if key not in spec.breakdowns]:
        raise PolyevalError(
            f"variant '{name}' selects rows by {', '.join(missing)}, which is not among the "
            f"task's breakdowns ({', '.join(spec.breakdowns) or 'none'})",
            where=where,
        )
    unknown = [lang for lang in variant.languages or [] if lang not in spec.languages]
    if unknown:
        raise PolyevalError(
            f"variant '{name}' names languages the task does not have: {', '.join(unknown)}",
            where=where,
        )
