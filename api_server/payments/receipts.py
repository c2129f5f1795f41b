"""Giving back money that is not a payment's (gateway_receipts), after the event is stored.

The receipt is booked in the transaction that learned of the transfer (transfers.py); the
refund is a gateway call, made here with the receipt's row locked, so two give-backs never
refund one receipt and a crash between them leaves it `due` for the next (reconciliation
runs every due receipt). A refund the gateway refuses is `failed` with its reason; one whose
answer was lost is `failed` with `outcome_unknown`: neither is retried blindly, and
reconciliation's report lists them for a person.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from api_server.common.money import whole_major
from api_server.db import Database
from api_server.payments import queries
from api_server.payments.gateways import Gateway, GatewayError, outcome_unknown

_log = logging.getLogger("api_server.payments.receipts")


@runtime_checkable
class TransactionRefunds(Protocol):
    """A gateway that refunds one of its transactions by id (Flutterwave)."""

    def refund_transaction(
        self, transaction_id: str, *, currency: str, amount: int, comment: str
    ) -> str:
        """Refunds `amount` minor units of the transaction; returns the gateway's refund id."""
        ...


class Receipts:
    """Refunds the due receipts of one payment, or of all."""

    def __init__(self, db: Database, gateways: Mapping[str, Gateway]) -> None:
        self._db = db
        self._gateways = gateways

    def give_back(self, payment_id: str | None = None) -> list[dict[str, Any]]:
        """Refunds every due receipt (of `payment_id`, or all); returns each one's result."""
        done: list[dict[str, Any]] = []
        while True:
            with self._db.transaction() as cur:
                cur.execute(queries.CLAIM_DUE_RECEIPT, {"payment_id": payment_id})
                row = cur.fetchone()
                if row is None:
                    return done
                result = self._refund(row)
                cur.execute(queries.SETTLE_RECEIPT, result)
            done.append({**result, "payment_id": row["payment_id"]})

    def _refund(self, row: dict[str, Any]) -> dict[str, Any]:
        gateway = self._gateways[row["provider"]]
        result: dict[str, Any] = {"id": row["id"], "refund_id": None, "failure": None}
        if not isinstance(gateway, TransactionRefunds):
            return {**result, "status": "failed", "failure": "gateway_cannot_refund"}
        if not whole_major(row["amount"], row["currency"]):
            # Flutterwave's refund takes whole major units (docs/sandboxes.md, Amounts); a
            # transfer of naira and kobo cannot be given back to the kobo by this API.
            return {**result, "status": "failed", "failure": "amount_not_refundable"}
        try:
            refund_id = gateway.refund_transaction(
                row["transaction_id"],
                currency=row["currency"],
                amount=row["amount"],
                comment=f"receipt {row['id']} of payment {row['payment_id']}",
            )
        except GatewayError as exc:
            failure = "outcome_unknown" if outcome_unknown(exc) else f"gateway_{exc.kind}"
            return {**result, "status": "failed", "failure": failure}
        except Exception:
            # One receipt we cannot give back must not stop the others, nor answer a webhook
            # with a 500: it is failed, logged, and listed for a person.
            _log.exception("receipt %s could not be given back", row["id"])
            return {**result, "status": "failed", "failure": "internal_error"}
        return {**result, "status": "refunded", "refund_id": refund_id}
