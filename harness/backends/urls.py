"""`--base-url` values: checked before anything runs, and split into what is sent where.

A base URL must be an http or https URL with a host and a port in 1-65535; anything else is a
one-line error naming the value (its credentials left out). Credentials in it
(`http://user:password@host/v1`) are taken out of the URL and sent as a Basic Authorization
header to that endpoint (in place of the API key's Bearer one); they are never recorded
(harness.backends.secrets.public_url).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from yarl import URL

from harness.backends.secrets import is_secret_name, public_url
from harness.errors import PolyevalError


@dataclass(frozen=True)
class Endpoint:
    url: URL  # the base URL as requests use it: no credentials
    public: str  # as it may be recorded: no credentials, key-like query values masked
    authorization: str | None = field(default=None, repr=False)  # "Basic ..." from credentials
    secrets: tuple[str, ...] = field(default=(), repr=False)  # never to appear in a message

    def target(self, path: str) -> URL:
        """The URL of an endpoint under the base URL (its query kept)."""
        return self.url.with_path(self.url.path.rstrip("/") + path, keep_query=True)


def endpoint(text: str) -> Endpoint:
    """The endpoint of a base URL; a PolyevalError naming the value if it is not usable."""
    where = f"--base-url {public_url(text)}"
    try:
        url = URL(text.strip())
        port = url.port
    except (ValueError, TypeError) as exc:
        raise PolyevalError(f"not a URL: {_reason(exc)}", where=where) from None
    if url.scheme not in ("http", "https"):
        raise PolyevalError(
            "not an http or https URL (such as http://127.0.0.1:8000/v1)", where=where
        )
    if not url.host:
        raise PolyevalError("the URL names no host (such as http://127.0.0.1:8000/v1)", where=where)
    if port is None or not 1 <= port <= 65535:
        raise PolyevalError(f"port {port} is not one of 1-65535", where=where)
    authorization = None
    secrets: tuple[str, ...] = ()
    if url.user is not None or url.password is not None:
        user, password = url.user or "", url.password or ""
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        authorization = f"Basic {token}"
        # a user alone (http://KEY@host) is the credential; a server may echo the header
        # back in an error: its token is a secret too
        given = (password, url.raw_password) if password else (user, url.raw_user)
        secrets = tuple(s for s in (*given, token) if s)
        url = url.with_user(None)
    secrets += tuple(v for k, v in url.query.items() if v and is_secret_name(k))
    return Endpoint(url, public_url(text.strip()), authorization, secrets)


def check_base_urls(values: tuple[str, ...] | list[str]) -> None:
    """Each base URL usable (a PolyevalError for the first that is not)."""
    for value in values:
        endpoint(value)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
