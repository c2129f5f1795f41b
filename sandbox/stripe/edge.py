"""What the Stripe stand-in's edge needs and its state uses too: API keys and idempotency.

Apart from ``sandbox.stripe.http`` so that the state (``sandbox.stripe.state``), which checks
keys and keeps idempotent answers, imports nothing of the HTTP layer that mounts it.
"""

from __future__ import annotations

import base64
import copy
import hmac
import threading
from typing import Any

from sandbox.stripe.errors import Obj, stripe_error


class IdempotencyStore:
    """Idempotency-Key -> (params, status, body); a key in flight answers 409.

    docs.stripe.com/api/idempotent_requests: results are saved "only after the execution of
    an endpoint begins", so a request that fails parameter validation releases its key.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Obj, str | int, Any] | None] = {}

    def claim(self, key: str, params: Obj) -> tuple[str | int, Any] | None:
        with self._lock:
            if key not in self._entries:
                self._entries[key] = None
                return None
            entry = self._entries[key]
        if entry is None:
            raise stripe_error(
                409,
                "There is currently another in-progress request using this "
                "Stripe token (probably means you clicked twice).",
                code="idempotency_key_in_use",
            )
        if entry[0] != params:
            raise stripe_error(
                400,
                "Keys for idempotent requests can only be used with the same "
                "parameters they were first used with. Try using a key other "
                f"than '{key}' if you meant to execute a different request.",
                type_="idempotency_error",
            )
        return entry[1], entry[2]

    def store(self, key: str, params: Obj, status: str | int, body: Any) -> None:
        with self._lock:
            self._entries[key] = (params, status, copy.deepcopy(body))

    def release(self, key: str) -> None:
        with self._lock:
            if self._entries.get(key, ()) is None:
                del self._entries[key]


def same_key(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def redact(key: str) -> str:
    # Stripe shows only the key's kind ("sk_test_") and last four characters.
    if len(key) <= 8:
        return "****"
    parts = key.split("_")
    prefix = f"{parts[0]}_{parts[1]}_" if len(parts) > 2 else ""
    return prefix + "*" * max(len(key) - len(prefix) - 4, 4) + key[-4:]


def basic_user(header: str | None) -> str | None:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(token).decode().partition(":")[0] or None
    except ValueError:
        return None
