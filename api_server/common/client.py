"""Who is calling, network-wise."""

from __future__ import annotations

import ipaddress

import falcon


def client_ip(req: falcon.Request, trusted_proxies: tuple[str, ...]) -> str:
    """The peer address, or the last untrusted X-Forwarded-For hop behind trusted proxies."""
    peer = req.remote_addr or "unknown"
    if peer not in trusted_proxies:
        return peer
    forwarded = [h.strip() for h in (req.get_header("X-Forwarded-For") or "").split(",")]
    for hop in reversed([h for h in forwarded if h]):
        if hop in trusted_proxies:
            continue
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            break
    return peer
