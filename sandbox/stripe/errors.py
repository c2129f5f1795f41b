"""Stripe's error bodies as the stand-in answers them (docs.stripe.com/api/errors)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from sandbox.harness.common import GatewayError

Obj = dict[str, Any]


def words(text: str) -> frozenset[str]:
    """A set from a space-separated list (long field lists read better as text)."""
    return frozenset(text.split())


def stripe_error(
    status: int, message: str, *, type_: str = "invalid_request_error", **fields: Any
) -> GatewayError:
    """``{"error": {...}}`` as Stripe sends it (docs.stripe.com/api/errors)."""
    body = {"type": type_, "message": message, **{k: v for k, v in fields.items() if v}}
    if "code" in body:
        body["doc_url"] = f"https://stripe.com/docs/error-codes/{body['code'].replace('_', '-')}"
    return GatewayError(status, {"error": body})


def invalid(message: str, param: str | None = None, code: str | None = None) -> GatewayError:
    return stripe_error(400, message, code=code, param=param)


def missing(name: str) -> GatewayError:
    return invalid(f"Missing required param: {name}.", name, "parameter_missing")


def no_such(kind: str, obj_id: str, param: str = "id") -> GatewayError:
    # A missing object in the URL is a 404; one named by a request parameter is a 400.
    status = 404 if param == "id" else 400
    return stripe_error(status, f"No such {kind}: '{obj_id}'", code="resource_missing", param=param)


def unexpected_state(pi: Obj, action: str, allowed: Iterable[str]) -> GatewayError:
    if action == "confirm" and pi["status"] == "succeeded":
        message = (
            "You cannot confirm this PaymentIntent because it has already succeeded after "
            "being previously confirmed."
        )
    else:
        done = "confirmed" if action == "confirm" else "canceled"
        message = (
            f"You cannot {action} this PaymentIntent because it has a status of {pi['status']}. "
            f"Only a PaymentIntent with one of the following statuses may be {done}: "
            f"{', '.join(allowed)}."
        )
    return stripe_error(
        400, message, code="payment_intent_unexpected_state", payment_intent=copy.deepcopy(pi)
    )


PUBLISHABLE_REFUSED = (
    "This API call cannot be made with a publishable API key. Please use a secret API key. "
    "You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys."
)
UNSUPPORTED = (
    "The Stripe sandbox does not model `{name}` (Stripe accepts it; see docs/sandboxes.md, "
    '"Strict rules"), so it refuses the request instead of ignoring it.'
)


def unsupported(name: str) -> GatewayError:
    return invalid(UNSUPPORTED.format(name=name), name)
