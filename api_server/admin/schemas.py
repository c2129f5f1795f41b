"""JSON Schemas of the admin console: they validate requests and are published in OpenAPI."""

from __future__ import annotations

from typing import Any

from api_server.common.pagination import PAGE_QUERY, page_schema
from api_server.common.schemas import INTEGER, NULLABLE_STRING, STRING, UUID, closed_object, text
from api_server.marketplace.schemas import STATUSES as LISTING_STATUSES
from api_server.payments.schemas import PAYMENT, PROVIDER
from api_server.payments.schemas import STATUS as PAYMENT_STATUS
from api_server.users.schemas import ACCOUNT_STATUSES, ROLES

COUNT = {"type": "integer", "minimum": 0}
# The shape of an ISO 8601 date or date-time; the service parses it (month 13 is refused
# there), since jsonschema checks "date-time" only when an optional package is installed.
INSTANT = {
    "type": "string",
    "maxLength": 40,
    "pattern": r"^\d{4}-\d{2}-\d{2}"
    r"([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$",
    "anyOf": [{"format": "date-time"}, {"format": "date"}],
    "description": "An ISO 8601 date (a whole UTC day) or date-time (UTC when no offset).",
}
# The answering worker's search cache: size, bounds and counters since it started.
SEARCH_CACHE_COUNTS = (
    "entries",
    "bytes",
    "max_entries",
    "max_bytes",
    "hits",
    "misses",
    "stores",
    "evictions",
    "older",
)
# Its generation watch (marketplace/generation_watch.py): counters since it started.
WATCH_COUNTS = ("notified", "reads", "reconnects", "untrusted")
GENERATION_WATCH = closed_object(
    {
        "enabled": {"type": "boolean"},
        "poll_seconds": {"type": "number", "minimum": 0},
        "generation": {"type": ["integer", "null"]},
        "read_age_seconds": {
            "type": ["number", "null"],
            "description": "How long ago the watch last read the generation itself.",
        },
        **dict.fromkeys(WATCH_COUNTS, COUNT),
    },
    ("enabled", "poll_seconds", "generation", "read_age_seconds", *WATCH_COUNTS),
)
PAGING = PAGE_QUERY
PERIOD = {"from": INSTANT, "to": INSTANT}


def _counts(keys: tuple[str, ...]) -> dict[str, Any]:
    """An object with one count per key, every key present."""
    return closed_object({k: COUNT for k in keys}, keys)


def _per_currency(*fields: str) -> dict[str, Any]:
    """An object keyed by ISO 4217 code, each value holding the given integer fields."""
    return {
        "type": "object",
        "propertyNames": {"pattern": "^[A-Z]{3}$"},
        "additionalProperties": closed_object({f: COUNT for f in fields}, fields),
    }


# Requests

TRANSACTIONS_QUERY = closed_object(
    {"status": PAYMENT_STATUS, "provider": PROVIDER, **PERIOD, **PAGING}
)
AUDIT_QUERY = closed_object(
    {
        "actor": UUID,
        "action": {**text(100), "minLength": 1},
        "target": {**text(200), "minLength": 1},
        **PERIOD,
        **PAGING,
    }
)
SUMMARY_QUERY = closed_object(PERIOD)

# Responses

TRANSACTION_PAGE = page_schema(
    PAYMENT,
    totals={
        **_per_currency("count", "amount", "refunded"),
        "description": "Per currency, over every payment the filters select (not only this page).",
    },
)
AUDIT_ENTRY = closed_object(
    {
        "id": INTEGER,
        "actor_id": NULLABLE_STRING,
        "action": STRING,
        "target_type": STRING,
        "target_id": STRING,
        "details": {"type": "object"},
        "request_id": NULLABLE_STRING,
        "created_at": STRING,
    },
    (
        "id",
        "actor_id",
        "action",
        "target_type",
        "target_id",
        "details",
        "request_id",
        "created_at",
    ),
)
AUDIT_PAGE = page_schema(AUDIT_ENTRY)
SYSTEM = closed_object(
    {
        "database": closed_object(
            {
                "latency_ms": {"type": "number", "minimum": 0},
                "pool": closed_object({"size": COUNT, "in_use": COUNT}, ("size", "in_use")),
            },
            ("latency_ms", "pool"),
        ),
        "migrations": closed_object(
            {"version": {"type": ["integer", "null"]}, "files": COUNT}, ("version", "files")
        ),
        "outbox": closed_object(
            {"pending": COUNT, "oldest_pending_age_seconds": {"type": ["number", "null"]}},
            ("pending", "oldest_pending_age_seconds"),
        ),
        "webhooks": closed_object(
            {"stale_payments": COUNT, "unmatched_events": COUNT},
            ("stale_payments", "unmatched_events"),
        ),
        "gateways": {
            "type": "object",
            "additionalProperties": closed_object(
                {
                    "status": {
                        "type": "string",
                        "enum": ["ok", "unauthorized", "unreachable", "error"],
                    },
                    "ok": {"type": "boolean"},
                    "detail": STRING,
                },
                ("status", "ok", "detail"),
            ),
        },
        "search_cache": closed_object(
            {
                "worker": {**COUNT, "description": "The process (pid) whose cache this is."},
                **dict.fromkeys(SEARCH_CACHE_COUNTS, COUNT),
                "generation": {"type": ["integer", "null"]},
                "generation_watch": GENERATION_WATCH,
            },
            ("worker", *SEARCH_CACHE_COUNTS, "generation", "generation_watch"),
        ),
    },
    ("database", "migrations", "outbox", "webhooks", "gateways", "search_cache"),
)
SUMMARY = closed_object(
    {
        "period": closed_object(
            {"from": NULLABLE_STRING, "to": NULLABLE_STRING},
            ("from", "to"),
        ),
        "users": closed_object(
            {"by_role": _counts(ROLES), "by_status": _counts(ACCOUNT_STATUSES)},
            ("by_role", "by_status"),
        ),
        "listings": closed_object({"by_status": _counts(LISTING_STATUSES)}, ("by_status",)),
        "sales": _per_currency("count", "amount"),
        "refunds": _per_currency("count", "amount"),
    },
    ("period", "users", "listings", "sales", "refunds"),
)
