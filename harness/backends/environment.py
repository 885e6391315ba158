"""What the environment says about requests to an endpoint, as other HTTP clients read it: the
proxy of `HTTP_PROXY` / `HTTPS_PROXY` (with its credentials) unless `NO_PROXY` exempts the
host, and the credentials of a `.netrc` entry (`NETRC` names the file) for the host.

aiohttp's `trust_env` works these out again for every request, in two threads (reading the
environment and the .netrc file each time): a tenth of a millisecond or more per request, on
the thread the requests are sent from. They cannot change while a run goes on, so a backend
works them out once per endpoint, here, and sends every request with them.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field

from aiohttp import BasicAuth
from aiohttp.helpers import basicauth_from_netrc, get_env_proxy_for_url, netrc_from_env
from yarl import URL


@dataclass(frozen=True)
class Route:
    """How requests to one endpoint go: through `proxy` (None: directly), and with the
    Authorization header of a .netrc entry where the request carries none of its own."""

    proxy: URL | None = None
    proxy_auth: BasicAuth | None = field(default=None, repr=False)
    netrc_authorization: str | None = field(default=None, repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """What may never appear in a message: the credentials it holds."""
        found = [self.netrc_authorization.split(" ", 1)[1]] if self.netrc_authorization else []
        if self.proxy_auth is not None:
            found += [self.proxy_auth.password, self.proxy_auth.encode().split(" ", 1)[1]]
        return tuple(s for s in found if s)


def route(url: URL) -> Route:
    """The environment's route to `url`."""
    try:
        proxy, proxy_auth = get_env_proxy_for_url(url)
    except LookupError:
        proxy, proxy_auth = None, None
    netrc_authorization = None
    if url.host is not None:
        with suppress(LookupError):  # no .netrc file, or no entry for the host
            netrc_authorization = basicauth_from_netrc(netrc_from_env(), url.host).encode()
    return Route(proxy, proxy_auth, netrc_authorization)
