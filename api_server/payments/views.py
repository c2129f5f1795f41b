"""How payments look in API answers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from api_server.auth.principal import Principal
from api_server.payments.queries import PaymentRow


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def public_payment(
    p: PaymentRow,
    *,
    viewer: Principal,
    history: list[dict[str, Any]] | None = None,
    refunds: list[dict[str, Any]] | None = None,
    receipts: list[dict[str, Any]] | None = None,
    publishable_key: str | None = None,
) -> dict[str, Any]:
    """The payment as the API shows it; the client secret only to the buyer.

    The buyer's browser confirms a Stripe payment itself (Stripe.js) with the publishable
    key and the client secret; what Stripe asks of the buyer next (3-D Secure) is shown too.
    """
    body: dict[str, Any] = {
        "id": p["id"],
        "listing_id": p["listing_id"],
        "buyer_id": p["buyer_id"],
        "seller_id": p["seller_id"],
        "quantity": f"{Decimal(p['quantity']):.3f}",
        "amount": p["amount"],
        "currency": p["currency"],
        "listing_amount": p["listing_amount"],
        "listing_currency": p["listing_currency"],
        "conversion": None,
        "provider": p["provider"],
        "method": p.get("method", "card"),
        "status": p["status"],
        "amount_refunded": p["amount_refunded"],
        "refund_due": p.get("refund_due_reason"),
        "failure": None,
        "stripe": None,
        "flutterwave": None,
        "expires_at": _iso(p["expires_at"]),
        "paid_at": _iso(p["paid_at"]),
        "created_at": _iso(p["created_at"]),
        "updated_at": _iso(p["updated_at"]),
    }
    if p["fx_rate"] is not None:
        body["conversion"] = {
            "rate": format(p["fx_rate"].normalize(), "f"),
            "source": p["fx_source"],
            "at": _iso(p["fx_at"]),
        }
    if p["failure_code"]:
        body["failure"] = {
            "code": p["failure_code"],
            "decline_code": p["decline_code"],
            "message": p["failure_message"],
        }
    is_buyer = viewer.id == p["buyer_id"]
    if p["provider"] == "stripe":
        body["stripe"] = {
            "payment_intent_id": p["provider_ref"],
            "client_secret": p["client_secret"] if is_buyer else None,
            "publishable_key": (publishable_key or None) if is_buyer else None,
            "next_action": p.get("next_action") if is_buyer else None,
        }
    else:
        body["flutterwave"] = {
            "tx_ref": p["provider_ref"],
            "payment_link": p["payment_link"] if is_buyer else None,
            "transaction_id": p["provider_txn_id"],
            # A direct charge: what the buyer must do (approve, transfer, dial) and by when.
            "next_action": p.get("next_action") if is_buyer else None,
            "payer": p.get("payer") if is_buyer else None,
        }
    if history is not None:
        body["history"] = [
            {
                "from": h["from_status"],
                "to": h["to_status"],
                "cause": h["cause"],
                "at": _iso(h["created_at"]),
            }
            for h in history
        ]
    if refunds is not None:
        body["refunds"] = [{**r, "created_at": _iso(r["created_at"])} for r in refunds]
    if receipts is not None:
        body["receipts"] = [
            {**r, "created_at": _iso(r["created_at"]), "settled_at": _iso(r["settled_at"])}
            for r in receipts
        ]
    return body
