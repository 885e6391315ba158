"""A user task's settings made into an ordinary task: the built-in task's spec with the user's
name, languages and internal columns, a data source on the user's files, and the record the
manifest keeps (files with hashes, column mapping, answer form)."""

from __future__ import annotations

import glob
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.data.sources import FolderSource
from harness.errors import PolyevalError
from harness.registry import Task
from harness.spec import FileLayout, TaskSpec
from harness.usertasks.columns import (
    FORMS,
    ColumnCheck,
    read_table,
    text_column,
    text_format,
)
from harness.usertasks.names import GENERIC_TASKS, ROUND_TRIP_TASK, SQUAD_TASK
from harness.usertasks.rows import RowMapping, check_rows
from harness.usertasks.schema import (
    TASK_NAME,
    McqTask,
    Places,
    RoundTripTask,
    SquadTask,
    TableTask,
    canonical,
)

Files = dict[str, tuple[Path, str]]  # language -> (data file, where it was named)


@dataclass
class UserTask(Task):
    """A built-in generic task's folder (templates, literals) on the user's data."""

    mapping: RowMapping | None = field(default=None, kw_only=True)  # None: the task's own hooks

    def hook(self, name: str) -> Any:
        if name == "process_record" and self.mapping is not None:
            return self._process_record
        return super().hook(name)

    def _process_record(self, record: dict[str, Any], language: str) -> dict[str, Any]:
        assert self.mapping is not None
        return self.mapping.convert(record, f"{self.name}/{language}")


def squad_task(base_task: Task, settings: SquadTask, places: Places, stem: str) -> UserTask:
    """The built-in extractive_qa task on the user's SQuAD-format file (FQuAD, SQuAD, TyDi QA
    GoldP): its fields are fixed by the format, so only the language (and a name) are set."""
    if settings.language is None:
        raise PolyevalError("a SQuAD-format user task needs its language: -T language=CODE")
    language = settings.language
    path = _data_file(settings.file, places)
    name = task_name(settings.name, stem)
    spec = base_task.spec.model_copy(update={"name": name, "languages": {language: language}})
    layout = FileLayout(files=[path.name], format="squad")
    definition = {
        "task": SQUAD_TASK,
        "file": str(path),
        "sha256": _sha256(path),
        "language": language,
    }
    source = FolderSource("local", path.parent, layout, {language: language})
    return UserTask(spec, base_task.folder, source=source, user_task=definition)


def round_trip_task(
    base_task: Task, settings: RoundTripTask, places: Places, stem: str
) -> UserTask:
    """The built-in round_trip task on the user's monolingual text: one sentence per line of a
    text file, or the `text` column of a CSV, TSV, JSONL or JSON file; each goes into the
    pivot language and back, and the back-translation is scored against it."""
    path = _data_file(settings.file, places)
    file_where = places.where(("file",))
    if settings.language is None:
        raise PolyevalError("which language is the text in? add -T language=CODE", where=file_where)
    language = settings.language
    translation = base_task.spec.translation
    assert translation is not None  # the built-in round_trip task is a translation task
    if language == translation.pivot:
        raise PolyevalError(
            f"a round trip goes through {translation.pivot}: give text in another language",
            where=places.where(("language",)),
        )
    fmt = text_format(path, settings.format, file_where)
    given = None if settings.text is None else (settings.text, places.where(("text",)))
    column = text_column(path, fmt, given, file_where)
    escaped = column.replace("{", "{{").replace("}", "}}")
    spec = base_task.spec.model_copy(
        update={
            "name": task_name(settings.name, stem),
            "description": settings.description or "round trip on user text",
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
    return UserTask(spec, base_task.folder, source=source, user_task=definition)


def table_task(base_task: Task, settings: TableTask, places: Places, stem: str) -> UserTask:
    """The generic mcq or short_answer task on the user's table of questions."""
    base = base_task.name
    if base not in GENERIC_TASKS:  # a plugin folder may shadow a name; never a user task
        raise PolyevalError(f"task {base} is not a generic task ({', '.join(GENERIC_TASKS)})")
    if settings.text is not None:
        raise PolyevalError(
            f"text= is the text column of a {ROUND_TRIP_TASK} task; {base} reads question=",
            where=places.where(("text",)),
        )
    files = _files(settings, places)
    rows = {lang: read_table(path, where, settings.format) for lang, (path, where) in files.items()}
    mapping = _mapping(base, settings, places, rows, files)
    for lang_rows in rows.values():
        check_rows(mapping, lang_rows)
    root = Path(os.path.commonpath([str(path.parent) for path, _ in files.values()]))
    codes = {
        lang: glob.escape(path.relative_to(root).as_posix()) for lang, (path, _) in files.items()
    }
    name = task_name(settings.name, stem)
    spec = _spec(base_task.spec, name, settings.description, mapping, codes)
    if isinstance(settings, McqTask) and settings.loglikelihood is not None:
        spec = spec.model_copy(update={"default_variants": [settings.loglikelihood]})
    layout = FileLayout.model_validate({"files": ["{code}"], "format": settings.format})
    source = FolderSource("local", root, layout, codes)
    definition = _definition(settings, places, name, mapping, files, rows)
    return UserTask(spec, base_task.folder, source=source, user_task=definition, mapping=mapping)


def _mapping(
    base: str,
    settings: TableTask,
    places: Places,
    rows: dict[str, list[Any]],
    files: Files,
) -> RowMapping:
    form = settings.answer or FORMS[base][0]
    where = places.where(("answer",))
    if settings.answer is None:
        form_note = f"the default answer form, {places.key('form', form)}"
    elif places.yaml and where.startswith(places.defined_in):
        form_note = f"{places.key('form', form)} at {where}"
    else:
        form_note = where
    columns = ColumnCheck(
        rows, {lang: path for lang, (path, _) in files.items()}, settings.columns, places
    )
    choices, listed, n_options = columns.choices(base)
    return RowMapping(
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
        places=places,
    )


def _definition(
    settings: TableTask,
    places: Places,
    name: str,
    mapping: RowMapping,
    files: Files,
    rows: dict[str, list[Any]],
) -> dict[str, Any]:
    """What the manifest records of a table task."""
    return {
        "defined_in": str(Path(places.defined_in).resolve()) if places.yaml else places.defined_in,
        "task": settings.task,
        "name": name,
        "files": {
            lang: {"path": str(path), "sha256": _sha256(path), "rows": len(rows[lang])}
            for lang, (path, _) in files.items()
        },
        "format": settings.format,
        "columns": {
            "question": mapping.question,
            "passage": mapping.passage,
            "choices": (mapping.choices[0] if mapping.listed else list(mapping.choices)) or None,
            "answer": mapping.answer,
            "id": mapping.id,
        },
        "answer": mapping.form,
        "settings": _settings_record(settings),
    }


def _settings_record(settings: TableTask) -> dict[str, Any]:
    """The settings as given, by their flat names (`form` for the answer form), as JSON."""
    given = settings.model_dump(mode="json", exclude_none=True, exclude={"columns"})
    flat = {"form" if key == "answer" else key: value for key, value in given.items()}
    flat.update(settings.columns.model_dump(mode="json", exclude_none=True))
    return dict(sorted(flat.items()))


def task_name(name: str | None, stem: str) -> str:
    """The name given, else a name made of the file's stem."""
    if name is not None:
        return name
    slug = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")
    return slug if TASK_NAME.match(slug) else f"task_{slug}".rstrip("_")


def _data_file(path: Path | None, places: Places) -> Path:
    if path is None:
        raise PolyevalError("no data: give `file:`", where=places.defined_in)
    if not path.is_file():
        raise PolyevalError("no such data file", where=places.where(("file",)))
    return path


def _files(settings: TableTask, places: Places) -> Files:
    """Language -> (data file, where it was named)."""
    if settings.languages is not None:
        where = places.where(("languages",))
        if settings.file is not None or settings.language is not None:
            raise PolyevalError(
                "give `file` and `language`, or `languages` (code -> file), not both",
                where=where,
            )
        files: Files = {}
        for code, path in settings.languages.items():
            where = places.where(("languages", code))
            language = canonical(code, where)
            if language in files:
                raise PolyevalError(f"language {language} is given twice", where=where)
            files[language] = (path, where)
    else:
        if settings.file is None:
            raise PolyevalError(
                "no data: give `file:` and `language:`, or `languages:`", where=places.defined_in
            )
        if settings.language is None:
            how = "`language: CODE`" if places.yaml else "-T language=CODE"
            where = places.defined_in if places.yaml else places.where(("file",))
            raise PolyevalError(f"which language is the data in? add {how}", where=where)
        files = {settings.language: (settings.file, places.where(("file",)))}
    for path, where in files.values():
        if not path.is_file():
            raise PolyevalError(f"no such data file: {path}", where=where)
    return {language: (path.resolve(), where) for language, (path, where) in files.items()}


def _spec(
    base: TaskSpec,
    name: str,
    description: str | None,
    mapping: RowMapping,
    codes: dict[str, str],
) -> TaskSpec:
    data = base.model_dump()
    fields = {"question": "_question"}
    if mapping.passage is not None:
        fields["passage"] = "_passage"
    data.update(
        name=name,
        description=description or f"{base.name} on user data",
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
