"""What the Stripe stand-in checks before it acts: each endpoint's parameters, API versions.

Each rule comes from a Stripe page; docs/sandboxes.md ("Strict rules") lists them with sources.
Parameter lists follow the API reference of each endpoint (docs.stripe.com/api/...), the same
lists the official SDK's generated ``stripe.params`` types carry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.stripe.errors import Obj, invalid, missing, unsupported, words
from sandbox.stripe.lists import check_expand
from sandbox.stripe.params import boolean, check_charge_amount, integer, metadata, one_of

# GET /v1/refunds: its parameter rule (answered by refunds.RefundsMixin.list_refunds).
LIST_REFUNDS_DOC = "https://docs.stripe.com/api/refunds/list"
# Every parameter the page lists; all are modelled.
LIST_REFUNDS_PARAMS = words(
    "charge created ending_before expand limit payment_intent starting_after"
)


def check_list_refunds(params: Obj) -> None:
    """The page's value rules: `limit` "can range between 1 and 100", `created` a timestamp
    or an interval of gt/gte/lt/lte timestamps, `charge`/`payment_intent` ids."""
    if params.get("limit") is not None:
        integer(params, "limit", minimum=1, maximum=100)
    created = params.get("created")
    if isinstance(created, dict):
        for op in created:
            integer(created, op, minimum=0)
    elif created is not None:
        integer(params, "created", minimum=0)
    for name in ("charge", "payment_intent"):
        if name in params and not isinstance(params[name], str):
            raise invalid(f"Invalid string: {params[name]!r}", name)


# The version the official SDK pins (stripe._api_version); the sandbox speaks it unless a
# request names another in Stripe-Version (docs.stripe.com/api/versioning).
API_VERSION = "2026-10-28.endive"
# docs.stripe.com/changelog/dahlia/2026-07-29/allowed-payment-method-types-parameter adds
# `allowed_payment_method_types`; docs.stripe.com/changelog/endive/2026-09-30/removes-the-
# payment-method-types-parameter-from-payment-intents-and-setup-intents removes the writable
# `payment_method_types` ("returns a 400 error with the code
# `payment_method_types_no_longer_supported`").
ALLOWED_TYPES_SINCE = "2026-07-29"
TYPES_REMOVED_SINCE = "2026-09-30"

# --------------------------------------------------------------------------- endpoints

Check = Callable[[Obj], None]


@dataclass(frozen=True)
class Endpoint:
    """The parameters one endpoint takes, split by what the sandbox does with them."""

    doc: str
    modelled: frozenset[str]
    unsupported: frozenset[str] = frozenset()
    required: tuple[str, ...] = ()
    publishable: frozenset[str] = frozenset()  # only with the publishable key (Stripe.js)
    root: str = ""  # the object type the answer holds, for expand[]
    checks: tuple[Check, ...] = field(default=())


# Hash parameters and the keys they take; metadata is free-form.
NESTED = {
    "automatic_payment_methods": words("enabled allow_redirects"),
    "created": words("gt gte lt lte"),
}
ARRAYS = words("expand allowed_payment_method_types payment_method_types types")
# docs.stripe.com/changelog/dahlia/2026-07-29/allowed-payment-method-types-parameter: "mutually
# exclusive with payment_method_types, excluded_payment_method_types, automatic_payment_methods,
# and payment_method_configuration".
EXCLUSIVE_WITH_ALLOWED = (
    "payment_method_types",
    "excluded_payment_method_types",
    "automatic_payment_methods",
    "payment_method_configuration",
)


def _check_create_intent(params: Obj) -> None:
    amount = integer(params, "amount")
    currency = str(params["currency"]).lower()
    check_charge_amount(amount, currency)
    confirm = boolean(params, "confirm")
    for name in ("return_url",):
        if params.get(name) and not confirm:
            raise invalid(f"`{name}` can only be used with confirm=true.", name)
    automatic = params.get("automatic_payment_methods")
    if automatic is not None and params.get("payment_method_types") is not None:
        _exclusive("automatic_payment_methods", "payment_method_types")
    if isinstance(automatic, dict):
        boolean(automatic, "enabled")
        one_of(automatic, "allow_redirects", ("always", "never"))
    _check_method_types(params)
    _check_methods(params, "capture_method", ("automatic", "automatic_async"), "manual")
    _check_methods(params, "confirmation_method", ("automatic",), "manual")
    _check_common_confirm(params)
    metadata(params)


def _check_methods(params: Obj, name: str, modelled: tuple[str, ...], other: str) -> None:
    value = one_of(params, name, (*modelled, other))
    if value == other:
        raise unsupported(f"{name}={other}")


def _check_common_confirm(params: Obj) -> None:
    boolean(params, "use_stripe_sdk")
    one_of(params, "setup_future_usage", ("off_session", "on_session"))


def _check_confirm(params: Obj) -> None:
    _check_methods(params, "capture_method", ("automatic", "automatic_async"), "manual")
    _check_method_types(params)
    _check_common_confirm(params)


def _exclusive(*names: str) -> None:
    raise invalid(
        f"You may only specify one of these parameters: {', '.join(names)}.",
        names[0],
        "parameters_exclusive",
    )


def _check_method_types(params: Obj) -> None:
    """`allowed_payment_method_types` "silently filters out incompatible methods"; the legacy
    `payment_method_types` "returns an error when you specify an incompatible payment method".
    The sandbox only has cards, so a list without `card` is refused as not modelled."""
    allowed = params.get("allowed_payment_method_types")
    if allowed is not None:
        for other in EXCLUSIVE_WITH_ALLOWED:
            if params.get(other) is not None:
                _exclusive("allowed_payment_method_types", other)
        if "card" not in allowed:
            raise unsupported(f"allowed_payment_method_types[]={','.join(allowed)}")
    for kind in params.get("payment_method_types") or []:
        if kind != "card":
            raise unsupported(f"payment_method_types[]={kind}")


def _check_version(params: Obj, api_version: str) -> None:
    """What the request's API version (Stripe-Version, else the sandbox's) lets it send."""
    date = api_version[:10]
    if "allowed_payment_method_types" in params and date < ALLOWED_TYPES_SINCE:
        raise invalid(
            "Received unknown parameter: allowed_payment_method_types",
            "allowed_payment_method_types",
            "parameter_unknown",
        )
    if "payment_method_types" in params and date >= TYPES_REMOVED_SINCE:
        raise invalid(
            f"`payment_method_types` is no longer supported on API version {api_version}; use "
            "`allowed_payment_method_types` (docs.stripe.com/changelog/endive/2026-09-30).",
            "payment_method_types",
            "payment_method_types_no_longer_supported",
        )


def _check_cancel(params: Obj) -> None:
    one_of(
        params,
        "cancellation_reason",
        ("duplicate", "fraudulent", "requested_by_customer", "abandoned"),
    )


def _check_list(params: Obj) -> None:
    if params.get("limit") is not None:
        integer(params, "limit", minimum=1, maximum=100)
    created = params.get("created")
    if isinstance(created, dict):
        for op in created:
            integer(created, op, minimum=0)
    elif created is not None:
        integer(params, "created", minimum=0)


def _check_list_events(params: Obj) -> None:
    _check_list(params)
    if params.get("type") and params.get("types") is not None:
        raise invalid("You may pass either type or types, but not both.", "types")
    if len(params.get("types") or []) > 20:
        raise invalid("types takes at most 20 event types.", "types")
    boolean(params, "delivery_success")


def _check_refund(params: Obj) -> None:
    if params.get("amount") is not None:
        integer(params, "amount")
    one_of(params, "reason", ("duplicate", "fraudulent", "requested_by_customer"))
    metadata(params)


INTENT_CREATE = Endpoint(
    "https://docs.stripe.com/api/payment_intents/create",
    words(
        "allowed_payment_method_types amount currency automatic_payment_methods capture_method "
        "confirm confirmation_method customer description expand metadata payment_method "
        "payment_method_types receipt_email return_url setup_future_usage "
        "statement_descriptor_suffix use_stripe_sdk"
    ),
    words(
        "amount_details application_fee_amount confirmation_token "
        "customer_account error_on_requires_action excluded_payment_method_types hooks mandate "
        "mandate_data off_session on_behalf_of payment_details payment_method_configuration "
        "payment_method_data payment_method_options radar_options shipping "
        "statement_descriptor transfer_data transfer_group"
    ),
    required=("amount", "currency"),
    root="payment_intent",
    checks=(_check_create_intent,),
)
INTENT_CONFIRM = Endpoint(
    "https://docs.stripe.com/api/payment_intents/confirm",
    words(
        "allowed_payment_method_types capture_method expand payment_method payment_method_types "
        "receipt_email return_url setup_future_usage use_stripe_sdk"
    ),
    words(
        "amount_details amount_to_confirm confirmation_token "
        "error_on_requires_action excluded_payment_method_types hooks mandate mandate_data "
        "off_session payment_details payment_method_data payment_method_options radar_options "
        "shipping"
    ),
    publishable=words("client_secret"),
    root="payment_intent",
    checks=(_check_confirm,),
)
ENDPOINTS: dict[tuple[str, str], Endpoint] = {
    ("POST", "/v1/payment_intents"): INTENT_CREATE,
    ("GET", "/v1/payment_intents"): Endpoint(
        "https://docs.stripe.com/api/payment_intents/list",
        words("created customer ending_before expand limit starting_after"),
        words("customer_account"),
        root="list:payment_intent",
        checks=(_check_list,),
    ),
    ("GET", "/v1/payment_intents/{obj_id}"): Endpoint(
        "https://docs.stripe.com/api/payment_intents/retrieve",
        words("client_secret expand"),
        root="payment_intent",
    ),
    ("POST", "/v1/payment_intents/{obj_id}/confirm"): INTENT_CONFIRM,
    ("POST", "/v1/payment_intents/{obj_id}/cancel"): Endpoint(
        "https://docs.stripe.com/api/payment_intents/cancel",
        words("cancellation_reason expand"),
        root="payment_intent",
        checks=(_check_cancel,),
    ),
    ("POST", "/v1/refunds"): Endpoint(
        "https://docs.stripe.com/api/refunds/create",
        words("amount charge expand metadata payment_intent reason"),
        words(
            "currency customer instructions_email origin refund_application_fee reverse_transfer"
        ),
        root="refund",
        checks=(_check_refund,),
    ),
    ("GET", "/v1/refunds"): Endpoint(
        LIST_REFUNDS_DOC,
        LIST_REFUNDS_PARAMS,
        root="list:refund",
        checks=(check_list_refunds,),
    ),
    ("GET", "/v1/refunds/{obj_id}"): Endpoint(
        "https://docs.stripe.com/api/refunds/retrieve", words("expand"), root="refund"
    ),
    ("GET", "/v1/charges/{obj_id}"): Endpoint(
        "https://docs.stripe.com/api/charges/retrieve", words("expand"), root="charge"
    ),
    ("GET", "/v1/disputes/{obj_id}"): Endpoint(
        "https://docs.stripe.com/api/disputes/retrieve", words("expand"), root="dispute"
    ),
    ("GET", "/v1/events"): Endpoint(
        "https://docs.stripe.com/api/events/list",
        words("created delivery_success ending_before expand limit starting_after type types"),
        root="list:event",
        checks=(_check_list_events,),
    ),
    ("GET", "/v1/events/{obj_id}"): Endpoint(
        "https://docs.stripe.com/api/events/retrieve", words("expand"), root="event"
    ),
}


def validate(
    method: str, template: str, params: Obj, *, publishable: bool, api_version: str | None = None
) -> None:
    """Refuses what Stripe refuses before acting: unknown, unsupported, missing, invalid."""
    spec = ENDPOINTS.get((method, template))
    if spec is None:
        return
    allowed = spec.modelled | spec.unsupported | (spec.publishable if publishable else set())
    unknown = [name for name in params if name not in allowed]
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise invalid(
            f"Received unknown parameter{plural}: {', '.join(unknown)}",
            unknown[0],
            "parameter_unknown",
        )
    for name in params:
        if name in spec.unsupported:
            raise unsupported(name)
    _check_version(params, api_version or API_VERSION)
    _check_shapes(params)
    for name in spec.required:
        if params.get(name) is None or params.get(name) == "":
            raise missing(name)
    for check in spec.checks:
        check(params)
    check_expand(spec.root, params.get("expand") or [])


def _check_shapes(params: Obj) -> None:
    for name, value in params.items():
        if name in ARRAYS and not isinstance(value, list):
            raise invalid("Invalid array", name)
        keys = NESTED.get(name)
        if keys is None or not isinstance(value, dict):
            continue
        for key in value:
            if key not in keys:
                raise invalid(
                    f"Received unknown parameter: {name}[{key}]",
                    f"{name}[{key}]",
                    "parameter_unknown",
                )
