"""Speed of the corpus translation metrics (harness.metrics.translation) on the real FLoRes v1
ne-en devtest (2,835 sentences, English references), as times and ratios measured in one process.

For three outputs, (a) perfect (the references themselves), (b) copy-source (the Nepali source
given as the translation) and (c) a realistic noisy one (the references with about 15% of the
words dropped and one pair of neighbouring words swapped, deterministically), it times
`corpus_scores`: chrF++, BLEU and TER with 95% intervals from 1,000 bootstrap resamples, and the
chrF++ of every sentence; once with the statistics in worker processes where the corpus is large
enough (the default) and once in-process. The yardstick is plain sacrebleu in this process:
`corpus_score` of BLEU, chrF++ and TER, no bootstrap, no sentence scores. A ratio below 1 means
polyeval, doing more, is faster. The first call of each kind is reported apart (cold: imports of
tokenizer modules, first allocations); the others are the best of --repeat.

Usage: python benchmarks/translation_scoring.py [--data-dir ../shared/data] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sacrebleu.metrics.bleu import BLEU
from sacrebleu.metrics.chrf import CHRF
from sacrebleu.metrics.ter import TER

from harness.metrics.translation import corpus_scores
from harness.metrics.translation.engine import MIN_CHUNK, PARALLEL_MIN_SENTENCES
from harness.parallel import fork_workers

REPO = Path(__file__).resolve().parent.parent
FLORES = Path("flores_v1_ne_si") / "wikipedia.devtest.ne-en"


def noisy(sentences: list[str], seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for sentence in sentences:
        words = [w for w in sentence.split() if rng.random() > 0.15]
        if len(words) > 3:
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
        out.append(" ".join(words))
    return out


def best_of(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def plain_sacrebleu(hypotheses: list[str], references: list[str]) -> None:
    for metric in (BLEU(), CHRF(word_order=2), TER()):
        metric.corpus_score(hypotheses, [references])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base = args.data_dir / FLORES
    source_file, reference_file = (base.parent / f"{base.name}.{lang}" for lang in ("ne", "en"))
    if not (source_file.is_file() and reference_file.is_file()):
        print(f"translation scoring: skipped, no FLoRes v1 ne-en devtest at {base}.{{ne,en}}")
        return
    source = source_file.read_text(encoding="utf-8").splitlines()
    references = reference_file.read_text(encoding="utf-8").splitlines()
    refs = [[r] for r in references]
    n = len(references)
    print(
        f"FLoRes v1 ne-en devtest: {n} sentences, target eng_Latn; worker processes by default: "
        f"{fork_workers(n, PARALLEL_MIN_SENTENCES, MIN_CHUNK)}"
    )
    outputs = {"perfect": references, "copy-source": source, "noisy": noisy(references)}
    for kind, hypotheses in outputs.items():
        started = time.perf_counter()
        result = corpus_scores(hypotheses, refs, "eng_Latn")
        first = time.perf_counter() - started
        auto = best_of(args.repeat, partial(corpus_scores, hypotheses, refs, "eng_Latn"))
        alone = best_of(
            args.repeat, partial(corpus_scores, hypotheses, refs, "eng_Latn", processes=1)
        )
        ideal = best_of(args.repeat, partial(plain_sacrebleu, hypotheses, references))
        values = ", ".join(
            f"{name} {s.value:.2f} [{s.ci_low:.2f}, {s.ci_high:.2f}]"
            for name, s in result.scores.items()
        )
        print(f"{kind}: {values}")
        print(
            f"  corpus_scores {auto:.3f} s (first call {first:.3f} s), in-process {alone:.3f} s; "
            f"plain sacrebleu corpus_score x3 {ideal:.3f} s; ratio {auto / ideal:.2f} "
            f"(in-process {alone / ideal:.2f})"
        )


if __name__ == "__main__":
    main()
