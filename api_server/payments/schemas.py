"""JSON Schemas of /api/payments: they validate requests and are published in OpenAPI."""

from api_server.common.money import CURRENCIES
from api_server.common.pagination import PAGE_QUERY, page_schema
from api_server.common.quantities import QUANTITY_SCHEMA
from api_server.common.schemas import INTEGER, NULLABLE_STRING, STRING, UUID, text
from api_server.payments.methods import METHOD_NAMES

QUANTITY = QUANTITY_SCHEMA
PROVIDER = {"type": "string", "enum": ["stripe", "flutterwave"]}
STATUS = {
    "type": "string",
    "enum": [
        "pending",
        "requires_action",
        "requires_payment_method",
        "processing",
        "succeeded",
        "partially_refunded",
        "refunded",
        "failed",
        "canceled",
        "disputed",
    ],
}

CREATE = {
    "type": "object",
    "required": ["listing_id", "quantity"],
    "additionalProperties": False,
    "properties": {
        "listing_id": UUID,
        "quantity": QUANTITY,
        "provider": PROVIDER,
        "currency": {"type": "string", "enum": CURRENCIES},
        # How a Flutterwave payment is paid (api_server/payments/methods.py); card when absent.
        "method": {"type": "string", "enum": list(METHOD_NAMES)},
        # Mobile money: the number the prompt goes to, E.164 (+254712345678), and its network.
        "phone_number": {"type": "string", "minLength": 1, "maxLength": 16},
        "network": {"type": "string", "pattern": "^[A-Za-z]{2,20}$"},
        # USSD: the buyer's bank, by Flutterwave's code (058).
        "bank": {"type": "string", "pattern": "^[0-9]{3,6}$"},
    },
}
CONFIRM = {
    "type": "object",
    "required": ["payment_method"],
    "additionalProperties": False,
    "properties": {"payment_method": {"type": "string", "pattern": "^pm_[A-Za-z0-9_]{1,100}$"}},
}
REFUND = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "amount": {"type": "integer", "minimum": 1},
        "reason": text(500, blank=True),
    },
}
LIST_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "status": STATUS,
        "provider": PROVIDER,
        **PAGE_QUERY,
    },
}
RETURN_QUERY = {
    "type": "object",
    "required": ["tx_ref"],
    "properties": {
        # Echoed from the checkout's redirect; NUL cannot reach a PostgreSQL text parameter.
        "tx_ref": text(100, blank=True),
        "transaction_id": {"type": "string", "pattern": "^[0-9]{1,20}$"},
        "status": text(40, blank=True),
    },
}

PAYMENT = {
    "type": "object",
    "required": [
        "id",
        "listing_id",
        "buyer_id",
        "seller_id",
        "quantity",
        "amount",
        "currency",
        "provider",
        "status",
        "amount_refunded",
        "created_at",
    ],
    "properties": {
        "id": UUID,
        "listing_id": UUID,
        "buyer_id": UUID,
        "seller_id": UUID,
        "quantity": STRING,
        "amount": INTEGER,
        "currency": STRING,
        "listing_amount": INTEGER,
        "listing_currency": STRING,
        "conversion": {"type": ["object", "null"]},
        "provider": PROVIDER,
        "method": {"type": "string", "enum": list(METHOD_NAMES)},
        "status": STATUS,
        "amount_refunded": INTEGER,
        "refund_due": NULLABLE_STRING,
        "failure": {"type": ["object", "null"]},
        "stripe": {"type": ["object", "null"]},
        "flutterwave": {"type": ["object", "null"]},
        "expires_at": NULLABLE_STRING,
        "paid_at": NULLABLE_STRING,
        "created_at": STRING,
        "updated_at": STRING,
        "history": {"type": "array"},
        "refunds": {"type": "array"},
        "receipts": {"type": "array"},
    },
}
PAYMENT_PAGE = page_schema(PAYMENT)
REFUND_RESULT = {
    "type": "object",
    "required": ["id", "payment_id", "amount", "currency", "status"],
    "properties": {
        "id": UUID,
        "payment_id": UUID,
        "amount": INTEGER,
        "currency": STRING,
        "status": STRING,
        "reason": NULLABLE_STRING,
        "provider_refund_id": NULLABLE_STRING,
        "created_at": STRING,
    },
}
ACK = {"type": "object", "required": ["status"], "properties": {"status": STRING}}
RECONCILE_REPORT = {
    "type": "object",
    "required": ["checked", "changed", "errors"],
    "properties": {
        "checked": INTEGER,
        "changed": {"type": "array"},
        "errors": {"type": "array"},
    },
}

DISPUTE_OPEN = {
    "type": "object",
    "required": ["reason"],
    "additionalProperties": False,
    "properties": {
        "reason": {
            "type": "string",
            "enum": ["not_received", "not_as_described", "fraudulent", "duplicate", "other"],
        },
        "details": text(2000, blank=True),
    },
}
DISPUTE_RESOLVE = {
    "type": "object",
    "required": ["outcome", "note"],
    "additionalProperties": False,
    "properties": {
        "outcome": {"type": "string", "enum": ["refund", "reject"]},
        "note": {**text(2000, blank=True), "minLength": 1},
    },
}
# Resolved by an admin (`resolved_*`) or decided by the card network for a Stripe chargeback
# (`chargeback_won`: the seller keeps the money; `chargeback_lost`: the buyer does).
DISPUTE_STATUSES = (
    "open",
    "resolved_refund",
    "resolved_rejected",
    "chargeback_won",
    "chargeback_lost",
)
DISPUTE_QUERY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "status": {"type": "string", "enum": list(DISPUTE_STATUSES)},
        **PAGE_QUERY,
    },
}
DISPUTE = {
    "type": "object",
    "required": ["id", "payment_id", "source", "reason", "status", "created_at"],
    "properties": {
        "id": UUID,
        "payment_id": UUID,
        "source": {"type": "string", "enum": ["buyer", "stripe"]},
        "opened_by": NULLABLE_STRING,
        "provider_dispute_id": NULLABLE_STRING,
        "reason": STRING,
        "details": NULLABLE_STRING,
        "status": {"type": "string", "enum": list(DISPUTE_STATUSES)},
        "status_before": STRING,
        "resolution_note": NULLABLE_STRING,
        "resolved_by": NULLABLE_STRING,
        "resolved_at": NULLABLE_STRING,
        "refund_id": NULLABLE_STRING,
        "created_at": STRING,
    },
}
DISPUTE_PAGE = page_schema(DISPUTE)

# Request and response headers of POST /api/payments/{id}/refunds (OpenAPI parameter and
# header objects).
REFUND_IDEMPOTENCY_KEY = {
    "required": False,
    "description": (
        "Optional. The same key (per caller) with the same body replays the first answer "
        "with Idempotent-Replayed: true and refunds nothing more; with another body or "
        "payment it is a 422 idempotency_key_reused; while the first request runs, a 409 "
        "idempotency_key_in_use. A refund of unknown outcome (refund_outcome_unknown) keeps "
        "its key: a retry answers as it stands (booked: the refund; still checked: the same "
        "problem; not made: the refund is tried again)."
    ),
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{8,255}$"},
}
IDEMPOTENT_REPLAYED = {
    "description": "true when the answer is the replay of an earlier request with the key.",
    "schema": {"type": "string", "enum": ["true"]},
}
