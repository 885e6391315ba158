"""py3langid's model, unpacked once and kept in the user's cache folder.

py3langid ships its model as an LZMA-packed `.npz` (4.5 MB) and unpacks it each time it is
loaded: about 0.4 s of CPU, most of what a small run's scoring costs. The first load keeps the
unpacked `.npz` (about 70 MB) under `$XDG_CACHE_HOME/polyeval/` (default `~/.cache/polyeval/`),
named by py3langid's version and the packed file's hash; later loads read it in a few tens of
milliseconds. The arrays are the packed file's, read as py3langid's own `load_model` reads them,
so every ranking is the same (tests/langid/test_unpacked.py checks it).

Where the folder cannot be written, or the file is not what py3langid's loader expects, the
model is loaded by py3langid itself, as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import lzma
import os
import shutil
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.paths import cache_folder

_KEYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")
"""The arrays of py3langid's model file (its modelio.load_model reads these)."""


def load_identifier() -> Any:
    """py3langid's LanguageIdentifier with calibrated probabilities (`norm_probs`), from the
    unpacked copy of its model where one is kept or can be made."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    packed = Path(MODEL_DIR) / MODEL_FILE
    try:
        arrays = _unpacked_arrays(packed)
    except (OSError, ValueError, KeyError, EOFError, lzma.LZMAError, zipfile.BadZipFile):
        arrays = None
    if arrays is None:
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ptc, pc, classes, nextmove, row, output = arrays
    return LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)


def unpacked_path(packed: Path) -> Path:
    """The unpacked copy's file for this packed model and py3langid version."""
    with packed.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()[:16]
    return cache_folder() / f"py3langid-{metadata.version('py3langid')}-{digest}.npz"


def _unpacked_arrays(packed: Path) -> tuple[Any, ...] | None:
    """The model's arrays as py3langid's loader gives them, from the unpacked copy (made first
    where missing or unreadable); None where it does not hold py3langid's layout."""
    path = unpacked_path(packed)
    if path.is_file():
        with contextlib.suppress(OSError, ValueError, EOFError, zipfile.BadZipFile):
            return _read(path)
    _unpack(packed, path)
    return _read(path)


def _read(path: Path) -> tuple[Any, ...] | None:
    """(ptc, pc, classes, nextmove, nextmove_row, out_feat), typed as py3langid's
    modelio.load_model returns them."""
    import numpy as np
    from py3langid.modelio import _to_array  # type: ignore[import-untyped]

    with np.load(path, allow_pickle=False) as data:
        if any(key not in data.files for key in _KEYS):
            return None
        return (
            data["ptc"],
            data["pc"],
            data["classes"].tolist(),
            _to_array(data["nextmove"]),
            _to_array(data["nextmove_row"]),
            data["out_feat"].tolist(),
        )


def _unpack(packed: Path, path: Path) -> None:
    """The packed model unpacked to `path`, whole or not at all (a temporary file renamed):
    runs that unpack it at the same time each write their own."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out, lzma.open(packed) as source:
            shutil.copyfileobj(source, out, length=1 << 20)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
