"""The API's gateway clients against the sandboxes: probes, lookups that say nothing, amounts."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests

from api_server.common.money import checkout_amount, round_to_whole_major, whole_major
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
    assert round_to_whole_major(155_049, "NGN") == 155_000
    assert round_to_whole_major(155_050, "NGN") == 155_100


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
