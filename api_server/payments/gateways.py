"""The payment gateways' one typed interface; every failure becomes a typed GatewayError.

`Gateway` is a Protocol: the Stripe and Flutterwave clients (and any fake a test passes in)
satisfy it structurally, and `make test` type-checks the callers, so a wrong or misnamed
argument is a type error before it is a production bug.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol, runtime_checkable

# What the gateways are handed is the row the queries load; named here too for the gateways'
# implementations and the fakes tests pass in.
from api_server.payments.queries import PaymentRow

# What a gateway can tell us of a payment, in our own words.
SeenStatus = Literal[
    "pending",
    "requires_action",
    "requires_payment_method",
    "processing",
    "succeeded",
    "canceled",
    "unknown",
]
ErrorKind = Literal[
    "declined", "unavailable", "timeout", "rejected", "unauthorized", "rate_limited", "amount"
]
HealthStatus = Literal["ok", "unauthorized", "unreachable", "error"]
# What a gateway's own records say of one refund we asked for: made, not made, or (refunds
# on the transaction that none of ours explains) something only a person can settle.
RefundState = Literal["made", "absent", "unclear"]
# Failures after which the gateway may have carried the request out: no answer, or a 5xx.
AMBIGUOUS: frozenset[str] = frozenset({"timeout", "unavailable"})


class GatewayError(Exception):
    """The gateway could not do what was asked; `kind` says how it failed."""

    def __init__(self, kind: ErrorKind, message: str, **details: Any) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.details = details


def outcome_unknown(exc: GatewayError) -> bool:
    """True when the failed call may still have been carried out (its answer was lost, or
    the gateway failed after receiving it); False when it was refused or never sent."""
    return exc.kind in AMBIGUOUS and exc.details.get("sent") is not False


@dataclass(frozen=True)
class Customer:
    """Who pays: the hosted checkout needs the buyer's real email and name."""

    email: str
    name: str | None = None


@dataclass(frozen=True)
class Checkout:
    """What the buyer needs to pay: Stripe's client secret or Flutterwave's hosted link, or,
    for a direct charge, what the customer must do away from us (`instruction`) and until
    when the gateway takes it (`until`: a transfer account's expiry, a prompt's window)."""

    provider_ref: str
    client_secret: str | None = None
    payment_link: str | None = None
    instruction: dict[str, Any] | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Failure:
    """Why the last attempt failed, as the gateway said it (shown to the buyer)."""

    code: str
    decline_code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class GatewayStatus:
    """The gateway's view of a payment, normalised to our statuses."""

    status: SeenStatus
    amount: int | None = None
    currency: str | None = None
    reference: str | None = None
    transaction_id: str | None = None
    failure: Failure | None = None
    next_action: dict[str, Any] | None = None


@dataclass(frozen=True)
class Health:
    """The system view's answer for one gateway: a wrong key is not 'reachable'."""

    status: HealthStatus
    detail: str


class Gateway(Protocol):
    """What the payment rules need of any gateway."""

    name: str

    def create(
        self, payment: PaymentRow, *, customer: Customer, redirect_url: str, ttl_seconds: int
    ) -> Checkout:
        """Opens the checkout for the payment's amount and currency."""
        ...

    def cancel(self, payment: PaymentRow, *, reason: str) -> GatewayStatus:
        """Stops the payment at the gateway if it can; returns where it stands afterwards."""
        ...

    def refund(self, payment: PaymentRow, *, amount: int, refund_id: str) -> str:
        """Refunds `amount` minor units; returns the gateway's refund id."""
        ...

    def status(self, payment: PaymentRow) -> GatewayStatus:
        """What the gateway says of the payment now; raises when it says nothing usable."""
        ...

    def history(self, payment: PaymentRow) -> list[GatewayStatus]:
        """Every transaction the gateway holds for the payment, oldest first; each success
        re-read where value is decided. Reconciliation applies them all: a lost webhook of
        an earlier transaction must not hide behind a later one."""
        ...

    def probe(self) -> Health:
        """One cheap, valid, authenticated call: is the gateway usable with our key?"""
        ...


@dataclass(frozen=True)
class RefundSeen:
    """One refund as the gateway's records show it; `provider_id` when it was made.

    `given_back`, when the gateway says it, is all it has given back on the payment (ours
    included), in our minor units: a booking never counts beyond it (Stripe's charge.refunded
    may have booked the same money already)."""

    state: RefundState
    provider_id: str | None = None
    given_back: int | None = None


@runtime_checkable
class RefundLookup(Protocol):
    """A gateway whose refunds can be looked up afterwards (Flutterwave's GET /v3/refunds,
    Stripe's GET /v1/refunds).

    A refund of unknown outcome through such a gateway is kept pending and looked up; one
    through any other gateway is failed.
    """

    def find_refund(self, payment: PaymentRow, *, refund_id: str) -> RefundSeen:
        """Whether the refund `refund_id` of the payment was made; raises GatewayError when
        the gateway cannot say."""
        ...


class CardGateway(Gateway, Protocol):
    """A gateway whose payments the API may also confirm server-side (Stripe)."""

    def confirm(self, payment: PaymentRow, *, payment_method: str) -> GatewayStatus:
        """Confirms with a payment method; raises GatewayError('declined') on a decline."""
        ...


class RateSource(Protocol):
    """Quotes exchange rates for payments in another currency than the listing's."""

    def rate(self, *, source: str, destination: str, destination_amount: Decimal) -> Decimal:
        """Source units per destination unit."""
        ...


class TransactionVerifier(Protocol):
    """Re-reads one transaction by its gateway id (Flutterwave's verify)."""

    def verify(self, transaction_id: str) -> GatewayStatus:
        """The transaction as the gateway reports it."""
        ...
