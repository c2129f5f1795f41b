"""Liveness, readiness and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon
import psycopg2

from api_server.common.errors import Problem
from api_server.common.validation import operation
from api_server.db import Database, DatabaseUnavailable
from api_server.db.migrate import pending_versions
from api_server.health import queries

STATUS_SCHEMA = {
    "type": "object",
    "required": ["status"],
    "properties": {"status": {"type": "string"}, "checks": {"type": "object"}},
}


class Liveness:
    """The process answers: nothing else is checked."""

    @operation("Liveness", responses={200: STATUS_SCHEMA})
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """200 while the process serves requests."""
        resp.media = {"status": "ok"}


class Readiness:
    """Ready when the database answers and every migration on disk is applied."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @operation("Readiness", responses={200: STATUS_SCHEMA, 503: None})
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """200 with the checks, or 503 naming the one that failed."""
        try:
            with self._db.transaction() as cur:
                cur.execute(queries.PING)
                pending = pending_versions(cur)
        except (DatabaseUnavailable, psycopg2.Error) as exc:
            raise Problem(503, "not_ready", "database check failed", check="database") from exc
        if pending:
            raise Problem(503, "not_ready", f"migrations pending: {pending}", check="migrations")
        resp.media = {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}


class OpenApi:
    """Serves the document built from the live routes."""

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        self._build = build
        self._document: dict[str, Any] | None = None

    # Its path is no route group of its own; it is listed with the health checks.
    @operation("OpenAPI document", responses={200: {"type": "object"}}, tags=("health",))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The OpenAPI 3.1 document of this API."""
        if self._document is None:
            self._document = self._build()
        resp.media = self._document
