"""Checks of what callers pass to the translation metrics (metric names, hypotheses, references),
and the references turned into sacrebleu's reference streams. Bad input is a one-line
PolyevalError."""

from __future__ import annotations

from collections.abc import Sequence

from harness.errors import PolyevalError
from harness.metrics.translation.settings import CORPUS_METRICS

Streams = Sequence[Sequence[str | None]]
"""sacrebleu's reference streams: stream k holds every sample's k-th reference, None for none."""


def check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    """The metric names asked for, known ones only, without repeats, in the order given."""
    if isinstance(metrics, str):
        metrics = (metrics,)
    for name in metrics:
        if name not in CORPUS_METRICS:
            known = ", ".join(CORPUS_METRICS)
            raise PolyevalError(f"unknown translation metric '{name}' (known: {known})")
    return tuple(dict.fromkeys(metrics))


def check_hypotheses(hypotheses: Sequence[str], what: str = "hypotheses") -> None:
    """A list of strings, not one string."""
    if isinstance(hypotheses, str):
        raise PolyevalError(f"{what} must be a list of strings, not one string")
    for i, hypothesis in enumerate(hypotheses):
        if not isinstance(hypothesis, str):
            kind = type(hypothesis).__name__
            raise PolyevalError(f"{what}[{i}] is {kind}, not a string")


def reference_streams(
    hypotheses: Sequence[str], references: Sequence[Sequence[str]]
) -> list[list[str | None]]:
    """sacrebleu's reference streams from one list of references per sample.

    `references[i]` holds sample i's references (one or several; None entries are ignored).
    sacrebleu wants the transpose: a list of streams, stream k holding the k-th reference of every
    sample, padded with None where a sample has fewer references (sacrebleu skips None)."""
    if len(hypotheses) == 0:
        raise PolyevalError("no sentences to score: the corpus is empty")
    if isinstance(references, str) or len(references) != len(hypotheses):
        count = 1 if isinstance(references, str) else len(references)
        raise PolyevalError(
            f"{len(hypotheses)} hypotheses but {count} reference lists (one list per sample)"
        )
    kept = [_sample_references(i, sample) for i, sample in enumerate(references)]
    width = max(map(len, kept))
    return [[refs[k] if k < len(refs) else None for refs in kept] for k in range(width)]


def _sample_references(i: int, sample: Sequence[str]) -> list[str]:
    """Sample i's references, None entries left out; at least one, all strings."""
    if isinstance(sample, str):
        raise PolyevalError(
            f"references[{i}] is a string: give each sample a list of its references"
        )
    refs = [ref for ref in sample if ref is not None]
    if not refs:
        raise PolyevalError(f"sample {i} has no reference")
    for ref in refs:
        if not isinstance(ref, str):
            raise PolyevalError(f"a reference of sample {i} is {type(ref).__name__}, not a string")
    return refs


def reference_count(streams: Streams) -> int:
    """sacrebleu's `num_refs`: the references per sample, -1 when it varies."""
    counts = {sum(stream[i] is not None for stream in streams) for i in range(len(streams[0]))}
    return counts.pop() if len(counts) == 1 else -1
