"""Audit rows, written in the caller's transaction so they commit with the action."""

from __future__ import annotations

import json
from typing import Any

from psycopg2.extras import RealDictCursor

from api_server.common import audit_queries as queries
from api_server.observability.tracing import event


def record_audit(
    cur: RealDictCursor,
    *,
    actor_id: str | None,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> None:
    """Appends one audit row; the table refuses updates and deletes."""
    event("audit", action=action, target_type=target_type, target_id=str(target_id))
    cur.execute(
        queries.INSERT,
        (
            actor_id,
            action,
            target_type,
            str(target_id),
            json.dumps(details or {}, default=str),
            request_id,
        ),
    )
