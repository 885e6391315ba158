"""py3langid's model unpacked once into the user's cache folder (harness.langid.unpacked): the
identifier mapped from the kept copy is py3langid's own, array for array and ranking for
ranking, and so is a copy restricted to some languages, whose columns are kept too; a folder
that cannot be written, or a damaged copy, still gives it."""

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
LANGUAGES = ["en", "fr", "de", "id", "ms"]


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
    same_restriction(unpacked.restricted(found, LANGUAGES), reference)


def same_restriction(found: Any, reference: Any) -> None:
    """`found`: restricted to LANGUAGES as py3langid's own `set_languages` restricts
    `reference`."""
    expected = copy.copy(reference)
    expected.set_languages(LANGUAGES)
    for name in ("nb_ptc", "nb_pc"):
        assert np.array_equal(getattr(found, name), getattr(expected, name))
        assert getattr(found, name).dtype == getattr(expected, name).dtype
    assert found.nb_classes == expected.nb_classes
    assert found._alias_pairs == expected._alias_pairs
    assert [found.rank(t) for t in TEXTS] == [expected.rank(t) for t in TEXTS]
    assert found.nb_ptc is not reference.nb_ptc  # a copy: the full model is left whole


def test_unpacked_once_then_mapped_from_the_cache(cache_home: Path, reference: Any) -> None:
    packed = Path(MODEL_DIR) / MODEL_FILE
    kept = unpacked.unpacked_path(packed)
    assert kept.parent == cache_home / "polyeval" and kept.name.startswith("py3langid-")
    found = unpacked.load_identifier()
    same_model(found, reference)
    assert kept.is_dir()
    assert [p.name for p in kept.parent.iterdir()] == [kept.name]  # no temporary folder left
    assert Path(found.nb_ptc.filename) == kept / "ptc.npy"  # mapped, not read
    assert found.tk_nextmove.readonly
    made = {p.name: p.stat().st_mtime_ns for p in kept.iterdir()}
    same_model(unpacked.load_identifier(), reference)
    assert {p.name: p.stat().st_mtime_ns for p in kept.iterdir()} == made  # read, not made again


def test_a_restricted_copy_keeps_its_columns_and_maps_them_next_time(
    cache_home: Path, reference: Any
) -> None:
    kept = unpacked.unpacked_path(Path(MODEL_DIR) / MODEL_FILE)
    first = unpacked.restricted(unpacked.load_identifier(), LANGUAGES)
    same_restriction(first, reference)
    columns = Path(first.nb_ptc.filename)
    assert columns.parent == kept and columns.name.startswith("ptc-")
    made = columns.stat().st_mtime_ns
    again = unpacked.restricted(unpacked.load_identifier(), list(reversed(LANGUAGES)))
    same_restriction(again, reference)
    assert Path(again.nb_ptc.filename) == columns and columns.stat().st_mtime_ns == made
    other = unpacked.restricted(unpacked.load_identifier(), ["ru", "uk"])
    assert Path(other.nb_ptc.filename) != columns and other.nb_classes == ["ru", "uk"]


def test_a_damaged_copy_is_made_again(cache_home: Path, reference: Any) -> None:
    kept = unpacked.unpacked_path(Path(MODEL_DIR) / MODEL_FILE)
    same_model(unpacked.load_identifier(), reference)
    (kept / "ptc.npy").write_bytes(b"\x93NUMPY cut short")
    (kept / "pc.npy").unlink()
    same_model(unpacked.load_identifier(), reference)
    assert (kept / "ptc.npy").stat().st_size > 1_000_000 and (kept / "pc.npy").is_file()
    columns = Path(unpacked.restricted(unpacked.load_identifier(), LANGUAGES).nb_ptc.filename)
    columns.write_bytes(columns.read_bytes()[:1000])
    same_restriction(unpacked.restricted(unpacked.load_identifier(), LANGUAGES), reference)
    assert columns.stat().st_size > 1_000_000


def test_a_copy_kept_in_the_earlier_layout_is_removed(cache_home: Path) -> None:
    kept = unpacked.unpacked_path(Path(MODEL_DIR) / MODEL_FILE)
    earlier = kept.with_name(f"{kept.name}.npz")
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes(b"PK\x03\x04 the unpacked .npz of an earlier version")
    unpacked.load_identifier()
    assert not earlier.exists() and kept.is_dir()


def test_a_folder_that_cannot_be_written_falls_back_to_py3langid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Any
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    found = unpacked.load_identifier()
    same_model(found, reference)
    assert not hasattr(found.nb_ptc, "filename")  # read by py3langid itself
