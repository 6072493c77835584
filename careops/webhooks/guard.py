"""The SSRF guard: webhook URLs may only reach public hosts.

An owner chooses the URL, and the server makes the request: without a guard
the URL could point at the server's own admin ports, the cloud metadata
service (169.254.169.254) or the private network. A URL is refused when it is
not ``http``/``https`` or when its host resolves to a loopback, private,
link-local, multicast, reserved or unspecified address (any of its addresses:
a name resolving to one public and one private address is refused too), unless
``CAREOPS_WEBHOOKS_ALLOW_PRIVATE`` is set.

The check runs when the URL is saved and again at every send — DNS can change
in between — and at send time it is enforced where the socket is opened
(:class:`GuardedBackend`): the address checked is the address connected to,
so a name cannot resolve to a public address for the check and to a private
one for the connection. Redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache
from urllib.parse import urlsplit

import httpcore
import httpx

SCHEMES = ("http", "https")


class UnsafeURL(Exception):
    """The URL may not be called; the message says why, for the owner."""


def refused_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why ``address`` is not a public one, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    for kind in ("loopback", "link_local", "unspecified", "multicast", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return f"{address} is a {kind.replace('_', '-')} address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"The host {host!r} does not resolve ({exc})") from None
    # scope ids (fe80::1%eth0) are cut: the address itself is what is judged.
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))


def public_addresses(host: str, port: int, allow_private: bool) -> list[str]:
    """The addresses of ``host`` to connect to; UnsafeURL when one of them is not public."""
    addresses = resolve(host, port)
    if not allow_private:
        for address in addresses:
            reason = refused_reason(address)
            if reason:
                raise UnsafeURL(f"The host {host!r} resolves to {reason}; webhooks only go to public hosts")
    return [str(a) for a in addresses]


def split(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL; UnsafeURL for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"Not a valid URL: {exc}") from None
    if parts.scheme not in SCHEMES:
        raise UnsafeURL("Only http:// and https:// URLs are allowed")
    if not parts.hostname:
        raise UnsafeURL("The URL has no host")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_url(url: str, allow_private: bool) -> None:
    """Refuse (UnsafeURL) a URL that webhooks may not call."""
    host, port = split(url)
    public_addresses(host, port, allow_private)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to addresses the guard accepts.

    TLS still verifies the certificate against the URL's host name: httpcore
    passes the origin's host as the server name, not the address connected to.
    """

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = public_addresses(host, port, self.allow_private)
        last_error = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        raise last_error


@lru_cache(maxsize=1)
def _ssl_context():
    # Loading the CA bundle takes ~0.1 s: once per process, shared (SSLContext is thread-safe).
    return httpx.create_ssl_context()


def client(*, timeout: float, allow_private: bool) -> httpx.Client:
    """An httpx client for webhook sends: guarded sockets, no proxies from the environment, no redirects."""
    transport = httpx.HTTPTransport(verify=_ssl_context())
    # httpx builds its connection pool itself; this one is the same but for the socket backend.
    transport._pool = httpcore.ConnectionPool(ssl_context=_ssl_context(), network_backend=GuardedBackend(allow_private))
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)
