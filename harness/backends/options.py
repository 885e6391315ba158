"""Options every backend factory receives: the command line's backend flags and `-M KEY=VALUE`."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.errors import PolyevalError


@dataclass(frozen=True)
class BackendOptions:
    args: dict[str, str] = field(default_factory=dict)  # -M KEY=VALUE, backend-specific
    base_urls: tuple[str, ...] = ()  # replicas of one model; empty: the API's default
    api_key_env: str = "OPENAI_API_KEY"  # the *name* of the variable holding the key
    concurrency: int = 32  # requests in flight at once, for the whole run
    timeout_s: float = 120.0  # per request attempt
    max_attempts: int = 6  # per request, retries included
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    seed: int = 1234

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
