"""Moderation: an admin approves, rejects, suspends or reinstates a listing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api_server.auth.principal import Principal
from api_server.common.errors import Conflict
from api_server.db import Database
from api_server.marketplace import queries
from api_server.marketplace.service import (
    audit_listing,
    changes_between,
    load_listing,
    record_history,
    reload_listing,
)
from api_server.observability.tracing import event


@dataclass(frozen=True)
class Transition:
    """One moderation action: the statuses it applies to, the one it leads to, its summary."""

    sources: tuple[str, ...]
    target: str
    needs_reason: bool
    summary: str


TRANSITIONS = {
    "approve": Transition(
        ("pending_review", "rejected"),
        "active",
        needs_reason=False,
        summary="Approve a listing: it becomes public and purchasable",
    ),
    "reject": Transition(
        ("pending_review",),
        "rejected",
        needs_reason=True,
        summary="Reject a listing under review, with a reason",
    ),
    "suspend": Transition(
        ("active",),
        "suspended",
        needs_reason=True,
        summary="Suspend an active listing, with a reason: hidden and not purchasable",
    ),
    "reinstate": Transition(
        ("suspended",), "active", needs_reason=False, summary="Reinstate a suspended listing"
    ),
}


class ModerationService:
    """Moves listings between statuses; each move is versioned, in history and audited."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def moderate(
        self,
        listing_id: str,
        action: str,
        admin: Principal,
        reason: str | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Applies `action`; 409 when the listing's status does not allow it."""
        transition = TRANSITIONS[action]
        reason = reason.strip() if reason else None
        with self._db.transaction() as cur:
            before = load_listing(cur, listing_id, admin, lock=True)
            if before["status"] not in transition.sources:
                raise Conflict(
                    "invalid_transition",
                    f"{action} does not apply to a {before['status']} listing.",
                    current_status=before["status"],
                )
            cur.execute(
                queries.SET_LISTING_STATUS,
                {
                    "id": listing_id,
                    "status": transition.target,
                    "reason": reason,
                    "current": before["status"],
                },
            )
            event(
                "listing.transition",
                **{"listing.id": listing_id, "from": before["status"], "to": transition.target},
            )
            after = reload_listing(cur, listing_id)
            changes = changes_between(before, after)
            record_history(cur, listing_id, admin, action, after["version"], changes)
            details = {"from": before["status"], "to": after["status"], "reason": reason}
            audit_listing(cur, admin, f"listing.{action}", listing_id, details, request_id)
        return after
