"""The run record: the only code that reads or writes a run folder.

A run folder holds `manifest.json`, `samples.jsonl`, `scores.json`, `gaps.json` and
`summary.json` (harness.record.model says what each holds). It is written whole into a staging
folder and put in place in one step (harness.record.folder); readers open only folders whose
manifest is whole. This package depends on the in-memory records and the standard library
(and pydantic for validation) only: analysis, export and the leaderboard read runs through it
without loading planning, prompting or backends.
"""

from __future__ import annotations

from harness.record.folder import (
    FILES,
    GAPS,
    MANIFEST,
    SAMPLES,
    SCORES,
    SUMMARY,
    Claim,
    FoundRuns,
    Lines,
    RunContents,
    RunFolder,
    RunFolderError,
    check_target,
    claim,
    find_run,
    find_runs,
    open_run,
    sample_line,
    unread_reason,
    write_run,
)
from harness.record.model import (
    FORMAT,
    ChatTurn,
    Completion,
    Counts,
    Environment,
    GapRecord,
    HarnessInfo,
    LangidInfo,
    Likelihood,
    Manifest,
    SampleRecord,
    ScoreRecord,
    Scoring,
    SourceInfo,
    SummaryRecord,
    TaskInfo,
    Usage,
    VariantInfo,
)

__all__ = [
    "FILES",
    "FORMAT",
    "GAPS",
    "MANIFEST",
    "SAMPLES",
    "SCORES",
    "SUMMARY",
    "ChatTurn",
    "Claim",
    "Completion",
    "Counts",
    "Environment",
    "FoundRuns",
    "GapRecord",
    "HarnessInfo",
    "LangidInfo",
    "Likelihood",
    "Lines",
    "Manifest",
    "RunContents",
    "RunFolder",
    "RunFolderError",
    "SampleRecord",
    "ScoreRecord",
    "Scoring",
    "SourceInfo",
    "SummaryRecord",
    "TaskInfo",
    "Usage",
    "VariantInfo",
    "check_target",
    "claim",
    "find_run",
    "find_runs",
    "open_run",
    "sample_line",
    "unread_reason",
    "write_run",
]
