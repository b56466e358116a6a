"""Client addresses: only a valid IP address is ever stored (issue 21 point 3).

The address comes from the ASGI scope's ``client``: the socket's peer, or the address that
``dme-portal serve`` took from ``X-Forwarded-For`` because the peer is a trusted proxy
(``DME_SERVER__TRUSTED_PROXIES``). A value that is not an IP address (a unix socket's path,
whatever a proxy passed through) is treated as no address at all.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import HTTPConnection


def valid_ip(value: str | None) -> str | None:
    """``value`` as a normalised IP address, or None when it is not one."""
    if not value or len(value) > 64:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address(request: HTTPConnection) -> str | None:
    """The caller's IP address as the server saw it, or None."""
    return valid_ip(request.client.host) if request.client else None
