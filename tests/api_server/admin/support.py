"""Helpers for the admin console tests: fake gateways and the console's calls."""

from __future__ import annotations

from typing import Any

import falcon.testing

from api_server.app import MarketplaceApp
from api_server.payments.gateways import Health, HealthStatus
from tests.factories import sql


class FakeGateway:
    """A gateway whose status check answers `status` without any network."""

    def __init__(self, status: HealthStatus) -> None:
        self.health = Health(status, f"fake: {status}")

    def probe(self) -> Health:
        return self.health


def patch_user(
    client: falcon.testing.TestClient, admin: dict[str, Any], user_id: str, **body: Any
) -> falcon.testing.Result:
    return client.simulate_patch(f"/api/admin/users/{user_id}", headers=admin["headers"], json=body)


def console(
    client: falcon.testing.TestClient, admin: dict[str, Any], path: str, **params: Any
) -> falcon.testing.Result:
    """GET /api/admin/`path` as `admin` with `params`."""
    return client.simulate_get(f"/api/admin/{path}", headers=admin["headers"], params=params)


def audit_rows(app: MarketplaceApp, target_id: str) -> list[dict[str, Any]]:
    return sql(
        app,
        "SELECT actor_id::text AS actor_id, action, details, request_id FROM audit_log "
        "WHERE target_id = %s ORDER BY id",
        target_id,
    )


def user_row(app: MarketplaceApp, user_id: str) -> dict[str, Any]:
    return sql(app, "SELECT role, status, token_version FROM users WHERE id = %s", user_id)[0]
