"""Faults, webhook delivery controls, events and the lifecycle of the Stripe sandbox."""

from __future__ import annotations

import json
import signal
import threading
import time

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
    events_for,
    listing_id,
    new_intent,
    paid_intent,
    settled_events,
    wait_types,
)
from tests.standalone import standalone


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


@pytest.mark.parametrize(
    ("outcome", "types"),
    [
        ("won", ["charge.dispute.closed", "charge.dispute.funds_reinstated"]),
        ("lost", ["charge.dispute.closed"]),
    ],
)
def test_closing_a_dispute_emits_charge_dispute_closed(
    sandbox: StripeSandbox,
    client: stripe.StripeClient,
    receiver: WebhookReceiver,
    outcome: str,
    types: list[str],
) -> None:
    pi = new_intent(client, listing_id(), payment_method="pm_card_visa", confirm=True)
    opened = control(sandbox, "POST", f"payment_intents/{pi.id}/dispute")
    closed = control(sandbox, "POST", f"disputes/{opened['id']}/close", outcome=outcome)
    assert closed["id"] == opened["id"] and closed["status"] == outcome
    assert closed["payment_intent"] == pi.id and closed["is_charge_refundable"] is False
    events = settled_events(sandbox, opened["id"])
    seen = [e for e in events if e["type"] != "charge.dispute.created"]
    assert [e["type"] for e in seen] == types
    assert all(e["body"]["data"]["object"]["status"] == outcome for e in seen)
    retrieved = client.v1.disputes.retrieve(opened["id"], params={"expand": ["payment_intent"]})
    assert retrieved.status == outcome and retrieved.payment_intent.id == pi.id


def test_a_dispute_closes_once_and_only_as_the_network_decides(
    sandbox: StripeSandbox, client: stripe.StripeClient
) -> None:
    pi = new_intent(client, listing_id(), payment_method="pm_card_visa", confirm=True)
    dispute = control(sandbox, "POST", f"payment_intents/{pi.id}/dispute")
    path = f"{sandbox.url}/_sandbox/disputes/{dispute['id']}/close"
    assert requests.post(path, json={"outcome": "maybe"}, timeout=TIMEOUT).status_code == 400
    assert requests.post(path, json={}, timeout=TIMEOUT).status_code == 400
    missing = f"{sandbox.url}/_sandbox/disputes/dp_missing/close"
    assert requests.post(missing, json={"outcome": "won"}, timeout=TIMEOUT).status_code == 404
    control(sandbox, "POST", f"disputes/{dispute['id']}/close", outcome="lost")
    again = requests.post(path, json={"outcome": "won"}, timeout=TIMEOUT)
    assert again.status_code == 400 and "already closed" in again.text
    assert client.v1.disputes.retrieve(dispute["id"]).status == "lost"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.disputes.retrieve("dp_missing")
    assert raised.value.http_status == 404 and raised.value.code == "resource_missing"


def test_events_api_lists_newest_first_and_retrieves(
    sandbox: StripeSandbox, client: stripe.StripeClient, receiver: WebhookReceiver
) -> None:
    since = int(time.time())
    listing, pi = paid_intent(client, receiver)
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
