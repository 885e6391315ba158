"""The language pairs of a translation task and their samples.

A pair's key, `npi_Deva-eng_Latn`, takes the place of a language everywhere a run is keyed by
language (requests, scores, tables); a round trip's key names all three legs,
`npi_Deva-eng_Latn-npi_Deva`.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from harness.data.readers import Row
from harness.data.sources import DataSource, FolderSource, HubDataSource, SourceKind
from harness.errors import PolyevalError, SkipRow
from harness.languages import get_language, resolve_language
from harness.records import Sample
from harness.registry import Task
from harness.samples import Loaded, column, format_id
from harness.spec import TaskSpec, TranslationSpec
from harness.translation.keys import SEPARATOR, Pair

Direction = Literal["both", "to-pivot", "from-pivot", "round-trip"]
DIRECTIONS: dict[str, Direction] = {
    "both": "both",
    "to-en": "to-pivot",  # "en" is the task's pivot: English in every built-in task
    "from-en": "from-pivot",
    "to-pivot": "to-pivot",
    "from-pivot": "from-pivot",
}


def parse_pair(text: str, where: str = "--pairs") -> Pair:
    """`eng_Latn-npi_Deva` (or `en-ne`); a third leg back to the source is a round trip."""
    legs = text.strip().split(SEPARATOR)
    if len(legs) not in (2, 3) or (len(legs) == 3 and legs[0] != legs[2]):
        raise PolyevalError(
            f"'{text}' is not a language pair SOURCE-TARGET like eng_Latn-npi_Deva", where=where
        )
    source, target = (resolve_language(leg) for leg in legs[:2])
    if source == target:
        raise PolyevalError(f"'{text}' translates a language into itself", where=where)
    return Pair(source, target, round_trip=len(legs) == 3)


def select_pairs(
    spec: TaskSpec,
    available: Sequence[str],
    pairs: Sequence[str] | None,
    direction: str | None,
    languages: Sequence[str] | None,
) -> list[Pair]:
    """The pairs to run: the ones asked for with --pairs, or every available language with
    the pivot in the chosen direction (the task's default unless --direction), limited to
    --languages. A task of monolingual text (direction `round-trip`) has no pairs but each
    language's round trip through the pivot, whatever --direction says."""
    translation = _translation(spec)
    if pairs:
        chosen = [parse_pair(p) for p in pairs]
        for pair in chosen:
            missing = [lang for lang in (pair.source, pair.target) if lang not in spec.languages]
            if missing:
                raise PolyevalError(
                    f"task {spec.name} has no {', '.join(missing)} (it has "
                    f"{', '.join(spec.languages)})",
                    where="--pairs",
                )
            if translation.direction == "round-trip" and not pair.round_trip:
                trip = SEPARATOR.join([pair.source, translation.pivot, pair.source])
                raise PolyevalError(
                    f"task {spec.name} has text in one language: its pairs are round trips "
                    f"like {trip}",
                    where="--pairs",
                )
        return chosen
    mode = DIRECTIONS[direction] if direction else translation.direction
    pivot = translation.pivot
    others = [lang for lang in available if lang != pivot]
    if languages is not None:
        others = [lang for lang in others if lang in languages]
    if translation.direction == "round-trip":
        return [Pair(lang, pivot, round_trip=True) for lang in others]
    found: list[Pair] = []
    for lang in others:
        if mode in ("both", "to-pivot"):
            found.append(Pair(lang, pivot))
        if mode in ("both", "from-pivot"):
            found.append(Pair(pivot, lang))
    return found


def round_trips(spec: TaskSpec, pairs: Sequence[Pair]) -> list[Pair]:
    """The round trips of the chosen pairs that are not among them: each non-pivot language
    through the pivot."""
    pivot = _translation(spec).pivot
    langs = dict.fromkeys(lang for p in pairs for lang in (p.source, p.target) if lang != pivot)
    trips = [Pair(lang, pivot, round_trip=True) for lang in langs]
    return [trip for trip in trips if trip not in pairs]


@dataclass
class RowCache:
    """A source whose rows are read once per language: the pairs of a task share them (a hub
    language's rows are a dataset load each)."""

    source: DataSource
    found: dict[str, list[Row]] = field(default_factory=dict)
    kind: SourceKind = field(init=False)

    def __post_init__(self) -> None:
        self.kind = self.source.kind

    def describe(self) -> str:
        return self.source.describe()

    def languages(self) -> list[str]:
        return self.source.languages()

    def rows(self, language: str) -> list[Row]:
        if language not in self.found:
            self.found[language] = self.source.rows(language)
        return self.found[language]

    def file(self, relpath: str) -> Path:
        return self.source.file(relpath)


def load_pair(task: Task, source: DataSource, pair: Pair, limit: int | None) -> Loaded:
    """The pair's samples: each row's source-language text, and the target-language text as
    the reference (a round trip's reference is its source). Rows of the non-pivot language's
    data that lack the partner's column are joined to the partner's rows by parallel id."""
    spec = task.spec
    translation = _translation(spec)
    main = pair.target if pair.source == translation.pivot else pair.source
    rows = _processed(task, source.rows(main), main)
    needed = {pair.source} if pair.round_trip else {pair.source, pair.target}
    partner = {
        lang: _joined(task, source, lang) for lang in needed if not _has(spec, rows, lang, main)
    }
    loaded = Loaded([], pair=pair)
    for index, (where, record) in enumerate(rows.rows):
        if limit is not None and len(loaded.samples) >= limit:
            break
        loaded.rows += 1
        values = {"row": index, **record}
        parallel_id = format_id(spec.parallel_id, values, where)
        texts = {}
        for lang in needed:
            own = text(spec, record, lang) if lang not in partner else None
            value = partner[lang].get(parallel_id) if lang in partner else own
            texts[lang] = value.strip() if isinstance(value, str) else ""
        if not all(texts.values()):
            empty = ", ".join(lang for lang, value in texts.items() if not value)
            loaded.skipped[f"no text in {empty}"] += 1
            continue
        loaded.samples.append(_sample(spec, pair, texts, values, where, parallel_id))
    loaded.skipped.update(rows.skipped)
    loaded.rows += sum(rows.skipped.values())
    return loaded


def pair_exemplars(task: Task, source: DataSource, pair: Pair) -> list[dict[str, Any]]:
    """The pair's few-shot exemplars in a fixed order (by a hash of their parallel id): from
    the dev split where the task has one (`translation.dev` files, or the hub's `dev_split`),
    else from the evaluated data, each with its `parallel_id` so that it is held out."""
    dev = _dev_source(task, source)
    pool = load_pair(task, dev or source, Pair(pair.source, pair.target), None).samples
    ordered = sorted(pool, key=lambda s: hashlib.sha256(s.parallel_id.encode()).hexdigest())
    held_out = dev is None
    return [
        {**s.fields, "target": s.gold, **({"parallel_id": s.parallel_id} if held_out else {})}
        for s in ordered
    ]


def _dev_source(task: Task, source: DataSource) -> DataSource | None:
    """The exemplars' data: a hub repo's raw files read through `translation.dev` (its
    `dev_split` when read by config), a folder's through `translation.dev`."""
    translation = _translation(task.spec)
    if isinstance(source, HubDataSource):
        if source.spec.layout is not None and translation.dev is not None:
            spec = source.spec.model_copy(update={"layout": translation.dev})
        elif source.spec.layout is None and translation.dev_split is not None:
            spec = source.spec.model_copy(update={"split": translation.dev_split})
        else:
            return None
        return HubDataSource(spec, source.codes, source.hub_dir)
    if isinstance(source, FolderSource) and translation.dev is not None:
        return FolderSource(source.kind, source.root, translation.dev, source.codes)
    return None


def text(spec: TaskSpec, record: dict[str, Any], language: str) -> Any:
    """The record's sentence in `language`, or None where the record has none."""
    name = _text_column(spec, language)
    value: Any = record
    for part in name.split(".") if name not in record else [name]:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def language_texts(loaded: Iterable[Loaded]) -> dict[str, Loaded]:
    """Each language's texts in the loaded pairs, once per parallel id: what a `text`
    log-likelihood variant scores (bits per byte of the language, harness.loglikelihood)."""
    found: dict[str, dict[str, Sample]] = defaultdict(dict)
    for pair_loaded in loaded:
        pair = pair_loaded.pair
        if pair is None or pair.round_trip:
            continue
        for sample in pair_loaded.samples:
            sides = ((pair.source, str(sample.fields["source"])), (pair.target, sample.gold))
            for language, text in sides:
                found[language].setdefault(
                    sample.parallel_id,
                    Sample(
                        id=sample.parallel_id,
                        language=language,
                        fields={"text": text},
                        gold=text,
                        parallel_id=sample.parallel_id,
                        meta=sample.meta,
                    ),
                )
    return {lang: Loaded(list(items.values()), rows=len(items)) for lang, items in found.items()}


def language_fields(pair: Pair) -> dict[str, str]:
    """Template variables naming the pair's languages, in English and natively."""
    source, goal = get_language(pair.source), get_language(pair.reference_language)
    return {
        "source_language": source.name,
        "source_native": source.native_name,
        "target_language": goal.name,
        "target_native": goal.native_name,
        "source_code": source.code,
        "target_code": goal.code,
    }


def _sample(
    spec: TaskSpec,
    pair: Pair,
    texts: dict[str, str],
    values: dict[str, Any],
    where: str,
    parallel_id: str,
) -> Sample:
    extra = {var: column(values, col, spec, where) for var, col in spec.fields.items()}
    meta = {name: str(column(values, col, spec, where)) for name, col in spec.breakdowns.items()}
    first = Pair(pair.source, pair.target) if pair.round_trip else pair
    return Sample(
        id=format_id(spec.id, values, where),
        language=pair.key,
        fields={**extra, **language_fields(first), "source": texts[pair.source]},
        gold=texts[pair.reference_language],
        parallel_id=parallel_id,
        meta=meta,
        pair=pair,
    )


@dataclass
class _Processed:
    rows: list[Row]
    skipped: Counter[str]


def _processed(task: Task, rows: list[Row], language: str) -> _Processed:
    """Rows after the task's `process_record` hook (if any), with the rows it skipped."""
    hook: Callable[[dict[str, Any], str], Any] | None = task.hook("process_record")
    kept: list[Row] = []
    skipped: Counter[str] = Counter()
    for where, record in rows:
        if hook is not None:
            try:
                record = hook(record, language)
            except SkipRow as skip:
                skipped[skip.reason] += 1
                continue
            if record is None:
                continue
        kept.append((where, record))
    return _Processed(kept, skipped)


def _has(spec: TaskSpec, rows: _Processed, language: str, main: str) -> bool:
    """Whether the main language's rows hold `language`'s sentences: its own do; another's
    where they have its column, unless all languages share one column (a file each)."""
    if language == main:
        return True
    if _text_column(spec, language) == _text_column(spec, main):
        return False
    return not rows.rows or text(spec, rows.rows[0][1], language) is not None


def _joined(task: Task, source: DataSource, language: str) -> dict[str, Any]:
    """The language's sentences by parallel id, from its own rows."""
    spec = task.spec
    rows = _processed(task, source.rows(language), language)
    found: dict[str, Any] = {}
    for index, (where, record) in enumerate(rows.rows):
        found[format_id(spec.parallel_id, {"row": index, **record}, where)] = text(
            spec, record, language
        )
    return found


def _text_column(spec: TaskSpec, language: str) -> str:
    return _translation(spec).text.format(code=spec.languages[language], lang=language)


def _translation(spec: TaskSpec) -> TranslationSpec:
    if spec.translation is None:
        raise PolyevalError(f"task {spec.name} is not a translation task")
    return spec.translation
