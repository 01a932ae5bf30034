"""Trusting a reverse proxy's ``X-Forwarded-*`` headers only when the proxy is configured.

Behind nginx (which terminates TLS) the app sees nginx's address and ``http``. With the
peer in ``trusted_proxies``, werkzeug's :class:`~werkzeug.middleware.proxy_fix.ProxyFix`
takes the client address, scheme, host and port from the last hop's ``X-Forwarded-For``,
``-Proto``, ``-Host`` and ``-Port``, so absolute URLs (sitemap, robots.txt, JSON-LD
``@context``, ``Link``, ``Content-Location``) name the public ``https://`` host and fair use
counts the real client. From any other peer those headers are removed before the app sees
them: a client cannot pose as another address or host.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                     "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED")


def networks(entries: Iterable[str]) -> tuple[_Network, ...]:
    """The networks of ``trusted_proxies`` entries (an address is a one-address network).

    >>> networks(["127.0.0.1", "10.0.0.0/8"])
    (IPv4Network('127.0.0.1/32'), IPv4Network('10.0.0.0/8'))
    """
    found = []
    for entry in entries:
        try:
            found.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"trusted_proxies: {entry!r} is not an address or network") from exc
    return tuple(found)


class TrustedProxies:
    """WSGI middleware: :class:`ProxyFix` (one hop) for trusted peers, forwarded headers
    dropped for everyone else."""

    def __init__(self, app: WSGIApplication, trusted: Iterable[str]) -> None:
        self.trusted = networks(trusted)
        self._fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=0)
        self._app = app

    def is_trusted(self, address: str | None) -> bool:
        """Whether ``address`` belongs to a trusted proxy."""
        if not address or not self.trusted:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.is_trusted(environ.get("REMOTE_ADDR")):
            return self._fixed(environ, start_response)
        for name in FORWARDED_HEADERS:
            environ.pop(name, None)
        return self._app(environ, start_response)
