"""The Language Confusion Benchmark's averages of a run, as its compute_metrics.py reports them
(written as records of summary.json by harness.analysis.summary).

LCB computes its rates per source and language, then averages them; it never pools responses
across sources. From the score records (scores.json) of a task whose `line_pass` is broken down
by `source` (the lcb task, or a plugin in its format), per task and variant (LCB's setting):

- `lcb_cell`: one source x language (`group` "source/language");
- `lcb_language`: a language's mean over its sources (`group` the language);
- `lcb_source`: a source's mean over its languages (`group` the source);
- `lcb_average`: the mean over the language means, the paper's number for a setting (`group`
  null).

Each with three metrics: `line_pass` (LPR), `word_pass` (WPR, for targets in non-Latin scripts;
the mean over those that have it) and `language_confusion_pass` (LCPR), the harmonic mean of
the two at that level, which is the LPR where there is no WPR. Records carry `source` and
`language` (null where averaged over), `n` the responses judged behind the value, `languages`
how many languages it averages, no interval, `method` "lcb".

Where no response of a source x language has a line of 5 tokens, LCB's script reports an LPR
of 1.0; here that cell has no rate and is left out of the averages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from harness.langid.lcb import harmonic_mean
from harness.record import ScoreRecord

BREAKDOWN = "source"
KINDS = ("lcb_cell", "lcb_language", "lcb_source", "lcb_average")
LINE, WORD, BOTH = "line_pass", "word_pass", "language_confusion_pass"
METHOD = "lcb"

Rate = tuple[float, int, int]  # the rate, the responses and the languages behind it
Cell = dict[str, Rate]  # metric -> its rate
Cells = dict[tuple[str, str], Cell]  # (source, language) -> its rates


class Average(NamedTuple):
    """One LCB rate at one level (harness.analysis.summary writes it as a record)."""

    task: str
    variant: str
    metric: str
    kind: str
    source: str | None
    language: str | None
    value: float
    n: int  # the responses judged behind it
    languages: int

    @property
    def group(self) -> str | None:
        """ "source/language", the source, the language, or None for the setting's average."""
        return "/".join(g for g in (self.source, self.language) if g is not None) or None


def lcb_averages(scores: Sequence[ScoreRecord]) -> list[Average]:
    """The LCB rates of every task and variant whose line_pass is broken down by source."""
    found: list[Average] = []
    for (task, variant), cells in sorted(_cells(scores).items()):
        found += _setting_averages(task, variant, cells)
    return found


def _cells(scores: Iterable[ScoreRecord]) -> dict[tuple[str, str], Cells]:
    found: dict[tuple[str, str], Cells] = defaultdict(dict)
    for r in scores:
        if r.by == BREAKDOWN and r.metric in (LINE, WORD) and r.group is not None:
            cell = found[(r.task, r.variant)].setdefault((r.group, r.language), {})
            cell[r.metric] = (r.value, r.n, 1)
    return {key: {k: c for k, c in cells.items() if LINE in c} for key, cells in found.items()}


def _setting_averages(task: str, variant: str, cells: Cells) -> list[Average]:
    by_language: dict[str, list[Cell]] = defaultdict(list)
    by_source: dict[str, list[Cell]] = defaultdict(list)
    found = []
    for (source, language), cell in sorted(cells.items()):
        by_language[language].append(cell)
        by_source[source].append(cell)
        found += _rates(task, variant, "lcb_cell", source, language, cell)
    language_means = {lang: _mean(mine, 1) for lang, mine in sorted(by_language.items())}
    for language, cell in language_means.items():
        found += _rates(task, variant, "lcb_language", None, language, cell)
    for source, mine in sorted(by_source.items()):
        found += _rates(task, variant, "lcb_source", source, None, _mean(mine))
    if language_means:
        average = _mean(list(language_means.values()))
        found += _rates(task, variant, "lcb_average", None, None, average)
    return found


def _mean(cells: list[Cell], languages: int | None = None) -> Cell:
    """Each metric's mean over the cells that have it, with the responses behind them; over
    that many languages (`languages`: one language's sources)."""
    mean: Cell = {}
    for metric in (LINE, WORD):
        found = [cell[metric] for cell in cells if metric in cell]
        if found:
            value = sum(v for v, _, _ in found) / len(found)
            mean[metric] = (value, sum(n for _, n, _ in found), languages or len(found))
    return mean


def _rates(
    task: str,
    variant: str,
    kind: str,
    source: str | None,
    language: str | None,
    cell: Cell,
) -> list[Average]:
    line, word = cell[LINE], cell.get(WORD)
    both = harmonic_mean(line[0], word[0] if word else None)
    assert both is not None  # a cell always has its line-level rate
    rates = {LINE: line, BOTH: (both, *line[1:])}
    if word is not None:
        rates[WORD] = word
    return [
        Average(task, variant, metric, kind, source, language, value, n, languages)
        for metric, (value, n, languages) in sorted(rates.items())
    ]
