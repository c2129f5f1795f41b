"""How a gateway failure reaches the buyer: one domain error per kind of failure."""

from __future__ import annotations

from api_server.common.errors import (
    Declined,
    DomainError,
    Invalid,
    UpstreamFailed,
    UpstreamTimeout,
)
from api_server.payments.gateways import GatewayError

_GATEWAY_ERRORS: dict[str, tuple[type[DomainError], str, str]] = {
    "unavailable": (
        UpstreamFailed,
        "gateway_unavailable",
        "The payment gateway failed; nothing was charged.",
    ),
    "timeout": (UpstreamTimeout, "gateway_timeout", "The payment gateway did not answer in time."),
    "rejected": (UpstreamFailed, "gateway_rejected", "The payment gateway refused the request."),
    "unauthorized": (
        UpstreamFailed,
        "gateway_rejected",
        "The payment gateway refused our credentials.",
    ),
    "rate_limited": (
        UpstreamFailed,
        "gateway_unavailable",
        "The payment gateway is busy; try again soon.",
    ),
}


def gateway_problem(exc: GatewayError) -> DomainError:
    """502/504 for gateway failures, 402 with Stripe's codes for a declined card, 422 for an
    amount the gateway does not take (the statuses are the edge handler's)."""
    if exc.kind == "amount":
        return Invalid("amount_not_accepted", str(exc), gateway_code=exc.details.get("code"))
    if exc.kind == "declined":
        return Declined(
            "card_declined",
            str(exc),
            decline_code=exc.details.get("decline_code"),
            gateway_code=exc.details.get("code"),
        )
    kind, code, detail = _GATEWAY_ERRORS[exc.kind]
    return kind(code, detail)


def unknown_refund_problem(exc: GatewayError, refund_id: str) -> DomainError:
    """A refund the gateway may have made without telling us: held, and being checked."""
    kind = UpstreamTimeout if exc.kind == "timeout" else UpstreamFailed
    return kind(
        "refund_outcome_unknown",
        "The payment gateway did not confirm the refund. It may have been made: its amount "
        "stays set aside while we check with the gateway, and it is booked or released then. "
        "Do not refund again.",
        refund_id=refund_id,
    )
