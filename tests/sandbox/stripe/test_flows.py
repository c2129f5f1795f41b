"""The Stripe sandbox through the real SDK: intents, confirm, declines, refunds, webhooks."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
import stripe

from sandbox.harness.standalone import WebhookReceiver
from sandbox.stripe import StripeSandbox
from tests.sandbox.stripe import support
from tests.sandbox.stripe.support import (
    control,
    events_for,
    listing_id,
    new_intent,
    paid_intent,
    wait_types,
)


def test_env_describes_the_running_sandbox(sandbox: StripeSandbox) -> None:
    assert sandbox.url.startswith("http://127.0.0.1:")
    assert sandbox.env() == {
        "STRIPE_API_BASE": sandbox.url,
        "STRIPE_SECRET_KEY": support.SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": sandbox.publishable_key,
        "STRIPE_WEBHOOK_SECRET": support.WEBHOOK_SECRET,
    }
    assert sandbox.publishable_key.startswith("pk_test_")
    chosen = StripeSandbox(secret_key="sk_test_x", webhook_secret="whsec_x", publishable_key="pk_1")
    assert chosen.env()["STRIPE_PUBLISHABLE_KEY"] == "pk_1"


def test_create_retrieve_confirm_succeeds_and_signs_webhooks(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    listing = listing_id()
    pi = new_intent(client, listing, allowed_payment_method_types=["card"])
    assert pi.id.startswith("pi_") and pi.status == "requires_payment_method"
    assert pi.client_secret.startswith(f"{pi.id}_secret_")
    assert pi.metadata["listing_id"] == listing and pi.livemode is False

    fetched = client.v1.payment_intents.retrieve(pi.id)
    assert fetched.amount == 2500 and fetched.currency == "usd"

    done = client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert done.status == "succeeded" and done.amount_received == 2500
    assert done.latest_charge.startswith("ch_") and done.payment_method.startswith("pm_")
    # The receiver answers 200 only after stripe.Webhook.construct_event accepted the payload.
    assert sorted(wait_types(receiver, listing, 2)) == [
        "charge.succeeded",
        "payment_intent.succeeded",
    ]


def test_create_with_confirm_and_automatic_payment_methods(client: stripe.StripeClient) -> None:
    pi = new_intent(
        client,
        listing_id(),
        payment_method="pm_card_mastercard",
        confirm=True,
        automatic_payment_methods={"enabled": True, "allow_redirects": "never"},
    )
    assert pi.status == "succeeded"
    assert pi.automatic_payment_methods.enabled is True


@pytest.mark.parametrize(
    ("method", "code", "decline_code"),
    [
        ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
        ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"),
    ],
)
def test_declines_return_card_errors_and_reset_the_intent(
    client: stripe.StripeClient,
    receiver: WebhookReceiver,
    method: str,
    code: str,
    decline_code: str,
) -> None:
    listing = listing_id()
    pi = new_intent(client, listing)
    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_intents.confirm(pi.id, params={"payment_method": method})
    err = raised.value
    assert err.http_status == 402 and err.code == code
    assert err.error.decline_code == decline_code and err.error.type == "card_error"
    assert err.error.payment_intent.id == pi.id
    assert err.error.payment_intent.status == "requires_payment_method"

    again = client.v1.payment_intents.retrieve(pi.id)
    assert again.status == "requires_payment_method" and again.payment_method is None
    assert again.last_payment_error.decline_code == decline_code
    assert wait_types(receiver, listing, 1) == ["payment_intent.payment_failed"]
    # After a decline the customer can retry with a good card.
    retried = client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert retried.status == "succeeded"


def test_unknown_method_and_unexpected_states_are_invalid_requests(
    client: stripe.StripeClient,
) -> None:
    pi = new_intent(client, listing_id())
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_bogus"})
    assert missing.value.code == "resource_missing" and missing.value.param == "payment_method"
    assert missing.value.http_status == 400
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"

    client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert again.value.code == "payment_intent_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError) as cancel:
        client.v1.payment_intents.cancel(pi.id)
    assert cancel.value.code == "payment_intent_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.payment_intents.retrieve("pi_doesnotexist")
    assert unknown.value.http_status == 404 and unknown.value.code == "resource_missing"


def test_cancel_then_confirm_is_refused(
    client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    listing = listing_id()
    pi = new_intent(client, listing)
    canceled = client.v1.payment_intents.cancel(pi.id, params={"cancellation_reason": "abandoned"})
    assert canceled.status == "canceled" and canceled.cancellation_reason == "abandoned"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert raised.value.code == "payment_intent_unexpected_state"
    assert wait_types(receiver, listing, 1) == ["payment_intent.canceled"]


def test_list_payment_intents_newest_first(client: stripe.StripeClient) -> None:
    first, second = new_intent(client, listing_id()), new_intent(client, listing_id())
    page = client.v1.payment_intents.list(params={"limit": 1})
    assert [p.id for p in page.data] == [second.id] and page.has_more is True
    ids = [p.id for p in client.v1.payment_intents.list().auto_paging_iter()]
    assert ids[:2] == [second.id, first.id]


def test_idempotency_key_replays_and_rejects_other_params(
    sandbox: StripeSandbox,
    client: stripe.StripeClient,
) -> None:
    key = uuid.uuid4().hex
    params = {"amount": 900, "currency": "usd", "metadata": {"listing_id": "idem"}}
    one = client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
    two = client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
    assert one.id == two.id
    raw = requests.post(
        f"{sandbox.url}/v1/payment_intents",
        data="amount=900&currency=usd&metadata[listing_id]=idem",
        timeout=support.TIMEOUT,
        headers={
            "Authorization": f"Bearer {support.SECRET_KEY}",
            "Idempotency-Key": key,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert raw.json()["id"] == one.id and raw.headers["Idempotent-Replayed"] == "true"
    assert raw.headers["Request-Id"].startswith("req_")
    with pytest.raises(stripe.IdempotencyError):
        client.v1.payment_intents.create(
            params={**params, "amount": 901}, options={"idempotency_key": key}
        )


def test_declines_are_replayed_too(client: stripe.StripeClient) -> None:
    pi = new_intent(client, listing_id())
    key = uuid.uuid4().hex
    for _ in range(2):
        with pytest.raises(stripe.CardError):
            client.v1.payment_intents.confirm(
                pi.id,
                params={"payment_method": "pm_card_chargeDeclined"},
                options={"idempotency_key": key},
            )


def test_wrong_or_missing_key_is_401_without_echoing_the_key(sandbox: StripeSandbox) -> None:
    bad_key = "sk_test_not_the_right_key_9876"
    bad = stripe.StripeClient(bad_key, base_addresses={"api": sandbox.url}, max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError) as raised:
        bad.v1.payment_intents.list()
    message = raised.value.user_message
    assert message.startswith("Invalid API Key provided: ") and bad_key not in message
    resp = requests.get(f"{sandbox.url}/v1/payment_intents", timeout=support.TIMEOUT)
    assert resp.status_code == 401
    assert resp.json()["error"]["type"] == "invalid_request_error"


def test_signature_modes_on_redelivery(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    listing, _ = paid_intent(client, receiver)
    event_id = events_for(sandbox, listing)[0]["id"]
    statuses = {
        mode: control(sandbox, "POST", f"events/{event_id}/deliver", signature=mode)
        for mode in ("valid", "bad", "stale", "missing")
    }
    assert {m: r["status"] for m, r in statuses.items()} == {
        "valid": 200,
        "bad": 400,
        "stale": 400,
        "missing": 400,
    }

    headers, body, _ = receiver.received[-2]  # the stale one: right secret, old timestamp
    stripe.WebhookSignature.verify_header(
        body, headers["stripe-signature"], support.WEBHOOK_SECRET, tolerance=None
    )
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(body, headers["stripe-signature"], support.WEBHOOK_SECRET)
    bad_headers, bad_body, _ = receiver.received[-3]
    with pytest.raises(stripe.SignatureVerificationError, match="expected signature"):
        stripe.Webhook.construct_event(
            bad_body, bad_headers["stripe-signature"], support.WEBHOOK_SECRET
        )
    event = stripe.Webhook.construct_event(
        body, headers["stripe-signature"], support.WEBHOOK_SECRET, tolerance=1000
    )
    assert event.id == event_id and event.object == "event"


def test_partial_refunds_until_exhausted(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    listing = listing_id()
    pi = new_intent(client, listing, payment_method="pm_card_visa", confirm=True)
    first = client.v1.refunds.create(
        params={"payment_intent": pi.id, "amount": 1000, "reason": "requested_by_customer"}
    )
    assert first.id.startswith("re_") and first.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1501})
    assert over.value.code == "amount_too_large" and over.value.param == "amount"
    assert "($15.01) is greater than unrefunded amount on charge ($15.00)" in str(over.value)
    rest = client.v1.refunds.create(params={"charge": pi.latest_charge})
    assert rest.amount == 1500
    with pytest.raises(stripe.InvalidRequestError) as done:
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1})
    assert done.value.code == "charge_already_refunded"
    assert client.v1.refunds.retrieve(first.id).amount == 1000

    wait_types(receiver, pi.id, 6)  # refunds carry the PI id, not the listing metadata
    refunded = [
        b["data"]["object"]
        for b in receiver.accepted()
        if b["type"] == "charge.refunded" and pi.id in json.dumps(b)
    ]
    assert [(c["amount_refunded"], c["refunded"]) for c in refunded] == [
        (1000, False),
        (2500, True),
    ]
    assert refunded[-1]["refunds"]["total_count"] == 2


def test_refund_of_unpaid_intent_is_refused(client: stripe.StripeClient) -> None:
    pi = new_intent(client, listing_id())
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": pi.id})
    # Stripe documents no code for this; `charge_not_refundable` is about a charge that is "no
    # longer refundable" (docs.stripe.com/error-codes). Real answers carry only this message.
    assert raised.value.code is None and raised.value.http_status == 400
    assert f"This PaymentIntent ({pi.id}) does not have a successful charge to refund." in str(
        raised.value
    )
