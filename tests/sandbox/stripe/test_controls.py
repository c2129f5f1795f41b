"""Crafted event shapes, controls, faults and lists of the Stripe sandbox."""

from __future__ import annotations

import pytest
import requests
import stripe

from sandbox.harness.standalone import WebhookReceiver
from sandbox.stripe import StripeSandbox
from tests.sandbox.stripe.support import (
    SECRET_KEY,
    TIMEOUT,
    WEBHOOK_SECRET,
    control,
    error_of,
    listing_id,
    new_intent,
    paid_intent,
    raw,
    settled_events,
    wait_types,
)


def test_crafted_event_shapes(sandbox: StripeSandbox, client: stripe.StripeClient) -> None:
    pi = new_intent(client, listing_id(), payment_method="pm_card_visa", confirm=True)
    path = f"payment_intents/{pi.id}/events"
    expanded = control(
        sandbox,
        "POST",
        path,
        type="payment_intent.succeeded",
        shape="expanded_charge",
        deliver=False,
    )
    charge = expanded["data"]["object"]["latest_charge"]
    assert charge["object"] == "charge" and charge["id"] == pi.latest_charge
    minimal = control(
        sandbox, "POST", path, type="payment_intent.succeeded", shape="minimal", deliver=False
    )
    obj = minimal["data"]["object"]
    assert obj["id"] == pi.id and obj["status"] == "succeeded"
    assert not {"metadata", "description", "latest_charge", "last_payment_error"} & set(obj)
    fresh = new_intent(client, listing_id())
    shape = {"shape": "expanded_charge", "deliver": False}
    events = f"payment_intents/{fresh.id}/events"
    transient = control(sandbox, "POST", events, type="payment_intent.succeeded", **shape)
    assert transient["data"]["object"]["latest_charge"]["object"] == "charge"
    assert client.v1.payment_intents.retrieve(fresh.id).latest_charge is None


def test_crafted_requires_action_and_other_types(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    pi = new_intent(client, listing_id())
    path = f"payment_intents/{pi.id}/events"
    action = control(sandbox, "POST", path, type="payment_intent.requires_action", apply=True)
    assert action["data"]["object"]["next_action"]["type"] == "use_stripe_sdk"
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_action"
    done = control(sandbox, "POST", f"payment_intents/{pi.id}/authenticate", outcome="succeed")
    assert done["status"] == "succeeded"
    other = new_intent(client, listing_id())
    events = f"payment_intents/{other.id}/events"
    capturable = control(sandbox, "POST", events, type="payment_intent.amount_capturable_updated")
    assert capturable["data"]["object"]["status"] == "requires_capture"
    assert capturable["data"]["object"]["amount_capturable"] == 2500
    assert client.v1.payment_intents.retrieve(other.id).status == "requires_payment_method"
    odd = control(
        sandbox, "POST", events, type="payment_intent.partially_funded", unknown_type=True
    )
    assert odd["type"] == "payment_intent.partially_funded"
    wait_types(receiver, other.id, 2)
    url = f"{sandbox.url}/_sandbox/payment_intents/{other.id}/events"
    for body in (
        {"type": "payment_intent.partially_funded"},
        {"type": "x.y", "unknown_type": True, "apply": True},
        {"type": "payment_intent.succeeded", "shape": "huge"},
    ):
        assert requests.post(url, json=body, timeout=TIMEOUT).status_code == 400


def test_crafted_payment_failed_carries_the_payment_method_object(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    pi = new_intent(client, listing_id())
    event = control(
        sandbox, "POST", f"payment_intents/{pi.id}/events", type="payment_intent.payment_failed",
        deliver=False,
    )  # fmt: skip
    error = event["data"]["object"]["last_payment_error"]
    assert error["type"] == "card_error" and error["payment_method"]["object"] == "payment_method"


def test_controls_off_serves_only_stripe(receiver: WebhookReceiver) -> None:
    box = StripeSandbox(
        secret_key=SECRET_KEY,
        webhook_secret=WEBHOOK_SECRET,
        controls=False,
        webhook_url=receiver.url,
    )
    box.start()
    try:
        for path in (
            "faults",
            "events",
            "payment_intents/pi_x/authenticate",
            "payment_intents/pi_x/events",
        ):
            resp = requests.post(f"{box.url}/_sandbox/{path}", json={}, timeout=TIMEOUT)
            assert resp.status_code == 404, path
        live = stripe.StripeClient(
            SECRET_KEY, base_addresses={"api": box.url}, max_network_retries=0
        )
        pi = live.v1.payment_intents.create(params={"amount": 900, "currency": "usd"})
        assert (
            live.v1.payment_intents.confirm(
                pi.id, params={"payment_method": "pm_card_threeDSecure2Required"}
            ).status
            == "requires_action"
        )
    finally:
        box.stop()


@pytest.mark.parametrize(
    ("status", "exception", "type_"),
    [
        (429, stripe.RateLimitError, "invalid_request_error"),
        (401, stripe.AuthenticationError, "invalid_request_error"),
        (500, stripe.APIError, "api_error"),
        (503, stripe.APIError, "api_error"),
    ],
)
def test_status_faults_raise_the_sdks_exception(
    sandbox: StripeSandbox, client: stripe.StripeClient, status: int, exception: type, type_: str
) -> None:
    control(sandbox, "POST", "faults", mode="status", status=status, match="/v1/events")
    with pytest.raises(exception) as raised:
        client.v1.events.list(params={"limit": 1})
    assert raised.value.http_status == status and raised.value.error.type == type_
    if status == 429:
        assert raised.value.error.code == "rate_limit"
        assert "Request rate limit exceeded" in str(raised.value)


def test_list_parameters_follow_the_reference(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    first, second, third = (new_intent(client, listing_id()) for _ in range(3))
    for limit in ("0", "101"):
        err = error_of(raw(sandbox, "GET", "/v1/payment_intents", limit=limit), 400)
        assert err["code"] == "parameter_invalid_integer" and err["param"] == "limit"
    err = error_of(raw(sandbox, "GET", "/v1/payment_intents", starting_after="pi_nope"), 400)
    assert err["code"] == "resource_missing" and err["param"] == "starting_after"
    before = client.v1.payment_intents.list(params={"ending_before": first.id, "limit": 1})
    assert [p.id for p in before.data] == [second.id] and before.has_more is True
    assert third.id in [p.id for p in client.v1.payment_intents.list(params={"limit": 3}).data]
    err = error_of(raw(sandbox, "GET", "/v1/events", type="x", **{"types[]": "y"}), 400)
    assert err["param"] == "types"


def test_events_filter_by_types_and_delivery(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    listing, _ = paid_intent(client, receiver)
    settled_events(sandbox, listing)
    only = client.v1.events.list(params={"types": ["charge.succeeded"]})
    assert {e.type for e in only.data} == {"charge.succeeded"}
    delivered = client.v1.events.list(params={"delivery_success": True, "limit": 100})
    assert delivered.data and all(e.pending_webhooks == 0 for e in delivered.data)


def test_metadata_limits(sandbox: StripeSandbox) -> None:
    many = {f"metadata[k{i}]": "v" for i in range(51)}
    err = error_of(
        raw(sandbox, "POST", "/v1/payment_intents", amount="900", currency="usd", **many), 400
    )
    assert err["param"] == "metadata"
    long_key = {f"metadata[{'k' * 41}]": "v"}
    err = error_of(
        raw(sandbox, "POST", "/v1/payment_intents", amount="900", currency="usd", **long_key), 400
    )
    assert err["param"].startswith("metadata[")


def test_unknown_customer_is_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create(
            params={"amount": 900, "currency": "usd", "customer": "cus_1"}
        )
    assert raised.value.code == "resource_missing" and raised.value.param == "customer"


def test_payment_method_types_follow_the_api_version(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    # The SDK pins 2026-10-28.endive, where `payment_method_types` is no longer writable.
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create(
            params={"amount": 900, "currency": "usd", "payment_method_types": ["card"]}
        )
    assert raised.value.code == "payment_method_types_no_longer_supported"
    mixed = client.v1.payment_intents.create(
        params={"amount": 900, "currency": "usd", "allowed_payment_method_types": ["card", "link"]}
    )  # incompatible types are filtered out silently
    assert mixed.payment_method_types == ["card"]
    with pytest.raises(stripe.InvalidRequestError) as both:
        client.v1.payment_intents.create(
            params={
                "amount": 900,
                "currency": "usd",
                "allowed_payment_method_types": ["card"],
                "automatic_payment_methods": {"enabled": True},
            }
        )
    assert both.value.code == "parameters_exclusive"

    def at(version: str, name: str) -> requests.Response:
        return requests.post(
            f"{sandbox.url}/v1/payment_intents",
            data={"amount": "900", "currency": "usd", f"{name}[]": "card"},
            headers={"Authorization": f"Bearer {SECRET_KEY}", "Stripe-Version": version},
            timeout=TIMEOUT,
        )

    assert at("2024-06-20", "payment_method_types").status_code == 200
    assert at("2026-08-26.dahlia", "allowed_payment_method_types").status_code == 200
    old = error_of(at("2024-06-20", "allowed_payment_method_types"), 400)
    assert old["code"] == "parameter_unknown"


@pytest.mark.parametrize(
    ("route", "params_module", "params_class"),
    [
        (("POST", "/v1/payment_intents"), "_payment_intent_create_params",
         "PaymentIntentCreateParams"),
        (("POST", "/v1/payment_intents/{obj_id}/confirm"), "_payment_intent_confirm_params",
         "PaymentIntentConfirmParams"),
        (("POST", "/v1/payment_intents/{obj_id}/cancel"), "_payment_intent_cancel_params",
         "PaymentIntentCancelParams"),
        (("GET", "/v1/payment_intents/{obj_id}"), "_payment_intent_retrieve_params",
         "PaymentIntentRetrieveParams"),
        (("GET", "/v1/payment_intents"), "_payment_intent_list_params", "PaymentIntentListParams"),
        (("POST", "/v1/refunds"), "_refund_create_params", "RefundCreateParams"),
        (("GET", "/v1/refunds/{obj_id}"), "_refund_retrieve_params", "RefundRetrieveParams"),
        (("GET", "/v1/charges/{obj_id}"), "_charge_retrieve_params", "ChargeRetrieveParams"),
        (("GET", "/v1/disputes/{obj_id}"), "_dispute_retrieve_params", "DisputeRetrieveParams"),
        (("GET", "/v1/events"), "_event_list_params", "EventListParams"),
        (("GET", "/v1/events/{obj_id}"), "_event_retrieve_params", "EventRetrieveParams"),
    ],
)  # fmt: skip
def test_parameter_lists_are_stripes(
    route: tuple[str, str], params_module: str, params_class: str
) -> None:
    """Each endpoint knows exactly the parameters of Stripe's reference for the SDK's API version
    (the SDK's params types are generated from it); `payment_method_types` stays known so older
    `Stripe-Version`s can send it."""
    import importlib

    from sandbox.stripe.rules import ENDPOINTS

    spec = ENDPOINTS[route]
    module = importlib.import_module(f"stripe.params.{params_module}")
    options = set(importlib.import_module("stripe._request_options").RequestOptions.__annotations__)
    documented = set(getattr(module, params_class).__annotations__) - options
    assert (spec.modelled | spec.unsupported) - {"payment_method_types"} == documented
