"""GET /v3/refunds of the Flutterwave stand-in: the list, its filters and its refusals.

Flutterwave's reference page ("Fetch multiple refunded transactions",
https://developer.flutterwave.com/v3.0.0/reference/get-all-refunds) documents the filters
`from` and `to` (dates, YYYY-MM-DD), `status` (successful, failed, completed), `currency`,
`flw_ref` (the refund's reference) and `id` (the transaction's `data.id`); its OpenAPI
definition (https://flutterwaveinc.mintlify.app/api-reference/transactions/get-all-refunds)
gives each listed refund's fields and the `meta.page_info` envelope. docs/sandboxes.md lists
every rule with its source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sandbox.flutterwave.query import day, one, one_of, page, refuse_unknown
from sandbox.flutterwave.rules import Obj

REFUND_PAGE_SIZE = 20  # the page_size of the reference's example
REFUND_STATUSES = ("successful", "failed", "completed")  # "Expected values include: ..."
_FILTERS = ("from", "to", "status", "currency", "flw_ref", "id", "page")
# What a listed refund shows, per the OpenAPI definition (`currency` is kept for the filter).
_LISTED_FIELDS = (
    "id",
    "amount_refunded",
    "status",
    "flw_ref",
    "comment",
    "settlement_id",
    "meta",
    "created_at",
    "account_id",
    "transaction_id",
)


def listed_refund(made: Obj, currency: str) -> Obj:
    """The list's record of a refund POST /v3/transactions/{id}/refund made."""
    return {
        "id": made["id"],
        "amount_refunded": made["amount_refunded"],
        "status": made["status"],
        "flw_ref": made["flw_ref"],
        "comment": made.get("comments"),
        "settlement_id": "NEW",
        # The definition types `meta` as a string here (an object in the refund's answer).
        "meta": json.dumps(made["meta"]),
        "created_at": made["created_at"],
        "account_id": made["account_id"],
        "transaction_id": made["tx_id"],
        "currency": currency,
    }


def public_refund(record: Obj) -> Obj:
    return {name: record[name] for name in _LISTED_FIELDS}


@dataclass(frozen=True)
class RefundFilter:
    """The query of one GET /v3/refunds, checked."""

    since: date | None
    until: date | None
    status: str | None
    currency: str | None
    flw_ref: str | None
    transaction_id: str | None
    page: int

    @classmethod
    def parse(cls, params: dict[str, Any]) -> RefundFilter:
        refuse_unknown(params, _FILTERS)
        status = one_of(params, "status", REFUND_STATUSES)
        currency = one(params, "currency")
        return cls(
            day(params, "from"),
            day(params, "to"),
            status,
            currency.upper() if currency else None,
            one(params, "flw_ref"),
            one(params, "id"),
            page(params),
        )

    def matches(self, record: Obj) -> bool:
        made = date.fromisoformat(record["created_at"][:10])
        return (
            (self.since is None or made >= self.since)
            and (self.until is None or made <= self.until)
            and (self.status is None or record["status"] == self.status)
            and (self.currency is None or record["currency"] == self.currency)
            and (self.flw_ref is None or record["flw_ref"] == self.flw_ref)
            and (
                self.transaction_id is None or str(record["transaction_id"]) == self.transaction_id
            )
        )
