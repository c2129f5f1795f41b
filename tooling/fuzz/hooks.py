"""Schemathesis hooks for the authenticated pass (loaded through SCHEMATHESIS_HOOKS).

Every operation that needs a token says who may call it in `x-roles`; the request gets the
token of the first of those roles. Operations open to anyone with an optional token
(`security: [{}, {bearerAuth: []}]`) get the buyer's. Public ones get none.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis

TOKENS: dict[str, str] = json.loads(os.environ.get("FUZZ_TOKENS", "{}"))


def role_for(definition: dict[str, Any]) -> str | None:
    """The role whose token an operation is called with, or None for no token."""
    roles = definition.get("x-roles") or []
    if roles:
        return str(roles[0])
    if {"bearerAuth": []} in (definition.get("security") or []):
        return "buyer"
    return None


@schemathesis.auth(refresh_interval=None, retry_on=[])
class RoleToken:
    """The token of the role the operation declares."""

    def get(self, case: Any, ctx: Any) -> str | None:
        """The token, or None when the operation is public."""
        role = role_for(case.operation.definition.raw)
        return TOKENS.get(role) if role else None

    def set(self, case: Any, data: str | None, ctx: Any) -> None:
        """Adds the Authorization header (nothing for a public operation)."""
        if data:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
