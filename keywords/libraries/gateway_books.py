"""The books against the gateways: what each payment's gateway holds is what we recorded.

Asked of each gateway through its public API, as anyone holding the secret key may ask it
(so the same check runs against Stripe's and Flutterwave's test modes):

- Stripe: `GET /v1/payment_intents/{id}?expand[]=latest_charge`; the money held is the
  intent's `amount_received` once it `succeeded`, the money given back the charge's
  `amount_refunded` (docs.stripe.com/api/payment_intents/object, /api/charges/object), plus,
  for a chargeback our books say was lost, the dispute's `amount` once
  `GET /v1/disputes/{id}` says `lost` (the network took it back; no refund shows it).
- Flutterwave: every transaction of the tx_ref (`GET /v3/transactions?tx_ref=<payment id>`,
  all pages), each successful one read again by id (`GET /v3/transactions/{id}/verify`): the
  money held is the sum of their `amount`, given back the sum of their `amount_refunded`. A
  tx_ref may hold several (a bank transfer account paid twice, short then in full, a retried
  checkout): the books add each receipt (money that was not the payment's: short, excess, a
  second one; gateway_receipts) to what was taken and, once refunded, to what was given back,
  so money no receipt explains is a disagreement.

The rules, per payment:

- paid (succeeded, partially_refunded, refunded, disputed): the gateway holds exactly the
  amount, and has given back at least what we booked and at most that plus the refunds in
  flight (`refund_pending`);
- ended unsold (canceled, failed): the gateway keeps nothing (all it took is given back);
- open (pending, requires_*, processing): not judged; money may be on its way.

A Stripe payment with no intent is not judged either: the API makes the intent before the
payment can be paid, so only a sale booked in SQL by a suite (`Record Sale Of`) has none.

A disagreement is read again, row and gateway, until it persists for `settle` seconds: the
check runs at the end of each process of a parallel run, while the others still pay.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg2
import requests
from psycopg2.extras import RealDictCursor

from api_server.common.money import to_minor
from api_server.payments.stripe_gateway import from_stripe_amount

PAID = frozenset({"succeeded", "partially_refunded", "refunded", "disputed"})
UNSOLD = frozenset({"canceled", "failed"})
TIMEOUT = 15
MAX_PAGES = 10  # of GET /v3/transactions for one tx_ref: far more attempts than any test makes
PAYMENTS_SQL = """
SELECT p.id::text AS id, p.provider, p.provider_ref, p.status, p.amount, p.amount_refunded,
       p.refund_pending, p.currency,
       (SELECT d.provider_dispute_id FROM disputes d
        WHERE d.payment_id = p.id AND d.status = 'chargeback_lost' LIMIT 1) AS lost_chargeback,
       p.provider_txn_id,
       coalesce((SELECT array_agg(DISTINCT r.transaction_id) FROM gateway_receipts r
                 WHERE r.payment_id = p.id), '{}') AS receipt_transactions,
       coalesce((SELECT sum(r.amount) FROM gateway_receipts r
                 WHERE r.payment_id = p.id), 0)::bigint AS receipts_amount,
       coalesce((SELECT sum(r.amount) FROM gateway_receipts r
                 WHERE r.payment_id = p.id AND r.status = 'refunded'), 0)::bigint
           AS receipts_refunded,
       coalesce((SELECT sum(r.amount) FROM gateway_receipts r
                 WHERE r.payment_id = p.id AND r.status = 'due'), 0)::bigint AS receipts_due
FROM payments p
WHERE (%(ids)s::uuid[] IS NULL OR p.id = ANY(%(ids)s::uuid[]))
  AND (%(since)s::timestamptz IS NULL OR p.created_at >= %(since)s::timestamptz)
  AND p.status = ANY(%(judged)s)
  -- A Stripe payment without an intent never reached Stripe: a sale the suite books in SQL.
  AND (p.provider <> 'stripe' OR p.provider_ref IS NOT NULL)
ORDER BY p.id
"""


@dataclass(frozen=True)
class Held:
    """What a gateway holds of one payment, in our minor units."""

    taken: int
    given_back: int
    known: bool = True


@dataclass(frozen=True)
class Gateways:
    """Where the gateways are and the keys that read them."""

    stripe: str
    stripe_key: str
    flutterwave: str
    flutterwave_key: str

    def held(self, session: requests.Session, payment: dict[str, Any]) -> Held:
        if payment["provider"] == "stripe":
            return self._stripe(session, payment)
        return self._flutterwave(session, payment)

    def _stripe(self, session: requests.Session, payment: dict[str, Any]) -> Held:
        response = session.get(
            f"{self.stripe}/v1/payment_intents/{payment['provider_ref']}",
            params={"expand[]": "latest_charge"},
            auth=(self.stripe_key, ""),
            timeout=TIMEOUT,
        )
        if response.status_code == 404:  # resource_missing: no such intent at this gateway
            return Held(0, 0, known=False)
        response.raise_for_status()
        intent = response.json()
        if intent["status"] != "succeeded":
            return Held(0, 0)
        currency = intent["currency"]
        charge = intent.get("latest_charge") or {}
        taken = from_stripe_amount(intent["amount_received"], currency) or 0
        given_back = from_stripe_amount(charge.get("amount_refunded", 0), currency) or 0
        if payment.get("lost_chargeback"):
            # A dispute of a partly refunded charge may name its whole amount, and a charge
            # gives back at most what it took.
            chargeback = self._stripe_chargeback(session, payment["lost_chargeback"], currency)
            given_back = min(given_back + chargeback, taken)
        return Held(taken, given_back)

    def _stripe_chargeback(self, session: requests.Session, dispute_id: str, currency: str) -> int:
        """What a chargeback took back: its amount once Stripe says it is lost, else 0."""
        response = session.get(
            f"{self.stripe}/v1/disputes/{dispute_id}",
            auth=(self.stripe_key, ""),
            timeout=TIMEOUT,
        )
        if response.status_code == 404:
            return 0
        response.raise_for_status()
        dispute = response.json()
        if dispute["status"] != "lost":
            return 0
        return from_stripe_amount(dispute["amount"], currency) or 0

    def _flutterwave(self, session: requests.Session, payment: dict[str, Any]) -> Held:
        """Every transaction of the tx_ref, listed, and each success read again by id."""
        headers = {"Authorization": f"Bearer {self.flutterwave_key}"}
        listed: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            response = session.get(
                f"{self.flutterwave}/v3/transactions",
                params={"tx_ref": payment["id"], "page": page},
                headers=headers,
                timeout=TIMEOUT,
            )
            response.raise_for_status()
            body = response.json()
            listed += body["data"]
            if page >= body["meta"]["page_info"]["total_pages"]:
                break
        # The payment's own transaction and its receipts' are read even if the list lags.
        ids = {str(t["id"]) for t in listed if t["status"] == "successful"}
        ids |= set(payment.get("receipt_transactions") or ())
        ids |= set(filter(None, [payment.get("provider_txn_id")]))
        taken = given_back = 0
        for txn in sorted(ids):
            response = session.get(
                f"{self.flutterwave}/v3/transactions/{txn}/verify", headers=headers, timeout=TIMEOUT
            )
            response.raise_for_status()
            data = response.json()["data"]
            if data["status"] == "successful":
                taken += to_minor(Decimal(str(data["amount"])), payment["currency"])
                refunded = Decimal(str(data.get("amount_refunded") or 0))
                given_back += to_minor(refunded, payment["currency"])
        return Held(taken, given_back)


def disagreement(payment: dict[str, Any], held: Held) -> str | None:
    """Why `held` is not what the books of `payment` say, or None."""
    if not held.known:
        return f"{payment['provider']} does not know {payment['provider_ref']}"
    # Money that was not the payment's is owed back in full: counted as taken, and as given
    # back once refunded (a give-back still due is in flight).
    receipts = payment.get("receipts_amount", 0)
    if payment["status"] in UNSOLD:
        kept = held.taken - held.given_back - payment.get("receipts_due", 0)
        return f"ended {payment['status']} but the gateway keeps {kept}" if kept else None
    booked = payment["amount_refunded"] + payment.get("receipts_refunded", 0)
    in_flight = payment["refund_pending"] + payment.get("receipts_due", 0)
    if held.taken != payment["amount"] + receipts:
        extra = f" (+{receipts} not the payment's)" if receipts else ""
        return f"amount {payment['amount']}{extra} but the gateway took {held.taken}"
    if not booked <= held.given_back <= booked + in_flight:
        return (
            f"refunded {booked} (+{in_flight} in flight) but the gateway gave back "
            f"{held.given_back}"
        )
    return None


def _rows(dsn: str, ids: list[str] | None, since: Any = None) -> list[dict[str, Any]]:
    with psycopg2.connect(dsn) as conn, conn.cursor(cursor_factory=RealDictCursor) as cur:
        params = {"ids": ids, "judged": sorted(PAID | UNSOLD), "since": since}
        cur.execute(PAYMENTS_SQL, params)
        rows = [dict(r) for r in cur.fetchall()]
    conn.close()
    return rows


def _judge(gateways: Gateways, rows: list[dict[str, Any]]) -> dict[str, str]:
    def one(row: dict[str, Any]) -> tuple[str, str | None]:
        with requests.Session() as session:
            held = gateways.held(session, row)
        return row["id"], disagreement(row, held)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return {pid: why for pid, why in pool.map(one, rows) if why}


def check(
    dsn: str,
    gateways: Gateways,
    settle: float = 5.0,
    since: Any = None,
    ids: list[str] | None = None,
) -> tuple[int, dict[str, str]]:
    """Payments judged (made since `since`, when given; only `ids`, when given), and those
    whose gateway disagrees with the books for `settle` s. A database kept from earlier runs
    holds payments whose gateway objects died with those runs' sandboxes: a run judges its
    own."""
    rows = _rows(dsn, ids, since)
    found = _judge(gateways, rows)
    deadline = time.monotonic() + settle
    while found and time.monotonic() < deadline:
        time.sleep(0.5)
        found = _judge(gateways, _rows(dsn, sorted(found)))
    return len(rows), found
