"""Accuracy and speed of harness.langid, measured on the labelled set benchmarks/langid_set.tsv
(answers written for polyeval in 29 languages, five kinds: plain, number-heavy, math with LaTeX,
code-mixed, short).

- accept rate: the share of a language's answers judged consistent with their own language;
- reject rate: the share of (answer, other language) pairs judged inconsistent, over every other
  language of the set except those equivalent to the answer's (Indonesian/Malay...), which are
  counted apart as "equivalent accepted";
- "und" (too little text) counts as neither accepted nor rejected;
- speed: 10,000 judgements (answers against their own and other languages, in set order, nothing
  cached between them) on one core, after one warm-up pass that loads the models.

With --shared-data DIR it also judges real benchmark text (the references of NTREX-128, FLoRes v1,
SALT, NusaX, XNLI, MGSM) against its own language (accept) and the English source against the
target language (the copy-source translation, reject).

Usage: python benchmarks/langid_accuracy.py [--detector default|lid176] [--shared-data DIR]
       [--failures]
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from harness.langid import judge
from harness.langid.judge import target

REPO = Path(__file__).resolve().parent.parent
SET_PATH = REPO / "benchmarks" / "langid_set.tsv"
TIMED = 10_000


@dataclass(frozen=True)
class Item:
    language: str
    kind: str
    text: str


@dataclass
class Tally:
    accepted: int = 0
    own_und: int = 0
    total: int = 0
    rejected: int = 0
    other_und: int = 0
    others: int = 0
    equivalent: int = 0
    equivalent_accepted: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def accept_rate(self) -> float:
        return self.accepted / self.total if self.total else 0.0

    @property
    def reject_rate(self) -> float:
        return self.rejected / self.others if self.others else 0.0


def read_set(path: Path = SET_PATH) -> list[Item]:
    with path.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Item(row["language"], row["kind"], row["text"]) for row in reader]


def measure(items: list[Item], detector: str = "default") -> dict[str, Tally]:
    """Per language of the set: its answers against itself and against every other language."""
    languages = sorted({item.language for item in items})
    tallies = {language: Tally() for language in languages}
    for item in items:
        tally = tallies[item.language]
        own = judge(item.text, item.language, detector)
        tally.total += 1
        tally.accepted += own.consistent is True
        tally.own_und += own.consistent is None
        if own.consistent is not True:
            tally.failures.append(
                f"{item.language} {item.kind}: {own.label} as {own.detected} "
                f"({own.method}; {own.note}) | {item.text}"
            )
        accepted = target(item.language).accepted
        for other in languages:
            if other == item.language:
                continue
            verdict = judge(item.text, other, detector)
            if other in accepted:
                tally.equivalent += 1
                tally.equivalent_accepted += verdict.consistent is True
                continue
            tally.others += 1
            tally.rejected += verdict.consistent is False
            tally.other_und += verdict.consistent is None
            if verdict.consistent is True:
                tally.failures.append(
                    f"{item.language} {item.kind}: accepted as {other} "
                    f"({verdict.method}; {verdict.note}) | {item.text}"
                )
    return tallies


def overall(tallies: dict[str, Tally]) -> tuple[float, float]:
    """(accept rate, reject rate) over all answers and pairs."""
    accepted = sum(t.accepted for t in tallies.values())
    total = sum(t.total for t in tallies.values())
    rejected = sum(t.rejected for t in tallies.values())
    others = sum(t.others for t in tallies.values())
    return accepted / total, rejected / others


def by_kind(items: list[Item], detector: str = "default") -> dict[str, tuple[int, int]]:
    """(accepted, total) of answers against their own language, per kind."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        counts[item.kind][0] += judge(item.text, item.language, detector).consistent is True
        counts[item.kind][1] += 1
    return {kind: (a, n) for kind, (a, n) in counts.items()}


def timing(items: list[Item], detector: str = "default", n: int = TIMED) -> float:
    """Seconds for n judgements: each answer against its own language, then the others."""
    languages = sorted({item.language for item in items})
    pairs: list[tuple[str, str]] = []
    for shift in range(len(languages)):
        for item in items:
            index = (languages.index(item.language) + shift) % len(languages)
            pairs.append((item.text, languages[index]))
            if len(pairs) == n:
                break
        if len(pairs) == n:
            break
    for text, language in pairs[: len(items)]:  # warm-up: models loaded, tables built
        judge(text, language, detector)
    started = time.perf_counter()
    for text, language in pairs:
        judge(text, language, detector)
    return time.perf_counter() - started


# --- real benchmark text -------------------------------------------------------------------------


def shared_texts(data: Path) -> Iterator[tuple[str, str, list[str], list[str]]]:
    """(source name, language, texts in it, English texts of the same items) per real file."""
    limit = 500
    ntrex = data / "ntrex128"
    english = _lines(ntrex / "newstest2019-src.eng.txt", limit)
    names = {"nep": "npi_Deva", "ind": "ind_Latn", "kaz": "kaz_Cyrl"}
    for path in sorted(ntrex.glob("newstest2019-ref.*.txt")):
        code = path.name.split(".")[1]
        yield f"ntrex128 {code}", names.get(code, code), _lines(path, limit), english
    flores = data / "flores_v1_ne_si"
    for code, language in (("ne", "npi_Deva"), ("si", "sin_Sinh")):
        stem = f"wikipedia.devtest.{code}-en"
        yield (
            f"flores_v1 {code}",
            language,
            _lines(flores / f"{stem}.{code}", limit),
            _lines(flores / f"{stem}.en", limit),
        )
    salt = data / "salt_luganda"
    rows = [json.loads(line)["text"] for p in sorted(salt.glob("*.jsonl")) for line in p.open()]
    for code in ("lug", "ach", "teo", "lgg", "nyn"):
        yield (
            f"salt {code}",
            code,
            [r[code] for r in rows[:limit]],
            [r["eng"] for r in rows[:limit]],
        )
    nusax = data / "nusax_mt" / "test.csv"
    with nusax.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))[:limit]
    columns = {
        "indonesian": "ind_Latn",
        "acehnese": "ace_Latn",
        "balinese": "ban_Latn",
        "banjarese": "bjn_Latn",
        "buginese": "bug_Latn",
        "javanese": "jav_Latn",
        "madurese": "mad_Latn",
        "minangkabau": "min_Latn",
        "ngaju": "nij_Latn",
        "sundanese": "sun_Latn",
        "toba_batak": "bbc_Latn",
    }
    for column, language in columns.items():
        if records and column in records[0]:
            yield (
                f"nusax {column}",
                language,
                [r[column] for r in records],
                [r["english"] for r in records],
            )
    xnli = data / "xnli"
    english = [row[0] for row in _tsv(xnli / "dev-en.tsv", limit)]
    for code, language in (("ur", "urd_Arab"), ("hi", "hin_Deva"), ("fr", "fra_Latn")):
        yield (
            f"xnli {code}",
            language,
            [r[0] for r in _tsv(xnli / f"dev-{code}.tsv", limit)],
            english,
        )
    mgsm = data / "mgsm"
    english = [row[0] for row in _tsv(mgsm / "mgsm_en.tsv", limit)]
    for code in ("bn", "de", "es", "fr", "ja", "ru", "sw", "te", "th", "zh"):
        questions = [row[0] for row in _tsv(mgsm / f"mgsm_{code}.tsv", limit)]
        yield f"mgsm {code}", code, questions, english


def _lines(path: Path, limit: int) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [line.strip() for line, _ in zip(handle, range(limit), strict=False)]


def _tsv(path: Path, limit: int) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [row for row, _ in zip(reader, range(limit), strict=False)]


def measure_shared(data: Path, detector: str) -> None:
    print(f"\nreal benchmark text ({data}), detector {detector}")
    print(f"{'source':<22}{'language':<10}{'n':>5}{'accept':>8}{'und':>5}{'copy rejected':>15}")
    for name, language, texts, english in shared_texts(data):
        code = target(language).code
        verdicts = [judge(text, code, detector) for text in texts if text.strip()]
        copies = [judge(text, code, detector) for text in english if text.strip()]
        accepted = sum(v.consistent is True for v in verdicts)
        und = sum(v.consistent is None for v in verdicts)
        rejected = sum(v.consistent is False for v in copies)
        detected = Counter(v.detected for v in verdicts if v.consistent is False)
        wrong = ", ".join(f"{c} {n}" for c, n in detected.most_common(3))
        print(
            f"{name:<22}{code:<10}{len(verdicts):>5}{accepted / len(verdicts):>8.3f}{und:>5}"
            f"{rejected / max(1, len(copies)):>15.3f}   {wrong}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--detector", choices=["default", "lid176"], default="default")
    parser.add_argument("--shared-data", type=Path, help="Also judge real benchmark files here.")
    parser.add_argument("--failures", action="store_true", help="List every wrong verdict.")
    args = parser.parse_args()
    items = read_set()
    tallies = measure(items, args.detector)
    languages = len(tallies)
    print(f"labelled set: {len(items)} answers, {languages} languages, detector {args.detector}")
    print(f"{'language':<10}{'n':>4}{'accept':>8}{'und':>5}{'reject':>8}{'und':>5}{'pairs':>7}")
    for language, t in tallies.items():
        print(
            f"{language:<10}{t.total:>4}{t.accept_rate:>8.3f}{t.own_und:>5}"
            f"{t.reject_rate:>8.3f}{t.other_und:>5}{t.others:>7}"
        )
    accept, reject = overall(tallies)
    accepted = sum(t.accepted for t in tallies.values())
    rejected = sum(t.rejected for t in tallies.values())
    others = sum(t.others for t in tallies.values())
    print(f"overall accept {accept:.4f} ({accepted}/{len(items)}), ", end="")
    print(f"reject {reject:.4f} ({rejected}/{others})")
    equivalent = sum(t.equivalent for t in tallies.values())
    equivalent_accepted = sum(t.equivalent_accepted for t in tallies.values())
    print(f"equivalent languages accepted: {equivalent_accepted}/{equivalent}")
    kinds = by_kind(items, args.detector)
    print("accept by kind: " + ", ".join(f"{k} {a}/{n}" for k, (a, n) in sorted(kinds.items())))
    seconds = timing(items, args.detector)
    print(f"{TIMED:,} judgements: {seconds:.3f} s ({TIMED / seconds:,.0f} checks/s, one core)")
    if args.failures:
        for tally in tallies.values():
            for failure in tally.failures:
                print("  " + failure)
    if args.shared_data is not None:
        measure_shared(args.shared_data, args.detector)


if __name__ == "__main__":
    main()
