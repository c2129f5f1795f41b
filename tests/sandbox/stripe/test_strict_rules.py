"""The Stripe sandbox refuses what Stripe refuses (docs/sandboxes.md, "Strict rules")."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
import stripe

from sandbox.harness.standalone import WebhookReceiver
from sandbox.stripe import StripeSandbox
from tests.sandbox.stripe.support import (
    CREATE,
    SECRET_KEY,
    control,
    error_of,
    intent_in,
    listing_id,
    new_intent,
    raw,
    sdk_fields,
    settled_events,
    wait_types,
)


@pytest.mark.parametrize(
    ("method", "path", "form", "unknown"),
    [
        ("POST", "/v1/payment_intents", {**CREATE, "colour": "red"}, "colour"),
        ("POST", "/v1/payment_intents/{pi}/confirm", {"payment_method": "pm_card_visa",
                                                      "amount": "5"}, "amount"),
        # Stripe.js sends client_secret; with the secret key Stripe does not know it.
        ("POST", "/v1/payment_intents/{pi}/confirm", {"client_secret": "{secret}"},
         "client_secret"),
        ("POST", "/v1/payment_intents/{pi}/cancel", {"reason": "abandoned"}, "reason"),
        ("POST", "/v1/refunds", {"payment_intent": "{pi}", "note": "x"}, "note"),
        ("GET", "/v1/payment_intents/{pi}", {"verbose": "1"}, "verbose"),
        ("GET", "/v1/payment_intents", {"page": "2"}, "page"),
        ("GET", "/v1/events", {"limit": "1", "kind": "x"}, "kind"),
        ("GET", "/v1/events/evt_x", {"fields": "id"}, "fields"),
        ("GET", "/v1/charges/ch_x", {"x": "1"}, "x"),
        ("GET", "/v1/refunds/re_x", {"x": "1"}, "x"),
        ("POST", "/v1/payment_intents", {**CREATE, "automatic_payment_methods[enabled]": "true",
                                         "automatic_payment_methods[mode]": "x"},
         "automatic_payment_methods[mode]"),
    ],
)  # fmt: skip
def test_unknown_parameters_are_refused_on_every_endpoint(
    sandbox: StripeSandbox,
    client: stripe.StripeClient,
    method: str,
    path: str,
    form: dict[str, str],
    unknown: str,
) -> None:
    pi = new_intent(client, listing_id())
    values = {k: v.format(pi=pi.id, secret=pi.client_secret) for k, v in form.items()}
    err = error_of(raw(sandbox, method, path.format(pi=pi.id), **values), 400)
    assert err["type"] == "invalid_request_error" and err["code"] == "parameter_unknown"
    assert err["message"] == f"Received unknown parameter: {unknown}" and err["param"] == unknown
    assert err["doc_url"].endswith("/error-codes/parameter-unknown")
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"


def test_unknown_parameter_through_the_sdk_raises_invalid_request(
    client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create(params={"amount": 900, "currency": "usd", "tip": 1})
    assert raised.value.code == "parameter_unknown" and raised.value.param == "tip"


@pytest.mark.parametrize(
    "form",
    [
        {"capture_method": "manual"},
        {"off_session": "true", "confirm": "true", "payment_method": "pm_card_visa"},
        {"allowed_payment_method_types[]": "link"},
        {"on_behalf_of": "acct_1"},
        {"expand[]": "latest_charge.balance_transaction"},
    ],
)
def test_documented_parameters_the_sandbox_does_not_model_are_refused_clearly(
    sandbox: StripeSandbox, form: dict[str, str]
) -> None:
    err = error_of(raw(sandbox, "POST", "/v1/payment_intents", **CREATE, **form), 400)
    assert "does not model" in err["message"] and "code" not in err


def test_what_the_api_server_sends_is_accepted(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    pi = client.v1.payment_intents.create(
        params={
            "amount": 625_000,
            "currency": "usd",
            "allowed_payment_method_types": ["card"],
            "description": "Mining Marketplace payment 1",
            "metadata": {"payment_id": "1", "listing_id": "2"},
        },
        options={"idempotency_key": f"create-{uuid.uuid4()}"},
    )
    client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    client.v1.refunds.create(
        params={"payment_intent": pi.id, "amount": 1000, "metadata": {"refund_id": "r1"}},
        options={"idempotency_key": f"refund-{uuid.uuid4()}"},
    )
    assert client.v1.payment_intents.retrieve(pi.id).amount_received == 625_000
    assert client.v1.events.list(params={"limit": 1}).data[0].type == "refund.created"
    other = new_intent(client, listing_id())
    assert client.v1.payment_intents.cancel(other.id).cancellation_reason is None
    third = new_intent(client, listing_id())
    canceled = client.v1.payment_intents.cancel(
        third.id, params={"cancellation_reason": "abandoned"}
    )
    assert canceled.cancellation_reason == "abandoned"


def test_expand_latest_charge_returns_the_charge(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    pi = new_intent(client, listing_id(), payment_method="pm_card_visa", confirm=True)
    expanded = client.v1.payment_intents.retrieve(
        pi.id, params={"expand": ["latest_charge", "payment_method"]}
    )
    assert (
        expanded.latest_charge.object == "charge" and expanded.latest_charge.id == pi.latest_charge
    )
    assert expanded.latest_charge.payment_intent == pi.id
    assert expanded.payment_method.object == "payment_method"
    deeper = client.v1.payment_intents.retrieve(
        pi.id, params={"expand": ["latest_charge.payment_intent"]}
    )
    assert deeper.latest_charge.payment_intent.id == pi.id
    listed = client.v1.payment_intents.list(params={"expand": ["data.latest_charge"]})
    assert listed.data[0].latest_charge.id == pi.latest_charge
    refund = client.v1.refunds.create(params={"payment_intent": pi.id, "expand": ["charge"]})
    assert refund.charge.amount_refunded == 2500
    assert client.v1.payment_intents.retrieve(pi.id).latest_charge == pi.latest_charge
    for bad in ("metadata", "bogus", "latest_charge.nope"):
        err = error_of(
            raw(sandbox, "GET", f"/v1/payment_intents/{pi.id}", **{"expand[]": bad}), 400
        )
        assert err["message"] == f"This property cannot be expanded ({bad})."
    err = error_of(raw(sandbox, "GET", "/v1/payment_intents", **{"expand[]": "latest_charge"}), 400)
    assert err["message"] == "This property cannot be expanded (latest_charge)."


@pytest.mark.parametrize(
    ("form", "param"),
    [({"currency": "usd"}, "amount"), ({"amount": "900"}, "currency"), ({}, "amount")],
)
def test_missing_required_parameters(
    sandbox: StripeSandbox, form: dict[str, str], param: str
) -> None:
    err = error_of(raw(sandbox, "POST", "/v1/payment_intents", **form), 400)
    assert err["code"] == "parameter_missing" and err["param"] == param
    assert err["message"] == f"Missing required param: {param}."


def test_refund_without_payment_intent_or_charge_is_missing_a_parameter(
    client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"amount": 100})
    assert raised.value.code == "parameter_missing"


@pytest.mark.parametrize(
    ("currency", "amount", "code", "message"),
    [
        ("usd", 49, "amount_too_small", "Amount must be at least $0.50 usd"),
        ("eur", 49, "amount_too_small", "Amount must be at least €0.50 eur"),
        ("gbp", 29, "amount_too_small", "Amount must be at least £0.30 gbp"),
        ("jpy", 49, "amount_too_small", "Amount must be at least ¥50 jpy"),
        ("czk", 1499, "amount_too_small", "Amount must be at least 15.00 czk"),
        ("usd", 100_000_000, "amount_too_large", "Amount must be no more than $999,999.99 usd"),
        ("jpy", 100_000_000, "amount_too_large", "Amount must be no more than ¥99,999,999 jpy"),
        ("inr", 1_000_000_000, "amount_too_large", None),
        ("kwd", 1005, "invalid_charge_amount", None),  # three-decimal: last digit 0
        ("ugx", 150, "invalid_charge_amount", None),  # two-decimal with 00
        ("isk", 550, "invalid_charge_amount", None),
        ("usd", 0, "parameter_invalid_integer", None),
    ],
)
def test_amount_rules_per_currency(
    sandbox: StripeSandbox, currency: str, amount: int, code: str, message: str | None
) -> None:
    form = {"amount": str(amount), "currency": currency}
    err = error_of(raw(sandbox, "POST", "/v1/payment_intents", **form), 400)
    assert err["code"] == code and err["param"] == "amount"
    if message:
        assert err["message"] == message


@pytest.mark.parametrize(
    ("currency", "amount"),
    [
        ("usd", 50),
        ("usd", 99_999_999),
        ("jpy", 50),
        ("inr", 999_999_999),
        ("idr", 999_999_999_999),
        ("kwd", 1010),
        ("ugx", 500_000),
        ("ngn", 1),  # not in Stripe's minimums table: only "a positive integer"
    ],
)
def test_amounts_within_the_rules_are_accepted(
    client: stripe.StripeClient, currency: str, amount: int
) -> None:
    pi = client.v1.payment_intents.create(params={"amount": amount, "currency": currency})
    assert (pi.amount, pi.currency) == (amount, currency)


def test_amount_must_be_an_integer(sandbox: StripeSandbox) -> None:
    err = error_of(raw(sandbox, "POST", "/v1/payment_intents", amount="12.5", currency="usd"), 400)
    assert err["code"] == "parameter_invalid_integer" and err["message"] == "Invalid integer: 12.5"


def test_validation_failures_do_not_use_up_the_idempotency_key(sandbox: StripeSandbox) -> None:
    key = uuid.uuid4().hex
    headers = {"Authorization": f"Bearer {SECRET_KEY}", "Idempotency-Key": key}
    url = f"{sandbox.url}/v1/payment_intents"
    bad = requests.post(url, data={"amount": "10", "currency": "usd"}, headers=headers, timeout=5)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "amount_too_small"
    good = requests.post(url, data={"amount": "100", "currency": "usd"}, headers=headers, timeout=5)
    assert good.status_code == 200 and "Idempotent-Replayed" not in good.headers


@pytest.mark.parametrize(
    ("status", "cancelable"),
    [
        ("requires_payment_method", True),
        ("requires_confirmation", True),
        ("requires_action", True),
        ("requires_capture", True),
        ("processing", False),  # only bank debits cancel in processing; cards never do
        ("succeeded", False),
        ("canceled", False),
    ],
)
def test_cancel_only_in_the_documented_statuses(
    sandbox: StripeSandbox, client: stripe.StripeClient, status: str, cancelable: bool
) -> None:
    pi_id = intent_in(client, sandbox, status)
    if cancelable:
        canceled = client.v1.payment_intents.cancel(
            pi_id, params={"cancellation_reason": "duplicate"}
        )
        assert canceled.status == "canceled" and canceled.next_action is None
        return
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.cancel(pi_id)
    assert raised.value.code == "payment_intent_unexpected_state"
    assert raised.value.http_status == 400
    assert str(raised.value).endswith(
        "may be canceled: requires_payment_method, requires_capture, requires_confirmation, "
        "requires_action, processing."
    )


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("succeeded", "it has already succeeded after being previously confirmed."),
        ("canceled", "it has a status of canceled."),
        ("processing", "it has a status of processing."),
    ],
)
def test_confirm_in_a_state_that_does_not_allow_it(
    sandbox: StripeSandbox, client: stripe.StripeClient, status: str, message: str
) -> None:
    pi_id = intent_in(client, sandbox, status)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.confirm(pi_id, params={"payment_method": "pm_card_visa"})
    assert raised.value.code == "payment_intent_unexpected_state" and message in str(raised.value)
    assert raised.value.error.payment_intent.status == status


def test_cancellation_reason_must_be_one_of_stripes(client: stripe.StripeClient) -> None:
    pi = new_intent(client, listing_id())
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.cancel(pi.id, params={"cancellation_reason": "changed_mind"})
    assert raised.value.param == "cancellation_reason"
    assert "duplicate, fraudulent, requested_by_customer, or abandoned" in str(raised.value)


def test_refund_of_a_disputed_charge_is_refused(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    pi = new_intent(client, listing_id(), payment_method="pm_card_visa", confirm=True)
    control(sandbox, "POST", f"payment_intents/{pi.id}/dispute")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": pi.id})
    assert raised.value.code == "charge_disputed"


def test_events_carry_ids_where_stripe_carries_ids(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    listing = listing_id()
    pi = new_intent(client, listing)
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.confirm(
            pi.id, params={"payment_method": "pm_card_chargeDeclined"}
        )
    client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 100})
    wait_types(receiver, pi.id, 5)
    bodies = {b["type"]: b["data"]["object"] for b in receiver.accepted() if pi.id in json.dumps(b)}
    failed = bodies["payment_intent.payment_failed"]
    assert failed["last_payment_error"]["payment_method"]["object"] == "payment_method"
    assert isinstance(failed["last_payment_error"]["charge"], str)
    succeeded = bodies["payment_intent.succeeded"]
    assert succeeded["latest_charge"].startswith("ch_")
    assert succeeded["payment_method"].startswith("pm_")
    assert bodies["charge.succeeded"]["payment_intent"] == pi.id
    assert bodies["charge.succeeded"]["payment_method"].startswith("pm_")
    assert bodies["charge.refunded"]["payment_intent"] == pi.id
    assert bodies["refund.created"]["charge"] == succeeded["latest_charge"]
    assert bodies["refund.created"]["payment_intent"] == pi.id


def test_every_emitted_object_has_only_documented_fields(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    pi = new_intent(client, listing_id())
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.confirm(
            pi.id, params={"payment_method": "pm_card_chargeDeclined"}
        )
    client.v1.payment_intents.confirm(
        pi.id, params={"payment_method": "pm_card_threeDSecure2Required"}
    )
    control(sandbox, "POST", f"payment_intents/{pi.id}/authenticate", outcome="succeed")
    client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 100})
    control(sandbox, "POST", f"payment_intents/{pi.id}/dispute")
    classes = {
        "payment_intent": stripe.PaymentIntent,
        "charge": stripe.Charge,
        "refund": stripe.Refund,
        "dispute": stripe.Dispute,
    }
    events = [e["body"] for e in settled_events(sandbox, pi.id)]
    assert len(events) >= 7
    for event in events:
        assert set(event) <= sdk_fields(stripe.Event)
        obj = event["data"]["object"]
        assert set(obj) <= sdk_fields(classes[obj["object"]]), event["type"]
        if obj["object"] == "payment_intent":
            error = obj["last_payment_error"] or {}
            assert set(error) <= sdk_fields(stripe.PaymentIntent.LastPaymentError)
            assert set(error.get("payment_method") or {}) <= sdk_fields(stripe.PaymentMethod)
            assert set(obj["next_action"] or {}) <= sdk_fields(stripe.PaymentIntent.NextAction)
        if obj["object"] == "charge":
            card = obj["payment_method_details"]["card"]
            assert set(card) <= sdk_fields(stripe.Charge.PaymentMethodDetails.Card)
            assert set(obj["outcome"]) <= sdk_fields(stripe.Charge.Outcome)
