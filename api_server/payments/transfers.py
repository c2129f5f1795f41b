"""Money that does not match: what a bank transfer of the wrong amount, or a second one, is.

A transfer to a one-time account carries whatever the customer sent. Flutterwave says to give
value when the amount paid is at least the amount expected and to refund the rest
(https://developer.flutterwave.com/docs/transaction-verification); it says nothing of less,
twice or late, so those are ours (docs/architecture.md "Paying in Africa"):

- short: not sold. The whole transfer goes back, and the order stays open, so a transfer of
  the right amount to the same account before it expires still buys the goods.
- over: sold; the excess goes back.
- twice: the first matching transfer buys the goods; every later one goes back in full (as
  does a second successful transaction of a card or a prompt, whatever the method).
- late: as any late success (sold if the stock is still there, else refunded in full).

Each is a `gateway_receipts` row booked in the event's transaction, audited, and told to the
buyer by email; the refund itself is made after commit (receipts.Receipts.give_back).
"""

from __future__ import annotations

from dataclasses import replace

from psycopg2.extras import RealDictCursor

from api_server.common.audit import record_audit
from api_server.common.money import to_major
from api_server.common.outbox import enqueue_email
from api_server.payments import queries
from api_server.payments.gateways import Failure, GatewayStatus
from api_server.payments.outcomes import SECOND_PAYMENT, SHORT_TRANSFER, Outcome
from api_server.payments.queries import PaymentRow

# Paid, and possibly refunded or disputed since (settlement.SETTLED, repeated to keep this
# module below settlement in the import graph).
_SETTLED = frozenset({"succeeded", "partially_refunded", "refunded", "disputed"})
_WHY = {
    "short": "less than the amount due, so it did not pay for the order",
    "excess": "more than the amount due",
    "duplicate": "a second payment for an order already paid",
}


def receive(
    cur: RealDictCursor, payment: PaymentRow, seen: GatewayStatus, cause: str
) -> tuple[Outcome | None, GatewayStatus]:
    """Books what of a verified successful transfer is not the payment's.

    Returns an outcome to stop at (a short or second transfer, booked to go back), or None and
    the part of the transfer the payment's own rules then apply (the amount due, for an
    over-transfer, whose excess is booked here).
    """
    if payment["provider"] != "flutterwave" or seen.amount is None or not seen.transaction_id:
        return None, seen
    if (seen.currency or "").upper() != payment["currency"]:
        return None, seen  # another currency is an amount mismatch, for a person
    txn = seen.transaction_id
    if payment["provider_txn_id"] not in (None, txn):
        # Whatever the method and wherever the payment stands (paid, or a late success owed
        # back): another successful transaction for one tx_ref is money paid twice.
        book(cur, payment, "duplicate", txn, seen.amount, seen.amount, cause)
        return SECOND_PAYMENT, seen
    if payment["status"] in _SETTLED:
        return None, seen  # the same payment reported again (or no transaction to tell)
    if payment.get("method") != "bank_transfer":
        return None, seen  # a card or a prompt pays the amount it was asked for, or mismatches
    if seen.amount < payment["amount"]:
        book(cur, payment, "short", txn, seen.amount, seen.amount, cause)
        return SHORT_TRANSFER, seen
    if seen.amount > payment["amount"]:
        excess = seen.amount - payment["amount"]
        book(cur, payment, "excess", txn, seen.amount, excess, cause)
        return None, replace(seen, amount=payment["amount"])
    return None, seen


def book(
    cur: RealDictCursor,
    payment: PaymentRow,
    kind: str,
    transaction_id: str,
    received: int,
    amount: int,
    cause: str,
) -> None:
    """One receipt to give back, once per transaction; audited, and the buyer told."""
    cur.execute(
        queries.INSERT_RECEIPT,
        {
            "payment_id": payment["id"],
            "provider": payment["provider"],
            "transaction_id": transaction_id,
            "kind": kind,
            "received": received,
            "amount": amount,
            "currency": payment["currency"],
        },
    )
    if cur.fetchone() is None:
        return  # booked before: the same transaction reported again
    currency = payment["currency"]
    record_audit(
        cur,
        actor_id=None,
        action="payment.receipt",
        target_type="payment",
        target_id=payment["id"],
        details={
            "kind": kind,
            "transaction_id": transaction_id,
            "received": received,
            "given_back": amount,
            "cause": cause,
        },
    )
    cur.execute(queries.BUYER, (payment["id"],))
    buyer = cur.fetchone()
    enqueue_email(
        cur,
        buyer["email"],
        f"Money returned for payment {payment['id']}",
        f"Hello {buyer['full_name']},\n\nWe received {to_major(received, currency)} "
        f"{currency} for payment {payment['id']}: {_WHY[kind]}. We are returning "
        f"{to_major(amount, currency)} {currency} to where it came from.\n",
    )


def short_failure(payment: PaymentRow, received: int) -> Failure:
    """What the buyer is told of a short transfer while the order stays open."""
    short = to_major(payment["amount"] - received, payment["currency"])
    return Failure(
        "transfer_short",
        None,
        f"The transfer was {short} {payment['currency']} short and is being returned; "
        "transfer the exact amount to pay.",
    )
