"""The Stripe sandbox, driven through the real stripe SDK and its webhook verifier."""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe

from sandbox.common import WebhookReceiver
from sandbox.stripe import StripeSandbox
from tests.standalone import standalone

SECRET_KEY = "sk_test_sandbox_0123456789abcdef"
WEBHOOK_SECRET = "whsec_sandbox_test"
TIMEOUT = 5


def verify(headers: dict[str, str], body: bytes) -> int:
    """What a real receiver does: 200 only for a payload Stripe's verifier accepts."""
    try:
        stripe.Webhook.construct_event(body, headers.get("stripe-signature"), WEBHOOK_SECRET)
    except (stripe.SignatureVerificationError, ValueError):
        return 400
    return 200


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver(verify)
    hook.start()
    yield hook
    hook.stop()


@pytest.fixture
def sandbox(receiver: WebhookReceiver) -> Iterator[StripeSandbox]:
    box = StripeSandbox(
        secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, backoff=(0.02, 0.05), max_attempts=4
    )
    box.start()
    box.set_webhook_url(receiver.url)
    yield box
    box.stop()


@pytest.fixture
def client(sandbox: StripeSandbox) -> stripe.StripeClient:
    return stripe.StripeClient(
        SECRET_KEY, base_addresses={"api": sandbox.url}, max_network_retries=0
    )


def control(sandbox: StripeSandbox, method: str, path: str, **body: Any) -> Any:
    resp = requests.request(
        method, f"{sandbox.url}/_sandbox/{path}", json=body or None, timeout=TIMEOUT
    )
    assert resp.status_code < 300, resp.text
    return resp.json()


def listing_id() -> str:
    return f"listing-{uuid.uuid4().hex[:10]}"


def new_intent(client: stripe.StripeClient, listing: str, **params: Any) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={
            "amount": 2500,
            "currency": "usd",
            "metadata": {"listing_id": listing},
            "description": "Ore lot",
            **params,
        }
    )


def events_for(sandbox: StripeSandbox, match: str) -> list[dict[str, Any]]:
    return control(sandbox, "GET", f"events?match={match}")


def settled_events(sandbox: StripeSandbox, match: str) -> list[dict[str, Any]]:
    """Events for match once each is delivered or given up (attempts are recorded after
    the receiver has answered, so a webhook can be seen before its attempt is)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        events = events_for(sandbox, match)
        if all(e["delivered"] or e["gave_up"] for e in events) or time.monotonic() > deadline:
            return events
        time.sleep(0.02)


def wait_types(receiver: WebhookReceiver, match: str, count: int) -> list[str]:
    bodies = receiver.wait_for(lambda bs: len([b for b in bs if match in json.dumps(b)]) >= count)
    return [b["type"] for b in bodies if match in json.dumps(b)]


def test_env_describes_the_running_sandbox(sandbox: StripeSandbox) -> None:
    assert sandbox.url.startswith("http://127.0.0.1:")
    assert sandbox.env() == {
        "STRIPE_API_BASE": sandbox.url,
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": sandbox.publishable_key,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    assert sandbox.publishable_key.startswith("pk_test_")
    chosen = StripeSandbox(secret_key="sk_test_x", webhook_secret="whsec_x", publishable_key="pk_1")
    assert chosen.env()["STRIPE_PUBLISHABLE_KEY"] == "pk_1"


def test_create_retrieve_confirm_succeeds_and_signs_webhooks(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    listing = listing_id()
    pi = new_intent(client, listing, payment_method_types=["card"])
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
        timeout=TIMEOUT,
        headers={
            "Authorization": f"Bearer {SECRET_KEY}",
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
    resp = requests.get(f"{sandbox.url}/v1/payment_intents", timeout=TIMEOUT)
    assert resp.status_code == 401
    assert resp.json()["error"]["type"] == "invalid_request_error"


def test_signature_modes_on_redelivery(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    listing = listing_id()
    new_intent(client, listing, payment_method="pm_card_visa", confirm=True)
    wait_types(receiver, listing, 2)
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
        body, headers["stripe-signature"], WEBHOOK_SECRET, tolerance=None
    )
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(body, headers["stripe-signature"], WEBHOOK_SECRET)
    bad_headers, bad_body, _ = receiver.received[-3]
    with pytest.raises(stripe.SignatureVerificationError, match="expected signature"):
        stripe.Webhook.construct_event(bad_body, bad_headers["stripe-signature"], WEBHOOK_SECRET)
    event = stripe.Webhook.construct_event(
        body, headers["stripe-signature"], WEBHOOK_SECRET, tolerance=1000
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
    # docs.stripe.com/error-codes: `charge_not_refundable` is about a charge that is "no longer
    # refundable"; a PaymentIntent with no charge is in the wrong state for a refund.
    assert raised.value.code == "payment_intent_unexpected_state"
    assert raised.value.param == "payment_intent"
    assert "does not have a successful charge to refund" in str(raised.value)


def test_error_fault_raises_api_error_without_changing_state(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    listing, other = listing_id(), listing_id()
    control(sandbox, "POST", "faults", mode="error", count=1, match=listing)
    assert control(sandbox, "GET", "faults")[0]["match"] == listing
    new_intent(client, other)  # not matched: unaffected
    with pytest.raises(stripe.APIError) as raised:
        new_intent(client, listing)
    assert raised.value.http_status == 500
    listed = [p.metadata.to_dict().get("listing_id") for p in client.v1.payment_intents.list().data]
    assert listing not in listed and other in listed
    assert new_intent(client, listing).metadata["listing_id"] == listing
    assert control(sandbox, "GET", "faults") == []


def test_hang_fault_times_the_client_out(sandbox: StripeSandbox) -> None:
    pi_listing = listing_id()
    control(sandbox, "POST", "faults", mode="hang", count=1, seconds=2, match=pi_listing)
    slow = stripe.StripeClient(
        SECRET_KEY,
        base_addresses={"api": sandbox.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=0.5),
    )
    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        slow.v1.payment_intents.create(
            params={"amount": 100, "currency": "usd", "metadata": {"listing_id": pi_listing}}
        )
    assert time.monotonic() - started < 1.5
    assert slow.v1.payment_intents.list().data == []


def test_refuse_fault_resets_the_connection(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    pi = new_intent(client, listing_id())
    control(sandbox, "POST", "faults", mode="refuse", count=1, match=f"{pi.id}/confirm")
    with pytest.raises(stripe.APIConnectionError):
        client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"
    control(sandbox, "POST", "faults", mode="refuse", count=1)
    with pytest.raises(requests.ConnectionError, match="reset"):
        requests.get(f"{sandbox.url}/v1/events", timeout=TIMEOUT)
    control(sandbox, "POST", "faults", mode="error", count=3)
    control(sandbox, "DELETE", "faults")
    assert client.v1.payment_intents.retrieve(pi.id).id == pi.id


def test_pause_holds_matching_events_until_resume(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    held, free = listing_id(), listing_id()
    control(sandbox, "POST", "webhooks/pause", match=held)
    new_intent(client, held, payment_method="pm_card_visa", confirm=True)
    new_intent(client, free, payment_method="pm_card_visa", confirm=True)
    wait_types(receiver, free, 2)
    assert all(e["paused"] and not e["delivered"] for e in events_for(sandbox, held))
    control(sandbox, "POST", "webhooks/resume", match=held)
    assert len(wait_types(receiver, held, 2)) == 2


def test_dropped_event_is_recorded_and_can_be_redelivered(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    listing = listing_id()
    control(sandbox, "POST", "webhooks/drop", count=1, match="payment_intent.succeeded")
    new_intent(client, listing, payment_method="pm_card_visa", confirm=True)
    assert wait_types(receiver, listing, 1) == ["charge.succeeded"]
    [lost] = [e for e in events_for(sandbox, listing) if e["type"] == "payment_intent.succeeded"]
    assert lost["dropped"] and not lost["delivered"] and lost["attempts"] == []
    result = control(sandbox, "POST", f"events/{lost['id']}/deliver")
    assert result["status"] == 200 and result["body"] == "ok"
    assert sorted(wait_types(receiver, listing, 2)) == [
        "charge.succeeded",
        "payment_intent.succeeded",
    ]


def test_failed_attempts_are_retried_and_recorded(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    listing, doomed = listing_id(), listing_id()
    control(sandbox, "POST", "webhooks/fail", count=2, match=listing)
    control(sandbox, "POST", "webhooks/fail", count=20, match=doomed)
    pi = new_intent(client, listing)
    client.v1.payment_intents.cancel(pi.id)
    assert wait_types(receiver, listing, 1) == ["payment_intent.canceled"]
    [event] = settled_events(sandbox, listing)
    assert [a["status"] for a in event["attempts"]] == [None, None, 200]
    assert event["delivered"] is True

    client.v1.payment_intents.cancel(new_intent(client, doomed).id)
    [gave_up] = settled_events(sandbox, doomed)
    assert gave_up["gave_up"] and not gave_up["delivered"] and len(gave_up["attempts"]) == 4


def test_crafted_events_delivered_in_a_chosen_order(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    listing = listing_id()
    pi = new_intent(client, listing)
    crafted = {
        kind: control(
            sandbox,
            "POST",
            f"payment_intents/{pi.id}/events",
            type=f"payment_intent.{kind}",
            deliver=False,
        )
        for kind in ("processing", "succeeded")
    }
    assert crafted["succeeded"]["data"]["object"]["status"] == "succeeded"
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"
    results = control(
        sandbox,
        "POST",
        "events/deliver",
        ids=[crafted["succeeded"]["id"], crafted["processing"]["id"]],
    )
    assert [r["status"] for r in results] == [200, 200]
    seen = [b["data"]["object"]["status"] for b in receiver.accepted() if listing in json.dumps(b)]
    assert seen == ["succeeded", "processing"]

    applied = control(
        sandbox,
        "POST",
        f"payment_intents/{pi.id}/events",
        type="payment_intent.succeeded",
        apply=True,
    )
    assert applied["data"]["object"]["latest_charge"].startswith("ch_")
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
    assert client.v1.refunds.create(params={"payment_intent": pi.id}).amount == 2500


def test_dispute_emits_charge_dispute_created(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    listing = listing_id()
    pi = new_intent(client, listing, payment_method="pm_card_visa", confirm=True)
    dispute = control(sandbox, "POST", f"payment_intents/{pi.id}/dispute")
    assert dispute["id"].startswith("dp_") and dispute["status"] == "needs_response"
    assert dispute["payment_intent"] == pi.id and dispute["charge"] == pi.latest_charge
    assert dispute["reason"] == "fraudulent" and dispute["amount"] == 2500
    wait_types(receiver, pi.latest_charge, 3)
    event = client.v1.events.list(params={"type": "charge.dispute.*", "limit": 1}).data[0]
    assert event.type == "charge.dispute.created" and event.data.object.id == dispute["id"]


def test_events_api_lists_newest_first_and_retrieves(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    since = int(time.time())
    listing = listing_id()
    pi = new_intent(client, listing, payment_method="pm_card_visa", confirm=True)
    wait_types(receiver, listing, 2)
    settled_events(sandbox, listing)
    listed = client.v1.events.list(params={"created": {"gte": since}, "limit": 10})
    assert [e.type for e in listed.data] == ["payment_intent.succeeded", "charge.succeeded"]
    event = client.v1.events.retrieve(listed.data[0].id)
    assert event.data.object.id == pi.id and event.api_version
    assert event.request.id.startswith("req_") and event.pending_webhooks == 0
    only = client.v1.events.list(params={"type": "charge.succeeded"})
    assert {e.type for e in only.data} == {"charge.succeeded"}


def test_reset_clears_faults_and_pauses_but_keeps_objects(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    listing = listing_id()
    pi = new_intent(client, listing)
    control(sandbox, "POST", "webhooks/pause")
    client.v1.payment_intents.cancel(pi.id)
    control(sandbox, "POST", "faults", mode="error", count=5)
    control(sandbox, "POST", "reset")
    assert control(sandbox, "GET", "faults") == []
    assert client.v1.payment_intents.retrieve(pi.id).status == "canceled"
    assert wait_types(receiver, listing, 1) == ["payment_intent.canceled"]


def test_stop_is_idempotent_and_leaves_no_threads(receiver: WebhookReceiver) -> None:
    before = set(threading.enumerate())
    box = StripeSandbox(
        secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, webhook_url=receiver.url
    )
    box.start()
    control(box, "POST", "faults", mode="hang", count=1, seconds=30)
    hung = threading.Thread(target=lambda: requests.get(f"{box.url}/v1/events", timeout=10))
    hung.start()
    time.sleep(0.2)
    started = time.monotonic()
    box.stop()
    box.stop()
    hung.join()
    assert time.monotonic() - started < 3
    assert set(threading.enumerate()) <= before


def test_standalone_module_prints_env_and_stops_on_sigterm() -> None:
    args = ("--secret-key", SECRET_KEY, "--webhook-secret", WEBHOOK_SECRET)
    with standalone("sandbox.stripe", *args, settings=4) as (proc, env):
        assert env["STRIPE_SECRET_KEY"] == SECRET_KEY
        assert env["STRIPE_PUBLISHABLE_KEY"].startswith("pk_test_")
        resp = requests.get(
            f"{env['STRIPE_API_BASE']}/v1/events",
            timeout=TIMEOUT,
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
        )
        assert resp.json()["object"] == "list"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT) == 0
