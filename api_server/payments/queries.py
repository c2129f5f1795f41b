"""SQL of the payments service, and the payment row its queries load."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict

PAYMENT_COLUMNS = """
p.id::text AS id, p.listing_id::text AS listing_id, p.buyer_id::text AS buyer_id,
p.seller_id::text AS seller_id, p.quantity, p.amount, p.currency, p.listing_amount,
p.listing_currency, p.fx_rate, p.fx_source, p.fx_at, p.provider, p.provider_ref,
p.provider_txn_id, p.client_secret, p.payment_link, p.status, p.amount_refunded,
p.refund_pending, p.failure_code, p.decline_code, p.failure_message, p.reserved,
p.expires_at, p.paid_at, p.created_at, p.updated_at, p.next_action, p.refund_due_reason,
p.closed_at_gateway, p.method, p.payer
"""


class PaymentRow(TypedDict):
    """A payments row as every query selecting `PAYMENT_COLUMNS` returns it (a RealDictCursor
    row is this dict as is), with psycopg2's types of the columns (migrations 0004, 0006).

    Amounts are minor units of `currency`. The rules change a locked row in place as they
    write the database (`settlement.transition` its `status`), so the row the caller holds
    keeps saying what its transaction has written.
    """

    id: str
    listing_id: str
    buyer_id: str
    seller_id: str
    quantity: Decimal
    amount: int
    currency: str
    listing_amount: int
    listing_currency: str
    fx_rate: Decimal | None
    fx_source: str | None
    fx_at: datetime | None
    provider: str
    provider_ref: str | None
    provider_txn_id: str | None
    client_secret: str | None
    payment_link: str | None
    status: str
    amount_refunded: int
    refund_pending: int
    failure_code: str | None
    decline_code: str | None
    failure_message: str | None
    reserved: bool
    expires_at: datetime
    paid_at: datetime | None
    created_at: datetime
    updated_at: datetime
    next_action: dict[str, Any] | None
    refund_due_reason: str | None
    closed_at_gateway: bool
    method: str  # methods.MethodName (migration 0015)
    payer: dict[str, Any] | None


CLAIM_IDEMPOTENCY_KEY = """
INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES (%s, %s, %s)
ON CONFLICT DO NOTHING RETURNING key
"""

IDEMPOTENCY_KEY = """
SELECT request_hash, status_code, response FROM idempotency_keys WHERE user_id = %s AND key = %s
"""

STORE_IDEMPOTENT_RESPONSE = """
UPDATE idempotency_keys SET status_code = %s, response = %s::jsonb WHERE user_id = %s AND key = %s
"""

RELEASE_IDEMPOTENCY_KEY = "DELETE FROM idempotency_keys WHERE user_id = %s AND key = %s"

LOCK_LISTING = """
SELECT id::text AS id, seller_id::text AS seller_id, status, price_per_unit, currency,
       available_quantity, title
FROM listings WHERE id = %s FOR UPDATE
"""

INSERT_PAYMENT = """
INSERT INTO payments (listing_id, buyer_id, seller_id, quantity, amount, currency,
                      listing_amount, listing_currency, fx_rate, fx_source, fx_at, provider,
                      method, payer, expires_at, traceparent)
VALUES (%(listing_id)s, %(buyer_id)s, %(seller_id)s, %(quantity)s, %(amount)s, %(currency)s,
        %(listing_amount)s, %(listing_currency)s, %(fx_rate)s, %(fx_source)s, %(fx_at)s,
        %(provider)s, %(method)s, %(payer)s::jsonb, now() + make_interval(secs => %(ttl)s),
        %(traceparent)s)
RETURNING id::text AS id
"""

# The listing's representation changes with its stock; the trigger moves its version (ETag).
RESERVE = """
UPDATE listings SET available_quantity = available_quantity - %s
WHERE id = %s
"""

RELEASE = """
WITH released AS (
    UPDATE payments SET reserved = false, updated_at = now()
    WHERE id = %(id)s AND reserved RETURNING listing_id, quantity
)
UPDATE listings l SET available_quantity = l.available_quantity + r.quantity
FROM released r WHERE l.id = r.listing_id
"""

PAYMENT = f"SELECT {PAYMENT_COLUMNS} FROM payments p WHERE p.id = %s"

LOCK_PAYMENT = f"SELECT {PAYMENT_COLUMNS} FROM payments p WHERE p.id = %s FOR UPDATE"

PAYMENT_BY_REF = f"""
SELECT {PAYMENT_COLUMNS} FROM payments p WHERE p.provider = %s AND p.provider_ref = %s
"""

LOCK_PAYMENT_BY_REF = f"""
SELECT {PAYMENT_COLUMNS} FROM payments p WHERE p.provider = %s AND p.provider_ref = %s FOR UPDATE
"""

# A direct charge asks the customer to act (approve, transfer, dial): what to do, and the
# window, which ends at the charge's own expiry when that comes before the reservation's.
SET_INSTRUCTION = """
UPDATE payments SET next_action = %(instruction)s::jsonb, updated_at = now(),
    expires_at = LEAST(expires_at, coalesce(%(until)s, expires_at))
WHERE id = %(id)s
"""

SET_CHECKOUT = """
UPDATE payments SET provider_ref = %s, client_secret = %s, payment_link = %s, updated_at = now()
WHERE id = %s
"""

SET_STATUS = """
UPDATE payments SET status = %(to)s, updated_at = now(),
    paid_at = CASE WHEN %(to)s = 'succeeded' AND paid_at IS NULL THEN now() ELSE paid_at END
WHERE id = %(id)s
"""

SET_FAILURE = """
UPDATE payments SET failure_code = %s, decline_code = %s, failure_message = %s, updated_at = now()
WHERE id = %s
"""

# A success after we gave up: the stock is taken again only if the listing still sells it.
RESERVE_AGAIN = """
WITH taken AS (
    UPDATE listings l SET available_quantity = l.available_quantity - p.quantity
    FROM payments p
    WHERE p.id = %(id)s AND NOT p.reserved AND l.id = p.listing_id AND l.status = 'active'
      AND l.available_quantity >= p.quantity
    RETURNING l.id
)
UPDATE payments SET reserved = true, updated_at = now()
WHERE id = %(id)s AND EXISTS (SELECT 1 FROM taken) RETURNING id
"""

# Held FOR SHARE: a suspension or deletion of the listing waits for the payment's step.
LISTING_FOR_SALE = """
SELECT 1 FROM payments p JOIN listings l ON l.id = p.listing_id
WHERE p.id = %s AND l.status = 'active' FOR SHARE OF l
"""

# A paid payment shows no earlier decline or pending challenge, as a succeeded intent does.
CLEAR_ATTEMPT = """
UPDATE payments SET failure_code = NULL, decline_code = NULL, failure_message = NULL,
                    next_action = NULL
WHERE id = %s
"""

SET_NEXT_ACTION = "UPDATE payments SET next_action = %s::jsonb, updated_at = now() WHERE id = %s"

SET_REFUND_DUE = """
UPDATE payments SET refund_due_reason = %s, updated_at = now() WHERE id = %s
"""

CLEAR_REFUND_DUE = "UPDATE payments SET refund_due_reason = NULL WHERE id = %s"

MARK_CLOSED = "UPDATE payments SET closed_at_gateway = true WHERE id = %s"

SET_REFERENCE = "UPDATE payments SET provider_ref = %s WHERE id = %s"

BUYER = """
SELECT u.email, u.full_name FROM payments p JOIN users u ON u.id = p.buyer_id WHERE p.id = %s
"""

SET_TXN = "UPDATE payments SET provider_txn_id = %s WHERE id = %s AND provider_txn_id IS NULL"

INSERT_TRANSITION = """
INSERT INTO payment_transitions (payment_id, from_status, to_status, cause)
VALUES (%s, %s, %s, %s)
"""

TRANSITIONS = """
SELECT from_status, to_status, cause, created_at FROM payment_transitions
WHERE payment_id = %s ORDER BY id
"""

REFUNDS = """
SELECT id::text AS id, amount, currency, reason, status, provider_refund_id, created_at
FROM refunds WHERE payment_id = %s ORDER BY created_at, id
"""

# Admins see every payment; others those they bought or sold.
_LISTED = """
FROM payments p
WHERE (%(everyone)s OR p.buyer_id = %(me)s OR p.seller_id = %(me)s)
  AND (%(status)s::text IS NULL OR p.status = %(status)s)
  AND (%(provider)s::text IS NULL OR p.provider = %(provider)s)
"""

LIST_PAYMENTS = f"""
SELECT {PAYMENT_COLUMNS} {_LISTED}
ORDER BY p.created_at DESC, p.id
LIMIT %(limit)s OFFSET %(offset)s
"""

COUNT_PAYMENTS = f"SELECT count(*) AS total {_LISTED}"

INSERT_REFUND = """
INSERT INTO refunds (payment_id, amount, currency, reason, requested_by)
VALUES (%s, %s, %s, %s, %s) RETURNING id::text AS id
"""

HOLD_REFUND = "UPDATE payments SET refund_pending = refund_pending + %s WHERE id = %s"

REFUND_SUCCEEDED = """
WITH r AS (
    UPDATE refunds SET status = 'succeeded', provider_refund_id = %(provider_id)s,
                       updated_at = now()
    WHERE id = %(refund_id)s RETURNING payment_id, amount
)
UPDATE payments p SET refund_pending = p.refund_pending - r.amount,
                      amount_refunded = p.amount_refunded + r.amount, updated_at = now()
FROM r WHERE p.id = r.payment_id
"""

REFUND_FAILED = """
WITH r AS (
    UPDATE refunds SET status = 'failed', failure_code = %(code)s, updated_at = now()
    WHERE id = %(refund_id)s RETURNING payment_id, amount
)
UPDATE payments p SET refund_pending = p.refund_pending - r.amount, updated_at = now()
FROM r WHERE p.id = r.payment_id
"""

# Refunds whose gateway call was not answered, with whether the gateway has had time to
# finish them (a call it is still carrying out would not show in its records yet).
UNKNOWN_REFUNDS = """
SELECT id::text AS id, amount, reason, requested_by::text AS requested_by,
       created_at < now() - make_interval(secs => %(grace)s) AS settled_at_gateway
FROM refunds WHERE payment_id = %(payment_id)s AND status = 'pending'
ORDER BY created_at, id
"""

SET_REFUNDED_TOTAL = """
UPDATE payments SET amount_refunded = %s, updated_at = now() WHERE id = %s
"""

# A redelivery is a duplicate, unless we could not check the first delivery with the
# gateway: then it is applied again. The patterns match `outcomes.render`'s text of an
# unverified outcome.
RECORD_EVENT = """
INSERT INTO payment_events (provider, event_id, event_type, payload)
VALUES (%s, %s, %s, %s::jsonb)
ON CONFLICT (provider, event_id) DO UPDATE SET received_at = now()
WHERE payment_events.outcome LIKE 'unverified:%%'
RETURNING id
"""

EVENT_SEEN = """
SELECT 1 FROM payment_events
WHERE provider = %s AND event_id = %s AND outcome NOT LIKE 'unverified:%%'
"""

EVENT_OUTCOME = "UPDATE payment_events SET outcome = %s, payment_id = %s WHERE id = %s"

# What reconciliation asks the gateways about: open payments, given-up payments whose
# checkout may still take money, late successes whose refund has not gone through, and
# refunds of unknown outcome (a refund is pending in a committed row only then: a refund
# that was answered is booked or failed in the transaction that held it).
# Never-checked first (newest first), then the least recently checked, so payments that
# fail every time cannot starve the rest; each is stamped as taken, and a run going on in
# parallel skips what this one holds.
RECONCILE_CANDIDATES = """
WITH due AS (
  SELECT p.id FROM payments p
  WHERE (p.provider_ref IS NOT NULL
         AND (p.status IN ('pending', 'requires_action', 'requires_payment_method', 'processing')
              OR (p.status IN ('canceled', 'failed') AND NOT p.closed_at_gateway)))
     OR (p.refund_due_reason IS NOT NULL AND p.amount_refunded + p.refund_pending < p.amount)
     OR p.refund_pending > 0
  ORDER BY p.reconciled_at NULLS FIRST, p.created_at DESC
  LIMIT %s
  FOR UPDATE SKIP LOCKED
), taken AS (
  UPDATE payments p SET reconciled_at = now() FROM due WHERE p.id = due.id
  RETURNING p.id, p.created_at, p.traceparent
)
SELECT id::text AS id, traceparent FROM taken ORDER BY created_at
"""

PARTIES = """
SELECT b.email AS buyer_email, b.full_name AS buyer_name, s.email AS seller_email,
       s.full_name AS seller_name, l.title, l.unit
FROM payments p JOIN users b ON b.id = p.buyer_id JOIN users s ON s.id = p.seller_id
JOIN listings l ON l.id = p.listing_id WHERE p.id = %s
"""

INSERT_DISPUTE = """
INSERT INTO disputes (payment_id, source, opened_by, provider_dispute_id, reason, details,
                      status_before)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT DO NOTHING
RETURNING id::text AS id
"""

# The buyer's open dispute is the one the card network's chargeback is about.
LINK_CHARGEBACK = """
UPDATE disputes SET provider_dispute_id = %s
WHERE payment_id = %s AND status = 'open' AND provider_dispute_id IS NULL
RETURNING id::text AS id
"""

DISPUTE_COLUMNS = """
d.id::text AS id, d.payment_id::text AS payment_id, d.source, d.opened_by::text AS opened_by,
d.provider_dispute_id, d.reason, d.details, d.status, d.status_before, d.resolution_note,
d.resolved_by::text AS resolved_by, d.resolved_at, d.refund_id::text AS refund_id, d.created_at
"""

DISPUTE = f"SELECT {DISPUTE_COLUMNS} FROM disputes d WHERE d.id = %s"

SERIALISE_DISPUTE = "SELECT pg_advisory_xact_lock(hashtext('dispute:' || %s))"

LOCK_DISPUTE = f"SELECT {DISPUTE_COLUMNS} FROM disputes d WHERE d.id = %s FOR UPDATE"

LIST_DISPUTES = f"""
SELECT {DISPUTE_COLUMNS} FROM disputes d
WHERE (%(status)s::text IS NULL OR d.status = %(status)s)
ORDER BY d.created_at DESC, d.id LIMIT %(limit)s OFFSET %(offset)s
"""

COUNT_DISPUTES = """
SELECT count(*) AS total FROM disputes d WHERE (%(status)s::text IS NULL OR d.status = %(status)s)
"""

# A refund of everything that is left settles the payment's open dispute by that refund.
RESOLVE_OPEN_DISPUTE_BY_REFUND = """
UPDATE disputes SET status = 'resolved_refund', resolution_note = %(note)s,
                    resolved_by = %(by)s, resolved_at = now(), refund_id = %(refund_id)s
WHERE payment_id = %(payment_id)s AND status = 'open'
RETURNING id::text AS id
"""

RESOLVE_DISPUTE = """
UPDATE disputes SET status = %(status)s, resolution_note = %(note)s, resolved_by = %(by)s,
                    resolved_at = now(), refund_id = %(refund_id)s
WHERE id = %(id)s
"""

# The payment's dispute tied to this Stripe chargeback, held while the network's decision is
# booked (the payment's row is locked first, as everywhere).
LOCK_CHARGEBACK = f"""
SELECT {DISPUTE_COLUMNS} FROM disputes d
WHERE d.provider_dispute_id = %s AND d.payment_id = %s FOR UPDATE
"""

# The card network decided: no admin resolves a chargeback, so resolved_by stays NULL.
CLOSE_CHARGEBACK = """
UPDATE disputes SET status = %(status)s, resolution_note = %(note)s, resolved_at = now()
WHERE id = %(id)s AND status = 'open'
"""

# A chargeback whose closing arrived before its opening (Stripe does not order events): it is
# booked already closed, so the late charge.dispute.created finds its id taken.
INSERT_CLOSED_CHARGEBACK = """
INSERT INTO disputes (payment_id, source, provider_dispute_id, reason, status, status_before,
                      resolution_note, resolved_at)
VALUES (%(payment_id)s, 'stripe', %(provider_dispute_id)s, %(reason)s, %(status)s,
        %(status_before)s, %(note)s, now())
ON CONFLICT DO NOTHING
RETURNING id::text AS id
"""

# A lost chargeback: the whole amount left the seller, through the network, not a refund row.
SET_CHARGED_BACK = """
UPDATE payments SET amount_refunded = amount, updated_at = now() WHERE id = %s
"""

# Money that reached the gateway for a payment but is not the payment's (transfers.py).
INSERT_RECEIPT = """
INSERT INTO gateway_receipts (payment_id, provider, transaction_id, kind, received, amount,
                              currency)
VALUES (%(payment_id)s, %(provider)s, %(transaction_id)s, %(kind)s, %(received)s, %(amount)s,
        %(currency)s)
ON CONFLICT (provider, transaction_id) DO NOTHING
RETURNING id::text AS id
"""

RECEIPTS = """
SELECT id::text AS id, kind, transaction_id, received, amount, currency, status,
       provider_refund_id, failure, created_at, settled_at
FROM gateway_receipts WHERE payment_id = %s ORDER BY created_at, id
"""

# Claimed one at a time (SKIP LOCKED): two give-backs never refund the same receipt.
CLAIM_DUE_RECEIPT = """
SELECT r.id::text AS id, r.payment_id::text AS payment_id, r.provider, r.transaction_id,
       r.amount, r.currency
FROM gateway_receipts r
WHERE r.status = 'due' AND (%(payment_id)s::uuid IS NULL OR r.payment_id = %(payment_id)s::uuid)
ORDER BY r.created_at LIMIT 1
FOR UPDATE SKIP LOCKED
"""

SETTLE_RECEIPT = """
UPDATE gateway_receipts SET status = %(status)s, provider_refund_id = %(refund_id)s,
    failure = %(failure)s, settled_at = CASE WHEN %(status)s = 'refunded' THEN now() END
WHERE id = %(id)s
"""
