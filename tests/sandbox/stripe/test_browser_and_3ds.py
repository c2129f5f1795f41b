"""Stripe.js with the publishable key, and 3-D Secure challenges."""

from __future__ import annotations

import pytest
import requests
import stripe

from sandbox.harness.standalone import WebhookReceiver
from sandbox.stripe import StripeSandbox
from tests.sandbox.stripe.support import (
    CREATE,
    TIMEOUT,
    control,
    error_of,
    listing_id,
    new_intent,
    raw,
    wait_types,
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
