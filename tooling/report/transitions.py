"""The two state machines (from the API's own tables of rules) against the moves a run caused."""

from __future__ import annotations

from typing import Any

from api_server.marketplace.moderation import TRANSITIONS
from api_server.payments.settlement import ALLOWED

ANY = "any"
CREATED = "pending_review"


def payment_machine() -> list[tuple[str | None, str]]:
    """Every allowed payment move, creation (None -> pending) first."""
    moves: list[tuple[str | None, str]] = [(None, "pending")]
    for source in ALLOWED:
        moves.extend((source, target) for target in sorted(ALLOWED[source]))
    return moves


def listing_machine() -> list[tuple[str, str | None, str]]:
    """Every listing move as (action, from, to): create, moderation, archive and delete."""
    moves: list[tuple[str, str | None, str]] = [("create", None, CREATED)]
    for action, rule in TRANSITIONS.items():
        moves.extend((action, source, rule.target) for source in rule.sources)
    moves += [("archive", ANY, "archived"), ("delete", ANY, "erased")]
    return moves


def seen_listing_moves(seen: dict[str, Any]) -> set[tuple[str, str | None, str]]:
    """The moves in a transitions file, named as `listing_machine` names them."""
    moves: set[tuple[str, str | None, str]] = set()
    for action, old, new in seen.get("listings", []):
        if action == "create":
            moves.add(("create", None, CREATED))
        elif action == "archive":
            moves.add(("archive", ANY, "archived"))
        else:
            moves.add((action, old, new))
    if seen.get("listings_erased"):
        moves.add(("delete", ANY, "erased"))
    return moves


def compare(files: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each move of both machines with `seen`, plus moves seen that the machines do not allow."""
    payments = {(a, b) for f in files for a, b in f.get("payments", [])}
    listings = set().union(*(seen_listing_moves(f) for f in files)) if files else set()
    payment_rows = [{"from": a, "to": b, "seen": (a, b) in payments} for a, b in payment_machine()]
    listing_rows = [
        {"action": act, "from": a, "to": b, "seen": (act, a, b) in listings}
        for act, a, b in listing_machine()
    ]
    allowed_payments = set(payment_machine())
    allowed_listings = set(listing_machine())
    unexpected = [
        {"machine": "payments", "from": a, "to": b} for a, b in payments - allowed_payments
    ]
    unexpected += [
        {"machine": "listings", "action": act, "from": a, "to": b}
        for act, a, b in listings - allowed_listings
    ]
    return {"payments": payment_rows, "listings": listing_rows, "unexpected": unexpected}
