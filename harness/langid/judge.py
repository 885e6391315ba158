"""Is a text in the language asked for? One verdict per text.

The steps (thresholds and tables in langid.yaml and scripts.tsv):

1. `language_bearing`: strip math, code, URLs, digits and option labels; count the letters of each
   Unicode script (a Han character weighs 3, a kana, Hangul or Ethiopic one 2, others 1).
2. Writing systems: Unicode scripts, except that Han letters count as Japanese (with the kana)
   when kana make at least a tenth of them.
3. Too little text gives "und" (`consistent=None`, counted apart by callers, never a failure):
   fewer than 12 weighted letters or 3 words, or, where the script alone names the language
   (Armenian, Thai, Urdu by its letters...), fewer than 8 letters or 2 words.
4. If less than half of the letters are in the expected writing system, the text is
   inconsistent (method "script"); `detected` is the language of the system most letters are in.
5. Otherwise the language is identified among the languages written in the expected system, from
   the words in that system only (a Hindi answer with English terms is judged on its Hindi words):
   - the system names the language (Armenian, Thai, Hangul, kana, Tibetan...) when all the
     table's languages written in it are equivalent: method "script";
   - letter rules (Urdu / Persian / Arabic / Pashto / Sindhi / Kurdish / Uyghur, Yiddish / Hebrew,
     Shan / Burmese, Tigrinya / Amharic): method "letters"; a language of such a script without a
     rule of its own (South Azerbaijani) is judged by script only, and the note says so;
   - else py3langid restricted to the languages of that system: method "py3langid". Equivalent
     languages' probabilities are summed; below `min_confidence` the verdict is "und" (py3langid
     cannot tell). An expected language py3langid does not know (Acholi, Maithili...) is accepted
     unless py3langid gives another language (not one of its `unknown_near`) at least
     `unknown_reject` probability (0.8; English 0.3); the note says it was judged by script.
   With `detector="lid176"`, fastText lid.176 replaces this step (method "lid176"): its best
   language of the system must be the expected one with a score above 0.3, as in LCB; languages it
   does not know go to py3langid when py3langid knows them, else to the same unknown-language rule.
6. Equivalence classes (Indonesian/Malay, Chinese varieties, Norwegian, Tibetan/Dzongkha,
   Croatian/Bosnian/Serbian, Arabic varieties) count as the expected language; the note says so.
   Languages under `not_judged` (romanized text; Banjar, Minangkabau, Ngaju, which py3langid takes
   for Indonesian) always get "und" with the reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from harness.errors import PolyevalError
from harness.langid import detectors
from harness.langid.tables import Equivalence, tables
from harness.langid.text import Letters, letters
from harness.languages import all_languages, get_language, is_known

DETECTORS: tuple[str, ...] = ("default", "lid176")
METHODS: tuple[str, ...] = ("script", "letters", "py3langid", "lid176", "und")
LABELS = {True: "yes", False: "no", None: "und"}
_DETECTOR_NAMES = {"py3langid": "py3langid", "lid176": "lid.176"}


@dataclass(frozen=True)
class Verdict:
    expected: str  # canonical code asked for
    detected: str | None  # canonical code judged (None when undetermined)
    # 0..1: the share of the deciding script ("script"), of the characteristic letters that are
    # the language's own ("letters"), or the detector's probability ("py3langid", "lid176")
    confidence: float
    # share of the letters in each ISO 15924 script, largest first: {"Arab": 0.93, "Latn": 0.07};
    # a character weighs as scripts.tsv says (a Han character 3 letters, a kana or Hangul one 2)
    scripts: dict[str, float]
    # None = "und": too little language-bearing text, the detector cannot tell, or not judged
    consistent: bool | None
    method: str  # "script", "letters", "py3langid", "lid176", "und"
    note: str = ""

    @property
    def label(self) -> str:
        """The verdict as a word: yes, no or und."""
        return LABELS[self.consistent]

    def as_record(self) -> dict[str, Any]:
        """JSON-ready and compact: shares and confidence rounded, no empty note."""
        record: dict[str, Any] = {
            "expected": self.expected,
            "detected": self.detected,
            "confidence": round(self.confidence, 3),
            "scripts": {s: round(v, 2) for s, v in self.scripts.items() if round(v, 2) > 0},
            "consistent": self.label,
            "method": self.method,
        }
        if self.note:
            record["note"] = self.note
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Verdict:
        """The verdict back from `as_record` (shares and confidence as rounded there)."""
        consistent = {label: value for value, label in LABELS.items()}[record["consistent"]]
        return cls(
            expected=record["expected"],
            detected=record["detected"],
            confidence=float(record["confidence"]),
            scripts={str(k): float(v) for k, v in record["scripts"].items()},
            consistent=consistent,
            method=record["method"],
            note=record.get("note", ""),
        )


@dataclass(frozen=True)
class Target:
    """What judging against one language needs, worked out once per language."""

    code: str
    name: str
    system: str
    accepted: frozenset[str]  # the language and its equivalents
    class_note: str
    py3langid_knows: bool
    lid176_knows: bool
    has_letter_rule: bool  # for scripts told apart by letters: whether a rule names it
    near: frozenset[str]


def judge(text: str, expected: str, detector: str = "default") -> Verdict:
    """The verdict on whether `text` is written in the `expected` language (a canonical code or an
    alias such as "ur"); `detector` is "default" or "lid176"."""
    check_detector(detector)
    want = target(expected)
    data = tables()
    if want.code in data.not_judged:
        return Verdict(want.code, None, 0.0, {}, None, "und", data.not_judged[want.code])
    found = letters(text)
    shares = found.shares()
    limits = data.thresholds
    systems = _systems(found)
    total = found.total
    own = systems.get(want.system)
    in_own = own is not None and own[0] / total >= limits.min_script_share
    if found.total < limits.min_letters or found.words < limits.min_words:
        # a script that names its language needs less text (in the expected script or not)
        main = want.system if in_own else max(systems, key=lambda s: systems[s][0], default="")
        by_script = detector == "default" and _decided_by_script(main)
        if (
            not by_script
            or found.total < limits.script_min_letters
            or found.words < limits.script_min_words
        ):
            note = (
                f"too little language-bearing text: {found.total:g} letters, "
                f"{found.words} words (at least {limits.min_letters:g} and "
                f"{limits.min_words} needed)"
            )
            return Verdict(want.code, None, 0.0, shares, None, "und", note)
    if own is not None and in_own:
        share = own[0] / total
        words = found.text_in(own[1])
        if detector == "lid176":
            return _lid176(want, words, share, shares)
        return _identify(want, want.system, words, share, shares)
    main = max(systems, key=lambda system: systems[system][0])
    share = systems[main][0] / total
    other = _identify(None, main, found.text_in(systems[main][1]), share, shares)
    note = (
        f"written mostly in {_system_name(main)} script ({share:.0%}), "
        f"not {_system_name(want.system)}"
    )
    return Verdict(want.code, other.detected, other.confidence, shares, False, "script", note)


def check_detector(detector: str) -> None:
    if detector not in DETECTORS:
        raise PolyevalError(f"unknown language detector '{detector}'; use default or lid176")


def language_name(code: str) -> str:
    """English name of a canonical code: the language table's, or langid.yaml's for detector
    labels outside it, or "" when neither has it."""
    if is_known(code):
        return get_language(code).name
    for entry in tables().detector_codes.values():
        if entry.code == code:
            return entry.name
    return ""


# --- steps ---------------------------------------------------------------------------------------


def _systems(found: Letters) -> dict[str, tuple[float, frozenset[str]]]:
    """Weighted letters per writing system, with the Unicode scripts each is made of here."""
    grouped: dict[str, tuple[float, frozenset[str]]] = {
        script: (count, frozenset({script})) for script, count in found.weighted.items()
    }
    for system in tables().systems.values():
        present = [s for s in system.scripts if s in found.weighted]
        total = sum(found.weighted[s] for s in present)
        markers = sum(found.weighted[s] for s in present if s in system.markers)
        if total and markers / total >= system.min_share:
            for script in present:
                del grouped[script]
            grouped[system.code] = (total, frozenset(present))
    return grouped


def _identify(
    want: Target | None, system: str, words: str, share: float, shares: dict[str, float]
) -> Verdict:
    """The language of `words` among the languages written in `system`. `want` is the expected
    language when the text is judged in its own system, None when only `detected` matters."""
    expected = want.code if want is not None else ""
    languages = _system_languages(system)
    if not languages:
        note = f"no language of the table is written in {_system_name(system)} script"
        return _verdict(want, None, share, shares, "script", note)
    rules = tables().letters.get(system)
    if rules is not None:
        if want is not None and not want.has_letter_rule:
            note = f"{want.name} has no letter rule in langid.yaml: judged by script only"
            return _verdict(want, want.code, share, shares, "script", note)
        detected, confidence = _by_letters(words, system)
        return _verdict(want, detected, confidence, shares, "letters")
    classes = {_accepted(code) for code in languages}
    if len(classes) == 1:
        (accepted,) = classes
        detected = expected if expected in accepted else languages[0]
        return _verdict(want, detected, share, shares, "script")
    ranking = detectors.py3langid_ranking(words, system)
    if not ranking:
        note = f"no detector knows the languages of {_system_name(system)} script"
        return _verdict(want, None, share, shares, "script", note)
    detected, probability = _top(ranking)
    if want is None or want.py3langid_knows:
        limit = tables().thresholds.min_confidence
        if want is not None and probability < limit:
            note = (
                f"py3langid cannot tell: its best guess, {detected}, has probability "
                f"{probability:.2f} (< {limit:g})"
            )
            return Verdict(want.code, None, probability, shares, None, "und", note)
        return _verdict(want, detected, probability, shares, "py3langid")
    return _unknown(want, detected, probability, share, shares, "py3langid")


def _unknown(
    want: Target,
    detected: str,
    probability: float,
    share: float,
    shares: dict[str, float],
    detector: str,
) -> Verdict:
    """An expected language the detector does not know: right script, and not confidently
    another language."""
    bars = tables().thresholds.unknown_reject[detector]
    limit = bars.get(detected, bars["default"])
    if detected in want.accepted or detected in want.near or probability < limit:
        name = _DETECTOR_NAMES[detector]
        note = (
            f"{want.name} is unknown to {name}: judged by script, accepted unless another "
            f"language is recognised with probability >= {limit:g} "
            f"({name}: {detected} {probability:.2f})"
        )
        return _verdict(want, want.code, share, shares, "script", note)
    note = (
        f"{want.name} is unknown to {_DETECTOR_NAMES[detector]}, which recognises "
        f"{language_name(detected) or detected}"
    )
    return _verdict(want, detected, probability, shares, detector, note)


def _lid176(want: Target, words: str, share: float, shares: dict[str, float]) -> Verdict:
    """Step 4 with fastText lid.176: its best label among the languages of the system."""
    limit = tables().thresholds.lid176_min_score
    ranking: list[tuple[str, float]] = []
    for label, score in detectors.lid176_ranking(words, k=10):
        code = detectors.label_code(label, want.system)
        if code is not None and detectors.system_of(code) == want.system:
            ranking.append((code, score))
    if not ranking:
        note = f"lid.176 gives no language written in {_system_name(want.system)} script"
        return Verdict(want.code, None, 0.0, shares, False, "lid176", note)
    detected, score = _top(ranking)
    if not want.lid176_knows:
        if want.py3langid_knows:  # Luganda: py3langid knows it, lid.176 does not
            verdict = _identify(want, want.system, words, share, shares)
            note = f"{want.name} is unknown to lid.176: judged by py3langid"
            return replace(verdict, note=f"{note}; {verdict.note}" if verdict.note else note)
        return _unknown(want, detected, score, share, shares, "lid176")
    verdict = _verdict(want, detected, score, shares, "lid176")
    if verdict.consistent and score <= limit:
        note = f"lid.176 score {score:.2f} is not above {limit:g}, the threshold of LCB"
        return Verdict(want.code, detected, score, shares, False, "lid176", note)
    return verdict


def _top(ranking: list[tuple[str, float]]) -> tuple[str, float]:
    """The most probable language, equivalent languages counted together (Indonesian and Malay:
    their probabilities summed), with the probability of its class."""
    sums: dict[frozenset[str], float] = {}
    best: dict[frozenset[str], str] = {}
    for code, probability in ranking:  # best first
        if probability < 0.001 and sums:  # the long tail of unlikely languages: left out
            break
        accepted = _accepted(code)
        if accepted not in sums:
            sums[accepted] = 0.0
            best[accepted] = code
        sums[accepted] += probability
    winner = max(sums, key=lambda accepted: sums[accepted])
    return best[winner], min(1.0, sums[winner])


def _by_letters(words: str, system: str) -> tuple[str, float]:
    """The letter rules of a script: the language, and the share of its letters among those of
    the languages of its group and of the groups before (letters of later groups, which its
    language may use too, do not count); 0.5 for the default language, when no rule applies."""
    rules = tables().letters[system]
    counts = Counter(words)
    seen = 0
    for group in rules.groups:
        found = {code: sum(counts[ch] for ch in chars) for code, chars in group.languages.items()}
        seen += sum(found.values())
        best = max(found, key=lambda code: found[code])
        if found[best] >= group.min:
            return best, found[best] / seen
    return rules.default, 0.5


def _verdict(
    want: Target | None,
    detected: str | None,
    confidence: float,
    shares: dict[str, float],
    method: str,
    note: str = "",
) -> Verdict:
    if want is None:  # only the detected language is wanted
        return Verdict("", detected, confidence, shares, False, method, note)
    consistent = detected is not None and detected in want.accepted
    if detected is not None and detected in want.near:  # a language not told apart from it
        consistent = True
        near = f"{want.name} is not told apart from {language_name(detected) or detected} here"
        note = f"{note}; {near}" if note else near
    if want.class_note and (method == "script" or detected != want.code) and consistent:
        note = f"{note}; {want.class_note}" if note else want.class_note
    return Verdict(want.code, detected, confidence, shares, consistent, method, note)


# --- cached facts --------------------------------------------------------------------------------


@cache
def target(code: str) -> Target:
    """What judging against a language needs (PolyevalError for an unknown code)."""
    language = get_language(code)  # PolyevalError for unknown codes
    data = tables()
    equivalence: Equivalence | None = data.classes.get(language.code)
    system = detectors.system_of(language.code)
    accepted = _accepted(language.code)
    py3_codes = set(detectors.py3langid_candidates(system).values())
    return Target(
        code=language.code,
        name=language.name,
        system=system,
        accepted=accepted,
        class_note=equivalence.note if equivalence is not None else "",
        py3langid_knows=bool(py3_codes & accepted),
        lid176_knows=detectors.lid176_knows(language.code),
        has_letter_rule=_has_letter_rule(system, accepted),
        near=data.unknown_near.get(language.code, frozenset()),
    )


def _has_letter_rule(system: str, accepted: frozenset[str]) -> bool:
    rules = tables().letters.get(system)
    if rules is None:
        return False
    named = {rules.default, *(code for group in rules.groups for code in group.languages)}
    return bool(named & accepted)


@cache
def _accepted(code: str) -> frozenset[str]:
    classes = tables().classes
    return classes[code].languages if code in classes else frozenset({code})


@cache
def _system_languages(system: str) -> tuple[str, ...]:
    """The table's languages written in a system, those never judged left out."""
    skip = tables().not_judged
    return tuple(
        language.code
        for language in all_languages()
        if detectors.system_of(language.code) == system and language.code not in skip
    )


@cache
def _decided_by_script(system: str) -> bool:
    """Whether the script or its letter rules alone name the language of a text in it."""
    languages = _system_languages(system)
    if system in tables().letters:
        return True
    return bool(languages) and len({_accepted(code) for code in languages}) == 1


@cache
def _system_name(system: str) -> str:
    data = tables()
    if system in data.systems:
        return data.systems[system].name
    return data.scripts[system].name if system in data.scripts else system
