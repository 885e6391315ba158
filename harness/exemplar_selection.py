"""Few-shot exemplars chosen per question: cross-lingual in-context learning for any task.

A variant with `select` shows each question its own `fewshot` exemplars, taken from pools:
the task's `exemplars(source, language, code, variant)` hook gives one language's pool (from a
train or dev split, never the evaluated one; the first POOL_CAP items are used). Strategies:

- `random`: drawn from the question's own language's pool, seeded by the run's --seed and the
  question, so that a rerun shows the same exemplars;
- `in_language`: the most similar exemplars of the question's own language's pool;
- `english`: the most similar of English's pool;
- `cross_lingual`: the most similar of the other languages' pools together, neither the
  question's own language nor English.

Similar means: the texts of the `select_by` field (default `question`) of question and
exemplar, compared by a Similarity: the cosine of character n-gram TF-IDF vectors (the
default, `--similarity tfidf`: no model, no dependency), or of a sentence-transformers model's
embeddings (`--similarity PATH`, a local model folder). The chosen exemplars are shown most
similar last, nearest the question; ties keep pool order. `select_within` (e.g. `level`) keeps
to exemplars with the question's value of that field. An exemplar is never the question
itself: neither one with its id in its language, nor one with its parallel_id (a translation
of it). Each exemplar is recorded as `language/id` (`language/#n`, its position in the pool,
where it has no `id`); an exemplar from another language's pool is rendered with that
language's words (its dict carries the language under EXEMPLAR_LANGUAGE).
"""

from __future__ import annotations

import hashlib
import importlib
import math
import random
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from harness.errors import PolyevalError
from harness.prompting import EXEMPLAR_LANGUAGE
from harness.records import Sample
from harness.spec import Variant

if TYPE_CHECKING:  # numpy: imported where similarity is scored, not by every run's planning
    import numpy as np
    from numpy.typing import NDArray

    Matrix = NDArray[np.float64]

ENGLISH = "eng_Latn"
POOL_CAP = 2000  # exemplars of one language's pool taken into account, the first ones
TFIDF = "tfidf"
MODEL_FILES = ("modules.json", "config_sentence_transformers.json", "config.json")

Exemplar = dict[str, Any]


class Shots(NamedTuple):
    """A question's exemplars, in prompt order, and their recorded ids."""

    exemplars: list[Exemplar]
    ids: tuple[str, ...]


class Similarity(Protocol):
    def scores(self, queries: Sequence[str], candidates: Sequence[str]) -> Matrix:
        """Cosine similarities: one row per query, one column per candidate."""


def pool_languages(variant: Variant, language: str, languages: Sequence[str]) -> list[str]:
    """The languages whose pools a question in `language` draws from."""
    if variant.select in ("random", "in_language"):
        return [language]
    if variant.select == "english":
        return [ENGLISH]
    return [lang for lang in languages if lang not in (language, ENGLISH)]


def fixed_shots(exemplars: list[Exemplar], language: str) -> Shots:
    """A variant's one set of exemplars (no `select`), as Shots."""
    return Shots(exemplars, tuple(_label(language, e, i) for i, e in enumerate(exemplars)))


def choose_exemplars(
    samples: Sequence[Sample],
    pools: Mapping[str, Sequence[Exemplar]],
    name: str,
    variant: Variant,
    similarity: Similarity | None,
    seed: int,
    where: str,
) -> list[Shots]:
    """Each sample's exemplars (see the module docstring). `name` is the variant's, `where`
    the task file, for errors; `similarity` may be None for `random`."""
    candidates = [
        _Candidate(_label(lang, e, i), lang, e)
        for lang, pool in pools.items()
        for i, e in enumerate(pool[:POOL_CAP])
    ]
    if not candidates:
        languages = ", ".join(pools) or "none"
        raise PolyevalError(
            f"variant '{name}' ({variant.select}) has no exemplars to choose from: the pools of "
            f"{languages} are empty",
            where=where,
        )
    chooser = _Chooser(name, variant, similarity, seed, where)
    by_sample: dict[int, Shots] = {}
    for value, members in _groups(samples, chooser.within_value).items():
        eligible = [c for c in candidates if chooser.within_of(c) == value]
        if not eligible:
            raise PolyevalError(
                f"variant '{name}' ({variant.select}): no exemplar in the pools of "
                f"{', '.join(pools)} has {variant.select_within} {value!r}, as question "
                f"{samples[members[0]].id} has",
                where=where,
            )
        chosen = chooser.choose([samples[i] for i in members], eligible)
        by_sample.update(zip(members, chosen, strict=True))
    return [by_sample[i] for i in range(len(samples))]


@dataclass(frozen=True)
class _Candidate:
    label: str  # language/id
    language: str
    exemplar: Exemplar

    def shown(self) -> Exemplar:
        return {**self.exemplar, EXEMPLAR_LANGUAGE: self.language}

    def is_question(self, sample: Sample) -> bool:
        """The exemplar is the sample itself, or its translation."""
        if self.label == f"{sample.language}/{sample.id}":
            return True
        parallel = self.exemplar.get("parallel_id")
        return parallel is not None and str(parallel) == sample.parallel_id


@dataclass
class _Chooser:
    name: str
    variant: Variant
    similarity: Similarity | None
    seed: int
    where: str

    def within_value(self, sample: Sample) -> str | None:
        within = self.variant.select_within
        return None if within is None else str(self._field(sample, within))

    def within_of(self, candidate: _Candidate) -> str | None:
        within = self.variant.select_within
        return None if within is None else str(self._exemplar_field(candidate, within))

    def choose(self, samples: list[Sample], candidates: list[_Candidate]) -> list[Shots]:
        k = self.variant.fewshot
        if self.variant.select == "random":
            return [self._shots(self._drawn(s, candidates, k)) for s in samples]
        if self.similarity is None:
            raise PolyevalError(f"variant '{self.name}' needs a similarity", where=self.where)
        by = self.variant.select_by
        queries = [str(self._field(s, by)) for s in samples]
        texts = [str(self._exemplar_field(c, by)) for c in candidates]
        matrix = self.similarity.scores(queries, texts)
        return [
            self._shots(self._nearest(s, candidates, row, k))
            for s, row in zip(samples, matrix, strict=True)
        ]

    def _drawn(self, sample: Sample, candidates: list[_Candidate], k: int) -> list[_Candidate]:
        allowed = [c for c in candidates if not c.is_question(sample)]
        key = f"{self.seed}|{self.name}|{sample.language}|{sample.id}"
        rng = random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))
        return rng.sample(allowed, min(k, len(allowed)))

    @staticmethod
    def _nearest(
        sample: Sample, candidates: list[_Candidate], scores: Matrix, k: int
    ) -> list[_Candidate]:
        import numpy as np

        picked: list[_Candidate] = []
        for index in np.argsort(-scores, kind="stable"):
            if len(picked) == k:
                break
            if not candidates[index].is_question(sample):
                picked.append(candidates[index])
        return picked[::-1]  # the most similar last, nearest the question

    @staticmethod
    def _shots(chosen: list[_Candidate]) -> Shots:
        return Shots([c.shown() for c in chosen], tuple(c.label for c in chosen))

    def _field(self, sample: Sample, name: str) -> Any:
        if name not in sample.fields:
            known = ", ".join(sample.fields) or "none"
            raise PolyevalError(
                f"variant '{self.name}' compares the field '{name}', which the task does not "
                f"have (fields: {known})",
                where=self.where,
            )
        return sample.fields[name]

    def _exemplar_field(self, candidate: _Candidate, name: str) -> Any:
        if name not in candidate.exemplar:
            raise PolyevalError(
                f"variant '{self.name}': exemplar {candidate.label} has no field '{name}' (the "
                "task's exemplars() hook must give it)",
                where=self.where,
            )
        return candidate.exemplar[name]


def _groups(samples: Sequence[Sample], key: Any) -> dict[str | None, list[int]]:
    groups: dict[str | None, list[int]] = {}
    for index, sample in enumerate(samples):
        groups.setdefault(key(sample), []).append(index)
    return groups


def _label(language: str, exemplar: Exemplar, index: int) -> str:
    ident = exemplar.get("id")
    return f"{language}/{ident if ident is not None else f'#{index}'}"


# --- similarities -----------------------------------------------------------------------------


@lru_cache(maxsize=4)
def similarity_for(spec: str) -> Similarity:
    """The similarity `--similarity` names: `tfidf`, or a sentence-transformers model folder
    (loaded once per process)."""
    if spec == TFIDF:
        return TfidfSimilarity()
    return EmbeddingSimilarity.load(Path(spec))


@dataclass
class TfidfSimilarity:
    """The cosine of character n-gram TF-IDF vectors: n-grams of `sizes` characters of the
    text (NFKC, case-folded, whitespace collapsed, padded with a space), sublinear term
    frequency, smoothed IDF over the texts compared in one call. Works across languages
    through what texts share: names, numbers, dates."""

    sizes: tuple[int, ...] = (2, 3, 4)

    def scores(self, queries: Sequence[str], candidates: Sequence[str]) -> Matrix:
        import numpy as np

        query_grams = [self._grams(text) for text in queries]
        candidate_grams = [self._grams(text) for text in candidates]
        counts = Counter(gram for grams in (*query_grams, *candidate_grams) for gram in grams)
        n = len(queries) + len(candidates)
        idf = {gram: math.log((1 + n) / (1 + df)) + 1.0 for gram, df in counts.items()}
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for column, grams in enumerate(candidate_grams):
            for gram, weight in _weights(grams, idf).items():
                found, weights = postings.setdefault(gram, ([], []))
                found.append(column)
                weights.append(weight)
        index = {g: (np.array(c), np.array(w)) for g, (c, w) in postings.items()}
        result = np.zeros((len(queries), len(candidates)))
        for row, grams in enumerate(query_grams):
            hits = [(index[g], w) for g, w in _weights(grams, idf).items() if g in index]
            if hits:
                columns = np.concatenate([c for (c, _), _ in hits])
                values = np.concatenate([cw * w for (_, cw), w in hits])
                result[row] = np.bincount(columns, weights=values, minlength=len(candidates))
        return result

    def _grams(self, text: str) -> Counter[str]:
        words = unicodedata.normalize("NFKC", text).casefold().split()
        if not words:  # an empty text is like no other
            return Counter()
        padded = " " + " ".join(words) + " "
        return Counter(
            padded[i : i + size] for size in self.sizes for i in range(len(padded) - size + 1)
        )


def _weights(grams: Counter[str], idf: Mapping[str, float]) -> dict[str, float]:
    """L2-normalised (1 + log tf) * idf."""
    raw = {gram: (1.0 + math.log(count)) * idf[gram] for gram, count in grams.items()}
    norm = math.sqrt(sum(v * v for v in raw.values())) or 1.0
    return {gram: value / norm for gram, value in raw.items()}


@dataclass
class EmbeddingSimilarity:
    """The cosine of a sentence-transformers model's embeddings (normalised), each text
    embedded once per process. `sentence_transformers` is imported only here."""

    model: Any
    _cache: dict[str, NDArray[np.float64]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path) -> EmbeddingSimilarity:
        where = f"--similarity {path}"
        if not path.is_dir() or not any((path / name).is_file() for name in MODEL_FILES):
            raise PolyevalError(
                f"not a sentence-transformers model folder (none of {', '.join(MODEL_FILES)}); "
                f"give '{TFIDF}' or a local model folder",
                where=where,
            )
        try:  # imported by name: an optional dependency, without type stubs
            library = importlib.import_module("sentence_transformers")
        except ImportError:
            raise PolyevalError(
                "embedding similarity needs the sentence-transformers package "
                "(pip install sentence-transformers); or use --similarity tfidf",
                where=where,
            ) from None
        try:
            model = library.SentenceTransformer(str(path))
        except Exception as exc:  # the library raises many kinds; all mean "not loadable"
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise PolyevalError(f"cannot load the model: {reason}", where=where) from None
        return cls(model)

    def scores(self, queries: Sequence[str], candidates: Sequence[str]) -> Matrix:
        import numpy as np

        missing = list(dict.fromkeys(t for t in (*queries, *candidates) if t not in self._cache))
        if missing:
            vectors = self.model.encode(
                missing, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
            self._cache.update(zip(missing, np.asarray(vectors, dtype=np.float64), strict=True))
        if not queries or not candidates:
            return np.zeros((len(queries), len(candidates)))
        left = np.stack([self._cache[t] for t in queries])
        right = np.stack([self._cache[t] for t in candidates])
        result: Matrix = left @ right.T
        return result
