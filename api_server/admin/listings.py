"""Moderation of listings: /api/admin/listings/{id}/approve, reject, suspend, reinstate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import falcon

from api_server.admin import queries
from api_server.common.errors import Problem
from api_server.common.routes import Routes
from api_server.common.validation import operation
from api_server.db import Database
from api_server.marketplace import schemas
from api_server.marketplace.resources import send_listing
from api_server.marketplace.service import (
    audit_listing,
    changes_between,
    load_listing,
    record_history,
    reload_listing,
)
from api_server.users.tokens import Principal, TokenService

TAGS = ("admin",)


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
                raise Problem(
                    409,
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
            after = reload_listing(cur, listing_id)
            changes = changes_between(before, after)
            record_history(cur, listing_id, admin, action, after["version"], changes)
            details = {"from": before["status"], "to": after["status"], "reason": reason}
            audit_listing(cur, admin, f"listing.{action}", listing_id, details, request_id)
        return after


def _responder(action: str) -> Callable[..., None]:
    """The POST responder of one action; a reason body only where the action needs one."""
    transition = TRANSITIONS[action]

    @operation(
        transition.summary,
        request=schemas.REASON if transition.needs_reason else None,
        responses={200: schemas.LISTING},
        roles=("admin",),
        tags=TAGS,
    )
    def responder(
        self: Moderation, req: falcon.Request, resp: falcon.Response, listing_id: UUID
    ) -> None:
        body = getattr(req.context, "body", None) or {}
        listing = self.service.moderate(
            str(listing_id),
            action,
            req.context.principal,
            body.get("reason"),
            req.context.request_id,
        )
        send_listing(resp, listing)

    responder.__doc__ = f"{' or '.join(transition.sources)} -> {transition.target}."
    return responder


class Moderation:
    """POST /api/admin/listings/{listing_id}/{action}, one responder per action."""

    def __init__(self, service: ModerationService, tokens: TokenService) -> None:
        self.service = service
        self.tokens = tokens

    on_post_approve = _responder("approve")
    on_post_reject = _responder("reject")
    on_post_suspend = _responder("suspend")
    on_post_reinstate = _responder("reinstate")


def add_routes(routes: Routes, db: Database, tokens: TokenService) -> None:
    """Mounts /api/admin/listings."""
    resource = Moderation(ModerationService(db), tokens)
    for action in TRANSITIONS:
        routes.add(f"/api/admin/listings/{{listing_id:uuid}}/{action}", resource, suffix=action)
