"""What processing a gateway event (or a reconciliation's look) came to, as one type.

An outcome is stored as text in `payment_events.outcome`, answered as a webhook's `status`,
and read by SQL (`queries.RECORD_EVENT`, the admin console's backlog) and by the suite, so
its text is a contract: `render` is the only place that writes it, and it must not change.
Code decides on `kind`, never on the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from api_server.payments.gateways import ErrorKind

OutcomeKind = Literal[
    # The payment moved or something was booked on it; `detail` says what (a status, or
    # refund_booked, refund_failed, chargeback_linked, ...).
    "applied",
    # The gateway could not be asked; `detail` is the GatewayError kind. Stored so, an
    # event's redelivery is applied again (queries.RECORD_EVENT matches the text).
    "unverified",
    # A success we could not sell: the caller gives the money back after commit.
    "refund_due",
    # The gateway holds money that is not the payment's amount or currency: no value given.
    "amount_mismatch",
    # A re-verified Flutterwave transaction is not the one the event named.
    "verification_mismatch",
    # A second decline: no move, the new reason kept.
    "failure_recorded",
    # A chargeback on a payment it does not dispute, kept on the audit trail only.
    "chargeback_recorded",
    "chargeback_closed_recorded",
    "ignored",
    # No payment carries the event's reference.
    "unknown_reference",
    # A verified event without the fields to apply it.
    "malformed",
    # Applying raised (logged, rolled back to the savepoint); the event is still acknowledged.
    "error",
    # The event was stored and applied before (a webhook's answer only, never stored).
    "duplicate",
    # Reconciliation ended an expired order; `detail` says why (only amount_mismatch).
    "ended",
]
# The kinds that say what happened in `detail`; no other kind carries one.
_DETAILED: frozenset[OutcomeKind] = frozenset({"applied", "unverified", "ended"})


@dataclass(frozen=True)
class Outcome:
    """One outcome: its kind, and for the kinds that need it, what exactly."""

    kind: OutcomeKind
    detail: str | None = None

    def __post_init__(self) -> None:
        if (self.detail is not None) != (self.kind in _DETAILED):
            raise ValueError(f"outcome {self.kind!r} with detail {self.detail!r}")

    @classmethod
    def applied(cls, what: str) -> Outcome:
        return cls("applied", what)

    @classmethod
    def unverified(cls, kind: ErrorKind) -> Outcome:
        return cls("unverified", kind)

    @property
    def is_applied(self) -> bool:
        return self.kind == "applied"


def render(outcome: Outcome) -> str:
    """The outcome's stored and answered text: `kind`, or `kind:detail`."""
    return outcome.kind if outcome.detail is None else f"{outcome.kind}:{outcome.detail}"


def ack(outcome: Outcome) -> dict[str, str]:
    """A webhook's (or the hosted checkout return's) answer body."""
    return {"status": render(outcome)}


IGNORED = Outcome("ignored")
REFUND_DUE = Outcome("refund_due")
AMOUNT_MISMATCH = Outcome("amount_mismatch")
VERIFICATION_MISMATCH = Outcome("verification_mismatch")
FAILURE_RECORDED = Outcome("failure_recorded")
CHARGEBACK_RECORDED = Outcome("chargeback_recorded")
CHARGEBACK_CLOSED_RECORDED = Outcome("chargeback_closed_recorded")
UNKNOWN_REFERENCE = Outcome("unknown_reference")
MALFORMED = Outcome("malformed")
ERROR = Outcome("error")
DUPLICATE = Outcome("duplicate")
MISMATCH_ENDED = Outcome("ended", "amount_mismatch")
# Money of a transfer booked to go back (payments/transfers.py): a short transfer pays
# nothing, so an order that had one is still unpaid; a second one leaves it as it was.
SHORT_TRANSFER = Outcome.applied("receipt_short")
SECOND_PAYMENT = Outcome.applied("receipt_duplicate")
