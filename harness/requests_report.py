"""What a run's requests came to, in words: how each got its answer (sent to the model, answered
from the cache, shared with an identical prompt, read from a predictions file), and which failed
and why.

Identical prompts decoded deterministically are sent once and share one answer
(harness.generation.runner): those are counted apart, so that the counts add up to the requests.
A run scored again (`evaluate score`) asked nothing: it reports the recorded answers it scored.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from harness.record import SampleRecord
from harness.wording import counted

if TYPE_CHECKING:  # `evaluate show` lists failures and loads no generation or backend
    from harness.generation.runner import Counts

SHOWN_FAILURES = 5  # failed requests listed with their cause; the rest are counted
ERROR_CHARS = 200  # a cause longer than this is cut


def generation_line(counts: Counts, failed: int, predictions: Path | None = None) -> str:
    """`1338 requests: 1328 sent to the model, 10 shared with an identical prompt; none failed`;
    from a predictions file, `6 requests: 6 answered from FILE; 1 failed`."""
    if predictions is not None:
        parts = [f"{counts.sent} answered from {predictions}"]
    else:
        parts = [
            f"{counts.sent} sent to the model",
            f"{counts.from_cache} answered from the cache",
            f"{counts.shared} shared with an identical prompt (sent once)",
        ]
        parts = [part for part in parts if not part.startswith("0 ")] or ["none sent"]
    return f"{counted(counts.requests, 'request')}: {', '.join(parts)}; {_failed(failed)}"


def rescore_line(samples: int, failed: int) -> str:
    """What `evaluate score` scored: the recorded answers; no model was asked."""
    line = f"scored {counted(samples - failed, 'recorded answer')} again, asking no model"
    if failed:
        line += f"; {counted(failed, 'request')} had failed when the run was generated"
    return line


def failure_lines(samples: Iterable[SampleRecord], shown: int = SHOWN_FAILURES) -> list[str]:
    """The failed requests: the first `shown` as task/variant/language sample id: cause, then
    `and N more`; none where every request was answered."""
    failed = [s for s in samples if not s.ok]
    if not failed:
        return []
    lines = [f"{counted(len(failed), 'request')} failed:"]
    lines += [
        f"  {s.task}/{s.variant}/{s.language} {s.sample_id}: {cause(s)}" for s in failed[:shown]
    ]
    if len(failed) > shown:
        lines.append(f"  and {len(failed) - shown} more")
    return lines


def retry_lines(samples: Iterable[SampleRecord]) -> list[str]:
    """What to do about the failed requests of a run that asked a model: ask again those a
    rerun may answer; fix first what refused the others."""
    from harness.backends import will_fail_again  # a run that asked a model has it loaded

    errors = [s.error for s in samples if not s.ok]
    refused = sum(1 for error in errors if will_fail_again(error))
    lines = []
    if again := len(errors) - refused:
        lines.append(
            f"run the same command again to ask only the {counted(again, 'failed request')} "
            "(with --overwrite where it names this folder as --output)"
        )
    if refused:
        lines.append(
            f"{counted(refused, 'request')} {'was' if refused == 1 else 'were'} refused and not "
            "retried: asking again fails the same way until what the error says is fixed"
        )
    return lines


def cause(sample: SampleRecord) -> str:
    """A failed request's error on one line, cut at ERROR_CHARS."""
    text = " ".join((sample.error or "no answer").split())
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


def _failed(failed: int) -> str:
    return "none failed" if failed == 0 else f"{failed} failed"
