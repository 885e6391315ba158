"""py3langid's model unpacked once into the user's cache folder (harness.langid.unpacked): the
identifier read from the kept copy is py3langid's own, array for array and ranking for ranking;
a folder that cannot be written, or a damaged copy, still gives it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from harness.langid import unpacked

TEXTS = (
    "The committee will meet again next week to discuss the budget.",
    "Le comité se réunira la semaine prochaine pour discuter du budget.",
    "Das Komitee trifft sich nächste Woche wieder.",
    "Komite itu akan bertemu lagi minggu depan.",
    "42",
)


@pytest.fixture(scope="module")
def reference() -> Any:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def same_model(found: Any, reference: Any) -> None:
    for name in ("nb_ptc", "nb_pc"):
        assert np.array_equal(getattr(found, name), getattr(reference, name))
        assert getattr(found, name).dtype == getattr(reference, name).dtype
    for name in ("nb_classes", "tk_nextmove", "tk_row", "tk_output", "_rowbase"):
        assert getattr(found, name) == getattr(reference, name), name
    assert found._norm_probs and found._alias_pairs == reference._alias_pairs
    for text in TEXTS:
        assert found.rank(text) == reference.rank(text)
    restricted, expected = copy.copy(found), copy.copy(reference)  # as harness.langid does
    for identifier in (restricted, expected):
        identifier.set_languages(["en", "fr", "de", "id", "ms"])
    assert [restricted.classify(t) for t in TEXTS] == [expected.classify(t) for t in TEXTS]


def test_unpacked_once_then_read_from_the_cache(cache_home: Path, reference: Any) -> None:
    packed = Path(MODEL_DIR) / MODEL_FILE
    kept = unpacked.unpacked_path(packed)
    assert kept.parent == cache_home / "polyeval" and kept.name.startswith("py3langid-")
    same_model(unpacked.load_identifier(), reference)
    assert kept.is_file()
    assert [p.name for p in kept.parent.iterdir()] == [kept.name]  # no temporary file left
    made = kept.stat().st_mtime_ns
    same_model(unpacked.load_identifier(), reference)
    assert kept.stat().st_mtime_ns == made  # read, not made again


def test_a_damaged_copy_is_made_again(cache_home: Path, reference: Any) -> None:
    kept = unpacked.unpacked_path(Path(MODEL_DIR) / MODEL_FILE)
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"PK\x03\x04 cut short")
    same_model(unpacked.load_identifier(), reference)
    assert kept.stat().st_size > 1_000_000


def test_a_folder_that_cannot_be_written_falls_back_to_py3langid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Any
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    same_model(unpacked.load_identifier(), reference)
