"""The API's gateway clients against the sandboxes: probes, lookups that say nothing, amounts."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests

from api_server.common.money import checkout_amount, whole_major
from api_server.config import Config
from api_server.payments.flutterwave_gateway import FlutterwaveGateway
from api_server.payments.gateways import Customer, GatewayError
from api_server.payments.stripe_gateway import (
    StripeGateway,
    from_stripe_amount,
    intent_status,
    to_stripe_amount,
)
from sandbox.flutterwave import FlutterwaveSandbox
from sandbox.stripe import StripeSandbox
from tests.running import running

STRIPE_KEY = "sk_test_clients_0123456789"
FLW_KEY = "FLWSECK_TEST-clients-0123456789-X"


@pytest.fixture(scope="module")
def stripe_box() -> Iterator[StripeSandbox]:
    with running(StripeSandbox(secret_key=STRIPE_KEY, webhook_secret="whsec_clients")) as box:
        yield box


@pytest.fixture(scope="module")
def flw_box() -> Iterator[FlutterwaveSandbox]:
    with running(FlutterwaveSandbox(secret_key=FLW_KEY, webhook_secret="clients-hash")) as box:
        yield box


def _config(**env: str) -> Config:
    return Config.from_env({"DATABASE_URL": "postgresql://unused", "JWT_SECRET": "j" * 40, **env})


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _fault(box: object, status: int, match: str) -> None:
    url = f"{box.url}/_sandbox/faults"  # type: ignore[attr-defined]
    body = {"mode": "status", "status": status, "match": match, "count": 1}
    requests.post(url, json=body, timeout=5).raise_for_status()


@pytest.mark.parametrize(
    ("key", "expected"), [(STRIPE_KEY, "ok"), ("sk_test_wrong_key_000", "unauthorized")]
)
def test_stripe_probe_tells_a_wrong_key_from_a_working_one(stripe_box, key, expected):
    gateway = StripeGateway(
        _config(STRIPE_API_BASE=stripe_box.url, STRIPE_SECRET_KEY=key, STRIPE_TIMEOUT="2")
    )
    assert gateway.probe().status == expected


@pytest.mark.parametrize(
    ("key", "expected"), [(FLW_KEY, "ok"), ("FLWSECK_TEST-wrong-X", "unauthorized")]
)
def test_flutterwave_probe_makes_a_valid_call_and_reports_a_wrong_key(flw_box, key, expected):
    gateway = FlutterwaveGateway(
        _config(FLUTTERWAVE_API_BASE=flw_box.url, FLUTTERWAVE_SECRET_KEY=key)
    )
    assert gateway.probe().status == expected


def test_probes_report_an_unreachable_gateway():
    url = _closed_port()
    flw = FlutterwaveGateway(_config(FLUTTERWAVE_API_BASE=url, FLUTTERWAVE_SECRET_KEY=FLW_KEY))
    stripe = StripeGateway(_config(STRIPE_API_BASE=url, STRIPE_SECRET_KEY=STRIPE_KEY))
    assert flw.probe().status == "unreachable"
    assert stripe.probe().status == "unreachable"


def test_flutterwave_not_found_means_nobody_paid_yet(flw_box):
    gateway = FlutterwaveGateway(
        _config(FLUTTERWAVE_API_BASE=flw_box.url, FLUTTERWAVE_SECRET_KEY=FLW_KEY)
    )
    seen = gateway.status({"provider_ref": "never-made-0001"})
    assert seen.status == "pending"


@pytest.mark.parametrize(("status", "kind"), [(401, "unauthorized"), (429, "rate_limited")])
def test_flutterwave_lookup_that_says_nothing_is_raised_not_taken_as_pending(flw_box, status, kind):
    gateway = FlutterwaveGateway(
        _config(FLUTTERWAVE_API_BASE=flw_box.url, FLUTTERWAVE_SECRET_KEY=FLW_KEY)
    )
    _fault(flw_box, status, "lookup-says-nothing")
    with pytest.raises(GatewayError) as caught:
        gateway.status({"provider_ref": "lookup-says-nothing"})
    assert caught.value.kind == kind


@pytest.mark.parametrize(
    ("status", "reference_kept"), [(500, True), (503, True), (400, False), (401, False)]
)
def test_a_checkout_that_may_exist_keeps_its_tx_ref(flw_box, status, reference_kept):
    """A 5xx (or a timeout) may hide a made checkout; a 4xx says nothing was made."""
    gateway = FlutterwaveGateway(
        _config(FLUTTERWAVE_API_BASE=flw_box.url, FLUTTERWAVE_SECRET_KEY=FLW_KEY)
    )
    payment_id = f"ambiguous-{status}"
    _fault(flw_box, status, payment_id)
    payment = {"id": payment_id, "listing_id": "l-1", "amount": 5000, "currency": "NGN"}
    with pytest.raises(GatewayError) as caught:
        gateway.create(
            payment,
            customer=Customer("buyer@example.com", "Buyer"),
            redirect_url="http://127.0.0.1/return",
            ttl_seconds=600,
        )
    assert caught.value.details.get("reference") == (payment_id if reference_kept else None)


def test_whole_major_amounts_for_flutterwave_checkout():
    assert whole_major(300_100, "NGN") and checkout_amount(300_100, "NGN") == 3001
    assert not whole_major(150_050, "NGN")
    with pytest.raises(ValueError):
        checkout_amount(150_050, "NGN")
    assert checkout_amount(5_000, "UGX") == 5_000


@pytest.mark.parametrize(
    ("intent", "status", "charge"),
    [
        (
            {"id": "pi_1", "status": "succeeded", "latest_charge": {"id": "ch_1"}},
            "succeeded",
            "ch_1",
        ),
        ({"id": "pi_1", "status": "succeeded", "latest_charge": "ch_2"}, "succeeded", "ch_2"),
        ({"id": "pi_1", "status": "requires_payment_method"}, "pending", None),
        ({"id": "pi_1", "status": "something_new"}, "unknown", None),
        ({}, "unknown", None),
        # Ids that are no ids: empty, or not a string, expanded or not.
        ({"id": "pi_1", "status": "succeeded", "latest_charge": ""}, "succeeded", None),
        ({"id": "pi_1", "status": "succeeded", "latest_charge": 42}, "succeeded", None),
        ({"id": "pi_1", "status": "succeeded", "latest_charge": {"id": ""}}, "succeeded", None),
        ({"id": "pi_1", "status": "succeeded", "latest_charge": {"id": 7}}, "succeeded", None),
    ],
)
def test_intent_status_reads_every_shape_stripe_sends(intent, status, charge):
    seen = intent_status(intent)
    assert (seen.status, seen.transaction_id) == (status, charge)


def test_a_decline_reads_as_requires_payment_method_with_its_reason():
    seen = intent_status(
        {
            "status": "requires_payment_method",
            "amount": 500,
            "currency": "usd",
            "last_payment_error": {
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
            },
        }
    )
    assert seen.status == "requires_payment_method"
    assert seen.failure is not None
    assert (seen.failure.code, seen.failure.decline_code) == ("card_declined", "insufficient_funds")
    assert (seen.amount, seen.currency) == (500, "USD")


def test_rate_goes_through_flutterwave_with_all_three_parameters(flw_box):
    gateway = FlutterwaveGateway(
        _config(FLUTTERWAVE_API_BASE=flw_box.url, FLUTTERWAVE_SECRET_KEY=FLW_KEY)
    )
    rate = gateway.rate(source="NGN", destination="USD", destination_amount=Decimal("10"))
    assert rate > 0


def test_ugx_goes_to_stripe_in_hundreds_and_comes_back_in_shillings(stripe_box):
    gateway = StripeGateway(_config(STRIPE_API_BASE=stripe_box.url, STRIPE_SECRET_KEY=STRIPE_KEY))
    payment = {"id": "ugx-1", "listing_id": "l-1", "amount": 5_000, "currency": "UGX"}
    checkout = gateway.create(
        payment, customer=Customer("b@example.com"), redirect_url="http://x", ttl_seconds=60
    )
    raw = requests.get(
        f"{stripe_box.url}/v1/payment_intents/{checkout.provider_ref}",
        headers={"Authorization": f"Bearer {STRIPE_KEY}"},
        timeout=5,
    ).json()
    assert (raw["amount"], raw["currency"]) == (500_000, "ugx")
    seen = gateway.status({**payment, "provider_ref": checkout.provider_ref})
    assert (seen.amount, seen.currency) == (5_000, "UGX")


def test_stripe_amount_units_for_special_currencies():
    assert (to_stripe_amount(5, "UGX"), to_stripe_amount(5, "USD")) == (500, 5)
    assert from_stripe_amount(500, "UGX") == 5
    assert from_stripe_amount(550, "UGX") is None
    assert from_stripe_amount(550, "USD") == 550


def _paid_checkout(flw_box: FlutterwaveSandbox, name: str | None) -> tuple[dict, dict]:
    """A Flutterwave payment made through the client and paid on the hosted page: the payment
    row as the API keeps it, and the transaction as Flutterwave's verify endpoint reports it."""
    gateway = FlutterwaveGateway(
        _config(FLUTTERWAVE_API_BASE=flw_box.url, FLUTTERWAVE_SECRET_KEY=FLW_KEY)
    )
    payment = {
        "id": f"paid-{uuid.uuid4().hex[:12]}",
        "listing_id": "l-1",
        "amount": 5000,
        "currency": "NGN",
    }
    checkout = gateway.create(
        payment,
        customer=Customer("payer@example.com", name),
        redirect_url="http://127.0.0.1/return",
        ttl_seconds=600,
    )
    assert checkout.payment_link
    paid = requests.get(
        checkout.payment_link,
        params={"outcome": "successful"},
        headers={"Accept": "application/json"},
        timeout=5,
    )
    assert paid.status_code == 200, paid.text
    verified = requests.get(
        f"{flw_box.url}/v3/transactions/verify_by_reference",
        params={"tx_ref": payment["id"]},
        headers={"Authorization": f"Bearer {FLW_KEY}"},
        timeout=5,
    ).json()
    return {**payment, "provider_ref": checkout.provider_ref}, verified["data"]


@pytest.mark.parametrize(("name", "shown"), [("Ada Buyer", "Ada Buyer"), (None, "Anonymous")])
def test_the_hosted_checkout_carries_the_buyers_name_when_there_is_one(flw_box, name, shown):
    """Flutterwave shows the payer's name on its page and in the transaction; without one it
    has nothing to show (the sandbox, like Flutterwave, records none)."""
    _, transaction = _paid_checkout(flw_box, name)
    assert transaction["customer"]["name"] == shown


@pytest.mark.parametrize("amount", ["twelve", "NaN", "Infinity", "1e999999999"])
def test_a_verified_amount_that_is_no_number_is_read_as_unknown(flw_box, amount):
    """A transaction whose amount cannot be read gives no amount, so it never matches a
    payment's: the settlement then refuses it (amount mismatch) instead of crashing."""
    payment, transaction = _paid_checkout(flw_box, "Ada Buyer")
    requests.post(
        f"{flw_box.url}/_sandbox/transactions/{transaction['id']}/override",
        json={"amount": amount},
        timeout=5,
    ).raise_for_status()
    gateway = FlutterwaveGateway(
        _config(FLUTTERWAVE_API_BASE=flw_box.url, FLUTTERWAVE_SECRET_KEY=FLW_KEY)
    )
    seen = gateway.status(payment)
    assert (seen.status, seen.amount, seen.currency) == ("succeeded", None, "NGN")


def test_a_flutterwave_that_does_not_answer_in_time_is_reported_unreachable(flw_box):
    """A timeout is not a refusal of our key: the probe says the gateway cannot be reached."""
    gateway = FlutterwaveGateway(
        _config(
            FLUTTERWAVE_API_BASE=flw_box.url,
            FLUTTERWAVE_SECRET_KEY=FLW_KEY,
            FLUTTERWAVE_TIMEOUT="0.5",
        )
    )
    body = {"mode": "hang", "seconds": 2, "match": "GET /v3/", "count": 1}
    requests.post(f"{flw_box.url}/_sandbox/faults", json=body, timeout=5).raise_for_status()
    assert gateway.probe().status == "unreachable"


def test_cancelling_an_intent_that_succeeded_reports_the_success(stripe_box):
    """Stripe refuses to cancel a succeeded intent (payment_intent_unexpected_state): the
    client says where it stands instead, so a paid payment is never closed as cancelled; any
    other refusal is raised."""
    gateway = StripeGateway(_config(STRIPE_API_BASE=stripe_box.url, STRIPE_SECRET_KEY=STRIPE_KEY))
    payment = {"id": f"paid-{uuid.uuid4().hex[:12]}", "amount": 5_000, "currency": "USD"}
    payment["listing_id"] = "l-1"
    checkout = gateway.create(
        payment, customer=Customer("b@example.com"), redirect_url="http://x", ttl_seconds=60
    )
    paid = {**payment, "provider_ref": checkout.provider_ref}
    assert gateway.confirm(paid, payment_method="pm_card_visa").status == "succeeded"
    assert gateway.cancel(paid, reason="abandoned").status == "succeeded"
    with pytest.raises(GatewayError):
        gateway.cancel({**paid, "provider_ref": "pi_never_made_000"}, reason="abandoned")
