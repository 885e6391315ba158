"""Secrets a user can hand a run, and how they are kept out of everything it writes.

A secret is the API key (read from the variable `--api-key-env` names, never recorded), the
credentials of a URL (`--base-url http://user:password@host/v1`: sent as a Basic Authorization
header, recorded without them), and any text value under a key-like name: a query parameter of
a URL (`?api_key=...`), a key of `--extra-body` (at any depth) or of `-M`. Key-like names are
those with a word such as key, token, secret, password, auth, authorization, credential or
cookie (`api_key`, `apiKey`, `x-api-key`, `access_token`, `client_secret`); `max_tokens` is not
one. Only text values are masked: numbers, booleans and lists of numbers (`stop_token_ids`)
carry no secret and stay as they are.

What is recorded (the manifest's command, model and replay block, each sample's generation
settings) holds `***` in their place; the request sent holds the value itself. Like the API
key, a masked value is not part of the response cache's key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

MASK = "***"
_WORDS = frozenset(
    {
        "key", "apikey", "token", "secret", "password", "passwd", "pwd", "pass", "passphrase",
        "auth", "authorization", "credential", "credentials", "cookie", "bearer", "signature",
    }
)  # fmt: skip
_ENDINGS = ("apikey", "token", "secret", "password", "passwd")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_USERINFO = re.compile(r"(?<=://)[^/?#@]*@")
# the options of `evaluate run` whose values may hold secrets, as the command line gives them
_URL_OPTIONS = ("--base-url",)
_JSON_OPTIONS = ("--extra-body",)
_PAIR_OPTIONS = ("-M", "--model-arg")


def is_secret_name(name: str) -> bool:
    """Whether a key, parameter or option name is key-like (its value is taken for a secret)."""
    words = [w for w in re.split(r"[^a-z0-9]+", _CAMEL.sub("_", name).lower()) if w]
    return any(w in _WORDS or w.endswith(_ENDINGS) for w in words)


def masked(value: Any, secret: bool = False) -> Any:
    """`value` with every text under a key-like name (at any depth) replaced by `***`."""
    if isinstance(value, dict):
        return {k: masked(v, secret or is_secret_name(str(k))) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(v, secret) for v in value]
    return MASK if secret and isinstance(value, str) else value


def restored(public: Any, real: Any) -> Any:
    """`public` (masked) with each `***` that stands for a text of `real` given back."""
    if isinstance(public, str):
        return real if public == MASK and isinstance(real, str) else public
    if isinstance(public, dict) and isinstance(real, dict):
        return {k: restored(v, real[k]) if k in real else v for k, v in public.items()}
    if isinstance(public, list) and isinstance(real, list | tuple) and len(public) == len(real):
        return [restored(p, r) for p, r in zip(public, real, strict=True)]
    return public


def secret_values(value: Any, secret: bool = False) -> list[str]:
    """The texts `masked` would replace: what must never appear in a message either."""
    if isinstance(value, dict):
        return [
            s for k, v in value.items() for s in secret_values(v, secret or is_secret_name(str(k)))
        ]
    if isinstance(value, list | tuple):
        return [s for v in value for s in secret_values(v, secret)]
    return [value] if secret and isinstance(value, str) and value else []


def public_url(url: str) -> str:
    """A URL as it may be recorded: without user and password, key-like query values masked.
    A text that is not a URL has any `user:password@` removed all the same."""
    from yarl import URL

    try:
        parsed = URL(url)
        if parsed.user is None and parsed.password is None and not parsed.query:
            return url
        public = parsed.with_user(None)
        if parsed.query:
            query = [(k, MASK if is_secret_name(k) else v) for k, v in parsed.query.items()]
            public = public.with_query(query)
        return str(public)
    except (ValueError, TypeError):
        return _USERINFO.sub("", url)


def masked_argv(argv: Sequence[str]) -> list[str]:
    """A command line as it may be recorded: URLs without credentials, `--extra-body` and `-M`
    values under key-like names masked."""
    out: list[str] = []
    pending: str | None = None  # the option whose value comes next
    for arg in argv:
        if pending is not None:
            out.append(_masked_value(pending, arg))
            pending = None
            continue
        name, eq, value = arg.partition("=")
        if name in (*_URL_OPTIONS, *_JSON_OPTIONS, *_PAIR_OPTIONS):
            if eq:
                out.append(f"{name}={_masked_value(name, value)}")
            else:
                out.append(arg)
                pending = name
        elif arg.startswith("-M") and len(arg) > 2 and not arg.startswith("--"):
            out.append("-M" + _masked_value("-M", arg[2:]))  # -Mkey=value
        else:
            out.append(arg)
    return out


def _masked_value(option: str, value: str) -> str:
    if option in _URL_OPTIONS:
        return public_url(value)
    if option in _JSON_OPTIONS:
        try:
            parsed = json.loads(value)
        except ValueError:
            return MASK  # not JSON (the run refuses it): nothing of it is kept
        if masked(parsed) == parsed:
            return value
        return json.dumps(masked(parsed), ensure_ascii=False)
    key, sep, _ = value.partition("=")
    return f"{key}={MASK}" if sep and is_secret_name(key.strip()) else value
