"""Options every backend factory receives: the command line's backend flags and `-M KEY=VALUE`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import PolyevalError

# An attempt's deadline. As long as OpenAI's own client waits: a long answer from a slow local
# server (4,096 tokens at 10 tokens a second) or a hosted reasoning model finishes within one
# attempt, while a connection that hangs is still given up in bounded time. An attempt that
# runs out of it is tried once more at most (harness.backends.openai_api.MAX_TIMEOUTS): a reply
# slower than the deadline is as slow the next time, and its server stops generating it when
# its connection is closed.
DEFAULT_TIMEOUT_S = 600.0
# Rate limits (429), server errors (5xx) and dropped connections are cheap to try again, with
# backoff: 1 + 2 + 4 + 8 + 16 s at most between the 6 attempts (or what Retry-After asks).
DEFAULT_MAX_ATTEMPTS = 6
# the -M options of the OpenAI-compatible client (harness.backends.openai_api), which the
# managed servers pass on to it
CLIENT_ARGS: dict[str, type] = {"backoff_base": float, "backoff_max": float, "max_reply_chars": int}


@dataclass(frozen=True)
class BackendOptions:
    args: dict[str, str] = field(default_factory=dict)  # -M KEY=VALUE, backend-specific
    base_urls: tuple[str, ...] = ()  # replicas of one model; empty: the API's default
    api_key_env: str = "OPENAI_API_KEY"  # the *name* of the variable holding the key
    concurrency: int = 32  # requests in flight at once, for the whole run
    timeout_s: float = DEFAULT_TIMEOUT_S  # one attempt, whole: connect, send, wait, read the body
    max_attempts: int = DEFAULT_MAX_ATTEMPTS  # per request, retries included
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    seed: int = 1234
    cache_path: Path | None = None  # the run's response cache (None: the default one)
    # the generation settings with their secrets (harness.backends.secrets): the requests carry
    # them masked, the backend sends them whole; never recorded
    secret_generation: dict[str, Any] = field(default_factory=dict, repr=False)

    def take(self, known: dict[str, type], backend: str) -> dict[str, object]:
        """The -M arguments converted to their types; an unknown one is an error."""
        unknown = sorted(set(self.args) - set(known))
        if unknown:
            names = ", ".join(sorted(known)) or "none"
            raise PolyevalError(f"{backend} takes no -M {', '.join(unknown)} (it takes: {names})")
        converted: dict[str, object] = {}
        for key, value in self.args.items():
            converted[key] = _convert(key, value, known[key])
        return converted


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _convert(key: str, value: str, kind: type) -> object:
    if kind is bool:
        if value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise PolyevalError(f"-M {key} takes true or false, not {value!r}")
    try:
        return kind(value)
    except ValueError:
        raise PolyevalError(f"-M {key} takes a {kind.__name__}, not {value!r}") from None
