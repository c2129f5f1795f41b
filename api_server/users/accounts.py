"""Account administration: an admin lists accounts and changes their role and status.

The account status and the sessions it ends are this package's rules, whoever calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api_server.auth.principal import Principal, Role
from api_server.common.audit import record_audit
from api_server.common.errors import Conflict, NotFound
from api_server.common.pagination import fetch_page, page_body, paging
from api_server.db import Database
from api_server.users import queries
from api_server.users.service import public_user

# The fields PATCH may change, in the order the audit row lists them.
ADMIN_FIELDS = ("role", "status")


def like_pattern(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere, its own wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _is_active_admin(role: str, status: str) -> bool:
    return role == Role.ADMIN and status == "active"


class AccountsService:
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
            rows, total = fetch_page(cur, queries.LIST_USERS, queries.COUNT_USERS, params)
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
                raise NotFound("user_not_found", "No such user.")
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
                    cur.execute(queries.REVOKE_USER_REFRESH, (user_id,))
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
            raise Conflict(
                "last_admin",
                "This is the last active admin; promote another admin first.",
            )
