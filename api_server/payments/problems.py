"""How a gateway failure reaches the buyer: one problem+json per kind of failure."""

from __future__ import annotations

from api_server.common.errors import Problem
from api_server.payments.gateways import GatewayError

_GATEWAY_PROBLEMS = {
    "unavailable": (502, "gateway_unavailable", "The payment gateway failed; nothing was charged."),
    "timeout": (504, "gateway_timeout", "The payment gateway did not answer in time."),
    "rejected": (502, "gateway_rejected", "The payment gateway refused the request."),
    "unauthorized": (502, "gateway_rejected", "The payment gateway refused our credentials."),
    "rate_limited": (502, "gateway_unavailable", "The payment gateway is busy; try again soon."),
}


def gateway_problem(exc: GatewayError) -> Problem:
    """502/504 for gateway failures, 402 with Stripe's codes for a declined card, 422 for an
    amount the gateway does not take."""
    if exc.kind == "amount":
        return Problem(422, "amount_not_accepted", str(exc), gateway_code=exc.details.get("code"))
    if exc.kind == "declined":
        return Problem(
            402,
            "card_declined",
            str(exc),
            **{
                "decline_code": exc.details.get("decline_code"),
                "gateway_code": exc.details.get("code"),
            },
        )
    status, code, detail = _GATEWAY_PROBLEMS[exc.kind]
    return Problem(status, code, detail)
