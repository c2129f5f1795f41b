"""Account administration: GET /api/admin/users and PATCH /api/admin/users/{id}."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import falcon

from api_server.admin import console_queries as queries
from api_server.admin import schemas
from api_server.admin.console import ConsoleResource, admin_operation
from api_server.common.audit import record_audit
from api_server.common.errors import Problem
from api_server.common.pagination import page_body, paging
from api_server.common.routes import Routes
from api_server.db import Database
from api_server.users.schemas import USER
from api_server.users.service import public_user
from api_server.users.tokens import Principal, TokenService

# The fields PATCH may change, in the order the audit row lists them.
ADMIN_FIELDS = ("role", "status")


def like_pattern(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere, its own wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _is_active_admin(role: str, status: str) -> bool:
    return role == "admin" and status == "active"


class AdminUsersService:
    """Lists accounts and changes their role and status; every change is audited."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def list(self, query: Mapping[str, Any]) -> dict[str, Any]:
        """Accounts, newest first, by role, status and a text in the email or name."""
        page, per_page, offset = paging(query)
        params = {
            "role": query.get("role"),
            "status": query.get("status"),
            "q": like_pattern(query["q"]) if query.get("q") else None,
            "limit": per_page,
            "offset": offset,
        }
        with self._db.transaction() as cur:
            cur.execute(queries.LIST_USERS, params)
            rows = cur.fetchall()
            if rows:
                total = rows[0]["total"]
            else:
                # An empty page past the end still tells how many accounts match.
                cur.execute(queries.COUNT_USERS, params)
                total = cur.fetchone()["total"]
        return page_body([public_user(r) for r in rows], page, per_page, total)

    def update(
        self,
        user_id: str,
        changes: Mapping[str, str],
        admin: Principal,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Sets role and/or status. Disabling ends every session of the account at once.

        409 `last_admin` when the change would leave no active admin; 404 for no account.
        """
        with self._db.transaction() as cur:
            cur.execute(queries.LOCK_USER, (user_id,))
            before = cur.fetchone()
            if before is None:
                raise Problem(404, "user_not_found", "No such user.")
            after = {f: changes.get(f, before[f]) for f in ADMIN_FIELDS}
            if _is_active_admin(before["role"], before["status"]) and not _is_active_admin(
                after["role"], after["status"]
            ):
                self._check_not_last_admin(cur, user_id)
            diff = {
                f: {"old": before[f], "new": after[f]}
                for f in ADMIN_FIELDS
                if before[f] != after[f]
            }
            user = before
            details: dict[str, Any] = dict(diff)
            if diff:
                disabling = diff.get("status", {}).get("new") == "disabled"
                cur.execute(queries.UPDATE_USER, {**after, "id": user_id, "revoke": disabling})
                user = cur.fetchone()
                if disabling:
                    cur.execute(queries.REVOKE_REFRESH_TOKENS, (user_id,))
                    details["revoked_refresh_tokens"] = cur.rowcount
            # One row per request, even one that changed nothing: the attempt is on record.
            record_audit(
                cur,
                actor_id=admin.id,
                action="user.update",
                target_type="user",
                target_id=user_id,
                details=details,
                request_id=request_id,
            )
        return public_user(user)

    @staticmethod
    def _check_not_last_admin(cur: Any, user_id: str) -> None:
        # Serialises every request that removes an admin; without it two admins disabling
        # each other at the same moment would both see the other still active.
        cur.execute(queries.LOCK_ADMIN_ROSTER, (queries.ADMIN_ROSTER_LOCK_KEY,))
        cur.execute(queries.OTHER_ACTIVE_ADMINS, (user_id,))
        if cur.fetchone()["admins"] == 0:
            raise Problem(
                409,
                "last_admin",
                "This is the last active admin; promote another admin first.",
            )


class Users(ConsoleResource[AdminUsersService]):
    """GET /api/admin/users."""

    @admin_operation(
        "List accounts",
        query=schemas.USERS_QUERY,
        responses={200: schemas.USER_PAGE},
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """By role, status and `q` (in the email or the name, any case); newest first."""
        resp.media = self.service.list(req.context.query)


class User(ConsoleResource[AdminUsersService]):
    """PATCH /api/admin/users/{user_id}."""

    @admin_operation(
        "Change an account's role or status",
        request=schemas.USER_UPDATE,
        responses={200: USER},
    )
    def on_patch(self, req: falcon.Request, resp: falcon.Response, user_id: UUID) -> None:
        """Disabling revokes the account's tokens; the last active admin stays."""
        resp.media = self.service.update(
            str(user_id), req.context.body, req.context.principal, req.context.request_id
        )


def add_routes(routes: Routes, db: Database, tokens: TokenService) -> None:
    """Mounts /api/admin/users."""
    service = AdminUsersService(db)
    routes.add("/api/admin/users", Users(service, tokens))
    # The uuid converter makes a malformed id a 404 before any SQL runs.
    routes.add("/api/admin/users/{user_id:uuid}", User(service, tokens))
