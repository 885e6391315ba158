"""py3langid's model, unpacked once and kept in the user's cache folder, then mapped rather than
read.

py3langid ships its model as an LZMA-packed `.npz` (4.5 MB) and unpacks it each time it is
loaded: about 0.4 s of CPU, most of what a small run's scoring costs. The first load keeps the
unpacked arrays (about 70 MB) as `.npy` files in a folder under `$XDG_CACHE_HOME/polyeval/`
(default `~/.cache/polyeval/`), named by py3langid's version and the packed file's hash. Later
loads map the two large arrays (the n-gram weights and the tokenizer's transitions) into memory
instead of reading them: a load costs a few milliseconds, and a text's ranking touches only the
pages of the n-grams it holds.

`restricted` gives the identifier limited to some languages, as py3langid's `set_languages`
makes it, with the weights of those languages' columns kept in the same folder the first time:
restricting to the 87 languages written in Latin script copies 20 MB once, not in every run.

The arrays are the packed file's, read as py3langid's own `load_model` reads them and restricted
as its `set_languages` restricts them, so every ranking is the same (tests/langid/
test_unpacked.py checks it). Where the folder cannot be written, or a file is not what py3langid's
loader expects, the model is loaded (or restricted) by py3langid itself, as before.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
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
_MAPPED = frozenset({"ptc", "nextmove"})
"""The large ones (27 MB and 38 MB): mapped, not read."""
_FAILURES = (OSError, ValueError, KeyError, EOFError, lzma.LZMAError, zipfile.BadZipFile)


def load_identifier() -> Any:
    """py3langid's LanguageIdentifier with calibrated probabilities (`norm_probs`), from the
    unpacked copy of its model where one is kept or can be made."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    try:
        arrays = _unpacked_arrays(Path(MODEL_DIR) / MODEL_FILE)
    except _FAILURES:
        arrays = None
    if arrays is None:
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ptc, pc, classes, nextmove, row, output = arrays
    return LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)


def restricted(identifier: Any, languages: list[str]) -> Any:
    """A copy of the identifier limited to `languages` (py3langid labels), as py3langid's
    `set_languages` makes it, with those languages' weights mapped from the kept folder (made
    there the first time) where the identifier was loaded from it."""
    limited = copy.copy(identifier)
    mapped_from = getattr(identifier.nb_ptc, "filename", None)  # a memmap of the kept folder
    if mapped_from is not None:
        with contextlib.suppress(*_FAILURES, AttributeError):
            return _restricted_from(limited, Path(mapped_from).parent, languages)
    limited.set_languages(languages)
    return limited


def unpacked_path(packed: Path) -> Path:
    """The folder of the unpacked copy for this packed model and py3langid version."""
    with packed.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()[:16]
    return cache_folder() / f"py3langid-{metadata.version('py3langid')}-{digest}"


def _unpacked_arrays(packed: Path) -> tuple[Any, ...] | None:
    """The model's arrays as py3langid's loader gives them, from the unpacked copy (made first
    where missing or unreadable); None where it does not hold py3langid's layout."""
    folder = unpacked_path(packed)
    with contextlib.suppress(*_FAILURES):
        arrays = _read(folder)
        if arrays is not None:
            return arrays
    _unpack(packed, folder)
    return _read(folder)


def _read(folder: Path) -> tuple[Any, ...] | None:
    """(ptc, pc, classes, nextmove, nextmove_row, out_feat), typed as py3langid's
    modelio.load_model returns them: the transitions a read-only view of the mapped file with
    the array type py3langid gives them (indexed alike, item for item)."""
    from py3langid.modelio import _to_array  # type: ignore[import-untyped]

    if any(not (folder / f"{key}.npy").is_file() for key in _KEYS):
        return None
    data = {key: _load(folder / f"{key}.npy", mapped=key in _MAPPED) for key in _KEYS}
    kind = _to_array(data["nextmove"][:0]).typecode  # 'I' or 'L', as py3langid picks
    return (
        data["ptc"],
        data["pc"],
        data["classes"].tolist(),
        memoryview(data["nextmove"]).cast("B").cast(kind),
        _to_array(data["nextmove_row"]),
        data["out_feat"].tolist(),
    )


def _load(path: Path, mapped: bool) -> Any:
    import numpy as np

    return np.load(path, mmap_mode="r" if mapped else None, allow_pickle=False)


def _unpack(packed: Path, folder: Path) -> None:
    """The packed model unpacked into `folder`, whole or not at all (a temporary folder
    renamed): runs that unpack it at the same time each write their own, and the first to
    finish is kept. A copy kept in the earlier layout (one `.npz` file) is removed."""
    import numpy as np

    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    try:
        with lzma.open(packed) as source:
            data = io.BytesIO(source.read())
        with np.load(data, allow_pickle=False) as arrays:
            for key in _KEYS:
                np.save(temporary / f"{key}.npy", arrays[key], allow_pickle=False)
        if folder.is_dir():  # unreadable: made again
            shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):  # another run's copy came first: it is kept
            os.rename(temporary, folder)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    with contextlib.suppress(OSError):
        folder.with_name(f"{folder.name}.npz").unlink()


def _restricted_from(limited: Any, folder: Path, languages: list[str]) -> Any:
    """`set_languages(languages)` with the copy of the columns kept in `folder`."""
    nb_ptc, nb_pc, nb_classes = limited._full_model
    wanted = set(languages)
    unknown = wanted - set(nb_classes)
    if unknown:
        raise ValueError(f"Unknown language code(s): {unknown}")
    indices = [i for i, label in enumerate(nb_classes) if label in wanted]
    labels = [nb_classes[i] for i in indices]
    name = hashlib.sha256(",".join(labels).encode()).hexdigest()[:16]
    shape = (nb_ptc.shape[0], len(indices))
    limited.nb_ptc = _columns(folder / f"ptc-{name}.npy", nb_ptc, indices, shape)
    limited.nb_classes = labels
    limited.nb_pc = nb_pc[indices]
    limited._set_alias_pairs()
    return limited


def _columns(path: Path, nb_ptc: Any, indices: list[int], shape: tuple[int, int]) -> Any:
    """The weights' columns `indices`, mapped from `path`, written there first where missing or
    not of their shape (a temporary file renamed)."""
    import numpy as np

    with contextlib.suppress(*_FAILURES):
        kept = _load(path, mapped=True)
        if kept.shape == shape and kept.dtype == nb_ptc.dtype:
            return kept
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            np.save(out, np.ascontiguousarray(nb_ptc[:, indices]), allow_pickle=False)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    kept = _load(path, mapped=True)
    if kept.shape != shape or kept.dtype != nb_ptc.dtype:
        raise ValueError(f"{path} does not hold the restricted weights")
    return kept
