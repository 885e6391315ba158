"""When does harness.langid say "wrong language"? False rejections and false acceptances on
closely related languages, short answers and code-mixed replies (benchmarks/langid_related.tsv),
per pair of languages, for both detectors (`default` and `lid176`).

- false rejection (FR) of a language: the share of its answers judged "no" against their own
  language (right language judged wrong);
- false acceptance (FA) of a pair A -> B: the share of the answers written in A judged "yes"
  against B (wrong language judged right); the share judged "no" is the rejection the verdict
  should give;
- "und" (too short, or no clear evidence either way) is neither: it is counted and shown, since
  it is what a verdict without evidence costs.

Pairs of equivalent languages (Malay and Indonesian are accepted as either) are shown apart; the
romanized variants are compared with English and with their own script only (they are not told
apart from one another, by design).

With `--before REV` the same set is judged by the verdict rule of that git revision (its
`harness` package unpacked into a temporary folder and run in a second process, this script
given only the public `judge`), and each rate is shown as `after (before)`. `--sweep` prints the
totals for a grid of the `evidence` thresholds of langid.yaml, the calibration behind them.

Usage: python benchmarks/langid_pairs.py [--detector default|lid176] [--before REV] [--sweep]
       [--json] [--failures]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import importlib
import itertools
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from harness.langid import judge
from harness.langid.judge import target
from harness.languages import is_known

REPO = Path(__file__).resolve().parent.parent
SET_PATH = REPO / "benchmarks" / "langid_related.tsv"
DETECTORS = ("default", "lid176")
GROUPS: dict[str, tuple[str, ...]] = {
    "Cyrillic": ("rus_Cyrl", "bul_Cyrl", "ukr_Cyrl", "srp_Cyrl", "kaz_Cyrl"),
    "Romance": ("spa_Latn", "ita_Latn", "por_Latn", "cat_Latn"),
    "Devanagari": ("hin_Deva", "npi_Deva", "mar_Deva"),
    "Arabic script": ("urd_Arab", "arb_Arab", "pes_Arab"),
    "Malay": ("zsm_Latn", "ind_Latn"),
    "English": ("eng_Latn", "pcm_Latn", "afr_Latn", "sco_Latn"),
    "romanized": (
        "hin_Latn",
        "urd_Latn",
        "npi_Latn",
        "ben_Latn",
        "sin_Latn",
        "arb_Latn",
        "eng_Latn",
        "hin_Deva",
        "urd_Arab",
        "npi_Deva",
        "arb_Arab",
    ),
}
"""The languages compared with one another. In "romanized" a romanized language is compared
with English and with its own script, not with the other romanized languages."""


@dataclass(frozen=True)
class Item:
    language: str
    kind: str
    text: str


@dataclass
class Counts:
    yes: int = 0
    no: int = 0
    und: int = 0

    @property
    def n(self) -> int:
        return self.yes + self.no + self.und

    def add(self, label: str) -> None:
        setattr(self, label, getattr(self, label) + 1)

    def rate(self, label: str) -> float:
        return getattr(self, label) / self.n if self.n else 0.0

    def __iadd__(self, other: Counts) -> Counts:
        self.yes += other.yes
        self.no += other.no
        self.und += other.und
        return self


@dataclass
class Measured:
    """Verdicts on the set: each language's answers against their own language (and by kind),
    and each compared pair's (written, expected)."""

    own: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    kinds: dict[tuple[str, str], Counts] = field(default_factory=lambda: defaultdict(Counts))
    pairs: dict[tuple[str, str], Counts] = field(default_factory=lambda: defaultdict(Counts))
    failures: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        def counts(found: Counts) -> list[int]:
            return [found.yes, found.no, found.und]

        return {
            "own": {code: counts(c) for code, c in self.own.items()},
            "kinds": {f"{code}|{kind}": counts(c) for (code, kind), c in self.kinds.items()},
            "pairs": {f"{a}|{b}": counts(c) for (a, b), c in self.pairs.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Measured:
        found = cls()
        for code, (yes, no, und) in data["own"].items():
            found.own[code] = Counts(yes, no, und)
        for key, (yes, no, und) in data["kinds"].items():
            code, kind = key.split("|")
            found.kinds[(code, kind)] = Counts(yes, no, und)
        for key, (yes, no, und) in data["pairs"].items():
            written, expected = key.split("|")
            found.pairs[(written, expected)] = Counts(yes, no, und)
        return found


def read_set(path: Path = SET_PATH) -> list[Item]:
    with path.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Item(row["language"], row["kind"], row["text"]) for row in reader]


def romanized(code: str) -> bool:
    return code.endswith("_Latn") and code[:3] in {"hin", "urd", "npi", "ben", "sin", "arb"}


def compared(group: str) -> Iterator[tuple[str, str]]:
    """The (written, expected) pairs of a group: every ordered pair of different languages whose
    expected language is in the language table; in "romanized", a romanized language and English
    or its own script."""
    for written, expected in itertools.permutations(GROUPS[group], 2):
        if not is_known(expected):
            continue
        if group == "romanized":
            latin = [code for code in (written, expected) if romanized(code)]
            other = expected if latin == [written] else written
            if len(latin) != 1 or (other != "eng_Latn" and other[:3] != latin[0][:3]):
                continue
        yield written, expected


def equivalent(written: str, expected: str) -> bool:
    """Pairs accepted as one another by design (Malay and Indonesian)."""
    return is_known(written) and expected in target(written).accepted


def measure(items: list[Item], detector: str = "default") -> Measured:
    """Every answer against its own language, and against each language it is compared with."""
    found = Measured()
    by_language: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_language[item.language].append(item)
    for item in items:
        if not is_known(item.language):
            continue
        verdict = judge(item.text, item.language, detector)
        found.own[item.language].add(verdict.label)
        found.kinds[(item.language, item.kind)].add(verdict.label)
        if verdict.consistent is False:
            found.failures.append(
                f"FR {item.language} {item.kind}: no, {verdict.detected} ({verdict.note}) "
                f"| {item.text}"
            )
    pairs = {pair for group in GROUPS for pair in compared(group)}
    for written, expected in sorted(pairs):
        for item in by_language[written]:
            verdict = judge(item.text, expected, detector)
            found.pairs[(written, expected)].add(verdict.label)
            if verdict.consistent is True and not equivalent(written, expected):
                found.failures.append(
                    f"FA {written} as {expected} {item.kind}: yes ({verdict.method}; "
                    f"{verdict.note}) | {item.text}"
                )
    return found


@dataclass(frozen=True)
class Totals:
    """A group's rates: false rejection and its und over the answers in their own language,
    false acceptance, rejection and und over the compared pairs (equivalent pairs left out)."""

    false_rejection: float
    own_und: float
    false_acceptance: float
    rejection: float
    pair_und: float
    answers: int
    judgements: int


def totals(found: Measured, group: str) -> Totals:
    own = Counts()
    for code in GROUPS[group]:
        if code in found.own and (group != "romanized" or romanized(code)):
            own += found.own[code]
    pairs = Counts()
    for written, expected in compared(group):
        if not equivalent(written, expected):
            pairs += found.pairs.get((written, expected), Counts())
    return Totals(
        own.rate("no"),
        own.rate("und"),
        pairs.rate("yes"),
        pairs.rate("no"),
        pairs.rate("und"),
        own.n,
        pairs.n,
    )


# --- the rule of another revision ----------------------------------------------------------------


def before(revision: str, detector: str) -> Measured | None:
    """The set judged by the harness package of a git revision (None if git cannot give it)."""
    try:
        archive = subprocess.run(
            ["git", "archive", revision, "harness"], cwd=REPO, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        script = Path(__file__).resolve()
        command = [sys.executable, str(script), "--json", "--detector", detector]
        output = subprocess.run(
            command,
            cwd=folder,
            env={**os.environ, "PYTHONPATH": folder},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return Measured.from_json(json.loads(output)[detector])


# --- output ---------------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    return "    -" if value is None else f"{100 * value:5.1f}"


def cell(now: Counts | None, then: Counts | None, label: str, compare: bool) -> str:
    """A rate as `after (before)`; "-" where nothing was judged."""
    after = now.rate(label) if now is not None and now.n else None
    if not compare:
        return percent(after)
    before = then.rate(label) if then is not None and then.n else None
    return f"{percent(after)} ({percent(before).strip()})"


def unordered(group: str) -> list[tuple[str, str]]:
    """The group's pairs, each once (a romanized language first)."""
    seen: list[tuple[str, str]] = []
    for written, expected in compared(group):
        if romanized(expected) or (not romanized(written) and expected < written):
            written, expected = expected, written
        pair = (written, expected)
        if pair not in seen:
            seen.append(pair)
    return seen


def report(detector: str, found: Measured, earlier: Measured | None) -> None:
    """Per group: each pair's false rejections (each language against itself) and false
    acceptances (each against the other), then the group's totals and the und rates."""
    compare = earlier is not None
    then = earlier or Measured()
    width = 16 if compare else 11
    print(f"\ndetector {detector}: rates in %" + (" as after (before)" if compare else ""))
    heads = ("FR A", "FR B", "FA A as B", "FA B as A")
    for group in GROUPS:
        print(f"\n{group:<22}{'n A/B':>8}" + "".join(f"{h:>{width}}" for h in heads))
        for a, b in unordered(group):
            sizes = f"{found.own[a].n if a in found.own else 0}/{found.own[b].n}"
            row = [
                cell(found.own.get(a), then.own.get(a), "no", compare),
                cell(found.own.get(b), then.own.get(b), "no", compare),
                cell(found.pairs.get((a, b)), then.pairs.get((a, b)), "yes", compare),
                cell(found.pairs.get((b, a)), then.pairs.get((b, a)), "yes", compare),
            ]
            mark = "  equivalent: accepted by design" if equivalent(a, b) else ""
            print(f"{a + ' / ' + b:<22}{sizes:>8}" + "".join(f"{c:>{width}}" for c in row) + mark)
    print(f"\n{'group':<15}" + "".join(f"{h:>{width}}" for h in TOTALS))
    for group in GROUPS:
        now = totals(found, group)
        old = totals(then, group) if compare else None
        row = [
            percent(getattr(now, field))
            + (f" ({percent(getattr(old, field)).strip()})" if old is not None else "")
            for field in TOTALS.values()
        ]
        print(f"{group:<15}" + "".join(f"{c:>{width}}" for c in row))
    kinds: dict[str, Counts] = defaultdict(Counts)
    for (_, kind), counts in found.kinds.items():
        kinds[kind] += counts
    print(
        "own language by kind: "
        + ", ".join(
            f"{kind} FR {percent(c.rate('no')).strip()}% und {percent(c.rate('und')).strip()}%"
            for kind, c in sorted(kinds.items())
        )
    )


TOTALS = {
    "FR": "false_rejection",
    "FA": "false_acceptance",
    "rejected": "rejection",
    "own und": "own_und",
    "pair und": "pair_und",
}
"""The columns of the group totals: header -> Totals field."""


Setting = tuple[float, float, int, float, float]  # reject, margin, short_words, short_reject, below
SWEEP: list[Setting] = list(
    itertools.product(
        (0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
        (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
        (4, 6, 8),
        (0.6, 0.7, 0.8, 0.9, 1.0),
        (0.0, 0.02, 0.05, 0.1),
    )
)


@dataclass(frozen=True)
class Point:
    """The totals over every group but "romanized" for one setting of the evidence thresholds."""

    setting: Setting
    false_rejection: float
    false_acceptance: float
    rejection: float  # of answers judged against a sister language
    own_und: float


def sweep(items: list[Item], detector: str, grid: list[Setting] = SWEEP) -> list[Point]:
    """The totals for every setting of the SWEEP grid (the detector's `evidence` row of
    langid.yaml replaced), the calibration behind the chosen thresholds."""
    from harness.langid.tables import tables

    judge_module = importlib.import_module("harness.langid.judge")
    data = tables()
    method = "py3langid" if detector == "default" else "lid176"
    points = []
    for reject, margin, short_words, short, below in grid:
        bars = dataclasses.replace(
            data.thresholds.evidence[method],
            reject=reject,
            margin=margin,
            short_words=short_words,
            short_reject=short,
            below=below,
        )
        evidence = {**data.thresholds.evidence, method: bars}
        patched = dataclasses.replace(
            data, thresholds=dataclasses.replace(data.thresholds, evidence=evidence)
        )
        setattr(judge_module, "tables", lambda patched=patched: patched)  # noqa: B010
        try:
            found = measure(items, detector)
        finally:
            setattr(judge_module, "tables", tables)  # noqa: B010
        chosen = [totals(found, g) for g in GROUPS if g != "romanized"]
        answers = sum(t.answers for t in chosen)
        judgements = sum(t.judgements for t in chosen)
        points.append(
            Point(
                (reject, margin, short_words, short, below),
                sum(t.false_rejection * t.answers for t in chosen) / answers,
                sum(t.false_acceptance * t.judgements for t in chosen) / judgements,
                sum(t.rejection * t.judgements for t in chosen) / judgements,
                sum(t.own_und * t.answers for t in chosen) / answers,
            )
        )
    return points


def print_sweep(detector: str, points: list[Point]) -> None:
    """The settings no other setting beats on false rejection, false acceptance and rejection
    at once (ties: the strictest setting)."""
    print(
        f"\nsweep, detector {detector}: reject, margin, short_words, short_reject, below -> "
        "FR, FA, rejected (sister languages), own und; settings not beaten on all three"
    )
    front: dict[tuple[float, float, float], Point] = {}
    for point in points:
        key = (point.false_rejection, point.false_acceptance, point.rejection)
        beaten = any(
            o.false_rejection <= point.false_rejection
            and o.false_acceptance <= point.false_acceptance
            and o.rejection >= point.rejection
            and (o.false_rejection, o.false_acceptance, o.rejection) != key
            for o in points
        )
        if not beaten:
            front[key] = point  # the grid runs loose to strict: the last is the strictest
    for point in sorted(front.values(), key=lambda p: (p.false_rejection, -p.rejection)):
        reject, margin, short_words, short, below = point.setting
        print(
            f"{reject:4.1f} {margin:4.1f} {short_words:3d} {short:4.1f} {below:4.2f}  "
            f"FR {percent(point.false_rejection)}  FA {percent(point.false_acceptance)}  "
            f"rejected {percent(point.rejection)}  own und {percent(point.own_und)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--detector", choices=[*DETECTORS, "both"], default="both")
    parser.add_argument("--before", metavar="REV", help="Also judge with this git revision.")
    parser.add_argument("--sweep", action="store_true", help="Totals for a threshold grid.")
    parser.add_argument("--json", action="store_true", help="Counts as JSON, nothing else.")
    parser.add_argument("--failures", action="store_true", help="List every error.")
    args = parser.parse_args()
    items = read_set()
    chosen = DETECTORS if args.detector == "both" else (args.detector,)
    if args.json:
        print(json.dumps({d: measure(items, d).as_json() for d in chosen}))
        return
    print(f"{len(items)} answers in {len({i.language for i in items})} languages ({SET_PATH.name})")
    for detector in chosen:
        found = measure(items, detector)
        earlier = before(args.before, detector) if args.before else None
        if args.before and earlier is None:
            print(f"note: revision {args.before} is not available: no before column")
        report(detector, found, earlier)
        if args.failures:
            print("\n".join(found.failures))
        if args.sweep:
            print_sweep(detector, sweep(items, detector))


if __name__ == "__main__":
    main()
