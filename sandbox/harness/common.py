"""What every sandbox module shares: ids, the provider-shaped error, request reading.

Each sandbox is a Falcon WSGI app on a threaded wsgiref server bound to loopback
(`sandbox.harness.server`), built on `sandbox.harness.base.SandboxBase`; faults and webhook
rules are `sandbox.harness.rules`, delivery is `sandbox.harness.webhooks`, the `/_sandbox/`
control API is `sandbox.harness.control` (see docs/sandboxes.md).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

import falcon

DEFAULT_BACKOFF: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 4.0)
DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_HANG_SECONDS = 30.0
SIGNATURE_MODES = ("valid", "bad", "missing", "stale")
FAULT_MODES = ("error", "hang", "refuse", "status", "late")

# (payload, signature mode) -> extra headers for one webhook POST
Signer = Callable[[bytes, str], dict[str, str]]


def new_id(prefix: str, length: int = 24) -> str:
    """An id shaped like the gateways' own (prefix + random alphanumerics)."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


class GatewayError(Exception):
    """An error answer in the provider's own body shape; rendered by the app."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def request_text(req: falcon.Request) -> str:
    """What a fault's ``match`` is tested against: "METHOD path?query\\n<raw body>"."""
    query = f"?{req.query_string}" if req.query_string else ""
    return f"{req.method} {req.path}{query}\n{req.context.raw_body.decode(errors='replace')}"


def read_json(req: falcon.Request) -> dict[str, Any]:
    """The request body as a JSON object ({} when empty)."""
    raw = req.context.raw_body
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise falcon.HTTPBadRequest(description=f"invalid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise falcon.HTTPBadRequest(description="expected a JSON object")
    return value
