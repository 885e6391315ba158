"""Language Confusion Benchmark (LCB) numbers of a cell, from its summary.json records (kinds
`lcb_average`, `lcb_language`, `lcb_source`; see harness.analysis.summary): the line-level pass rate
(LPR), the word-level one (WPR, absent where the target is written in Latin script) and the
language confusion pass rate (LCPR, their harmonic mean). A column whose cells have an
`lcb_average` record shows these three in place of its generic triple.

In a view over some languages (a resource tier, a script) the rates are averaged over those
languages as the average over all of them is (mean_rates)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harness.langid.lcb import harmonic_mean
from harness.languages import get_language, is_known
from harness.leaderboard.runs import finite

Record = dict[str, Any]

METRICS = ("line_pass", "word_pass", "language_confusion_pass")
LABELS = ("LPR", "WPR", "LCPR")
TITLES = (
    "line-level pass rate: replies whose every line is in the wanted language",
    "word-level pass rate: replies without line errors that hold no English word (non-Latin"
    " targets only)",
    "language confusion pass rate: harmonic mean of LPR and WPR (LPR where WPR is absent)",
)
GROUP = "Language confusion (LCB)"


@dataclass(frozen=True, slots=True)
class Rates:
    """LPR, WPR and LCPR (fractions; None where absent)."""

    lpr: float | None = None
    wpr: float | None = None
    lcpr: float | None = None

    @property
    def values(self) -> tuple[float | None, float | None, float | None]:
        return (self.lpr, self.wpr, self.lcpr)


@dataclass(frozen=True, slots=True)
class Confusion:
    """One model's LCB rates in one column: the average, per language and per source."""

    average: Rates
    languages: dict[str, Rates]
    sources: dict[str, Rates]

    def in_view(self, view: str) -> Rates | None:
        """The rates in a view: "all", "tier:low", "script:Deva" (None where the view has
        none of the languages)."""
        if view == "all":
            return self.average
        kind, _, group = view.partition(":")
        chosen = [
            rates
            for code, rates in self.languages.items()
            if is_known(code) and _group_of(code, kind) == group
        ]
        return mean_rates(chosen) if chosen else None


def _group_of(code: str, kind: str) -> str | None:
    language = get_language(code)
    return language.tier if kind == "tier" else language.script if kind == "script" else None


def mean_rates(found: Iterable[Rates]) -> Rates:
    """LPR and WPR averaged over the rates that have them, LCPR their harmonic mean (as the
    average over all languages is computed: harness.language_confusion)."""
    rows = list(found)
    lpr = _mean([r.lpr for r in rows])
    wpr = _mean([r.wpr for r in rows])
    return Rates(lpr, wpr, harmonic_mean(lpr, wpr))


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def read_confusion(records: Iterable[Record]) -> Confusion | None:
    """The LCB rates of one cell's summary records; None where there is no `lcb_average`."""
    found: dict[tuple[str, str], dict[str, float]] = {}
    for record in records:
        kind, metric, value = record.get("kind"), record.get("metric"), record.get("value")
        if kind not in ("lcb_average", "lcb_language", "lcb_source") or metric not in METRICS:
            continue
        if finite(value):
            found.setdefault((str(kind), _name(record)), {})[str(metric)] = float(value)
    average = found.get(("lcb_average", ""))
    if average is None:
        return None
    return Confusion(
        _rates(average),
        _by_group(found, "lcb_language"),
        _by_group(found, "lcb_source"),
    )


def _name(record: Record) -> str:
    """A record's language (`lcb_language`) or source (`lcb_source`); "" for the average."""
    field = {"lcb_language": "language", "lcb_source": "source"}.get(str(record["kind"]))
    return str(record.get(field) or record.get("group") or "") if field else ""


def _by_group(found: dict[tuple[str, str], dict[str, float]], kind: str) -> dict[str, Rates]:
    return {group: _rates(values) for (k, group), values in sorted(found.items()) if k == kind}


def _rates(values: dict[str, float]) -> Rates:
    return Rates(*(values.get(metric) for metric in METRICS))
