"""User tasks: the generic `mcq` and `short_answer` tasks on any CSV, TSV, JSONL or JSON file,
and round trips on any monolingual text.

A user task is a built-in generic task folder (tasks/mcq, tasks/short_answer: its prompt
variants, parser, metrics and generation settings) on the user's own file, with the column
mapping given in a small YAML file (`--tasks path/to/syndarin.yaml`):

    task: mcq                 # or short_answer
    name: syndarin            # optional; default: the YAML file's stem
    file: syndarin_hy.csv     # relative to the YAML file
    language: hye_Armn        # or `languages: {hye_Armn: hy.csv, eng_Latn: en.csv}`
    columns: {question: Question, passage: Paragraph, choices: [A, B, C, D], answer: Answer}
    answer: letter            # letter | index1 | index0 | text (mcq); text | number (short_answer)

or on the command line (`--tasks mcq --data-file FILE -T question=Question -T choices=A,B,C,D
-T answer=Answer -T form=letter -T language=hye_Armn`); `-T` options also override a YAML's.
The built-in `round_trip` task runs on any monolingual text the same way (`--tasks round_trip
--data-file text.txt -T language=npi_Deva`: one sentence per line, or `-T text=COLUMN` of a
CSV, TSV, JSONL or JSON file): each sentence to the pivot language and back.

The whole file is checked before anything runs: every mistake is one line naming the YAML
file:line, the `-T` option or the data file:line at fault. Rows are then read through the
task's `process_record` hook, which puts each row's values under fixed internal columns
(`_question`, `_passage`, `_choice_1`.., `_gold`, `_id`), so that the spec never depends on
how the user's columns are spelled; an option's text as the answer becomes its letter.
"""

from __future__ import annotations

import difflib
import glob
import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.data.readers import Row, read_rows
from harness.data.sources import FolderSource
from harness.errors import PolyevalError
from harness.languages import all_languages, resolve_language
from harness.literals import REFERENCE_LANGUAGE, get_literals
from harness.parsers import normalize_number
from harness.records import LETTERS
from harness.registry import Task, TaskRegistry
from harness.spec import FileLayout, TaskSpec
from harness.yamlfile import line_of, load_yaml

GENERIC_TASKS = ("mcq", "short_answer")
SQUAD_TASK = "extractive_qa"  # any SQuAD-format file: its columns are fixed, only the language
ROUND_TRIP_TASK = "round_trip"  # any monolingual text: each sentence to the pivot and back
USER_TASKS = (*GENERIC_TASKS, SQUAD_TASK, ROUND_TRIP_TASK)
TASK_FILE_SUFFIXES = (".yaml", ".yml")
FORMS: dict[str, tuple[str, ...]] = {
    "mcq": ("letter", "index1", "index0", "text"),
    "short_answer": ("text", "number"),
}
FORMATS = ("csv", "tsv", "jsonl", "json")
COLUMN_KEYS = ("question", "passage", "choices", "answer", "id")
YAML_KEYS = (
    "task",
    "name",
    "description",
    "file",
    "language",
    "languages",
    "format",
    "columns",
    "answer",
    "text",
)
OPTION_KEYS = ("name", "description", "language", "format", "form", "text", *COLUMN_KEYS)
DEFAULT_COLUMNS: dict[str, Any] = {"question": "question", "answer": "answer"}
DEFAULT_CHOICES = ["A", "B", "C", "D"]
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class _Setting:
    value: Any
    where: str  # "task.yaml:7", "-T question=Question", "--data-file x.csv"
    items: dict[str, str] = field(default_factory=dict)  # mapping key -> where (languages:)


Settings = dict[str, _Setting]


@dataclass(frozen=True)
class _Style:
    """How the place that defines a task spells its settings, for hints in messages."""

    defined_in: str  # the YAML file, or "the command line"
    yaml: bool

    def key(self, key: str, value: str) -> str:
        if not self.yaml:
            return f"-T {key}={value}"
        if key == "form":
            return f"answer: {value}"
        return f"columns.{key}: {value}" if key in COLUMN_KEYS else f"{key}: {value}"


def is_task_file(name: str) -> bool:
    """A --tasks entry that names a user task's YAML file (task names have no dots)."""
    return name.lower().endswith(TASK_FILE_SUFFIXES)


def resolve_tasks(
    registry: TaskRegistry,
    names: Sequence[str],
    options: dict[str, str] | None = None,
    data_file: Path | None = None,
) -> list[Task]:
    """The tasks of a run: user tasks built here, the others from the registry. `-T` options
    and `--data-file` apply to the one generic task or task YAML in `names`."""
    options = options or {}
    given = bool(options) or data_file is not None
    generic = [n for n in names if is_task_file(n) or (given and n in USER_TASKS)]
    if given and not generic:
        raise PolyevalError(
            "-T/--task-option and --data-file define a user task: --tasks needs mcq, "
            "short_answer, extractive_qa, round_trip or a task YAML file"
        )
    if given and len(generic) > 1:
        raise PolyevalError(
            f"-T/--task-option and --data-file apply to one user task; --tasks has "
            f"{', '.join(generic)} (give each its own YAML file)"
        )
    tasks = [
        user_task(registry, name, options, data_file) if name in generic else registry.get(name)
        for name in names
    ]
    seen: dict[str, str] = {}
    for name, task in zip(names, tasks, strict=True):
        if task.name in seen:
            raise PolyevalError(
                f"two tasks of this run are named '{task.name}' ({seen[task.name]} and {name}); "
                "give the user task another name"
            )
        seen[task.name] = name
    return tasks


def user_task(
    registry: TaskRegistry,
    name: str,
    options: dict[str, str] | None = None,
    data_file: Path | None = None,
) -> GenericTask:
    """A user task from a YAML file (`name` ends in .yaml/.yml) or from `name` (mcq or
    short_answer) and the `-T` options, which also override a YAML file's settings."""
    overrides = _option_settings(options or {}, data_file)
    if is_task_file(name):
        path = Path(name)
        if not path.is_file():
            raise PolyevalError("no such task file", where=name)
        settings = _yaml_settings(path)
        if "file" in overrides:  # --data-file replaces the YAML's file or files
            settings.pop("languages", None)
        settings.update(overrides)
        style = _Style(str(path), yaml=True)
        stem = path.stem
        if "task" not in settings:
            raise PolyevalError(f"missing `task:` ({' or '.join(GENERIC_TASKS)})", where=name)
        base = _one_of(settings["task"], USER_TASKS, "task")
    else:
        settings, style = overrides, _Style("the command line", yaml=False)
        if "file" not in settings:
            raise PolyevalError(f"--tasks {name} with -T options needs --data-file FILE")
        stem = Path(settings["file"].value).stem
        base = name
    if base == SQUAD_TASK:
        return _squad_task(registry.get(base), settings, stem)
    if base == ROUND_TRIP_TASK:
        return _round_trip_task(registry.get(base), settings, stem)
    return _build(registry.get(base), settings, style, stem)


def _squad_task(base_task: Task, settings: Settings, stem: str) -> GenericTask:
    """The built-in extractive_qa task on the user's SQuAD-format file (FQuAD, SQuAD, TyDi QA
    GoldP): its fields are fixed by the format, so only the language (and a name) are set."""
    for key, setting in settings.items():
        _known(key, ("task", "name", "description", "file", "language"), "setting", setting.where)
    if "language" not in settings:
        raise PolyevalError("a SQuAD-format user task needs its language: -T language=CODE")
    language = _language(settings["language"].value, settings["language"].where)
    path = Path(settings["file"].value)
    if not path.is_file():
        raise PolyevalError("no such data file", where=settings["file"].where)
    name = _task_name(settings.get("name"), stem)
    spec = base_task.spec.model_copy(update={"name": name, "languages": {language: language}})
    layout = FileLayout(files=[path.name], format="squad")
    definition = {
        "task": SQUAD_TASK,
        "file": str(path),
        "sha256": _sha256(path),
        "language": language,
    }
    return GenericTask(
        spec,
        base_task.folder,
        source=FolderSource("local", path.parent, layout, {language: language}),
        mapping=None,
        definition=definition,
    )


def _round_trip_task(base_task: Task, settings: Settings, stem: str) -> GenericTask:
    """The built-in round_trip task on the user's monolingual text: one sentence per line of a
    text file, or the `text` column of a CSV, TSV, JSONL or JSON file; each goes into the
    pivot language and back, and the back-translation is scored against it."""
    for key, setting in settings.items():
        known = ("task", "name", "description", "file", "language", "format", "text")
        _known(key, known, "setting", setting.where)
    path = Path(settings["file"].value)
    if not path.is_file():
        raise PolyevalError("no such data file", where=settings["file"].where)
    if "language" not in settings:
        raise PolyevalError(
            "which language is the text in? add -T language=CODE", where=settings["file"].where
        )
    language = _language(settings["language"].value, settings["language"].where)
    translation = base_task.spec.translation
    assert translation is not None  # the built-in round_trip task is a translation task
    if language == translation.pivot:
        raise PolyevalError(
            f"a round trip goes through {translation.pivot}: give text in another language",
            where=settings["language"].where,
        )
    fmt = _text_format(path, settings)
    column = _text_column(path, fmt, settings)
    name = _task_name(settings.get("name"), stem)
    escaped = column.replace("{", "{{").replace("}", "}}")
    description = settings.get("description")
    spec = base_task.spec.model_copy(
        update={
            "name": name,
            "description": str(description.value) if description else "round trip on user text",
            "languages": {language: glob.escape(path.name), translation.pivot: translation.pivot},
            "translation": translation.model_copy(update={"text": escaped}),
        }
    )
    layout = FileLayout.model_validate({"files": ["{code}"], "format": fmt})
    codes = {language: glob.escape(path.name)}
    definition = {
        "task": ROUND_TRIP_TASK,
        "file": str(path.resolve()),
        "sha256": _sha256(path),
        "language": language,
        "format": fmt,
        "text": None if fmt == "lines" else column,
    }
    source = FolderSource("local", path.resolve().parent, layout, codes)
    return GenericTask(spec, base_task.folder, source=source, mapping=None, definition=definition)


_TEXT_FORMATS = {"txt": "lines", "text": "lines", "lines": "lines", **{f: f for f in FORMATS}}


def _text_format(path: Path, settings: Settings) -> str:
    """`lines` for plain text (.txt: one sentence per line), else the tabular format."""
    if "format" in settings:
        return _TEXT_FORMATS[_one_of(settings["format"], list(_TEXT_FORMATS), "format")]
    found = _TEXT_FORMATS.get(path.suffix.lstrip(".").lower())
    if found is None:
        raise PolyevalError(
            f"cannot tell the format of {path.name} from its extension; add -T format="
            "lines (one sentence per line) or csv, tsv, jsonl, json",
            where=settings["file"].where,
        )
    return found


def _text_column(path: Path, fmt: str, settings: Settings) -> str:
    """The column that holds the text (`text` unless -T text=COLUMN), checked against the
    file's rows; a plain-text file has just its lines."""
    given = settings.get("text")
    if fmt == "lines":
        if given is not None:
            raise PolyevalError(
                "text= names a column of a CSV, TSV, JSONL or JSON file; a plain-text file "
                "has one sentence per line",
                where=given.where,
            )
        return "text"
    rows = read_rows(path, FileLayout.model_validate({"files": [], "format": fmt}))
    if not rows:
        raise PolyevalError("the data file has no rows", where=str(path))
    column = str(given.value).strip() if given is not None else "text"
    names = list(dict.fromkeys(str(key) for _, record in rows for key in record))
    if column not in names:
        close = difflib.get_close_matches(column, names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        how = "text" if given is not None else "text, by default; set -T text=COLUMN"
        raise PolyevalError(
            f"unknown column '{column}' ({how}): {path.name} has {', '.join(names)}{hint}",
            where=given.where if given is not None else settings["file"].where,
        )
    return column


# --- reading the settings -----------------------------------------------------------------


def _yaml_settings(path: Path) -> Settings:
    data, node = load_yaml(path)
    if not isinstance(data, dict):
        raise PolyevalError(
            "a task file is a mapping: task, file, language, columns, answer", where=str(path)
        )

    def where(*loc: str) -> str:
        line = line_of(node, list(loc))
        return f"{path}:{line}" if line else str(path)

    settings: Settings = {}
    for key, value in data.items():
        key = str(key)
        _known(key, YAML_KEYS, "key", where(key))
        if key == "columns":
            if not isinstance(value, dict):
                raise PolyevalError(
                    "columns: a mapping like {question: Q, choices: [A, B, C, D], answer: Gold}",
                    where=where(key),
                )
            for column_key, column in value.items():
                column_key = str(column_key)
                _known(column_key, COLUMN_KEYS, "column key", where(key, column_key))
                settings[column_key] = _Setting(column, where(key, column_key))
        elif key in ("file", "languages"):
            settings[key] = _files_setting(key, value, path.parent, where)
        else:
            settings["form" if key == "answer" else key] = _Setting(value, where(key))
    return settings


def _files_setting(key: str, value: Any, folder: Path, where: Callable[..., str]) -> _Setting:
    """`file:` or `languages:`, with paths relative to the YAML file's folder."""
    if key == "file":
        if not isinstance(value, str) or not value.strip():
            raise PolyevalError("file: the data file, relative to this YAML", where=where(key))
        return _Setting(folder / value.strip(), where(key))
    if not isinstance(value, dict) or not value:
        raise PolyevalError(
            "languages: a mapping of language codes to files, like {hye_Armn: hy.csv}",
            where=where(key),
        )
    files: dict[str, Path] = {}
    items: dict[str, str] = {}
    for code, file in value.items():
        code = str(code)
        if not isinstance(file, str) or not file.strip():
            raise PolyevalError(f"languages.{code}: a file name", where=where(key, code))
        files[code] = folder / file.strip()
        items[code] = where(key, code)
    return _Setting(files, where(key), items)


def _option_settings(options: dict[str, str], data_file: Path | None) -> Settings:
    settings: Settings = {}
    for key, value in options.items():
        place = f"-T {key}={value}"
        _known(key, OPTION_KEYS, "-T key", place, hint=" (answer=COLUMN; form=the answer form)")
        settings[key] = _Setting(value, place)
    if data_file is not None:
        settings["file"] = _Setting(data_file, f"--data-file {data_file}")
    return settings


def _known(key: str, known: Sequence[str], what: str, where: str, hint: str = "") -> None:
    if key in known:
        return
    close = difflib.get_close_matches(key, known, n=1)
    suggestion = f"; did you mean '{close[0]}'?" if close else ""
    raise PolyevalError(
        f"unknown {what} '{key}'{suggestion} (known: {', '.join(known)}){hint}", where=where
    )


def _one_of(setting: _Setting, allowed: Sequence[str], what: str) -> str:
    value = str(setting.value).strip()
    if value in allowed:
        return value
    close = difflib.get_close_matches(value, allowed, n=1)
    suggestion = f"; did you mean '{close[0]}'?" if close else ""
    raise PolyevalError(
        f"unknown {what} '{value}'{suggestion} (one of {', '.join(allowed)})", where=setting.where
    )


def _language(value: Any, where: str) -> str:
    text = str(value).strip()
    try:
        return resolve_language(text)
    except PolyevalError:
        pass
    names: dict[str, str] = {}
    for lang in all_languages():
        for key in (lang.code, *lang.aliases, lang.name):
            names.setdefault(key.lower(), lang.code)
    close = difflib.get_close_matches(text.lower().replace("-", "_"), names, n=1, cutoff=0.6)
    suggestion = f"; did you mean {names[close[0]]}?" if close else ""
    raise PolyevalError(
        f"unknown language code '{text}'{suggestion} (codes look like hye_Armn or hy; "
        "`evaluate languages` lists them)",
        where=where,
    )


# --- building the task --------------------------------------------------------------------


@dataclass
class GenericTask(Task):
    """A user task: a built-in generic task's folder (templates, literals) on the user's data."""

    source: FolderSource = field(kw_only=True)
    mapping: _Mapping | None = field(kw_only=True)  # None: the base task's own hooks read rows
    definition: dict[str, Any] = field(kw_only=True)  # what the manifest records

    def hook(self, name: str) -> Any:
        if name == "process_record" and self.mapping is not None:
            return self._process_record
        return super().hook(name)

    def _process_record(self, record: dict[str, Any], language: str) -> dict[str, Any]:
        assert self.mapping is not None
        return self.mapping.convert(record, f"{self.name}/{language}")


@dataclass(frozen=True)
class _Mapping:
    """Resolved columns and answer form; turns one row into the task's internal columns."""

    base: str
    question: str
    passage: str | None
    choices: tuple[str, ...]  # option columns; one column that holds a list: `listed`
    listed: bool
    n_options: int
    answer: str
    form: str
    form_note: str  # where the answer form comes from, for messages about answers
    id: str | None
    style: _Style

    def convert(self, record: dict[str, Any], where: str) -> dict[str, Any]:
        out = {**record, "_question": self._value(record, "question", where)}
        if self.passage is not None:
            out["_passage"] = self._value(record, "passage", where)
        if self.id is not None:
            out["_id"] = str(self._value(record, "id", where)).strip()
        raw = self._value(record, "answer", where)
        if self.base == "mcq":
            options = self._options(record, where)
            out.update({f"_choice_{i + 1}": text for i, text in enumerate(options)})
            out["_gold"] = self._letter(raw, options, where)
        else:
            self._check_short(raw, where)
            out["_gold"] = raw
        return out

    def _value(self, record: dict[str, Any], key: str, where: str) -> Any:
        column: str = getattr(self, key)
        if column not in record:
            raise PolyevalError(
                f"row has no column '{column}' ({self.style.key(key, column)})", where=where
            )
        return record[column]

    def _options(self, record: dict[str, Any], where: str) -> list[str]:
        if not self.listed:
            missing = [c for c in self.choices if c not in record]
            if missing:
                raise PolyevalError(f"row has no option column '{missing[0]}'", where=where)
            return [str(record[c]).strip() for c in self.choices]
        column = self.choices[0]
        value = record.get(column)
        if not isinstance(value, list):
            raise PolyevalError(f"column '{column}' does not hold a list of options", where=where)
        if len(value) != self.n_options:
            raise PolyevalError(
                f"row has {len(value)} options in '{column}', the first row {self.n_options}; "
                "every row needs the same number",
                where=where,
            )
        return [str(v).strip() for v in value]

    def _letter(self, raw: Any, options: list[str], where: str) -> str:
        text = str(raw).strip()
        n = len(options)
        letter: str | None = None
        if self.form == "text":
            matches = _matching_options(text, options)
            if len(matches) == 1:
                return LETTERS[matches[0]]
            if len(matches) > 1:
                which = " and ".join(LETTERS[i] for i in matches)
                raise PolyevalError(
                    f"answer '{text}' is the text of several options ({which})", where=where
                )
            problem = f"answer '{text}' is the text of none of the {n} options"
        elif self.form == "letter":
            letter = text.upper() if len(text) == 1 and text.upper() in LETTERS[:n] else None
            problem = f"answer '{text}' is not a letter A-{LETTERS[n - 1]}"
        else:
            offset = 1 if self.form == "index1" else 0
            number = int(text) if text.lstrip("-").isdigit() else None
            if number is not None and 0 <= number - offset < n:
                letter = LETTERS[number - offset]
            problem = f"answer '{text}' is not an option number {offset}-{n - 1 + offset}"
        if letter is not None:
            return letter
        hint = self._form_hint(text, options)
        raise PolyevalError(f"{problem} ({self.form_note}){hint}", where=where)

    def _form_hint(self, text: str, options: list[str]) -> str:
        guesses = []
        if text.isdigit():
            guesses = ["index1", "index0"]
        elif len(text) == 1 and text.upper() in LETTERS[: len(options)]:
            guesses = ["letter"]
        elif _matching_options(text, options):
            guesses = ["text"]
        guesses = [g for g in guesses if g != self.form]
        if not guesses:
            return ""
        return "; did you mean " + " or ".join(self.style.key("form", g) for g in guesses) + "?"

    def _check_short(self, raw: Any, where: str) -> None:
        values = raw if isinstance(raw, list) else [raw]
        setting = self.form_note
        if not values:
            raise PolyevalError("the answer list is empty", where=where)
        english = get_literals(REFERENCE_LANGUAGE)
        for value in values:
            text = str(value).strip()
            if self.form == "number" and normalize_number(text, english) is None:
                raise PolyevalError(f"answer '{text}' is not a number ({setting})", where=where)
            if not text:
                raise PolyevalError(f"the answer is empty ({setting})", where=where)


def _matching_options(text: str, options: list[str]) -> list[int]:
    """The options whose text is `text`: exactly, else ignoring case and spacing."""
    exact = [i for i, option in enumerate(options) if option == text]
    if exact:
        return exact
    key = " ".join(text.casefold().split())
    return [i for i, option in enumerate(options) if " ".join(option.casefold().split()) == key]


def _build(base_task: Task, settings: Settings, style: _Style, stem: str) -> GenericTask:
    base = base_task.name
    if base not in GENERIC_TASKS:  # a plugin folder may shadow a name; never a user task
        raise PolyevalError(f"task {base} is not a generic task ({', '.join(GENERIC_TASKS)})")
    if "text" in settings:
        raise PolyevalError(
            f"text= is the text column of a {ROUND_TRIP_TASK} task; {base} reads question=",
            where=settings["text"].where,
        )
    name = _task_name(settings.get("name"), stem)
    form_setting = settings.get("form")
    form = _one_of(form_setting, FORMS[base], "answer form") if form_setting else FORMS[base][0]
    if form_setting is None:
        form_note = f"the default answer form, {style.key('form', form)}"
    elif style.yaml and form_setting.where.startswith(style.defined_in):
        form_note = f"{style.key('form', form)} at {form_setting.where}"
    else:
        form_note = form_setting.where
    files = _files(settings, style)
    fmt = _one_of(settings["format"], FORMATS, "format") if "format" in settings else None
    rows = {lang: _read(path, where, fmt) for lang, (path, where) in files.items()}
    columns = _Columns(rows, {lang: path for lang, (path, _) in files.items()}, settings, style)
    choices, listed, n_options = columns.choices(base, files)
    mapping = _Mapping(
        base=base,
        question=columns.required("question"),
        passage=columns.optional("passage"),
        choices=choices,
        listed=listed,
        n_options=n_options,
        answer=columns.required("answer"),
        form=form,
        form_note=form_note,
        id=columns.optional("id"),
        style=style,
    )
    for lang_rows in rows.values():
        _check_rows(mapping, lang_rows)
    root = Path(os.path.commonpath([str(path.parent) for path, _ in files.values()]))
    codes = {
        lang: glob.escape(path.relative_to(root).as_posix()) for lang, (path, _) in files.items()
    }
    spec = _spec(base_task.spec, name, settings, mapping, codes)
    layout = FileLayout.model_validate({"files": ["{code}"], "format": fmt})
    source = FolderSource("local", root, layout, codes)
    definition = {
        "defined_in": str(Path(style.defined_in).resolve()) if style.yaml else style.defined_in,
        "task": base,
        "name": name,
        "files": {
            lang: {"path": str(path), "sha256": _sha256(path), "rows": len(rows[lang])}
            for lang, (path, _) in files.items()
        },
        "format": fmt,
        "columns": {
            "question": mapping.question,
            "passage": mapping.passage,
            "choices": (mapping.choices[0] if listed else list(mapping.choices)) or None,
            "answer": mapping.answer,
            "id": mapping.id,
        },
        "answer": form,
        "settings": {key: _plain(s.value) for key, s in sorted(settings.items())},
    }
    return GenericTask(
        spec, base_task.folder, source=source, mapping=mapping, definition=definition
    )


def _task_name(setting: _Setting | None, stem: str) -> str:
    if setting is None:
        slug = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")
        return slug if _NAME.match(slug) else f"task_{slug}".rstrip("_")
    name = str(setting.value).strip()
    if not _NAME.match(name):
        raise PolyevalError(
            f"task name '{name}' must be lower-case letters, digits and _, starting with a letter",
            where=setting.where,
        )
    return name


def _files(settings: Settings, style: _Style) -> dict[str, tuple[Path, str]]:
    """Language -> (data file, where it was named)."""
    if "languages" in settings:
        given = settings["languages"]
        if "file" in settings or "language" in settings:
            raise PolyevalError(
                "give `file` and `language`, or `languages` (code -> file), not both",
                where=given.where,
            )
        files: dict[str, tuple[Path, str]] = {}
        for code, path in given.value.items():
            where = given.items[code]
            language = _language(code, where)
            if language in files:
                raise PolyevalError(f"language {language} is given twice", where=where)
            files[language] = (path, where)
    else:
        if "file" not in settings:
            raise PolyevalError(
                "no data: give `file:` and `language:`, or `languages:`", where=style.defined_in
            )
        if "language" not in settings:
            how = "`language: CODE`" if style.yaml else "-T language=CODE"
            where = style.defined_in if style.yaml else settings["file"].where
            raise PolyevalError(f"which language is the data in? add {how}", where=where)
        code, data_file = settings["language"], settings["file"]
        files = {_language(code.value, code.where): (Path(data_file.value), data_file.where)}
    for path, where in files.values():
        if not path.is_file():
            raise PolyevalError(f"no such data file: {path}", where=where)
    return {language: (path.resolve(), where) for language, (path, where) in files.items()}


def _read(path: Path, where: str, fmt: str | None) -> list[Row]:
    found = fmt or path.suffix.lstrip(".").lower()
    if found not in FORMATS:
        raise PolyevalError(
            f"cannot tell the format of {path.name} from its extension; "
            f"add format: {'|'.join(FORMATS)}",
            where=where,
        )
    rows = read_rows(path, FileLayout.model_validate({"files": [], "format": found}))
    if not rows:
        raise PolyevalError("the data file has no rows", where=str(path))
    return rows


class _Columns:
    """The user's column names, checked against the files' columns."""

    def __init__(
        self,
        rows: dict[str, list[Row]],
        paths: dict[str, Path],
        settings: Settings,
        style: _Style,
    ) -> None:
        self.rows = rows
        self.paths = paths
        self.settings = settings
        self.style = style
        self.columns: dict[str, list[str]] = {}  # language -> the file's columns, in order
        for language, lang_rows in rows.items():
            names: dict[str, None] = {}
            for _, record in lang_rows:
                names.update(dict.fromkeys(map(str, record)))
            self.columns[language] = list(names)

    def required(self, key: str) -> str:
        setting = self.settings.get(key)
        column = self._name(setting, key) if setting else DEFAULT_COLUMNS[key]
        self._check(column, key, setting)
        return column

    def optional(self, key: str) -> str | None:
        setting = self.settings.get(key)
        if setting is not None:
            column = self._name(setting, key)
            self._check(column, key, setting)
            return column
        everywhere = all(key in names for names in self.columns.values())
        return key if everywhere else None

    def choices(
        self, base: str, files: dict[str, tuple[Path, str]]
    ) -> tuple[tuple[str, ...], bool, int]:
        """(option columns, whether one column holds a list, number of options)."""
        setting = self.settings.get("choices")
        if base != "mcq":
            if setting is not None:
                raise PolyevalError("a short_answer task has no choices", where=setting.where)
            return (), False, 0
        value = setting.value if setting else DEFAULT_CHOICES
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list):
            raise PolyevalError(
                "choices: the option columns, like [A, B, C, D]", where=self._where(setting)
            )
        names = tuple(str(v).strip() for v in value if str(v).strip())
        for column in names:
            self._check(column, "choices", setting)
        listed = len(names) == 1
        if listed:
            first = next(iter(self.rows.values()))[0][1].get(names[0])
            if not isinstance(first, list):
                raise PolyevalError(
                    "choices: name two or more option columns (A, B, C, D), or one column "
                    "that holds a list of options",
                    where=self._where(setting),
                )
            count = len(first)
        else:
            count = len(names)
        if count < 2:
            raise PolyevalError("a question needs at least 2 options", where=self._where(setting))
        for language in files:
            labels = get_literals(language).choice_labels
            if count > len(labels):
                raise PolyevalError(
                    f"{count} options, but prompts/literals.yaml has {len(labels)} option "
                    f"labels for {language}",
                    where=self._where(setting),
                )
        return names, listed, count

    def _name(self, setting: _Setting, key: str) -> str:
        if not isinstance(setting.value, str | int) or not str(setting.value).strip():
            raise PolyevalError(f"{key}: a column name", where=setting.where)
        return str(setting.value).strip()

    def _where(self, setting: _Setting | None) -> str:
        return setting.where if setting else self.style.defined_in

    def _check(self, column: str, key: str, setting: _Setting | None) -> None:
        for language, names in self.columns.items():
            if column in names:
                continue
            file = self.paths[language].name
            close = difflib.get_close_matches(column, names, n=1)
            suggestion = f"; did you mean '{close[0]}'?" if close else ""
            if key == "answer" and any(column in forms for forms in FORMS.values()):
                suggestion += f"; the answer form is set with {self.style.key('form', column)}"
            what = key if setting else f"{key}, by default; set {self.style.key(key, 'COLUMN')}"
            raise PolyevalError(
                f"unknown column '{column}' ({what}): {file} has {', '.join(names)}{suggestion}",
                where=self._where(setting),
            )


def _check_rows(mapping: _Mapping, rows: list[Row]) -> None:
    """Every row converts (its answer fits its options); ids, where given, are unique."""
    seen: dict[str, str] = {}
    for where, record in rows:
        converted = mapping.convert(record, where)
        if mapping.id is None:
            continue
        sample_id = converted["_id"]
        if sample_id in seen:
            raise PolyevalError(
                f"id '{sample_id}' (column '{mapping.id}') is also the id of {seen[sample_id]}",
                where=where,
            )
        seen[sample_id] = where


def _spec(
    base: TaskSpec, name: str, settings: Settings, mapping: _Mapping, codes: dict[str, str]
) -> TaskSpec:
    data = base.model_dump()
    fields = {"question": "_question"}
    if mapping.passage is not None:
        fields["passage"] = "_passage"
    description = settings.get("description")
    data.update(
        name=name,
        description=str(description.value) if description else f"{base.name} on user data",
        citation="",
        license="",
        languages=codes,
        data={},
        fields=fields,
        choices=[f"_choice_{i + 1}" for i in range(mapping.n_options)],
        breakdowns={},
        id="{_id}" if mapping.id is not None else "{row}",
        parallel_id="{_id}" if mapping.id is not None else "{row}",
    )
    if mapping.base == "mcq":
        data["gold"] = {"field": "_gold", "form": "letter"}
    else:
        data["gold"] = {"field": "_gold", "form": mapping.form}
        if mapping.form == "number":
            data.update(parser="number", metrics=["accuracy"])
    return TaskSpec.model_validate(data)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    """A setting as JSON: paths as strings."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
