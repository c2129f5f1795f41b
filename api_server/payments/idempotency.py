"""Idempotency-Key rows: a replay gets the first answer, another body is refused."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from api_server.common.errors import Conflict, Invalid
from api_server.db import Database
from api_server.payments import queries


def request_hash(body: dict[str, Any]) -> str:
    """A stable digest of a request body, to tell a replay from a different request."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


class IdempotencyKeys:
    """One row per (user, key): claimed, then answered; a retryable failure frees it."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def begin(
        self,
        user_id: str,
        key: str,
        body: dict[str, Any],
    ) -> tuple[int, dict[str, Any]] | None:
        """Claims the key, or returns the stored answer of the first request that used it."""
        digest = request_hash(body)
        with self._db.transaction() as cur:
            cur.execute(queries.CLAIM_IDEMPOTENCY_KEY, (user_id, key, digest))
            if cur.fetchone() is not None:
                return None
            cur.execute(queries.IDEMPOTENCY_KEY, (user_id, key))
            stored = cur.fetchone()
        if stored["request_hash"] != digest:
            raise Invalid(
                "idempotency_key_reused",
                "This Idempotency-Key was used with a different request.",
            )
        if stored["status_code"] is None:
            raise Conflict(
                "idempotency_key_in_use",
                "A request with this Idempotency-Key is still running; retry soon.",
                headers={"Retry-After": "1"},
            )
        return stored["status_code"], stored["response"]

    def finish(
        self,
        user_id: str,
        key: str,
        status: int,
        response: dict[str, Any] | None,
        *,
        retryable: bool | None = None,
    ) -> None:
        """Stores the answer for replays; a retryable failure (by default a 5xx) frees the
        key instead."""
        if retryable is None:
            retryable = status >= 500
        with self._db.transaction() as cur:
            if retryable or response is None:
                cur.execute(queries.RELEASE_IDEMPOTENCY_KEY, (user_id, key))
            else:
                cur.execute(
                    queries.STORE_IDEMPOTENT_RESPONSE,
                    (status, json.dumps(response, default=str), user_id, key),
                )

    def release(self, user_id: str, key: str) -> None:
        """Frees a key whose stored answer no longer holds, so the request runs anew."""
        with self._db.transaction() as cur:
            cur.execute(queries.RELEASE_IDEMPOTENCY_KEY, (user_id, key))
