"""GET /v3/transactions of the Flutterwave stand-in: the list of transactions and its filters.

The filters are those Flutterwave's own Node SDK documents for the call
(github.com/Flutterwave/Node-v3 `services/transactions/types.ts`, TransactionsPayload):
`from` and `to` (YYYY-MM-DD), `page`, `customer_email`, `status` ("successful" and
"failed"), `tx_ref` ("the unique merchant reference tied to a transaction"),
`customer_fullname` and `currency`. The answer's shape (`data` a list of transactions as
verify shows them, `meta.page_info` with total, current_page and total_pages) is the
reference page's (https://flutterwaveinc.mintlify.app/api-reference/transactions/
get-multiple-transactions). docs/sandboxes.md lists every rule with its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sandbox.flutterwave.query import day, one, one_of, page, refuse_unknown
from sandbox.flutterwave.rules import Obj

# The reference's example lists 158 transactions on 16 pages: ten a page.
TRANSACTION_PAGE_SIZE = 10
TRANSACTION_STATUSES = ("successful", "failed")  # "Expected values for status include ..."
_FILTERS = (
    "from",
    "to",
    "page",
    "customer_email",
    "status",
    "tx_ref",
    "customer_fullname",
    "currency",
)


@dataclass(frozen=True)
class TransactionFilter:
    """The query of one GET /v3/transactions, checked."""

    since: date | None
    until: date | None
    page: int
    customer_email: str | None
    status: str | None
    tx_ref: str | None
    customer_fullname: str | None
    currency: str | None

    @classmethod
    def parse(cls, params: dict[str, Any]) -> TransactionFilter:
        refuse_unknown(params, _FILTERS)
        status = one_of(params, "status", TRANSACTION_STATUSES)
        currency = one(params, "currency")
        email = one(params, "customer_email")
        return cls(
            day(params, "from"),
            day(params, "to"),
            page(params),
            email.lower() if email else None,
            status,
            one(params, "tx_ref"),
            one(params, "customer_fullname"),
            currency.upper() if currency else None,
        )

    def matches(self, txn: Obj) -> bool:
        made = date.fromisoformat(str(txn["created_at"])[:10])
        customer = txn.get("customer") or {}
        return (
            (self.since is None or made >= self.since)
            and (self.until is None or made <= self.until)
            and (self.status is None or txn["status"] == self.status)
            and (self.tx_ref is None or txn["tx_ref"] == self.tx_ref)
            and (self.currency is None or txn["currency"] == self.currency)
            and (
                self.customer_email is None
                or str(customer.get("email") or "").lower() == self.customer_email
            )
            and (self.customer_fullname is None or customer.get("name") == self.customer_fullname)
        )
