"""Which code computes the sentence statistics of the corpus metrics, and in how many processes.

At the pinned sacrebleu (`PINNED_SACREBLEU`, the version of pyproject.toml's pin) the statistics
come from this package's faster subclasses of sacrebleu's metrics (chrf.py, bleu.py, ter.py),
which the tests check row for row against sacrebleu's own; on large corpora
(`PARALLEL_MIN_SENTENCES`) they are computed in forked worker processes, one contiguous chunk of
sentences each, every worker building its own metrics. With any other sacrebleu installed those
subclasses may no longer compute what sacrebleu computes, so `fast_path` warns and everything
falls back to sacrebleu's own code: its metric classes, in this process, on the whole corpus,
the sentence chrF++ from its own arithmetic, the bootstrap sums gathered as it gathers them.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import sacrebleu
from sacrebleu.metrics.base import Metric
from sacrebleu.metrics.bleu import BLEU
from sacrebleu.metrics.chrf import CHRF
from sacrebleu.metrics.ter import TER

from harness.metrics.translation.chrf import chrf_f_scores
from harness.metrics.translation.inputs import Streams
from harness.parallel import fork_workers, forked_map

PINNED_SACREBLEU = "2.5.1"
"""The sacrebleu the fast statistics are checked against (pyproject.toml pins it)."""

PARALLEL_MIN_SENTENCES = 1000
"""Below this many sentences the statistics are computed in-process: forking does not pay."""
MIN_CHUNK = 500  # sentences per worker process, at least

Rows = list[list[float]]  # sentence statistics: one row per sentence

_STOCK: dict[str, type[Metric]] = {"chrf": CHRF, "bleu": BLEU, "ter": TER}


def fast_path() -> bool:
    """Whether the installed sacrebleu is the pinned one; if not, a warning says that sacrebleu's
    own (slower) code computes the translation metrics."""
    installed = sacrebleu.__version__
    if installed == PINNED_SACREBLEU:
        return True
    warnings.warn(
        f"sacrebleu {installed} is installed, not the pinned {PINNED_SACREBLEU}: the translation "
        "metrics are computed by sacrebleu's own (slower) code",
        RuntimeWarning,
        stacklevel=3,
    )
    return False


def build_metric(name: str, settings: Mapping[str, object], fast: bool) -> Metric:
    """The metric `name` ("chrf", "bleu" or "ter") with sacrebleu keyword `settings`: this
    package's faster subclass if `fast`, else sacrebleu's own class."""
    kwargs = cast(dict[str, Any], dict(settings))
    if not fast:
        return _STOCK[name](**kwargs)
    # imported only on the fast path: ter.py needs lib_ter's private names, which another
    # sacrebleu may not have
    from harness.metrics.translation.bleu import FastBLEU
    from harness.metrics.translation.chrf import FastCHRF
    from harness.metrics.translation.ter import FastTER

    fast_classes: dict[str, type[Metric]] = {"chrf": FastCHRF, "bleu": FastBLEU, "ter": FastTER}
    return fast_classes[name](**kwargs)


def chunk_statistics(
    names: tuple[str, ...],
    settings: Mapping[str, Mapping[str, object]],
    hypotheses: Sequence[str],
    streams: Streams,
    fast: bool | None = None,
) -> dict[str, Rows]:
    """Each metric's sentence statistics for a run of sentences, with metrics built here (so
    that a worker process builds its own). `fast`: None checks the installed sacrebleu."""
    fast = fast_path() if fast is None else fast
    return {
        name: build_metric(name, settings[name], fast)._extract_corpus_statistics(
            hypotheses, cast(Any, streams)
        )
        for name in names
    }


def statistics(
    names: tuple[str, ...],
    settings: Mapping[str, Mapping[str, object]],
    hypotheses: Sequence[str],
    streams: Streams,
    processes: int | None,
    fast: bool | None = None,
) -> dict[str, Rows]:
    """Each metric's sentence statistics for the corpus: in worker processes where `processes`
    (None: by corpus size) says so and the fast path is taken, else in this process."""
    fast = fast_path() if fast is None else fast
    parts = fork_workers(len(hypotheses), PARALLEL_MIN_SENTENCES, MIN_CHUNK, processes)
    if parts <= 1 or not fast:
        return chunk_statistics(names, settings, hypotheses, streams, fast)
    calls = [
        (names, settings, list(hypotheses[a:b]), [stream[a:b] for stream in streams], fast)
        for a, b in _bounds(hypotheses, streams, parts)
    ]
    chunks = forked_map(chunk_statistics, calls)
    return {name: [row for chunk in chunks for row in chunk[name]] for name in names}


def _bounds(hypotheses: Sequence[str], streams: Streams, parts: int) -> list[tuple[int, int]]:
    """`parts` contiguous runs of sentences of about equal text length."""
    sizes = np.fromiter(map(len, hypotheses), np.int64, len(hypotheses))
    for stream in streams:
        sizes += np.fromiter((len(ref or "") for ref in stream), np.int64, len(stream))
    cumulative = np.cumsum(sizes + 1)
    cuts = np.searchsorted(cumulative, cumulative[-1] * np.arange(1, parts) / parts)
    edges = [0, *sorted({int(c) for c in cuts} - {0, len(hypotheses)}), len(hypotheses)]
    return list(itertools.pairwise(edges))


def sentence_chrf(rows: Rows, metric: Metric, fast: bool) -> list[float]:
    """The chrF++ of each sentence from its statistics row, as `metric.sentence_score` gives it:
    all rows at once if `fast`, else row by row by sacrebleu."""
    if fast:
        beta = int(cast(Any, metric).beta)
        return cast(list[float], chrf_f_scores(np.array(rows, np.int64), beta).tolist())
    aggregate = metric._aggregate_and_compute
    return [float(aggregate([row]).score) for row in rows]
