"""Which run fills a model's cell in a column, and the data tier that is part of a column.

A column is a task, a variant and a data tier: runs on a task's shipped sample (8 or so items
per language, for trying the harness) are never ranked beside runs on real data (a local copy,
or the hub), so `mgsm/native_cot` and `mgsm/native_cot · shipped sample` are two columns, each
ranked on its own. A run whose manifest names no data source, or one of another kind, lands
in a third tier (`other`).

Where several runs of one model cover a column, one rule picks the run, the first of these
that tells them apart:

1. a complete run (status "complete", no failed request) before an incomplete one;
2. the most complete coverage: more languages, then more samples;
3. a run without a --limit before one with a limit;
4. the newest (by start time, then folder).

Every run set aside is reported (`SetAside.message`) with what it covers beside the run kept.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from harness.leaderboard.runs import COMPLETE, Run

REAL, SAMPLE, OTHER = "real", "sample", "other"
TIERS = (REAL, SAMPLE, OTHER)  # in the order columns of one task and variant are shown
TIER_OF_SOURCE = {"local": REAL, "hub": REAL, "sample": SAMPLE}  # manifest source kind -> tier
TIER_LABELS = {REAL: "real data", SAMPLE: "shipped sample", OTHER: "other data source"}


def data_tier(run: Run, task: str) -> str:
    return TIER_OF_SOURCE.get(run.sources.get(task, ""), OTHER)


class Slot(NamedTuple):
    """A model's place in a column: model, task, variant, data tier."""

    model: str
    task: str
    variant: str
    data: str

    @property
    def key(self) -> str:
        """The column's key (`column_key`)."""
        return column_key(self.task, self.variant, self.data)


def slots(run: Run) -> list[Slot]:
    """The places the run's scores can fill, in the order of its score records."""
    return [Slot(run.model, task, variant, data_tier(run, task)) for task, variant in run.columns]


def column_key(task: str, variant: str, data: str) -> str:
    """`mgsm/native_cot` on real data; `mgsm/native_cot@sample` on the shipped sample."""
    return f"{task}/{variant}" + ("" if data == REAL else f"@{data}")


def column_label(task: str, variant: str, data: str) -> str:
    """`mgsm/native_cot`; `mgsm/native_cot · shipped sample`."""
    return f"{task}/{variant}" + ("" if data == REAL else f" · {TIER_LABELS[data]}")


@dataclass(frozen=True, slots=True)
class Coverage:
    """What a run's scores of one task and variant rest on."""

    languages: tuple[str, ...]  # sorted
    samples: int  # scored samples (translation: segments), summed over languages
    failed: int  # failed requests, summed over languages


def coverage(run: Run, task: str, variant: str) -> Coverage:
    """From the run's score records: a language's samples are the most any metric counts."""
    samples: dict[str, int] = defaultdict(int)
    for record in run.scores_by_column.get((task, variant), []):
        language = str(record.get("language"))
        samples[language] = max(samples[language], int(record.get("n") or 0))
    failed = sum(run.errors_by_cell.get((task, variant, language), 0) for language in samples)
    return Coverage(tuple(sorted(samples)), sum(samples.values()), failed)


def _preference(run: Run, covered: Coverage) -> tuple[bool, int, int, bool, str, str]:
    """The selection rule as a sort key: the larger, the better."""
    return (
        run.complete,
        len(covered.languages),
        covered.samples,
        run.limit is None,
        run.started,
        run.key,
    )


_REASONS = ("incomplete", "covers fewer languages", "covers fewer samples", "ran with --limit")


@dataclass(frozen=True, slots=True)
class SetAside:
    """A run that covers a column but was not used there, and the run used instead."""

    slot: Slot
    run: Run
    covered: Coverage
    kept: Run
    kept_covered: Coverage

    @property
    def reason(self) -> str:
        mine = _preference(self.run, self.covered)
        theirs = _preference(self.kept, self.kept_covered)
        for reason, a, b in zip(_REASONS, mine, theirs, strict=False):
            if a != b:
                return reason
        return "older"

    @property
    def message(self) -> str:
        """`set aside results/x (model, column): why: facts; kept results/y: facts`."""
        slot = self.slot
        return (
            f"set aside {self.run.path} ({slot.model}, "
            f"{column_label(slot.task, slot.variant, slot.data)}): {self.reason}: "
            f"{describe(self.run, self.covered)}; kept {self.kept.path}: "
            f"{describe(self.kept, self.kept_covered)}"
        )


def describe(run: Run, covered: Coverage) -> str:
    """`2 languages, 10 samples, --limit 5, chat prompts, complete, started 2026-01-01T00:00`."""
    parts = [
        f"{len(covered.languages)} language{'' if len(covered.languages) == 1 else 's'}",
        f"{covered.samples:,} sample{'' if covered.samples == 1 else 's'}",
    ]
    if run.limit is not None:
        parts.append(f"--limit {run.limit}")
    if run.prompt_format:
        parts.append(f"{run.prompt_format} prompts")
    parts.append(status_text(run))
    parts.append(f"started {run.started or 'unknown'}")
    return ", ".join(parts)


def status_text(run: Run) -> str:
    """`complete`, or `incomplete (3 of 40 requests failed)`."""
    if run.complete:
        return "complete"
    status = "incomplete" if run.status in (COMPLETE, "incomplete") else f"status {run.status}"
    return f"{status} ({run.failed:,} of {run.requests:,} requests failed)"


@dataclass(frozen=True, slots=True)
class Selection:
    chosen: dict[Slot, tuple[Run, Coverage]]
    set_aside: list[SetAside]


def select_runs(runs: list[Run]) -> Selection:
    """Each model's run for each column it has (the rule above), and the runs set aside."""
    candidates: dict[Slot, list[tuple[Run, Coverage]]] = defaultdict(list)
    for run in runs:
        for slot in slots(run):
            candidates[slot].append((run, coverage(run, slot.task, slot.variant)))
    chosen: dict[Slot, tuple[Run, Coverage]] = {}
    set_aside: list[SetAside] = []
    for slot, found in sorted(candidates.items()):
        ranked = sorted(found, key=lambda pair: _preference(*pair), reverse=True)
        kept, kept_covered = chosen[slot] = ranked[0]
        set_aside += [SetAside(slot, r, c, kept, kept_covered) for r, c in ranked[1:]]
    return Selection(chosen, set_aside)
