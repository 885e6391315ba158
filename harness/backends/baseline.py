"""Built-in baseline models, seeded and deterministic, needing no network and no GPU.

- `random`: a uniformly random option (multiple choice) or a random gold answer of the same
  task and language (other kinds).
- `majority`: the most common gold answer of the task, variant and language.
- `reference`: the gold answer, phrased in the prompt's language: the harness's own
  correctness check, which must score 100%.
- `copy-source`: echoes the source text (translation tasks), the question, or the prompt
  (open-ended tasks).

Log-likelihood requests (harness.records: continuations after a context) are scored too:
`reference` gives the gold continuation log-probability 0 and every other one far less, so that
it wins however the scores are normalised (by characters or by tokens); `majority` does the
same for the most common gold answer, and `random` for a uniformly random continuation. The
gold continuation is the one the gold letter names (A: the first), else the one equal to the
gold answer. A lone continuation (a text whose bits per byte are measured) gets 0 from
`reference` (a model that knows the text) and 8 bits per byte from `random` and `majority`
(uniformly random bytes). The options after the answer cue alone (acc_pmi's unconditional
request, which has no gold answer) all get what a losing option gets: no option wins, so each
baseline's acc_pmi picks what its acc picks. `copy-source` scores nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from harness.backends import NOT_RETRIED
from harness.backends.options import BackendOptions
from harness.errors import PolyevalError
from harness.records import LETTERS, ContinuationScore, Request, Response

Strategy = Callable[[Request, random.Random], str]
Scores = tuple[ContinuationScore, ...]
Scorer = Callable[[Request, random.Random], Scores]
BYTES_PER_TOKEN = 4  # the baselines' stand-in for a tokenizer
LOSING_LOGPROB_PER_CHAR = -10.0  # what a continuation the baseline does not pick is given


class _Unscored(Exception):
    """A log-likelihood request this baseline cannot score."""


def create(name: str, options: BackendOptions) -> BaselineBackend:
    if name not in STRATEGIES:
        known = ", ".join(f"baseline:{n}" for n in STRATEGIES)
        raise PolyevalError(f"unknown baseline '{name}'; known: {known}")
    latency = options.take({"latency": float}, "baseline").get("latency", 0.0)
    return BaselineBackend(name, options.seed, latency if isinstance(latency, float) else 0.0)


class BaselineBackend:
    def __init__(self, strategy: str, seed: int, latency: float = 0.0) -> None:
        self.strategy = strategy
        self.seed = seed
        self.latency = latency  # simulated seconds per answer, for tests and benchmarks
        self.sent = 0  # requests answered by this backend (not from the cache)
        # hash of each answer pool, which all requests of a task and language share: hashing
        # it once per pool, not per request, keeps the salts linear in the number of requests
        self._pools: dict[int, tuple[tuple[str, ...], str]] = {}

    def identity(self) -> dict[str, Any]:
        return {"kind": "baseline", "model": self.strategy, "seed": self.seed}

    def cache_salt(self, request: Request) -> str:
        """Baselines answer from the hints, so the hints are part of what makes an answer."""
        hints = request.hints
        pool = self._pool_hash(hints.answer_pool)
        own = replace(hints, answer_pool=())
        return hashlib.sha256(f"{own!r}|{pool}".encode()).hexdigest()

    def _pool_hash(self, pool: tuple[str, ...]) -> str:
        known = self._pools.get(id(pool))
        if known is None or known[0] is not pool:
            known = (pool, hashlib.sha256(repr(pool).encode()).hexdigest())
            self._pools[id(pool)] = known
        return known[1]

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        answer = STRATEGIES[self.strategy]
        for index, request in enumerate(requests):
            if self.latency:
                await asyncio.sleep(self.latency)
            self.sent += 1
            if request.loglikelihood:
                yield index, self._scored(request)
            else:
                yield (
                    index,
                    Response(text=answer(request, self._rng(request)), finish_reason="stop"),
                )

    def _scored(self, request: Request) -> Response:
        """A log-likelihood request's answer, or a not-retried error where this baseline
        cannot score it."""
        scorer = SCORERS.get(self.strategy)
        if scorer is None:
            why = "does not score log-likelihood requests"
            return Response(text="", error=f"{NOT_RETRIED}: baseline:{self.strategy} {why}")
        lone = len(request.continuations) == 1 and self.strategy != "reference"
        try:
            if not request.hints.gold:  # the options after the answer cue alone: none wins
                scores = _picking(request.continuations, chosen=-1)
            elif lone:
                scores = _uniform_bytes(request.continuations[0])
            else:
                scores = scorer(request, self._rng(request))
            return Response(text="", finish_reason="stop", scores=scores)
        except _Unscored as exc:
            return Response(text="", error=f"{NOT_RETRIED}: baseline:{self.strategy} {exc}")

    async def aclose(self) -> None:
        return None

    def _rng(self, request: Request) -> random.Random:
        """Seeded by the request itself, so the answer does not depend on order or batching."""
        digest = hashlib.sha256(f"{self.seed}|{'|'.join(request.key)}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))


def _reference(request: Request, rng: random.Random) -> str:
    return request.hints.reference


def _random(request: Request, rng: random.Random) -> str:
    hints = request.hints
    if hints.choice_labels:
        return hints.phrase(LETTERS[rng.randrange(len(hints.choice_labels))])
    return hints.phrase(rng.choice(hints.answer_pool or (hints.gold,)))


def _majority(request: Request, rng: random.Random) -> str:
    return request.hints.phrase(_most_common(request.hints.answer_pool or (request.hints.gold,)))


@lru_cache(maxsize=64)
def _most_common(pool: tuple[str, ...]) -> str:
    """The most common answer; ties go to the smallest, so the choice is stable."""
    counts = Counter(pool)
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _copy_source(request: Request, rng: random.Random) -> str:
    return request.hints.source_text


def tokens_of(text: str) -> int:
    """The baselines' token count of a continuation: one per 4 bytes of UTF-8, at least one."""
    return max(1, math.ceil(len(text.encode("utf-8", "surrogatepass")) / BYTES_PER_TOKEN))


def _picking(continuations: tuple[str, ...], chosen: int) -> Scores:
    """Scores where `chosen` has log-probability 0 (and is greedy) and every other one
    LOSING_LOGPROB_PER_CHAR per character and one more: below 0 by characters or tokens."""
    return tuple(
        ContinuationScore(0.0, tokens_of(text), True)
        if index == chosen
        else ContinuationScore(LOSING_LOGPROB_PER_CHAR * (len(text) + 1), tokens_of(text), False)
        for index, text in enumerate(continuations)
    )


def _index_of(answer: str, continuations: tuple[str, ...]) -> int:
    """The continuation an answer names: by its letter (A: the first), else by its text."""
    if len(answer) == 1 and answer in LETTERS and LETTERS.index(answer) < len(continuations):
        return LETTERS.index(answer)
    stripped = [text.strip() for text in continuations]
    if answer.strip() in stripped:
        return stripped.index(answer.strip())
    raise _Unscored(f"cannot find the answer {answer!r} among the continuations")


def _score_reference(request: Request, rng: random.Random) -> Scores:
    chosen = _index_of(request.hints.gold, request.continuations)
    return _picking(request.continuations, chosen)


def _score_majority(request: Request, rng: random.Random) -> Scores:
    common = _most_common(request.hints.answer_pool or (request.hints.gold,))
    return _picking(request.continuations, _index_of(common, request.continuations))


def _score_random(request: Request, rng: random.Random) -> Scores:
    """A uniformly random continuation picked: chance under every normalisation."""
    return _picking(request.continuations, rng.randrange(len(request.continuations)))


def _uniform_bytes(text: str) -> Scores:
    """A lone text scored as uniformly random bytes would be: 8 bits per byte."""
    size = len(text.encode("utf-8", "surrogatepass"))
    return (ContinuationScore(-size * math.log(256), tokens_of(text), False),)


STRATEGIES: dict[str, Strategy] = {
    "random": _random,
    "majority": _majority,
    "reference": _reference,
    "copy-source": _copy_source,
}

SCORERS: dict[str, Scorer] = {
    "random": _score_random,
    "majority": _score_majority,
    "reference": _score_reference,
}
