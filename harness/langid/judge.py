"""Is a text in the language asked for? One verdict per text: yes, no, or "und" (cannot tell).

"No" needs evidence: another writing system that clearly dominates, letters the expected language
never writes, or a detector that prefers another language by a clear margin at a confidence
calibrated on benchmarks/langid_related.tsv (benchmarks/langid_pairs.py). A weak guess for a
sister language gives "und", never "no". The steps (thresholds and tables in langid.yaml and
scripts.tsv):

1. `language_bearing`: strip math, code, URLs, digits and option labels; count the letters of each
   Unicode script (a Han character weighs 3, a kana, Hangul or Ethiopic one 2, others 1).
2. Writing systems: Unicode scripts, except that Han letters count as Japanese (with the kana)
   when kana make at least a tenth of them.
3. Too little text gives "und" (`consistent=None`, counted apart by callers, never a failure):
   fewer than 12 weighted letters or 3 words, or, where the script alone names the language
   (Armenian, Thai, Urdu by its letters...), fewer than 8 letters or 2 words.
4. Script: with less than `mixed_script_share` of the letters in the expected writing system the
   text is in another one (method "script"; `detected` is the language of the system most letters
   are in). From that share up to `min_script_share` the text is code-mixed: it is judged on its
   words in the expected system, and the note says how much is in another script (a Hindi reply
   with English terms is Hindi).
5. Otherwise the language is identified among the languages written in the expected system, from
   the words in that system only:
   - the system names the language (Armenian, Thai, Hangul, kana, Tibetan...) when all the
     table's languages written in it are equivalent: method "script", no confidence (nothing
     but the script was measured);
   - letter rules (Urdu / Persian / Arabic / Pashto / Sindhi / Kurdish / Uyghur, Yiddish / Hebrew,
     Shan / Burmese, Tigrinya / Amharic): method "letters". Letters of a group before the expected
     language's (letters it never writes) are evidence at once; the mere absence of its own
     letters only over the rule's `absence_words` words or more. A language of such a script without
     a rule of its own (South Azerbaijani) is judged by script only, and the note says so;
   - else py3langid restricted to the languages of that system (method "py3langid"), or, with
     `detector="lid176"`, fastText lid.176 (method "lid176"). Equivalent languages' scores are
     summed. The expected language first with at least `accept`: yes. Another language first with
     at least `reject` (`short_reject` under `short_words` words) and `margin` more than the
     expected language: no. Anything else: und, and the note gives both scores (`evidence` in
     langid.yaml, one row per detector).
   - An expected language the detector does not know (Acholi, Maithili, romanized Hindi...) is
     accepted unless the detector gives another language at least the probability of its
     `unknown_reject` bar (not one of its `unknown_near`); its verdict has no confidence, and the
     note quotes the detector's guess. Romanized targets (`romanized`) have bars of their own:
     they are judged only as Latin-script text that is not English (nor, with py3langid,
     confidently another language), and not written in the language's own script.
6. Equivalence classes (Indonesian/Malay, Chinese varieties, Norwegian, Tibetan/Dzongkha,
   Croatian/Bosnian/Serbian, Arabic varieties) count as the expected language; the note says so.
   Languages under `not_judged` (Banjar, Minangkabau, Ngaju, which py3langid takes for
   Indonesian) always get "und" with the reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from harness.detectors import check_detector
from harness.langid import detectors
from harness.langid.tables import Equivalence, tables
from harness.langid.text import Letters, bounded, letters
from harness.languages import all_languages, get_language, is_known

METHODS: tuple[str, ...] = ("script", "letters", "py3langid", "lid176", "und")
LABELS = {True: "yes", False: "no", None: "und"}
_DETECTOR_NAMES = {"py3langid": "py3langid", "lid176": "lid.176"}


@dataclass(frozen=True)
class Verdict:
    expected: str  # canonical code asked for
    detected: str | None  # canonical code judged (None when undetermined)
    # what was measured for `detected`, 0..1: the detector's probability or score ("py3langid",
    # "lid176"), or the share of the characteristic letters that are its own ("letters"); None
    # where nothing but the script was measured (the script names the language, a language the
    # detector does not know, too little text)
    confidence: float | None
    # share of the letters in each ISO 15924 script, largest first: {"Arab": 0.93, "Latn": 0.07};
    # a character weighs as scripts.tsv says (a Han character 3 letters, a kana or Hangul one 2)
    scripts: dict[str, float]
    # None = "und": too little language-bearing text, no clear evidence either way, or not judged
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
            "confidence": None if self.confidence is None else round(self.confidence, 3),
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
        confidence = record["confidence"]
        return cls(
            expected=record["expected"],
            detected=record["detected"],
            confidence=None if confidence is None else float(confidence),
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
    # language (or "default") -> the probability that rejects, by detector, for a language the
    # detector does not know (romanized targets have bars of their own)
    reject_bars: dict[str, dict[str, float]]
    romanized_note: str  # for a romanized target: what its verdicts can tell


@dataclass(frozen=True)
class Guess:
    """A detector's ranking of the languages of one writing system for some words, reduced to
    what the verdict needs."""

    method: str  # py3langid or lid176
    best: str  # its most probable language (equivalent languages counted together)
    score: float  # the best language's probability or score, with its equivalents'
    expected: float  # the expected language's, with its equivalents' (0: not ranked)
    words: int  # words it was given


def judge(text: str, expected: str, detector: str = "default") -> Verdict:
    """The verdict on whether `text` is written in the `expected` language (a canonical code or an
    alias such as "ur"); `detector` is "default" or "lid176". A long text is judged on its first
    MAX_TEXT_CHARS characters (harness.langid.text.bounded)."""
    check_detector(detector)
    text = bounded(text)
    want = target(expected)
    data = tables()
    if want.code in data.not_judged:
        note = f"not judged: {data.not_judged[want.code]}"
        return Verdict(want.code, None, None, {}, None, "und", note)
    found = letters(text)
    shares = found.shares()
    limits = data.thresholds
    systems = _systems(found)
    total = found.total
    own = systems.get(want.system)
    own_share = own[0] / total if own is not None and total else 0.0
    if found.total < limits.min_letters or found.words < limits.min_words:
        # a script that names its language needs less text (in the expected script or not)
        in_own = own_share >= limits.min_script_share
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
            return Verdict(want.code, None, None, shares, None, "und", note)
    if want.romanized_note and own_share < 1 - limits.mixed_script_share:
        # romanized text with a quarter of its letters in another script is not romanized
        return _other_script(want, found, systems, shares)
    if own is not None and (own_share >= limits.min_script_share or _mixed(found, own)):
        words = found.text_in(own[1])
        count = found.count_in(own[1])[1]
        if detector == "lid176":
            verdict = _lid176(want, words, count, shares)
        else:
            verdict = _identify(want, want.system, words, count, shares)
        if own_share >= limits.min_script_share:
            return verdict
        mixed = (
            f"code-mixed: {1 - own_share:.0%} of the letters are in other scripts; judged on "
            f"its words in {_system_name(want.system)} script"
        )
        return replace(verdict, note=f"{mixed}; {verdict.note}" if verdict.note else mixed)
    return _other_script(want, found, systems, shares)


def _mixed(found: Letters, own: tuple[float, frozenset[str]]) -> bool:
    """Whether a text not mostly in the expected writing system is code-mixed: at least
    `mixed_script_share` of its letters in it, and enough of its words to judge them alone."""
    limits = tables().thresholds
    weighted, words = found.count_in(own[1])
    return (
        weighted / found.total >= limits.mixed_script_share
        and weighted >= limits.min_letters
        and words >= limits.min_words
    )


def judging_limit(code: str) -> str:
    """What a verdict on this language cannot tell, in words: "" for a language judged in full
    (or not in the language table); the reason for one never judged; what is judged of a
    romanized one."""
    if not is_known(code):
        return ""
    data, code = tables(), get_language(code).code  # not target(): no detector is loaded
    if code in data.not_judged:
        return f"not judged, every answer und: {data.not_judged[code]}"
    return data.romanized_note if code in data.romanized else ""


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


def _other_script(
    want: Target,
    found: Letters,
    systems: dict[str, tuple[float, frozenset[str]]],
    shares: dict[str, float],
) -> Verdict:
    """A text (nearly) all in other writing systems than the expected one: inconsistent, with
    the language of the other system most of its letters are in."""
    others = {system: held for system, held in systems.items() if system != want.system}
    main = max(others, key=lambda system: others[system][0])
    share = others[main][0] / found.total
    words = found.text_in(others[main][1])
    count = found.count_in(others[main][1])[1]
    other = _identify(None, main, words, count, shares)
    mostly = "mostly" if share >= 1 - tables().thresholds.mixed_script_share else "partly"
    note = (
        f"written {mostly} in {_system_name(main)} script ({share:.0%}), "
        f"not {_system_name(want.system)}"
    )
    return Verdict(want.code, other.detected, other.confidence, shares, False, "script", note)


def _identify(
    want: Target | None, system: str, words: str, count: int, shares: dict[str, float]
) -> Verdict:
    """The language of `words` (`count` of them) among the languages written in `system`. `want`
    is the expected language when the text is judged in its own system, None when only
    `detected` matters."""
    expected = want.code if want is not None else ""
    languages = _system_languages(system)
    if not languages:
        note = f"no language of the table is written in {_system_name(system)} script"
        return _verdict(want, None, None, shares, "script", note)
    rules = tables().letters.get(system)
    if rules is not None:
        if want is not None and not want.has_letter_rule:
            note = f"{want.name} has no letter rule in langid.yaml: judged by script only"
            return _verdict(want, want.code, None, shares, "script", note)
        return _by_letters(want, words, count, system, shares)
    classes = {_accepted(code) for code in languages}
    if len(classes) == 1:
        (accepted,) = classes
        detected = expected if expected in accepted else languages[0]
        return _verdict(want, detected, None, shares, "script")
    ranking = detectors.py3langid_ranking(words, system)
    if not ranking:
        note = f"no detector knows the languages of {_system_name(system)} script"
        return _verdict(want, None, None, shares, "script", note)
    if want is None:
        detected, probability = _top(ranking)
        return _verdict(None, detected, probability, shares, "py3langid")
    if want.py3langid_knows:
        return _weigh(want, _guess("py3langid", ranking, want, count), shares)
    return _unknown(want, ranking, shares, "py3langid")


def _guess(method: str, ranking: list[tuple[str, float]], want: Target, words: int) -> Guess:
    best, score = _top(ranking)
    expected = min(1.0, sum(p for code, p in ranking if code in want.accepted))
    return Guess(method, best, score, expected, words)


def _weigh(want: Target, guess: Guess, shares: dict[str, float]) -> Verdict:
    """A detector's guess turned into a verdict: yes for the expected language at `accept` or
    more; no for another one only with a clear margin at a calibrated score; else und."""
    bars = tables().thresholds.evidence[guess.method]
    name = _DETECTOR_NAMES[guess.method]
    best = language_name(guess.best) or guess.best
    if guess.best in want.near:  # a language the detector takes the expected one for
        note = f"{want.name} is not told apart from {best} here (unknown_near in langid.yaml)"
        return Verdict(want.code, guess.best, guess.score, shares, True, guess.method, note)
    if guess.best in want.accepted:
        if guess.score >= bars.accept:
            return _verdict(want, guess.best, guess.score, shares, guess.method)
        note = (
            f"{name} cannot tell: its best guess, {guess.best}, has probability "
            f"{guess.score:.2f} (< {bars.accept:g})"
        )
        return Verdict(want.code, None, guess.score, shares, None, "und", note)
    needed = bars.reject if guess.words >= bars.short_words else bars.short_reject
    scores = f"{name}: {best} {guess.score:.2f}, {want.name} {guess.expected:.2f}"
    clear = guess.score >= needed and guess.score - guess.expected >= bars.margin
    if clear or guess.expected < bars.below:
        return _verdict(want, guess.best, guess.score, shares, guess.method, scores)
    short = f" in {guess.words} words" if guess.words < bars.short_words else ""
    note = (
        f"no clear evidence of another language ({scores}; a rejection needs {needed:g}{short} "
        f"and a margin of {bars.margin:g}, or {want.name} under {bars.below:g})"
    )
    return Verdict(want.code, None, guess.score, shares, None, "und", note)


def _unknown(
    want: Target, ranking: list[tuple[str, float]], shares: dict[str, float], detector: str
) -> Verdict:
    """An expected language the detector does not know: right script, and no other language
    recognised at its bar (the first of the ranking that reaches it rejects; languages the
    detector takes the expected one for never do). Nothing is measured about the expected
    language itself: no confidence."""
    bars = want.reject_bars[detector]
    name = _DETECTOR_NAMES[detector]
    lead = want.romanized_note or f"{want.name} is unknown to {name}: judged by script"
    ranked = _classes(ranking)
    for code, probability in ranked:
        limit = bars.get(code, bars.get("default"))
        if code in want.accepted or code in want.near or limit is None or probability < limit:
            continue
        found = f"{name} gives {language_name(code) or code} {probability:.2f}"
        note = f"{lead}; {found}, at or above its bar of {limit:g}: rejected"
        return _verdict(want, code, probability, shares, detector, note)
    detected, probability = ranked[0]
    guess = f"{name}'s best guess: {language_name(detected) or detected} {probability:.2f}"
    if detected in want.near:
        why = f"a language {name} takes {want.name} for (unknown_near in langid.yaml)"
    else:
        why = "no language at its bar"
    note = f"{lead}; {guess}, {why}: accepted"
    return _verdict(want, want.code, None, shares, "script", note)


def _lid176(want: Target, words: str, count: int, shares: dict[str, float]) -> Verdict:
    """Step 5 with fastText lid.176: its ranking of the languages of the system."""
    ranking: list[tuple[str, float]] = []
    for label, score in detectors.lid176_ranking(words, k=10):
        code = detectors.label_code(label, want.system)
        if code is not None and detectors.system_of(code) == want.system:
            ranking.append((code, score))
    if not want.lid176_knows and want.py3langid_knows:  # Luganda: py3langid knows it
        verdict = _identify(want, want.system, words, count, shares)
        note = f"{want.name} is unknown to lid.176: judged by py3langid"
        return replace(verdict, note=f"{note}; {verdict.note}" if verdict.note else note)
    if not ranking:
        note = f"lid.176 gives no language written in {_system_name(want.system)} script"
        return Verdict(want.code, None, None, shares, None, "und", note)
    if not want.lid176_knows:
        return _unknown(want, ranking, shares, "lid176")
    return _weigh(want, _guess("lid176", ranking, want, count), shares)


def _classes(ranking: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The ranking with equivalent languages counted together (Indonesian and Malay: their
    probabilities summed, under the more probable one), most probable first."""
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
    ordered = sorted(sums, key=lambda accepted: -sums[accepted])
    return [(best[accepted], min(1.0, sums[accepted])) for accepted in ordered]


def _top(ranking: list[tuple[str, float]]) -> tuple[str, float]:
    """The most probable language, equivalent languages counted together."""
    return _classes(ranking)[0]


def _by_letters(
    want: Target | None, words: str, count: int, system: str, shares: dict[str, float]
) -> Verdict:
    """The letter rules of a script. The first group in which some language has at least `min`
    of its letters names the language with the most; its confidence is the share of its letters
    among those of the languages of its group and of the groups before (letters of later groups,
    which its language may use too, do not count). Against an expected language of a later group
    those letters are evidence at once (letters it never writes); against one of an earlier group
    only the absence of its own letters speaks, which takes `absence_words` words."""
    rules = tables().letters[system]
    counts = Counter(words)
    seen = 0
    detected, confidence, place = rules.default, None, len(rules.groups)
    for index, group in enumerate(rules.groups):
        found = {code: sum(counts[ch] for ch in chars) for code, chars in group.languages.items()}
        seen += sum(found.values())
        best = max(found, key=lambda code: found[code])
        if found[best] >= group.min:
            detected, confidence, place = best, found[best] / seen, index
            break
    if want is None:
        return _verdict(want, detected, confidence, shares, "letters")
    needed = rules.absence_words
    if detected in want.accepted:
        if confidence is not None or count >= needed:
            note = "" if confidence is not None else f"no letter of any rule in {count} words"
            return _verdict(want, detected, confidence, shares, "letters", note)
        note = f"no letter of any rule in {count} words: too few to tell ({needed} needed)"
        return Verdict(want.code, None, None, shares, None, "und", note)
    own = _letter_group(want, system)
    if place < own:  # letters the expected language never writes
        return _verdict(want, detected, confidence, shares, "letters")
    missing = "".join(sorted(rules.groups[own].languages.get(want.code, frozenset())))
    absent = f"no letter of {want.name}'s own ({missing}) in {count} words"
    if count >= needed:
        return _verdict(want, detected, confidence, shares, "letters", absent)
    note = f"{absent}: too few to tell ({needed} needed)"
    return Verdict(want.code, None, confidence, shares, None, "und", note)


def _letter_group(want: Target, system: str) -> int:
    """The place of the expected language's letter group in its script's rules (the number of
    groups for the default language, which has none)."""
    rules = tables().letters[system]
    for index, group in enumerate(rules.groups):
        if set(group.languages) & want.accepted:
            return index
    return len(rules.groups)


def _verdict(
    want: Target | None,
    detected: str | None,
    confidence: float | None,
    shares: dict[str, float],
    method: str,
    note: str = "",
) -> Verdict:
    if want is None:  # only the detected language is wanted
        return Verdict("", detected, confidence, shares, False, method, note)
    consistent = detected is not None and detected in want.accepted
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
    romanized = data.romanized.get(language.code)
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
        reject_bars=data.romanized_reject if romanized else data.thresholds.unknown_reject,
        romanized_note=f"romanized {get_language(romanized).name}: {data.romanized_note}"
        if romanized
        else "",
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
    """The table's languages written in a system, those never judged and romanized ones left
    out."""
    data = tables()
    return tuple(
        language.code
        for language in all_languages()
        if detectors.system_of(language.code) == system
        and language.code not in data.not_judged
        and language.code not in data.romanized
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
