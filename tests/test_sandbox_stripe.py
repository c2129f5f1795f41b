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

from sandbox.standalone import WebhookReceiver
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
    # Stripe documents no code for this; `charge_not_refundable` is about a charge that is "no
    # longer refundable" (docs.stripe.com/error-codes). Real answers carry only this message.
    assert raised.value.code is None and raised.value.http_status == 400
    assert f"This PaymentIntent ({pi.id}) does not have a successful charge to refund." in str(
        raised.value
    )


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


# --------------------------------------------------------------------------- strict rules
# Each test names the rule of docs/sandboxes.md ("Strict rules") it proves.


def raw(
    sandbox: StripeSandbox, method: str, path: str, key: str = SECRET_KEY, **form: Any
) -> requests.Response:
    """A form-encoded call the way any HTTP client (not the SDK) would make it."""
    return requests.request(
        method,
        f"{sandbox.url}{path}",
        headers={"Authorization": f"Bearer {key}"},
        data=form if method == "POST" else None,
        params=form if method != "POST" else None,
        timeout=TIMEOUT,
    )


def error_of(resp: requests.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    return resp.json()["error"]


def sdk_fields(cls: type) -> set[str]:
    """The attributes the official SDK declares for an object (generated from Stripe's spec)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        names |= {n for n in getattr(klass, "__annotations__", {}) if n[:1].islower()}
    return names


CREATE = {"amount": "2500", "currency": "usd", "metadata[listing_id]": "L-1"}


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


def _intent_in(client: stripe.StripeClient, sandbox: StripeSandbox, status: str) -> str:
    if status == "requires_confirmation":
        return new_intent(client, listing_id(), payment_method="pm_card_visa").id
    pi = new_intent(client, listing_id())
    if status == "requires_action":
        client.v1.payment_intents.confirm(
            pi.id, params={"payment_method": "pm_card_threeDSecure2Required"}
        )
    elif status == "succeeded":
        client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    elif status == "canceled":
        client.v1.payment_intents.cancel(pi.id)
    elif status in ("processing", "requires_capture"):
        kind = "processing" if status == "processing" else "amount_capturable_updated"
        path = f"payment_intents/{pi.id}/events"
        control(sandbox, "POST", path, type=f"payment_intent.{kind}", apply=True, deliver=False)
    return pi.id


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
    pi_id = _intent_in(client, sandbox, status)
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
    pi_id = _intent_in(client, sandbox, status)
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


# --------------------------------------------------------------------------- Stripe.js


@pytest.fixture
def browser(sandbox: StripeSandbox) -> stripe.StripeClient:
    """What Stripe.js is: a client holding only the publishable key."""
    return stripe.StripeClient(
        sandbox.publishable_key, base_addresses={"api": sandbox.url}, max_network_retries=0
    )


def test_publishable_key_confirms_with_the_client_secret(
    client: stripe.StripeClient, browser: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    listing = listing_id()
    pi = new_intent(client, listing)
    with pytest.raises(stripe.CardError) as declined:
        browser.v1.payment_intents.confirm(
            pi.id,
            params={"client_secret": pi.client_secret, "payment_method": "pm_card_chargeDeclined"},
        )
    assert declined.value.http_status == 402 and declined.value.code == "card_declined"
    assert declined.value.error.payment_intent.status == "requires_payment_method"
    assert "metadata" not in declined.value.error.payment_intent
    assert wait_types(receiver, listing, 1) == ["payment_intent.payment_failed"]
    done = browser.v1.payment_intents.confirm(
        pi.id, params={"client_secret": pi.client_secret, "payment_method": "pm_card_visa"}
    )
    assert done.status == "succeeded"
    # Only the fields "retrievable with publishable key": no metadata, no latest_charge.
    assert "metadata" not in done and "latest_charge" not in done and "amount_received" not in done
    assert sorted(wait_types(receiver, listing, 3)[1:]) == [
        "charge.succeeded",
        "payment_intent.succeeded",
    ]
    seen = browser.v1.payment_intents.retrieve(pi.id, params={"client_secret": pi.client_secret})
    assert seen.status == "succeeded" and "metadata" not in seen
    assert client.v1.payment_intents.retrieve(pi.id).metadata["listing_id"] == listing


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/payment_intents/{pi}/confirm"), ("GET", "/v1/payment_intents/{pi}")],
)
def test_publishable_key_needs_the_right_client_secret(
    sandbox: StripeSandbox, client: stripe.StripeClient, method: str, path: str
) -> None:
    pi = new_intent(client, listing_id())
    url = path.format(pi=pi.id)
    form = {"payment_method": "pm_card_visa"} if method == "POST" else {}
    key = sandbox.publishable_key
    missing = error_of(raw(sandbox, method, url, key, **form), 400)
    assert missing["code"] == "parameter_missing" and missing["param"] == "client_secret"
    other = new_intent(client, listing_id()).client_secret
    wrong = error_of(raw(sandbox, method, url, key, client_secret=other, **form), 400)
    assert wrong["code"] == "payment_intent_invalid_parameter" and wrong["param"] == "client_secret"
    assert wrong["message"] == (
        "The client_secret provided does not match the client_secret associated with the "
        "PaymentIntent."
    )
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/payment_intents"),
        ("GET", "/v1/payment_intents"),
        ("POST", "/v1/payment_intents/{pi}/cancel"),
        ("POST", "/v1/refunds"),
        ("GET", "/v1/events"),
        ("GET", "/v1/charges/ch_x"),
    ],
)
def test_publishable_key_is_refused_everywhere_else(
    sandbox: StripeSandbox, client: stripe.StripeClient, method: str, path: str
) -> None:
    pi = new_intent(client, listing_id())
    resp = raw(sandbox, method, path.format(pi=pi.id), sandbox.publishable_key, **CREATE)
    err = error_of(resp, 401)
    assert err["type"] == "invalid_request_error" and err["code"] == "secret_key_required"
    assert err["message"].startswith(
        "This API call cannot be made with a publishable API key. Please use a secret API key."
    )


def test_publishable_key_refusal_is_an_authentication_error_in_the_sdk(
    browser: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.AuthenticationError):
        browser.v1.payment_intents.create(params={"amount": 900, "currency": "usd"})


# --------------------------------------------------------------------------- 3-D Secure


@pytest.mark.parametrize(
    "card",
    [
        "pm_card_threeDSecure2Required",
        "pm_card_authenticationRequired",
        "pm_card_authenticationRequiredOnSetup",
        "pm_card_authenticationRequiredSetupForOffSession",
    ],
)
def test_3ds_cards_ask_for_authentication_then_succeed(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver, card: str
) -> None:
    listing = listing_id()
    pi = new_intent(client, listing)
    waiting = client.v1.payment_intents.confirm(pi.id, params={"payment_method": card})
    assert waiting.status == "requires_action" and waiting.latest_charge is None
    assert waiting.next_action.type == "use_stripe_sdk"
    assert waiting.next_action.use_stripe_sdk["type"] == "three_d_secure_redirect"
    assert wait_types(receiver, listing, 1) == ["payment_intent.requires_action"]
    done = control(sandbox, "POST", f"payment_intents/{pi.id}/authenticate", outcome="succeed")
    assert done["status"] == "succeeded" and done["next_action"] is None
    charge = client.v1.charges.retrieve(done["latest_charge"])
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"
    assert sorted(wait_types(receiver, listing, 3)[1:]) == [
        "charge.succeeded",
        "payment_intent.succeeded",
    ]


def test_3ds_with_return_url_redirects(client: stripe.StripeClient) -> None:
    pi = new_intent(
        client,
        listing_id(),
        payment_method="pm_card_threeDSecure2Required",
        confirm=True,
        return_url="https://shop.example/back",
    )
    assert pi.status == "requires_action" and pi.next_action.type == "redirect_to_url"
    assert pi.next_action.redirect_to_url.return_url == "https://shop.example/back"
    assert pi.next_action.redirect_to_url.url.endswith(
        f"/_sandbox/payment_intents/{pi.id}/authenticate"
    )


def test_failed_3ds_goes_back_to_requires_payment_method(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    listing = listing_id()
    pi = new_intent(client, listing)
    client.v1.payment_intents.confirm(
        pi.id, params={"payment_method": "pm_card_authenticationRequired"}
    )
    failed = control(sandbox, "POST", f"payment_intents/{pi.id}/authenticate", outcome="fail")
    assert failed["status"] == "requires_payment_method" and failed["latest_charge"] is None
    error = failed["last_payment_error"]
    assert error["code"] == "payment_intent_authentication_failure"
    assert error["type"] == "invalid_request_error"
    assert error["payment_method"]["object"] == "payment_method"
    assert wait_types(receiver, listing, 2) == [
        "payment_intent.requires_action",
        "payment_intent.payment_failed",
    ]
    # "you can retry 3DS by reconfirming", or pay with another card.
    again = client.v1.payment_intents.confirm(pi.id)
    assert again.status == "requires_action"
    paid = client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert paid.status == "succeeded"


@pytest.mark.parametrize(
    ("card", "decline_code"),
    [
        ("pm_card_threeDSecureRequiredChargeDeclined", "generic_decline"),
        ("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds", "insufficient_funds"),
    ],
)
def test_3ds_cards_declined_after_authentication(
    sandbox: StripeSandbox, client: stripe.StripeClient, card: str, decline_code: str
) -> None:
    pi = new_intent(client, listing_id())
    client.v1.payment_intents.confirm(pi.id, params={"payment_method": card})
    after = control(sandbox, "POST", f"payment_intents/{pi.id}/authenticate", outcome="succeed")
    assert after["status"] == "requires_payment_method"
    assert after["last_payment_error"]["decline_code"] == decline_code


def test_authenticate_control_refuses_what_makes_no_sense(
    sandbox: StripeSandbox, client: stripe.StripeClient, browser: stripe.StripeClient
) -> None:
    pi = new_intent(client, listing_id())
    url = f"{sandbox.url}/_sandbox/payment_intents/{pi.id}/authenticate"
    not_waiting = requests.post(url, json={"outcome": "succeed"}, timeout=TIMEOUT)
    assert not_waiting.status_code == 400 and "requires_action" in not_waiting.json()["error"]
    waiting = browser.v1.payment_intents.confirm(
        pi.id,
        params={
            "client_secret": pi.client_secret,
            "payment_method": "pm_card_threeDSecure2Required",
        },
    )
    assert waiting.status == "requires_action" and waiting.next_action.type == "use_stripe_sdk"
    assert requests.post(url, json={"outcome": "maybe"}, timeout=TIMEOUT).status_code == 400
    gone = requests.post(f"{url[: -len('pi_x/authenticate')]}nope/authenticate", json={}, timeout=5)
    assert gone.status_code in (400, 404)
    assert client.v1.payment_intents.cancel(pi.id).status == "canceled"


def test_optional_and_unsupported_3ds_cards_pay_without_a_challenge(
    client: stripe.StripeClient,
) -> None:
    for card in ("pm_card_threeDSecureOptional", "pm_card_amex_threeDSecureNotSupported"):
        pi = new_intent(client, listing_id(), payment_method=card, confirm=True)
        assert pi.status == "succeeded"


# --------------------------------------------------------------------------- crafted shapes


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
    transient = control(
        sandbox,
        "POST",
        f"payment_intents/{fresh.id}/events",
        type="payment_intent.succeeded",
        shape="expanded_charge",
        deliver=False,
    )
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
    capturable = control(
        sandbox,
        "POST",
        f"payment_intents/{other.id}/events",
        type="payment_intent.amount_capturable_updated",
    )
    assert capturable["data"]["object"]["status"] == "requires_capture"
    assert capturable["data"]["object"]["amount_capturable"] == 2500
    assert client.v1.payment_intents.retrieve(other.id).status == "requires_payment_method"
    odd = control(
        sandbox,
        "POST",
        f"payment_intents/{other.id}/events",
        type="payment_intent.partially_funded",
        unknown_type=True,
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


# ------------------------------------------------------------------ controls, faults, lists


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
    listing = listing_id()
    new_intent(client, listing, payment_method="pm_card_visa", confirm=True)
    wait_types(receiver, listing, 2)
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

    from sandbox.stripe_rules import ENDPOINTS

    spec = ENDPOINTS[route]
    module = importlib.import_module(f"stripe.params.{params_module}")
    options = set(importlib.import_module("stripe._request_options").RequestOptions.__annotations__)
    documented = set(getattr(module, params_class).__annotations__) - options
    assert (spec.modelled | spec.unsupported) - {"payment_method_types"} == documented
